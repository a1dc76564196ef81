/**
 * The real Pulumi engine runs the program for the dev stack (rung 3 for the engine, the state
 * backend and the provider protocol; the providers are the stand-ins of tools/standin-providers/,
 * so what AWS would answer stays rung 1). See engine.ts for why the program is served in-process.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { EngineStack, initStack, pulumiCliOrSkip, ROOT } from "./engine";

const STACK = "dev";

/** URNs the offline render registers for a stack (its plan.json), the count the engine must match. */
function renderedUrns(stack: string): string[] {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-engine-render-"));
    try {
        const r = spawnSync(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", path.join(ROOT, "tools", "render.ts"), "--stack", stack, "--out", out], {
            cwd: ROOT,
            encoding: "utf8",
            timeout: 300_000,
        });
        assert.strictEqual(r.status, 0, `render failed: ${r.stderr}`);
        const plan = JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8")) as { resources: { urn: string }[] };
        return plan.resources.map((x) => x.urn);
    } finally {
        fs.rmSync(out, { recursive: true, force: true });
    }
}

/** The engine's own registrations: the stack resource and its default providers are not the program's. */
const isProgramResource = (urn: string, type: string) =>
    type !== "pulumi:pulumi:Stack" && !(type.startsWith("pulumi:providers:") && urn.endsWith("::default")) && !/::default_[0-9_]+$/.test(urn);

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
    const walls: Record<string, string> = {};

    before(async function () {
        const cli = pulumiCliOrSkip(this);
        expected = renderedUrns(STACK).sort();
        const { main } = await import("../../program");
        engine = await initStack(cli, STACK, path.join(ROOT, "stacks", `Pulumi.${STACK}.yaml`), async () => main());
    });

    after(() => {
        engine?.cleanup();
        // eslint-disable-next-line no-console
        if (Object.keys(walls).length > 0) console.log(`      wall times (s): ${JSON.stringify(walls)}`);
    });

    it("`pulumi preview` succeeds and registers exactly the resources the render does", async () => {
        const events: EngineEvent[] = [];
        const start = Date.now();
        const result = await engine!.stack.preview({ onEvent: (e) => events.push(e) });
        walls.preview = seconds(start);
        const urns = recordUrns(events);
        assert.deepStrictEqual(urns, expected, `engine registered ${urns.length}, render ${expected.length}`);
        assert.ok((result.changeSummary.create ?? 0) >= expected.length, JSON.stringify(result.changeSummary));
    });
});
