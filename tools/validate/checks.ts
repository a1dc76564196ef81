/**
 * The checks of `npm run validate`, as pure functions from what the API (and
 * AWS) reported to rows of results. Each row says what was checked, where,
 * and in plain words what was found.
 */
import { POOL_LABEL } from "../../lib/naming";
import type { ClusterGroup } from "./autoScaling";
import type { ExpectedCluster, ExpectedSlot } from "./expected";
import type { ExpectedWorkload } from "./workloads";

export interface CheckResult {
    readonly check: string;
    readonly where: string;
    readonly ok: boolean;
    readonly message: string;
}

/** What was read from the cluster, the raw API objects. */
export interface ClusterSnapshot {
    /** GET /readyz?verbose: HTTP status and body. */
    readonly readyz: { readonly status: number; readonly body: string };
    /** Each of these is undefined when the API failed to answer for it (then readErrors says so and its checks are left out). */
    readonly nodes?: readonly any[];
    /** Pods of the system namespaces. */
    readonly pods?: readonly any[];
    /** `<namespace>/<name>` of each expected workload -> the object, undefined when absent. */
    readonly workloads?: ReadonlyMap<string, any>;
    readonly csrs?: readonly any[];
    /** Lease name in kube-system -> the Lease, undefined when absent. */
    readonly leases?: ReadonlyMap<string, any>;
    /** The cluster's Auto Scaling groups, when AWS was asked. */
    readonly groups?: readonly ClusterGroup[];
    /** Reads the API failed. */
    readonly readErrors?: readonly CheckResult[];
}

export interface CheckOptions {
    readonly now: Date;
    /** A kubelet serving CSR pending longer than this is a failure. */
    readonly csrMaxAgeMs: number;
}

