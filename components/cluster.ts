/**
 * The whole cluster: the top-level component that wires the network, the
 * firewall, the API endpoint, PKI and secrets delivery, the control plane
 * (with external etcd and backups), node pools and addons together. It only
 * wires; every concern lives in its own component.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ClusterConfig } from "../config";
import { calicoNodePorts } from "../addons/calico";
import { Addons, addonVersions } from "../addons";
import { Network } from "./network";
import { Pki, apiServerUrl } from "./pki";
import { SecretsBucket, SecretsLocation } from "./secrets";
import { InstanceRoles } from "./iam";
import { Firewall, PortRange } from "./firewall";
import { SlotPlan, planSlots } from "./controlplane/slots";
import { backupLifecycleRules } from "./controlplane/backupRetention";
import { ApiEndpoint, ControlPlane, ControlPlaneSecrets, EtcdCluster, EtcdSnapshots, SlotEnvironment, controlPlaneBucketAccess, kubeadmSettings, maxClusterNodes, planEndpoint } from "./controlplane";
import { NodePool } from "./nodepools";
import { VersionRecord } from "./versionRecord";
import { nodePoolComponentName } from "../lib/naming";

export interface ClusterArgs {
    readonly config: ClusterConfig;
    /** Per zone, the CIDR of the subnet instances run in (fixes the slots' IPs). */
    readonly instanceSubnetCidrs: readonly string[];
}

/** What a node needs to join (kubeadm JoinConfiguration discovery); the token is a secret. */
export interface JoinMaterial {
    /** `api.internal.<cluster>.<zone>:6443`: never through a load balancer or NAT. */
    readonly apiServerEndpoint: string;
    readonly token: pulumi.Output<string>;
    readonly caCertHash: pulumi.Output<string>;
}

/** The pod network's ports between all machines: Calico's when the addon is on (addons/calico.ts), else none we know of. */
function podNetworkPorts(config: ClusterConfig): PortRange[] {
    return config.addons.calico ? calicoNodePorts().map(({ protocol, from, to }) => ({ protocol, from, to })) : [];
}

export class Cluster extends pulumi.ComponentResource {
    readonly config: ClusterConfig;
    readonly network: Network;
    readonly slots: { readonly controlPlane: SlotPlan[]; readonly etcd: SlotPlan[] };
    readonly firewall: Firewall;
    /** Security group ids by role (lb, controlPlane, etcd, nodes); node pools put their instances in `nodes`. */
    readonly securityGroupIds: Firewall["groupIds"];
    readonly apiEndpoint: ApiEndpoint;
    /** The API host users reach (without scheme or port): api.<cluster>.<zone>, else the load balancer's DNS name or the Elastic IP. */
    readonly apiHost: pulumi.Output<string>;
    readonly join: JoinMaterial;
    readonly pki: Pki;
    readonly roles: InstanceRoles;
    readonly secrets: SecretsBucket;
    readonly controlPlane: ControlPlane;
    /** With external etcd only. */
    readonly etcd?: EtcdCluster;
    readonly snapshots: EtcdSnapshots;
    readonly nodePools: NodePool[];
    readonly addons: Addons;
    /** The SSM parameter npm run roll writes once the control plane runs a new version (components/versionRecord.ts). */
    readonly versionRecord: VersionRecord;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:index:Cluster", name, {}, opts);
        const config = (this.config = args.config);
        const child = { parent: this };
        const topology = config.etcd.topology;
        const external = topology === "external";
        const tags = config.tags;
        this.network = new Network(`${name}-network`, { clusterName: config.name, zones: config.zones, network: config.network, tags }, child);
        this.slots = planSlots({
            region: config.region,
            zones: config.zones,
            instanceSubnetCidrs: args.instanceSubnetCidrs,
            controlPlaneCount: config.controlPlane.count,
            etcdMembers: external ? config.etcd.members : 0,
        });
        const plan = planEndpoint(config);
        this.firewall = new Firewall(
            `${name}-firewall`,
            {
                clusterName: config.name,
                vpcId: this.network.vpcId,
                tags,
                adminCidrs: config.adminCidrs,
                loadBalancer: plan.kind !== "elasticIp",
                internalLoadBalancer: plan.internalBalancer,
                externalEtcd: external,
                podNetworkPorts: podNetworkPorts(config),
            },
            child,
        );
        this.securityGroupIds = this.firewall.groupIds;
        this.apiEndpoint = new ApiEndpoint(
            `${name}-api`,
            {
                clusterName: config.name,
                tags,
                plan,
                vpcId: this.network.vpcId,
                publicSubnetIds: this.network.publicSubnetIds,
                privateSubnetIds: this.network.privateSubnetIds,
                securityGroupId: this.firewall.groupIds.lb,
                internalSecurityGroupId: this.firewall.groupIds.internalLb,
                slotIps: this.slots.controlPlane.map((s) => s.ip),
            },
            child,
        );
        this.apiHost = this.apiEndpoint.publicHost;
        const etcdMembers = this.slots.etcd.map((s) => ({ name: s.name, dnsName: s.dnsName, ip: s.ip }));
        this.pki = new Pki(`${name}-pki`, { clusterName: config.name, settings: config.pki, etcdTopology: topology, etcdMembers, apiEndpoint: this.apiHost }, child);
        this.join = { apiServerEndpoint: this.apiEndpoint.nodeEndpoint, token: this.pki.bootstrapToken, caCertHash: this.pki.caCertHash };
        const cpSecrets = new ControlPlaneSecrets(
            `${name}-control-plane-secrets`,
            {
                kubeadm: kubeadmSettings(
                    config,
                    this.apiEndpoint.nodeEndpoint,
                    etcdMembers.map((m) => m.dnsName),
                ),
                certSans: this.apiEndpoint.certSans,
                token: this.pki.bootstrapToken,
                caCertHash: this.pki.caCertHash,
                slots: this.slots.controlPlane,
            },
            child,
        );
        // The roles' read policies name the bucket and the bucket's policy names the roles: the
        // bucket's location reaches the roles through a deferred output to break the cycle.
        const [secretsLocation, resolveSecretsLocation] = pulumi.deferredOutput<SecretsLocation>();
        this.roles = new InstanceRoles(`${name}-iam`, { clusterName: config.name, tags, etcdMembers: etcdMembers.map((m) => m.name), secrets: secretsLocation }, child);
        this.secrets = new SecretsBucket(
            `${name}-secrets`,
            {
                clusterName: config.name,
                tags,
                etcdTopology: topology,
                readers: this.roles.readers,
                contents: this.pki.contents,
                extraObjects: cpSecrets.objects,
                extraLifecycleRules: backupLifecycleRules(config.name),
                access: controlPlaneBucketAccess(config.name, topology),
            },
            child,
        );
        resolveSecretsLocation(this.secrets.location);

