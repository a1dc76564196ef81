/**
 * The schema's verdicts (zod issues) in plain words: each becomes a problem
 * naming the config key, the value found and what is allowed, never the
 * library's own phrasing ("Invalid key in record") or a raw pattern.
 */
import { z } from "zod";
import { closest, distance } from "fastest-levenshtein";
import { clusterConfigSchema } from "./schema";
import { ConfigProblem, keyOf } from "./errors";

export function issueToProblems(issue: z.core.$ZodIssue): ConfigProblem[] {
    const input = (issue as { input?: unknown }).input;
    const key = keyOf(issue.path);
    switch (issue.code) {
        case "unrecognized_keys": {
            const known = settingsAt(issue.path);
            return issue.keys.map((k) => ({
                key: keyOf([...issue.path, k]),
                value: (input as Record<string, unknown> | undefined)?.[k],
                allowed: `no such setting${didYouMean(k, known)}; the settings here: ${known.join(", ")}`,
            }));
        }
        case "invalid_type":
            return [{ key, value: input, allowed: input === undefined ? `required: ${typeName(issue.expected)}` : typeName(issue.expected) }];
        case "invalid_value":
            return [{ key, value: input, allowed: oneOf(issue.values, input) }];
        case "too_small":
            return [{ key, value: input, allowed: bound(issue.origin, ">=", issue.minimum, issue.inclusive) }];
        case "too_big":
            return [{ key, value: input, allowed: bound(issue.origin, "<=", issue.maximum, issue.inclusive) }];
        case "invalid_key":
            // A record's key (a label, a tag) is itself the value at fault.
            return issue.issues.map((inner) => ({ key, value: issue.input, allowed: `a key that is ${issueToProblems({ ...inner, path: [] } as z.core.$ZodIssue)[0].allowed}` }));
        case "invalid_format":
            return [{ key, value: input, allowed: issue.message.startsWith("Invalid") ? "text in the format the configuration reference gives (README)" : issue.message }];
        case "invalid_union":
            if (issue.discriminator && "options" in issue) {
                const d = issue.discriminator;
                const dKey = issue.path[issue.path.length - 1] === d ? key : `${key}.${d}`;
                const value = (input as Record<string, unknown> | undefined)?.[d];
                return [{ key: dKey, value, allowed: oneOf(issue.options ?? [], value) }];
            }
            return [{ key, value: input, allowed: issue.message === "Invalid input" ? describeUnion(issue, input) : issue.message }];
        default:
            return [{ key, value: input, allowed: issue.message }];
    }
}

function typeName(expected: string): string {
    const names: Record<string, string> = {
        array: "a list",
        object: "a mapping of settings (key: value lines)",
        record: "a mapping (key: value lines)",
        boolean: "a boolean: true or false",
        int: "a whole number",
    };
    return names[expected] ?? (/^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`);
}

/**
 * "one of ..."; a number where text is expected gets a hint, since YAML reads
 * `kubernetesVersion: 1.35` unquoted as a number (and `1.40` as 1.4).
 */
function oneOf(values: readonly unknown[], input: unknown): string {
    const list = `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`;
    if (typeof input === "number" && values.every((v) => typeof v === "string")) {
        const asText = values.find((v) => v === String(input));
        const example = JSON.stringify(asText ?? values[0]);
        return `text, not a number: write it in quotes, e.g. ${example} (YAML reads it unquoted as a number); ${list}`;
    }
    return list;
}

function bound(origin: string, op: string, n: number | bigint, inclusive: boolean | undefined): string {
    const limit = inclusive === false ? (op === ">=" ? `> ${n}` : `< ${n}`) : `${op} ${n}`;
    if (origin === "array") return `a list with length ${limit}`;
    if (origin === "string") return `a string with length ${limit}`;
    return `a ${origin === "int" ? "whole number" : "number"} ${limit}`;
}

/** A union of literals reads as "one of 2048, 3072, 4096"; other unions list what each branch wants. */
function describeUnion(issue: { errors: z.core.$ZodIssue[][] }, input: unknown): string {
    const branches = issue.errors.map((branch) => branch[0]);
    if (branches.every((e) => e?.code === "invalid_value")) {
        return oneOf(
            branches.flatMap((e) => (e as z.core.$ZodIssueInvalidValue).values),
            input,
        );
    }
    const expected = issue.errors.map((branch) =>
        branch.map((e) => (e.code === "invalid_type" ? typeName(e.expected) : issueToProblems({ ...e, path: [] } as z.core.$ZodIssue)[0].allowed)).join(" and "),
    );
    return `either ${expected.join(", or ")}`;
}

function didYouMean(given: string, known: readonly string[]): string {
    if (known.length === 0) return "";
    const best = closest(given, known as string[]);
    return distance(given.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(best.length / 3)) ? ` (did you mean ${best}?)` : "";
}

interface SchemaDef {
    readonly type: string;
    readonly shape?: Record<string, { _zod: { def: SchemaDef } }>;
    readonly innerType?: { _zod: { def: SchemaDef } };
    readonly element?: { _zod: { def: SchemaDef } };
    readonly options?: { _zod: { def: SchemaDef } }[];
    readonly valueType?: { _zod: { def: SchemaDef } };
}

/** The setting names the schema allows at `path` (for a did-you-mean on a misspelt one). */
function settingsAt(path: readonly PropertyKey[]): string[] {
    let defs: SchemaDef[] = [(clusterConfigSchema as unknown as { _zod: { def: SchemaDef } })._zod.def];
    const unwrap = (d: SchemaDef): SchemaDef[] => {
        if (d.innerType) return unwrap(d.innerType._zod.def);
        if (d.type === "union" && d.options) return d.options.flatMap((o) => unwrap(o._zod.def));
        return [d];
    };
    defs = defs.flatMap(unwrap);
    for (const part of path) {
        defs = defs.flatMap((d) => {
            if (typeof part === "number" && d.element) return unwrap(d.element._zod.def);
            if (d.shape && typeof part === "string" && d.shape[part]) return unwrap(d.shape[part]._zod.def);
            if (d.valueType) return unwrap(d.valueType._zod.def);
            return [];
        });
    }
    return [...new Set(defs.flatMap((d) => Object.keys(d.shape ?? {})))];
}