/** kubeadm's mark-control-plane phase labels control-plane nodes so (`kubeadm init --dry-run` of the pinned 1.35.8 prints it). */
export const CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";
/** The cloud provider taint a kubelet with --cloud-provider=external registers with (k8s.io/cloud-provider api well_known_taints.go). */
export const UNINITIALIZED_TAINT = "node.cloudprovider.kubernetes.io/uninitialized";
export const KUBELET_SERVING_SIGNER = "kubernetes.io/kubelet-serving";
const ZONE_LABEL = "topology.kubernetes.io/zone";
/** Leader-election leases of the control plane's controllers (kube-system). */
export const LEADER_LEASES = ["kube-controller-manager", "kube-scheduler"] as const;
/** Container states that never fix themselves without a change. */
const BAD_WAITING_REASONS = new Set(["CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "CreateContainerError", "InvalidImageName", "RunContainerError"]);

const row = (check: string, where: string, ok: boolean, message: string): CheckResult => ({ check, where, ok, message });
const nodeName = (n: any): string => String(n?.metadata?.name ?? "?");
const internalIp = (n: any): string | undefined => (n?.status?.addresses ?? []).find((a: any) => a.type === "InternalIP")?.address;
const readyCondition = (n: any) => (n?.status?.conditions ?? []).find((c: any) => c.type === "Ready");
const isReady = (n: any) => readyCondition(n)?.status === "True";
const instanceIdOf = (n: any): string | undefined => /\/(i-[0-9a-f]+)$/.exec(String(n?.spec?.providerID ?? ""))?.[1];

function notReadyWhy(n: any): string {
    const c = readyCondition(n);
    if (!c) return "no Ready condition yet (the kubelet has not reported)";
    return `Ready=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ""})` : ""}`;
}

export function formatAge(ms: number): string {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}`;
    return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/** /readyz?verbose: one row per failing check, etcd's checks always listed. */
export function readyzChecks(readyz: ClusterSnapshot["readyz"]): CheckResult[] {
    const lines = readyz.body.split("\n").map((l) => l.trim());
    const checks = lines
        .map((l) => /^\[([+-])\]([^ ]+) (.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ ok: m[1] === "+", name: m[2], text: m[3] }));
    const out: CheckResult[] = [];
    // kube-apiserver's etcd checks: `etcd` (the storage backend answers) and `etcd-readiness`, as the
    // pinned kube-apiserver 1.35.8 lists them in /readyz?verbose (test/real/validate.spec.ts runs it;
    // with etcd stopped both answer `[-]etcd failed: reason withheld`).
    const etcd = checks.filter((c) => c.name === "etcd" || c.name.startsWith("etcd-"));
    if (etcd.length === 0) out.push(row("etcd", "/readyz", false, "kube-apiserver's readiness lists no etcd check"));
    for (const c of etcd) out.push(row("etcd", `/readyz ${c.name}`, c.ok, c.ok ? "the apiserver reaches etcd" : c.text));
    const failed = checks.filter((c) => !c.ok && !etcd.includes(c));
    for (const c of failed) out.push(row("apiserver", `/readyz ${c.name}`, false, c.text));
    if (readyz.status !== 200 && failed.length === 0 && etcd.every((c) => c.ok)) out.push(row("apiserver", "/readyz", false, `HTTP ${readyz.status}: ${lines.find((l) => l) ?? "no body"}`));
    if (readyz.status === 200 && failed.length === 0) out.push(row("apiserver", "/readyz", true, `ready (${checks.length} checks pass)`));
    return out;
}

/** Control-plane nodes of each slot: matched by the slot's fixed IP (kubelet --node-ip), else by zone. */
export function slotChecks(expected: ExpectedCluster, nodes: readonly any[]): CheckResult[] {
    const cp = nodes.filter((n) => n?.metadata?.labels?.[CONTROL_PLANE_LABEL] !== undefined);
    const matchedBy = (s: ExpectedSlot) => cp.filter((n) => (s.ip ? internalIp(n) === s.ip : s.zone ? n.metadata.labels?.[ZONE_LABEL] === s.zone : false));
    const claimed = new Set<any>();
    const out: CheckResult[] = [];
    const unknownSlots: ExpectedSlot[] = [];
    for (const s of expected.controlPlaneSlots) {
        if (!s.ip && !s.zone) {
            unknownSlots.push(s);
            continue;
        }
        const mine = matchedBy(s);
        mine.forEach((n) => claimed.add(n));
        out.push(slotRow(s, mine));
    }
    // Slots whose IP and zone are unknown take the remaining control-plane nodes in name order.
    const rest = cp.filter((n) => !claimed.has(n)).sort((a, b) => nodeName(a).localeCompare(nodeName(b)));
    unknownSlots.forEach((s, i) => {
        const n = rest[i];
        if (n) claimed.add(n);
        out.push(slotRow(s, n ? [n] : []));
    });
    for (const n of cp.filter((x) => !claimed.has(x))) {
        out.push(row("control plane", nodeName(n), false, `control-plane node of no slot of the stack (InternalIP ${internalIp(n) ?? "none"}, zone ${n.metadata.labels?.[ZONE_LABEL] ?? "unknown"})`));
    }
    return out;
}

function slotRow(s: ExpectedSlot, mine: readonly any[]): CheckResult {
    const where = s.zone ? `${s.name} (${s.zone})` : s.name;
    const ready = mine.filter(isReady);
    if (ready.length > 0) return row("control plane", where, true, `node ${ready.map(nodeName).join(", ")} Ready`);
    if (mine.length > 0) return row("control plane", where, false, `node ${mine.map(nodeName).join(", ")} registered but not Ready: ${notReadyWhy(mine[0])}`);
    return row("control plane", where, false, `no node registered${s.ip ? ` with InternalIP ${s.ip}` : s.zone ? ` in ${s.zone}` : ""}`);
}

/**
 * Ready nodes of each pool against the count the stack implies: desired when nothing
 * resizes the pool; at least min when cluster-autoscaler owns its size. With AWS, the
 * group's InService instances are checked one by one (groupChecks).
 */
export function poolChecks(expected: ExpectedCluster, nodes: readonly any[], autoscaled: boolean): CheckResult[] {
    const out: CheckResult[] = [];
    for (const p of expected.pools) {
        const members = nodes.filter((n) => n?.metadata?.labels?.[POOL_LABEL] === p.name);
        const ready = members.filter(isReady).length;
        const need = autoscaled ? p.min : p.desired;
        const sizes = autoscaled ? `min ${p.min}, desired at creation ${p.desired}; cluster-autoscaler sets the size` : `desired ${p.desired}`;
        const ok = ready >= need;
        const msg = ok
            ? `${ready} node(s) Ready (${sizes})`
            : members.length === 0
              ? `no node registered; expected at least ${need} (${sizes})`
              : `${ready} of ${members.length} node(s) Ready; expected at least ${need} (${sizes})`;
        out.push(row("node pool", p.name, ok, msg));
    }
    const known = new Set(expected.pools.map((p) => p.name));
    for (const n of nodes) {
        const pool = n?.metadata?.labels?.[POOL_LABEL];
        if (pool !== undefined && !known.has(pool)) out.push(row("node pool", String(pool), false, `node ${nodeName(n)} is in pool ${JSON.stringify(pool)}, which the stack does not define`));
        if (pool === undefined && n?.metadata?.labels?.[CONTROL_PLANE_LABEL] === undefined) {
            out.push(row("node pool", nodeName(n), false, `node has neither the ${POOL_LABEL} label nor the control-plane role: not a node of this stack's pools or slots`));
        }
    }
    return out;
}

/** Every node: Ready, and initialised by the cloud controller (no uninitialized taint). */
export function nodeChecks(nodes: readonly any[]): CheckResult[] {
    const out: CheckResult[] = [];
    for (const n of [...nodes].sort((a, b) => nodeName(a).localeCompare(nodeName(b)))) {
        out.push(row("node ready", nodeName(n), isReady(n), isReady(n) ? "Ready" : `not Ready: ${notReadyWhy(n)}`));
    }
    const uninitialized = nodes.filter((n) => (n?.spec?.taints ?? []).some((t: any) => t.key === UNINITIALIZED_TAINT));
    for (const n of uninitialized) out.push(row("node initialized", nodeName(n), false, `has the ${UNINITIALIZED_TAINT} taint: the AWS cloud controller has not initialised it`));
    if (uninitialized.length === 0) out.push(row("node initialized", "all nodes", true, `no node has the ${UNINITIALIZED_TAINT} taint`));
    return out;
}

/** Kubelet serving CSRs still waiting for approval after maxAge: the approver is not doing its job. */
export function csrChecks(csrs: readonly any[], opts: CheckOptions): CheckResult[] {
    const pending = csrs.filter((c) => c?.spec?.signerName === KUBELET_SERVING_SIGNER && !(c?.status?.conditions ?? []).some((x: any) => ["Approved", "Denied", "Failed"].includes(x.type)));
    const old = pending.filter((c) => opts.now.getTime() - Date.parse(c.metadata.creationTimestamp) > opts.csrMaxAgeMs);
    const out = old.map((c) =>
        row(
            "kubelet serving CSR",
            String(c.metadata.name),
            false,
            `pending for ${formatAge(opts.now.getTime() - Date.parse(c.metadata.creationTimestamp))} (requested by ${c.spec.username ?? "unknown"}); the approver has not approved it`,
        ),
    );
    if (out.length === 0) out.push(row("kubelet serving CSR", "all", true, `none pending longer than ${formatAge(opts.csrMaxAgeMs)}${pending.length > 0 ? ` (${pending.length} younger)` : ""}`));
    return out;
}

/** A DaemonSet or Deployment is ready when every wanted replica is updated and available, for its current generation. */
export function workloadRow(w: ExpectedWorkload, obj: any): CheckResult {
    const where = `${w.namespace}/${w.kind === "DaemonSet" ? "daemonset" : "deployment"}/${w.name}`;
    const check = w.component;
    if (!obj) return row(check, where, false, "not found");
    const st = obj.status ?? {};
    const stale = (st.observedGeneration ?? 0) < (obj.metadata?.generation ?? 0) ? "; the controller has not yet seen the latest spec" : "";
    if (w.kind === "DaemonSet") {
        const want = st.desiredNumberScheduled ?? 0;
        const available = st.numberAvailable ?? 0;
        const updated = st.updatedNumberScheduled ?? 0;
        const ok = !stale && available >= want && updated >= want && (st.numberMisscheduled ?? 0) === 0;
        return row(check, where, ok, `${available}/${want} available, ${updated}/${want} updated${st.numberUnavailable ? `, ${st.numberUnavailable} unavailable` : ""}${stale}`);
    }
    const want = obj.spec?.replicas ?? 1;
    const available = st.availableReplicas ?? 0;
    const updated = st.updatedReplicas ?? 0;
    const ok = !stale && available >= want && updated >= want;
    return row(check, where, ok, `${available}/${want} available, ${updated}/${want} updated${stale}`);
}

/** System pods that are stuck: a container crash-looping or unable to start. */
export function podChecks(pods: readonly any[], namespaces: readonly string[]): CheckResult[] {
    const out: CheckResult[] = [];
    for (const p of pods) {
        if (p?.status?.phase === "Succeeded") continue;
        const statuses = [...(p?.status?.initContainerStatuses ?? []), ...(p?.status?.containerStatuses ?? [])];
        const bad = statuses.filter((c: any) => BAD_WAITING_REASONS.has(c?.state?.waiting?.reason));
        const where = `${p.metadata.namespace}/pod/${p.metadata.name}`;
        if (bad.length > 0) {
            out.push(row("system pod", where, false, bad.map((c: any) => `container ${c.name}: ${c.state.waiting.reason} (${c.restartCount ?? 0} restarts)`).join("; ")));
        } else if (p?.status?.phase === "Failed") {
            out.push(row("system pod", where, false, `Failed${p.status.reason ? `: ${p.status.reason}` : ""}`));
        }
    }
    if (out.length === 0) out.push(row("system pod", namespaces.join(", "), true, `no crash-looping or failed pod among ${pods.length}`));
    return out;
}

/**
 * The control plane's static pods on each control-plane node: kubeadm's manifests name the pods
 * kube-apiserver, kube-controller-manager, kube-scheduler and etcd (stacked), and the kubelet names
 * a static pod's mirror `<pod name>-<node name>` (https://kubernetes.io/docs/tasks/configure-pod-container/static-pod/,
 * "the node hostname appended with a leading hyphen").
 */
export function staticPodChecks(expected: ExpectedCluster, nodes: readonly any[], pods: readonly any[]): CheckResult[] {
    const components = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", ...(expected.etcdTopology === "stacked" ? ["etcd"] : [])];
    const byName = new Map(pods.filter((p) => p?.metadata?.namespace === "kube-system").map((p) => [p.metadata.name, p]));
    const out: CheckResult[] = [];
    for (const n of nodes.filter((x) => x?.metadata?.labels?.[CONTROL_PLANE_LABEL] !== undefined && isReady(x))) {
        for (const c of components) {
            const name = `${c}-${nodeName(n)}`;
            const p = byName.get(name);
            const ready = (p?.status?.conditions ?? []).find((x: any) => x.type === "Ready")?.status === "True";
            out.push(
                row(
                    "control-plane pod",
                    `kube-system/pod/${name}`,
                    ready,
                    !p ? "not found (the kubelet has not started the static pod)" : ready ? "Ready" : `not Ready (phase ${p.status?.phase ?? "unknown"})`,
                ),
            );
        }
    }
    return out;
}

/** Leader leases: a controller-manager and a scheduler hold and renew them. */
export function leaseChecks(leases: ReadonlyMap<string, any>, now: Date): CheckResult[] {
    return LEADER_LEASES.map((name) => {
        const l = leases.get(name);
        const where = `kube-system/lease/${name}`;
        if (!l?.spec?.holderIdentity) return row("leader election", where, false, "no holder: no instance of it is running");
        const renewed = Date.parse(l.spec.renewTime ?? l.spec.acquireTime ?? "");
        const duration = (l.spec.leaseDurationSeconds ?? 15) * 1000;
        const age = now.getTime() - renewed;
        // Twice the lease duration: a leader renews every few seconds; a missed renewal or two is not an outage.
        const ok = Number.isFinite(renewed) && age <= 2 * duration;
        return row("leader election", where, ok, ok ? `held by ${l.spec.holderIdentity}` : `held by ${l.spec.holderIdentity} but not renewed for ${formatAge(age)}`);
    });
}

/** With AWS: each group's InService count against its desired capacity, and each InService instance's node Ready. */
export function groupChecks(expected: ExpectedCluster, groups: readonly ClusterGroup[], nodes: readonly any[]): CheckResult[] {
    const byInstance = new Map(nodes.map((n) => [instanceIdOf(n), n]));
    const out: CheckResult[] = [];
    for (const g of groups) {
        const where = g.serves ? `${g.serves.kind} ${g.serves.name} (${g.name})` : g.name;
        const inService = g.instances.filter((i) => i.lifecycleState === "InService");
        const problems: string[] = [];
        if (inService.length < g.desired) problems.push(`${inService.length} of ${g.desired} desired instances InService`);
        for (const i of inService) {
            const n = byInstance.get(i.id);
            if (!n) problems.push(`instance ${i.id} has no node`);
            else if (!isReady(n)) problems.push(`instance ${i.id} (node ${nodeName(n)}) not Ready`);
        }
        out.push(row("auto scaling group", where, problems.length === 0, problems.length === 0 ? `${inService.length} instance(s) InService, each a Ready node` : problems.join("; ")));
    }
    const has = (kind: "pool" | "slot", name: string) => groups.some((g) => g.serves?.kind === kind && g.serves.name === name);
    for (const p of expected.pools) if (!has("pool", p.name)) out.push(row("auto scaling group", `pool ${p.name}`, false, `no group tagged ${expected.clusterTag} and k8s.io/pool=${p.name}`));
    for (const s of expected.controlPlaneSlots)
        if ((s.ip || s.zone) && !has("slot", s.name)) out.push(row("auto scaling group", `slot ${s.name}`, false, `no group tagged ${expected.clusterTag} and k8s.io/slot=${s.name}`));
    return out;
}

/** Every check over one snapshot, in the order the table shows them. */
export function allChecks(expected: ExpectedCluster, snap: ClusterSnapshot, opts: CheckOptions): CheckResult[] {
    const autoscaled = expected.workloads.some((w) => w.name === "cluster-autoscaler");
    const { nodes, pods, workloads, csrs, leases } = snap;
    return [
        ...readyzChecks(snap.readyz),
        ...(snap.readErrors ?? []),
        ...(leases ? leaseChecks(leases, opts.now) : []),
        ...(nodes ? slotChecks(expected, nodes) : []),
        ...(nodes && pods ? staticPodChecks(expected, nodes, pods) : []),
        ...(nodes ? poolChecks(expected, nodes, autoscaled) : []),
        ...(nodes && snap.groups ? groupChecks(expected, snap.groups, nodes) : []),
        ...(nodes ? nodeChecks(nodes) : []),
        ...(workloads ? expected.workloads.map((w) => workloadRow(w, workloads.get(`${w.namespace}/${w.name}`))) : []),
        ...(pods ? podChecks(pods, expected.systemNamespaces) : []),
        ...(csrs ? csrChecks(csrs, opts) : []),
    ];
}
