/**
 * Configuration flows one way: stack file -> this module -> typed
 * `ClusterConfig` -> components. This is the only module that reads
 * `pulumi.Config`.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { clusterConfigSchema, ClusterConfigInput, nodePoolSchema } from "./schema";
import { crossFieldProblems } from "./rules";
import { ConfigError, ConfigProblem, CONFIG_KEY, keyOf } from "./errors";
import { KUBERNETES_RELEASES, KubernetesMinor } from "./versions";

export { ConfigError, ConfigProblem, formatProblem } from "./errors";
export type { NodePoolConfig, NetworkConfig } from "./schema";

/** The validated, resolved configuration every component is built from. */
export interface ClusterConfig extends Omit<ClusterConfigInput, "availabilityZones" | "controlPlane" | "kubernetesVersion"> {
    readonly region: string;
    /** The zones the cluster uses, in order; slot i and subnet i live in zones[i % zones.length]. */
    readonly zones: readonly string[];
    readonly kubernetes: { readonly minor: KubernetesMinor; readonly version: string };
    readonly controlPlane: ClusterConfigInput["controlPlane"] & { readonly schedulable: boolean };
}

/** What the stack file holds, unvalidated. */
export interface RawStackConfig {
    readonly cluster: unknown;
    readonly region: string | undefined;
}

/** Reads the raw values from the running stack's configuration. */
export function readStackConfig(): RawStackConfig {
    return {
        cluster: new pulumi.Config("k8s-aws").getObject<unknown>("cluster"),
        region: new pulumi.Config("aws").get("region"),
    };
}

/**
 * Validates the raw configuration and returns it typed, or throws a
 * ConfigError listing every problem. Zones given as a count stay unresolved
 * until `resolveZones`, which needs the account's zone list.
 */
export function validateClusterConfig(raw: RawStackConfig): ClusterConfigInput & { region: string } {
    const problems: ConfigProblem[] = [];
    if (!raw.region) problems.push({ key: "aws:region", value: undefined, allowed: "an AWS region such as eu-west-1 (pulumi config set aws:region ...)" });
    if (raw.cluster === undefined) {
        problems.push({ key: CONFIG_KEY, value: undefined, allowed: "an object with at least name and adminCidrs (see README, Configuration)" });
        throw new ConfigError(problems);
    }
    const parsed = clusterConfigSchema.safeParse(raw.cluster, { reportInput: true });
    if (!parsed.success) {
        const fieldProblems = parsed.error.issues.flatMap(issueToProblems);
        problems.push(...fieldProblems, ...lenientCrossFieldProblems(raw.cluster, raw.region ?? "", fieldProblems));
        throw new ConfigError(problems);
    }
    problems.push(...crossFieldProblems(parsed.data, raw.region ?? ""));
    if (problems.length > 0) throw new ConfigError(problems);
    return { ...parsed.data, region: raw.region! };
}

/**
 * Picks the zones: explicit names must be available to the account; a count
 * takes the first N available. Then derives the rest of ClusterConfig.
 */
export function resolveZones(c: ClusterConfigInput & { region: string }, available: readonly string[]): ClusterConfig {
    const sorted = [...available].sort();
    const wanted = c.availabilityZones;
    const problems: ConfigProblem[] = [];
    let zones: string[];
    if (Array.isArray(wanted)) {
        zones = wanted;
        wanted.forEach((zone, i) => {
            if (!sorted.includes(zone)) {
                problems.push({ key: keyOf(["availabilityZones", i]), value: zone, allowed: `a zone available to this account in ${c.region}: ${sorted.join(", ")}` });
            }
        });
    } else {
        zones = sorted.slice(0, wanted);
        if (sorted.length < wanted) {
            problems.push({ key: keyOf(["availabilityZones"]), value: wanted, allowed: `at most ${sorted.length} (zones available in ${c.region}: ${sorted.join(", ")})` });
        }
    }
    if (problems.length > 0) throw new ConfigError(problems);
    const minor = c.kubernetesVersion as KubernetesMinor;
    const { availabilityZones: _az, kubernetesVersion: _kv, ...rest } = c;
    return {
        ...rest,
        zones,
        kubernetes: { minor, version: KUBERNETES_RELEASES[minor] },
        controlPlane: { ...c.controlPlane, schedulable: c.controlPlane.schedulable ?? c.controlPlane.count === 1 },
    };
}

