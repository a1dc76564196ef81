/**
 * The shape of a stack's cluster configuration (`k8s-aws:cluster` in
 * `stacks/Pulumi.<stack>.yaml`), as a zod schema: field types, ranges,
 * defaults and descriptions live here, and the README's configuration
 * reference is generated from it. Rules that relate several fields
 * (CIDR overlap, pool sizes, zone counts) are in `rules.ts`.
 */
import { z } from "zod";
import { SUPPORTED_KUBERNETES_MINORS, DEFAULT_KUBERNETES_MINOR } from "./versions";
// Defaults and etcd's own limits for the etcd timing (derivation at ETCD_TUNING).
import { ETCD_TIMING_LIMITS, ETCD_TUNING } from "../lib/etcdTuning";

/**
 * An RFC 1123 DNS label (it is part of `api.<name>.<zone>`), at most 63 characters. AWS names with
 * shorter limits (load balancers: 32) are shortened with a hash by lib/naming.ts; tags keep it whole.
 */
export const CLUSTER_NAME_MAX = 63;
export const CLUSTER_NAME_RE = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const POOL_NAME_RE = /^[a-z]([a-z0-9-]{0,14}[a-z0-9])?$/;
/** EC2 instance type, e.g. t3.medium, m7i.2xlarge, c7gn.16xlarge, u-6tb1.metal. */
const INSTANCE_TYPE_RE = /^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.[a-z0-9]+$/;
const CIDR_TEXT_RE = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;
/** A DNS name with at least two labels, no trailing dot. */
const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const VPC_ID_RE = /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/;
const SUBNET_ID_RE = /^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/;
const ZONE_ID_RE = /^Z[A-Z0-9]{1,32}$/;
const NAT_ID_RE = /^nat-([0-9a-f]{8}|[0-9a-f]{17})$/;
const IGW_ID_RE = /^igw-([0-9a-f]{8}|[0-9a-f]{17})$/;
const LABEL_KEY_RE = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE_RE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

const cidr = (what: string) => z.string().regex(CIDR_TEXT_RE, { message: `an IPv4 CIDR such as 10.0.0.0/16 (${what})` });

const instanceType = z.string().regex(INSTANCE_TYPE_RE, { message: "an EC2 instance type such as t3.medium or m7i.large" });

const taint = z.strictObject({
    key: z.string().regex(LABEL_KEY_RE, { message: "a Kubernetes label-style key" }),
    value: z.string().regex(LABEL_VALUE_RE, { message: "a Kubernetes label-style value (may be empty)" }).default(""),
    effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
});

export const nodePoolSchema = z.strictObject({
    name: z.string().regex(POOL_NAME_RE, { message: "a DNS label of 1-16 characters: lowercase letters, digits and '-', starting with a letter" }).describe("pool name (tag k8s.io/pool)"),
    instanceTypes: z.array(instanceType).min(1).describe("EC2 instance types; more than one enables mixed instances"),
    min: z.number().int().min(0).max(1000).describe("smallest size; cluster-autoscaler never goes below it"),
    desired: z.number().int().min(0).max(1000).describe("size at creation; afterwards cluster-autoscaler owns it"),
    max: z.number().int().min(1).max(1000).describe("largest size cluster-autoscaler may scale to"),
    labels: z
        .record(
            z.string().regex(LABEL_KEY_RE, { message: "a Kubernetes label key (an optional DNS-subdomain prefix and /, then up to 63 letters, digits, -, _ or .)" }),
            z.string().regex(LABEL_VALUE_RE, { message: "a Kubernetes label value: up to 63 letters, digits, -, _ or ., starting and ending with a letter or digit (may be empty)" }),
        )
        .default({})
        .describe("node labels (also advertised to cluster-autoscaler for scale-from-zero)"),
    taints: z.array(taint).default([]).describe("node taints, registered at join"),
    rootVolumeSizeGiB: z.number().int().min(20).max(16384).default(50).describe("encrypted gp3 root volume"),
    spotPercentage: z.number().int().min(0).max(100).default(0).describe("share of capacity above the on-demand base that runs on spot instances"),
    onDemandBase: z.number().int().min(0).max(1000).default(0).describe("instances that always run on demand"),
    minHealthyPercentage: z.number().int().min(0).max(100).default(90).describe("instance refresh keeps at least this share of the pool healthy while rolling"),
});

const newVpcSchema = z.strictObject({
    mode: z.literal("new").describe("create a VPC for the cluster"),
    vpcCidr: cidr("the VPC's address range, /16 to /22").default("10.0.0.0/16"),
    natGateways: z.enum(["none", "single", "perAz"]).default("perAz").describe("none: instances run in public subnets (dev); single: one NAT for all AZs; perAz: one per AZ (HA)"),
});

/** A zone whose subnets someone else made: tagged `shared`, never changed. */
export const existingZoneSubnetsSchema = z.strictObject({
    public: z.string().regex(SUBNET_ID_RE, { message: "a subnet id such as subnet-0a1b2c3d4e5f60718" }),
    private: z.string().regex(SUBNET_ID_RE, { message: "a subnet id such as subnet-0a1b2c3d4e5f60718" }),
});

