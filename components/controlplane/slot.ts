/**
 * One slot: the self-healing unit of the control plane and of external etcd.
 * The slot owns what must outlive its instances, in its zone: a network
 * interface with the fixed private IP and an encrypted gp3 data volume, both
 * tagged with the slot. An autoscaling group of exactly one instance, in the
 * slot's subnet only, replaces the instance when EC2 finds it impaired; the
 * replacement's boot script (host/slotBootstrap.ts) claims the same
 * interface and volume, so it comes back with the same IP, the same etcd
 * member and the same data.
 *
 * A new launch template version (a new image, Kubernetes release or user data)
 * changes the group's launch template only: the running instance stays until
 * `npm run roll` replaces it, one slot at a time (no instance refresh, no
 * replaceOnChanges: replacing every slot together would lose etcd quorum).
 *
 * Instance metadata: IMDSv2 only, with a hop limit of 1. A hop limit of 2
 * would let every pod that is not on the host network fetch this role's
 * credentials, and the control-plane role reads the cluster CA keys. Nothing
 * here needs more than 1: the slot and bootstrap scripts, the kubelet, the
 * cloud controller and Calico run on the host network, and kube2iam answers
 * pods' metadata calls itself, fetching from IMDS over the host network (the
 * reply to the host travels one hop).
 *
 * Launch gate (external etcd members): the group holds each new instance in
 * Pending:Wait on a launch lifecycle hook (autoscaling:EC2_INSTANCE_LAUNCHING,
 * DefaultResult ABANDON) until the instance completes it with CONTINUE, which
 * host/etcdReady.ts does once its etcd member answers /health true. InService
 * then means "member healthy", for `npm run roll` and for the provider's
 * wait for capacity alike; a member that never gets healthy is terminated and
 * replaced when the heartbeat timeout runs out
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html and
 * lifecycle-hooks-overview.html: Pending:Wait until completed or timed out, then
 * Pending:Proceed, and a load balancer registration only then;
 * .../APIReference/API_LifecycleHookSpecification.html, DefaultResult). The hook is an
 * initial lifecycle hook, so that the group's first instance is gated too:
 * the provider creates such a group with size 0, puts the hooks, then sets
 * the size (hashicorp/terraform-provider-aws internal/service/autoscaling/group.go
 * resourceGroupCreate, "twoPhases"), and its wait for capacity counts only
 * InService and Healthy instances (statusGroupCapacity), so waitForCapacityTimeout
 * is raised above the heartbeat timeout. The provider marks
 * initial_lifecycle_hook ForceNew (the same file's schema): on a group created
 * before the gate existed, adding it would replace the group and its instance
 * in a plain `pulumi up` (all members at once), so changes to it are ignored
 * and a separate aws.autoscaling.LifecycleHook of the same name
 * (PutLifecycleHook creates or updates) puts the hook on such groups and
 * carries later changes; it depends on the group, so the group already
 * launches from the template version whose user data completes the hook.
 *
 * Health: the group uses EC2 status checks only (healthCheckType EC2), not the
 * load balancer's. /readyz fails on every member at once when etcd loses
 * quorum; ELB health checks would then terminate every control-plane instance
 * together and turn an etcd outage into a rebuild. The load balancer still
 * takes an unready apiserver out of rotation (loadBalancer.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags, namedTags, slotResourceName, slotTags } from "../../lib/naming";
import { DLM_TARGET_TAG } from "./backupRetention";
import { SlotPlan } from "./slots";
import { encodeUserData } from "../host/slotUserData";
import { LaunchGate, RolloutGroup, rolloutGroup } from "../rollout";

/** Root volume of every slot instance: the OS, images, logs; etcd data lives on the slot's own volume. */
export const ROOT_VOLUME_GIB = 50;
/** The root device of Canonical's Ubuntu AMIs. */
export const ROOT_DEVICE = "/dev/sda1";

export interface SlotArgs {
    readonly clusterName: string;
    readonly tags: Tags;
    readonly plan: SlotPlan;
    /** The instance subnet of the slot's zone. */
    readonly subnetId: pulumi.Input<string>;
    /** The role's security group (firewall), on the interface and the instance. */
    readonly securityGroupId: pulumi.Input<string>;
    readonly instanceType: string;
    readonly imageId: pulumi.Input<string>;
    readonly instanceProfileArn: pulumi.Input<string>;
    readonly dataVolumeSizeGiB: number;
    /** Instances in public subnets (no NAT) need a public address for egress. */
    readonly associatePublicIp: boolean;
    /** The #cloud-config text; compressed and encoded here. */
    readonly userData: pulumi.Input<string>;
    /** NLB target groups or classic ELB names the group registers its instance with. */
    readonly targetGroupArns?: pulumi.Input<string>[];
    readonly classicLoadBalancers?: pulumi.Input<string>[];
    /** Resources the instance needs before it boots (its IAM policies, the secrets objects). */
    readonly bootDependsOn?: readonly pulumi.Resource[];
    /** A launch lifecycle hook that a new instance's own user data completes when it is ready (see above). */
    readonly launchGate?: LaunchGate;
}

