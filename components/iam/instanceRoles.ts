/**
 * The cluster's EC2 instance roles and profiles: one for the control plane,
 * one for worker nodes and, with external etcd, one per etcd member (so each
 * member can read only its own certificates). Each role gets the inline
 * policy that reads its secrets; the control-plane and node-pool components
 * attach their own statements to the exposed roles.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags, namedTags, iamPath, iamRoleNamePrefix, instanceRoleName, CONTROL_PLANE_ROLE_TAG, NODE_ROLE_TAG, ETCD_ROLE_TAG } from "../../lib/naming";
import { Audience, assertMemberName } from "../secrets/layout";
import { SecretsLocation, SecretsReaders, secretsReadPolicy } from "../secrets/policies";
import { ec2TrustPolicy } from "./policyDocument";

export interface InstanceRolesArgs {
    readonly clusterName: string;
    readonly tags?: Tags;
    /** External etcd member names; one role each. Empty or absent with stacked etcd. */
    readonly etcdMembers?: readonly string[];
    /** The secrets bucket and its key (SecretsBucket.location), for the read policies. */
    readonly secrets: pulumi.Input<SecretsLocation>;
}

/** One instance role with its profile. */
export interface InstanceRole {
    readonly role: aws.iam.Role;
    readonly instanceProfile: aws.iam.InstanceProfile;
}

/** The role's name in logical names and Name tags: `control-plane`, `node`, `etcd-<member>`. */
export function roleSlug(a: Audience): string {
    return a.kind === "etcd" ? `etcd-${a.member}` : a.kind;
}

const ROLE_TAGS: Record<Audience["kind"], string> = { "control-plane": CONTROL_PLANE_ROLE_TAG, node: NODE_ROLE_TAG, etcd: ETCD_ROLE_TAG };

export class InstanceRoles extends pulumi.ComponentResource {
    readonly controlPlane: InstanceRole;
    readonly node: InstanceRole;
    /** External etcd member name -> its role; empty with stacked etcd. */
    readonly etcd: Readonly<Record<string, InstanceRole>>;
    /** Role ARNs, for the secrets bucket policy. */
    readonly readers: pulumi.Output<SecretsReaders>;

    constructor(name: string, args: InstanceRolesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:iam:InstanceRoles", name, {}, opts);
        const members = [...(args.etcdMembers ?? [])];
        members.forEach(assertMemberName);
        if (new Set(members).size !== members.length) throw new Error(`etcd member names repeat: ${members.join(", ")}`);

        const make = (audience: Audience): InstanceRole => {
            const slug = roleSlug(audience);
            const tags = namedTags(args.clusterName, args.tags ?? {}, instanceRoleName(args.clusterName, slug), { [ROLE_TAGS[audience.kind]]: "1" });
            const role = new aws.iam.Role(
                `${name}-${slug}`,
                {
                    // The auto-name `<logical>-<7 random>` overflows IAM's 64 characters for long cluster names.
                    namePrefix: iamRoleNamePrefix(args.clusterName, slug),
                    path: iamPath(args.clusterName),
                    description: `${args.clusterName} cluster: ${slug} instances`,
                    assumeRolePolicy: ec2TrustPolicy(),
                    tags,
                },
                { parent: this },
            );
            const instanceProfile = new aws.iam.InstanceProfile(`${name}-${slug}`, { path: iamPath(args.clusterName), role: role.name, tags }, { parent: this });
            new aws.iam.RolePolicy(
                `${name}-${slug}-secrets-read`,
                {
                    role: role.id,
                    policy: pulumi.output(args.secrets).apply((s) => secretsReadPolicy(audience, s.bucketArn, s.kmsKeyArn)),
                },
                { parent: this },
            );
            return { role, instanceProfile };
        };

        this.controlPlane = make({ kind: "control-plane" });
        this.node = make({ kind: "node" });
        this.etcd = Object.fromEntries(members.map((member) => [member, make({ kind: "etcd", member })]));
        this.readers = pulumi.output({
            controlPlane: this.controlPlane.role.arn,
            node: this.node.role.arn,
            etcd: Object.fromEntries(Object.entries(this.etcd).map(([m, r]) => [m, r.role.arn])),
        });
        this.registerOutputs({
            controlPlaneRoleArn: this.controlPlane.role.arn,
            nodeRoleArn: this.node.role.arn,
            etcdRoleArns: this.readers.etcd,
            controlPlaneInstanceProfile: this.controlPlane.instanceProfile.name,
            nodeInstanceProfile: this.node.instanceProfile.name,
        });
    }
}