/**
 * A zone whose subnets the cluster creates inside the existing VPC (kops' "shared VPC",
 * kubernetes/kops tests/integration/update_cluster/shared_vpc): tagged `owned`, deleted on destroy.
 */
export const createdZoneSubnetsSchema = z.strictObject({
    publicCidr: cidr("the cluster's public (utility) subnet in this zone, inside the VPC"),
    privateCidr: cidr("the cluster's private subnet in this zone, inside the VPC"),
    natGatewayId: z
        .string()
        .regex(NAT_ID_RE, { message: "a NAT gateway id such as nat-0a1b2c3d4e5f60718" })
        .optional()
        .describe("the VPC's NAT gateway the private subnet routes through; absent: the cluster creates its own in this zone"),
});

const existingVpcSchema = z.strictObject({
    mode: z.literal("existing").describe("use a VPC another tool made; its subnets are tagged `shared`, never changed; subnets given as CIDRs are the cluster's own"),
    vpcId: z.string().regex(VPC_ID_RE, { message: "a VPC id such as vpc-0a1b2c3d4e5f60718" }).describe("the existing VPC"),
    vpcCidr: cidr("the existing VPC's primary CIDR, used to check pod/service ranges"),
    subnets: z
        .record(z.string(), z.union([existingZoneSubnetsSchema, createdZoneSubnetsSchema]))
        .describe("per availability zone, either the existing public and private subnet ids, or CIDRs for subnets the cluster creates in the VPC"),
    internetGatewayId: z
        .string()
        .regex(IGW_ID_RE, { message: "an internet gateway id such as igw-0a1b2c3d4e5f60718" })
        .optional()
        .describe("the VPC's internet gateway; required when the cluster creates subnets (their public route table points at it)"),
    privateSubnetsHaveNat: z.boolean().default(true).describe("whether the private subnets already route to a NAT; if false, instances run in the public subnets"),
});

export const networkSchema = z.discriminatedUnion("mode", [newVpcSchema, existingVpcSchema]);

