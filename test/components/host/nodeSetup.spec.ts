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
import { renderNodeSetupScript, renderNodeSetupUnit, nodeSetupCloudConfig, NodeSetupInput } from "../../../components/host/nodeSetup";
import { runtimePins } from "../../../components/host/containerd";
import { renderCloudConfig, withoutCommentLines } from "../../../components/host/cloudConfig";
import { NODE_SETUP_SCRIPT } from "../../../components/host";

const INPUT: NodeSetupInput = { kubernetesMinor: "1.35", kubernetesVersion: "1.35.9", arch: "amd64", etcdVersion: "3.6.16" };
const PINS = runtimePins("1.35");
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
    // containerd reads the file --config names and prints it back with its defaults; the defaults of some
    // 2.x releases carry no SystemdCgroup line, which is the case a missing or edited file falls into.
    containerd: `${RECORD}
cfg=""; prev=""
for a in "$@"; do [ "$prev" = --config ] && cfg=$a; prev=$a; done
case "$*" in
  *"config dump"*)
    echo 'version = 3'
    echo "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]"
    echo "  runtime_type = 'io.containerd.runc.v2'"
    [ -n "$cfg" ] && [ -f "$cfg" ] && grep -v '^version' "$cfg"
    exit 0 ;;
esac`,
    // apt-get notes whether service starts were forbidden (policy-rc.d) while the kubelet package was installed.
    "apt-get": `${RECORD}
case "$*" in *kubelet=*) [ -x "$K8S_AWS_ROOT/usr/sbin/policy-rc.d" ] && printf '%s\\n' "policy-rc.d $("$K8S_AWS_ROOT/usr/sbin/policy-rc.d"; echo $?)" >>"$STUB_LOG" ;; esac
exit 0`,
    ...Object.fromEntries(["apt-mark", "hostnamectl", "modprobe", "sysctl", "systemctl", "snap", "logger"].map((c) => [c, RECORD])),
};

type Tamper = "etcd" | "containerd" | "runc" | undefined;

/** A release file and the checksum file published beside it, as sha256sum writes it; `tamper` corrupts the listed sum. */
function publish(files: string, name: string, sumsFile: string, tamper: boolean) {
    const sum = spawnSync("sha256sum", [name], { cwd: files, encoding: "utf8" }).stdout;
    fs.appendFileSync(path.join(files, sumsFile), tamper ? sum.replace(/^./, (c) => (c === "0" ? "1" : "0")) : sum);
}

