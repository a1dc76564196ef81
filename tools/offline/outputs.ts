/**
 * Resolves stack outputs (Outputs, promises, nested values) to plain values,
 * keeping secretness as `Secret` markers.
 */
import * as pulumi from "@pulumi/pulumi";
import { Secret } from "../mocks";

export async function resolveValue(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        const o = value as any;
        const [inner, secret] = await Promise.all([o.promise(), o.isSecret]);
        const resolved = await resolveValue(inner);
        return secret ? new Secret(resolved) : resolved;
    }
    if (value instanceof Promise) return resolveValue(await value);
    if (Array.isArray(value)) return Promise.all(value.map(resolveValue));
    if (value && typeof value === "object" && !(value instanceof Secret) && value.constructor === Object) {
        const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveValue(v)] as const));
        return Object.fromEntries(entries);
    }
    return value;
}
