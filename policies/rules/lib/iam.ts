/**
 * IAM / bucket policy documents as data: statements normalised so that checks
 * can ask "does any statement Allow everyone?" or "is plain HTTP denied?".
 */
import { isRecord, arr, strings } from "./resources";

export interface Statement {
    readonly effect: string;
    readonly principals: string[];
    readonly notPrincipal: boolean;
    readonly actions: string[];
    readonly condition: Record<string, unknown>;
}

/** Statements of a policy given as a JSON string or an object; undefined when it is neither. */
export function statements(policy: unknown): Statement[] | undefined {
    let doc = policy;
    if (typeof policy === "string") {
        try {
            doc = JSON.parse(policy);
        } catch {
            return undefined;
        }
    }
    if (!isRecord(doc)) return undefined;
    const raw = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
    return raw.filter(isRecord).map((s) => {
        const principal = s.Principal ?? s.NotPrincipal;
        const principals = typeof principal === "string" ? [principal] : isRecord(principal) ? Object.values(principal).flatMap(strings) : [];
        return {
            effect: String(s.Effect ?? ""),
            principals,
            notPrincipal: s.NotPrincipal !== undefined,
            actions: strings(s.Action),
            condition: isRecord(s.Condition) ? s.Condition : {},
        };
    });
}

/** Allow to `*` (or NotPrincipal, which allows everyone else): anyone on the internet may use the grant. */
export function allowsEveryone(s: Statement): boolean {
    return s.effect === "Allow" && (s.notPrincipal || s.principals.includes("*"));
}

function conditionValue(cond: Record<string, unknown>, operators: string[], key: string): string[] {
    return Object.entries(cond)
        .filter(([op]) => operators.includes(op))
        .flatMap(([, block]) => (isRecord(block) ? Object.entries(block) : []))
        .filter(([k]) => k.toLowerCase() === key.toLowerCase())
        .flatMap(([, v]) => arr(Array.isArray(v) ? v : [v]).map((x) => String(x).toLowerCase()));
}

/** Deny to everyone, for every S3 action, when aws:SecureTransport is false: the standard "TLS only" statement. */
export function deniesInsecureTransport(s: Statement): boolean {
    const everyone = s.principals.includes("*") && !s.notPrincipal;
    const allActions = s.actions.some((a) => a === "*" || a.toLowerCase() === "s3:*");
    const insecure = conditionValue(s.condition, ["Bool", "BoolIfExists"], "aws:SecureTransport").includes("false");
    return s.effect === "Deny" && everyone && allActions && insecure;
}
