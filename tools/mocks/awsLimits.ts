/**
 * The mocked AWS provider's refusals: Pulumi's auto-naming as the provider does
 * it (logical name + '-' + 7 random hex characters, or a prefix + 26 unique
 * characters), then every row of lib/awsLimits.ts, the tag limits and IAM's
 * policy sizes, checked at registration. A value over a limit fails the
 * resource with a message shaped like the provider's (the type, the resource,
 * the value, the limit); nothing here shortens, lowercases or repairs an input.
 */
import { MockContext, MockResourceRequest } from "./types";
import { seededBytes } from "./deterministic";
import { LIMITS, POLICY_SIZE_LIMITS, PREFIX_UNIQUE_CHARS, TAG_LIMITS, limitsFor, policySize, tagProblems } from "../../lib/awsLimits";

const hex = (ctx: MockContext, label: string, n: number) =>
    seededBytes(ctx, label, Math.ceil(n / 2))
        .toString("hex")
        .slice(0, n);

/** A refusal as the provider reports it; the engine shows the text, and the run fails. */
export class AwsRefusal extends Error {
    constructor(
        readonly type: string,
        readonly resource: string,
        readonly reasons: readonly string[],
    ) {
        super(`creating ${type} (${resource}): ValidationError: ${reasons.join("; ")}`);
        this.name = "AwsRefusal";
    }
}

/**
 * Fills in the physical names Pulumi would propose for properties the program left out
 * (pulumi-terraform-bridge info/autonaming.go ComputeAutoNameDefault; pulumi sdk resource_id.go
 * NewUniqueName), refusing as the provider does where the logical name leaves no room for the suffix.
 */
export function withAutoNames(req: MockResourceRequest, ctx: MockContext): Record<string, any> {
    const inputs: Record<string, any> = { ...req.inputs };
    for (const row of limitsFor(req.type)) {
        const { suffix, prefix } = row.autoNaming;
        if (inputs[row.property] !== undefined) continue;
        if (prefix && typeof inputs[prefix.property] === "string") {
            inputs[row.property] = `${inputs[prefix.property]}${hex(ctx, `${req.type}::${req.name}::name`, PREFIX_UNIQUE_CHARS)}`;
            continue;
        }
        if (!suffix) continue;
        const start = `${suffix.transform === "lowercase" ? req.name.toLowerCase() : req.name}-`;
        if (suffix.providerMaxLength !== undefined && start.length + 7 > suffix.providerMaxLength) {
            throw new AwsRefusal(req.type, req.name, [`could not make instance of '${req.type}': name '${start}' plus 7 random chars is longer than maximum length ${suffix.providerMaxLength}`]);
        }
        inputs[row.property] = `${start}${hex(ctx, `${req.type}::${req.name}::name`, 7)}`;
    }
    return inputs;
}

/** The tag sets a registration carries: `tags` (map, or the ASG's list) and a launch template's tag specifications. */
function tagSets(inputs: Record<string, any>): { where: string; tags: Record<string, string> }[] {
    const out: { where: string; tags: Record<string, string> }[] = [];
    const tags = inputs.tags;
    if (Array.isArray(tags)) {
        out.push({ where: "tags", tags: Object.fromEntries(tags.map((t: { key: string; value: string }) => [t.key, t.value])) });
    } else if (tags && typeof tags === "object") {
        out.push({ where: "tags", tags });
    }
    const specs = inputs.tagSpecifications;
    if (Array.isArray(specs)) {
        specs.forEach((s: { resourceType?: string; tags?: Record<string, string> }) => {
            if (s.tags) out.push({ where: `tagSpecifications[${s.resourceType ?? "?"}]`, tags: s.tags });
        });
    }
    return out;
}

/** Inline policy characters per role, per run (IAM counts every inline policy of a role together). */
const inlinePolicyChars = new WeakMap<MockContext, Map<string, number>>();

function policyProblems(req: MockResourceRequest, inputs: Record<string, any>, ctx: MockContext): string[] {
    const out: string[] = [];
    if (req.type === "aws:iam/role:Role" && typeof inputs.assumeRolePolicy === "string") {
        const size = policySize(inputs.assumeRolePolicy);
        if (size > POLICY_SIZE_LIMITS.roleTrustPolicy) {
            out.push(`assumeRolePolicy: trust policy of ${size} characters (without white space); allowed at most ${POLICY_SIZE_LIMITS.roleTrustPolicy} (${POLICY_SIZE_LIMITS.citation})`);
        }
    }
    if (req.type === "aws:iam/policy:Policy" && typeof inputs.policy === "string") {
        const size = policySize(inputs.policy);
        if (size > POLICY_SIZE_LIMITS.managedPolicy) {
            out.push(`policy: managed policy of ${size} characters (without white space); allowed at most ${POLICY_SIZE_LIMITS.managedPolicy} (${POLICY_SIZE_LIMITS.citation})`);
        }
    }
    if (req.type === "aws:iam/rolePolicy:RolePolicy" && typeof inputs.policy === "string") {
        const role = String(inputs.role);
        const perRole = inlinePolicyChars.get(ctx) ?? new Map<string, number>();
        inlinePolicyChars.set(ctx, perRole);
        const total = (perRole.get(role) ?? 0) + policySize(inputs.policy);
        perRole.set(role, total);
        if (total > POLICY_SIZE_LIMITS.roleInlinePolicies) {
            out.push(
                `policy: role ${role}'s inline policies reach ${total} characters (without white space) together; allowed at most ${POLICY_SIZE_LIMITS.roleInlinePolicies} (${POLICY_SIZE_LIMITS.citation})`,
            );
        }
    }
    return out;
}

/** Every limit a registration breaks, as the provider would report it; throws an AwsRefusal when there is one. */
export function enforceLimits(req: MockResourceRequest, inputs: Record<string, any>, ctx: MockContext): void {
    const reasons: string[] = [];
    for (const row of limitsFor(req.type)) {
        const value = inputs[row.property];
        if (typeof value !== "string") continue;
        const why = row.check(value);
        if (why !== undefined) {
            const shown = value.length > 80 && row.property === "userData" ? `(${value.length} base64 characters)` : `'${value}'`;
            reasons.push(`${row.property} ${shown}: ${why}; allowed: ${row.limit} (${row.citation})`);
        }
    }
    for (const { where, tags } of tagSets(inputs)) {
        for (const why of tagProblems(tags)) reasons.push(`${where}: ${why} (${TAG_LIMITS.citation})`);
    }
    reasons.push(...policyProblems(req, inputs, ctx));
    if (reasons.length > 0) {
        const physical = LIMITS.find((r) => r.type === req.type && r.autoNaming.suffix !== undefined);
        throw new AwsRefusal(req.type, physical && typeof inputs[physical.property] === "string" ? inputs[physical.property] : req.name, reasons);
    }
}
