/**
 * `npm run bench [-- --runs N --process-runs N --quick --only a,b --no-failover --failover-runs N --no-compiled --no-process --process-only --json <file> --keep]`
 *
 * Prints figures, never pass/fail (exit 0 unless the benchmark itself breaks):
 *  1. offline render + policy check wall time per stack (the real stacks and
 *     synthetic large ones): as a Node process under ts-node (the way before
 *     issue 23), under tools/tscache (the way `npm run render` runs now), as
 *     the whole `npm run render` command, as a process from a compiled copy,
 *     and in-process after compilation; resources rendered and resources per
 *     second; 1a. the whole command before vs now with the ratio;
 *  2. scaling with node pools (1, 10, 50), with pool size (max 3 vs max
 *     1000) and with control-plane slots (3 over 3 zones vs 5 over 5);
 *  3. the policy pack alone, in ms per 1,000 resources, over growing plans;
 *  4. failover: the etcd tests' measured figures (with --failover-runs N, the
 *     distribution over N repeats, as `npm run bench:failover`), and each
 *     stack's configured detection budgets (API target group health check,
 *     lost slot);
 *  5. monthly cost per stack (the render's cost.json) and the EKS comparison.
 * BENCHMARKS.md records a run with the machine it ran on.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { listStacks, PROJECT_ROOT } from "../offline/stackFile";
import type { CostEstimate } from "../cost";
import { usd } from "../cost/format";
import { compileProject, CompiledCopy } from "./compile";
import { detectionBudgets, ESTIMATE_SOURCE, BOOT_ESTIMATE_S, JOIN_ESTIMATE_S } from "./budgets";
import { FAILOVER_SERIES, FailoverFigures, FailoverSeries, runFailoverSeries, runFailoverTest, seriesTable } from "./failover";
import type { RunnerJob, RunnerResult } from "./runner";
import { fixed, linearFit, median, ms, table } from "./stats";
import { SYNTHETIC, writeSyntheticStacks } from "./synthetic";

interface BenchStack {
    readonly name: string;
    readonly stackFile?: string;
    readonly synthetic: boolean;
    readonly description: string;
}

/**
 * How a render process is started: "ts-node" is how `npm run render` ran before (ts-node
 * --transpile-only, compiling every file in every process), "tscache" is how it runs now
 * (tools/tscache/register.js: transpiled files cached on disk; timed warm, after the first run),
 * "npm run render" is the whole user command (npm's own start-up included), "compiled" a compiled copy.
 */
type ProcessMode = "ts-node" | "tscache" | "npm run render" | "compiled";

interface ProcessTiming {
    readonly mode: ProcessMode;
    readonly wallMs: number[];
    /** user + system CPU of the process tree, NaN without /usr/bin/time */
    readonly cpuMs: number[];
    readonly exitCodes: number[];
    readonly resources: number | null;
    readonly error?: string;
}

const FAILOVER_TESTS = ["test/real/etcd.spec.ts", "test/components/host/etcd.spec.ts", "test/real/controlPlaneProd.spec.ts"];

function machine() {
    const cpus = os.cpus();
    let commit = "unknown";
    let dirty = 0;
    const rev = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: PROJECT_ROOT, encoding: "utf8" });
    if (rev.status === 0) commit = rev.stdout.trim();
    const st = spawnSync("git", ["status", "--porcelain"], { cwd: PROJECT_ROOT, encoding: "utf8" });
    if (st.status === 0) dirty = st.stdout.split("\n").filter(Boolean).length;
    return {
        date: new Date().toISOString(),
        nproc: os.availableParallelism?.() ?? cpus.length,
        cpu: cpus[0]?.model.trim() ?? "unknown",
        memoryGiB: os.totalmem() / 1024 ** 3,
        node: process.version,
        platform: `${os.platform()} ${os.arch()} ${os.release()}`,
        loadAverage: os.loadavg(),
        commit,
        uncommittedChanges: dirty,
    };
}

function planResources(outDir: string): number | null {
    try {
        const plan = JSON.parse(fs.readFileSync(path.join(outDir, "plan.json"), "utf8")) as { resources: { custom: boolean }[] };
        return plan.resources.filter((r) => r.custom).length;
    } catch {
        return null;
    }
}

