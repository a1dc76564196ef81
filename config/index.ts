/**
 * Configuration flows one way: stack file -> this module -> typed
 * `ClusterConfig` -> components. This is the only module that reads
 * `pulumi.Config`.
 */
import * as pulumi from "@pulumi/pulumi";
import { distance } from "fastest-levenshtein";
import { clusterConfigSchema, ClusterConfigInput } from "./schema";
import { crossFieldProblems } from "./rules";
import { lenientConfig, withoutReportedKeys } from "./lenient";
import { issueToProblems } from "./issues";
import { ConfigError, ConfigProblem, CONFIG_KEY, keyOf } from "./errors";
import { DEFAULT_KUBERNETES_MINOR, KUBERNETES_RELEASES, KubernetesMinor } from "./versions";
import { RunningVersion, versionSkewProblems } from "./skew";
import { AddonMinor, addonMinor } from "./addonHold";

export { ConfigError, ConfigProblem, formatProblem } from "./errors";
export type { NodePoolConfig, NetworkConfig } from "./schema";

/** The validated, resolved configuration every component is built from. */
export interface ClusterConfig extends Omit<ClusterConfigInput, "availabilityZones" | "controlPlane" | "kubernetesVersion"> {
    readonly region: string;
    /** The zones the cluster uses, in order; slot i and subnet i live in zones[i % zones.length]. */
    readonly zones: readonly string[];
    readonly kubernetes: {
        readonly minor: KubernetesMinor;
        readonly version: string;
        /** The minor the addon images tied to the minor follow (config/addonHold.ts). */
        readonly addons: AddonMinor;
        /** What the version change was judged against (config/rolled.ts); undefined for a first deployment. */
        readonly running?: RunningVersion;
    };
    readonly controlPlane: ClusterConfigInput["controlPlane"] & { readonly schedulable: boolean };
}

/** What the stack file holds, unvalidated. */
export interface RawStackConfig {
    readonly cluster: unknown;
    readonly region: string | undefined;
    /** Every other `k8s-aws:*` setting the stack holds, by key (none is read: each is a mistake). */
    readonly otherSettings?: Readonly<Record<string, unknown>>;
    /**
     * The version the cluster runs: the roll's record (config/rolled.ts), else the stack's previous
     * outputs (config/previous.ts); undefined for a stack never deployed.
     */
    readonly running?: RunningVersion;
}

const NAMESPACE = CONFIG_KEY.slice(0, CONFIG_KEY.indexOf(":"));

/** Reads the raw values from the running stack's configuration. */
export function readStackConfig(): RawStackConfig {
    // Structured values arrive as JSON text; a plain `k8s-aws:cluster: text` arrives as the text itself.
    const all = pulumi.runtime.allConfig();
    const others = Object.entries(all).filter(([k]) => k.startsWith(`${NAMESPACE}:`) && k !== CONFIG_KEY);
    return {
        cluster: parseConfigText(new pulumi.Config(NAMESPACE).get("cluster")),
        region: new pulumi.Config("aws").get("region"),
        otherSettings: Object.fromEntries(others.map(([k, v]) => [k, parseConfigText(v)])),
    };
}

