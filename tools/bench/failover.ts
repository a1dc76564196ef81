/**
 * Measured failover figures: runs the real etcd tests (a three-member
 * cluster on 127.0.0.1 from the program's own config, certificates and
 * scripts) with mocha and picks the timing lines they print, e.g.
 * `etcd failover: new leader after 2.51 s, writes blocked 2.51 s (...)`.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

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
    const note = r.error ? `mocha did not finish: ${r.error.message}` : parsed.failover === null && /failover/.test(fs.readFileSync(file, "utf8")) ? "the test ran but printed no 'etcd failover: new leader after X s, writes blocked Y s' line" : undefined;
    return { file: rel, ran: true, exitCode: r.status, wallMs, ...parsed, note };
}
