/**
 * EBS snapshots of the slots' data volumes by Amazon Data Lifecycle Manager:
 * a second, independent copy of etcd next to the S3 snapshots (host/backup.ts),
 * on a schedule and retention from backupRetention.ts dlmPolicy. The
 * policy selects volumes by DLM_TARGET_TAG, which only the slot data volumes
 * carry (slot.ts). DLM acts through a role it assumes, with the AWS managed
 * policy for EBS snapshot management
 * (https://docs.aws.amazon.com/ebs/latest/userguide/service-role.html:
 * AWSDataLifecycleManagerServiceRole).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { policyDocument, renderPolicy } from "../iam/policyDocument";
import { Tags, etcdSnapshotsName, iamPath, iamRoleNamePrefix, namedTags } from "../../lib/naming";
import { dlmPolicy } from "./backupRetention";

export interface EtcdSnapshotsArgs {
    readonly clusterName: string;
    readonly tags: Tags;
    /** `aws`, `aws-cn`, `aws-us-gov`: the managed policy's ARN. */
    readonly partition: pulumi.Input<string>;
}

/** Only DLM may assume the role. */
export function dlmTrustPolicy(): string {
    return renderPolicy(policyDocument([{ Sid: "DlmAssumeRole", Effect: "Allow", Principal: { Service: "dlm.amazonaws.com" }, Action: "sts:AssumeRole" }]));
}

export const DLM_MANAGED_POLICY = "service-role/AWSDataLifecycleManagerServiceRole";

export class EtcdSnapshots extends pulumi.ComponentResource {
    readonly role: aws.iam.Role;
    readonly policy: aws.dlm.LifecyclePolicy;

    constructor(name: string, args: EtcdSnapshotsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:controlplane:EtcdSnapshots", name, {}, opts);
        const tags = namedTags(args.clusterName, args.tags, etcdSnapshotsName(args.clusterName));
        this.role = new aws.iam.Role(
            `${name}-role`,
            {
                namePrefix: iamRoleNamePrefix(args.clusterName, "etcd-snapshots"),
                path: iamPath(args.clusterName),
                description: `${args.clusterName} cluster: DLM snapshots of the etcd data volumes`,
                assumeRolePolicy: dlmTrustPolicy(),
                tags,
            },
            { parent: this },
        );
        const attachment = new aws.iam.RolePolicyAttachment(
            `${name}-managed`,
            { role: this.role.name, policyArn: pulumi.interpolate`arn:${args.partition}:iam::aws:policy/${DLM_MANAGED_POLICY}` },
            { parent: this },
        );
        const d = dlmPolicy(args.clusterName);
        this.policy = new aws.dlm.LifecyclePolicy(
            `${name}-policy`,
            {
                description: d.description,
                state: d.state,
                executionRoleArn: this.role.arn,
                policyDetails: {
                    policyType: d.policyDetails.policyType,
                    resourceTypes: [...d.policyDetails.resourceTypes],
                    targetTags: { ...d.policyDetails.targetTags },
                    schedules: d.policyDetails.schedules.map((s) => ({ ...s, tagsToAdd: { ...s.tagsToAdd } })),
                },
                tags,
            },
            { parent: this, dependsOn: [attachment] },
        );
        this.registerOutputs({ roleArn: this.role.arn, policyArn: this.policy.arn });
    }
}
