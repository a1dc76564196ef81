/**
 * The real Pulumi engine runs the program for the dev stack (rung 3 for the engine, the state
 * backend and the provider protocol; the providers are the stand-ins of tools/standin-providers/,
 * so what AWS would answer stays rung 1). See engine.ts for why the program is served in-process.
 * The stand-in account keeps the SSM parameters the program creates outside Pulumi's state, as AWS
 * does, so the roll's version record is read back by the program's data source (config/rolled.ts).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { EngineStack, initStack, pulumiCliOrSkip, ROOT } from "./engine";
import { atomsOf } from "../support/secretScan";
import { worldParametersFile } from "../../tools/standin-providers/provider";
import { KUBERNETES_RELEASES } from "../../config/versions";
import { rolledVersionParameterName } from "../../lib/naming";

/** Every string the engine holds as a secret in a `--show-secrets` export (its plaintext, decrypted). */
function exportedSecrets(value: unknown, out: string[] = []): string[] {
    if (Array.isArray(value)) value.forEach((v) => exportedSecrets(v, out));
    else if (value && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (o["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270" && typeof o.plaintext === "string") {
            const flat = (v: unknown): void => {
                if (typeof v === "string") out.push(v);
                else if (v && typeof v === "object") Object.values(v).forEach(flat);
            };
            flat(JSON.parse(o.plaintext));
        } else Object.values(o).forEach((v) => exportedSecrets(v, out));
    }
    return out;
}

const STACK = "dev";
/** The roll's record of the dev cluster (config/rolled.ts). */
const RECORD = rolledVersionParameterName("dev");

interface Rendered {
    /** URNs the offline render registers (plan.json), which the engine must register too. */
    readonly urns: string[];
    /** The offline policy runner's violations (policy-report.json), as `<level> <policy>`. */
    readonly violations: string[];
}

/** Runs the offline render for a stack, with the stack's policy configuration. */
function render(stack: string): Rendered {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-engine-render-"));
    try {
        const r = spawnSync(
            process.execPath,
            [
                require.resolve("ts-node/dist/bin.js"),
                "--transpile-only",
                path.join(ROOT, "tools", "render.ts"),
                "--stack",
                stack,
                "--out",
                out,
                "--policy-config",
                path.join(ROOT, "policies", "config", `${stack}.json`),
            ],
            {
                cwd: ROOT,
                encoding: "utf8",
                timeout: 300_000,
            },
        );
        assert.strictEqual(r.status, 0, `render failed: ${r.stderr}`);
        const plan = JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8")) as { resources: { urn: string }[] };
        const report = JSON.parse(fs.readFileSync(path.join(out, "policy-report.json"), "utf8")) as { violations: { policy: string; enforcementLevel: string }[] };
        return {
            urns: plan.resources.map((x) => x.urn).sort(),
            violations: [...new Set(report.violations.map((v) => `${v.enforcementLevel} ${v.policy}`))].sort(),
        };
    } finally {
        fs.rmSync(out, { recursive: true, force: true });
    }
}

/**
 * The engine's own registrations: the stack resource and its default providers are not the program's.
 * Nor is the StackReference the program reads its own previous outputs through (config/previous.ts):
 * a read, not a registration, which the render's mock answers without recording; checked on its own below.
 */
const STACK_REFERENCE = "pulumi:pulumi:StackReference";
const isProgramResource = (urn: string, type: string) =>
    type !== "pulumi:pulumi:Stack" && type !== STACK_REFERENCE && !(type.startsWith("pulumi:providers:") && urn.endsWith("::default")) && !/::default_[0-9_]+$/.test(urn);

function recordUrns(events: EngineEvent[]): string[] {
    const urns = new Set<string>();
    for (const e of events) {
        const m = e.resourcePreEvent?.metadata;
        if (m && isProgramResource(m.urn, m.type)) urns.add(m.urn);
    }
    return [...urns].sort();
}

const seconds = (start: number) => ((Date.now() - start) / 1000).toFixed(1);

describe(`the real Pulumi engine, ${STACK} stack, stand-in providers`, function () {
    this.timeout(20 * 60_000);
    let engine: EngineStack | undefined;
    let expected: string[];
    let rendered: Rendered;
    const walls: Record<string, string> = {};

    /** Runs `body` with the stack's kubernetesVersion set to `minor`, then puts the stack file's value back. */
    async function withKubernetesVersion(minor: string, body: () => Promise<void>): Promise<void> {
        const original = (await engine!.stack.getConfig("k8s-aws:cluster")).value;
        await engine!.stack.setConfig("k8s-aws:cluster", { value: JSON.stringify({ ...JSON.parse(original), kubernetesVersion: minor }) });
        try {
            await body();
        } finally {
            await engine!.stack.setConfig("k8s-aws:cluster", { value: original });
        }
    }

    before(async function () {
        const cli = pulumiCliOrSkip(this);
        rendered = render(STACK);
        expected = rendered.urns;
        const { main } = await import("../../program");
        const { apiWaiter } = await import("../../addons/provider");
        // The stand-in world has no API server to answer /readyz (as under the render's mocks): the
        // addons' provider is released at once instead of after the 20-minute wait for a real cluster.
        apiWaiter.current = async () => undefined;
        engine = await initStack(cli, STACK, path.join(ROOT, "stacks", `Pulumi.${STACK}.yaml`), async () => main());
    });

    after(() => {
        engine?.cleanup();
        if (Object.keys(walls).length > 0) console.log(`      wall times (s): ${JSON.stringify(walls)}`);
    });

    it("`pulumi preview` succeeds and registers exactly the resources the render does", async () => {
        const events: EngineEvent[] = [];
        const start = Date.now();
        const result = await engine!.stack.preview({ onEvent: (e) => events.push(e) });
        walls.preview = seconds(start);
        const urns = recordUrns(events);
        assert.deepStrictEqual(urns, expected, `engine registered ${urns.length}, render ${expected.length}`);
        // The real engine answers the program's StackReference to its own stack (no outputs yet: never deployed).
        const reads = events
            .map((e) => e.resourcePreEvent?.metadata)
            .filter((m) => m?.type === STACK_REFERENCE)
            .map((m) => `${m!.op} ${m!.urn.split("::").pop()}`);
        assert.deepStrictEqual([...new Set(reads)], [`read ${STACK}-previous-outputs`]);
        assert.ok((result.changeSummary.create ?? 0) >= expected.length, JSON.stringify(result.changeSummary));
        walls.previewResources = `${urns.length} (render ${expected.length})`;
    });

    /** The pack's verdicts in the engine's events, split from the "can't run during preview" notices. */
    function policyVerdicts(events: EngineEvent[]) {
        const all = events.filter((e) => e.policyEvent).map((e) => e.policyEvent!);
        const unknown = (m: string) => /^can't run policy '[^']+' from policy pack '[^']+' during preview: .* can't be known during preview/.test(m);
        return {
            violations: [...new Set(all.filter((p) => !unknown(p.message)).map((p) => `${p.enforcementLevel} ${p.policyName}`))].sort(),
            unverifiable: [...new Set(all.filter((p) => unknown(p.message)).map((p) => `${p.policyName} (${p.message.trim().replace(/^.*during preview: /, "")})`))].sort(),
        };
    }
    const POLICY_ARGS = { policyPacks: [path.join(ROOT, "policies")], policyPackConfigs: [path.join(ROOT, "policies", "config", `${STACK}.json`)] };
    /** The engine lists every pack its analyzer ran under "Policies:" (name@version, where it came from). */
    const PACK_RAN = /Policies:\s+\S*\s*k8s-aws@v?0\.1\.0/;

    it("`pulumi preview --policy-pack policies` loads the pack in the real analyzer; what it can judge matches the offline runner", async () => {
        const events: EngineEvent[] = [];
        const start = Date.now();
        const result = await engine!.stack.preview({ ...POLICY_ARGS, onEvent: (e) => events.push(e) });
        walls.policyPreview = seconds(start);
        assert.match(result.stdout, PACK_RAN, `policy pack k8s-aws not run by the engine:\n${result.stdout}`);
        const { violations, unverifiable } = policyVerdicts(events);
        assert.deepStrictEqual(violations, rendered.violations);
        // Before the first `up`, a policy reading a value the providers compute cannot run in a
        // preview (@pulumi/policy reports it as an advisory notice); the render's mocks know those
        // values, the engine does not. Recorded, not hidden: `pulumi up --policy-pack` below judges them.
        console.log(`      policies the engine could not run in a first preview (${unverifiable.length}):\n        ${unverifiable.join("\n        ")}`);
    });

    it("`pulumi up --yes --policy-pack policies` creates them all, every policy judges known values as the offline runner does, and the state holds every one with an id", async () => {
        const events: EngineEvent[] = [];
        const start = Date.now();
        const result = await engine!.stack.up({ ...POLICY_ARGS, onEvent: (e) => events.push(e) });
        walls.up = seconds(start);
        assert.strictEqual(result.summary.result, "succeeded");
        assert.match(result.stdout, PACK_RAN, `policy pack k8s-aws not run by the engine:\n${result.stdout}`);
        assert.deepStrictEqual(policyVerdicts(events), { violations: rendered.violations, unverifiable: [] });
        const state = (await engine!.stack.exportStack()).deployment as { resources: { urn: string; type: string; custom: boolean; id?: string }[] };
        const urns = state.resources
            .filter((r) => isProgramResource(r.urn, r.type))
            .map((r) => r.urn)
            .sort();
        assert.deepStrictEqual(urns, expected);
        const withoutId = state.resources.filter((r) => r.custom && !r.id).map((r) => r.urn);
        assert.deepStrictEqual(withoutId, [], "custom resources the engine stored without an id");
    });

    it("`pulumi stack export` holds no secret value in plain text (keys, token, kubeconfig, encryption key)", async () => {
        const cli = process.env.PATH!.split(path.delimiter)[0];
        const run = (extra: string[]) => {
            const r = spawnSync(path.join(cli, "pulumi"), ["stack", "export", "--stack", STACK, ...extra], {
                cwd: engine!.stack.workspace.workDir,
                env: { ...process.env, ...engine!.env },
                encoding: "utf8",
                maxBuffer: 256 << 20,
            });
            assert.strictEqual(r.status, 0, r.stderr);
            return r.stdout;
        };
        const secrets = exportedSecrets(JSON.parse(run(["--show-secrets"])));
        assert.ok(
            secrets.some((x) => x.includes("PRIVATE KEY")),
            "the decrypted export holds no private key: the secrets were not found",
        );
        const plain = run([]);
        const leaked = [...new Set(secrets.flatMap(atomsOf))].filter((a) => plain.includes(a));
        assert.deepStrictEqual(
            leaked.map((a) => `${a.slice(0, 24)}...`),
            [],
            "secret material in plain text in `pulumi stack export`",
        );
    });

    it("`pulumi preview --expect-no-changes` after the update shows nothing to do (idempotence)", async () => {
        const start = Date.now();
        const result = await engine!.stack.preview({ expectNoChanges: true });
        walls.noChangePreview = seconds(start);
        // Only "same", and the one read of the stack's own previous outputs (a StackReference is read on every run; it changes nothing).
        assert.deepStrictEqual(
            Object.keys(result.changeSummary).filter((op) => op !== "same" && op !== "read"),
            [],
            JSON.stringify(result.changeSummary),
        );
        assert.ok((result.changeSummary.read ?? 0) <= 1, JSON.stringify(result.changeSummary));
    });

    it("a change two minors above what the stack runs is refused: the engine reads the roll's record the first up created (config/skew.ts, config/rolled.ts)", async () => {
        assert.deepStrictEqual(
            JSON.parse(fs.readFileSync(worldParametersFile(engine!.env.K8S_AWS_STANDIN_WORLD)!, "utf8")),
            { [RECORD]: KUBERNETES_RELEASES["1.35"] },
            "created once, with the version deployed",
        );
        await withKubernetesVersion("1.37", async () => {
            await assert.rejects(engine!.stack.preview(), (e: Error) => {
                assert.match(
                    e.message,
                    new RegExp(
                        `k8s-aws:cluster\\.kubernetesVersion: "1\\.37" is not valid; allowed: 1\\.35 or 1\\.36: the cluster runs 1\\.35\\.\\d+ \\(npm run roll's record, SSM parameter ${RECORD}\\)`,
                    ),
                );
                return true;
            });
        });
    });

    it("after `pulumi up` to the next minor the record, not the outputs, says what runs: addons stay held, the minor after is refused; once the roll records it, addons move", async () => {
        const rolloutOf = async () => ((await engine!.stack.outputs()).rollout?.value ?? {}) as { kubernetesVersion?: string; addons?: { minor: string; heldBecause?: string } };
        await withKubernetesVersion("1.36", async () => {
            const up = await engine!.stack.up();
            assert.strictEqual(up.summary.result, "succeeded");
            // The launch templates install 1.36, the instances still run 1.35 until `npm run roll`: the per-minor addons wait.
            const rollout = await rolloutOf();
            assert.strictEqual(rollout.kubernetesVersion, KUBERNETES_RELEASES["1.36"]);
            assert.strictEqual(rollout.addons?.minor, "1.35");
            assert.match(rollout.addons?.heldBecause ?? "", /the control plane runs 1\.35\.\d+ \(npm run roll's record/);
            assert.strictEqual(JSON.parse(fs.readFileSync(worldParametersFile(engine!.env.K8S_AWS_STANDIN_WORLD)!, "utf8"))[RECORD], KUBERNETES_RELEASES["1.35"], "pulumi up never changes the record");
            // The hole the record closes: the outputs say 1.36, yet 1.37 is still two minors above what runs.
            await withKubernetesVersion("1.37", async () => {
                await assert.rejects(engine!.stack.preview(), (e: Error) => {
                    assert.match(e.message, /k8s-aws:cluster\.kubernetesVersion: "1\.37" is not valid; allowed: 1\.35 or 1\.36: the cluster runs 1\.35/);
                    return true;
                });
            });
            // `npm run roll` finishes and records 1.36 (its PutParameter, out of Pulumi's state); the next up moves the addons.
            fs.writeFileSync(worldParametersFile(engine!.env.K8S_AWS_STANDIN_WORLD)!, JSON.stringify({ [RECORD]: KUBERNETES_RELEASES["1.36"] }));
            const again = await engine!.stack.up();
            assert.strictEqual(again.summary.result, "succeeded");
            assert.deepStrictEqual((await rolloutOf()).addons, { minor: "1.36" });
            assert.strictEqual(
                JSON.parse(fs.readFileSync(worldParametersFile(engine!.env.K8S_AWS_STANDIN_WORLD)!, "utf8"))[RECORD],
                KUBERNETES_RELEASES["1.36"],
                "ignoreChanges: the roll's value stays",
            );
        });
    });

    it("`pulumi destroy --yes` removes everything", async () => {
        const start = Date.now();
        const result = await engine!.stack.destroy();
        walls.destroy = seconds(start);
        assert.strictEqual(result.summary.result, "succeeded");
        const state = (await engine!.stack.exportStack()).deployment as { resources?: unknown[] };
        assert.deepStrictEqual(state.resources ?? [], []);
        // The record went with the stack (the provider's delete of the parameter).
        assert.deepStrictEqual(JSON.parse(fs.readFileSync(worldParametersFile(engine!.env.K8S_AWS_STANDIN_WORLD)!, "utf8")), {});
    });
});
