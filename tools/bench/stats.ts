/** Small statistics and formatting helpers for the benchmark. */

export function median(xs: readonly number[]): number {
    if (xs.length === 0) return NaN;
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const min = (xs: readonly number[]) => (xs.length === 0 ? NaN : Math.min(...xs));
export const max = (xs: readonly number[]) => (xs.length === 0 ? NaN : Math.max(...xs));

/** Least-squares slope and intercept of y over x. */
export function linearFit(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number; r2: number } {
    const n = xs.length;
    const mx = xs.reduce((a, b) => a + b, 0) / n;
    const my = ys.reduce((a, b) => a + b, 0) / n;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < n; i++) {
        sxy += (xs[i] - mx) * (ys[i] - my);
        sxx += (xs[i] - mx) ** 2;
        syy += (ys[i] - my) ** 2;
    }
    const slope = sxx === 0 ? NaN : sxy / sxx;
    return { slope, intercept: my - slope * mx, r2: sxx === 0 || syy === 0 ? NaN : (sxy * sxy) / (sxx * syy) };
}

export const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x).toLocaleString("en-US")} ms` : "n/a");
export const fixed = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");

/** A plain text table: the first row is the header. */
export function table(rows: readonly (readonly string[])[], rightAlign: readonly number[] = []): string[] {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
    const fmt = (r: readonly string[]) =>
        r
            .map((c, i) => (rightAlign.includes(i) ? (c ?? "").padStart(widths[i]) : (c ?? "").padEnd(widths[i])))
            .join("  ")
            .trimEnd();
    return [fmt(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(fmt)];
}

/** "min / median / max" of a sample, in seconds with two decimals. */
export function spread(xs: readonly number[], unit = " s"): string {
    return xs.length === 0 ? "n/a" : `${fixed(min(xs))} / ${fixed(median(xs))} / ${fixed(max(xs))}${unit}`;
}
