/**
 * After a reboot the tmpfs pki is empty of kubeadm's leaf certificates; the
 * static pods crash-loop until they are back, so they must be back before
 * the kubelet starts. Read from a control-plane slot's whole user data: the
 * units are parsed and the ordering is checked as systemd would apply it
 * (rung 1), the units are checked by `systemd-analyze verify` (rung 2), and
 * the script is run with `sh` against stubbed kubeadm.
 */
import { withoutCommentLines } from "../../../components/host/cloudConfig";
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { parse } from "yaml";
import { KUBEADM_INIT_CONFIG, KUBERNETES_PKI_DIR, LEAF_CERTS_SCRIPT, LEAF_CERTS_UNIT, controlPlaneUserData } from "../../../components/host";
import { renderLeafCertsScript } from "../../../components/host/leafCerts";
import { assertShellcheckClean, removeTempDirs, tempDir, which, writeExecutable } from "../../support/shell";
import { makeWorld, runScript } from "../../support/stubs";
import { SLOT_USER_DATA_COMMON, SLOT_API_ENDPOINT, prodSlots } from "../../support/slotFixtures";

interface WriteFile {
    path: string;
    content: string;
}
type Unit = Record<string, Record<string, string[]>>;

/** systemd's INI dialect, as far as our units use it: sections, Key=value, space-separated lists accumulate. */
function parseUnit(text: string): Unit {
    const unit: Unit = {};
    let section = "";
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
        const header = /^\[(.+)\]$/.exec(line);
        if (header) {
            section = header[1];
            unit[section] ??= {};
            continue;
        }
        const eq = line.indexOf("=");
        assert.ok(eq > 0 && section, `not a unit line: ${line}`);
        const key = line.slice(0, eq);
        (unit[section][key] ??= []).push(
            ...line
                .slice(eq + 1)
                .split(/\s+/)
                .filter(Boolean),
        );
    }
    return unit;
}

