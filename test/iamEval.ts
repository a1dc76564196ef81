/**
 * A small IAM evaluator for the control plane's policies: wildcard actions
 * and resources, NotResource, principals, and the condition operators the
 * documents use (StringEquals, StringLike, Bool) against a request context
 * (resource tags as aws:ResourceTag/<key>, s3:prefix, aws:SecureTransport).
 * Explicit deny beats allow; nothing matched is denied. A request naming
 * several resources (an instance and the interface attached to it) is
 * allowed only if each resource is.
 */
export interface Request {
    readonly action: string;
    readonly resource: string;
    readonly principal?: string;
    /** Condition keys of this request and resource, e.g. { "aws:ResourceTag/k8s.io/slot": "control-plane-a" }. */
    readonly context?: Readonly<Record<string, string>>;
}
export type Decision = "allow" | "explicit-deny" | "implicit-deny";

export const list = (v: unknown): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v as string]);
const glob = (pattern: string, flags = "") =>
    new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/]/g, "\\$&"))).join("")}$`, flags);
/** Whether any IAM pattern (with * and ?) matches the value. */
export const anyMatch = (patterns: string[], value: string, flags = "") => patterns.some((p) => glob(p, flags).test(value));

function conditionHolds(op: string, key: string, wanted: string[], context: Readonly<Record<string, string>>): boolean {
    const actual = context[key];
    if (actual === undefined) return false;
    switch (op) {
        case "StringEquals":
        case "Bool":
            return wanted.includes(actual);
        case "StringLike":
            return anyMatch(wanted, actual);
        default:
            throw new Error(`evaluator does not know condition operator ${op}`);
    }
}

function statementMatches(st: any, req: Request): boolean {
    if (st.Principal !== undefined) {
        if (req.principal === undefined) return false;
        if (st.Principal !== "*" && !anyMatch(list(st.Principal.AWS) ?? [], req.principal)) return false;
    }
    const actions = list(st.Action);
    if (actions ? !anyMatch(actions, req.action, "i") : anyMatch(list(st.NotAction)!, req.action, "i")) return false;
    const resources = list(st.Resource);
    if (resources ? !anyMatch(resources, req.resource) : anyMatch(list(st.NotResource)!, req.resource)) return false;
    const context = { "aws:SecureTransport": "true", ...(req.context ?? {}) };
    for (const [op, kv] of Object.entries<Record<string, string | string[]>>(st.Condition ?? {})) {
        for (const [k, v] of Object.entries(kv)) if (!conditionHolds(op, k, list(v)!, context)) return false;
    }
    return true;
}

export function decide(policyJson: string, req: Request): Decision {
    const statements: any[] = JSON.parse(policyJson).Statement;
    const matching = statements.filter((st) => statementMatches(st, req));
    if (matching.some((st) => st.Effect === "Deny")) return "explicit-deny";
    return matching.some((st) => st.Effect === "Allow") ? "allow" : "implicit-deny";
}

/** All resources of one API call must be allowed. */
export function decideAll(policyJson: string, reqs: readonly Request[]): Decision {
    const ds = reqs.map((r) => decide(policyJson, r));
    return ds.find((d) => d !== "allow") ?? "allow";
}

/** The context of a tagged resource: its tags as aws:ResourceTag/<key>. */
export function tagContext(tags: Readonly<Record<string, string>>): Record<string, string> {
    return Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
}
