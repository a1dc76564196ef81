/**
 * The control plane: one Slot per control-plane slot (each in its own zone),
 * the control-plane role's policies for what the slots' boot scripts do
 * (attach the slot, claim the cluster's init, back up stacked etcd), and, for
 * an Elastic IP endpoint, the address's association with the single slot's
 * interface. Warns when the instance type is small for the cluster's size.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { InstanceRole } from "../iam/instanceRoles";
import { slotResourceName } from "../../lib/naming";
import { SlotEnvironment, attachPolicies, imageFor } from "./environment";
import { backupStatements, initMarkerStatements, renderStatements, slotAttachmentStatements } from "./iamPolicies";
import { controlPlaneSizeWarning } from "./sizing";
import { Slot } from "./slot";
import { SlotPlan } from "./slots";
import { controlPlaneUserData } from "../host/slotUserData";

export interface ControlPlaneArgs extends SlotEnvironment {
    readonly slots: readonly SlotPlan[];
    readonly instanceType: string;
    readonly volumeSizeGiB: number;
    /** The firewall's controlPlane group. */
    readonly securityGroupId: pulumi.Input<string>;
    readonly role: InstanceRole;
    /** From ApiEndpoint: where members join, and what the groups register with. */
    readonly endpoint: {
        readonly nodeEndpoint: string;
        readonly targetGroupArn?: pulumi.Input<string>;
        readonly classicLoadBalancerName?: pulumi.Input<string>;
        readonly elasticIpAllocationId?: pulumi.Input<string>;
    };
    /** Nodes the cluster can grow to (sizing.ts maxClusterNodes), for the size warning. */
    readonly maxNodes: number;
}

export class ControlPlane extends pulumi.ComponentResource {
    readonly slots: Slot[];
    /** The control-plane instance role (the addons attach the cloud controller's policy to it). */
    readonly role: InstanceRole;
    /** `<name>:6443` that nodes join through. */
    readonly nodeEndpoint: string;

    constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:controlplane:ControlPlane", name, {}, opts);
        const count = args.slots.length;
        if (![1, 3, 5].includes(count)) throw new Error(`${count} control-plane slots: etcd needs 1, 3 or 5`);
        if (new Set(args.slots.map((s) => s.zone)).size !== count) throw new Error("control-plane slots must be in distinct zones");
        if (args.endpoint.elasticIpAllocationId && count !== 1) throw new Error("an Elastic IP endpoint serves a single control-plane slot");
        const warning = controlPlaneSizeWarning(args.instanceType, args.maxNodes);
        if (warning) pulumi.log.warn(warning, this);

        this.role = args.role;
        this.nodeEndpoint = args.endpoint.nodeEndpoint;
        const stacked = args.etcdTopology === "stacked";
        const { bucketArn, kmsKeyArn, bucketName } = args.secrets;
        const policies = attachPolicies(
            name,
            args.role.role,
            {
                slots: pulumi
                    .output(args.partition)
                    .apply((partition) =>
                        renderStatements(slotAttachmentStatements({ cluster: args.clusterName, role: "control-plane", slots: args.slots.map((s) => s.name), region: args.region, partition })),
                    ),
                "init-marker": pulumi.all([bucketArn, kmsKeyArn]).apply(([b, k]) => renderStatements(initMarkerStatements(b, k))),
                ...(stacked ? { backups: pulumi.all([bucketArn, kmsKeyArn]).apply(([b, k]) => renderStatements(backupStatements(args.clusterName, b, k))) } : {}),
            },
            this,
        );

        const { arch, imageId } = imageFor(args.instanceType, this);
        this.slots = args.slots.map((plan) => {
            const userData = pulumi.all([bucketName, kmsKeyArn]).apply(([bucket, kms]) =>
                controlPlaneUserData({
                    cluster: args.clusterName,
                    region: args.region,
                    slot: plan,
                    kubernetes: args.kubernetes,
                    arch,
                    bucket,
                    kmsKeyArn: kms,
                    etcdTopology: args.etcdTopology,
                    controlPlaneCount: count as 1 | 3 | 5,
                    controlPlaneEndpoint: args.endpoint.nodeEndpoint,
                }),
            );
            return new Slot(
                slotResourceName(args.clusterName, plan.name),
                {
                    clusterName: args.clusterName,
                    tags: args.tags,
                    plan,
                    subnetId: args.instanceSubnetIds[plan.zoneIndex],
                    securityGroupId: args.securityGroupId,
                    instanceType: args.instanceType,
                    imageId,
                    instanceProfileArn: args.role.instanceProfile.arn,
                    dataVolumeSizeGiB: args.volumeSizeGiB,
                    associatePublicIp: args.instancesNeedPublicIp,
                    userData,
                    targetGroupArns: args.endpoint.targetGroupArn ? [args.endpoint.targetGroupArn] : undefined,
                    classicLoadBalancers: args.endpoint.classicLoadBalancerName ? [args.endpoint.classicLoadBalancerName] : undefined,
                    bootDependsOn: [...args.bootDependsOn, ...policies],
                },
                { parent: this },
            );
        });

        if (args.endpoint.elasticIpAllocationId) {
            // The address follows the slot's interface, whichever instance holds it.
            new aws.ec2.EipAssociation(
                `${name}-eip`,
                { allocationId: args.endpoint.elasticIpAllocationId, networkInterfaceId: this.slots[0].networkInterface.id, allowReassociation: false },
                { parent: this },
            );
        }
        this.registerOutputs({
            nodeEndpoint: this.nodeEndpoint,
            roleArn: this.role.role.arn,
            slots: this.slots.map((s) => ({ name: s.plan.name, zone: s.plan.zone, ip: s.plan.ip, group: s.group.name })),
        });
    }
}
