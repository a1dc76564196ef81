/**
 * `npm run bench:failover [-- --runs N --only etcd|controlplane]`
 *
 * Repeats the real tiers' etcd failover (leader killed with SIGKILL on the
 * pinned etcd, three members on 127.0.0.1 from the prod render's own
 * configuration) N times, one mocha process per run, and prints the
 * distribution: one run says little when the election timeout is
 * randomized. Prints figures, never pass/fail (exit 0 unless the benchmark
 * itself breaks); a run whose bound assertion failed is counted, its
 * figures kept. `npm run bench -- --failover-runs N` prints the same table
 * in section 4.
 */
import * as os from "os";
import { parseArgs } from "util";
import { PROJECT_ROOT } from "../offline/stackFile";
import { FAILOVER_SERIES, FailoverSeries, runFailoverSeries, seriesTable } from "./failover";
import { fixed } from "./stats";

function main(argv: string[]): number {
    const { values } = parseArgs({ args: argv, options: { runs: { type: "string" }, only: { type: "string" } } });
    const runs = Number(values.runs ?? 12);
    if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs}: a whole number of runs, at least 1`);
    const only = values.only;
    if (only !== undefined && only !== "etcd" && only !== "controlplane") throw new Error(`--only ${only}: etcd or controlplane`);
    const specs = FAILOVER_SERIES.filter((s) => !only || (only === "etcd") === s.file.endsWith("/etcd.spec.ts"));
    const cpus = os.cpus();
    const load = () =>
        os
            .loadavg()
            .map((x) => fixed(x, 2))
            .join(" / ");
    process.stdout.write(`etcd failover, ${runs} run(s) per test, ${new Date().toISOString()}\n`);
    process.stdout.write(`machine: nproc ${os.availableParallelism?.() ?? cpus.length} (${cpus[0]?.model.trim() ?? "unknown"}), load average at start ${load()}\n`);
    const series: FailoverSeries[] = [];
    for (const s of specs) series.push(runFailoverSeries(PROJECT_ROOT, s, runs, (l) => process.stderr.write(l)));
    process.stdout.write(`load average at end ${load()}\n`);
    for (const l of seriesTable(series)) process.stdout.write(`  ${l}\n`);
    for (const s of series) for (const n of s.notes) process.stdout.write(`  ${s.file}: ${n}\n`);
    return 0;
}

try {
    process.exit(main(process.argv.slice(2)));
} catch (e) {
    process.stderr.write(`bench:failover: ${(e as Error).message}\n`);
    process.exit(2);
}
