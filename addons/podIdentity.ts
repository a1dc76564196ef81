/**
 * IAM for pods through kube2iam: roles under the cluster's pod-role path
 * (`/k8s-aws/<cluster>/pods/`), trusted by the instance roles kube2iam runs
 * with, and the instance roles' permission to assume those roles and no
 * other. Documents are data, rendered as sorted JSON (components/iam).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { PolicyDocument, policyDocument, renderPolicy } from "../components/iam";
import { Tags, iamRoleNamePrefix, namedTags, podRoleName, podRolePath } from "../lib/naming";

/** The pod annotation kube2iam reads (--iam-role-key default). */
export const POD_ROLE_ANNOTATION = "iam.amazonaws.com/role";

/** The pod-template annotation that has kube2iam hand a pod this role's credentials (a full ARN: no base-ARN guessing). */
export function podIamAnnotation(roleArn: string): Record<string, string> {
    return { [POD_ROLE_ANNOTATION]: roleArn };
}

/** `arn:<partition>:iam::<account>:role/k8s-aws/<cluster>/pods/`: kube2iam's --base-role-arn and the prefix of every pod role ARN. */
export function podRoleArnPrefix(partition: string, accountId: string, cluster: string): string {
    return `arn:${partition}:iam::${accountId}:role${podRolePath(cluster)}`;
}

/**
 * On the instance roles kube2iam runs with: sts:AssumeRole on the cluster's
 * pod roles only (the path is the scope), never on instance roles or roles of
 * another cluster.
 */
export function assumePodRolesPolicy(partition: string, accountId: string, cluster: string): PolicyDocument {
    return policyDocument([{ Sid: "AssumeClusterPodRoles", Effect: "Allow", Action: "sts:AssumeRole", Resource: `${podRoleArnPrefix(partition, accountId, cluster)}*` }]);
}

/** A pod role's trust policy: only the cluster's instance roles (through kube2iam) may assume it. */
export function podRoleTrustPolicy(trustedRoleArns: readonly string[]): PolicyDocument {
    const arns = [...new Set(trustedRoleArns)].sort();
    if (arns.length === 0) throw new Error("a pod role needs at least one trusted instance role");
    return policyDocument([{ Sid: "Kube2iamInstanceRoles", Effect: "Allow", Principal: { AWS: arns.length === 1 ? arns[0] : arns }, Action: "sts:AssumeRole" }]);
}

export interface PodRoleArgs {
    readonly cluster: string;
    /** The addon the role serves (Name tag and description). */
    readonly addon: string;
    /** The worker nodes' instance role, which kube2iam assumes pod roles with. */
    readonly nodeRoleArn: pulumi.Input<string>;
    /** The control-plane instance role: kube2iam runs there too, for pods scheduled on control-plane nodes. */
    readonly controlPlaneRoleArn?: pulumi.Input<string>;
    /** The role's permissions. */
    readonly policy: pulumi.Input<PolicyDocument>;
    readonly tags?: Tags;
}

export interface PodRole {
    readonly role: aws.iam.Role;
    readonly policy: aws.iam.RolePolicy;
}

/** A role under the cluster's pod-role path, assumable by the instance roles, with one inline policy. */
export function podRole(name: string, args: PodRoleArgs, opts: pulumi.CustomResourceOptions): PodRole {
    const trusted = [args.nodeRoleArn, ...(args.controlPlaneRoleArn ? [args.controlPlaneRoleArn] : [])];
    const role = new aws.iam.Role(
        name,
        {
            // The auto-name `<logical>-<7 random>` overflows IAM's 64 characters for long cluster names.
            namePrefix: iamRoleNamePrefix(args.cluster, `pod-${args.addon}`),
            path: podRolePath(args.cluster),
            description: `${args.cluster} cluster: ${args.addon} pods (kube2iam)`,
            assumeRolePolicy: pulumi.all(trusted).apply((arns) => renderPolicy(podRoleTrustPolicy(arns))),
            maxSessionDuration: 3600,
            tags: namedTags(args.cluster, args.tags ?? {}, podRoleName(args.cluster, args.addon)),
        },
        opts,
    );
    const policy = new aws.iam.RolePolicy(`${name}-policy`, { role: role.id, policy: pulumi.output(args.policy).apply((doc) => renderPolicy(doc as PolicyDocument)) }, opts);
    return { role, policy };
}