export const clusterConfigSchema = z.strictObject({
    name: z
        .string()
        .regex(CLUSTER_NAME_RE, { message: `a DNS label of 1-${CLUSTER_NAME_MAX} characters: lowercase letters, digits and '-', starting with a letter and not ending with '-'` })
        .describe("cluster name: part of every resource name and of the cluster tag kubernetes.io/cluster/<name>"),
    kubernetesVersion: z
        .enum(SUPPORTED_KUBERNETES_MINORS as [string, ...string[]])
        .default(DEFAULT_KUBERNETES_MINOR)
        .describe("Kubernetes minor; the patch release is pinned in config/versions.ts"),
    availabilityZones: z
        .union([z.number().int().min(1).max(6), z.array(z.string()).min(1).max(6)])
        .default(3)
        .describe("a count (the first N zones the account sees) or explicit zone names"),
    network: networkSchema.prefault({ mode: "new" }),
    podCidr: cidr("the pod network").default("100.64.0.0/16").describe("pod network (Calico IP pool, kubeadm podSubnet); must not overlap the VPC"),
    serviceCidr: cidr("the service network").default("10.96.0.0/12").describe("service network (kubeadm serviceSubnet), /12 to /24"),
    adminCidrs: z.array(cidr("who may reach the API")).min(1).describe("CIDRs allowed to reach the Kubernetes API"),
    controlPlane: z
        .strictObject({
            count: z
                .union([z.literal(1), z.literal(3), z.literal(5)], { message: "1, 3 or 5 (an odd count keeps etcd quorum)" })
                .default(3)
                .describe("control-plane slots, one per zone"),
            instanceType: instanceType.default("m7i.large").describe("control-plane instance type"),
            schedulable: z.boolean().optional().describe("let workloads run on control-plane nodes; default: true with one slot"),
            endpoint: z.enum(["loadBalancer", "elasticIp"]).default("loadBalancer").describe("elasticIp is allowed with one control-plane slot only"),
            loadBalancerType: z.enum(["network", "classic"]).default("network").describe("API load balancer: NLB (TCP pass-through) or classic ELB"),
            apiAccess: z.enum(["public", "internal"]).default("public").describe("internet-facing (admin CIDRs only) or internal API endpoint"),
            volumeSizeGiB: z.number().int().min(10).max(1000).default(20).describe("per-slot etcd data volume (gp3)"),
        })
        .prefault({}),
    etcd: z
        .strictObject({
            topology: z.enum(["stacked", "external"]).default("stacked").describe("etcd on the control-plane slots, or on its own slots"),
            members: z
                .union([z.literal(3), z.literal(5)], { message: "3 or 5 external etcd members" })
                .default(3)
                .describe("external etcd members, one per zone"),
            instanceType: instanceType.default("m7i.large").describe("external etcd instance type"),
            volumeSizeGiB: z.number().int().min(10).max(1000).default(20).describe("per-member data volume (gp3)"),
            heartbeatIntervalMs: z
                .number()
                .int()
                .min(ETCD_TIMING_LIMITS.minHeartbeatMs)
                .max(ETCD_TIMING_LIMITS.maxElectionMs / ETCD_TIMING_LIMITS.minElectionHeartbeats)
                .default(ETCD_TUNING.heartbeatIntervalMs)
                .describe("etcd heartbeat interval in ms, stacked or external; the default follows zone round trips and etcd's tuning guide (BENCHMARKS.md, 4. Failover)"),
            electionTimeoutMs: z
                .number()
                .int()
                .min(ETCD_TIMING_LIMITS.minHeartbeatMs * ETCD_TIMING_LIMITS.minElectionHeartbeats)
                .max(ETCD_TIMING_LIMITS.maxElectionMs)
                .default(ETCD_TUNING.electionTimeoutMs)
                .describe("etcd election timeout in ms, at least 5 heartbeats (etcd's rule; 10 recommended); a new leader takes up to twice this after the leader dies"),
        })
        .prefault({}),
    nodePools: z.array(nodePoolSchema).default([]).describe("worker node pools, each an auto-scaling group over every zone"),
    dns: z
        .strictObject({
            zoneName: z.string().regex(DOMAIN_RE, { message: "a DNS zone name such as example.com (no trailing dot)" }).describe("the hosted zone's name"),
            zoneId: z.string().regex(ZONE_ID_RE, { message: "a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ" }).describe("the hosted zone's id"),
            private: z
                .boolean()
                .default(false)
                .describe("a private hosted zone associated with the cluster's VPC (checked before anything is created); the API is then reachable from inside the network only"),
        })
        .optional()
        .describe("Route53 zone for api.<cluster>.<zone> and external-dns"),
    addons: z
        .strictObject({
            calico: z.boolean().default(true).describe("Calico CNI and network policy"),
            kube2iam: z.boolean().default(true).describe("IAM roles for pods"),
            externalDns: z.boolean().default(true).describe("external-dns for the Route53 zone"),
            awsCloudController: z.boolean().default(true).describe("the external AWS cloud controller manager"),
            ebsCsi: z.boolean().default(true).describe("EBS CSI driver and an encrypted gp3 default StorageClass"),
            clusterAutoscaler: z.boolean().default(true).describe("cluster-autoscaler on the node pools"),
            metricsServer: z.boolean().default(true).describe("metrics-server"),
        })
        .prefault({}),
    pki: z
        .strictObject({
            algorithm: z.enum(["ECDSA", "RSA"]).default("ECDSA").describe("ECDSA uses P-256"),
            rsaBits: z
                .union([z.literal(2048), z.literal(3072), z.literal(4096)])
                .default(2048)
                .describe("RSA key size when algorithm is RSA"),
            caValidityHours: z.number().int().min(24).max(876000).default(87600).describe("CA certificate validity (10 years)"),
            leafValidityHours: z.number().int().min(1).max(87600).default(8760).describe("leaf certificate validity (1 year)"),
        })
        .prefault({}),
    upgrade: z
        .strictObject({
            allowMinorDowngrade: z
                .string()
                .regex(/^\d+\.\d+->\d+\.\d+$/, { message: 'one exact transition "<running minor>-><kubernetesVersion>", e.g. "1.36->1.35"' })
                .optional()
                .describe("a deliberate one-minor rollback after restoring an etcd snapshot (docs/runbooks/restore-etcd.md): names the exact transition; refused otherwise"),
        })
        .prefault({}),
    // Key and value lengths, the reserved aws: prefix and the count are AWS's tag limits, checked in rules.ts (checkTags).
    tags: z.record(z.string(), z.string()).default({}).describe("extra tags on every AWS resource (AWS: at most 50 per resource, counting the program's own; keys not beginning with aws:)"),
});

/** The validated configuration as written (defaults applied), before zones are resolved. */
export type ClusterConfigInput = z.infer<typeof clusterConfigSchema>;
export type NodePoolConfig = z.infer<typeof nodePoolSchema>;
export type NetworkConfig = z.infer<typeof networkSchema>;
export type NewVpcConfig = Extract<NetworkConfig, { mode: "new" }>;
export type ExistingVpcConfig = Extract<NetworkConfig, { mode: "existing" }>;
export type NatGatewayMode = NewVpcConfig["natGateways"];
export type ZoneSubnetsConfig = ExistingVpcConfig["subnets"][string];
/** A zone of an existing VPC whose subnets the cluster creates (given as CIDRs) and owns. */
export type CreatedZoneSubnets = Extract<ZoneSubnetsConfig, { publicCidr: string }>;
/** A zone of an existing VPC whose subnets someone else made (given as ids). */
export type ExistingZoneSubnets = Extract<ZoneSubnetsConfig, { public: string }>;

export function isCreatedZone(s: ZoneSubnetsConfig): s is CreatedZoneSubnets {
    return "publicCidr" in s;
}
