/**
 * Configuration problems: each names the config key, the value found and what
 * is allowed. They are collected and reported together, before any resource
 * is created.
 */
import * as pulumi from "@pulumi/pulumi";

export const CONFIG_KEY = "k8s-aws:cluster";

export interface ConfigProblem {
    /** Full config key, e.g. `k8s-aws:cluster.nodePools[0].min`. */
    readonly key: string;
    readonly value: unknown;
    /** What is allowed, phrased to complete "allowed: …". */
    readonly allowed: string;
}

/** YAML's spelling of the numbers JSON cannot hold, so they show as the user wrote them. */
function nonFiniteAsYaml(n: number): string {
    return Number.isNaN(n) ? ".nan" : n > 0 ? ".inf" : "-.inf";
}

export function formatValue(value: unknown): string {
    if (value === undefined) return "(missing)";
    if (typeof value === "number" && !Number.isFinite(value)) return nonFiniteAsYaml(value);
    const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? nonFiniteAsYaml(v) : v));
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function formatProblem(p: ConfigProblem): string {
    return `${p.key}: ${formatValue(p.value)} is not valid; allowed: ${p.allowed}`;
}

/**
 * Thrown for invalid configuration. A pulumi.RunError, so `pulumi up` prints
 * the message alone, with no stack trace, and registers no resource.
 */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` + problems.map((p) => `  ${formatProblem(p)}`).join("\n"));
        this.name = "ConfigError";
    }

    static is(e: unknown): e is ConfigError {
        return e instanceof Error && e.name === "ConfigError" && Array.isArray((e as ConfigError).problems);
    }
}

/** Renders a path such as ["nodePools", 0, "min"] as `k8s-aws:cluster.nodePools[0].min`. */
export function keyOf(path: readonly PropertyKey[]): string {
    let key = CONFIG_KEY;
    for (const part of path) {
        key += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
    }
    return key;
}
