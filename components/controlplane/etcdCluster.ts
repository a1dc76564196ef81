/**
 * External etcd: one Slot per member (role etcd, each in its own zone), each
 * with its own instance role (so a member reads only its own certificates)
 * carrying the policies its boot scripts need: attach its slot, write and
 * read the backups, complete its group's launch lifecycle hook. Each member's
 * group holds a new instance out of service until its own member is healthy
 * (the launch gate: controlplane/slot.ts, host/etcdReady.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { InstanceRole } from "../iam/instanceRoles";
import { slotResourceName } from "../../lib/naming";
import { ETCD_CLIENT_PORT, ETCD_LAUNCH_HOOK_HEARTBEAT_SECONDS, ETCD_LAUNCH_HOOK_NAME, EtcdTiming } from "../host/paths";
import { SlotEnvironment, attachPolicies, imageFor } from "./environment";
import { backupStatements, launchGateStatements, renderStatements, slotAttachmentStatements } from "./iamPolicies";
import { LaunchGate } from "../rollout";

/** Every member's group: in service only once the member's /health is true (host/etcdReady.ts). */
export const ETCD_LAUNCH_GATE: LaunchGate = { hookName: ETCD_LAUNCH_HOOK_NAME, heartbeatTimeoutSeconds: ETCD_LAUNCH_HOOK_HEARTBEAT_SECONDS };
import { Slot } from "./slot";
import { SlotPlan } from "./slots";
import { etcdMemberUserData } from "../host/slotUserData";

export interface EtcdClusterArgs extends SlotEnvironment {
    readonly members: readonly SlotPlan[];
    readonly instanceType: string;
    readonly volumeSizeGiB: number;
    /** cluster.etcd.heartbeatIntervalMs / electionTimeoutMs. */
    readonly timing: EtcdTiming;
    /** The firewall's etcd group. */
    readonly securityGroupId: pulumi.Input<string>;
    /** Member name -> its instance role (InstanceRoles.etcd). */
    readonly roles: Readonly<Record<string, InstanceRole>>;
}

export class EtcdCluster extends pulumi.ComponentResource {
    readonly members: Slot[];
    /** `https://<member dns>:2379` per member, what kube-apiserver dials. */
    readonly clientUrls: string[];

    constructor(name: string, args: EtcdClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:controlplane:EtcdCluster", name, {}, opts);
        if (![3, 5].includes(args.members.length)) throw new Error(`${args.members.length} etcd members: run 3 or 5`);
        if (new Set(args.members.map((m) => m.zone)).size !== args.members.length) throw new Error("etcd members must be in distinct zones");
        const { arch, imageId } = imageFor(args.instanceType, this);
        const { bucketArn, kmsKeyArn, bucketName } = args.secrets;

        this.members = args.members.map((plan) => {
            const role = args.roles[plan.name];
            if (!role) throw new Error(`no instance role for etcd member ${plan.name}`);
            const slotName = slotResourceName(args.clusterName, plan.name);
            const scope = (partition: string) => ({ cluster: args.clusterName, role: "etcd" as const, slots: [plan.name], region: args.region, partition });
            const policies = attachPolicies(
                slotName,
                role.role,
                {
                    slot: pulumi.output(args.partition).apply((partition) => renderStatements(slotAttachmentStatements(scope(partition)))),
                    "launch-gate": pulumi.output(args.partition).apply((partition) => renderStatements(launchGateStatements(scope(partition)))),
                    backups: pulumi.all([bucketArn, kmsKeyArn]).apply(([b, k]) => renderStatements(backupStatements(args.clusterName, b, k))),
                },
                this,
            );
            const userData = pulumi.all([bucketName, kmsKeyArn]).apply(([bucket, kms]) =>
                etcdMemberUserData({
                    cluster: args.clusterName,
                    region: args.region,
                    slot: plan,
                    kubernetes: args.kubernetes,
                    arch,
                    bucket,
                    kmsKeyArn: kms,
                    etcdTopology: "external",
                    members: args.members,
                    volumeSizeGiB: args.volumeSizeGiB,
                    timing: args.timing,
                }),
            );
            return new Slot(
                slotName,
                {
                    clusterName: args.clusterName,
                    tags: args.tags,
                    plan,
                    subnetId: args.instanceSubnetIds[plan.zoneIndex],
                    securityGroupId: args.securityGroupId,
                    instanceType: args.instanceType,
                    imageId,
                    instanceProfileArn: role.instanceProfile.arn,
                    dataVolumeSizeGiB: args.volumeSizeGiB,
                    associatePublicIp: args.instancesNeedPublicIp,
                    userData,
                    bootDependsOn: [...args.bootDependsOn, ...policies],
                    launchGate: ETCD_LAUNCH_GATE,
                },
                { parent: this },
            );
        });
        this.clientUrls = args.members.map((m) => `https://${m.dnsName}:${ETCD_CLIENT_PORT}`);
        this.registerOutputs({ members: this.members.map((s) => ({ name: s.plan.name, zone: s.plan.zone, ip: s.plan.ip, group: s.group.name })), clientUrls: this.clientUrls });
    }
}
