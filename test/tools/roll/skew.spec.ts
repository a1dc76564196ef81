/**
 * Version-skew rules on a change of kubernetesVersion (config/skew.ts), judged
 * against the version the cluster runs: table-driven, then through the config
 * validation and the render (the previous outputs read through the stack's
 * StackReference to itself, answered by the mock from --previous-outputs).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { versionSkewProblems } from "../../../config/skew";
import { ConfigError, formatProblem, validateClusterConfig } from "../../../config";
import { KUBERNETES_RELEASES } from "../../../config/versions";
import { rawStack } from "../../support/fixtures";
import { main } from "../../../tools/render";

const SOURCE = "the stack's previous outputs";
const KEY = "k8s-aws:cluster.kubernetesVersion";

describe("version skew on a change of kubernetesVersion", () => {
    const cases: { name: string; running: unknown; wanted: "1.35" | "1.36" | "1.37"; ok: boolean; mentions?: RegExp }[] = [
        { name: "a first deployment (no previous version)", running: undefined, wanted: "1.37", ok: true },
        { name: "the same patch again", running: "1.35.9", wanted: "1.35", ok: true },
        { name: "a newer patch of the same minor", running: "1.35.2", wanted: "1.35", ok: true },
        { name: "a patch downgrade within the minor (reverting a bad patch)", running: "1.35.12", wanted: "1.35", ok: true },
        { name: "one minor up", running: "1.35.9", wanted: "1.36", ok: true },
        { name: "one minor up from an old patch", running: "1.36.0", wanted: "1.37", ok: true },
        {
            name: "two minors up",
            running: "1.35.9",
            wanted: "1.37",
            ok: false,
            mentions:
                /^"1\.37" is not valid; allowed: 1\.35 or 1\.36: the cluster runs 1\.35\.9 \(the stack's previous outputs\); the control plane moves one minor at a time .*deploy and roll 1\.36 first$/,
        },
        {
            name: "a cluster older than every pinned minor",
            running: "1.33.4",
            wanted: "1.35",
            ok: false,
            mentions: /allowed: none of the minors this program pins.*roll 1\.34 first \(with a release of this program that pins 1\.34\)/,
        },
        { name: "one minor down", running: "1.36.4", wanted: "1.35", ok: false, mentions: /allowed: 1\.36 or 1\.37: the cluster runs 1\.36\.4 .*never downgraded.*restore-etcd/ },
        { name: "two minors down", running: "1.37.1", wanted: "1.35", ok: false, mentions: /allowed: 1\.37: .*never downgraded/ },
        { name: "a major change", running: "2.0.1", wanted: "1.37", ok: false, mentions: /change of major version/ },
        { name: "a previous version that is not x.y.z", running: "latest", wanted: "1.36", ok: false, mentions: /give kubernetesVersion "latest", not a released x\.y\.z/ },
        { name: "a v-prefixed previous version", running: "v1.35.9", wanted: "1.36", ok: true },
    ];
    for (const c of cases) {
        it(`${c.name}: ${c.ok ? "accepted" : "refused"}`, () => {
            const problems = versionSkewProblems(c.wanted, KUBERNETES_RELEASES[c.wanted], c.running === undefined ? undefined : { version: c.running, source: SOURCE });
            if (c.ok) return assert.deepStrictEqual(problems, []);
            assert.strictEqual(problems.length, 1);
            assert.strictEqual(problems[0].key, KEY);
            assert.match(formatProblem(problems[0]).slice(KEY.length + 2), c.mentions!);
        });
    }

    it("is reported with every other problem of the stack at once", () => {
        try {
            validateClusterConfig({ ...rawStack({ kubernetesVersion: "1.37", availabilityZones: 9 }), running: { version: "1.35.9", source: SOURCE } });
            assert.fail("accepted");
        } catch (e) {
            assert.ok(ConfigError.is(e));
            const keys = e.problems.map((p) => p.key);
            assert.ok(keys.includes(KEY), keys.join(", "));
            assert.ok(keys.includes("k8s-aws:cluster.availabilityZones"), keys.join(", "));
        }
    });

    describe("through the render (--previous-outputs)", function () {
        this.timeout(120_000);
        let dir: string;
        before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "roll-skew-"))));
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        const renderDev = async (previous: unknown, name: string) => {
            const file = path.join(dir, `${name}.json`);
            fs.writeFileSync(file, JSON.stringify(previous));
            let stderr = "";
            const out = path.join(dir, name);
            const code = await main(["--stack", "dev", "--out", out, "--previous-outputs", file], { out: () => undefined, err: (t) => (stderr += t) });
            return { code, stderr, out };
        };

        it("exits 2 with one line naming the key, the value and what is allowed when the cluster runs two minors behind", async () => {
            const { code, stderr, out } = await renderDev({ kubernetesVersion: "1.33.4", kubeconfig: "[secret]" }, "too-old");
            assert.strictEqual(code, 2, stderr);
            assert.deepStrictEqual(stderr.trim().split("\n").length, 1, stderr);
            assert.match(stderr, /^k8s-aws:cluster\.kubernetesVersion: "1\.35" is not valid; allowed: .*the cluster runs 1\.33\.4/);
            assert.ok(!fs.existsSync(out), "nothing written");
        });

        it("renders when the previous outputs are a render's own plan.json at the same version", async () => {
            const first = await renderDev({}, "first");
            assert.strictEqual(first.code, 0, first.stderr);
            const plan = JSON.parse(fs.readFileSync(path.join(first.out, "plan.json"), "utf8"));
            assert.strictEqual(plan.outputs.kubernetesVersion, KUBERNETES_RELEASES["1.35"]);
            const again = await renderDev(plan, "again");
            assert.strictEqual(again.code, 0, again.stderr);
        });

        it("exits 2 naming the option for an unreadable file", async () => {
            let stderr = "";
            const code = await main(["--stack", "dev", "--out", path.join(dir, "x"), "--previous-outputs", path.join(dir, "missing.json")], { out: () => undefined, err: (t) => (stderr += t) });
            assert.strictEqual(code, 2);
            assert.match(stderr, /^--previous-outputs: ".*missing\.json" is not valid; allowed: a JSON file .*ENOENT\n$/);
        });
    });
});
