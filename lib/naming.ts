/**
 * Every name and tag the program gives AWS resources comes from here, so that
 * the cloud controller, cluster-autoscaler, policies and tooling all read the
 * same keys. Components never invent names or tag keys themselves.
 */

import { createHash } from "crypto";

export type Tags = Record<string, string>;

// ---------------------------------------------------------------------------------------------
// AWS names within AWS's limits (lib/awsLimits.ts). Tags, labels and DNS names keep the full
// cluster name; only physical names with short limits are shortened, and only when they must be.

/** Hex characters of the hash a shortened name ends with (32 bits). */
export const NAME_HASH_LENGTH = 8;

/**
 * `full` when it fits in `max` characters; otherwise its first characters, '-' and a hash of the
 * whole, `max` characters at most. Deterministic (the same input always gives the same name) and
 * collision-resistant (two different long names differ in the hash), as kops shortens names for
 * long cluster names (kubernetes/kops@268927e pkg/truncate/truncate.go TruncateString: FNV-32a,
 * base32; here SHA-256, hex, so the result keeps to letters, digits and '-' for every AWS name).
 */
export function fitName(full: string, max: number): string {
    if (full.length <= max) return full;
    const hash = createHash("sha256").update(full, "utf8").digest("hex").slice(0, NAME_HASH_LENGTH);
    // No '-' before the separator: names stay free of '--' runs and never end in '-' before the hash.
    const base = full.slice(0, max - NAME_HASH_LENGTH - 1).replace(/-+$/, "");
    return `${base}-${hash}`;
}

/** ELBv2 and classic ELB names: at most 32 characters (CreateLoadBalancer). */
export const LOAD_BALANCER_NAME_MAX = 32;
/** Target group names: at most 32 characters (CreateTargetGroup). */
export const TARGET_GROUP_NAME_MAX = 32;
/** IAM role names: 64; the provider's `namePrefix` leaves 64 - 26 = 38 characters for the prefix. */
export const IAM_ROLE_NAME_PREFIX_MAX = 38;
/** S3 bucket names: 63; `bucketPrefix` leaves 63 - 26 = 37 characters for the prefix. */
export const BUCKET_PREFIX_MAX = 37;

/**
 * The API load balancer's name: `<cluster>-<purpose>` (e.g. `prod-api`), shortened to 32 characters
 * with a hash when the cluster name is long. ELBv2 refuses names beginning with `internal-`, so a
 * cluster named `internal` or `internal-...` gets `<purpose>-<cluster>` instead. An explicit name, not an
 * auto-name: `<logical name>-<7 random>` overflows 32 characters for any cluster name over 12.
 */
export function loadBalancerName(cluster: string, purpose = "api"): string {
    const usual = `${cluster}-${purpose}`;
    const full = usual.startsWith("internal-") ? `${purpose}-${cluster}` : usual;
    return fitName(full, LOAD_BALANCER_NAME_MAX);
}

/** The API target group's name: `<cluster>-<purpose>`, at most 32 characters (shortened with a hash). */
export function targetGroupName(cluster: string, purpose = "api"): string {
    return fitName(`${cluster}-${purpose}`, TARGET_GROUP_NAME_MAX);
}

/**
 * An IAM role's name prefix, `<cluster>-<role>-` within 38 characters: the provider appends 26
 * unique characters (at most 64 in all). A prefix rather than a fixed name, so a replacement role
 * can be created before the old one is deleted and two stacks of the same cluster name (IAM is
 * global) never collide.
 */
export function iamRoleNamePrefix(cluster: string, role: string): string {
    return `${fitName(`${cluster}-${role}`, IAM_ROLE_NAME_PREFIX_MAX - 1)}-`;
}

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

/**
 * The tag the DLM policy selects slot data volumes by. DLM targets a
 * resource that carries ANY of the policy's target tags, so the cluster tag
 * or the role tag alone would also catch root volumes, PVs or other
 * clusters' volumes; the wiring puts this one tag, value = cluster name,
 * on the slot data volumes only.
 */
export const DLM_TARGET_TAG = "k8s.io/etcd-snapshots";

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

/** The secrets bucket's name prefix (the provider appends 26 unique characters): `<cluster>-secrets-`, shortened with a hash to 37 characters. */
export function secretsBucketPrefix(cluster: string): string {
    // S3 refuses bucket names beginning with these (bucketnamingrules.html); a cluster may be named so.
    const base = /^(xn--|sthree-|amzn-s3-demo-)/.test(cluster) ? `k8s-${cluster}` : cluster;
    return `${fitName(`${base}-secrets`, BUCKET_PREFIX_MAX - 1)}-`;
}

/** The alias of the secrets bucket's KMS key: `alias/k8s-aws/<cluster>/secrets`. */
export function secretsKmsAlias(cluster: string): string {
    return `alias/k8s-aws/${cluster}/secrets`;
}

/**
 * The IAM path of the roles pods assume through kube2iam: `/k8s-aws/<cluster>/pods/`. The node
 * roles may assume only roles under it, so a pod can never obtain an instance role or another
 * cluster's role.
 */
export function podRolePath(cluster: string): string {
    return `${iamPath(cluster)}pods/`;
}

/** The Name tag of a pod role: `<cluster>-pod-<addon>`, e.g. `prod-pod-external-dns`. */
export function podRoleName(cluster: string, addon: string): string {
    return `${cluster}-pod-${addon}`;
}

/** The logical (Pulumi) name of an addon's component: `<Addons component>-<addon>`, e.g. `prod-addons-calico`; the render's manifests are grouped by it. */
export function addonName(parent: string, addon: string): string {
    return `${parent}-${addon}`;
}

