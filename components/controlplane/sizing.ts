/**
 * A guard against a control plane too small for the cluster it will run: the
 * apiserver's and etcd's memory and CPU grow with the number of nodes (and the
 * pods and watches they bring).
 *
 * The reference table is the one Kubernetes published for its own AWS
 * clusters (kube-up sized masters by node count; "Building large clusters",
 * https://kubernetes.io/docs/setup/best-practices/cluster-large/, since
 * renamed "Considerations for large clusters" and trimmed): 1-5 nodes
 * m3.medium, 6-10 m3.large, 11-100 m3.xlarge, 101-250 m3.2xlarge, 251-500
 * c4.4xlarge, more c4.8xlarge. Expressed as what those types have, so that any
 * current family can be compared:
 */
export const CONTROL_PLANE_SIZES: ReadonlyArray<{ readonly upToNodes: number; readonly vcpus: number; readonly memoryGiB: number; readonly reference: string }> = [
    { upToNodes: 5, vcpus: 1, memoryGiB: 3.75, reference: "m3.medium" },
    { upToNodes: 10, vcpus: 2, memoryGiB: 7.5, reference: "m3.large" },
    { upToNodes: 100, vcpus: 4, memoryGiB: 15, reference: "m3.xlarge" },
    { upToNodes: 250, vcpus: 8, memoryGiB: 30, reference: "m3.2xlarge" },
    { upToNodes: 500, vcpus: 16, memoryGiB: 30, reference: "c4.4xlarge" },
    { upToNodes: Infinity, vcpus: 36, memoryGiB: 60, reference: "c4.8xlarge" },
];

/** GiB of memory per vCPU by family letter: general purpose m 4, compute c 2, memory r 8, x 16. */
const GIB_PER_VCPU: Readonly<Record<string, number>> = { m: 4, c: 2, r: 8, x: 16 };
/** Burstable t2/t3/t4g by size: [vCPUs, GiB]. */
const BURSTABLE: Readonly<Record<string, readonly [number, number]>> = {
    nano: [2, 0.5],
    micro: [2, 1],
    small: [2, 2],
    medium: [2, 4],
    large: [2, 8],
    xlarge: [4, 16],
    "2xlarge": [8, 32],
};

/**
 * vCPUs and memory of an instance type of a common family (m, c, r, x, t; any
 * generation and variant: m7i, c7gn, r6a...), from the size: medium 1 vCPU,
 * large 2, xlarge 4, Nxlarge 4N (EC2 instance type specifications). Undefined
 * for other families and metal sizes: no guess, so no warning.
 */
export function instanceSize(instanceType: string): { vcpus: number; memoryGiB: number } | undefined {
    const m = /^([a-z]+)\d+[a-z-]*\.(\d*)(medium|large|xlarge)$|^([a-z]+)\d+[a-z-]*\.(nano|micro|small)$/.exec(instanceType);
    if (!m) return undefined;
    const family = m[1] ?? m[4];
    const size = m[3] === undefined ? m[5] : `${m[2]}${m[3]}`;
    if (family === "t") {
        const t = BURSTABLE[size];
        return t ? { vcpus: t[0], memoryGiB: t[1] } : undefined;
    }
    const perVcpu = GIB_PER_VCPU[family];
    if (perVcpu === undefined || m[3] === undefined) return undefined;
    const vcpus = m[3] === "medium" ? 1 : m[3] === "large" ? 2 : 4 * (m[2] ? Number(m[2]) : 1);
    return { vcpus, memoryGiB: vcpus * perVcpu };
}

/** The reference row for a cluster of `nodes` nodes. */
export function recommendedSize(nodes: number): (typeof CONTROL_PLANE_SIZES)[number] {
    return CONTROL_PLANE_SIZES.find((s) => nodes <= s.upToNodes)!;
}

/**
 * The warning to show when the control-plane instance type is below the
 * recommendation for the cluster's largest size (every pool at its max, plus
 * the control-plane nodes), or undefined when it is large enough or unknown.
 */
export function controlPlaneSizeWarning(instanceType: string, nodes: number): string | undefined {
    const have = instanceSize(instanceType);
    if (!have) return undefined;
    const want = recommendedSize(nodes);
    if (have.vcpus >= want.vcpus && have.memoryGiB >= want.memoryGiB) return undefined;
    return (
        `controlPlane.instanceType ${instanceType} (${have.vcpus} vCPU, ${have.memoryGiB} GiB) is below the recommended size for up to ${nodes} nodes: ` +
        `at least ${want.vcpus} vCPU and ${want.memoryGiB} GiB (Kubernetes' reference: ${want.reference} for up to ${want.upToNodes === Infinity ? "more than 500" : want.upToNodes} nodes)`
    );
}

/** Nodes the cluster can grow to: every pool at its max, plus the control plane. */
export function maxClusterNodes(pools: ReadonlyArray<{ readonly max: number }>, controlPlaneCount: number): number {
    return pools.reduce((sum, p) => sum + p.max, 0) + controlPlaneCount;
}
