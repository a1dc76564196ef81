/**
 * Runs the pack's policy objects over a plan.json, without the Pulumi CLI:
 * the same validateResource / validateStack functions the PolicyPack serves,
 * given each resource's recorded inputs as its properties, under the same
 * config reconciliation. Produces the contract's policy-report.json document.
 */
import type { Policies, PolicyResource, PolicyResourceOptions, ResourceValidationArgs, StackValidationArgs, ReportViolation } from "@pulumi/policy";
import { allPolicies } from "./rules";
import { reconcileConfig } from "./packconfig";

export { ConfigError } from "./packconfig";
export type { PolicyPackConfig } from "./packconfig";

export interface PlanResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string | null;
    readonly custom: boolean;
    readonly inputs: Record<string, unknown>;
    /** The id the (mocked) provider returned, when the plan records it; policies see it as `props.id`, as live. */
    readonly id?: string | null;
}

export interface Plan {
    readonly project: string;
    readonly stack: string;
    readonly resources: PlanResource[];
    readonly outputs: Record<string, unknown>;
}

export interface PolicyViolation {
    readonly policy: string;
    readonly enforcementLevel: "mandatory" | "advisory";
    readonly urn: string | null;
    readonly message: string;
}

export interface PolicyReport {
    readonly violations: PolicyViolation[];
    readonly summary: { readonly policies: number; readonly resources: number; readonly mandatory: number; readonly advisory: number };
}

