/**
 * Policy pack configuration (`--policy-pack-config`) as the Pulumi CLI
 * reconciles it: schema defaults first, then `"all"`'s enforcement level, then
 * each policy's own level and properties, then validation against each
 * policy's configSchema. The offline runner uses this so a config file means
 * the same thing offline and in `pulumi preview`.
 *
 * Stricter than the CLI on purpose: a policy name or setting the pack does not
 * know is an error, not ignored. The CLI applies any name it is given and
 * validates only the pack's own policies against a schema built from
 * `properties` and `required` alone (pulumi/pulumi pkg/resource/analyzer/config.go:
 * applyConfig, validatePolicyPackConfig, convertSchema), and @pulumi/policy 1.21.0
 * sends it nothing else (protoutil.js: setProperties, setRequiredList), so a
 * typo such as "allowedApiCidr" would silently drop an allow-list. `strictConfig`
 * carries the same check into the live analyzer.
 */
import { readFileSync } from "fs";
import type { Policies, Policy, EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { PolicyConfigJSONSchema, PolicyConfigJSONSchemaDefinition } from "@pulumi/policy/schema";
import { didYouMean } from "./closest";

export type PolicyConfigValue = EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>);
export type PolicyPackConfig = Record<string, PolicyConfigValue>;

export interface ResolvedPolicyConfig {
    readonly enforcementLevel: EnforcementLevel;
    readonly properties: Record<string, unknown>;
}

/** Configuration that cannot be used; one message per problem, each naming the key, the value and what is allowed. */
export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(problems.join("\n"));
    }
}

