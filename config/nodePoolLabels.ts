/**
 * Configuration rules for what a pool's nodes say about themselves when they
 * register: their labels (kubelet --node-labels) and taints (kubeadm
 * nodeRegistration.taints, i.e. --register-with-taints), checked so that the
 * kubelet and the API server accept them. Pure. (The labels themselves:
 * lib/poolTags.ts nodeLabels.)
 */
import type { NodePoolConfig } from "./schema";
import { CONFIG_KEY, ConfigProblem, keyOf } from "./errors";
import { AUTOSCALER_NODE_TEMPLATE_PREFIX, POOL_LABEL } from "../lib/naming";

/**
 * Label keys and namespaces a kubelet may set on its own Node: the
 * well-known topology/os/arch/instance-type labels and the
 * kubelet.kubernetes.io and node.kubernetes.io namespaces
 * (kubernetes pkg/kubelet/apis/well_known_labels.go, IsKubeletLabel). Any
 * other key in the kubernetes.io or k8s.io namespaces (node-role.kubernetes.io
 * included) makes the kubelet refuse to start, and NodeRestriction rejects it.
 */
const KUBELET_LABELS = new Set([
    "kubernetes.io/hostname",
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/arch",
    "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type",
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "failure-domain.kubernetes.io/zone",
    "failure-domain.kubernetes.io/region",
    "kubernetes.io/instance-type",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
]);
const KUBELET_NAMESPACES = ["kubelet.kubernetes.io", "node.kubernetes.io"];
const RESERVED_NAMESPACES = ["kubernetes.io", "k8s.io"];

const namespaceOf = (key: string): string => (key.includes("/") ? key.slice(0, key.indexOf("/")) : "");
const within = (ns: string, domain: string): boolean => ns === domain || ns.endsWith(`.${domain}`);

/** Whether a kubelet may set this label on its own Node object at registration. */
export function kubeletMaySetLabel(key: string): boolean {
    const ns = namespaceOf(key);
    if (!RESERVED_NAMESPACES.some((d) => within(ns, d))) return true;
    if (within(ns, "node-restriction.kubernetes.io")) return false;
    return KUBELET_LABELS.has(key) || KUBELET_NAMESPACES.some((d) => within(ns, d));
}

/** AWS tag limits (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html): keys up to 128 characters, values up to 256. */
export const TAG_KEY_MAX = 128;
export const TAG_VALUE_MAX = 256;

/**
 * Problems with a pool's labels and taints that the schema cannot see, keyed
 * under `poolKey` like every other configuration problem
 * (`k8s-aws:cluster.nodePools[i]` from nodePoolsLabelProblems):
 * labels a kubelet may not set, a conflicting pool label, taints that repeat
 * a key (cluster-autoscaler's template keeps one taint per key), and names too
 * long for cluster-autoscaler's node-template tags.
 */
export function nodePoolLabelProblems(pool: Pick<NodePoolConfig, "name" | "labels" | "taints">, poolKey: string): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const at = (...path: PropertyKey[]) => poolKey + keyOf(path).slice(CONFIG_KEY.length);
    for (const [key, value] of Object.entries(pool.labels)) {
        if (!kubeletMaySetLabel(key)) {
            out.push({
                key: at("labels", key),
                value,
                allowed: "a key outside the kubernetes.io and k8s.io namespaces (a kubelet may not set those on itself; NodeRestriction), or kubelet.kubernetes.io/*, node.kubernetes.io/*",
            });
        } else if (key === POOL_LABEL && value !== pool.name) {
            out.push({ key: at("labels", key), value, allowed: `${JSON.stringify(pool.name)} or nothing (${POOL_LABEL} always names the pool)` });
        }
        const tagKey = `${AUTOSCALER_NODE_TEMPLATE_PREFIX}/label/${key}`;
        if (tagKey.length > TAG_KEY_MAX)
            out.push({
                key: at("labels", key),
                value,
                allowed: `a key of at most ${TAG_KEY_MAX - tagKey.length + key.length} characters (it becomes the tag ${AUTOSCALER_NODE_TEMPLATE_PREFIX}/label/<key>)`,
            });
    }
    const keys = pool.taints.map((t) => t.key);
    pool.taints.forEach((t, i) => {
        if (keys.indexOf(t.key) !== i)
            out.push({ key: at("taints", i, "key"), value: t.key, allowed: "a key no other taint of the pool uses (cluster-autoscaler's node template holds one taint per key)" });
        const tagKey = `${AUTOSCALER_NODE_TEMPLATE_PREFIX}/taint/${t.key}`;
        if (tagKey.length > TAG_KEY_MAX)
            out.push({
                key: at("taints", i, "key"),
                value: t.key,
                allowed: `a key of at most ${TAG_KEY_MAX - tagKey.length + t.key.length} characters (it becomes the tag ${AUTOSCALER_NODE_TEMPLATE_PREFIX}/taint/<key>)`,
            });
    });
    return out;
}

/** nodePoolLabelProblems for every pool of a configuration, keyed `k8s-aws:cluster.nodePools[i]...` (a check for config/rules.ts). */
export function nodePoolsLabelProblems(pools: ReadonlyArray<Pick<NodePoolConfig, "name" | "labels" | "taints">>): ConfigProblem[] {
    return pools.flatMap((pool, i) => nodePoolLabelProblems(pool, keyOf(["nodePools", i])));
}