/**
 * When some fields are malformed, the rules that relate fields still run on
 * the rest (the stack file over the schema's defaults), so that one run
 * reports every problem. Rules that trip over a malformed value are skipped,
 * and nothing is reported twice for a key that already has a problem.
 */
function lenientCrossFieldProblems(rawCluster: unknown, region: string, fieldProblems: readonly ConfigProblem[]): ConfigProblem[] {
    if (!isPlainObject(rawCluster)) return [];
    const defaults = clusterConfigSchema.parse({ name: "defaults", adminCidrs: ["192.0.2.0/24"], addons: { externalDns: false } });
    const merged = deepMerge(defaults, rawCluster) as ClusterConfigInput;
    // Lists replace their defaults whole, so each pool gets the pool defaults (labels, taints, ...) itself.
    if (Array.isArray(merged.nodePools)) {
        const poolDefaults = nodePoolSchema.parse({ name: "defaults", instanceTypes: ["m7i.large"], min: 0, desired: 0, max: 1 });
        merged.nodePools = merged.nodePools.map((pool) => deepMerge(poolDefaults, pool) as typeof pool);
    }
    const taken = fieldProblems.map((p) => p.key);
    return crossFieldProblems(merged, region, { tolerant: true }).filter(
        (p) => !taken.some((k) => p.key === k || p.key.startsWith(`${k}.`) || p.key.startsWith(`${k}[`) || k.startsWith(`${p.key}.`) || k.startsWith(`${p.key}[`)),
    );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; anything else (arrays included) is replaced. */
function deepMerge(base: unknown, over: unknown): unknown {
    if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
    return out;
}

function issueToProblems(issue: z.core.$ZodIssue): ConfigProblem[] {
    const input = (issue as { input?: unknown }).input;
    const key = keyOf(issue.path);
    switch (issue.code) {
        case "unrecognized_keys":
            return issue.keys.map((k) => ({
                key: keyOf([...issue.path, k]),
                value: (input as Record<string, unknown> | undefined)?.[k],
                allowed: "no such setting; check the spelling against the README's configuration reference",
            }));
        case "invalid_type":
            return [{ key, value: input, allowed: input === undefined ? `required: ${article(issue.expected)}` : article(issue.expected) }];
        case "invalid_value":
            return [{ key, value: input, allowed: `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}` }];
        case "too_small":
            return [{ key, value: input, allowed: bound(issue.origin, ">=", issue.minimum, issue.inclusive) }];
        case "too_big":
            return [{ key, value: input, allowed: bound(issue.origin, "<=", issue.maximum, issue.inclusive) }];
        case "invalid_union":
            if (issue.discriminator && "options" in issue) {
                const d = issue.discriminator;
                const options = (issue.options ?? []).map((o) => JSON.stringify(o)).join(", ");
                const dKey = issue.path[issue.path.length - 1] === d ? key : `${key}.${d}`;
                return [{ key: dKey, value: (input as Record<string, unknown> | undefined)?.[d], allowed: `one of ${options}` }];
            }
            return [{ key, value: input, allowed: issue.message === "Invalid input" ? describeUnion(issue) : issue.message }];
        default:
            return [{ key, value: input, allowed: issue.message }];
    }
}

function article(expected: string): string {
    return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function bound(origin: string, op: string, n: number | bigint, inclusive: boolean | undefined): string {
    const limit = inclusive === false ? (op === ">=" ? `> ${n}` : `< ${n}`) : `${op} ${n}`;
    if (origin === "array") return `a list with length ${limit}`;
    if (origin === "string") return `a string with length ${limit}`;
    return `a ${origin === "int" ? "whole number" : "number"} ${limit}`;
}

function describeUnion(issue: { errors: z.core.$ZodIssue[][] }): string {
    const expected = issue.errors.map((branch) => branch.map((e) => (e.code === "invalid_type" ? e.expected : e.message)).join(" and "));
    return `one of: ${expected.join("; ")}`;
}

/** Validation and zone resolution in one call, for the entry program. */
export function loadClusterConfig(raw: RawStackConfig, availableZones: readonly string[]): ClusterConfig {
    return resolveZones(validateClusterConfig(raw), availableZones);
}
