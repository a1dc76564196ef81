/**
 * The executor (tools/roll/execute.ts) against an in-memory world (rung 1):
 * the order of its calls, stopping at the first failure with the other slots
 * untouched, and a re-run resuming from the live state. The same scenario runs
 * against moto in test/real/roll.spec.ts.
 */
import * as assert from "assert";
import { DEFAULT_TIMEOUTS, DRAIN_HOOK_NAME, drainHookSpec, executePlan, Timeouts } from "../../../tools/roll/execute";
import { readLiveGroups } from "../../../tools/roll/index";
import { formatPlan, planRoll, RollPlan } from "../../../tools/roll/plan";
import type { AutoScalingPort, Clock, HealthGate, KubePort, LifecycleActionResult, LifecycleHook, PodRef, RefreshPreferences, TerminationHookSpec } from "../../../tools/roll/ports";
import type { LiveCluster, LiveGroup, LiveNode, Rollout } from "../../../tools/roll/state";

const V_OLD = "v1.35.9";
const V_NEW = "v1.36.4";

function rollout(): Rollout {
    const slot = (name: string) => ({ role: "control-plane" as const, name, groupName: `asg-${name}`, launchTemplateId: `lt-${name}`, launchTemplateVersion: "2", templateFingerprint: "f" });
    return {
        kubernetesVersion: "1.36.4",
        groups: [
            slot("control-plane-a"),
            slot("control-plane-b"),
            slot("control-plane-c"),
            { role: "pool", name: "general", groupName: "asg-general", launchTemplateId: "lt-general", launchTemplateVersion: "2", templateFingerprint: "f", minHealthyPercentage: 75 },
        ],
    };
}

const instantClock = (): Clock => {
    let t = 0;
    return { now: () => t, sleep: async (ms) => void (t += ms) };
};

