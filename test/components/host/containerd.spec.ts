/**
 * The container runtime pins and configuration: every Kubernetes minor gets a
 * containerd that containerd's own support matrix lists for it, and the
 * configuration file makes runc use the systemd cgroup driver as containerd
 * itself reads it. The last part runs the real containerd (`containerd config
 * dump`) when one is on PATH or named by $CONTAINERD_BIN (rung 3; the node
 * image pins 2.2.7 / 2.3.4, see docs and the closing note for which was run).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { RUNC_OPTIONS_TABLE, SYSTEMD_CGROUP_FROM_DUMP, containerdSupports, renderContainerdConfig, runtimePins } from "../../../components/host/containerd";
import { CONTAINERD_VERSIONS, KUBERNETES_RELEASES, RUNC_VERSIONS } from "../../../config/versions";

/** Runs the node setup script's own dump parser on a text. */
function systemdCgroupIn(dump: string): string {
    const r = spawnSync("sh", ["-c", SYSTEMD_CGROUP_FROM_DUMP], { input: dump, encoding: "utf8" });
    assert.strictEqual(r.status, 0, r.stderr);
    return r.stdout.trim();
}

describe("containerd pins", () => {
    const cases: Array<{ minor: string; containerd: string; supported: boolean }> = [
        { minor: "1.35", containerd: "1.7.28", supported: true },
        { minor: "1.35", containerd: "1.7.27", supported: false },
        { minor: "1.35", containerd: "2.2.0", supported: true },
        { minor: "1.35", containerd: "2.3.4", supported: false },
        { minor: "1.36", containerd: "1.7.34", supported: false },
        { minor: "1.36", containerd: "2.1.9", supported: false },
        { minor: "1.36", containerd: "2.2.7", supported: true },
        { minor: "1.37", containerd: "2.3.4", supported: true },
        { minor: "1.34", containerd: "2.3.4", supported: false },
    ];
    for (const c of cases) {
        it(`Kubernetes ${c.minor} with containerd ${c.containerd}: ${c.supported ? "supported" : "refused"}`, () => {
            assert.strictEqual(containerdSupports(c.minor, c.containerd), c.supported);
        });
    }

    it("pins, for every supported minor, a containerd the matrix lists and the runc that containerd tests with", () => {
        for (const minor of Object.keys(KUBERNETES_RELEASES)) {
            const pins = runtimePins(minor);
            assert.strictEqual(pins.containerd, CONTAINERD_VERSIONS[minor as keyof typeof CONTAINERD_VERSIONS]);
            assert.ok(containerdSupports(minor, pins.containerd), minor);
            assert.strictEqual(pins.runc, RUNC_VERSIONS[pins.containerd]);
        }
    });
});

describe("containerd configuration", () => {
    it("is config version 3 with SystemdCgroup = true in the CRI runc options table", () => {
        const text = renderContainerdConfig();
        assert.match(text, /^version = 3$/m);
        assert.strictEqual(systemdCgroupIn(text), "true");
    });

    it("the dump parser reads only the CRI runc options table, in either quoting", () => {
        assert.strictEqual(systemdCgroupIn(`[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n`), "true");
        assert.strictEqual(systemdCgroupIn(`[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.crun.options]\n  SystemdCgroup = true\n`), "");
        assert.strictEqual(systemdCgroupIn(`[${RUNC_OPTIONS_TABLE}]\n  SystemdCgroup = false\n[plugins.x]\n  SystemdCgroup = true\n`), "false");
        // containerd 1.x spelling (config version 2) is not what a 2.x runtime reads.
        assert.strictEqual(systemdCgroupIn(`[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n`), "");
    });

    const real = process.env.CONTAINERD_BIN ?? (spawnSync("sh", ["-c", "command -v containerd"], { encoding: "utf8" }).stdout.trim() || undefined);
    (real ? describe : describe.skip)(`the real containerd (${real ?? "none on PATH; set CONTAINERD_BIN"})`, () => {
        const dump = (file: string) => spawnSync(real!, ["--config", file, "config", "dump"], { encoding: "utf8" });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "containerd-"));

        it("reads our file and its dump shows the systemd cgroup driver for runc", () => {
            const file = path.join(dir, "config.toml");
            fs.writeFileSync(file, renderContainerdConfig());
            const r = dump(file);
            assert.strictEqual(r.status, 0, r.stderr);
            assert.strictEqual(systemdCgroupIn(r.stdout), "true", r.stdout);
            assert.match(r.stdout, /runtime_type = 'io\.containerd\.runc\.v2'/);
            assert.match(r.stdout, /^\s*use_internal_loopback = true$/m);
            assert.match(r.stdout, /^\s*BinaryName = '\/usr\/local\/sbin\/runc'$/m);
        });

        it("its dump of a file without the runc options does not show it, so node setup would stop", () => {
            const file = path.join(dir, "bare.toml");
            fs.writeFileSync(file, "version = 3\n");
            const r = dump(file);
            assert.strictEqual(r.status, 0, r.stderr);
            assert.notStrictEqual(systemdCgroupIn(r.stdout), "true");
        });
    });
});
