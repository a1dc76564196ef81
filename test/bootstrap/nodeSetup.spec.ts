/**
 * Node setup, run for real with `sh` against stubbed system commands: the
 * hostname comes from IMDSv2, packages are pinned and held, etcd is installed
 * only when its published checksum matches, and a second boot installs
 * nothing. Plus shellcheck and cloud-config assembly.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as YAML from "yaml";
import { renderNodeSetupScript, nodeSetupCloudConfig, NODE_SETUP_SCRIPT } from "../../components/bootstrap/nodeSetup";
import { renderCloudConfig } from "../../components/bootstrap/cloudConfig";

const INPUT = { kubernetesMinor: "1.35", kubernetesVersion: "1.35.9", arch: "amd64" as const, etcdVersion: "3.6.16" };
const RECORD = `printf '%s\\n' "$(basename "$0") $*" >>"$STUB_LOG"`;

/** curl answers IMDS and serves release files from $STUB_FILES by name; everything else only records. */
const STUBS: Record<string, string> = {
    curl: `${RECORD}
out=""; prev=""; url=""
for a in "$@"; do
  [ "$prev" = "-o" ] && out=$a
  case "$a" in http*) url=$a ;; esac
  prev=$a
done
case "$url" in
  */api/token) echo TOKEN ;;
  */meta-data/local-hostname) echo ip-10-30-0-10.eu-west-1.compute.internal ;;
  */Release.key) echo KEY ;;
  *) cp "$STUB_FILES/$(basename "$url")" "$out" ;;
esac`,
    gpg: `${RECORD}\ncat >/dev/null`,
    containerd: `${RECORD}\necho '            SystemdCgroup = false'`,
    ...Object.fromEntries(["apt-get", "apt-mark", "hostnamectl", "modprobe", "sysctl", "systemctl", "snap", "logger"].map((c) => [c, RECORD])),
};

function world(tamper = false) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "node-setup-"));
    const bin = path.join(dir, "bin");
    const files = path.join(dir, "files");
    const root = path.join(dir, "root");
    for (const d of [bin, files, path.join(root, "usr/local/bin"), path.join(root, "etc/apt/sources.list.d")]) fs.mkdirSync(d, { recursive: true });
    for (const [name, body] of Object.entries(STUBS)) fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    // A real release tarball and its SHA256SUMS, as etcd publishes them.
    const rel = `etcd-v${INPUT.etcdVersion}-linux-amd64`;
    fs.mkdirSync(path.join(dir, rel));
    for (const b of ["etcd", "etcdctl", "etcdutl"]) fs.writeFileSync(path.join(dir, rel, b), `#!/bin/sh\necho ${b}\n`, { mode: 0o755 });
    spawnSync("tar", ["-czf", path.join(files, `${rel}.tar.gz`), "-C", dir, rel]);
    const sum = spawnSync("sha256sum", [`${rel}.tar.gz`], { cwd: files, encoding: "utf8" }).stdout;
    fs.writeFileSync(path.join(files, "SHA256SUMS"), tamper ? sum.replace(/^./, (c) => (c === "0" ? "1" : "0")) : sum);
    const script = path.join(dir, "setup.sh");
    fs.writeFileSync(script, renderNodeSetupScript(INPUT), { mode: 0o755 });
    const log = path.join(dir, "calls.log");
    const run = () => {
        const r = spawnSync("sh", [script], { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin`, K8S_AWS_ROOT: root, STUB_LOG: log, STUB_FILES: files } });
        const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
        fs.rmSync(log, { force: true });
        return { ...r, calls };
    };
    return { dir, root, run };
}

describe("node setup script", () => {
    it("passes shellcheck", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sc-")), "setup.sh");
        fs.writeFileSync(file, renderNodeSetupScript(INPUT));
        const r = spawnSync("shellcheck", ["-s", "sh", file], { encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stdout);
    });

    it("on first boot names the host from IMDSv2 and installs pinned, held packages and checksummed etcd", () => {
        const w = world();
        const r = w.run();
        assert.strictEqual(r.status, 0, r.stderr);
        assert.ok(r.calls.includes("hostnamectl set-hostname ip-10-30-0-10.eu-west-1.compute.internal"), r.calls.join("\n"));
        const install = r.calls.find((c) => c.startsWith("apt-get install") && c.includes("kubelet="));
        assert.ok(install?.includes("kubelet=1.35.9-1.1") && install.includes("kubeadm=1.35.9-1.1") && install.includes("kubectl=1.35.9-1.1"), install);
        assert.ok(r.calls.includes("apt-mark hold kubelet kubeadm kubectl"));
        assert.match(fs.readFileSync(path.join(w.root, "etc/apt/sources.list.d/kubernetes.list"), "utf8"), /pkgs\.k8s\.io\/core:\/stable:\/v1\.35\/deb\//);
        assert.match(fs.readFileSync(path.join(w.root, "etc/containerd/config.toml"), "utf8"), /SystemdCgroup = true/);
        for (const b of ["etcd", "etcdctl", "etcdutl"]) assert.ok(fs.existsSync(path.join(w.root, "usr/local/bin", b)), b);
        assert.match(fs.readFileSync(path.join(w.root, "etc/sysctl.d/90-k8s-aws-net.conf"), "utf8"), /net\.ipv4\.ip_forward = 1/);
    });

    it("on a reboot sets the hostname again but installs nothing", () => {
        const w = world();
        assert.strictEqual(w.run().status, 0);
        const again = w.run();
        assert.strictEqual(again.status, 0, again.stderr);
        assert.ok(again.calls.some((c) => c.startsWith("hostnamectl set-hostname")));
        assert.ok(!again.calls.some((c) => c.startsWith("apt-get") || c.startsWith("snap")), again.calls.join("\n"));
    });

    it("refuses an etcd tarball whose checksum does not match the release's", () => {
        const w = world(true);
        const r = w.run();
        assert.notStrictEqual(r.status, 0);
        assert.ok(!fs.existsSync(path.join(w.root, "usr/local/bin/etcd")));
        assert.ok(!fs.existsSync(path.join(w.root, "var/lib/k8s-aws")), "must not mark the setup done");
    });

    it("rejects inconsistent versions", () => {
        assert.throws(() => renderNodeSetupScript({ ...INPUT, kubernetesVersion: "1.36.1" }), /inconsistent/);
    });
});

describe("cloud-config assembly", () => {
    it("renders one #cloud-config document with every part's files and commands in order", () => {
        const text = renderCloudConfig([nodeSetupCloudConfig(INPUT), { writeFiles: [{ path: "/etc/x", owner: "root:root", permissions: "0644", content: "x\n" }], runcmd: [["echo", "second"]] }]);
        assert.ok(text.startsWith("#cloud-config\n"));
        const doc = YAML.parse(text);
        assert.deepStrictEqual(doc.write_files.map((f: { path: string }) => f.path), [NODE_SETUP_SCRIPT, "/etc/systemd/system/k8s-aws-node-setup.service", "/etc/x"]);
        assert.strictEqual(doc.write_files[0].content, renderNodeSetupScript(INPUT));
        assert.deepStrictEqual(doc.runcmd.at(-1), ["echo", "second"]);
    });

    it("refuses two parts that write the same file", () => {
        const part = { writeFiles: [{ path: "/etc/x", owner: "root:root", permissions: "0644", content: "" }] };
        assert.throws(() => renderCloudConfig([part, part]), /two cloud-config parts write \/etc\/x/);
    });
});