/**
 * The label every node of a pool carries, `k8s-aws.io/pool=<pool>`: set by the kubelet itself
 * (--node-labels), so it lives outside the kubernetes.io and k8s.io namespaces, which the
 * NodeRestriction admission plugin keeps from kubelets.
 */
export const POOL_LABEL = "k8s-aws.io/pool";

/** The Name tag of a node pool's autoscaling group, launch template and instances: `<cluster>-<pool>`, e.g. `prod-general`. */
export function nodePoolName(cluster: string, pool: string): string {
    return `${cluster}-${pool}`;
}

/** The logical (Pulumi) name of a node pool's component: `<parent>-pool-<pool>`. */
export function nodePoolComponentName(parent: string, pool: string): string {
    return `${parent}-pool-${pool}`;
}

/** Where cluster-autoscaler reads a group's node template from its tags (scale from zero). */
export const AUTOSCALER_NODE_TEMPLATE_PREFIX = "k8s.io/cluster-autoscaler/node-template";

/**
 * cluster-autoscaler's node-template tags, so it can scale a group up from zero nodes
 * (cluster-autoscaler/cloudprovider/aws/README.md, "Auto-Discovery Setup"):
 * `.../label/<key>` = value, `.../taint/<key>` = `<value>:<effect>`, `.../resources/<name>` = quantity.
 */
export function autoscalerNodeTemplateTags(t: {
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: ReadonlyArray<{ readonly key: string; readonly value?: string; readonly effect: string }>;
    readonly resources?: Readonly<Record<string, string>>;
}): Tags {
    return {
        ...Object.fromEntries(Object.entries(t.labels).map(([k, v]) => [`${AUTOSCALER_NODE_TEMPLATE_PREFIX}/label/${k}`, v])),
        ...Object.fromEntries(t.taints.map((x) => [`${AUTOSCALER_NODE_TEMPLATE_PREFIX}/taint/${x.key}`, `${x.value ?? ""}:${x.effect}`])),
        ...Object.fromEntries(Object.entries(t.resources ?? {}).map(([k, v]) => [`${AUTOSCALER_NODE_TEMPLATE_PREFIX}/resources/${k}`, v])),
    };
}

// ---------------------------------------------------------------------------------------------
// Control plane (components/controlplane/): slots, the API endpoint, backups.

/** The Name tag of a slot's resources (interface, volume, launch template, group, instance): `<cluster>-<slot>`, e.g. `prod-control-plane-a`. */
export function slotResourceName(cluster: string, slot: string): string {
    return `${cluster}-${slot}`;
}

/**
 * Tags of everything that belongs to a slot: the cluster's tags, its Name, the role tag
 * (`k8s.io/role/control-plane` or `k8s.io/role/etcd` = `1`) and `k8s.io/slot` = the slot's name.
 * The slot bootstrap finds its interface and volume by exactly these, and IAM scopes attachment by them.
 */
export function slotTags(cluster: string, extra: Tags, role: "control-plane" | "etcd", slot: string, more: Tags = {}): Tags {
    return namedTags(cluster, extra, slotResourceName(cluster, slot), {
        [role === "control-plane" ? CONTROL_PLANE_ROLE_TAG : ETCD_ROLE_TAG]: "1",
        [SLOT_TAG]: slot,
        ...more,
    });
}

/**
 * The name nodes and control-plane members reach the API through (kubeadm's
 * controlPlaneEndpoint): `api.internal.<cluster>.<zone>`, an A record of the slots'
 * fixed private IPs, as kops does. It never leaves the VPC, so no NAT or load balancer sits in the path.
 */
export function apiInternalDnsName(cluster: string, zoneName: string): string {
    return `api.internal.${cluster}.${zoneName}`;
}

/** Without a configured DNS zone, the cluster's own private hosted zone (VPC only) for the internal API name: `<cluster>.k8s-aws.internal`. */
export function privateApiZoneName(cluster: string): string {
    return `${cluster}.k8s-aws.internal`;
}

/** The Name tag of the API load balancer (or Elastic IP): `<cluster>-api`. */
export function apiEndpointName(cluster: string): string {
    return `${cluster}-api`;
}

/** RFC 1123 label length: our scripts accept cluster-derived tokens only as labels (host/shell.ts). */
const LABEL_MAX = 63;

/** etcd's initial-cluster-token: `<cluster>-etcd`, shortened with a hash to a DNS label for long cluster names. */
export function etcdClusterToken(cluster: string): string {
    return fitName(`${cluster}-etcd`, LABEL_MAX);
}

/** The token of an etcd cluster restored from a snapshot: `<cluster>-etcd-restored` (shortened likewise), never the original's. */
export function etcdRestoredClusterToken(cluster: string): string {
    return fitName(`${cluster}-etcd-restored`, LABEL_MAX);
}

/** The Name tag of the etcd snapshot policy and its role: `<cluster>-etcd-snapshots`. */
export function etcdSnapshotsName(cluster: string): string {
    return `${cluster}-etcd-snapshots`;
}

/**
 * The SSM parameter hierarchy of a cluster: `/k8s-aws/<cluster>` (GetParametersByPath reads it; the
 * hierarchy is the name without its last part, written as the documentation's example
 * `/Finance/Prod/IAD/WinServ2016`: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParametersByPath.html).
 */
export function ssmParameterPath(cluster: string): string {
    return `/k8s-aws/${cluster}`;
}

/**
 * The SSM parameter holding the version the cluster's whole control plane was last rolled to
 * (`npm run roll` writes it; the program reads it): `/k8s-aws/<cluster>/rolled-kubernetes-version`.
 */
export function rolledVersionParameterName(cluster: string): string {
    return `${ssmParameterPath(cluster)}/rolled-kubernetes-version`;
}
