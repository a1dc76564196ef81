/**
 * Mistakes in how a tool was called (an option's value), as opposed to
 * mistakes in the stack file: each names the option, the value given and what
 * is allowed, one line each, exit 2.
 */
export interface UsageProblem {
    readonly option: string;
    readonly value: string;
    readonly allowed: string;
}

export function formatUsageProblem(p: UsageProblem): string {
    return `${p.option}: ${JSON.stringify(p.value)} is not valid; allowed: ${p.allowed}`;
}

export class UsageError extends Error {
    constructor(readonly problems: readonly UsageProblem[]) {
        super(problems.map(formatUsageProblem).join("\n"));
        this.name = "UsageError";
    }
}
