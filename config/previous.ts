/**
 * What the running cluster was last deployed with: the stack's own previous
 * outputs, read through a StackReference to the stack itself (the engine's
 * builtin provider reads the last checkpoint; a stack never deployed has no
 * outputs). Read before validation, so that a version change is judged against
 * the version the cluster runs (config/skew.ts) when npm run roll's record is
 * absent (config/rolled.ts: the outputs run ahead of the cluster until the roll).
 * No resource is created: a StackReference is a read.
 */
import * as pulumi from "@pulumi/pulumi";
import { RunningVersion } from "./skew";

export const PREVIOUS_OUTPUTS_SOURCE = "the stack's previous outputs";

/** The stack's fully qualified name, as a StackReference names it. */
export function ownStackName(): string {
    return `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
}

/** The version the stack was last deployed with, or undefined for a stack never deployed. */
export async function readRunningVersion(): Promise<RunningVersion | undefined> {
    const self = new pulumi.StackReference(`${pulumi.getStack()}-previous-outputs`, { name: ownStackName() });
    const details = await self.getOutputDetails("kubernetesVersion");
    const version = details.value ?? details.secretValue;
    return version === undefined ? undefined : { version, source: PREVIOUS_OUTPUTS_SOURCE };
}
