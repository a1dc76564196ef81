/**
 * The executor (tools/roll/execute.ts) against an in-memory world (rung 1):
 * the order of its calls, stopping at the first failure with the other slots
 * untouched, and a re-run resuming from the live state. The same scenario runs
 * against moto in test/real/roll.spec.ts.
 */
import * as assert from "assert";
import { executePlan } from "../../tools/roll/execute";
import { planRoll } from "../../tools/roll/plan";
import type { AutoScalingPort, Clock, HealthGate, KubePort, PodRef, RefreshPreferences } from "../../tools/roll/ports";
import type { LiveCluster, LiveGroup, LiveNode, Rollout } from "../../tools/roll/state";

const V_OLD = "v1.35.9";
const V_NEW = "v1.36.4";

function rollout(): Rollout {
    const slot = (name: string) => ({ role: "control-plane" as const, name, groupName: `asg-${name}`, launchTemplateId: `lt-${name}`, launchTemplateVersion: "2", templateFingerprint: "f" });
    return {
        kubernetesVersion: "1.36.4",
        groups: [slot("control-plane-a"), slot("control-plane-b"), slot("control-plane-c"), { role: "pool", name: "general", groupName: "asg-general", launchTemplateId: "lt-general", launchTemplateVersion: "2", templateFingerprint: "f", minHealthyPercentage: 75 }],
    };
}

/** A cluster whose groups run version 1; replacements come up on the group's version 2 and, unless faulted, their node turns Ready. */
class World implements AutoScalingPort, KubePort {
    readonly log: string[] = [];
    groups = new Map<string, LiveGroup>();
    nodes_: LiveNode[] = [];
    kubeadmVersion = V_OLD;
    proxyImage = `registry.k8s.io/kube-proxy:${V_OLD}`;
    /** Undefined: no CoreDNS Deployment. */
    coreDnsImage: string | undefined;
    missingRbac: string[] = [];
    pods = new Map<string, (PodRef & { pdbBlocks?: number })[]>();
    neverReady = new Set<string>();
    refreshes = new Map<string, { group: string; prefs: RefreshPreferences; status: string }>();
    private n = 0;
    constructor(r: Rollout) {
        for (const g of r.groups) {
            const count = g.role === "pool" ? 2 : 1;
            const instances = Array.from({ length: count }, () => this.launch(g.groupName, "1"));
            this.groups.set(g.groupName, { groupName: g.groupName, desiredCapacity: count, instances });
        }
    }
    private launch(group: string, version: string) {
        const instanceId = `i-${(++this.n).toString(16).padStart(17, "0")}`;
        if (!this.neverReady.has(group)) this.nodes_.push({ name: `node-${instanceId}`, instanceId, kubeletVersion: version === "1" ? V_OLD : V_NEW, ready: true });
        this.pods.set(`node-${instanceId}`, [{ namespace: "default", name: `web-${instanceId}`, skip: false, pdbBlocks: 1 }, { namespace: "kube-system", name: `calico-${instanceId}`, skip: true }]);
        return { instanceId, lifecycleState: "InService", healthStatus: "Healthy", launchTemplateVersion: version };
    }
    async describeGroups(names: readonly string[]) { return names.map((n) => this.groups.get(n)!).filter(Boolean); }
    async terminateInstance(id: string) {
        this.log.push(`terminate ${id}`);
        for (const g of this.groups.values()) {
            if (!g.instances.some((i) => i.instanceId === id)) continue;
            this.nodes_ = this.nodes_.filter((n) => n.instanceId !== id);
            this.groups.set(g.groupName, { ...g, instances: [...g.instances.filter((i) => i.instanceId !== id), this.launch(g.groupName, "2")] });
        }
    }
    async startInstanceRefresh(group: string, prefs: RefreshPreferences) {
        this.log.push(`refresh ${group} min ${prefs.minHealthyPercentage} max ${prefs.maxHealthyPercentage} skipMatching ${prefs.skipMatching}`);
        const id = `r-${group}`;
        this.refreshes.set(id, { group, prefs, status: "InProgress" });
        return id;
    }
    /** One instance replaced per poll, launched on version 2 (its node registers unless the group is faulted), until none is left. */
    async describeInstanceRefresh(_g: string, id: string) {
        const r = this.refreshes.get(id)!;
        if (r.status !== "InProgress") return { status: r.status };
        const g = this.groups.get(r.group)!;
        const old = g.instances.find((i) => i.launchTemplateVersion !== "2");
        if (!old) return { status: (r.status = "Successful") };
        this.log.push(`refresh replaces ${old.instanceId}`);
        this.nodes_ = this.nodes_.filter((n) => n.instanceId !== old.instanceId);
        this.groups.set(r.group, { ...g, instances: [...g.instances.filter((i) => i !== old), this.launch(r.group, "2")] });
        return { status: "InProgress" };
    }
    async cancelInstanceRefresh(group: string) {
        this.log.push(`cancel refresh ${group}`);
        for (const r of this.refreshes.values()) if (r.group === group) r.status = "Cancelled";
    }
    async activeInstanceRefresh() { return undefined; }
    async cluster(): Promise<LiveCluster> {
        const cp = [...this.groups.values()].filter((g) => g.groupName !== "asg-general").flatMap((g) => g.instances);
        const api = cp.every((i) => i.launchTemplateVersion === "2") ? V_NEW : V_OLD;
        return { apiServerVersion: api, kubeadmKubernetesVersion: this.kubeadmVersion, kubeProxyImage: this.proxyImage, coreDnsImage: this.coreDnsImage, missingKubeadmRbac: [...this.missingRbac], kubeletConfigPresent: true, nodes: this.nodes_ };
    }
    async nodes() { return this.nodes_; }
    async cordon(n: string) { this.log.push(`cordon ${n}`); }
    async podsOn(n: string) { return this.pods.get(n) ?? []; }
    async evict(ns: string, name: string) {
        for (const [node, list] of this.pods) {
            const p = list.find((x) => x.namespace === ns && x.name === name);
            if (!p) continue;
            if (p.pdbBlocks && p.pdbBlocks-- > 0) return "blocked" as const;
            this.log.push(`evict ${ns}/${name}`);
            this.pods.set(node, list.filter((x) => x !== p));
            return "evicted" as const;
        }
        return "gone" as const;
    }
    async etcdMemberHealthy() { return true; }
    async setKubeadmKubernetesVersion(v: string) { this.log.push(`kubeadm-config ${v}`); this.kubeadmVersion = v; }
    async setKubeProxyImage(i: string) { this.log.push(`kube-proxy ${i}`); this.proxyImage = i; }
    async createKubeadmRbac(keys: readonly string[]) { this.log.push(`create ${keys.join(", ")}`); this.missingRbac = this.missingRbac.filter((k) => !keys.includes(k)); }
    async setCoreDnsImage(i: string) { this.log.push(`coredns ${i}`); this.coreDnsImage = i; }
}

