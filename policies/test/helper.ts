/**
 * The one way specs run policies: through the offline runner (the code path
 * `npm run policy` uses), over a plan built from resource properties, with
 * one policy and its config. Assertions read the resulting violations.
 */
import * as assert from "assert";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { runPolicies, Plan, PlanResource, PolicyViolation, PolicyReport, PolicyPackConfig } from "../offline";

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

/** A resource as a test writes it: a type and its properties; the rest has defaults. */
export interface Res {
    readonly type: string;
    readonly props: Record<string, unknown>;
    readonly name?: string;
    readonly parent?: string;
    readonly id?: string;
}

export function urnOf(type: string, name: string): string {
    return `urn:pulumi:test::k8s-aws::${type}::${name}`;
}

export function plan(resources: Res[], outputs: Record<string, unknown> = {}): Plan {
    const planned: PlanResource[] = resources.map((r, i) => {
        const name = r.name ?? `${r.type.split(":").pop()!.toLowerCase()}-${i}`;
        return { urn: urnOf(r.type, name), type: r.type, name, parent: r.parent ?? null, custom: true, inputs: r.props, id: r.id ?? null };
    });
    return { project: "k8s-aws", stack: "test", resources: planned, outputs };
}

/** Runs a whole pack config over resources (for config and enforcement tests). */
export function report(policies: AnyPolicy[], resources: Res[], config: PolicyPackConfig = {}, outputs: Record<string, unknown> = {}): PolicyReport {
    return runPolicies(plan(resources, outputs), config, policies);
}

/** Violations of one policy over one resource, with that policy's config properties. */
export function checkResource(policy: AnyPolicy, type: string, props: Record<string, unknown>, config: Record<string, unknown> = {}): PolicyViolation[] {
    return report([policy], [{ type, props, name: "subject" }], { [policy.name]: config }).violations;
}

/** Violations of one stack policy over resources (and stack outputs). */
export function checkStack(policy: AnyPolicy, resources: Res[], config: Record<string, unknown> = {}, outputs: Record<string, unknown> = {}): PolicyViolation[] {
    return report([policy], resources, { [policy.name]: config }, outputs).violations;
}

const describeAll = (vs: PolicyViolation[]) => (vs.length === 0 ? "no violations" : vs.map((v) => `  [${v.policy}] ${v.message}`).join("\n"));

export function expectViolation(vs: PolicyViolation[], pattern: RegExp): PolicyViolation {
    const hit = vs.find((v) => pattern.test(v.message));
    assert.ok(hit, `expected a violation matching ${pattern}, got:\n${describeAll(vs)}`);
    return hit;
}

export function expectNone(vs: PolicyViolation[]): void {
    assert.deepStrictEqual(
        vs.map((v) => v.message),
        [],
        `expected no violations, got:\n${describeAll(vs)}`,
    );
}