/**
 * A cluster whose groups run version 1; replacements come up on the group's version 2 and, unless faulted, their node turns Ready.
 * Auto Scaling as the API documents it: an instance a refresh (or anything else) terminates while a termination hook is on its
 * group waits in Terminating:Wait until CompleteLifecycleAction, DeleteLifecycleHook (CONTINUE) or the heartbeat timeout
 * (DefaultResult); those calls fail with ValidationError for an instance that is not waiting or a hook that is not there.
 * An instance terminated while its node still runs pods other than DaemonSet ones is logged as "killed ...".
 */
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
    hooks = new Map<string, LifecycleHook & { name: string }>();
    /** Instances in Terminating:Wait: their group and when the heartbeat timeout last restarted. */
    held = new Map<string, { group: string; lastBeat: number }>();
    private n = 0;
    constructor(
        readonly rollout: Rollout,
        readonly clock: Clock = instantClock(),
    ) {
        const r = rollout;
        for (const g of r.groups) {
            const count = g.role === "pool" ? 2 : 1;
            const instances = Array.from({ length: count }, () => this.launch(g.groupName, "1"));
            this.groups.set(g.groupName, { groupName: g.groupName, desiredCapacity: count, instances });
        }
    }
    private launch(group: string, version: string) {
        const instanceId = `i-${(++this.n).toString(16).padStart(17, "0")}`;
        if (!this.neverReady.has(group)) this.nodes_.push({ name: `node-${instanceId}`, instanceId, kubeletVersion: version === "1" ? V_OLD : V_NEW, ready: true });
        this.pods.set(`node-${instanceId}`, [
            { namespace: "default", name: `web-${instanceId}`, skip: false, pdbBlocks: 1 },
            { namespace: "kube-system", name: `calico-${instanceId}`, skip: true },
        ]);
        return { instanceId, lifecycleState: "InService", healthStatus: "Healthy", launchTemplateVersion: version };
    }
    /** The instance is gone: its node and pods with it. */
    private terminated(group: string, id: string, why: string) {
        const g = this.groups.get(group)!;
        this.groups.set(group, { ...g, instances: g.instances.filter((i) => i.instanceId !== id) });
        const left = (this.pods.get(`node-${id}`) ?? []).filter((p) => !p.skip);
        if (left.length > 0) this.log.push(`killed ${left.map((p) => `${p.namespace}/${p.name}`).join(",")} on ${id} (${why})`);
        this.nodes_ = this.nodes_.filter((x) => x.instanceId !== id);
        this.pods.delete(`node-${id}`);
        this.held.delete(id);
    }
    /** The heartbeat timeout elapsed: DefaultResult (both results terminate). */
    private expire() {
        for (const [id, h] of this.held) {
            const hook = [...this.hooks.values()].find((x) => x.name.startsWith(`${h.group}/`));
            if (hook && this.clock.now() - h.lastBeat >= hook.heartbeatTimeoutSeconds * 1000) {
                this.log.push(`heartbeat timeout ${id} ${hook.defaultResult}`);
                this.terminated(h.group, id, "heartbeat timeout");
            }
        }
    }
    private hookOf(group: string) {
        return [...this.hooks.values()].find((x) => x.name.startsWith(`${group}/`));
    }
    async describeGroups(names: readonly string[]) {
        this.expire();
        return names.map((n) => this.groups.get(n)!).filter(Boolean);
    }
    async terminateInstance(id: string) {
        this.log.push(`terminate ${id}`);
        for (const g of this.groups.values()) {
            if (!g.instances.some((i) => i.instanceId === id)) continue;
            this.nodes_ = this.nodes_.filter((n) => n.instanceId !== id);
            this.groups.set(g.groupName, { ...g, instances: [...g.instances.filter((i) => i.instanceId !== id), this.launch(g.groupName, "2")] });
        }
    }
    async startInstanceRefresh(group: string, prefs: RefreshPreferences) {
        if ([...this.refreshes.values()].some((r) => r.group === group && r.status === "InProgress")) throw new Error("InstanceRefreshInProgress");
        this.log.push(`refresh ${group} min ${prefs.minHealthyPercentage} max ${prefs.maxHealthyPercentage} skipMatching ${prefs.skipMatching}`);
        const id = `r-${group}`;
        this.refreshes.set(id, { group, prefs, status: "InProgress" });
        return id;
    }
    /**
     * Per poll, while no instance of the group is held: one old instance replaced, the replacement launched first
     * (MaxHealthyPercentage above 100) on version 2 (its node registers unless the group is faulted); the old one waits in
     * Terminating:Wait when a termination hook is on the group, else it is gone at once. Successful when none is left.
     */
    async describeInstanceRefresh(_g: string, id: string) {
        this.expire();
        const r = this.refreshes.get(id)!;
        if (r.status !== "InProgress") return { status: r.status };
        const g = this.groups.get(r.group)!;
        if (g.instances.some((i) => this.held.has(i.instanceId))) return { status: "InProgress" };
        const old = g.instances.find((i) => i.launchTemplateVersion !== "2");
        if (!old) return { status: (r.status = "Successful") };
        const replacement = this.launch(r.group, "2");
        if (this.hookOf(r.group)) {
            this.log.push(`refresh takes ${old.instanceId}`);
            this.groups.set(r.group, { ...g, instances: [...g.instances.map((i) => (i === old ? { ...i, lifecycleState: "Terminating:Wait" } : i)), replacement] });
            this.held.set(old.instanceId, { group: r.group, lastBeat: this.clock.now() });
        } else {
            this.log.push(`refresh replaces ${old.instanceId}`);
            this.groups.set(r.group, { ...g, instances: [...g.instances, replacement] });
            this.terminated(r.group, old.instanceId, "no hook");
        }
        return { status: "InProgress" };
    }
    async cancelInstanceRefresh(group: string) {
        const active = [...this.refreshes.values()].filter((r) => r.group === group && r.status === "InProgress");
        if (active.length === 0) throw new Error("ActiveInstanceRefreshNotFound");
        this.log.push(`cancel refresh ${group}`);
        for (const r of active) r.status = "Cancelled";
    }
    async activeInstanceRefresh(group: string) {
        return [...this.refreshes.entries()].find(([, r]) => r.group === group && r.status === "InProgress")?.[0];
    }
    async describeLifecycleHook(group: string, name: string) {
        return this.hooks.get(`${group}/${name}`);
    }
    async putTerminationLifecycleHook(group: string, name: string, spec: TerminationHookSpec) {
        if (spec.heartbeatTimeoutSeconds < 30 || spec.heartbeatTimeoutSeconds > 7200) throw new Error("ValidationError: HeartbeatTimeout must be 30..7200");
        this.log.push(`put hook ${name} on ${group} heartbeat ${spec.heartbeatTimeoutSeconds} ${spec.defaultResult}`);
        this.hooks.set(`${group}/${name}`, { name: `${group}/${name}`, transition: "autoscaling:EC2_INSTANCE_TERMINATING", ...spec });
    }
    async deleteLifecycleHook(group: string, name: string) {
        if (!this.hooks.delete(`${group}/${name}`)) throw new Error(`ValidationError: No Lifecycle Hook found with name ${name}`);
        this.log.push(`delete hook ${name} on ${group}`);
        // Outstanding actions are completed first: CONTINUE for terminating instances.
        for (const [id, h] of [...this.held]) if (h.group === group) this.terminated(group, id, "hook deleted");
    }
    private heldIn(group: string, name: string, id: string) {
        if (!this.hooks.has(`${group}/${name}`) || this.held.get(id)?.group !== group) throw new Error(`ValidationError: No active Lifecycle Action found with instance ID ${id}`);
    }
    async recordLifecycleActionHeartbeat(group: string, name: string, id: string) {
        this.expire();
        this.heldIn(group, name, id);
        this.log.push(`heartbeat ${id}`);
        this.held.get(id)!.lastBeat = this.clock.now();
    }
    async completeLifecycleAction(group: string, name: string, id: string, result: LifecycleActionResult) {
        this.expire();
        this.heldIn(group, name, id);
        this.log.push(`complete ${id} ${result}`);
        this.terminated(group, id, `completed ${result}`);
    }
    async cluster(): Promise<LiveCluster> {
        const cp = [...this.groups.values()].filter((g) => g.groupName !== "asg-general").flatMap((g) => g.instances);
        const api = cp.every((i) => i.launchTemplateVersion === "2") ? V_NEW : V_OLD;
        return {
            apiServerVersion: api,
            kubeadmKubernetesVersion: this.kubeadmVersion,
            kubeProxyImage: this.proxyImage,
            coreDnsImage: this.coreDnsImage,
            missingKubeadmRbac: [...this.missingRbac],
            kubeletConfigPresent: true,
            nodes: this.nodes_,
        };
    }
    async nodes() {
        return this.nodes_;
    }
    async cordon(n: string) {
        this.log.push(`cordon ${n}`);
    }
    async podsOn(n: string) {
        return this.pods.get(n) ?? [];
    }
    async evict(ns: string, name: string) {
        for (const [node, list] of this.pods) {
            const p = list.find((x) => x.namespace === ns && x.name === name);
            if (!p) continue;
            if (p.pdbBlocks && p.pdbBlocks-- > 0) return { result: "blocked" as const, budget: "web" };
            this.log.push(`evict ${ns}/${name}`);
            this.pods.set(
                node,
                list.filter((x) => x !== p),
            );
            return { result: "evicted" as const };
        }
        return { result: "gone" as const };
    }
    async etcdMemberHealthy() {
        return true;
    }
    async setKubeadmKubernetesVersion(v: string) {
        this.log.push(`kubeadm-config ${v}`);
        this.kubeadmVersion = v;
    }
    async setKubeProxyImage(i: string) {
        this.log.push(`kube-proxy ${i}`);
        this.proxyImage = i;
    }
    async createKubeadmRbac(keys: readonly string[]) {
        this.log.push(`create ${keys.join(", ")}`);
        this.missingRbac = this.missingRbac.filter((k) => !keys.includes(k));
    }
    async setCoreDnsImage(i: string) {
        this.log.push(`coredns ${i}`);
        this.coreDnsImage = i;
    }
}