const LEVELS: readonly string[] = ["advisory", "mandatory", "remediate", "disabled"];
const show = (v: unknown) => JSON.stringify(v) ?? String(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function typeMatches(v: unknown, type: string): boolean {
    switch (type) {
        case "integer":
            return Number.isInteger(v);
        case "number":
            return typeof v === "number" && Number.isFinite(v);
        case "array":
            return Array.isArray(v);
        case "object":
            return isObject(v);
        case "null":
            return v === null;
        default:
            return typeof v === type;
    }
}

/** The JSON Schema keywords policy config schemas use here; each failure names the key, the value and what is allowed. */
export function schemaProblems(key: string, v: unknown, schemaDef: PolicyConfigJSONSchemaDefinition): string[] {
    if (typeof schemaDef === "boolean") return schemaDef ? [] : [`"${key}": no value is allowed`];
    const s: PolicyConfigJSONSchema = schemaDef;
    const bad = (what: string) => [`"${key}": ${show(v)} is not allowed; ${what}`];
    if (s.type !== undefined) {
        const types = Array.isArray(s.type) ? s.type : [s.type];
        if (!types.some((t) => typeMatches(v, t))) return bad(`expected ${types.join(" or ")}`);
    }
    if (s.enum !== undefined && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) return bad(`expected one of ${s.enum.map(show).join(", ")}`);
    if (typeof v === "number") {
        if (s.minimum !== undefined && v < s.minimum) return bad(`minimum ${s.minimum}`);
        if (s.maximum !== undefined && v > s.maximum) return bad(`maximum ${s.maximum}`);
    }
    if (typeof v === "string") {
        if (s.minLength !== undefined && v.length < s.minLength) return bad(`at least ${s.minLength} characters`);
        if (s.pattern !== undefined && !new RegExp(s.pattern).test(v)) return bad(`must match /${s.pattern}/`);
    }
    if (Array.isArray(v)) {
        if (s.minItems !== undefined && v.length < s.minItems) return bad(`at least ${s.minItems} items`);
        if (s.maxItems !== undefined && v.length > s.maxItems) return bad(`at most ${s.maxItems} items`);
        if (s.items !== undefined && !Array.isArray(s.items)) return v.flatMap((x, i) => schemaProblems(`${key}[${i}]`, x, s.items as PolicyConfigJSONSchemaDefinition));
    }
    return [];
}

function level(key: string, v: unknown, problems: string[]): EnforcementLevel | undefined {
    if (v === undefined) return undefined;
    if (typeof v === "string" && LEVELS.includes(v)) return v as EnforcementLevel;
    problems.push(`"${key}": ${show(v)} is not an enforcement level; expected one of ${LEVELS.join(", ")}`);
    return undefined;
}

/** Settings a policy's config names that its schema does not declare, each with a did-you-mean. */
export function unknownSettings(policy: Policy, properties: Record<string, unknown>): string[] {
    const known = Object.keys(policy.configSchema?.properties ?? {});
    const allowed = known.length > 0 ? `its settings are ${known.join(", ")}` : "it has no settings";
    return Object.keys(properties)
        .filter((k) => !known.includes(k))
        .map((k) => `"${policy.name}.${k}" is not a setting of policy ${policy.name}${didYouMean(k, known)}; ${allowed}`);
}

/**
 * Each policy's enforcement level and properties under a pack config.
 * Throws ConfigError listing every problem: bad levels, values the schemas refuse,
 * and names of policies or settings the pack does not know (with a did-you-mean).
 */
export function reconcileConfig(policies: Policies, config: unknown = {}, packLevel: EnforcementLevel = "advisory"): { resolved: Map<string, ResolvedPolicyConfig> } {
    const problems: string[] = [];
    if (!isObject(config)) throw new ConfigError([`policy config ${show(config)} is not allowed; expected a JSON object keyed by policy name (or "all")`]);
    const resolved = new Map<string, ResolvedPolicyConfig>();
    for (const p of policies) {
        const defaults = Object.entries(p.configSchema?.properties ?? {})
            .filter(([, s]) => s.default !== undefined)
            .map(([k, s]) => [k, s.default]);
        resolved.set(p.name, { enforcementLevel: p.enforcementLevel ?? packLevel, properties: Object.fromEntries(defaults) });
    }
    const given = new Map<string, { level?: EnforcementLevel; properties: Record<string, unknown> }>();
    for (const [name, v] of Object.entries(config)) {
        if (typeof v === "string") given.set(name, { level: level(name, v, problems), properties: {} });
        else if (isObject(v)) {
            const { enforcementLevel, ...properties } = v;
            given.set(name, { level: level(`${name}.enforcementLevel`, enforcementLevel, problems), properties });
        } else problems.push(`"${name}": ${show(v)} is not allowed; expected an enforcement level or an object`);
    }
    for (const k of Object.keys(given.get("all")?.properties ?? {})) problems.push(`"all.${k}" is not allowed; "all" sets only the enforcement level of every policy`);
    const all = given.get("all")?.level;
    if (all) for (const [name, r] of resolved) resolved.set(name, { ...r, enforcementLevel: all });
    for (const [name, g] of given) {
        if (name === "all") continue;
        const r = resolved.get(name);
        if (!r) {
            const names = policies.map((p) => p.name);
            const hint = didYouMean(name, [...names, "all"]);
            problems.push(hint ? `"${name}" is not a policy of this pack${hint}` : `"${name}" is not a policy of this pack; its policies are ${names.join(", ")}, and "all" sets every policy's level`);
            continue;
        }
        resolved.set(name, { enforcementLevel: g.level ?? r.enforcementLevel, properties: { ...r.properties, ...g.properties } });
    }
    for (const p of policies) {
        const props = resolved.get(p.name)!.properties;
        const schema = p.configSchema?.properties ?? {};
        problems.push(...unknownSettings(p, props));
        for (const [k, v] of Object.entries(props)) if (schema[k] !== undefined) problems.push(...schemaProblems(`${p.name}.${k}`, v, schema[k]));
        for (const k of p.configSchema?.required ?? []) if (props[k] === undefined) problems.push(`"${p.name}.${k}" is required`);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return { resolved };
}

/** A policy config file that cannot be used: its lines name the file and each problem; the tools exit 2 on it. */
export class PolicyConfigFileError extends Error {
    constructor(readonly lines: string[]) {
        super(lines.join("\n"));
        this.name = "PolicyConfigFileError";
    }
}

/**
 * Reads and checks a `--policy-pack-config` file against a pack, as the render and
 * `npm run policy` take it. Empty content means no config, as the CLI reads it
 * (pulumi/pulumi pkg/resource/analyzer/config.go parsePolicyPackConfig: "Gracefully allow empty content").
 */
export function loadPolicyConfig(file: string, policies: Policies): PolicyPackConfig {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" ? "permission denied" : (code ?? (e as Error).message);
        throw new PolicyConfigFileError([`policy config ${file}: cannot read it (${why}); allowed: a JSON file as \`pulumi preview --policy-pack-config\` takes`]);
    }
    if (text.trim() === "") return {};
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new PolicyConfigFileError([`policy config ${file}: not valid JSON (${(e as Error).message})`]);
    }
    try {
        reconcileConfig(policies, doc);
    } catch (e) {
        if (e instanceof ConfigError) throw new PolicyConfigFileError(e.problems.map((p) => `policy config ${file}: ${p}`));
        throw e;
    }
    return doc as PolicyPackConfig;
}

/**
 * The policy with a guard in front of each validation that refuses settings its
 * schema does not declare. The live analyzer hands a policy every property the
 * config gives it (server.js makeGetConfigFun) and the CLI's schema check does not
 * refuse extra ones, so without this a misspelt setting is silently ignored under
 * `pulumi preview --policy-pack-config`. Throwing makes @pulumi/policy answer the
 * CLI with an error ("Error validating resource with policy ..."), which fails the
 * preview with our message. Offline, reconcileConfig refuses the same config first.
 */
export function strictConfig<P extends ResourceValidationPolicy | StackValidationPolicy>(policy: P): P {
    const check = (given: object) => {
        const unknown = unknownSettings(policy, given as Record<string, unknown>);
        if (unknown.length > 0) throw new ConfigError(unknown);
    };
    if ("validateStack" in policy) {
        const inner = policy.validateStack;
        return { ...policy, validateStack: (args, report) => (check(args.getConfig()), inner(args, report)) };
    }
    const r = policy as ResourceValidationPolicy;
    if (r.validateResource === undefined) return policy;
    const validations = Array.isArray(r.validateResource) ? r.validateResource : [r.validateResource];
    return { ...policy, validateResource: validations.map((v) => (args: Parameters<typeof v>[0], report: Parameters<typeof v>[1]) => (check(args.getConfig()), v(args, report))) };
}