/** One process render of a stack; the exit code and, for a failure (not 0 or 1), the first lines of stderr. */
function processRun(mode: ProcessMode, root: string, s: BenchStack, outRoot: string): { ms: number; cpuMs: number; code: number; error?: string; outDir: string } {
    const outDir = path.join(outRoot, `${mode.replace(/ /g, "-")}-${s.name}`);
    const target = s.stackFile ? ["--stack-file", s.stackFile] : ["--stack", s.name];
    const [cmd, args] = ((): [string, string[]] => {
        switch (mode) {
            case "ts-node":
                return [process.execPath, ["-r", "ts-node/register/transpile-only", path.join(root, "tools", "render.ts")]];
            case "tscache":
                return [process.execPath, ["-r", path.join(root, "tools", "tscache", "register.js"), path.join(root, "tools", "render.ts")]];
            case "npm run render":
                return ["npm", ["run", "--silent", "render", "--"]];
            case "compiled":
                return [process.execPath, [path.join(root, "tools", "render.js")]];
        }
    })();
    // CPU seconds of the process tree (user + system) through /usr/bin/time, when present: on a shared,
    // loaded machine wall time mostly measures waiting for a core; CPU time is what the command costs.
    const timeFile = path.join(outRoot, `.cpu-${process.pid}`);
    const timed: [string, string[]] = fs.existsSync("/usr/bin/time") ? ["/usr/bin/time", ["-f", "%U %S", "-o", timeFile, cmd, ...args]] : [cmd, args];
    fs.mkdirSync(outRoot, { recursive: true });
    const t0 = performance.now();
    const r = spawnSync(timed[0], [...timed[1], ...target, "--out", outDir], { cwd: root, encoding: "utf8", timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
    const ms = performance.now() - t0;
    const code = r.status ?? -1;
    const error = code !== 0 && code !== 1 ? (r.stderr || r.error?.message || "").trim().split("\n").slice(0, 2).join(" ") : undefined;
    const cpu = fs.existsSync(timeFile) ? /(\d+\.\d+) (\d+\.\d+)\s*$/.exec(fs.readFileSync(timeFile, "utf8")) : null;
    fs.rmSync(timeFile, { force: true });
    return { ms, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN, code, error, outDir };
}

/** Process timings in round-robin passes (stack by stack, mode by mode), so load on a shared machine spreads evenly. */
function processTimings(modes: { mode: ProcessMode; root: string }[], stacks: readonly BenchStack[], runs: number, outRoot: string): Map<string, ProcessTiming[]> {
    const acc = new Map<string, Map<string, { wallMs: number[]; cpuMs: number[]; exitCodes: number[]; error?: string; outDir?: string }>>();
    for (let pass = 0; pass < runs; pass++) {
        for (const s of stacks) {
            for (const { mode, root } of modes) {
                const byMode = acc.get(s.name) ?? new Map();
                acc.set(s.name, byMode);
                const a = byMode.get(mode) ?? { wallMs: [], cpuMs: [], exitCodes: [] };
                byMode.set(mode, a);
                if (a.error) continue;
                const r = processRun(mode, root, s, outRoot);
                a.wallMs.push(r.ms);
                a.cpuMs.push(r.cpuMs);
                a.exitCodes.push(r.code);
                a.error = r.error;
                a.outDir = r.outDir;
            }
        }
        process.stderr.write(`  process timings: pass ${pass + 1}/${runs} done\n`);
    }
    const out = new Map<string, ProcessTiming[]>();
    for (const [name, byMode] of acc) {
        out.set(
            name,
            [...byMode.entries()].map(([mode, a]) => ({
                mode: mode as ProcessMode,
                wallMs: a.wallMs,
                cpuMs: a.cpuMs,
                exitCodes: a.exitCodes,
                resources: a.outDir ? planResources(a.outDir) : null,
                error: a.error,
            })),
        );
    }
    return out;
}

function runInProcess(compiled: CompiledCopy | null, job: RunnerJob, workDir: string): RunnerResult {
    const jobFile = path.join(workDir, "runner-job.json");
    fs.writeFileSync(jobFile, JSON.stringify(job));
    const args = compiled
        ? [path.join(compiled.root, "tools", "bench", "runner.js"), jobFile]
        : ["-r", "ts-node/register/transpile-only", path.join(PROJECT_ROOT, "tools", "bench", "runner.ts"), jobFile];
    const r = spawnSync(process.execPath, args, { cwd: compiled?.root ?? PROJECT_ROOT, encoding: "utf8", timeout: 3_600_000, maxBuffer: 256 * 1024 * 1024 });
    const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("BENCH-RESULT "));
    if (!line) throw new Error(`the in-process runner printed no result (exit ${r.status}): ${(r.stderr ?? "").trim().split("\n").slice(-5).join(" | ")}`);
    return JSON.parse(line.slice("BENCH-RESULT ".length)) as RunnerResult;
}

function readJson<T>(file: string): T | null {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as T;
    } catch {
        return null;
    }
}