const healthy: HealthGate = async () => ({ healthy: true, results: [] });

/** The live state as `npm run roll` reads it (tools/roll/index.ts readLiveGroups: pools with their refresh and hook). */
async function live(world: World) {
    const groups = Object.fromEntries((await readLiveGroups(world, world.rollout)).map((g) => [g.groupName, g]));
    return { groups, cluster: await world.cluster() };
}

/** The control plane done (every slot on version 2, kubeadm-config and kube-proxy moved): only the pool rolls. */
function controlPlaneDone(world: World) {
    for (const g of world.rollout.groups.filter((x) => x.role !== "pool"))
        world.groups.set(g.groupName, { ...world.groups.get(g.groupName)!, instances: world.groups.get(g.groupName)!.instances.map((i) => ({ ...i, launchTemplateVersion: "2" })) });
    world.kubeadmVersion = V_NEW;
    world.proxyImage = `registry.k8s.io/kube-proxy:${V_NEW}`;
}

async function poolPlan(world: World) {
    return planRoll(world.rollout, { ...(await live(world)), cluster: { ...(await world.cluster()), apiServerVersion: V_NEW } }, { kind: "pools" });
}

/** Runs a plan against the in-memory world on its clock; the health gate passes unless given. */
function execute(world: World, plan: RollPlan, o: { healthGate?: HealthGate; timeouts?: Partial<Timeouts>; progress?: (line: string) => void } = {}) {
    return executePlan(plan, { autoscaling: world, kube: world, healthGate: o.healthGate ?? healthy, clock: world.clock, timeouts: o.timeouts, progress: o.progress ?? (() => undefined) });
}

