/**
 * Every name and tag the program gives AWS resources comes from here, so that
 * the cloud controller, cluster-autoscaler, policies and tooling all read the
 * same keys. Components never invent names or tag keys themselves.
 */

export type Tags = Record<string, string>;

/** How the cluster relates to a resource: it created it (owned) or uses someone else's (shared). */
export type Ownership = "owned" | "shared";

/**
 * The key the AWS cloud controller and the load-balancer controller use to
 * find a cluster's subnets, security groups and instances
 * (https://docs.aws.amazon.com/eks/latest/userguide/network-load-balancing.html,
 * cloud-provider-aws `TagNameKubernetesClusterPrefix`).
 */
export function clusterTagKey(cluster: string): string {
    return `kubernetes.io/cluster/${cluster}`;
}

/** The legacy single-cluster tag that older tooling (and kops) still reads; only on resources the cluster owns. */
export const LEGACY_CLUSTER_TAG = "KubernetesCluster";

export const ROLE_ELB_TAG = "kubernetes.io/role/elb";
export const ROLE_INTERNAL_ELB_TAG = "kubernetes.io/role/internal-elb";
export const CONTROL_PLANE_ROLE_TAG = "k8s.io/role/control-plane";
export const ETCD_ROLE_TAG = "k8s.io/role/etcd";
export const NODE_ROLE_TAG = "k8s.io/role/node";
export const SLOT_TAG = "k8s.io/slot";
export const POOL_TAG = "k8s.io/pool";
export const SUBNET_TYPE_TAG = "SubnetType";

/** cluster-autoscaler auto-discovery (`--node-group-auto-discovery=asg:tag=...`). */
export function autoscalerTags(cluster: string): Tags {
    return { "k8s.io/cluster-autoscaler/enabled": "true", [`k8s.io/cluster-autoscaler/${cluster}`]: "owned" };
}

/** Tags on every AWS resource the cluster creates: ownership, the legacy tag, the user's extra tags. */
export function clusterTags(cluster: string, extra: Tags = {}): Tags {
    return { ...extra, [clusterTagKey(cluster)]: "owned", [LEGACY_CLUSTER_TAG]: cluster };
}

/** A resource's tags: the cluster's, plus a Name and any role-specific tags. */
export function namedTags(cluster: string, extra: Tags, name: string, more: Tags = {}): Tags {
    return { ...clusterTags(cluster, extra), Name: name, ...more };
}

export type SubnetTier = "public" | "private";

/** The Name tag of a subnet: `<cluster>-<tier>-<zone>`, e.g. `prod-private-eu-west-1a`. */
export function subnetName(cluster: string, tier: SubnetTier, zone: string): string {
    return `${cluster}-${tier}-${zone}`;
}

/** Subnet tags as the AWS cloud controller and load-balancer controllers read them. */
export function subnetTags(cluster: string, extra: Tags, tier: SubnetTier, zone: string): Tags {
    return namedTags(cluster, extra, subnetName(cluster, tier, zone), {
        [SUBNET_TYPE_TAG]: tier === "public" ? "Public" : "Private",
        [tier === "public" ? ROLE_ELB_TAG : ROLE_INTERNAL_ELB_TAG]: "1",
    });
}

/** Tags a cluster adds to a subnet someone else owns: no legacy tag, so several clusters can share a VPC. */
export function sharedSubnetTags(cluster: string, tier: SubnetTier): Tags {
    return {
        [clusterTagKey(cluster)]: "shared",
        [tier === "public" ? ROLE_ELB_TAG : ROLE_INTERNAL_ELB_TAG]: "1",
    };
}

/** The short suffix of a zone (`eu-west-1a` -> `a`), for logical names. */
export function zoneSuffix(zone: string): string {
    return zone.slice(-1);
}

/** Logical (Pulumi) name of a per-zone child: `<parent>-<what>-<zone>`. */
export function zonalName(parent: string, what: string, zone: string): string {
    return `${parent}-${what}-${zone}`;
}

/** The Name tag of a cluster-wide network resource: `<cluster>-<what>`, or `<cluster>-<what>-<zone>` for a per-zone one. */
export function networkResourceName(cluster: string, what: string, zone?: string): string {
    return zone === undefined ? `${cluster}-${what}` : `${cluster}-${what}-${zone}`;
}

/** The IAM path of every role and instance profile of a cluster: `/k8s-aws/<cluster>/`. */
export function iamPath(cluster: string): string {
    return `/k8s-aws/${cluster}/`;
}

/** The Name tag of an instance role and its profile: `<cluster>-<role>`, e.g. `prod-control-plane`, `prod-etcd-etcd-a`. */
export function instanceRoleName(cluster: string, role: string): string {
    return `${cluster}-${role}`;
}

/** The Name tag of the secrets bucket and its KMS key: `<cluster>-secrets`. */
export function secretsName(cluster: string): string {
    return `${cluster}-secrets`;
}

/** The secrets bucket's name prefix (AWS appends a unique suffix): `<cluster>-secrets-`, at most 37 characters. */
export function secretsBucketPrefix(cluster: string): string {
    return `${cluster}-secrets-`;
}

/** The alias of the secrets bucket's KMS key: `alias/k8s-aws/<cluster>/secrets`. */
export function secretsKmsAlias(cluster: string): string {
    return `alias/k8s-aws/${cluster}/secrets`;
}
