/**
 * The in-process half of the benchmark, run as a child process so its module
 * cache starts cold: `node [-r ts-node/register/transpile-only] runner.(js|ts) <job.json>`.
 * Loads the render once, then times render() (program under mocks + plan +
 * policies + cost + files) in round-robin passes over the stacks, the policy pack and the cost
 * estimate alone on each plan, and the policy pack over plans of growing
 * size. Prints one `BENCH-RESULT <json>` line.
 */
import * as fs from "fs";
import * as path from "path";
import type { Plan } from "../offline/plan";

export interface RunnerJob {
    readonly stacks: { readonly name: string; readonly stackFile?: string }[];
    readonly runs: number;
    readonly outRoot: string;
    /** Policy scaling: the plan of `base` replicated `factors` times. */
    readonly policyScaling?: { readonly base: string; readonly factors: number[]; readonly runs: number };
}

export interface StackTiming {
    readonly name: string;
    readonly ok: boolean;
    readonly error?: string;
    readonly exitCode?: 0 | 1;
    readonly resources: number;
    readonly components: number;
    /** The first render() of this stack in the process (the very first also loads and compiles the program). */
    readonly firstMs: number;
    readonly renderMs: number[];
    readonly policyMs: number[];
    readonly costMs: number[];
    readonly outDir: string;
}

export interface PolicyPoint {
    readonly resources: number;
    readonly ms: number[];
}

export interface RunnerResult {
    readonly loadMs: number;
    readonly mode: string;
    readonly stacks: StackTiming[];
    readonly policyScaling: PolicyPoint[];
    readonly maxRssMiB: number;
}

function timed<T>(f: () => T): [T, number] {
    const t0 = performance.now();
    const v = f();
    return [v, performance.now() - t0];
}

async function timedAsync<T>(f: () => Promise<T>): Promise<[T, number]> {
    const t0 = performance.now();
    const v = await f();
    return [v, performance.now() - t0];
}

/** The plan k times over, every copy with its own URNs (parents remapped within the copy). */
export function replicatePlan(plan: Plan, k: number): Plan {
    const resources = [];
    for (let i = 0; i < k; i++) {
        const sfx = i === 0 ? "" : `-x${i}`;
        for (const r of plan.resources) resources.push({ ...r, urn: `${r.urn}${sfx}`, name: `${r.name}${sfx}`, parent: r.parent ? `${r.parent}${sfx}` : null });
    }
    return { ...plan, resources };
}

async function main(jobFile: string): Promise<void> {
    const job = JSON.parse(fs.readFileSync(jobFile, "utf8")) as RunnerJob;
    // Loaded here, not imported, so that their load time is measured (loadMs).
    /* eslint-disable @typescript-eslint/no-require-imports */
    const [mods, loadMs] = timed(() => ({
        render: require("../offline/render") as typeof import("../offline/render"),
        policies: require("../../policies/offline") as typeof import("../../policies/offline"),
        cost: require("../cost") as typeof import("../cost"),
    }));
    /* eslint-enable @typescript-eslint/no-require-imports */
    // Round-robin: a warm-up pass over every stack, then `runs` passes that render each stack once,
    // so a burst of load on a shared machine spreads over all stacks instead of landing on one.
    interface Acc {
        name: string;
        opts: { stack: string; stackFile?: string; outDir: string };
        firstMs: number;
        renderMs: number[];
        last?: Awaited<ReturnType<typeof mods.render.render>>;
        error?: string;
    }
    const accs: Acc[] = job.stacks.map((s) => ({ name: s.name, opts: { stack: s.name, stackFile: s.stackFile, outDir: path.join(job.outRoot, s.name) }, firstMs: NaN, renderMs: [] }));
    for (let pass = 0; pass <= job.runs; pass++) {
        for (const a of accs) {
            if (a.error) continue;
            try {
                const [r, t] = await timedAsync(() => mods.render.render(a.opts));
                if (pass === 0) a.firstMs = t;
                else a.renderMs.push(t);
                a.last = r;
            } catch (e) {
                a.error = (e as Error).message.split("\n").slice(0, 2).join(" ");
            }
        }
    }
    const stacks: StackTiming[] = [];
    const plans = new Map<string, Plan>();
    for (const a of accs) {
        if (a.error || !a.last) {
            stacks.push({ name: a.name, ok: false, error: a.error ?? "no render", resources: 0, components: 0, firstMs: NaN, renderMs: [], policyMs: [], costMs: [], outDir: a.opts.outDir });
            continue;
        }
        const plan = a.last.plan;
        plans.set(a.name, plan);
        const configFile = mods.render.defaultPolicyConfigFile(a.name);
        const policyConfig = configFile ? JSON.parse(fs.readFileSync(configFile, "utf8")) : undefined;
        const policyMs: number[] = [];
        const costMs: number[] = [];
        for (let i = 0; i < job.runs; i++) {
            policyMs.push(timed(() => mods.policies.runPolicies(plan, policyConfig))[1]);
            costMs.push(timed(() => mods.cost.estimateStackCost(plan))[1]);
        }
        const custom = plan.resources.filter((r) => r.custom).length;
        stacks.push({
            name: a.name,
            ok: true,
            exitCode: a.last.report.summary.mandatory > 0 ? 1 : 0,
            resources: custom,
            components: plan.resources.length - custom,
            firstMs: a.firstMs,
            renderMs: a.renderMs,
            policyMs,
            costMs,
            outDir: a.opts.outDir,
        });
    }
    const policyScaling: PolicyPoint[] = [];
    const base = job.policyScaling ? plans.get(job.policyScaling.base) : undefined;
    if (job.policyScaling && base) {
        for (const k of job.policyScaling.factors) {
            const plan = replicatePlan(base, k);
            const times: number[] = [];
            for (let i = 0; i < job.policyScaling.runs; i++) times.push(timed(() => mods.policies.runPolicies(plan))[1]);
            policyScaling.push({ resources: plan.resources.length, ms: times });
        }
    }
    const result: RunnerResult = {
        loadMs,
        mode: __filename.endsWith(".js") ? "compiled" : "ts-node",
        stacks,
        policyScaling,
        maxRssMiB: process.resourceUsage().maxRSS / 1024,
    };
    process.stdout.write(`\nBENCH-RESULT ${JSON.stringify(result)}\n`);
}

if (require.main === module) {
    main(process.argv[2]).then(
        () => process.exit(0),
        (e) => {
            process.stderr.write(`${(e as Error).stack}\n`);
            process.exit(3);
        },
    );
}
