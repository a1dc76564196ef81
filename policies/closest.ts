/**
 * "Did you mean" for names a user typed: the known name closest in edit
 * distance, when it is close enough to be a typo rather than another word.
 */
import { distance } from "fastest-levenshtein";

/** The known name a typo most likely meant, or undefined when none is within a third of its length (at least 2 edits). */
export function closest(typed: string, known: readonly string[]): string | undefined {
    const limit = Math.max(2, Math.floor(typed.length / 3));
    let best: { name: string; d: number } | undefined;
    for (const name of known) {
        const d = distance(typed.toLowerCase(), name.toLowerCase());
        if (d <= limit && (best === undefined || d < best.d)) best = { name, d };
    }
    return best?.name;
}

/** ` (did you mean "x"?)` or "". */
export function didYouMean(typed: string, known: readonly string[]): string {
    const c = closest(typed, known);
    return c === undefined ? "" : ` (did you mean "${c}"?)`;
}