const instantClock = (): Clock => { let t = 0; return { now: () => t, sleep: async (ms) => void (t += ms) }; };
const healthy: HealthGate = async () => ({ healthy: true, results: [] });

async function live(world: World) {
    const groups = Object.fromEntries([...world.groups.entries()]);
    return { groups, cluster: await world.cluster() };
}

describe("roll executor (in-memory world)", () => {
    it("updates kubeadm-config, replaces each slot after cordon and drain (retrying a PDB-blocked eviction), then kube-proxy, then refreshes the pool", async () => {
        const r = rollout();
        const world = new World(r);
        const plan = planRoll(r, await live(world));
        const lines: string[] = [];
        const result = await executePlan(plan, { autoscaling: world, kube: world, healthGate: healthy, clock: instantClock(), progress: (l) => lines.push(l) });
        assert.strictEqual(result.failed, undefined, lines.join("\n"));
        const slotOps = (n: string) => [`cordon node-${n}`, `evict default/web-${n}`, `terminate ${n}`];
        assert.deepStrictEqual(world.log, [
            `kubeadm-config ${V_NEW}`,
            ...slotOps("i-00000000000000001"), ...slotOps("i-00000000000000002"), ...slotOps("i-00000000000000003"),
            `kube-proxy registry.k8s.io/kube-proxy:${V_NEW}`,
            "refresh asg-general min 75 max 125 skipMatching true",
            "refresh replaces i-00000000000000004",
            "refresh replaces i-00000000000000005",
        ]);
        assert.ok(!world.log.some((l) => l.includes("calico")), "DaemonSet pods are not evicted");
        assert.deepStrictEqual(planRoll(r, await live(world)).steps, [], "nothing left to roll");
    });

    it("creates kubeadm's missing RBAC before kubeadm-config and the slots, and moves CoreDNS after the last slot, before kube-proxy", async () => {
        const r = rollout();
        const world = new World(r);
        world.coreDnsImage = "registry.k8s.io/coredns/coredns:v1.13.1";
        world.missingRbac = ["ClusterRoleBinding kubeadm:apiserver-kubelet-client"];
        const result = await executePlan(planRoll(r, await live(world)), { autoscaling: world, kube: world, healthGate: healthy, clock: instantClock(), progress: () => undefined });
        assert.strictEqual(result.failed, undefined);
        assert.deepStrictEqual(result.done, ["cluster-wide configuration", "control-plane slot control-plane-a", "control-plane slot control-plane-b", "control-plane slot control-plane-c", "CoreDNS", "kube-proxy", "pool general"]);
        const ops = world.log.filter((l) => !/^(cordon|evict|refresh)/.test(l));
        assert.deepStrictEqual(ops, [
            "create ClusterRoleBinding kubeadm:apiserver-kubelet-client",
            `kubeadm-config ${V_NEW}`,
            "terminate i-00000000000000001", "terminate i-00000000000000002", "terminate i-00000000000000003",
            "coredns registry.k8s.io/coredns/coredns:v1.14.2",
            `kube-proxy registry.k8s.io/kube-proxy:${V_NEW}`,
        ]);
        assert.deepStrictEqual(planRoll(r, await live(world)).steps, [], "nothing left to roll");
    });

    it("stops at the first slot whose new node never becomes Ready, leaves the other slots untouched, and a re-run resumes", async () => {
        const r = rollout();
        const world = new World(r);
        world.neverReady.add("asg-control-plane-b");
        const lines: string[] = [];
        const result = await executePlan(planRoll(r, await live(world)), { autoscaling: world, kube: world, healthGate: healthy, clock: instantClock(), timeouts: { replaceMs: 60_000, pollMs: 1000 }, progress: (l) => lines.push(l) });
        assert.deepStrictEqual(result.done, ["cluster-wide configuration", "control-plane slot control-plane-a"]);
        assert.strictEqual(result.failed?.step, "control-plane slot control-plane-b");
        assert.match(result.failed!.message, /the node of i-0+7 did not become Ready \(gave up after 60 s\)/);
        assert.deepStrictEqual(result.notStarted, ["control-plane slot control-plane-c", "kube-proxy", "pool general"]);
        assert.ok(!world.log.some((l) => l.includes("i-00000000000000003")), "control-plane-c untouched");
        assert.ok(!world.log.some((l) => l.startsWith("refresh")), "pool untouched");

        // The operator fixes what kept the node from registering; the node appears; re-run.
        world.neverReady.clear();
        world.nodes_.push({ name: "node-i-00000000000000007", instanceId: "i-00000000000000007", kubeletVersion: V_NEW, ready: true });
        world.log.length = 0;
        const again = planRoll(r, await live(world));
        assert.deepStrictEqual(again.upToDate, ["control-plane-a", "control-plane-b"], "replaced slots are skipped");
        const second = await executePlan(again, { autoscaling: world, kube: world, healthGate: healthy, clock: instantClock(), progress: () => undefined });
        assert.strictEqual(second.failed, undefined);
        assert.deepStrictEqual(world.log.filter((l) => l.startsWith("terminate")), ["terminate i-00000000000000003"]);
    });

    it("does not take a slot down while the health gate fails, and says which check failed", async () => {
        const r = rollout();
        const world = new World(r);
        const gate: HealthGate = async () => ({ healthy: false, results: [{ check: "etcd-quorum", where: "control-plane-c", ok: false, message: "member unhealthy" }] });
        const result = await executePlan(planRoll(r, await live(world)), { autoscaling: world, kube: world, healthGate: gate, clock: instantClock(), timeouts: { healthyMs: 30_000, pollMs: 1000 }, progress: () => undefined });
        assert.strictEqual(result.failed?.step, "control-plane slot control-plane-a");
        assert.match(result.failed!.message, /before replacing: the health gate did not pass within 30 s \(etcd-quorum on control-plane-c: member unhealthy\)/);
        assert.ok(!world.log.some((l) => l.startsWith("terminate") || l.startsWith("cordon")));
    });

    it("cancels a pool's refresh when a new node does not become Ready, instead of rolling the whole pool", async () => {
        const r = rollout();
        const world = new World(r);
        // The control plane is done: only the pool rolls.
        for (const g of r.groups.filter((x) => x.role !== "pool")) world.groups.set(g.groupName, { ...world.groups.get(g.groupName)!, instances: world.groups.get(g.groupName)!.instances.map((i) => ({ ...i, launchTemplateVersion: "2" })) });
        world.kubeadmVersion = V_NEW;
        world.proxyImage = `registry.k8s.io/kube-proxy:${V_NEW}`;
        world.neverReady.add("asg-general");
        const plan = planRoll(r, { ...(await live(world)), cluster: { ...(await world.cluster()), apiServerVersion: V_NEW } }, { kind: "pools" });
        const result = await executePlan(plan, { autoscaling: world, kube: world, healthGate: healthy, clock: instantClock(), timeouts: { nodeReadyMs: 60_000, pollMs: 10_000 }, progress: () => undefined });
        assert.strictEqual(result.failed?.step, "pool general");
        assert.match(result.failed!.message, /the node of i-0+6 \(launch template version 2\) is not Ready after 60 s in service: instance refresh r-asg-general cancelled/);
        assert.ok(world.log.includes("cancel refresh asg-general"));
    });

    it("stops when a PodDisruptionBudget never allows the drain, before terminating anything", async () => {
        const r = rollout();
        const world = new World(r);
        for (const list of world.pods.values()) for (const p of list) p.pdbBlocks = 1e9;
        const result = await executePlan(planRoll(r, await live(world)), { autoscaling: world, kube: world, healthGate: healthy, clock: instantClock(), timeouts: { drainMs: 20_000, pollMs: 1000 }, progress: () => undefined });
        assert.match(result.failed!.message, /drain of node-i-0+1 did not finish within 20 s: a PodDisruptionBudget keeps default\/web-i-0+1/);
        assert.ok(!world.log.some((l) => l.startsWith("terminate")));
    });
});