        const env: SlotEnvironment = {
            clusterName: config.name,
            region: config.region,
            tags,
            kubernetes: config.kubernetes,
            etcdTopology: topology,
            instanceSubnetIds: this.network.instanceSubnetIds,
            instancesNeedPublicIp: this.network.instancesNeedPublicIp,
            secrets: { bucketName: this.secrets.bucketName, bucketArn: this.secrets.bucketArn, kmsKeyArn: this.secrets.kmsKeyArn },
            partition: aws.getPartitionOutput({}, child).partition,
            bootDependsOn: [this.secrets],
        };
        if (external) {
            this.etcd = new EtcdCluster(
                `${name}-etcd`,
                {
                    ...env,
                    members: this.slots.etcd,
                    instanceType: config.etcd.instanceType,
                    volumeSizeGiB: config.etcd.volumeSizeGiB,
                    timing: { heartbeatIntervalMs: config.etcd.heartbeatIntervalMs, electionTimeoutMs: config.etcd.electionTimeoutMs },
                    securityGroupId: this.firewall.groupIds.etcd!,
                    roles: this.roles.etcd,
                },
                child,
            );
        }
        this.controlPlane = new ControlPlane(
            `${name}-control-plane`,
            {
                ...env,
                slots: this.slots.controlPlane,
                instanceType: config.controlPlane.instanceType,
                volumeSizeGiB: config.controlPlane.volumeSizeGiB,
                securityGroupId: this.firewall.groupIds.controlPlane!,
                role: this.roles.controlPlane,
                endpoint: this.apiEndpoint,
                maxNodes: maxClusterNodes(config.nodePools, config.controlPlane.count),
            },
            child,
        );
        this.snapshots = new EtcdSnapshots(`${name}-etcd-snapshots`, { clusterName: config.name, tags, partition: env.partition }, child);

        this.nodePools = config.nodePools.map(
            (pool) =>
                new NodePool(
                    nodePoolComponentName(name, pool.name),
                    {
                        clusterName: config.name,
                        region: config.region,
                        pool,
                        kubernetes: config.kubernetes,
                        subnetIds: this.network.instanceSubnetIds,
                        associatePublicIp: this.network.instancesNeedPublicIp,
                        securityGroupId: this.firewall.groupIds.nodes!,
                        instanceProfileArn: this.roles.node.instanceProfile.arn,
                        secretsBucketName: this.secrets.bucketName,
                        apiEndpoint: this.join.apiServerEndpoint,
                        caCertHash: this.join.caCertHash,
                        tags,
                    },
                    // Nodes boot into a bucket that already holds their join material.
                    { parent: this, dependsOn: [this.secrets] },
                ),
        );