/** The provider's wait for capacity on creation (its default is 10 minutes): a gated instance may wait the whole heartbeat timeout. */
export function capacityTimeout(gate: LaunchGate | undefined): string | undefined {
    return gate ? `${Math.ceil(gate.heartbeatTimeoutSeconds / 60) + 10}m` : undefined;
}

export class Slot extends pulumi.ComponentResource {
    readonly plan: SlotPlan;
    readonly networkInterface: aws.ec2.NetworkInterface;
    readonly volume: aws.ebs.Volume;
    readonly launchTemplate: aws.ec2.LaunchTemplate;
    readonly group: aws.autoscaling.Group;
    readonly launchHook?: aws.autoscaling.LifecycleHook;
    /** What `npm run roll` needs to replace this slot's instance (components/rollout.ts). */
    readonly rollout: pulumi.Output<RolloutGroup>;

    constructor(name: string, args: SlotArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:controlplane:Slot", name, {}, opts);
        const p = (this.plan = args.plan);
        const cluster = args.clusterName;
        const tags = slotTags(cluster, args.tags, p.role, p.name);
        const child = { parent: this };

        this.networkInterface = new aws.ec2.NetworkInterface(
            `${name}-eni`,
            {
                subnetId: args.subnetId,
                privateIps: [p.ip],
                securityGroups: [args.securityGroupId],
                // Calico routes pod traffic within a subnet unencapsulated (VXLANCrossSubnet): EC2 must not drop it.
                sourceDestCheck: p.role !== "control-plane",
                description: `${cluster} ${p.name}: fixed IP ${p.ip}`,
                tags,
            },
            child,
        );
        this.volume = new aws.ebs.Volume(
            `${name}-data`,
            {
                availabilityZone: p.zone,
                size: args.dataVolumeSizeGiB,
                type: "gp3",
                encrypted: true,
                // The DLM policy snapshots volumes with this tag only (never root volumes or PVs).
                tags: { ...tags, [DLM_TARGET_TAG]: cluster },
            },
            child,
        );

        // The root volume must not carry the slot tag: the slot script finds the data volume by it and expects exactly one.
        const rootTags = namedTags(cluster, args.tags, `${slotResourceName(cluster, p.name)}-root`);
        const launchTemplateArgs: aws.ec2.LaunchTemplateArgs = {
            description: `${cluster} ${p.role} slot ${p.name}`,
            imageId: args.imageId,
            instanceType: args.instanceType,
            iamInstanceProfile: { arn: args.instanceProfileArn },
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
            blockDeviceMappings: [{ deviceName: ROOT_DEVICE, ebs: { volumeType: "gp3", volumeSize: ROOT_VOLUME_GIB, encrypted: "true", deleteOnTermination: "true" } }],
            networkInterfaces: [
                {
                    deviceIndex: 0,
                    associatePublicIpAddress: String(args.associatePublicIp),
                    securityGroups: [args.securityGroupId],
                    deleteOnTermination: "true",
                },
            ],
            tagSpecifications: [
                { resourceType: "instance", tags },
                { resourceType: "volume", tags: rootTags },
            ],
            userData: pulumi.output(args.userData).apply(encodeUserData),
            updateDefaultVersion: true,
            tags,
        };
        this.launchTemplate = new aws.ec2.LaunchTemplate(`${name}-lt`, launchTemplateArgs, child);

        const gate = args.launchGate;
        const hook = gate && {
            name: gate.hookName,
            lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
            defaultResult: "ABANDON",
            heartbeatTimeout: gate.heartbeatTimeoutSeconds,
        };
        this.group = new aws.autoscaling.Group(
            `${name}-asg`,
            {
                vpcZoneIdentifiers: [args.subnetId],
                minSize: 1,
                maxSize: 1,
                desiredCapacity: 1,
                launchTemplate: { id: this.launchTemplate.id, version: this.launchTemplate.latestVersion.apply(String) },
                healthCheckType: "EC2",
                healthCheckGracePeriod: 600,
                // Never two instances of a slot: the old one must let go of the interface and volume first.
                instanceMaintenancePolicy: { minHealthyPercentage: 0, maxHealthyPercentage: 100 },
                targetGroupArns: args.targetGroupArns,
                loadBalancers: args.classicLoadBalancers,
                tags: Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
                initialLifecycleHooks: hook && [hook],
                waitForCapacityTimeout: capacityTimeout(gate),
            },
            {
                parent: this,
                dependsOn: [this.networkInterface, this.volume, ...(args.bootDependsOn ?? [])],
                // ForceNew in the provider: never replace a running slot's group for it (see above).
                ignoreChanges: hook ? ["initialLifecycleHooks"] : undefined,
            },
        );
        if (hook) this.launchHook = new aws.autoscaling.LifecycleHook(`${name}-launch-gate`, { ...hook, autoscalingGroupName: this.group.name }, { parent: this, dependsOn: [this.group] });
        this.rollout = rolloutGroup(p.role, p.name, launchTemplateArgs, this.launchTemplate, this.group, undefined, gate);
        this.registerOutputs({
            networkInterfaceId: this.networkInterface.id,
            volumeId: this.volume.id,
            launchTemplateId: this.launchTemplate.id,
            groupName: this.group.name,
        });
    }
}
