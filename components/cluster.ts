/**
 * The whole cluster: the top-level component that wires the network, PKI and
 * secrets delivery, control plane, node pools and addons together. It only
 * wires; every concern lives in its own component.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../config";
import { Network } from "./network";
import { Pki, apiServerUrl } from "./pki";
import { SecretsBucket, SecretsLocation } from "./secrets";
import { InstanceRoles } from "./iam";
import { SlotPlan, apiDnsName, planSlots } from "./controlplane/slots";

export interface ClusterArgs {
    readonly config: ClusterConfig;
    /** Per zone, the CIDR of the subnet instances run in (fixes the slots' IPs). */
    readonly instanceSubnetCidrs: readonly string[];
}

export class Cluster extends pulumi.ComponentResource {
    readonly config: ClusterConfig;
    readonly network: Network;
    readonly slots: { readonly controlPlane: SlotPlan[]; readonly etcd: SlotPlan[] };
    /** The stable API host users and nodes reach (without scheme or port). */
    readonly apiHost: string;
    readonly pki: Pki;
    readonly roles: InstanceRoles;
    readonly secrets: SecretsBucket;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:index:Cluster", name, {}, opts);
        const config = (this.config = args.config);
        const external = config.etcd.topology === "external";
        this.network = new Network(
            `${name}-network`,
            { clusterName: config.name, zones: config.zones, network: config.network, tags: config.tags },
            { parent: this },
        );
        this.slots = planSlots({
            region: config.region,
            zones: config.zones,
            instanceSubnetCidrs: args.instanceSubnetCidrs,
            controlPlaneCount: config.controlPlane.count,
            etcdMembers: external ? config.etcd.members : 0,
        });
        // With a DNS zone the API has a stable name. Without one, the first slot's fixed IP is the
        // stable address inside the VPC; the control-plane component adds the load balancer's name.
        this.apiHost = config.dns ? apiDnsName(config.name, config.dns.zoneName) : this.slots.controlPlane[0].ip;
        const etcdMembers = this.slots.etcd.map((s) => ({ name: s.name, dnsName: s.dnsName, ip: s.ip }));

        this.pki = new Pki(
            `${name}-pki`,
            { clusterName: config.name, settings: config.pki, etcdTopology: config.etcd.topology, etcdMembers, apiEndpoint: this.apiHost },
            { parent: this },
        );
        // The roles' read policies name the bucket and the bucket's policy names the roles: the
        // bucket's location reaches the roles through a deferred output to break the cycle.
        const [secretsLocation, resolveSecretsLocation] = pulumi.deferredOutput<SecretsLocation>();
        this.roles = new InstanceRoles(
            `${name}-iam`,
            { clusterName: config.name, tags: config.tags, etcdMembers: etcdMembers.map((m) => m.name), secrets: secretsLocation },
            { parent: this },
        );
        this.secrets = new SecretsBucket(
            `${name}-secrets`,
            { clusterName: config.name, tags: config.tags, etcdTopology: config.etcd.topology, readers: this.roles.readers, contents: this.pki.contents },
            { parent: this },
        );
        resolveSecretsLocation(this.secrets.location);
        this.registerOutputs(this.stackOutputs());
    }

    /** What a user needs from `pulumi stack output`. */
    stackOutputs(): Record<string, unknown> {
        return {
            clusterName: this.config.name,
            region: this.config.region,
            kubernetesVersion: this.config.kubernetes.version,
            availabilityZones: this.config.zones,
            apiEndpoint: apiServerUrl(this.apiHost),
            kubeconfig: this.pki.adminKubeconfig,
            vpcId: this.network.vpcId,
            publicSubnetIds: this.network.publicSubnetIds,
            privateSubnetIds: this.network.privateSubnetIds,
            secretsBucket: this.secrets.bucketName,
            controlPlaneSlots: this.slots.controlPlane.map((s) => ({ name: s.name, zone: s.zone, ip: s.ip })),
            etcdMembers: this.slots.etcd.map((s) => ({ name: s.name, zone: s.zone, ip: s.ip, dnsName: s.dnsName })),
        };
    }
}