const I4 = "i-00000000000000004";
const I5 = "i-00000000000000005";

describe("roll executor (in-memory world)", () => {
    it("updates kubeadm-config, replaces each slot after cordon and drain (retrying a PDB-blocked eviction), then kube-proxy, then refreshes the pool", async () => {
        const r = rollout();
        const world = new World(r);
        const plan = planRoll(r, await live(world));
        const lines: string[] = [];
        const result = await execute(world, plan, { progress: (l) => lines.push(l) });
        assert.strictEqual(result.failed, undefined, lines.join("\n"));
        const slotOps = (n: string) => [`cordon node-${n}`, `evict default/web-${n}`, `terminate ${n}`];
        assert.deepStrictEqual(world.log, [
            `kubeadm-config ${V_NEW}`,
            ...slotOps("i-00000000000000001"),
            ...slotOps("i-00000000000000002"),
            ...slotOps("i-00000000000000003"),
            `kube-proxy registry.k8s.io/kube-proxy:${V_NEW}`,
            `put hook ${DRAIN_HOOK_NAME} on asg-general heartbeat 900 CONTINUE`,
            "refresh asg-general min 75 max 125 skipMatching true",
            // Each instance the refresh takes waits in Terminating:Wait: cordon, drain (a PDB-blocked eviction retried), then complete.
            "refresh takes i-00000000000000004",
            "cordon node-i-00000000000000004",
            "evict default/web-i-00000000000000004",
            "complete i-00000000000000004 CONTINUE",
            "refresh takes i-00000000000000005",
            "cordon node-i-00000000000000005",
            "evict default/web-i-00000000000000005",
            "complete i-00000000000000005 CONTINUE",
            `delete hook ${DRAIN_HOOK_NAME} on asg-general`,
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
        assert.deepStrictEqual(result.done, [
            "cluster-wide configuration",
            "control-plane slot control-plane-a",
            "control-plane slot control-plane-b",
            "control-plane slot control-plane-c",
            "CoreDNS",
            "kube-proxy",
            "pool general",
        ]);
        const ops = world.log.filter((l) => !/^(cordon|evict|refresh)/.test(l));
        assert.deepStrictEqual(ops, [
            "create ClusterRoleBinding kubeadm:apiserver-kubelet-client",
            `kubeadm-config ${V_NEW}`,
            "terminate i-00000000000000001",
            "terminate i-00000000000000002",
            "terminate i-00000000000000003",
            "coredns registry.k8s.io/coredns/coredns:v1.14.2",
            `kube-proxy registry.k8s.io/kube-proxy:${V_NEW}`,
            // Then the pool, behind its drain hook (each instance drained before its action is completed).
            "put hook k8s-aws-roll-drain on asg-general heartbeat 900 CONTINUE",
            "complete i-00000000000000004 CONTINUE",
            "complete i-00000000000000005 CONTINUE",
            "delete hook k8s-aws-roll-drain on asg-general",
        ]);
        assert.deepStrictEqual(planRoll(r, await live(world)).steps, [], "nothing left to roll");
    });

    it("stops at the first slot whose new node never becomes Ready, leaves the other slots untouched, and a re-run resumes", async () => {
        const r = rollout();
        const world = new World(r);
        world.neverReady.add("asg-control-plane-b");
        const lines: string[] = [];
        const result = await execute(world, planRoll(r, await live(world)), { timeouts: { replaceMs: 60_000, pollMs: 1000 }, progress: (l) => lines.push(l) });
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
        const second = await execute(world, again);
        assert.strictEqual(second.failed, undefined);
        assert.deepStrictEqual(
            world.log.filter((l) => l.startsWith("terminate")),
            ["terminate i-00000000000000003"],
        );
    });

    it("does not take a slot down while the health gate fails, and says which check failed", async () => {
        const r = rollout();
        const world = new World(r);
        const gate: HealthGate = async () => ({ healthy: false, results: [{ check: "etcd-quorum", where: "control-plane-c", ok: false, message: "member unhealthy" }] });
        const result = await execute(world, planRoll(r, await live(world)), { healthGate: gate, timeouts: { healthyMs: 30_000, pollMs: 1000 } });
        assert.strictEqual(result.failed?.step, "control-plane slot control-plane-a");
        assert.match(result.failed!.message, /before replacing: the health gate did not pass within 30 s \(etcd-quorum on control-plane-c: member unhealthy\)/);
        assert.ok(!world.log.some((l) => l.startsWith("terminate") || l.startsWith("cordon")));
    });

    it("cancels a pool's refresh when a new node does not become Ready, instead of rolling the whole pool", async () => {
        const r = rollout();
        const world = new World(r);
        // The control plane is done: only the pool rolls.
        controlPlaneDone(world);
        world.neverReady.add("asg-general");
        const plan = await poolPlan(world);
        // 30 s: the refresh has taken the second old instance (i-5) and is draining it when the first new node (i-6) is given up on.
        const result = await execute(world, plan, { timeouts: { nodeReadyMs: 30_000, pollMs: 10_000 } });
        assert.strictEqual(result.failed?.step, "pool general");
        assert.match(result.failed!.message, /the node of i-0+6 \(launch template version 2\) is not Ready after 30 s in service: instance refresh r-asg-general cancelled$/);
        assert.ok(world.log.includes("cancel refresh asg-general"));
        // The instance the refresh had already taken is drained before its action completes, and the hook goes last.
        const tail = world.log.slice(world.log.indexOf("cancel refresh asg-general"));
        assert.deepStrictEqual(tail, ["cancel refresh asg-general", "evict default/web-i-00000000000000005", "complete i-00000000000000005 CONTINUE", `delete hook ${DRAIN_HOOK_NAME} on asg-general`]);
        assert.ok(!world.log.some((l) => l.startsWith("killed")), world.log.join("\n"));
    });

    it("stops when a PodDisruptionBudget never allows the drain, before terminating anything", async () => {
        const r = rollout();
        const world = new World(r);
        for (const list of world.pods.values()) for (const p of list) p.pdbBlocks = 1e9;
        const result = await execute(world, planRoll(r, await live(world)), { timeouts: { drainMs: 20_000, pollMs: 1000 } });
        assert.match(result.failed!.message, /drain of node-i-0+1 did not finish within 20 s: PodDisruptionBudget default\/web keeps default\/web-i-0+1$/);
        assert.ok(!world.log.some((l) => l.startsWith("terminate")));
    });
});

describe("roll executor: a pool's refresh behind the drain hook (in-memory Auto Scaling with Terminating:Wait)", () => {
    it("a PodDisruptionBudget that refuses an eviction delays CompleteLifecycleAction until the node is drained; heartbeats keep the instance waiting meanwhile", async () => {
        const world = new World(rollout());
        controlPlaneDone(world);
        // The budget refuses web-i-4's eviction seven times (70 s at one pass per 10 s poll): longer than the 90 s heartbeat
        // timeout allows counted from when the wait began, so without a heartbeat Auto Scaling would terminate i-4 undrained.
        world.pods.get(`node-${I4}`)![0].pdbBlocks = 7;
        const lines: string[] = [];
        const result = await execute(world, await poolPlan(world), { timeouts: { drainMs: 90_000, pollMs: 10_000 }, progress: (l) => lines.push(l) });
        assert.strictEqual(result.failed, undefined, lines.join("\n"));
        assert.deepStrictEqual(
            world.log.filter((l) => l.includes(I4)),
            [`refresh takes ${I4}`, `cordon node-${I4}`, `heartbeat ${I4}`, `evict default/web-${I4}`, `complete ${I4} CONTINUE`],
        );
        assert.deepStrictEqual(
            world.log.filter((l) => l.includes(I5)),
            [`refresh takes ${I5}`, `cordon node-${I5}`, `evict default/web-${I5}`, `complete ${I5} CONTINUE`],
        );
        // The hook is on the group before the refresh starts, and removed after the last completion.
        assert.deepStrictEqual(world.log.slice(0, 2), [`put hook ${DRAIN_HOOK_NAME} on asg-general heartbeat 90 CONTINUE`, "refresh asg-general min 75 max 125 skipMatching true"]);
        assert.strictEqual(world.log.at(-1), `delete hook ${DRAIN_HOOK_NAME} on asg-general`);
        assert.ok(!world.log.some((l) => l.startsWith("killed") || l.startsWith("heartbeat timeout")), world.log.join("\n"));
        assert.ok(
            lines.some((l) => l.includes(`node node-${I4} drained: lifecycle action of ${I4} completed (CONTINUE)`)),
            lines.join("\n"),
        );
        assert.strictEqual(world.hooks.size, 0);
    });

    it("a drain a PodDisruptionBudget never allows fails the step naming the budget, cancels the refresh, then completes the held instance (CONTINUE) and removes the hook; the other old instance is untouched", async () => {
        const world = new World(rollout());
        controlPlaneDone(world);
        world.pods.get(`node-${I4}`)![0].pdbBlocks = 1e9;
        const result = await execute(world, await poolPlan(world), { timeouts: { drainMs: 30_000, pollMs: 10_000 } });
        assert.strictEqual(result.failed?.step, "pool general");
        assert.strictEqual(
            result.failed!.message,
            `drain of node-${I4} (instance ${I4}, terminating in the refresh) did not finish within 30 s: PodDisruptionBudget default/web keeps default/web-${I4}: ` +
                `instance refresh r-asg-general cancelled; lifecycle action of ${I4} completed with CONTINUE: it terminates with the pods above`,
        );
        const tail = world.log.slice(world.log.indexOf("cancel refresh asg-general"));
        assert.deepStrictEqual(tail, [
            "cancel refresh asg-general",
            `complete ${I4} CONTINUE`,
            `killed default/web-${I4} on ${I4} (completed CONTINUE)`,
            `delete hook ${DRAIN_HOOK_NAME} on asg-general`,
        ]);
        assert.ok(world.log.includes(`heartbeat ${I4}`), "the 30 s heartbeat timeout was restarted while the drain waited");
        assert.ok(!world.log.some((l) => l.includes(I5)), "i-5 was never taken");
        assert.deepStrictEqual(
            world.groups
                .get("asg-general")!
                .instances.filter((i) => i.launchTemplateVersion === "1")
                .map((i) => `${i.instanceId} ${i.lifecycleState}`),
            [`${I5} InService`],
        );
        assert.strictEqual(world.hooks.size, 0);
    });

    it("Ctrl-C during a pool refresh: the refresh is cancelled, the instance it took is drained (its PDB waited for) before its action completes, the hook removed, the other old instance untouched", async () => {
        const world = new World(rollout());
        controlPlaneDone(world);
        const blockedPod = world.pods.get(`node-${I4}`)![0];
        blockedPod.pdbBlocks = 2;
        const controller = new AbortController();
        const lines: string[] = [];
        const result = await executePlan(await poolPlan(world), {
            autoscaling: world,
            kube: world,
            healthGate: healthy,
            clock: world.clock,
            timeouts: { drainMs: 90_000, pollMs: 10_000 },
            signal: controller.signal,
            progress: (l) => {
                lines.push(l);
                // The operator presses Ctrl-C as soon as the refresh has started.
                if (l.includes("instance refresh r-")) controller.abort();
            },
        });
        assert.strictEqual(result.failed?.step, "pool general", lines.join("\n"));
        assert.match(result.failed!.message, /^interrupted \(Ctrl-C\): instance refresh r-asg-general cancelled$/);
        const tail = world.log.slice(world.log.indexOf("cancel refresh asg-general"));
        assert.deepStrictEqual(tail, ["cancel refresh asg-general", `cordon node-${I4}`, `evict default/web-${I4}`, `complete ${I4} CONTINUE`, `delete hook ${DRAIN_HOOK_NAME} on asg-general`]);
        assert.strictEqual(blockedPod.pdbBlocks, 0, "the budget refused the eviction twice and the roll waited for it");
        assert.ok(tail.indexOf(`complete ${I4} CONTINUE`) > tail.lastIndexOf(`evict default/web-${I4}`), "drained before completed");
        assert.ok(!world.log.some((l) => l.startsWith("killed")), `nothing terminated undrained:\n${world.log.join("\n")}`);
        assert.ok(!world.log.some((l) => l.includes(I5)), "i-5 was never taken");
        assert.strictEqual(world.hooks.size, 0);
    });

    it("says, before evicting it, what a pod's eviction loses (no controller, emptyDir data), and evicts it as kops and Cluster API do", async () => {
        const world = new World(rollout());
        controlPlaneDone(world);
        const list = world.pods.get(`node-${I4}`)!;
        world.pods.set(`node-${I4}`, [...list, { namespace: "default", name: "scratch", skip: false, loses: ["no controller recreates it", "its emptyDir data (tmp) is deleted"] }]);
        const lines: string[] = [];
        const result = await execute(world, await poolPlan(world), { timeouts: { pollMs: 10_000 }, progress: (l) => lines.push(l) });
        assert.strictEqual(result.failed, undefined, lines.join("\n"));
        const note = lines.findIndex((l) => l === `  pool general: note: evicting default/scratch from node-${I4}: no controller recreates it; its emptyDir data (tmp) is deleted`);
        assert.ok(note >= 0, lines.join("\n"));
        assert.ok(world.log.includes("evict default/scratch"));
        assert.strictEqual(lines.filter((l) => l.includes("note: evicting")).length, 1, "only the pod that loses something is noted");
    });

    it("Ctrl-C between steps: the next step does not start, and says so", async () => {
        const r = rollout();
        const world = new World(r);
        const controller = new AbortController();
        const result = await executePlan(planRoll(r, await live(world)), {
            autoscaling: world,
            kube: world,
            healthGate: healthy,
            clock: world.clock,
            signal: controller.signal,
            progress: (l) => {
                if (l.endsWith("cluster-wide configuration: done")) controller.abort();
            },
        });
        assert.deepStrictEqual(result.done, ["cluster-wide configuration"]);
        assert.deepStrictEqual(result.failed, { step: "control-plane slot control-plane-a", message: "not started: interrupted (Ctrl-C)" });
        assert.ok(!world.log.some((l) => l.startsWith("terminate") || l.startsWith("cordon")), world.log.join("\n"));
    });

    it("a roll stopped mid-refresh resumes: the hook is reused, the running refresh watched (no second one), the held instance drained; the plan says so", async () => {
        const world = new World(rollout());
        controlPlaneDone(world);
        // What the interrupted roll left: its hook, its refresh, i-4 held in Terminating:Wait.
        await world.putTerminationLifecycleHook("asg-general", DRAIN_HOOK_NAME, drainHookSpec(DEFAULT_TIMEOUTS.drainMs));
        const id = await world.startInstanceRefresh("asg-general", { minHealthyPercentage: 75, maxHealthyPercentage: 125, instanceWarmupSeconds: 300, skipMatching: true, autoRollback: false });
        await world.describeInstanceRefresh("asg-general", id);
        assert.ok(world.held.has(I4));
        world.log.length = 0;
        const plan = await poolPlan(world);
        assert.match(formatPlan("prod", plan).join("\n"), /resumed: an instance refresh is in progress and the roll's drain hook is on the group \(a roll stopped mid-refresh\)/);
        const lines: string[] = [];
        const result = await execute(world, plan, { timeouts: { pollMs: 10_000 }, progress: (l) => lines.push(l) });
        assert.strictEqual(result.failed, undefined, lines.join("\n"));
        assert.ok(
            lines.some((l) => l.includes(`termination lifecycle hook ${DRAIN_HOOK_NAME} already on asg-general (left by an interrupted roll): reused`)),
            lines.join("\n"),
        );
        assert.deepStrictEqual(world.log, [
            `cordon node-${I4}`,
            `evict default/web-${I4}`,
            `complete ${I4} CONTINUE`,
            `refresh takes ${I5}`,
            `cordon node-${I5}`,
            `evict default/web-${I5}`,
            `complete ${I5} CONTINUE`,
            `delete hook ${DRAIN_HOOK_NAME} on asg-general`,
        ]);
    });

    it("the last old instance held when the roll stopped: nothing left to replace, yet the plan resumes the pool, drains it and removes the hook", async () => {
        const world = new World(rollout());
        controlPlaneDone(world);
        await world.putTerminationLifecycleHook("asg-general", DRAIN_HOOK_NAME, drainHookSpec(DEFAULT_TIMEOUTS.drainMs));
        const id = await world.startInstanceRefresh("asg-general", { minHealthyPercentage: 75, maxHealthyPercentage: 125, instanceWarmupSeconds: 300, skipMatching: true, autoRollback: false });
        await world.describeInstanceRefresh("asg-general", id);
        await world.completeLifecycleAction("asg-general", DRAIN_HOOK_NAME, I4, "CONTINUE");
        world.pods.set(`node-${I4}`, []);
        await world.describeInstanceRefresh("asg-general", id);
        assert.ok(world.held.has(I5));
        world.log.length = 0;
        const plan = await poolPlan(world);
        assert.deepStrictEqual(
            plan.steps.map((s) => (s.kind === "refresh-pool" ? [s.group.name, s.outdated.length] : s.kind)),
            [["general", 0]],
        );
        const result = await execute(world, plan, { timeouts: { pollMs: 10_000 } });
        assert.strictEqual(result.failed, undefined);
        assert.deepStrictEqual(world.log, [`cordon node-${I5}`, `evict default/web-${I5}`, `complete ${I5} CONTINUE`, `delete hook ${DRAIN_HOOK_NAME} on asg-general`]);
        // The hook left alone (no refresh, nothing to replace) is still a step, which only removes it.
        await world.putTerminationLifecycleHook("asg-general", DRAIN_HOOK_NAME, drainHookSpec(DEFAULT_TIMEOUTS.drainMs));
        world.log.length = 0;
        const cleanup = await poolPlan(world);
        assert.match(formatPlan("prod", cleanup).join("\n"), /instance refresh of 0 of 2 instance\(s\)[^\n]*\n\s+resumed: the roll's drain hook is on the group/);
        assert.strictEqual((await execute(world, cleanup)).failed, undefined);
        assert.deepStrictEqual(world.log, [`delete hook ${DRAIN_HOOK_NAME} on asg-general`]);
        assert.deepStrictEqual((await poolPlan(world)).steps, [], "then nothing is left to roll");
    });

    it("removes the hook when the refresh cannot start", async () => {
        const world = new World(rollout());
        controlPlaneDone(world);
        world.startInstanceRefresh = async () => Promise.reject(new Error("ValidationError: An Auto Scaling group can have only one instance refresh in progress"));
        const result = await execute(world, await poolPlan(world));
        assert.match(result.failed!.message, /only one instance refresh in progress/);
        assert.deepStrictEqual(world.log, [`put hook ${DRAIN_HOOK_NAME} on asg-general heartbeat 900 CONTINUE`, `delete hook ${DRAIN_HOOK_NAME} on asg-general`]);
    });
});
