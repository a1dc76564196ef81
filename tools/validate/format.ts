/**
 * How a validation report is shown: an aligned table (every row), a JSON
 * document (for scripts), the failure lines (one per failure, what and where),
 * and the durations `--wait` and `--csr-max-age` take. Pure.
 */
import type { CheckResult } from "./checks";
import type { ValidationReport } from "./validate";

export const REPORT_SCHEMA = "k8s-aws/validate/v1";

/** A table with columns CHECK, WHERE, STATUS, MESSAGE; the message is the last column, never cut. */
export function formatTable(results: readonly CheckResult[]): string {
    const rows = [["CHECK", "WHERE", "STATUS", "MESSAGE"], ...results.map((r) => [r.check, r.where, r.ok ? "ok" : "FAIL", r.message])];
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
    return rows.map((r) => [...r.slice(0, 3).map((c, i) => c.padEnd(widths[i])), r[3]].join("  ").trimEnd()).join("\n");
}

export function formatJson(stack: string, report: ValidationReport): string {
    return JSON.stringify({ schema: REPORT_SCHEMA, stack, healthy: report.healthy, results: report.results }, null, 2);
}

/** One line per failure: `FAIL <check> <where>: <message>`. */
export function failureLines(results: readonly CheckResult[]): string[] {
    return results.filter((r) => !r.ok).map((r) => `FAIL ${r.check} ${r.where}: ${r.message}`);
}

/** The verdict line. */
export function summaryLine(stack: string, report: ValidationReport): string {
    const failed = report.results.filter((r) => !r.ok).length;
    return report.healthy ? `cluster of stack ${stack} is healthy (${report.results.length} checks)` : `cluster of stack ${stack} is NOT healthy: ${failed} of ${report.results.length} checks failed`;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go-style duration (`90s`, `10m`, `1h30m`) in milliseconds, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
    if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
    let total = 0;
    for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS[m[2]];
    return total;
}
