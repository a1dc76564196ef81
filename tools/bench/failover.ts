/**
 * Measured failover figures: runs the real etcd tests (a three-member
 * cluster on 127.0.0.1 from the program's own config, certificates and
 * scripts) with mocha and picks the timing lines they print, e.g.
 * `etcd failover: new leader after 2.51 s, writes blocked 2.51 s (...)`.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { fixed, max, spread, table } from "./stats";

export interface FailoverFigures {
    readonly file: string;
    readonly ran: boolean;
    readonly exitCode: number | null;
    readonly wallMs: number;
    readonly passing: number | null;
    readonly failing: number | null;
    readonly skipped: boolean;
    /** `etcd failover: new leader after X s, writes blocked Y s`. */
    readonly failover: { readonly newLeaderS: number; readonly writesBlockedS: number; readonly detail: string } | null;
    /** Every other `etcd ...:` timing line the tests printed, trimmed. */
    readonly lines: string[];
    readonly note?: string;
}

export const FAILOVER_RE = /etcd failover: new leader after ([\d.]+) s, writes blocked ([\d.]+) s(.*)$/;

/** Picks the figures out of mocha's output. */
export function parseFailoverOutput(output: string): Pick<FailoverFigures, "failover" | "lines" | "passing" | "failing" | "skipped"> {
    let failover: FailoverFigures["failover"] = null;
    const lines: string[] = [];
    for (const raw of output.split("\n")) {
        const line = raw.trim();
        const m = FAILOVER_RE.exec(line);
        if (m) failover = { newLeaderS: Number(m[1]), writesBlockedS: Number(m[2]), detail: m[3].trim() };
        else if (/^etcd [^:]*:/.test(line) || /^etcd [\d.]+(\s|\()/.test(line)) lines.push(line);
    }
    const passing = /(\d+) passing/.exec(output);
    const failing = /(\d+) failing/.exec(output);
    return { failover, lines, passing: passing ? Number(passing[1]) : null, failing: failing ? Number(failing[1]) : 0, skipped: /skipped: .*etcd/.test(output) };
}

export function runFailoverTest(projectRoot: string, rel: string, timeoutMs = 300_000): FailoverFigures {
    const file = path.join(projectRoot, rel);
    if (!fs.existsSync(file)) {
        return { file: rel, ran: false, exitCode: null, wallMs: 0, passing: null, failing: null, skipped: true, failover: null, lines: [], note: "test file not present" };
    }
    const mocha = path.join(projectRoot, "node_modules", ".bin", "mocha");
    const t0 = performance.now();
    const r = spawnSync(mocha, [rel], { cwd: projectRoot, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    const wallMs = performance.now() - t0;
    const output = `${r.stdout ?? ""}\n${r.stderr ?? ""}`;
    const parsed = parseFailoverOutput(output);
    const note = r.error
        ? `mocha did not finish: ${r.error.message}`
        : parsed.failover === null && /failover/.test(fs.readFileSync(file, "utf8"))
          ? "the test ran but printed no 'etcd failover: new leader after X s, writes blocked Y s' line"
          : undefined;
    return { file: rel, ran: true, exitCode: r.status, wallMs, ...parsed, note };
}

/** One failover run's figures, from either real tier's line (etcd alone, or under the control plane). */
export interface FailoverSample {
    readonly file: string;
    readonly newLeaderS: number;
    /** etcd put (etcd tier) or API POST (control-plane tier). */
    readonly writesBlockedS: number;
    /** From the surviving members' raft log lines, when the test printed them. */
    readonly loggedCampaignS: number | null;
    readonly loggedElectedS: number | null;
    /** "heartbeat H ms, election timeout E ms" as the test ran it. */
    readonly timing: string;
}

export const ANY_FAILOVER_RE = /etcd failover(?: under the control plane)?: new leader after ([\d.]+) s, (?:API )?writes blocked ([\d.]+) s(.*)$/;
const LOGGED_RE = /logged: first campaign ([\d.]+) s, elected ([\d.]+) s/;
const TIMING_RE = /heartbeat \d+ ms, election timeout \d+ ms/;

export function parseFailoverSamples(file: string, output: string): FailoverSample[] {
    const out: FailoverSample[] = [];
    for (const raw of output.split("\n")) {
        const m = ANY_FAILOVER_RE.exec(raw.trim());
        if (!m) continue;
        const logged = LOGGED_RE.exec(m[3]);
        out.push({
            file,
            newLeaderS: Number(m[1]),
            writesBlockedS: Number(m[2]),
            loggedCampaignS: logged ? Number(logged[1]) : null,
            loggedElectedS: logged ? Number(logged[2]) : null,
            timing: TIMING_RE.exec(m[3])?.[0] ?? "timing not printed",
        });
    }
    return out;
}

/**
 * Only the tests a failover needs: in test/real/etcd.spec.ts the cluster's
 * start (1) and the failover (3); the control-plane file is one failover.
 */
export const FAILOVER_SERIES: ReadonlyArray<{ readonly file: string; readonly grep?: string }> = [
    { file: "test/real/etcd.spec.ts", grep: "1\\. becomes|3\\. elects" },
    { file: "test/real/controlPlaneProd.spec.ts" },
];

export interface FailoverSeries {
    readonly file: string;
    readonly samples: FailoverSample[];
    /** Runs whose mocha exit was not 0 (a failed bound still prints its figures). */
    readonly failedRuns: number;
    readonly notes: string[];
}

/** Runs one failover test file `runs` times, one mocha process each, and collects every run's figures. */
export function runFailoverSeries(projectRoot: string, spec: { file: string; grep?: string }, runs: number, progress: (s: string) => void = () => undefined): FailoverSeries {
    const mocha = path.join(projectRoot, "node_modules", ".bin", "mocha");
    const samples: FailoverSample[] = [];
    const notes: string[] = [];
    let failedRuns = 0;
    for (let i = 0; i < runs; i++) {
        const r = spawnSync(mocha, [spec.file, ...(spec.grep ? ["--grep", spec.grep] : [])], { cwd: projectRoot, encoding: "utf8", timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
        const output = `${r.stdout ?? ""}\n${r.stderr ?? ""}`;
        const got = parseFailoverSamples(spec.file, output);
        samples.push(...got);
        if (r.status !== 0) {
            failedRuns++;
            const failing = output
                .split("\n")
                .filter((l) => /AssertionError|Error:/.test(l))
                .slice(0, 2)
                .map((l) => l.trim());
            notes.push(`run ${i + 1}: exit ${r.status ?? r.signal}${failing.length ? `: ${failing.join(" | ")}` : ""}`);
        }
        progress(
            `  ${spec.file} run ${i + 1}/${runs}: ${got.map((g) => `new leader ${g.newLeaderS} s, writes ${g.writesBlockedS} s, logged elected ${g.loggedElectedS ?? "?"} s`).join("; ") || "no figures"}${r.status === 0 ? "" : ` (exit ${r.status ?? r.signal})`}\n`,
        );
    }
    return { file: spec.file, samples, failedRuns, notes };
}

/**
 * The distribution of each series as table lines: new leader (polled by the
 * test), writes blocked, and raft's own campaign and election times from the
 * members' logs; the last column is the poller's lag behind the logs.
 */
export function seriesTable(series: readonly FailoverSeries[]): string[] {
    const rows: string[][] = [["test", "timing", "runs", "new leader min / median / max", "writes blocked", "logged: first campaign", "logged: elected", "polled - logged, max"]];
    for (const s of series) {
        for (const timing of [...new Set(s.samples.map((x) => x.timing))]) {
            const xs = s.samples.filter((x) => x.timing === timing);
            const logged = xs.filter((x) => x.loggedElectedS !== null);
            rows.push([
                path.basename(s.file),
                timing,
                `${xs.length}${s.failedRuns ? ` (${s.failedRuns} failed)` : ""}`,
                spread(xs.map((x) => x.newLeaderS)),
                spread(xs.map((x) => x.writesBlockedS)),
                spread(logged.map((x) => x.loggedCampaignS!)),
                spread(logged.map((x) => x.loggedElectedS!)),
                logged.length ? `${fixed(max(logged.map((x) => x.newLeaderS - x.loggedElectedS!)))} s` : "n/a",
            ]);
        }
        if (s.samples.length === 0) rows.push([path.basename(s.file), "-", `0${s.failedRuns ? ` (${s.failedRuns} failed)` : ""}`, "n/a", "n/a", "n/a", "n/a", "n/a"]);
    }
    return table(rows);
}
