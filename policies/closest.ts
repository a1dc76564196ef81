/**
 * "Did you mean" for names a user typed: the known name closest in edit
 * distance, when it is close enough to be a typo rather than another word.
 */

/** Levenshtein distance (insert, delete, substitute), case-insensitive. */
export function editDistance(a: string, b: string): number {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
    for (let i = 1; i <= x.length; i++) {
        const cur = [i];
        for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
        prev = cur;
    }
    return prev[y.length];
}

/** The known name a typo most likely meant, or undefined when none is within a third of its length (at least 2 edits). */
export function closest(typed: string, known: readonly string[]): string | undefined {
    const limit = Math.max(2, Math.floor(typed.length / 3));
    let best: { name: string; d: number } | undefined;
    for (const name of known) {
        const d = editDistance(typed, name);
        if (d <= limit && (best === undefined || d < best.d)) best = { name, d };
    }
    return best?.name;
}

/** ` (did you mean "x"?)` or "". */
export function didYouMean(typed: string, known: readonly string[]): string {
    const c = closest(typed, known);
    return c === undefined ? "" : ` (did you mean "${c}"?)`;
}