/** A plan document that does not have the contract's shape; one message per problem. */
export class PlanError extends Error {
    constructor(readonly problems: string[]) {
        super(problems.join("\n"));
    }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Checks that a parsed JSON document is a plan (plan.json of the render contract). */
export function parsePlan(doc: unknown): Plan {
    if (!isObject(doc)) throw new PlanError(["plan is not a JSON object"]);
    const problems: string[] = [];
    for (const k of ["project", "stack"]) if (typeof doc[k] !== "string") problems.push(`plan.${k} must be a string`);
    if (!Array.isArray(doc.resources)) problems.push("plan.resources must be an array");
    if (doc.outputs !== undefined && !isObject(doc.outputs)) problems.push("plan.outputs must be an object");
    (Array.isArray(doc.resources) ? doc.resources : []).forEach((r: unknown, i: number) => {
        const at = `plan.resources[${i}]`;
        if (!isObject(r)) {
            problems.push(`${at} must be an object`);
            return;
        }
        for (const k of ["urn", "type", "name"]) if (typeof r[k] !== "string") problems.push(`${at}.${k} must be a string`);
        if (r.inputs !== undefined && !isObject(r.inputs)) problems.push(`${at}.inputs must be an object`);
        if (r.parent !== undefined && r.parent !== null && typeof r.parent !== "string") problems.push(`${at}.parent must be a URN or null`);
    });
    // The engine refuses a second resource with the same URN; two would make every per-URN finding ambiguous.
    const firstAt = new Map<string, number>();
    (Array.isArray(doc.resources) ? doc.resources : []).forEach((r: unknown, i: number) => {
        const urn = isObject(r) && typeof r.urn === "string" ? r.urn : undefined;
        if (urn === undefined) return;
        if (firstAt.has(urn)) problems.push(`plan.resources[${i}].urn ${JSON.stringify(urn)} repeats plan.resources[${firstAt.get(urn)}]; a URN names one resource`);
        else firstAt.set(urn, i);
    });
    if (problems.length > 0) throw new PlanError(problems);
    const resources = (doc.resources as Record<string, unknown>[]).map((r) => ({
        urn: r.urn as string,
        type: r.type as string,
        name: r.name as string,
        parent: (r.parent as string | null | undefined) ?? null,
        custom: r.custom !== false,
        inputs: (r.inputs as Record<string, unknown> | undefined) ?? {},
        id: typeof r.id === "string" ? r.id : null,
    }));
    return { project: doc.project as string, stack: doc.stack as string, resources, outputs: (doc.outputs as Record<string, unknown> | undefined) ?? {} };
}

class NotApplicable extends Error {}

const OPTS: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

function typeOf(cls: unknown): string | undefined {
    const t = (cls as { __pulumiType?: unknown } | undefined)?.__pulumiType;
    return typeof t === "string" ? t : undefined;
}

/** A resource as policies see it: inputs as props (copied, so a policy cannot change the plan), plus the id when known. */
function policyResource(r: PlanResource, props: Record<string, unknown>): PolicyResource {
    const copy: Record<string, unknown> = structuredClone(props);
    if (r.id && copy.id === undefined) copy.id = r.id;
    return {
        type: r.type,
        props: copy,
        urn: r.urn,
        name: r.name,
        opts: { ...OPTS, parent: r.parent ?? undefined },
        dependencies: [],
        propertyDependencies: {},
        isType: (cls) => typeOf(cls) === r.type,
        asType: (cls) => (typeOf(cls) === r.type ? (copy as never) : undefined),
    };
}

/** Stack resources, with the root stack's props being the stack outputs (as AnalyzeStack sees them live). */
function stackResources(plan: Plan): PolicyResource[] {
    const rootUrn = `urn:pulumi:${plan.stack}::${plan.project}::pulumi:pulumi:Stack::${plan.project}-${plan.stack}`;
    const hasRoot = plan.resources.some((r) => r.type === "pulumi:pulumi:Stack");
    const all = plan.resources.map((r) => policyResource(r, r.type === "pulumi:pulumi:Stack" ? plan.outputs : r.inputs));
    if (!hasRoot) all.push(policyResource({ urn: rootUrn, type: "pulumi:pulumi:Stack", name: `${plan.project}-${plan.stack}`, parent: null, custom: false, inputs: {} }, plan.outputs));
    const byUrn = new Map(all.map((r) => [r.urn, r]));
    for (const r of all) if (r.opts.parent) r.parent = byUrn.get(r.opts.parent);
    return all;
}

function settle(result: unknown, policy: string): void {
    if (result && typeof (result as Promise<void>).then === "function") {
        throw new Error(`policy ${policy} is asynchronous; the offline runner needs synchronous validations`);
    }
}

/**
 * Runs the policies over a plan. `config` is what `--policy-pack-config` takes;
 * disabled policies are skipped and "remediate" reports as mandatory, as the CLI does.
 */
export function runPolicies(plan: Plan, config: object = {}, policies: Policies = allPolicies): PolicyReport {
    const { resolved } = reconcileConfig(policies, config);
    const violations: PolicyViolation[] = [];
    const notApplicable = (reason?: string): never => {
        throw new NotApplicable(reason);
    };
    const stack = stackResources(plan);
    let ran = 0;
    for (const policy of policies) {
        const { enforcementLevel, properties } = resolved.get(policy.name)!;
        if (enforcementLevel === "disabled") continue;
        ran++;
        const level = enforcementLevel === "advisory" ? "advisory" : "mandatory";
        const getConfig = <T extends object>() => structuredClone(properties) as T;
        const reporter =
            (defaultUrn: string | null): ReportViolation =>
            (message, urn) =>
                violations.push({ policy: policy.name, enforcementLevel: level, urn: urn ?? defaultUrn, message });
        const guard = (run: () => unknown) => {
            try {
                settle(run(), policy.name);
            } catch (e) {
                if (!(e instanceof NotApplicable)) throw e;
            }
        };
        if ("validateStack" in policy) {
            const args: StackValidationArgs = { resources: stack, stackTags: new Map(), getConfig, notApplicable };
            guard(() => policy.validateStack(args, reporter(null)));
            continue;
        }
        const validations = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
        for (const r of plan.resources) {
            const res = policyResource(r, r.inputs);
            const args: ResourceValidationArgs = {
                type: r.type,
                props: res.props,
                urn: r.urn,
                name: r.name,
                opts: res.opts,
                stackTags: new Map(),
                isType: res.isType,
                asType: res.asType as ResourceValidationArgs["asType"],
                getConfig,
                notApplicable,
            };
            for (const validate of validations) guard(() => validate(args, reporter(r.urn)));
        }
    }
    const count = (l: string) => violations.filter((v) => v.enforcementLevel === l).length;
    return { violations, summary: { policies: ran, resources: plan.resources.length, mandatory: count("mandatory"), advisory: count("advisory") } };
}
