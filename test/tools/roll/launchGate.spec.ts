/**
 * Replacing an external etcd member whose group has the launch gate
 * (controlplane/slot.ts, host/etcdReady.ts): the roll waits for InService,
 * which there means "its member answered /health true", says so, and stops at
 * once, naming the hook and where to look, when the replacement is abandoned
 * (it leaves Pending:Wait for Terminating without entering service). Rung 1:
 * an in-memory Auto Scaling group whose replacement walks through scripted
 * lifecycle states, one per describe.
 */
import * as assert from "assert";
import { executePlan } from "../../../tools/roll/execute";
import type { RollPlan } from "../../../tools/roll/plan";
import type { AutoScalingPort, Clock, HealthGate, KubePort } from "../../../tools/roll/ports";
import type { LiveGroup, RolloutGroup } from "../../../tools/roll/state";
import { ETCD_LAUNCH_GATE } from "../../../components/controlplane";

const OLD = "i-00000000000000001";
const NEW = "i-00000000000000002";

const member = (name: string, gated: boolean): RolloutGroup => ({
    role: "etcd",
    name,
    groupName: `asg-${name}`,
    launchTemplateId: `lt-${name}`,
    launchTemplateVersion: "2",
    templateFingerprint: "f",
    ...(gated ? { launchGate: ETCD_LAUNCH_GATE } : {}),
});

const plan = (...groups: RolloutGroup[]): RollPlan => ({
    kubernetesVersion: "1.36.4",
    steps: groups.map((group, i) => ({ kind: "replace-slot" as const, group, outdated: [{ instanceId: i === 0 ? OLD : `i-old-${group.name}`, fromVersion: "1", reasons: ["user data"] }] })),
    upToDate: [],
    notes: [],
    problems: [],
});

/** After the termination, the replacement takes the next scripted state at each describe (the last repeats; null: gone). */
class Group implements AutoScalingPort {
    readonly log: string[] = [];
    private states: (string | null)[] = [];
    private current: LiveGroup;
    constructor(private readonly script: (string | null)[]) {
        this.current = { groupName: "asg-etcd-a", desiredCapacity: 1, instances: [{ instanceId: OLD, lifecycleState: "InService", healthStatus: "Healthy", launchTemplateVersion: "1" }] };
    }
    async describeGroups(names: readonly string[]) {
        if (this.states.length > 0) {
            const state = this.states.length > 1 ? this.states.shift()! : this.states[0];
            this.current = { ...this.current, instances: state === null ? [] : [{ instanceId: NEW, lifecycleState: state, healthStatus: "Healthy", launchTemplateVersion: "2" }] };
        }
        return names.map((n) => ({ ...this.current, groupName: n }));
    }
    async terminateInstance(id: string) {
        this.log.push(`terminate ${id}`);
        this.states = [...this.script];
    }
    async startInstanceRefresh(): Promise<string> {
        throw new Error("not a pool");
    }
    async describeInstanceRefresh(): Promise<{ status: string }> {
        throw new Error("not a pool");
    }
    async cancelInstanceRefresh() {
        throw new Error("not a pool");
    }
    async activeInstanceRefresh() {
        return undefined;
    }
    async describeLifecycleHook() {
        return undefined;
    }
    async putTerminationLifecycleHook(): Promise<void> {
        throw new Error("not a pool");
    }
    async deleteLifecycleHook(): Promise<void> {
        throw new Error("not a pool");
    }
    async recordLifecycleActionHeartbeat(): Promise<void> {
        throw new Error("not a pool");
    }
    async completeLifecycleAction(): Promise<void> {
        throw new Error("not a pool");
    }
}

const noNodes = { nodes: async () => [] } as unknown as KubePort;
const healthy: HealthGate = async () => ({ healthy: true, results: [] });
const instantClock = (): Clock => {
    let t = 0;
    return { now: () => t, sleep: async (ms) => void (t += ms) };
};

async function roll(script: (string | null)[], ...groups: RolloutGroup[]) {
    const asg = new Group(script);
    const lines: string[] = [];
    const result = await executePlan(plan(...groups), { autoscaling: asg, kube: noNodes, healthGate: healthy, clock: instantClock(), timeouts: { pollMs: 10_000 }, progress: (l) => lines.push(l) });
    return { result, lines, asg };
}

describe("roll: an external etcd member behind the launch gate", () => {
    it("waits through Pending:Wait and reports the replacement in service as a healthy member", async () => {
        const { result, lines } = await roll(["Pending", "Pending:Wait", "Pending:Wait", "InService"], member("etcd-a", true));
        assert.strictEqual(result.failed, undefined, lines.join("\n"));
        assert.ok(
            lines.some((l) => l.includes(`replacement ${NEW} waits in Pending:Wait until its etcd member is healthy (launch hook k8s-aws-etcd-member-healthy, abandoned after 900 s)`)),
            lines.join("\n"),
        );
        assert.ok(
            lines.some((l) => l.includes(`replacement ${NEW} in service (launch hook k8s-aws-etcd-member-healthy completed: its etcd member answered /health true`)),
            lines.join("\n"),
        );
    });

    it("fails the step at once when the hook abandons the replacement, names the hook and where to look, and starts nothing after it", async () => {
        const { result, lines } = await roll(["Pending:Wait", "Pending:Wait", "Terminating", null], member("etcd-a", true), member("etcd-b", true));
        assert.strictEqual(result.failed?.step, "etcd member etcd-a");
        assert.match(
            result.failed!.message,
            new RegExp(`replacement ${NEW} is Terminating without entering service, 20 s after it was seen Pending:Wait: the launch hook k8s-aws-etcd-member-healthy abandoned it`),
        );
        assert.match(result.failed!.message, /did not answer \/health true within 900 s/);
        assert.match(result.failed!.message, /journalctl -u k8s-aws-etcd-ready -u etcd/);
        assert.deepStrictEqual(result.notStarted, ["etcd member etcd-b"]);
        assert.ok(lines.some((l) => l.includes("FAILED")));
    });

    it("also notices a replacement that vanished between two polls", async () => {
        const { result } = await roll(["Pending:Wait", null], member("etcd-a", true));
        assert.match(result.failed?.message ?? "", /is gone from the group without entering service/);
    });

    it("says what InService means only for a gated group (a stack deployed before the gate)", async () => {
        const { result, lines } = await roll(["Pending", "InService"], member("etcd-a", false));
        assert.strictEqual(result.failed, undefined);
        assert.ok(
            lines.some((l) => l.endsWith(`replacement ${NEW} in service`)),
            lines.join("\n"),
        );
        assert.ok(!lines.some((l) => l.includes("launch hook")));
        const abandoned = await roll(["Pending", "Terminated"], member("etcd-a", false));
        assert.match(abandoned.result.failed?.message ?? "", new RegExp(`replacement ${NEW} is Terminated without entering service, 10 s after it was seen Pending$`));
    });

    it("keeps waiting while the member is not healthy, and on giving up says that InService waits on the member's /health", async () => {
        const asg = new Group(["Pending:Wait"]);
        const result = await executePlan(plan(member("etcd-a", true)), {
            autoscaling: asg,
            kube: noNodes,
            healthGate: healthy,
            clock: instantClock(),
            timeouts: { pollMs: 10_000, replaceMs: 60_000 },
            progress: () => undefined,
        });
        assert.match(
            result.failed?.message ?? "",
            /no replacement instance on launch template version 2 came into service in asg-etcd-a \(an etcd member's instance enters service only once its member answers \/health true: see `journalctl -u k8s-aws-etcd-ready` on it\) \(gave up after 60 s\)/,
        );
    });
});
