/**
 * The roll records the version the control plane runs (tools/roll/record.ts) only when the live
 * state proves it: every slot and external etcd member on its latest template version, the API
 * server and every control-plane kubelet on the new version. Rung 1: an in-memory world whose
 * replacements come up on the new version (the moto test in test/real/recordSsm.spec.ts covers
 * the SSM calls themselves).
 */
import * as assert from "assert";
import { recordDecision, VersionRecordPort } from "../../../tools/roll/record";
import { run, CliOptions } from "../../../tools/roll/index";
import { formatPlan, planRoll } from "../../../tools/roll/plan";
import type { AutoScalingPort, KubePort } from "../../../tools/roll/ports";
import type { LiveCluster, LiveGroup, LiveNode, LiveState, Rollout } from "../../../tools/roll/state";

const V_OLD = "v1.35.9";
const V_NEW = "v1.36.4";
const RECORD = "/k8s-aws/prod/rolled-kubernetes-version";

function rollout(addonMinor = "1.35"): Rollout {
    const g = (role: "control-plane" | "etcd", name: string) => ({ role, name, groupName: `asg-${name}`, launchTemplateId: `lt-${name}`, launchTemplateVersion: "2", templateFingerprint: "f" });
    return {
        kubernetesVersion: "1.36.4",
        groups: [g("control-plane", "control-plane-a"), g("control-plane", "control-plane-b"), g("etcd", "etcd-a")],
        addons: { minor: addonMinor, ...(addonMinor !== "1.36" ? { heldBecause: "the control plane runs 1.35.9" } : {}) },
        versionRecord: RECORD,
    };
}

/** Slots of one instance on version `from`; a terminated instance is replaced on version 2, whose node (not for etcd) runs the new kubelet, Ready unless faulted. */
class World implements AutoScalingPort, KubePort {
    readonly log: string[] = [];
    groups = new Map<string, LiveGroup>();
    nodeList: LiveNode[] = [];
    neverReady = new Set<string>();
    private n = 0;
    constructor(r: Rollout, from: string) {
        for (const g of r.groups) this.groups.set(g.groupName, { groupName: g.groupName, desiredCapacity: 1, instances: [this.launch(g.groupName, from)] });
    }
    private launch(group: string, version: string) {
        const instanceId = `i-${(++this.n).toString(16).padStart(17, "0")}`;
        if (!group.includes("etcd")) this.nodeList.push({ name: `node-${instanceId}`, instanceId, kubeletVersion: version === "2" ? V_NEW : V_OLD, ready: !this.neverReady.has(group) });
        return { instanceId, lifecycleState: "InService", healthStatus: "Healthy", launchTemplateId: `lt-${group.slice(4)}`, launchTemplateVersion: version };
    }
    async describeGroups(names: readonly string[]) {
        return names.map((n) => this.groups.get(n)!).filter(Boolean);
    }
    async terminateInstance(id: string) {
        this.log.push(`terminate ${id}`);
        for (const g of this.groups.values()) {
            if (!g.instances.some((i) => i.instanceId === id)) continue;
            this.nodeList = this.nodeList.filter((x) => x.instanceId !== id);
            this.groups.set(g.groupName, { ...g, instances: [this.launch(g.groupName, "2")] });
        }
    }
    async startInstanceRefresh(): Promise<string> {
        throw new Error("no pools here");
    }
    async describeInstanceRefresh(): Promise<{ status: string }> {
        throw new Error("no pools here");
    }
    async cancelInstanceRefresh() {}
    async activeInstanceRefresh() {
        return undefined;
    }
    async describeLifecycleHook() {
        return undefined;
    }
    async putTerminationLifecycleHook(): Promise<void> {
        throw new Error("no pools here");
    }
    async deleteLifecycleHook(): Promise<void> {
        throw new Error("no pools here");
    }
    async recordLifecycleActionHeartbeat(): Promise<void> {
        throw new Error("no pools here");
    }
    async completeLifecycleAction(): Promise<void> {
        throw new Error("no pools here");
    }
    async cluster(): Promise<LiveCluster> {
        const slots = [...this.groups.values()].filter((g) => g.groupName.includes("control-plane")).flatMap((g) => g.instances);
        return { apiServerVersion: slots.every((i) => i.launchTemplateVersion === "2") ? V_NEW : V_OLD, kubeadmKubernetesVersion: V_NEW, nodes: this.nodeList };
    }
    async nodes() {
        return this.nodeList;
    }
    async cordon() {}
    async podsOn() {
        return [];
    }
    async evict() {
        return { result: "gone" as const };
    }
    async etcdMemberHealthy() {
        return true;
    }
    async setKubeadmKubernetesVersion() {}
    async setKubeProxyImage() {}
    async createKubeadmRbac() {}
    async setCoreDnsImage() {}
}