        // Addons are applied through the generated kubeconfig once the API answers (during `pulumi up`).
        this.addons = new Addons(
            `${name}-addons`,
            {
                clusterName: config.name,
                region: config.region,
                partition: "aws",
                accountId: aws.getCallerIdentityOutput({}, child).accountId,
                kubeconfig: this.pki.adminKubeconfig,
                apiUrl: this.apiHost.apply((h) => apiServerUrl(h)),
                // In-cluster consumers use what every node dials, never the public name.
                inClusterApiEndpoint: this.apiEndpoint.nodeEndpoint,
                nodesHavePublicIps: this.network.instancesNeedPublicIp,
                clusterCaPem: this.pki.clusterCa.certPem,
                podCidr: config.podCidr,
                serviceCidr: config.serviceCidr,
                vpcCidr: config.network.vpcCidr,
                dns: config.dns,
                toggles: config.addons,
                // The minor's addon pins wait for the roll (config/addonHold.ts).
                versions: addonVersions(config.kubernetes.addons.minor),
                nodeRole: { name: this.roles.node.role.name, arn: this.roles.node.role.arn },
                controlPlaneRole: { name: this.roles.controlPlane.role.name, arn: this.roles.controlPlane.role.arn },
                apiReadyAfter: this.controlPlane.slots.map((s) => s.group.id),
            },
            child,
        );
        this.versionRecord = new VersionRecord(`${name}-version-record`, { clusterName: config.name, wantedVersion: config.kubernetes.version, running: config.kubernetes.running, tags }, child);
        this.registerOutputs(this.stackOutputs());
    }

    /** What a user needs from `pulumi stack output`. */
    stackOutputs(): Record<string, unknown> {
        const endpoint = this.apiEndpoint;
        return {
            clusterName: this.config.name,
            region: this.config.region,
            kubernetesVersion: this.config.kubernetes.version,
            availabilityZones: this.config.zones,
            apiEndpoint: this.apiHost.apply((h) => apiServerUrl(h)),
            nodeApiEndpoint: apiServerUrl(endpoint.nodeEndpoint),
            kubeconfig: this.pki.adminKubeconfig,
            ...(endpoint.loadBalancerDnsName ? { loadBalancerDnsName: endpoint.loadBalancerDnsName } : {}),
            ...(endpoint.elasticIp ? { elasticIp: endpoint.elasticIp } : {}),
            ...(endpoint.targetGroupArn ? { apiTargetGroupArn: endpoint.targetGroupArn } : {}),
            ...(endpoint.classicLoadBalancerName ? { classicLoadBalancerName: endpoint.classicLoadBalancerName } : {}),
            instanceRoles: {
                controlPlane: this.roles.controlPlane.role.name,
                node: this.roles.node.role.name,
                ...(Object.keys(this.roles.etcd).length > 0 ? { etcd: Object.fromEntries(Object.entries(this.roles.etcd).map(([m, r]) => [m, r.role.name])) } : {}),
            },
            vpcId: this.network.vpcId,
            publicSubnetIds: this.network.publicSubnetIds,
            privateSubnetIds: this.network.privateSubnetIds,
            securityGroupIds: this.securityGroupIds,
            secretsBucket: this.secrets.bucketName,
            controlPlaneSlots: this.slots.controlPlane.map((s) => ({ name: s.name, zone: s.zone, ip: s.ip })),
            etcdMembers: this.slots.etcd.map((s) => ({ name: s.name, zone: s.zone, ip: s.ip, dnsName: s.dnsName })),
            nodePoolGroups: Object.fromEntries(this.nodePools.map((p, i) => [this.config.nodePools[i].name, p.groupName])),
            // What `npm run roll` replaces, in its order: control-plane slots, external etcd members, pools (components/rollout.ts).
            rollout: pulumi.all([...this.controlPlane.slots.map((s) => s.rollout), ...(this.etcd?.members ?? []).map((s) => s.rollout), ...this.nodePools.map((p) => p.rollout)]).apply((groups) => ({
                kubernetesVersion: this.config.kubernetes.version,
                groups,
                // The addon pins tied to the minor, held at the running minor until the roll records the new one (config/addonHold.ts).
                addons: { minor: this.config.kubernetes.addons.minor, ...(this.config.kubernetes.addons.heldBecause ? { heldBecause: this.config.kubernetes.addons.heldBecause } : {}) },
                versionRecord: this.versionRecord.name,
            })),
            kubectlHint: `pulumi stack output kubeconfig --show-secrets > kubeconfig && KUBECONFIG=$PWD/kubeconfig kubectl get nodes -o wide`,
        };
    }
}