function world(tamper: Tamper = undefined, input: NodeSetupInput = INPUT, realContainerd?: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "node-setup-"));
    const bin = path.join(dir, "bin");
    const files = path.join(dir, "files");
    const root = path.join(dir, "root");
    for (const d of [bin, files, path.join(root, "usr/local/bin"), path.join(root, "etc/apt/sources.list.d")]) fs.mkdirSync(d, { recursive: true });
    for (const [name, body] of Object.entries(STUBS)) fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    if (realContainerd) {
        fs.rmSync(path.join(bin, "containerd"));
        fs.symlinkSync(realContainerd, path.join(bin, "containerd"));
    }
    // Real release tarballs and checksum files, named and laid out as etcd, containerd and runc publish them.
    const rel = `etcd-v${INPUT.etcdVersion}-linux-amd64`;
    fs.mkdirSync(path.join(dir, rel));
    for (const b of ["etcd", "etcdctl", "etcdutl"]) fs.writeFileSync(path.join(dir, rel, b), `#!/bin/sh\necho ${b}\n`, { mode: 0o755 });
    spawnSync("tar", ["-czf", path.join(files, `${rel}.tar.gz`), "-C", dir, rel]);
    publish(files, `${rel}.tar.gz`, "SHA256SUMS", tamper === "etcd");
    const ctr = `containerd-${PINS.containerd}-linux-amd64.tar.gz`;
    fs.mkdirSync(path.join(dir, "ctr/bin"), { recursive: true });
    for (const b of ["containerd", "ctr", "containerd-shim-runc-v2"]) fs.writeFileSync(path.join(dir, "ctr/bin", b), `#!/bin/sh\necho ${b}\n`, { mode: 0o755 });
    spawnSync("tar", ["-czf", path.join(files, ctr), "-C", path.join(dir, "ctr"), "bin"]);
    publish(files, ctr, `${ctr}.sha256sum`, tamper === "containerd");
    fs.writeFileSync(path.join(files, "runc.arm64"), "arm64\n");
    fs.writeFileSync(path.join(files, "runc.amd64"), "#!/bin/sh\necho runc\n");
    publish(files, "runc.arm64", "runc.sha256sum", false);
    publish(files, "runc.amd64", "runc.sha256sum", tamper === "runc");
    const script = path.join(dir, "setup.sh");
    fs.writeFileSync(script, renderNodeSetupScript(input), { mode: 0o755 });
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
    for (const role of ["kubernetes", "etcd"] as const) {
        it(`passes shellcheck (role ${role})`, () => {
            const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sc-")), "setup.sh");
            fs.writeFileSync(file, renderNodeSetupScript({ ...INPUT, role }));
            const r = spawnSync("shellcheck", ["-s", "sh", file], { encoding: "utf8" });
            assert.strictEqual(r.status, 0, r.stdout);
        });
    }

    it("on first boot names the host from IMDSv2 and installs pinned, held packages and checksummed etcd", () => {
        const w = world();
        const r = w.run();
        assert.strictEqual(r.status, 0, r.stderr);
        assert.ok(r.calls.includes("hostnamectl set-hostname ip-10-30-0-10.eu-west-1.compute.internal"), r.calls.join("\n"));
        const install = r.calls.find((c) => c.startsWith("apt-get install") && c.includes("kubelet="));
        assert.ok(install?.includes("kubelet=1.35.9-1.1") && install.includes("kubeadm=1.35.9-1.1") && install.includes("kubectl=1.35.9-1.1"), install);
        assert.ok(r.calls.includes("apt-mark hold kubelet kubeadm kubectl"));
        // Package scripts could not start the kubelet (ordered after this unit) during the install; nothing is left behind.
        assert.ok(r.calls.includes("policy-rc.d 101"), r.calls.join("\n"));
        assert.ok(!fs.existsSync(path.join(w.root, "usr/sbin/policy-rc.d")));
        assert.match(fs.readFileSync(path.join(w.root, "etc/apt/sources.list.d/kubernetes.list"), "utf8"), /pkgs\.k8s\.io\/core:\/stable:\/v1\.35\/deb\//);
        assert.match(fs.readFileSync(path.join(w.root, "etc/containerd/config.toml"), "utf8"), /SystemdCgroup = true/);
        for (const b of ["usr/local/bin/containerd", "usr/local/bin/containerd-shim-runc-v2", "usr/local/sbin/runc"]) assert.ok(fs.existsSync(path.join(w.root, b)), b);
        assert.match(fs.readFileSync(path.join(w.root, "etc/systemd/system/containerd.service"), "utf8"), /^ExecStart=\/usr\/local\/bin\/containerd$/m);
        assert.ok(!r.calls.some((c) => c.startsWith("apt-get install") && /\bcontainerd\b/.test(c)), "containerd must not come from the Ubuntu archive");
        assert.ok(
            r.calls.some((c) => c.includes(`containerd/releases/download/v${PINS.containerd}/containerd-${PINS.containerd}-linux-amd64.tar.gz`)),
            r.calls.join("\n"),
        );
        assert.ok(
            r.calls.some((c) => c.includes(`runc/releases/download/v${PINS.runc}/runc.amd64`)),
            r.calls.join("\n"),
        );
        assert.match(r.stderr, /containerd uses the systemd cgroup driver/);
        // CIS 4.1.1 / 4.1.9: the kubelet tightens its own files' modes each time it starts.
        const dropIn = path.join(w.root, "etc/systemd/system/kubelet.service.d/20-k8s-aws-file-modes.conf");
        assert.match(fs.readFileSync(dropIn, "utf8"), /^ExecStartPre=-\/bin\/chmod 0600 \/var\/lib\/kubelet\/config\.yaml \/usr\/lib\/systemd\/system\/kubelet\.service /m);
        assert.strictEqual(fs.statSync(dropIn).mode & 0o777, 0o600);
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
        const w = world("etcd");
        const r = w.run();
        assert.notStrictEqual(r.status, 0);
        assert.ok(!fs.existsSync(path.join(w.root, "usr/local/bin/etcd")));
        assert.ok(!fs.existsSync(path.join(w.root, "var/lib/k8s-aws")), "must not mark the setup done");
    });

    for (const what of ["containerd", "runc"] as const) {
        it(`refuses a ${what} download whose checksum does not match the release's, and starts nothing`, () => {
            const r = world(what).run();
            assert.notStrictEqual(r.status, 0);
            assert.match(r.stderr, /does not match its published checksum/);
            assert.ok(!r.calls.some((c) => c.startsWith("systemctl start")), r.calls.join("\n"));
            assert.ok(!r.calls.some((c) => c.includes("kubelet=")), "no Kubernetes packages after a failed runtime install");
        });
    }

    it("fails every boot, loudly, while containerd's own dump does not show the systemd cgroup driver", () => {
        const w = world();
        assert.strictEqual(w.run().status, 0);
        // Someone (or a package) rewrites the file without the runc options: containerd falls back to its defaults.
        fs.writeFileSync(path.join(w.root, "etc/containerd/config.toml"), "version = 3\n");
        const again = w.run();
        assert.notStrictEqual(again.status, 0);
        assert.match(again.stderr, /SystemdCgroup='' in the CRI runc options, not true/);
        assert.ok(!again.calls.some((c) => c.startsWith("systemctl start")), again.calls.join("\n"));
        fs.writeFileSync(path.join(w.root, "etc/containerd/config.toml"), "version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n  SystemdCgroup = false\n");
        assert.match(w.run().stderr, /SystemdCgroup='false'/);
    });

    const real = process.env.CONTAINERD_BIN;
    (real ? it : it.skip)(`checks the cgroup driver with the real containerd's own dump (${real ?? "set CONTAINERD_BIN"})`, () => {
        const w = world(undefined, INPUT, real);
        const r = w.run();
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stderr, /containerd uses the systemd cgroup driver/);
        fs.writeFileSync(path.join(w.root, "etc/containerd/config.toml"), "version = 3\n");
        const again = w.run();
        assert.notStrictEqual(again.status, 0);
        assert.match(again.stderr, /SystemdCgroup='false' in the CRI runc options, not true/);
    });

    it("pins a containerd that containerd's matrix supports for every Kubernetes minor", () => {
        for (const minor of ["1.35", "1.36", "1.37"]) {
            const script = renderNodeSetupScript({ kubernetesMinor: minor, kubernetesVersion: `${minor}.1`, arch: "arm64" });
            const v = /^CONTAINERD_VERSION=(\d+)\.(\d+)\.\d+$/m.exec(script);
            assert.ok(v, minor);
            // Kubernetes 1.36+ needs containerd 2.2+ (containerd/containerd@v2.3.4:RELEASES.md).
            if (minor !== "1.35") assert.ok(Number(v[1]) === 2 && Number(v[2]) >= 2, `${minor}: ${v[0]}`);
            assert.ok(Number(v[1]) >= 2, "config version 3 needs containerd 2.x");
        }
    });

    it("on an etcd member installs etcd alone: no runtime, no kubelet, nothing from pkgs.k8s.io", () => {
        const w = world(undefined, { ...INPUT, role: "etcd" });
        const r = w.run();
        assert.strictEqual(r.status, 0, r.stderr);
        for (const b of ["etcd", "etcdctl", "etcdutl"]) assert.ok(fs.existsSync(path.join(w.root, "usr/local/bin", b)), b);
        assert.ok(r.calls.includes("snap install aws-cli --classic"));
        const forbidden = r.calls.filter((c) => /pkgs\.k8s\.io|kubelet|kubeadm|kubectl|containerd|runc|apt-get/.test(c));
        assert.deepStrictEqual(forbidden, []);
        assert.ok(!fs.existsSync(path.join(w.root, "etc/containerd")));
        assert.ok(!fs.existsSync(path.join(w.root, "etc/modules-load.d/k8s-aws.conf")), "no pod-network kernel settings on an etcd member");
        const unit = renderNodeSetupUnit("etcd");
        assert.match(unit, /^RequiredBy=etcd\.service$/m);
        assert.doesNotMatch(unit, /kubelet|containerd/);
        assert.throws(() => renderNodeSetupScript({ ...INPUT, role: "etcd", etcdVersion: undefined }), /needs etcdVersion/);
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
        assert.deepStrictEqual(
            doc.write_files.map((f: { path: string }) => f.path),
            [NODE_SETUP_SCRIPT, "/etc/systemd/system/k8s-aws-node-setup.service", "/etc/x"],
        );
        assert.strictEqual(doc.write_files[0].content, withoutCommentLines(renderNodeSetupScript(INPUT)));
        assert.deepStrictEqual(doc.runcmd.at(-1), ["echo", "second"]);
    });

    it("refuses two parts that write the same file", () => {
        const part = { writeFiles: [{ path: "/etc/x", owner: "root:root", permissions: "0644", content: "" }] };
        assert.throws(() => renderCloudConfig([part, part]), /two cloud-config parts write \/etc\/x/);
    });
});