async function main(argv: string[]): Promise<number> {
    const { values } = parseArgs({
        args: argv,
        options: {
            runs: { type: "string" },
            "process-runs": { type: "string" },
            quick: { type: "boolean" },
            only: { type: "string" },
            "no-failover": { type: "boolean" },
            "failover-runs": { type: "string" },
            "no-compiled": { type: "boolean" },
            "no-process": { type: "boolean" },
            "process-only": { type: "boolean" },
            json: { type: "string" },
            keep: { type: "boolean" },
        },
    });
    const quick = values.quick === true;
    const runs = Number(values.runs ?? (quick ? 2 : 5));
    const processRuns = Number(values["process-runs"] ?? (quick ? 1 : 3));
    const out: string[] = [];
    const say = (s = "") => {
        out.push(s);
        process.stdout.write(`${s}\n`);
    };

    const m = machine();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-bench-"));
    const synthFiles = writeSyntheticStacks(path.join(work, "stacks"));
    let stacks: BenchStack[] = [
        ...listStacks().map((name) => ({ name, synthetic: false, description: `stacks/Pulumi.${name}.yaml` })),
        ...SYNTHETIC.map((s) => ({ name: s.name, stackFile: synthFiles.get(s.name)!, synthetic: true, description: s.description })),
    ];
    if (values.only) {
        const only = new Set(values.only.split(","));
        stacks = stacks.filter((s) => only.has(s.name));
    }

    say(`k8s-aws benchmark, ${m.date}`);
    say(`machine: nproc ${m.nproc} (${m.cpu}), ${fixed(m.memoryGiB, 1)} GiB memory, node ${m.node}, ${m.platform}`);
    say(
        `load average at start: ${m.loadAverage.map((x) => fixed(x, 2)).join(" / ")}; commit ${m.commit}${m.uncommittedChanges > 0 ? ` + ${m.uncommittedChanges} uncommitted change(s) in the work tree` : ""}`,
    );
    say(
        `runs: in-process ${runs} timed (+1 warm-up) per stack, process ${processRuns} per stack and mode; synthetic stack files in ${path.join(work, "stacks")}${values.keep ? "" : " (removed at the end; --keep keeps them)"}`,
    );
    say();

    let compiled: CompiledCopy | null = null;
    if (!values["no-compiled"]) {
        compiled = compileProject(PROJECT_ROOT, path.join(work, "build"));
        say(`compiled copy: ${compiled.files} TypeScript files transpiled in ${ms(compiled.ms)} to ${compiled.root}`);
    }

    // 1. Processes.
    let proc = new Map<string, ProcessTiming[]>();
    if (!values["no-process"]) {
        const modes: { mode: ProcessMode; root: string }[] = [
            { mode: "ts-node", root: PROJECT_ROOT },
            { mode: "tscache", root: PROJECT_ROOT },
            { mode: "npm run render", root: PROJECT_ROOT },
        ];
        if (compiled) modes.push({ mode: "compiled", root: compiled.root });
        // Warm the transpile cache once (a first run after an edit transpiles the changed files), untimed.
        const warm = spawnSync(
            process.execPath,
            [
                "-r",
                path.join(PROJECT_ROOT, "tools", "tscache", "register.js"),
                path.join(PROJECT_ROOT, "tools", "render.ts"),
                ...(stacks[0]?.stackFile ? ["--stack-file", stacks[0].stackFile] : ["--stack", stacks[0]?.name ?? "dev"]),
                "--out",
                path.join(work, "out-warm"),
            ],
            { cwd: PROJECT_ROOT, encoding: "utf8" },
        );
        if (warm.status !== 0 && warm.status !== 1) process.stderr.write(`  warming the transpile cache failed (exit ${warm.status}): ${warm.stderr}\n`);
        proc = processTimings(modes, stacks, processRuns, path.join(work, "out-process"));
    }
    if (proc.size > 0) {
        say();
        say("1a. The whole render command, today's way (ts-node) vs now (tools/tscache, warm), side by side in the same passes");
        const wall = (p: ProcessTiming[], mode: ProcessMode) => {
            const x = p.find((y) => y.mode === mode);
            return x && !x.error && x.wallMs.length > 0 ? median(x.wallMs) : NaN;
        };
        const goals: Record<string, number> = { prod: 3000, dev: 2500 };
        const cpu = (p: ProcessTiming[], mode: ProcessMode) => {
            const x = p.find((y) => y.mode === mode);
            return x && !x.error && x.cpuMs.length > 0 ? median(x.cpuMs) : NaN;
        };
        const whole: string[][] = [["stack", "measure", "ts-node (before)", "tscache (now)", "ratio", "npm run render (now)", "ratio", "goal (2 idle cores)"]];
        for (const s of stacks) {
            const p = proc.get(s.name) ?? [];
            for (const [measure, f] of [
                ["wall", wall],
                ["CPU", cpu],
            ] as const) {
                const before = f(p, "ts-node");
                const now = f(p, "tscache");
                const npmNow = f(p, "npm run render");
                whole.push([
                    s.name,
                    measure,
                    ms(before),
                    ms(now),
                    `${fixed(before / now, 2)}x`,
                    ms(npmNow),
                    `${fixed(before / npmNow, 2)}x`,
                    measure === "wall" && goals[s.name] ? `<= ${ms(goals[s.name])}` : "-",
                ]);
            }
        }
        for (const l of table(whole, [2, 3, 4, 5, 6])) say(`  ${l}`);
        say("  CPU = user + system seconds of the whole process tree (/usr/bin/time); on an idle 2-core machine the wall time is close to it");
        say(
            `  load average at the end of the process runs: ${os
                .loadavg()
                .map((x) => fixed(x, 2))
                .join(" / ")} on ${m.nproc} cores (a loaded machine stretches every figure; compare the columns, measured in the same passes)`,
        );
    }
    if (values["process-only"]) {
        if (values.json) fs.writeFileSync(values.json, `${JSON.stringify({ machine: m, processRuns, process: Object.fromEntries(proc), text: out }, null, 2)}\n`);
        if (!values.keep) fs.rmSync(work, { recursive: true, force: true });
        return 0;
    }

    // 1b. In-process, after compilation; policy scaling on the largest pool plan.
    const base = stacks.find((s) => s.name === "syn-p50") ?? stacks[stacks.length - 1];
    const job: RunnerJob = {
        stacks: stacks.map((s) => ({ name: s.name, stackFile: s.stackFile })),
        runs,
        outRoot: path.join(work, "out-inprocess"),
        policyScaling: base ? { base: base.name, factors: [1, 2, 4, 8], runs } : undefined,
    };
    process.stderr.write(`  in-process runner (${compiled ? "compiled" : "ts-node"}) over ${stacks.length} stacks...\n`);
    const inproc = runInProcess(compiled, job, work);
    const byName = new Map(inproc.stacks.map((t) => [t.name, t]));

    say();
    say("1. Offline render + policy check: wall time, median (resources = custom resources in plan.json)");
    const rows: string[][] = [["stack", "resources", "process ts-node", "process compiled", "in-process", "resources/s", "of which policies", "cost", "exit"]];
    for (const s of stacks) {
        const t = byName.get(s.name);
        const p = proc.get(s.name) ?? [];
        const pt = p.find((x) => x.mode === "ts-node");
        const pc = p.find((x) => x.mode === "compiled");
        const inMs = t?.ok ? median(t.renderMs) : NaN;
        rows.push([
            s.name,
            t?.ok ? String(t.resources) : String(pt?.resources ?? "-"),
            pt ? (pt.error ? "failed" : ms(median(pt.wallMs))) : "-",
            pc ? (pc.error ? "failed" : ms(median(pc.wallMs))) : "-",
            t?.ok ? ms(inMs) : "failed",
            t?.ok ? String(Math.round((t.resources / inMs) * 1000)) : "-",
            t?.ok ? ms(median(t.policyMs)) : "-",
            t?.ok ? `${fixed(median(t.costMs), 1)} ms` : "-",
            t?.ok ? String(t.exitCode) : (pt?.exitCodes.join(",") ?? "-"),
        ]);
    }
    for (const l of table(rows, [1, 2, 3, 4, 5, 6, 7])) say(`  ${l}`);
    for (const s of stacks) {
        const t = byName.get(s.name);
        const errs = [t && !t.ok ? `in-process: ${t.error}` : "", ...(proc.get(s.name) ?? []).filter((x) => x.error).map((x) => `process ${x.mode}: ${x.error}`)].filter(Boolean);
        if (errs.length > 0) say(`  ${s.name} failed: ${errs.join("; ")}`);
    }
    say("  exit: 0 no mandatory policy violation, 1 some (the render's contract); 'in-process' = render() in a warm process after compilation:");
    say("  program under mocks + plan + policies + cost + files; 'of which policies' = runPolicies alone on the same plan");
    const startup = stacks
        .map((s) => {
            const p = proc.get(s.name) ?? [];
            const a = p.find((x) => x.mode === "ts-node");
            const b = p.find((x) => x.mode === "compiled");
            return a && b && !a.error && !b.error ? median(a.wallMs) - median(b.wallMs) : NaN;
        })
        .filter(Number.isFinite);
    const overhead = stacks
        .map((s) => {
            const b = (proc.get(s.name) ?? []).find((x) => x.mode === "compiled");
            const t = byName.get(s.name);
            return b && !b.error && t?.ok ? median(b.wallMs) - median(t.renderMs) : NaN;
        })
        .filter(Number.isFinite);
    if (startup.length > 0) say(`  ts-node (start-up + compiling on the fly) costs ${ms(median(startup))} per process (median over stacks of process ts-node - process compiled)`);
    if (overhead.length > 0) say(`  a compiled process spends ${ms(median(overhead))} beyond the warm render (Node start-up, loading the SDKs and the program, first-run JIT)`);
    say(
        `  in the runner (${inproc.mode}): loading render, policies and cost modules ${ms(inproc.loadMs)}; first render of the first stack ${ms(inproc.stacks[0]?.firstMs ?? NaN)}; max RSS ${fixed(inproc.maxRssMiB, 0)} MiB`,
    );
    const prod = byName.get("prod");
    if (prod?.ok) say(`  target "prod under 2 s after compilation": prod in-process ${ms(median(prod.renderMs))} (min ${ms(Math.min(...prod.renderMs))})`);

    // 2. Scaling.
    say();
    say("2. Scaling (in-process medians)");
    const get = (n: string) => (byName.get(n)?.ok ? byName.get(n)! : undefined);
    const p1 = get("syn-p1");
    const p10 = get("syn-p10");
    const p50 = get("syn-p50");
    if (p1 && p10 && p50) {
        const T = [p1, p10, p50].map((t) => median(t.renderMs));
        const R = [p1, p10, p50].map((t) => t.resources);
        say(`  pools 1 -> 10 -> 50 (max 3): resources ${R.join(" -> ")}, time ${T.map(ms).join(" -> ")}`);
        const perPoolR = (R[2] - R[1]) / 40;
        say(`  per added pool: ${fixed(perPoolR, 2)} resources, ${fixed((T[2] - T[1]) / 40, 1)} ms (from 10 to 50 pools)`);
        if (perPoolR === 0) say("  pools add no resources: the program does not render node pools yet, so this row measures nothing about pools");
        const fit = linearFit([1, 10, 50], T);
        say(`  linear fit time = ${fixed(fit.intercept, 0)} ms + ${fixed(fit.slope, 1)} ms x pools, r^2 ${fixed(fit.r2, 3)}`);
        say(
            `  linearity: (t50 - t1) / (t10 - t1) = ${fixed((T[2] - T[0]) / (T[1] - T[0]), 2)}; linear in pools would give ${fixed(49 / 9, 2)}; resources give ${fixed((R[2] - R[0]) / (R[1] - R[0]), 2)}`,
        );
        say(`  time per resource: ${T.map((t, i) => `${fixed(t / R[i], 1)} ms`).join(" -> ")} (flat = linear in resources)`);
    } else say("  (pool series incomplete: syn-p1, syn-p10 and syn-p50 are needed)");
    for (const [small, big] of [
        ["syn-p10", "syn-p10-max1000"],
        ["syn-p50", "syn-p50-max1000"],
    ]) {
        const a = get(small);
        const b = get(big);
        if (a && b)
            say(
                `  node count (max 3 -> max 1000), ${small.slice(5)} pools: resources ${a.resources} -> ${b.resources}, time ratio ${fixed(median(b.renderMs) / median(a.renderMs), 2)} (1.00 = independent of node count)`,
            );
    }
    const cp3 = get("syn-p10");
    const cp5 = get("syn-cp5-az5");
    if (cp3 && cp5)
        say(`  control plane 3 slots / 3 zones -> 5 slots / 5 zones (10 pools each): resources ${cp3.resources} -> ${cp5.resources}, time ${ms(median(cp3.renderMs))} -> ${ms(median(cp5.renderMs))}`);

    // 3. Policies alone.
    say();
    say("3. Policy evaluation alone (runPolicies over a plan, in-process median; resources = every plan entry, components included)");
    const prow: string[][] = [["plan", "resources", "time", "ms per 1,000 resources"]];
    for (const s of stacks) {
        const t = byName.get(s.name);
        if (!t?.ok) continue;
        const n = t.resources + t.components;
        prow.push([s.name, String(n), ms(median(t.policyMs)), fixed((median(t.policyMs) / n) * 1000, 1)]);
    }
    for (const [i, pt] of inproc.policyScaling.entries()) {
        prow.push([`${base?.name} x${job.policyScaling!.factors[i]}`, String(pt.resources), ms(median(pt.ms)), fixed((median(pt.ms) / pt.resources) * 1000, 1)]);
    }
    for (const l of table(prow, [1, 2, 3])) say(`  ${l}`);

    // 4. Failover.
    say();
    say("4. Failover");
    const failover: FailoverFigures[] = [];
    if (!values["no-failover"]) {
        for (const f of FAILOVER_TESTS) {
            process.stderr.write(`  running ${f}...\n`);
            failover.push(runFailoverTest(PROJECT_ROOT, f));
        }
        for (const f of failover) {
            const head = f.ran ? `${f.passing ?? "?"} passing, ${f.failing ?? 0} failing, ${ms(f.wallMs)}` : (f.note ?? "not run");
            say(`  ${f.file}: ${head}${f.skipped ? " (etcd binaries missing: parts skipped)" : ""}`);
            if (f.failover) say(`    measured: etcd failover: new leader after ${f.failover.newLeaderS} s, writes blocked ${f.failover.writesBlockedS} s ${f.failover.detail}`);
            for (const l of f.lines) say(`    ${l}`);
            if (f.note && f.ran) say(`    note: ${f.note}`);
        }
        const failoverRuns = Number(values["failover-runs"] ?? 0);
        if (!Number.isInteger(failoverRuns) || failoverRuns < 0) throw new Error(`--failover-runs ${values["failover-runs"]}: a whole number of runs`);
        if (failoverRuns > 0) {
            const series: FailoverSeries[] = FAILOVER_SERIES.map((s) => runFailoverSeries(PROJECT_ROOT, s, failoverRuns, (l) => process.stderr.write(l)));
            say(`  distribution over ${failoverRuns} run(s) per test (min / median / max; logged = the survivors' raft log lines):`);
            for (const l of seriesTable(series)) say(`    ${l}`);
            for (const s of series) for (const n of s.notes) say(`    ${s.file}: ${n}`);
        }
    } else say("  (measured figures skipped: --no-failover)");
    say("  configured detection budgets, from each stack's plan:");
    const brow: string[][] = [["stack", "dead API backend (target group)", "lost slot (grace + boot + join)"]];
    const costs: { name: string; cost: CostEstimate | null; reason?: string }[] = [];
    for (const s of stacks) {
        const t = byName.get(s.name);
        if (!t?.ok) continue;
        const plan = readJson<{ resources: { type: string; name: string; inputs: Record<string, unknown> }[] }>(path.join(t.outDir, "plan.json"));
        if (!plan) continue;
        const b = detectionBudgets(plan);
        const api =
            b.apiTargets.map((x) => `${x.interval} s x ${x.unhealthyThreshold} = ${x.detectSeconds} s${x.defaulted ? " (AWS defaults)" : ""} (${x.protocol ?? "?"} :${x.port ?? "?"})`).join("; ") ||
            "no target group (no load balancer)";
        const graces = [...new Set(b.slots.map((x) => `${x.role} ${x.gracePeriod} + ${BOOT_ESTIMATE_S} + ${JOIN_ESTIMATE_S} = ${x.replaceSeconds} s`))];
        brow.push([s.name, api, graces.join("; ") || "no slot group in the plan"]);
        const c = readJson<CostEstimate & { reason?: string }>(path.join(t.outDir, "cost.json"));
        costs.push({ name: s.name, cost: c && c.monthlyTotal !== null ? c : null, reason: c?.reason });
    }
    for (const l of table(brow)) say(`    ${l}`);
    say(`    estimate: ${ESTIMATE_SOURCE}`);

    // 5. Cost.
    say();
    say("5. Monthly cost per stack (the render's cost.json; on-demand list prices, see data/prices/aws-on-demand.json)");
    const crow: string[][] = [["stack", "region", "instances", "NAT", "LB", "IPv4", "per month", "EKS same workers", "here, same scope", "caveats"]];
    for (const { name, cost, reason } of costs) {
        if (!cost) {
            crow.push([name, "-", "-", "-", "-", "-", reason ?? "none", "-", "-", "-"]);
            continue;
        }
        crow.push([
            name,
            cost.region,
            String(cost.counts.instances),
            String(cost.counts.natGateways),
            String(cost.counts.loadBalancers),
            String(cost.counts.publicIpv4),
            usd(cost.monthlyTotal),
            usd(cost.eks.monthlyTotal),
            usd(cost.eks.selfManagedSameScope),
            String(cost.warnings.length),
        ]);
    }
    for (const l of table(crow, [2, 3, 4, 5, 6, 7, 8, 9])) say(`  ${l}`);
    for (const { name, cost } of costs) {
        const s = cost?.singleInstance;
        if (!s) continue;
        say(
            `  ${name}: one-instance target: 1 x ${s.instanceType} ${usd(s.instanceMonthly)} + ${s.diskGiB} GiB disk ${usd(s.diskMonthly)} = ${usd(s.instanceMonthly + s.diskMonthly)} of ${usd(cost!.monthlyTotal)};` +
                ` ${s.natGateways} NAT gateways, ${s.loadBalancers} load balancers: ${s.met ? "met" : "NOT met"}; the rest: ${s.rest.map((r) => `${r.item} ${usd(r.monthly)}`).join(", ") || "nothing"}`,
        );
    }
    if (!costs.some((c) => c.cost?.singleInstance)) say("  (no one-instance stack rendered: the dev target line needs dev to render)");

    if (values.json) {
        fs.writeFileSync(values.json, `${JSON.stringify({ machine: m, runs, processRuns, compiled, process: Object.fromEntries(proc), inprocess: inproc, failover, costs, text: out }, null, 2)}\n`);
        process.stderr.write(`  wrote ${values.json}\n`);
    }
    if (!values.keep) fs.rmSync(work, { recursive: true, force: true });
    return 0;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
        process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
        process.exit(3);
    },
);
