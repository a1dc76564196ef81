/**
 * A policy's configuration with its schema defaults applied. The Pulumi CLI
 * and the offline runner both fill defaults in before calling a policy; doing
 * it again here keeps each policy correct when called with no config at all
 * (older CLIs, direct calls), with the defaults written only once: in the schema.
 */
import type { PolicyConfigSchema } from "@pulumi/policy";

export function withDefaults<T extends object>(schema: PolicyConfigSchema, given: object): T {
    const out: Record<string, unknown> = {};
    for (const [k, prop] of Object.entries(schema.properties)) if (prop.default !== undefined) out[k] = prop.default;
    return { ...out, ...given } as T;
}
