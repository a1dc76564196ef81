/**
 * What every slot group (the control plane, the external etcd members) is
 * built from, and the two things they both do: pick the image for an instance
 * type and attach an instance role's policies, one aws.iam.RolePolicy per concern.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { architectureOf } from "../../config/rules";
import { debianArch, lookupAmi } from "../host/ami";
import { Tags } from "../../lib/naming";

export interface SlotEnvironment {
    readonly clusterName: string;
    readonly region: string;
    readonly tags: Tags;
    readonly kubernetes: { readonly minor: string; readonly version: string };
    readonly etcdTopology: "stacked" | "external";
    /** Per zone, in zone order: where instances run (SlotPlan.zoneIndex indexes it). */
    readonly instanceSubnetIds: pulumi.Input<string>[];
    readonly instancesNeedPublicIp: boolean;
    readonly secrets: { readonly bucketName: pulumi.Input<string>; readonly bucketArn: pulumi.Input<string>; readonly kmsKeyArn: pulumi.Input<string> };
    /** `aws`, `aws-cn`, `aws-us-gov`. */
    readonly partition: pulumi.Input<string>;
    /** Created before any instance boots (the secrets bucket with its objects). */
    readonly bootDependsOn: readonly pulumi.Resource[];
}

/** Ubuntu's image and the Debian architecture name for an instance type. */
export function imageFor(instanceType: string, parent: pulumi.Resource): { arch: "amd64" | "arm64"; imageId: pulumi.Output<string> } {
    const arch = debianArch(architectureOf(instanceType));
    return { arch, imageId: lookupAmi(arch, parent) };
}

/** One inline policy per concern on `role`, named `<name>-<concern>`. */
export function attachPolicies(name: string, role: aws.iam.Role, documents: Record<string, pulumi.Input<string>>, parent: pulumi.Resource): aws.iam.RolePolicy[] {
    return Object.entries(documents).map(([concern, policy]) => new aws.iam.RolePolicy(`${name}-${concern}`, { role: role.id, policy }, { parent }));
}
