/**
 * A pool's launch template: the machine every node of the pool boots. Pure;
 * the component passes the AMI and user data in.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { NodePoolConfig } from "../../config";
import { Tags } from "../../lib/naming";
import { poolInstanceTags, poolTagSpecifications } from "../../lib/poolTags";

/** Canonical's Ubuntu AMIs boot from this device. */
export const ROOT_DEVICE_NAME = "/dev/sda1";

/**
 * IMDSv2 only, and its token must not travel past the host: hop limit 1.
 * Pod traffic to 169.254.169.254 never reaches the metadata service itself:
 * kube2iam DNATs it on the cali+ interfaces to its own hostNetwork listener,
 * which calls the service from the host (one hop). A pod that reached IMDS
 * directly (before kube2iam's rule is in place on a new node, or with the
 * addon off) sits one hop further away and gets no token, so it cannot take
 * the node role, which reads the bootstrap token and assumes pod roles.
 * Hop limit 2 would be needed only for pods calling IMDS directly
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html#imds-considerations).
 */
export const METADATA_OPTIONS = {
    httpEndpoint: "enabled",
    httpTokens: "required",
    httpPutResponseHopLimit: 1,
    instanceMetadataTags: "disabled",
} as const;

export interface PoolLaunchTemplateInput {
    readonly clusterName: string;
    readonly pool: Pick<NodePoolConfig, "name" | "instanceTypes" | "labels" | "taints" | "rootVolumeSizeGiB">;
    readonly tags: Tags;
    readonly imageId: pulumi.Input<string>;
    /** The cloud-config (renderNodeUserData), gzip + base64 (host/userData.ts encodeUserData). */
    readonly userData: pulumi.Input<string>;
    readonly securityGroupId: pulumi.Input<string>;
    readonly instanceProfileArn: pulumi.Input<string>;
    /** Instances in public subnets (no NAT) need a public address to reach package mirrors and AWS APIs. */
    readonly associatePublicIp: boolean;
}

export function poolLaunchTemplateArgs(i: PoolLaunchTemplateInput): aws.ec2.LaunchTemplateArgs {
    return {
        description: `${i.clusterName} cluster: nodes of pool ${i.pool.name}`,
        imageId: i.imageId,
        // The first type is the template's own; a mixed instances policy overrides it with each of them.
        instanceType: i.pool.instanceTypes[0],
        iamInstanceProfile: { arn: i.instanceProfileArn },
        metadataOptions: { ...METADATA_OPTIONS },
        networkInterfaces: [
            {
                deviceIndex: 0,
                associatePublicIpAddress: String(i.associatePublicIp),
                securityGroups: [i.securityGroupId],
                deleteOnTermination: "true",
            },
        ],
        blockDeviceMappings: [
            {
                deviceName: ROOT_DEVICE_NAME,
                ebs: { volumeSize: i.pool.rootVolumeSizeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
            },
        ],
        userData: i.userData,
        tagSpecifications: poolTagSpecifications(i),
        updateDefaultVersion: true,
        tags: poolInstanceTags(i),
    };
}
