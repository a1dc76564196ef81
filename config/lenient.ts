/**
 * Cross-field rules on a configuration that failed the schema, so that one
 * run reports every problem. The stack file is laid over the schema's
 * defaults, and every field the schema rejected or found missing is replaced
 * by UNKNOWN: a value that throws UnknownValueError the moment a rule reads
 * it (a property, a comparison, a string conversion). A rule that touches an
 * unknown value is skipped, instead of judging a placeholder and reporting a
 * problem the user does not have ("min 3 must be at most max (1)" for a
 * misspelled max).
 */
import { z } from "zod";
import { clusterConfigSchema, ClusterConfigInput, nodePoolSchema } from "./schema";
import { ConfigProblem } from "./errors";

/** Thrown when a rule reads a field whose value is unknown (malformed or missing). */
export class UnknownValueError extends Error {
    constructor() {
        super("a rule read a configuration field whose value is unknown");
        this.name = "UnknownValueError";
    }
}

const refuse = (): never => {
    throw new UnknownValueError();
};

/**
 * Stands for a field with no usable value. Identity checks (`===`, `??`,
 * truthiness, Array.isArray) pass through without a trap; they cannot invent
 * a problem on their own, and any rule that goes on to use the value throws.
 */
export const UNKNOWN: unknown = new Proxy(Object.freeze({}), {
    get: refuse,
    has: refuse,
    ownKeys: refuse,
    getOwnPropertyDescriptor: refuse,
    getPrototypeOf: refuse,
});

export function isUnknownValueError(e: unknown): e is UnknownValueError {
    return e instanceof Error && e.name === "UnknownValueError";
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v) && v !== UNKNOWN;
}

/** Objects merge key by key; anything else (arrays included) is replaced. */
function deepMerge(base: unknown, over: unknown): unknown {
    if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
    return out;
}

/** Sets `path` to UNKNOWN, stopping where the path leaves the data (that parent has a problem of its own). */
function markUnknown(root: Record<string, unknown>, path: readonly PropertyKey[]): void {
    let node: unknown = root;
    for (let i = 0; i < path.length - 1; i++) {
        if (node === UNKNOWN || typeof node !== "object" || node === null) return;
        node = (node as Record<PropertyKey, unknown>)[path[i]];
    }
    if (node === UNKNOWN || typeof node !== "object" || node === null) return;
    (node as Record<PropertyKey, unknown>)[path[path.length - 1]] = UNKNOWN;
}

/**
 * The configuration as far as it is known: the stack file over the schema's
 * defaults, with every field an issue points at (and every missing required
 * field) UNKNOWN. Settings the schema does not know are ignored.
 */
export function lenientConfig(rawCluster: Record<string, unknown>, issues: readonly z.core.$ZodIssue[]): ClusterConfigInput {
    // Required fields get UNKNOWN below (their issue says they are missing); these values only satisfy the parse.
    const defaults = clusterConfigSchema.parse({ name: "x", adminCidrs: ["192.0.2.0/24"] }) as Record<string, unknown>;
    delete defaults.name;
    delete defaults.adminCidrs;
    const merged = deepMerge(defaults, rawCluster) as Record<string, unknown>;
    // Lists replace their defaults whole, so each pool gets the pool defaults (labels, taints, ...) itself.
    if (Array.isArray(merged.nodePools)) {
        const poolDefaults = nodePoolSchema.parse({ name: "x", instanceTypes: ["m7i.large"], min: 0, desired: 0, max: 1 }) as Record<string, unknown>;
        for (const required of ["name", "instanceTypes", "min", "desired", "max"]) delete poolDefaults[required];
        merged.nodePools = merged.nodePools.map((pool) => (isPlainObject(pool) ? deepMerge(poolDefaults, pool) : pool));
    }
    for (const issue of issues) {
        if (issue.code === "unrecognized_keys") continue;
        if (issue.path.length === 0) return UNKNOWN as ClusterConfigInput;
        markUnknown(merged, issue.path);
    }
    if (!("name" in merged)) merged.name = UNKNOWN;
    if (!("adminCidrs" in merged)) merged.adminCidrs = UNKNOWN;
    return merged as unknown as ClusterConfigInput;
}

/** Runs one part of a rule; in a lenient run, a part that reads an unknown value is skipped (strict runs have none). */
export function unlessUnknown(part: () => void): void {
    try {
        part();
    } catch (e) {
        if (!isUnknownValueError(e)) throw e;
    }
}

/** The value `read` returns, or undefined when it reads an unknown value. */
export function ifKnown<T>(read: () => T): T | undefined {
    try {
        return read();
    } catch (e) {
        if (isUnknownValueError(e)) return undefined;
        throw e;
    }
}

/** Drops problems on a key that already has one (or on a key inside it, or around it). */
export function withoutReportedKeys(problems: readonly ConfigProblem[], reported: readonly ConfigProblem[]): ConfigProblem[] {
    const taken = reported.map((p) => p.key);
    const related = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
    return problems.filter((p) => !taken.some((k) => related(p.key, k) || related(k, p.key)));
}