class Record implements VersionRecordPort {
    writes: string[] = [];
    constructor(
        public value: string | undefined,
        private readonly log?: string[],
        private readonly failWith?: string,
    ) {}
    async read() {
        return this.value;
    }
    async write(v: string) {
        if (this.failWith) throw new Error(this.failWith);
        this.log?.push(`record ${v}`);
        this.writes.push(v);
        this.value = v;
    }
}

const options = (o: Partial<CliOptions> = {}): CliOptions => ({ stack: "prod", scope: { kind: "all" }, dryRun: false, yes: true, ...o });

async function roll(world: World, record: Record, o: Partial<CliOptions> = {}, r = rollout()) {
    let out = "";
    let err = "";
    const code = await run(
        options(o),
        { rollout: r },
        { autoscaling: world, kube: world, healthGate: async () => ({ healthy: true, results: [] }), timeouts: { pollMs: 1, replaceMs: 50, nodeReadyMs: 50, healthyMs: 50 }, record },
        { out: (t) => (out += t), err: (t) => (err += t) },
    );
    return { code, out, err };
}

describe("npm run roll records the version once the whole control plane runs it", () => {
    it("after the last slot and the etcd member are replaced, writes 1.36.4 over 1.35.9 and says to run pulumi up for the held addons", async () => {
        const world = new World(rollout(), "1");
        const record = new Record("1.35.9", world.log);
        const r = await roll(world, record);
        assert.strictEqual(r.code, 0, r.err + r.out);
        assert.deepStrictEqual(record.writes, ["1.36.4"]);
        assert.strictEqual(world.log.at(-1), "record 1.36.4", world.log.join("\n"));
        assert.strictEqual(world.log.filter((l) => l.startsWith("terminate")).length, 3, "both slots and the etcd member replaced before");
        assert.match(r.out, new RegExp(`recorded 1\\.36\\.4 in ${RECORD} \\(was 1\\.35\\.9\\)`));
        assert.match(r.out, /run pulumi up --stack prod now: the addon images tied to the minor .* are held at 1\.35/);
    });

    it("a roll that stops at a faulted slot leaves the record where it was", async () => {
        const world = new World(rollout(), "1");
        world.neverReady.add("asg-control-plane-b");
        const record = new Record("1.35.9");
        const r = await roll(world, record);
        assert.strictEqual(r.code, 1, r.out);
        assert.deepStrictEqual(record.writes, []);
        assert.match(r.err, /roll stopped at/);
    });

    it("nothing to roll but the record behind (a roll whose write failed): --yes writes it, a dry run only says so", async () => {
        const dry = new Record("1.35.9");
        const d = await roll(new World(rollout(), "2"), dry, { yes: false, dryRun: true });
        assert.strictEqual(d.code, 0, d.err);
        assert.deepStrictEqual(dry.writes, []);
        assert.match(d.out, /would record 1\.36\.4 in .* \(now 1\.35\.9\)/);
        const yes = new Record("1.35.9");
        const y = await roll(new World(rollout(), "2"), yes);
        assert.strictEqual(y.code, 0, y.err);
        assert.deepStrictEqual(yes.writes, ["1.36.4"]);
    });

    it("an up-to-date record is not rewritten, and once the addons follow it nothing more is asked", async () => {
        const record = new Record("1.36.4");
        const r = await roll(new World(rollout("1.36"), "2"), record, {}, rollout("1.36"));
        assert.strictEqual(r.code, 0, r.err);
        assert.deepStrictEqual(record.writes, []);
        assert.match(r.out, /record .*: 1\.36\.4 \(the control plane runs it\)/);
        assert.doesNotMatch(r.out, /pulumi up/);
    });

    it("never creates the parameter: a missing record is left to pulumi up", async () => {
        const record = new Record(undefined);
        const r = await roll(new World(rollout(), "2"), record);
        assert.strictEqual(r.code, 0, r.err);
        assert.deepStrictEqual(record.writes, []);
        assert.match(r.out, /does not exist: run pulumi up with this release first/);
    });

    it("a failed write exits 1, says the cluster is rolled and which permissions the roll needs", async () => {
        const r = await roll(new World(rollout(), "2"), new Record("1.35.9", undefined, "AccessDeniedException: not authorized to perform: ssm:PutParameter"));
        assert.strictEqual(r.code, 1);
        assert.match(r.err, /recording the version in .* failed: AccessDeniedException.*the cluster is rolled.*ssm:GetParameter and ssm:PutParameter/);
    });
});

