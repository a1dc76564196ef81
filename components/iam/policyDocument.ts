/**
 * IAM policy documents as data: typed statements and one renderer that writes
 * them as JSON with sorted keys, so the same document always renders to the
 * same bytes (stable diffs, golden files, policy checks that read the JSON).
 */

export type OneOrMany<T> = T | T[];

export type Principal = "*" | { readonly AWS?: OneOrMany<string>; readonly Service?: OneOrMany<string> };

export interface PolicyStatement {
    readonly Sid?: string;
    readonly Effect: "Allow" | "Deny";
    readonly Principal?: Principal;
    readonly Action?: OneOrMany<string>;
    readonly NotAction?: OneOrMany<string>;
    readonly Resource?: OneOrMany<string>;
    readonly NotResource?: OneOrMany<string>;
    readonly Condition?: Record<string, Record<string, OneOrMany<string>>>;
}

export interface PolicyDocument {
    readonly Version: "2012-10-17";
    readonly Statement: PolicyStatement[];
}

export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
    return { Version: "2012-10-17", Statement: statements };
}

/** JSON with object keys sorted at every level; array order is kept (it is the author's). */
export function sortedJson(value: unknown): string {
    return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value && typeof value === "object") {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
                .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
        );
    }
    return value;
}

/** Renders a policy document (sorted keys). */
export function renderPolicy(doc: PolicyDocument): string {
    return sortedJson(doc);
}

/** The trust policy of an EC2 instance role: only the EC2 service may assume it. */
export function ec2TrustPolicy(): string {
    return renderPolicy(policyDocument([{ Sid: "Ec2AssumeRole", Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }]));
}
