/**
 * The version a change of kubernetesVersion is judged against is npm run roll's record
 * (config/rolled.ts), not the stack's previous outputs, which run ahead of the cluster between
 * `pulumi up` and the roll; the minor-tied addon pins follow the running minor
 * (config/addonHold.ts); a deliberate minor rollback passes only with the override naming it.
 * Rung 1 (our rules), then through the offline render whose mocked SSM answers as AWS does.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { judgedAgainst, rolledRecordSource } from "../../config/rolled";
import { addonMinor } from "../../config/addonHold";
import { OVERRIDE_KEY, RunningVersion, versionSkewProblems } from "../../config/skew";
import { ConfigError, formatProblem, validateClusterConfig } from "../../config";
import { KUBERNETES_RELEASES, KubernetesMinor } from "../../config/versions";
import { rawStack } from "../support/fixtures";
import { main } from "../../tools/render";

const KEY = "k8s-aws:cluster.kubernetesVersion";
const RECORD = rolledRecordSource("prod");
const PREVIOUS = "the stack's previous outputs";
const rec = (version: string): RunningVersion => ({ version, source: RECORD });
const prev = (version: string): RunningVersion => ({ version, source: PREVIOUS });

describe("version skew judged against npm run roll's record", () => {
    const cases: { name: string; rolled?: string; previous?: string; wanted: KubernetesMinor; ok: boolean; mentions?: RegExp }[] = [
        {
            name: "pulumi up to 1.36 done, roll not done, then 1.37 (the gap the record closes)",
            rolled: "1.35.9",
            previous: "1.36.4",
            wanted: "1.37",
            ok: false,
            mentions: /allowed: 1\.35 or 1\.36: the cluster runs 1\.35\.9 \(npm run roll's record, SSM parameter \/k8s-aws\/prod\/rolled-kubernetes-version\); .*deploy and roll 1\.36 first/,
        },
        { name: "pulumi up to 1.36 again while the roll is pending", rolled: "1.35.9", previous: "1.36.4", wanted: "1.36", ok: true },
        { name: "backing out an upgrade that was never rolled (templates back to the running minor)", rolled: "1.35.9", previous: "1.36.4", wanted: "1.35", ok: true },
        { name: "after the roll recorded 1.36, the next minor", rolled: "1.36.4", previous: "1.36.4", wanted: "1.37", ok: true },
        {
            name: "the record wins over outputs that lag behind it",
            rolled: "1.36.4",
            previous: "1.35.9",
            wanted: "1.35",
            ok: false,
            mentions: /the cluster runs 1\.36\.4 \(npm run roll's record.*never downgraded/,
        },
        { name: "no record (a stack deployed before it): the previous outputs", previous: "1.35.9", wanted: "1.37", ok: false, mentions: /the cluster runs 1\.35\.9 \(the stack's previous outputs\)/ },
        { name: "neither (a first deployment)", wanted: "1.37", ok: true },
        {
            name: "a record that is not x.y.z",
            rolled: "1.36",
            previous: "1.35.9",
            wanted: "1.36",
            ok: false,
            mentions: /npm run roll's record.* give kubernetesVersion "1\.36", not a released x\.y\.z/,
        },
    ];
    for (const c of cases) {
        it(`${c.name}: ${c.ok ? "accepted" : "refused"}`, () => {
            const running = judgedAgainst(c.rolled === undefined ? undefined : rec(c.rolled), c.previous === undefined ? undefined : prev(c.previous));
            const problems = versionSkewProblems(c.wanted, KUBERNETES_RELEASES[c.wanted], running);
            if (c.ok) return assert.deepStrictEqual(problems, []);
            assert.strictEqual(problems.length, 1, JSON.stringify(problems));
            assert.strictEqual(problems[0].key, KEY);
            assert.match(formatProblem(problems[0]), c.mentions!);
        });
    }
});

describe("addon pins tied to the minor follow min(running minor, wanted minor)", () => {
    const cases: { name: string; running?: RunningVersion; wanted: KubernetesMinor; minor: KubernetesMinor; held: boolean }[] = [
        { name: "a first deployment", wanted: "1.36", minor: "1.36", held: false },
        { name: "the same minor", running: rec("1.35.9"), wanted: "1.35", minor: "1.35", held: false },
        { name: "an upgrade not yet rolled: held at the running minor", running: rec("1.35.9"), wanted: "1.36", minor: "1.35", held: true },
        { name: "the upgrade after the roll recorded it: they move", running: rec("1.36.4"), wanted: "1.36", minor: "1.36", held: false },
        { name: "a rollback: they move down at once (older than the API server is within the policy)", running: rec("1.36.4"), wanted: "1.35", minor: "1.35", held: false },
        { name: "a cluster older than every pin: the oldest pin", running: prev("1.34.3"), wanted: "1.35", minor: "1.35", held: false },
        { name: "an unreadable running version: the wanted minor (the skew check refuses it anyway)", running: prev("latest"), wanted: "1.36", minor: "1.36", held: false },
    ];
    for (const c of cases) {
        it(`${c.name}: ${c.minor}${c.held ? " (held)" : ""}`, () => {
            const a = addonMinor(c.wanted, c.running);
            assert.strictEqual(a.minor, c.minor);
            assert.strictEqual(a.heldBecause !== undefined, c.held, JSON.stringify(a));
            if (c.held) assert.match(a.heldBecause!, new RegExp(`runs 1\\.35\\.9 .*until npm run roll records ${c.wanted.replace(".", "\\.")}`));
        });
    }
});

describe("k8s-aws:cluster.upgrade.allowMinorDowngrade: one named rollback, refused otherwise", () => {
    const problemsOf = (cluster: Record<string, unknown>, running: RunningVersion | undefined): string[] => {
        try {
            validateClusterConfig({ ...rawStack(cluster), running });
            return [];
        } catch (e) {
            assert.ok(ConfigError.is(e), String(e));
            return e.problems.map(formatProblem);
        }
    };
    const cases: { name: string; cluster: Record<string, unknown>; running?: RunningVersion; lines: RegExp[] }[] = [
        { name: "the exact one-minor rollback is allowed", cluster: { kubernetesVersion: "1.35", upgrade: { allowMinorDowngrade: "1.36->1.35" } }, running: rec("1.36.4"), lines: [] },
        {
            name: "a rollback without it is refused, pointing at the runbook and the key",
            cluster: { kubernetesVersion: "1.35" },
            running: rec("1.36.4"),
            lines: [
                /^k8s-aws:cluster\.kubernetesVersion: "1\.35" is not valid; allowed: .*never downgraded.*docs\/runbooks\/restore-etcd\.md\), then set k8s-aws:cluster\.upgrade\.allowMinorDowngrade: "1\.36->1\.35" for that one deployment$/,
            ],
        },
        {
            name: "naming another transition",
            cluster: { kubernetesVersion: "1.35", upgrade: { allowMinorDowngrade: "1.37->1.36" } },
            running: rec("1.36.4"),
            lines: [
                /^k8s-aws:cluster\.upgrade\.allowMinorDowngrade: "1\.37->1\.36" is not valid; allowed: "1\.36->1\.35" only, the transition this deployment makes \(the cluster runs 1\.36\.4 .*restore-etcd\.md/,
            ],
        },
        {
            name: "two minors down, even when named",
            cluster: { kubernetesVersion: "1.35", upgrade: { allowMinorDowngrade: "1.37->1.35" } },
            running: rec("1.37.1"),
            lines: [/^k8s-aws:cluster\.upgrade\.allowMinorDowngrade: "1\.37->1\.35" is not valid; allowed: a rollback of one minor only \(this one is 2\)/],
        },
        {
            name: "left set once the record shows the older minor (stale)",
            cluster: { kubernetesVersion: "1.35", upgrade: { allowMinorDowngrade: "1.36->1.35" } },
            running: rec("1.35.9"),
            lines: [/^k8s-aws:cluster\.upgrade\.allowMinorDowngrade: "1\.36->1\.35" is not valid; allowed: unset: the cluster runs 1\.35\.9 .*no minor downgrade/],
        },
        {
            name: "set on an upgrade",
            cluster: { kubernetesVersion: "1.36", upgrade: { allowMinorDowngrade: "1.35->1.36" } },
            running: rec("1.35.9"),
            lines: [/^k8s-aws:cluster\.upgrade\.allowMinorDowngrade: "1\.35->1\.36" is not valid; allowed: unset: .*no minor downgrade/],
        },
        {
            name: "set on a first deployment",
            cluster: { kubernetesVersion: "1.35", upgrade: { allowMinorDowngrade: "1.36->1.35" } },
            running: undefined,
            lines: [/^k8s-aws:cluster\.upgrade\.allowMinorDowngrade: "1\.36->1\.35" is not valid; allowed: unset: no running version is known/],
        },
        {
            name: "not a transition",
            cluster: { kubernetesVersion: "1.35", upgrade: { allowMinorDowngrade: "yes" } },
            running: rec("1.36.4"),
            lines: [
                /^k8s-aws:cluster\.upgrade\.allowMinorDowngrade: "yes" is not valid; allowed: one exact transition "<running minor>-><kubernetesVersion>"/,
                /^k8s-aws:cluster\.kubernetesVersion: "1\.35" is not valid; allowed: .*never downgraded/,
            ],
        },
    ];
    it("every refusal of the override names its key", () => {
        const lines = problemsOf({ kubernetesVersion: "1.36", upgrade: { allowMinorDowngrade: "1.35->1.36" } }, rec("1.35.9"));
        assert.ok(
            lines.every((l) => l.startsWith(`${OVERRIDE_KEY}: `)),
            lines.join("\n"),
        );
    });
    for (const c of cases) {
        it(`${c.name}`, () => {
            const lines = problemsOf(c.cluster, c.running);
            assert.strictEqual(lines.length, c.lines.length, lines.join("\n"));
            c.lines.forEach((re) =>
                assert.ok(
                    lines.some((l) => re.test(l)),
                    `${re}\n${lines.join("\n")}`,
                ),
            );
        });
    }
});

describe("through the render: --rolled-version is the SSM record the mocked account holds", function () {
    this.timeout(180_000);
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "version-record-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const devWith = (edit: string): string => {
        const text = fs.readFileSync(path.join(__dirname, "../../stacks/Pulumi.dev.yaml"), "utf8");
        assert.match(text, /kubernetesVersion: "1\.35"/);
        const sub = path.join(dir, `s${fs.readdirSync(dir).length}`);
        fs.mkdirSync(sub);
        const file = path.join(sub, "Pulumi.dev.yaml");
        fs.writeFileSync(file, text.replace(/kubernetesVersion: "1\.35"/, edit));
        return file;
    };
    const render = async (args: string[]) => {
        let stderr = "";
        let stdout = "";
        const out = path.join(dir, `out${fs.readdirSync(dir).length}`);
        const code = await main([...args, "--out", out], { out: (t) => (stdout += t), err: (t) => (stderr += t) });
        return { code, stdout, stderr, out };
    };

    it("refuses 1.37 when the outputs say 1.36.4 but the record says 1.35.9: exit 2, one line, nothing written", async () => {
        const previous = path.join(dir, "previous.json");
        fs.writeFileSync(previous, JSON.stringify({ kubernetesVersion: "1.36.4" }));
        const r = await render(["--stack-file", devWith('kubernetesVersion: "1.37"'), "--previous-outputs", previous, "--rolled-version", "1.35.9"]);
        assert.strictEqual(r.code, 2, r.stderr);
        assert.strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
        assert.match(
            r.stderr,
            /^k8s-aws:cluster\.kubernetesVersion: "1\.37" is not valid; allowed: 1\.35 or 1\.36: the cluster runs 1\.35\.9 \(npm run roll's record, SSM parameter \/k8s-aws\/dev\/rolled-kubernetes-version\)/,
        );
        assert.ok(!fs.existsSync(r.out));
        // The same stack without the record (a stack deployed before it) is judged against the outputs, and passes: the gap the record closes.
        const without = await render(["--stack-file", devWith('kubernetesVersion: "1.37"'), "--previous-outputs", previous]);
        assert.strictEqual(without.code, 0, without.stderr);
    });

    it("holds the cloud controller at the recorded minor while 1.36 waits for the roll, and says so in the rollout output and the summary", async () => {
        const r = await render(["--stack-file", devWith('kubernetesVersion: "1.36"'), "--rolled-version", "1.35.9"]);
        assert.strictEqual(r.code, 0, r.stderr);
        const plan = JSON.parse(fs.readFileSync(path.join(r.out, "plan.json"), "utf8"));
        assert.strictEqual(plan.outputs.kubernetesVersion, KUBERNETES_RELEASES["1.36"]);
        assert.strictEqual(plan.outputs.rollout.addons.minor, "1.35");
        assert.match(plan.outputs.rollout.addons.heldBecause, /runs 1\.35\.9/);
        assert.match(fs.readFileSync(path.join(r.out, "manifests", "dev-addons-aws-cloud-controller.yaml"), "utf8"), /tag: v1\.35\.2\n/);
        assert.match(r.stdout, /^Addons held: .* stay at 1\.35: .*they move on the first pulumi up after the roll$/m);
        // The record exists: the program's parameter keeps its value on update (ignoreChanges), whatever it would be created with.
        const param = plan.resources.find((x: { type: string }) => x.type === "aws:ssm/parameter:Parameter");
        assert.strictEqual(param.inputs.name, "/k8s-aws/dev/rolled-kubernetes-version");
        assert.strictEqual(param.inputs.insecureValue, "1.35.9");
    });

    it("moves the addons once the record says 1.36", async () => {
        const r = await render(["--stack-file", devWith('kubernetesVersion: "1.36"'), "--rolled-version", "1.36.4"]);
        assert.strictEqual(r.code, 0, r.stderr);
        const plan = JSON.parse(fs.readFileSync(path.join(r.out, "plan.json"), "utf8"));
        assert.deepStrictEqual(plan.outputs.rollout.addons, { minor: "1.36" });
        assert.match(fs.readFileSync(path.join(r.out, "manifests", "dev-addons-aws-cloud-controller.yaml"), "utf8"), /tag: v1\.36\.1\n/);
        assert.doesNotMatch(r.stdout, /Addons held/);
    });

    it("a rollback with the override names the record's minor; without it, exit 2 naming the key to set", async () => {
        const refused = await render(["--stack-file", devWith('kubernetesVersion: "1.35"'), "--rolled-version", "1.36.4"]);
        assert.strictEqual(refused.code, 2, refused.stderr);
        assert.match(refused.stderr, /allowMinorDowngrade: "1\.36->1\.35"/);
        const allowed = await render(["--stack-file", devWith('kubernetesVersion: "1.35"\n    upgrade:\n      allowMinorDowngrade: "1.36->1.35"'), "--rolled-version", "1.36.4"]);
        assert.strictEqual(allowed.code, 0, allowed.stderr);
    });
});
