/**
 * What `npm run roll` needs to know about each Auto Scaling group, as a plain
 * stack output (`rollout`): `pulumi up` changes launch templates but never
 * replaces instances itself (no instance refresh on the groups, no
 * replaceOnChanges), so the roll command finds here which groups exist, in
 * which order they roll, and which launch template version each should run.
 *
 * The fingerprint is a hash of the template data a new launch template version
 * is made of: the provider creates a new version when any of these change, and
 * only then (hashicorp/terraform-provider-aws internal/service/ec2/ec2_launch_template.go,
 * resourceLaunchTemplateUpdate `updateKeys`: block devices, IAM profile, image,
 * instance type, metadata options, network interfaces, tag specifications, user
 * data, security groups, ...; `name`, `description` and `tags` are not among
 * them). Comparing fingerprints with the previous outputs tells, offline, which
 * groups a deployment leaves to roll. It is a hash of user data and ids (no
 * secrets reach user data), so it is plain.
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** The order a roll takes: the control plane first, then external etcd, then the pools (the version-skew policy's order). */
export type RolloutRole = "control-plane" | "etcd" | "pool";

export interface RolloutGroup {
    readonly role: RolloutRole;
    /** The slot (`control-plane-a`, `etcd-b`) or the pool's configured name. */
    readonly name: string;
    readonly groupName: string;
    readonly launchTemplateId: string;
    /** The numbered version the group launches: the template's latest. */
    readonly launchTemplateVersion: string;
    /** sha256 of the template data that makes a new version (see above). */
    readonly templateFingerprint: string;
    /** Pools: the instance refresh's floor (config minHealthyPercentage); slots roll one instance at a time. */
    readonly minHealthyPercentage?: number;
    /** External etcd members: the launch lifecycle hook a new instance completes once its member is healthy (controlplane/slot.ts). */
    readonly launchGate?: LaunchGate;
}

/** A launch lifecycle hook that holds a new instance in Pending:Wait until the instance itself completes it (or the timeout abandons it). */
export interface LaunchGate {
    readonly hookName: string;
    readonly heartbeatTimeoutSeconds: number;
}

export interface Rollout {
    /** The Kubernetes release the launch templates install. */
    readonly kubernetesVersion: string;
    readonly groups: readonly RolloutGroup[];
    /**
     * The minor the addon images tied to the minor follow; `heldBecause` when it is older than the
     * templates' (config/addonHold.ts): they move on the first `pulumi up` after the roll.
     * Absent from the outputs of a release before the record.
     */
    readonly addons?: { readonly minor: string; readonly heldBecause?: string };
    /** The SSM parameter the roll writes when the control plane runs kubernetesVersion (components/versionRecord.ts). */
    readonly versionRecord?: string;
}

/** The launch template fields whose change makes a new version (in the provider's updateKeys). */
const TEMPLATE_DATA_FIELDS = [
    "blockDeviceMappings",
    "creditSpecification",
    "iamInstanceProfile",
    "imageId",
    "instanceMarketOptions",
    "instanceRequirements",
    "instanceType",
    "keyName",
    "metadataOptions",
    "monitoring",
    "networkInterfaces",
    "placement",
    "tagSpecifications",
    "userData",
    "vpcSecurityGroupIds",
] as const;

/** Stable JSON: object keys sorted, so the hash does not depend on property order. */
function canonical(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value && typeof value === "object") {
        return `{${Object.keys(value)
            .sort()
            .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
            .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
            .join(",")}}`;
    }
    return JSON.stringify(value ?? null);
}

export function templateFingerprint(data: Readonly<Record<string, unknown>>): string {
    return createHash("sha256")
        .update(canonical(Object.fromEntries(TEMPLATE_DATA_FIELDS.map((f) => [f, data[f]]))))
        .digest("hex");
}

/** One group's entry, from its launch template (and the arguments it was given) and its group. */
export function rolloutGroup(
    role: RolloutRole,
    name: string,
    ltArgs: aws.ec2.LaunchTemplateArgs,
    lt: aws.ec2.LaunchTemplate,
    group: aws.autoscaling.Group,
    minHealthyPercentage?: number,
    launchGate?: LaunchGate,
): pulumi.Output<RolloutGroup> {
    // From the arguments the program passes (a preview knows them; the provider's echo of unset fields it does not).
    const data = pulumi.output(Object.fromEntries(TEMPLATE_DATA_FIELDS.map((f) => [f, ltArgs[f]])));
    // Unsecret: the hash of plain template data, no secret in it (user data carries none: components/host).
    const fingerprint = pulumi.unsecret(data.apply((d) => templateFingerprint(d as Record<string, unknown>)));
    return pulumi.all([group.name, lt.id, lt.latestVersion, fingerprint]).apply(([groupName, launchTemplateId, latest, templateFingerprint]) => ({
        role,
        name,
        groupName,
        launchTemplateId,
        launchTemplateVersion: String(latest),
        templateFingerprint,
        ...(minHealthyPercentage === undefined ? {} : { minHealthyPercentage }),
        ...(launchGate === undefined ? {} : { launchGate: { hookName: launchGate.hookName, heartbeatTimeoutSeconds: launchGate.heartbeatTimeoutSeconds } }),
    }));
}
