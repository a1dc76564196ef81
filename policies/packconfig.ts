/**
 * Policy pack configuration (`--policy-pack-config`) as the Pulumi CLI
 * reconciles it: schema defaults first, then `"all"`'s enforcement level, then
 * each policy's own level and properties, then validation against each
 * policy's configSchema. The offline runner uses this so a config file means
 * the same thing offline and in `pulumi preview`.
 */
import type { Policies, EnforcementLevel } from "@pulumi/policy";
import type { PolicyConfigJSONSchema, PolicyConfigJSONSchemaDefinition } from "@pulumi/policy/schema";

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

/**
 * Each policy's enforcement level and properties under a pack config.
 * Throws ConfigError for unusable config; `warnings` lists names the pack does not know
 * (the Pulumi CLI ignores them too, but a typo there silently changes nothing).
 */
export function reconcileConfig(policies: Policies, config: unknown = {}, packLevel: EnforcementLevel = "advisory"): { resolved: Map<string, ResolvedPolicyConfig>; warnings: string[] } {
    const problems: string[] = [];
    const warnings: string[] = [];
    if (!isObject(config)) throw new ConfigError([`policy config ${show(config)} is not allowed; expected a JSON object keyed by policy name (or "all")`]);
    const resolved = new Map<string, ResolvedPolicyConfig>();
    for (const p of policies) {
        const defaults = Object.entries(p.configSchema?.properties ?? {}).filter(([, s]) => s.default !== undefined).map(([k, s]) => [k, s.default]);
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
    const all = given.get("all")?.level;
    if (all) for (const [name, r] of resolved) resolved.set(name, { ...r, enforcementLevel: all });
    for (const [name, g] of given) {
        if (name === "all") continue;
        const r = resolved.get(name);
        if (!r) {
            warnings.push(`policy config names "${name}", which is not a policy of this pack`);
            continue;
        }
        resolved.set(name, { enforcementLevel: g.level ?? r.enforcementLevel, properties: { ...r.properties, ...g.properties } });
    }
    for (const p of policies) {
        const props = resolved.get(p.name)!.properties;
        const schema = p.configSchema?.properties ?? {};
        for (const [k, v] of Object.entries(props)) {
            if (schema[k] === undefined) warnings.push(`policy config "${p.name}.${k}" is not a setting of ${p.name}`);
            else problems.push(...schemaProblems(`${p.name}.${k}`, v, schema[k]));
        }
        for (const k of p.configSchema?.required ?? []) if (props[k] === undefined) problems.push(`"${p.name}.${k}" is required`);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return { resolved, warnings };
}