describe("recordDecision: only the live state moves the record", () => {
    const r = rollout();
    const base = async (): Promise<LiveState> => {
        const w = new World(r, "2");
        return { groups: Object.fromEntries(w.groups), cluster: await w.cluster() };
    };
    const cases: { name: string; edit: (l: LiveState) => LiveState; recorded?: string; want: RegExp }[] = [
        { name: "all on the new version", edit: (l) => l, recorded: "1.35.9", want: /^write 1\.35\.9->1\.36\.4$/ },
        {
            name: "the API server still answers the old version",
            edit: (l) => ({ ...l, cluster: { ...l.cluster!, apiServerVersion: V_OLD } }),
            recorded: "1.35.9",
            want: /API server answers v1\.35\.9, not v1\.36\.4/,
        },
        {
            name: "a control-plane kubelet on the old version",
            edit: (l) => ({ ...l, cluster: { ...l.cluster!, nodes: l.cluster!.nodes.map((n, i) => (i === 0 ? { ...n, kubeletVersion: V_OLD } : n)) } }),
            recorded: "1.35.9",
            want: /control-plane node node-i-0+1 runs kubelet v1\.35\.9/,
        },
        {
            name: "an etcd member still on version 1",
            edit: (l) => ({
                ...l,
                groups: { ...l.groups, "asg-etcd-a": { ...l.groups["asg-etcd-a"], instances: l.groups["asg-etcd-a"].instances.map((i) => ({ ...i, launchTemplateVersion: "1" })) } },
            }),
            recorded: "1.35.9",
            want: /etcd-a: not one in-service instance on launch template version 2/,
        },
        {
            name: "a slot with a replacement under way (two instances)",
            edit: (l) => ({
                ...l,
                groups: {
                    ...l.groups,
                    "asg-control-plane-a": {
                        ...l.groups["asg-control-plane-a"],
                        instances: [...l.groups["asg-control-plane-a"].instances, { instanceId: "i-x", lifecycleState: "Pending", healthStatus: "Healthy", launchTemplateVersion: "2" }],
                    },
                },
            }),
            recorded: "1.35.9",
            want: /control-plane-a: not one in-service instance/,
        },
        { name: "no kubeconfig", edit: (l) => ({ groups: l.groups }), recorded: "1.35.9", want: /no kubeconfig/ },
        { name: "already recorded", edit: (l) => l, recorded: "1.36.4", want: /^up-to-date 1\.36\.4$/ },
    ];
    for (const c of cases) {
        it(c.name, async () => {
            const d = recordDecision(r, c.edit(await base()), c.recorded);
            const text = d.kind === "write" ? `write ${d.from}->${d.to}` : d.kind === "up-to-date" ? `up-to-date ${d.version}` : d.reasons.join("\n");
            assert.match(text, c.want);
        });
    }
});

describe("the roll plan's note on the addons tied to the minor", () => {
    it("says they are held until this roll records the version (no longer that pulumi up moved them)", async () => {
        const w = new World(rollout(), "1");
        const plan = planRoll(rollout(), { groups: Object.fromEntries(w.groups), cluster: await w.cluster() });
        const text = formatPlan("prod", plan).join("\n");
        assert.match(text, /note: the addon images tied to the minor stay at 1\.35 until this roll records 1\.36\.4 .*then run pulumi up to move them to 1\.36/);
        assert.doesNotMatch(text, /already set the addon images/);
    });
});
