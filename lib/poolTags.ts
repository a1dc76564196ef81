/**
 * What a node pool's nodes carry: the labels they register with, and the
 * pool's tags. Instances (through the launch template's tag
 * specifications and the group's propagated tags) and volumes carry the
 * cluster's ownership tag, the node role and the pool; the group alone
 * carries cluster-autoscaler's discovery and node-template tags, which
 * describe the group, not an instance. Pure: a naming fact that the
 * configuration rules (tag counts) and the node-pool component both read.
 */
import { NODE_ROLE_TAG, POOL_LABEL, POOL_TAG, Tags, autoscalerNodeTemplateTags, autoscalerTags, namedTags, nodePoolName } from "./naming";

/** The parts of a node pool's configuration its labels and tags derive from (a config NodePoolConfig fits). */
export interface PoolIdentity {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: ReadonlyArray<{ readonly key: string; readonly value?: string; readonly effect: string }>;
    readonly rootVolumeSizeGiB: number;
}

/** The labels a pool's nodes register with: the configured ones plus `k8s-aws.io/pool=<pool>`, sorted by key. */
export function nodeLabels(pool: Pick<PoolIdentity, "name" | "labels">): Record<string, string> {
    const all = { ...pool.labels, [POOL_LABEL]: pool.name };
    return Object.fromEntries(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface PoolTagInput {
    readonly clusterName: string;
    readonly pool: PoolIdentity;
    /** The user's extra tags (config.tags). */
    readonly tags: Tags;
}

/** An autoscaling group tag: `propagateAtLaunch` copies it onto the instances the group launches. */
export interface GroupTag {
    readonly key: string;
    readonly value: string;
    readonly propagateAtLaunch: boolean;
}

/** What every instance and volume of the pool carries: cluster tags, Name `<cluster>-<pool>`, `k8s.io/role/node`, `k8s.io/pool`. */
export function poolInstanceTags(i: PoolTagInput): Tags {
    return namedTags(i.clusterName, i.tags, nodePoolName(i.clusterName, i.pool.name), { [NODE_ROLE_TAG]: "1", [POOL_TAG]: i.pool.name });
}

/**
 * cluster-autoscaler's view of the group: auto-discovery
 * (`--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/<cluster>`)
 * and the node template it simulates when the group has no node to copy:
 * every label and taint the nodes register with, and the root volume as
 * ephemeral storage (CPU and memory come from the first instance type).
 */
export function poolAutoscalerTags(i: PoolTagInput): Tags {
    return {
        ...autoscalerTags(i.clusterName),
        ...autoscalerNodeTemplateTags({
            labels: nodeLabels(i.pool),
            taints: i.pool.taints,
            resources: { "ephemeral-storage": `${i.pool.rootVolumeSizeGiB}Gi` },
        }),
    };
}

/** The group's tags: instance tags propagated at launch, autoscaler tags on the group only. Sorted by key, so diffs stay stable. */
export function poolGroupTags(i: PoolTagInput): GroupTag[] {
    const byKey = new Map<string, GroupTag>();
    for (const [key, value] of Object.entries(poolInstanceTags(i))) byKey.set(key, { key, value, propagateAtLaunch: true });
    for (const [key, value] of Object.entries(poolAutoscalerTags(i))) byKey.set(key, { key, value, propagateAtLaunch: false });
    return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The launch template's tag specifications: its instances and their volumes. */
export function poolTagSpecifications(i: PoolTagInput): { resourceType: "instance" | "volume"; tags: Tags }[] {
    const tags = poolInstanceTags(i);
    return [
        { resourceType: "instance", tags },
        { resourceType: "volume", tags },
    ];
}