/** Structured values arrive as JSON text; a plain `key: text` arrives as the text itself. */
function parseConfigText(text: string | undefined): unknown {
    if (text === undefined) return undefined;
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

const CLUSTER_SHAPE = "a mapping of settings under k8s-aws:cluster: (name:, adminCidrs:, nodePools:, ...; see README, Configuration)";

/** Stack keys this project does not read, each with the nearest key it does read when that is likely meant. */
function unknownKeyProblems(settings: Readonly<Record<string, unknown>>): ConfigProblem[] {
    return Object.entries(settings).map(([key, value]) => {
        const guess = distance(key, CONFIG_KEY) <= 3 ? `; did you mean ${CONFIG_KEY}?` : "";
        return { key, value, allowed: `no such setting: this project reads ${CONFIG_KEY} only${guess}` };
    });
}

/**
 * Validates the raw configuration and returns it typed, or throws a
 * ConfigError listing every problem. Zones given as a count stay unresolved
 * until `resolveZones`, which needs the account's zone list.
 */
export function validateClusterConfig(raw: RawStackConfig): ClusterConfigInput & { region: string; running?: RunningVersion } {
    const problems: ConfigProblem[] = [];
    if (!raw.region) problems.push({ key: "aws:region", value: undefined, allowed: "an AWS region such as eu-west-1 (pulumi config set aws:region ...)" });
    problems.push(...unknownKeyProblems(raw.otherSettings ?? {}));
    if (raw.cluster === undefined) {
        problems.push({ key: CONFIG_KEY, value: undefined, allowed: `required: ${CLUSTER_SHAPE}` });
        throw new ConfigError(problems);
    }
    if (!isPlainObject(raw.cluster)) {
        problems.push({ key: CONFIG_KEY, value: raw.cluster, allowed: CLUSTER_SHAPE });
        throw new ConfigError(problems);
    }
    const parsed = clusterConfigSchema.safeParse(raw.cluster, { reportInput: true });
    if (!parsed.success) {
        const fieldProblems = parsed.error.issues.flatMap(issueToProblems);
        const lenient = lenientConfig(raw.cluster, parsed.error.issues);
        problems.push(
            ...fieldProblems,
            ...withoutReportedKeys(
                [
                    ...crossFieldProblems(lenient, raw.region ?? "", { tolerant: true }),
                    ...skewProblems((raw.cluster as Record<string, unknown>).kubernetesVersion ?? DEFAULT_KUBERNETES_MINOR, raw.running, rawOverride(raw.cluster)),
                ],
                fieldProblems,
            ),
        );
        throw new ConfigError(problems);
    }
    problems.push(...crossFieldProblems(parsed.data, raw.region ?? ""), ...skewProblems(parsed.data.kubernetesVersion, raw.running, parsed.data.upgrade.allowMinorDowngrade));
    if (problems.length > 0) throw new ConfigError(problems);
    return { ...parsed.data, region: raw.region!, ...(raw.running ? { running: raw.running } : {}) };
}

/**
 * Picks the zones: explicit names must be available to the account; a count
 * takes the first N available. Then derives the rest of ClusterConfig.
 */
export function resolveZones(c: ClusterConfigInput & { region: string; running?: RunningVersion }, available: readonly string[]): ClusterConfig {
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
    const { availabilityZones: _az, kubernetesVersion: _kv, running, ...rest } = c;
    return {
        ...rest,
        zones,
        kubernetes: { minor, version: KUBERNETES_RELEASES[minor], addons: addonMinor(minor, running), ...(running ? { running } : {}) },
        controlPlane: { ...c.controlPlane, schedulable: c.controlPlane.schedulable ?? c.controlPlane.count === 1 },
    };
}

/** The skew rules, for a minor this program pins (any other is reported by the schema). */
function skewProblems(minor: unknown, running: RunningVersion | undefined, allowMinorDowngrade: string | undefined): ConfigProblem[] {
    const version = typeof minor === "string" ? (KUBERNETES_RELEASES as Record<string, string>)[minor] : undefined;
    return version === undefined ? [] : versionSkewProblems(minor as string, version, running, allowMinorDowngrade);
}

/** The override as written, when the rest of the stack file failed the schema (a malformed one is reported by the schema). */
function rawOverride(cluster: unknown): string | undefined {
    const upgrade = isPlainObject(cluster) ? cluster.upgrade : undefined;
    const value = isPlainObject(upgrade) ? upgrade.allowMinorDowngrade : undefined;
    return typeof value === "string" && /^\d+\.\d+->\d+\.\d+$/.test(value) ? value : undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Validation and zone resolution in one call, for the entry program. */
export function loadClusterConfig(raw: RawStackConfig, availableZones: readonly string[]): ClusterConfig {
    return resolveZones(validateClusterConfig(raw), availableZones);
}
