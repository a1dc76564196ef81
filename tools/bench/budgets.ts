/**
 * Failure-detection budgets a stack configures, read from its own plan:
 * how long the API load balancer keeps sending to a dead API server, and how
 * long a lost control-plane or etcd slot takes to come back. Pure.
 *
 * Dead API backend: the target group's health check interval x unhealthy
 * threshold (inputs.healthCheck of aws:lb/targetGroup:TargetGroup; AWS's
 * defaults 30 s x 3 when unset).
 *
 * Lost slot: the slot group's healthCheckGracePeriod (AWS default 300 s) +
 * an estimated boot + setup-and-join time:
 *   - boot: BOOT_ESTIMATE_S, from Colin Percival's ec2-boot-bench figures for
 *     Linux AMIs on c5.xlarge (daemonology.net, 2021-08-12: RunInstances 1.5 s
 *     + pending to running 4.9 s + running to port 22 closed 17.2 s + closed
 *     to open 5.6 s, about 29 s); not measured here.
 *   - setup + join: JOIN_ESTIMATE_S, the program's own allowance for a
 *     node's first boot (components/nodepools/capacity.ts
 *     HEALTH_CHECK_GRACE_SECONDS: install the pinned packages, fetch the join
 *     material, kubeadm join); kubeadm's own phase timeouts (4-5 min) bound it
 *     from above. Not measured on AWS.
 * The grace period itself exists to cover boot and join, so the sum is a
 * conservative budget, not an expected time.
 */
export const BOOT_ESTIMATE_S = 30;
export const JOIN_ESTIMATE_S = 300;
export const ESTIMATE_SOURCE = `boot ~${BOOT_ESTIMATE_S} s (ec2-boot-bench, daemonology.net 2021-08-12, Linux on c5.xlarge, not measured here) + setup and join ${JOIN_ESTIMATE_S} s (the program's node first-boot allowance, components/nodepools/capacity.ts; not measured on AWS)`;

interface Resource {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
}

export interface TargetGroupBudget {
    readonly targetGroup: string;
    readonly port: number | null;
    readonly protocol: string | null;
    readonly interval: number;
    readonly unhealthyThreshold: number;
    readonly timeout: number | null;
    /** interval x unhealthyThreshold, seconds. */
    readonly detectSeconds: number;
    readonly defaulted: boolean;
}

export interface SlotBudget {
    readonly group: string;
    readonly role: string;
    readonly healthCheckType: string;
    readonly gracePeriod: number;
    readonly defaulted: boolean;
    /** gracePeriod + BOOT_ESTIMATE_S + JOIN_ESTIMATE_S. */
    readonly replaceSeconds: number;
}

export interface Budgets {
    readonly apiTargets: TargetGroupBudget[];
    readonly slots: SlotBudget[];
}

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : undefined);

function tagKeys(r: Resource): string[] {
    const t = r.inputs.tags;
    if (Array.isArray(t)) return t.map((e) => String((e as { key?: unknown }).key));
    return t && typeof t === "object" ? Object.keys(t) : [];
}

export function detectionBudgets(plan: { resources: readonly Resource[] }): Budgets {
    const apiTargets: TargetGroupBudget[] = [];
    for (const r of plan.resources.filter((x) => x.type === "aws:lb/targetGroup:TargetGroup")) {
        const hc = (r.inputs.healthCheck ?? {}) as Record<string, unknown>;
        const interval = num(hc.interval);
        const threshold = num(hc.unhealthyThreshold);
        apiTargets.push({
            targetGroup: r.name,
            port: num(r.inputs.port) ?? null,
            protocol: typeof hc.protocol === "string" ? hc.protocol : null,
            interval: interval ?? 30,
            unhealthyThreshold: threshold ?? 3,
            timeout: num(hc.timeout) ?? null,
            detectSeconds: (interval ?? 30) * (threshold ?? 3),
            defaulted: interval === undefined || threshold === undefined,
        });
    }
    const slots: SlotBudget[] = [];
    for (const r of plan.resources.filter((x) => x.type === "aws:autoscaling/group:Group")) {
        const keys = tagKeys(r);
        const role = keys.includes("k8s.io/role/control-plane") ? "control-plane" : keys.includes("k8s.io/role/etcd") ? "etcd" : undefined;
        if (!role) continue;
        const grace = num(r.inputs.healthCheckGracePeriod);
        slots.push({
            group: r.name,
            role,
            healthCheckType: typeof r.inputs.healthCheckType === "string" ? r.inputs.healthCheckType : "EC2",
            gracePeriod: grace ?? 300,
            defaulted: grace === undefined,
            replaceSeconds: (grace ?? 300) + BOOT_ESTIMATE_S + JOIN_ESTIMATE_S,
        });
    }
    return { apiTargets, slots };
}