const slots = prodSlots(0);
const userData = controlPlaneUserData({
    ...SLOT_USER_DATA_COMMON,
    slot: slots.controlPlane[0],
    etcdTopology: "stacked",
    controlPlaneCount: 3,
    controlPlaneEndpoint: SLOT_API_ENDPOINT,
});
const files = (parse(userData.replace(/^#cloud-config\n/, "")) as { write_files: WriteFile[] }).write_files;
const units = new Map(files.filter((f) => /^\/etc\/systemd\/system\/[^/]+\.service$/.test(f.path)).map((f) => [path.basename(f.path), parseUnit(f.content)]));
const scriptOf = (u: Unit) => files.find((f) => f.path === u.Service?.ExecStart?.[0])?.content ?? "";

/** Whether systemd orders `a` before `b`: a's Before names b, or b's After names a (either side may say it). */
function orderedBefore(a: string, b: string): boolean {
    return !!(units.get(a)?.Unit?.Before?.includes(b) || units.get(b)?.Unit?.After?.includes(a));
}

describe("controlplane: leaf certificates are back before the kubelet starts", function () {
    this.timeout(30_000);
    after(removeTempDirs);

    it("the unit that recreates them is ordered before kubelet.service, which requires it, after the units that deliver its inputs", () => {
        const restorers = [...units].filter(([, u]) => /kubeadm init phase certs/.test(scriptOf(u))).map(([name]) => name);
        assert.deepStrictEqual(restorers, [LEAF_CERTS_UNIT]);
        const u = units.get(LEAF_CERTS_UNIT)!;
        assert.ok(orderedBefore(LEAF_CERTS_UNIT, "kubelet.service"));
        assert.ok(u.Install?.RequiredBy?.includes("kubelet.service"), "kubelet must not start without it");
        // Its inputs: the CAs (role secrets) and the kubeadm init configuration (slot secrets), both written onto tmpfs.
        const producers = [...units].filter(([, x]) => new RegExp(`${KUBERNETES_PKI_DIR}|${KUBEADM_INIT_CONFIG}`).test(scriptOf(x)) && /aws .*s3 cp|"?\$file"?/.test(scriptOf(x))).map(([n]) => n);
        for (const p of ["k8s-aws-secrets.service", "k8s-aws-slot-secrets.service"]) {
            assert.ok(producers.includes(p), `${p} among ${producers.join(" ")}`);
            assert.ok(orderedBefore(p, LEAF_CERTS_UNIT) && u.Unit.Requires.includes(p), p);
        }
    });

    it("no unit that runs kubeadm init or join is ordered before kubelet.service (kubeadm restarts the kubelet and waits for it)", () => {
        for (const [name, u] of units) {
            if (/kubeadm (init|join) --config/.test(scriptOf(u))) assert.ok(!orderedBefore(name, "kubelet.service"), `${name} would deadlock with kubeadm's kubelet restart`);
        }
    });

    it("is enabled from user data, so a reboot pulls it in", () => {
        const runcmd = (parse(userData.replace(/^#cloud-config\n/, "")) as { runcmd: string[][] }).runcmd.map((c) => c.join(" "));
        assert.ok(runcmd.includes(`systemctl enable --now ${LEAF_CERTS_UNIT}`), runcmd.join("\n"));
    });

    const analyze = which("systemd-analyze");
    (analyze ? it : it.skip)("every unit of the slot passes systemd-analyze verify (rung 2)", () => {
        const root = tempDir("units");
        fs.mkdirSync(path.join(root, "usr/lib/systemd"), { recursive: true });
        // The host's own units (targets, network-online) under the fake root; kubelet and containerd as their packages would install them.
        spawnSync("cp", ["-a", "/usr/lib/systemd/system", path.join(root, "usr/lib/systemd/")]);
        const etc = path.join(root, "etc/systemd/system");
        fs.mkdirSync(etc, { recursive: true });
        for (const f of ["kubelet.service", "containerd.service"]) fs.writeFileSync(path.join(etc, f), `[Unit]\nDescription=${f}\n[Service]\nExecStart=/bin/true\n`);
        for (const f of files) {
            if (!f.path.startsWith("/etc/systemd/system/") && !f.path.startsWith("/usr/local/sbin/")) continue;
            fs.mkdirSync(path.dirname(path.join(root, f.path)), { recursive: true });
            if (f.path.startsWith("/usr/local/sbin/")) writeExecutable(path.join(root, f.path), f.content);
            else fs.writeFileSync(path.join(root, f.path), f.content);
        }
        const ours = files.filter((f) => /^\/etc\/systemd\/system\/[^/]+\.(service|timer)$/.test(f.path)).map((f) => f.path);
        assert.ok(ours.includes(`/etc/systemd/system/${LEAF_CERTS_UNIT}`));
        const r = spawnSync(analyze!, ["verify", `--root=${root}`, ...ours], { encoding: "utf8" });
        const complaints = r.stderr.split("\n").filter((l) => ours.some((p) => l.includes(path.basename(p))));
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(complaints, []);
    });

    describe("the script", () => {
        const script = renderLeafCertsScript();
        it("is clean POSIX sh", () => assertShellcheckClean(script, "leaf certificates script"));
        assert.ok(files.some((f) => f.path === LEAF_CERTS_SCRIPT && f.content === withoutCommentLines(script)));

        const member = (name: string, o: { member: boolean; certs: boolean }) => {
            const world = makeWorld(tempDir("leaf-certs"), name, tempDir("s3"));
            for (const p of [KUBEADM_INIT_CONFIG, `${KUBERNETES_PKI_DIR}/ca.crt`, ...(o.certs ? [`${KUBERNETES_PKI_DIR}/apiserver.crt`] : []), ...(o.member ? ["/etc/kubernetes/kubelet.conf"] : [])]) {
                fs.mkdirSync(path.dirname(path.join(world.root, p)), { recursive: true });
                fs.writeFileSync(path.join(world.root, p), "x");
            }
            return world;
        };

        it("after a reboot of a member recreates the missing certificates from the CAs", async () => {
            const world = member("reboot", { member: true, certs: false });
            const r = await runScript(script, world);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(world.calls(), [`kubeadm init phase certs all --config ${world.root}${KUBEADM_INIT_CONFIG}`]);
            assert.ok(fs.existsSync(path.join(world.root, KUBERNETES_PKI_DIR, "apiserver.crt")));
        });

        it("does nothing on a first boot (kubeadm init or join makes them) or when they are present", async () => {
            for (const [name, o] of [
                ["first", { member: false, certs: false }],
                ["present", { member: true, certs: true }],
            ] as const) {
                const world = member(name, o);
                const r = await runScript(script, world);
                assert.strictEqual(r.code, 0, r.stderr);
                assert.deepStrictEqual(world.calls(), [], name);
            }
        });

        it("fails, keeping the kubelet down, when the CAs are not on the tmpfs", async () => {
            const world = member("no-ca", { member: true, certs: false });
            fs.rmSync(path.join(world.root, KUBERNETES_PKI_DIR, "ca.crt"));
            const r = await runScript(script, world);
            assert.strictEqual(r.code, 1);
            assert.match(r.stderr, /ca\.crt is missing/);
            assert.deepStrictEqual(world.calls(), []);
        });
    });
});
