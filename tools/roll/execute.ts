/**
 * Carries out a roll plan (plan.ts), step by step, and stops at the first
 * failure: the slots after it are left untouched, and a re-run derives the
 * state again from AWS and the cluster (instances already on the latest
 * version are skipped), so it resumes where it stopped.
 *
 * A control-plane slot: wait until the cluster is healthy (a slot replaced
 * before an interruption may still be booting), cordon and drain its node
 * (evictions, which honour PodDisruptionBudgets), terminate its instance in its
 * group without decrementing the capacity (the group of one launches the
 * replacement from the latest template version, which claims the slot's
 * interface and volume), then wait until the new instance's node is Ready, its
 * etcd member healthy and the health gate passes. An external etcd member: the
 * same without a node; its group's launch lifecycle hook (controlplane/slot.ts
 * launchGate, host/etcdReady.ts) holds the replacement in Pending:Wait until
 * its own member answers /health true, so "in service" there already means
 * "member healthy", and a replacement the hook abandons (terminated without
 * ever entering service) fails the step at once. A pool: an instance refresh with the pool's
 * minHealthyPercentage, skipMatching (instances on the latest version stay).
 */
import { maxHealthyPercentage, INSTANCE_WARMUP_SECONDS } from "../../components/nodepools/capacity";
import { RollPlan, RollStep } from "./plan";
import { AutoScalingPort, Clock, HealthGate, KubePort, REAL_CLOCK } from "./ports";
import type { RolloutGroup } from "./state";

export interface Timeouts {
    /** Draining a node: evictions blocked by a PodDisruptionBudget are retried until then. */
    readonly drainMs: number;
    /** From termination until the replacement is in service and its node Ready. */
    readonly replaceMs: number;
    /** Until the cluster is healthy (health gate, etcd member) after a replacement, or before one. */
    readonly healthyMs: number;
    /** A pool's instance refresh. */
    readonly refreshMs: number;
    /** A pool's new instance in service must have a Ready node within this (warmup + boot). */
    readonly nodeReadyMs: number;
    readonly pollMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { drainMs: 15 * 60_000, replaceMs: 20 * 60_000, healthyMs: 10 * 60_000, refreshMs: 120 * 60_000, nodeReadyMs: 15 * 60_000, pollMs: 10_000 };

export interface ExecutorDeps {
    readonly autoscaling: AutoScalingPort;
    readonly kube: KubePort;
    readonly healthGate: HealthGate;
    readonly clock?: Clock;
    readonly timeouts?: Partial<Timeouts>;
    readonly progress: (line: string) => void;
}

export class RollFailure extends Error {
    constructor(readonly step: string, message: string) {
        super(`${step}: ${message}`);
        this.name = "RollFailure";
    }
}

export interface RollResult {
    readonly done: readonly string[];
    /** The step that failed and why; the steps after it were not started. */
    readonly failed?: { readonly step: string; readonly message: string };
    readonly notStarted: readonly string[];
}

export const stepName = (s: RollStep): string =>
    s.kind === "cluster-config" ? "cluster-wide configuration" : s.kind === "kube-proxy" ? "kube-proxy" : `${s.kind === "refresh-pool" ? "pool" : s.group.role === "etcd" ? "etcd member" : "control-plane slot"} ${s.group.name}`;

export async function executePlan(plan: RollPlan, deps: ExecutorDeps): Promise<RollResult> {
    if (plan.problems.length > 0) throw new Error("internal: a plan with problems is not executed");
    const t = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
    const clock = deps.clock ?? REAL_CLOCK;
    const done: string[] = [];
    for (let i = 0; i < plan.steps.length; i++) {
        const step = plan.steps[i];
        const name = stepName(step);
        deps.progress(`[${i + 1}/${plan.steps.length}] ${name}: starting`);
        try {
            await runStep(step, name, deps, t, clock);
        } catch (e) {
            const message = e instanceof RollFailure ? e.message.slice(name.length + 2) : (e as Error).message;
            deps.progress(`[${i + 1}/${plan.steps.length}] ${name}: FAILED: ${message}`);
            return { done, failed: { step: name, message }, notStarted: plan.steps.slice(i + 1).map(stepName) };
        }
        deps.progress(`[${i + 1}/${plan.steps.length}] ${name}: done`);
        done.push(name);
    }
    return { done, notStarted: [] };
}

/** Polls `probe` until it returns a value, or fails the step with `what` after `ms`. */
async function until<T>(step: string, what: string, ms: number, clock: Clock, pollMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = clock.now() + ms;
    for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (clock.now() >= deadline) throw new RollFailure(step, `${what} (gave up after ${Math.round(ms / 1000)} s)`);
        await clock.sleep(pollMs);
    }
}

async function runStep(step: RollStep, name: string, deps: ExecutorDeps, t: Timeouts, clock: Clock): Promise<void> {
    switch (step.kind) {
        case "cluster-config":
            await deps.kube.setKubeadmKubernetesVersion(step.kubernetesVersion);
            return;
        case "kube-proxy":
            await deps.kube.setKubeProxyImage(step.to);
            return;
        case "replace-slot":
            for (const instance of step.outdated) await replaceSlotInstance(step.group, instance.instanceId, name, deps, t, clock);
            return;
        case "refresh-pool":
            await refreshPool(step.group, name, deps, t, clock);
            return;
    }
}

async function gateHealthy(deps: ExecutorDeps, name: string, what: string, t: Timeouts, clock: Clock): Promise<void> {
    let last = "";
    await until(name, "", t.healthyMs, clock, t.pollMs, async () => {
        const r = await deps.healthGate();
        if (r.healthy) return true;
        last = r.results.filter((x) => !x.ok).map((x) => `${x.check} on ${x.where}: ${x.message}`).join("; ");
        return undefined;
    }).catch((e: unknown) => {
        if (!(e instanceof RollFailure)) throw e;
        throw new RollFailure(name, `${what}: the health gate did not pass within ${Math.round(t.healthyMs / 1000)} s (${last || "unhealthy"})`);
    });
}

/** Lifecycle states of an instance on its way into service (LifecycleState, autoscaling API). */
const LAUNCHING = new Set(["Pending", "Pending:Wait", "Pending:Proceed"]);

/** What a gated group's InService proves, for the progress line. */
const gateMeaning = (g: RolloutGroup): string =>
    g.launchGate ? ` (launch hook ${g.launchGate.hookName} completed: its etcd member answered /health true, i.e. a leader and a linearizable read)` : "";

/**
 * The replacement that came into service, or undefined while none has; throws when one that was
 * launching left without entering service (on a gated group: the hook abandoned it).
 */
function replacementWatcher(g: RolloutGroup, oldInstanceId: string, name: string, deps: ExecutorDeps, clock: Clock) {
    const launching = new Map<string, { state: string; since: number }>();
    const announced = new Set<string>();
    return async (): Promise<string | undefined> => {
        const [group] = await deps.autoscaling.describeGroups([g.groupName]);
        const instances = (group?.instances ?? []).filter((i) => i.instanceId !== oldInstanceId);
        const ready = instances.find((i) => i.lifecycleState === "InService" && i.launchTemplateVersion === g.launchTemplateVersion);
        if (ready) return ready.instanceId;
        for (const [id, seen] of launching) {
            const now = instances.find((i) => i.instanceId === id);
            if (now && LAUNCHING.has(now.lifecycleState)) continue;
            const waited = Math.round((clock.now() - seen.since) / 1000);
            const where = now ? `is ${now.lifecycleState}` : "is gone from the group";
            throw new RollFailure(
                name,
                g.launchGate
                    ? `replacement ${id} ${where} without entering service, ${waited} s after it was seen ${seen.state}: the launch hook ${g.launchGate.hookName} abandoned it, as its etcd member did not answer /health true within ${g.launchGate.heartbeatTimeoutSeconds} s ` +
                          `(see \`journalctl -u k8s-aws-etcd-ready -u etcd\` on it, or the group's scaling activities; the group launches another instance by itself)`
                    : `replacement ${id} ${where} without entering service, ${waited} s after it was seen ${seen.state}`,
            );
        }
        for (const i of instances) {
            if (!LAUNCHING.has(i.lifecycleState) || i.launchTemplateVersion !== g.launchTemplateVersion) continue;
            if (!launching.has(i.instanceId)) launching.set(i.instanceId, { state: i.lifecycleState, since: clock.now() });
            if (g.launchGate && i.lifecycleState === "Pending:Wait" && !announced.has(i.instanceId)) {
                announced.add(i.instanceId);
                deps.progress(`  ${name}: replacement ${i.instanceId} waits in Pending:Wait until its etcd member is healthy (launch hook ${g.launchGate.hookName}, abandoned after ${g.launchGate.heartbeatTimeoutSeconds} s)`);
            }
        }
        return undefined;
    };
}

async function replaceSlotInstance(g: RolloutGroup, instanceId: string, name: string, deps: ExecutorDeps, t: Timeouts, clock: Clock): Promise<void> {
    const { kube, autoscaling, progress } = deps;
    // Never take a slot down while the cluster is not healthy: quorum must hold with this slot gone.
    await gateHealthy(deps, name, "before replacing", t, clock);
    const node = (await kube.nodes()).find((n) => n.instanceId === instanceId);
    if (node) {
        progress(`  ${name}: cordon and drain node ${node.name}`);
        await kube.cordon(node.name);
        await drain(node.name, name, deps, t, clock);
    }
    progress(`  ${name}: terminate ${instanceId} in ${g.groupName} (capacity kept: the group launches the replacement)`);
    await autoscaling.terminateInstance(instanceId);
    const notInService = `no replacement instance on launch template version ${g.launchTemplateVersion} came into service in ${g.groupName}${
        g.launchGate ? ` (an etcd member's instance enters service only once its member answers /health true: see \`journalctl -u k8s-aws-etcd-ready\` on it)` : ""
    }`;
    const replacement = await until(name, notInService, t.replaceMs, clock, t.pollMs, replacementWatcher(g, instanceId, name, deps, clock));
    progress(`  ${name}: replacement ${replacement} in service${gateMeaning(g)}`);
    if (g.role === "control-plane") {
        const ready = await until(name, `the node of ${replacement} did not become Ready`, t.replaceMs, clock, t.pollMs, async () =>
            (await kube.nodes()).find((n) => n.instanceId === replacement && n.ready),
        );
        progress(`  ${name}: node ${ready.name} Ready`);
        await until(name, `the etcd member on ${ready.name} did not become healthy`, t.healthyMs, clock, t.pollMs, async () => ((await kube.etcdMemberHealthy(ready.name)) ? true : undefined));
        progress(`  ${name}: etcd member on ${ready.name} healthy`);
    }
    await gateHealthy(deps, name, `after replacing ${instanceId} with ${replacement}`, t, clock);
}

/** Evicts every pod but DaemonSet and mirror pods, retrying those a PodDisruptionBudget holds, until the node is empty. */
async function drain(nodeName: string, name: string, deps: ExecutorDeps, t: Timeouts, clock: Clock): Promise<void> {
    let blocked: string[] = [];
    await until(name, "", t.drainMs, clock, t.pollMs, async () => {
        const pods = (await deps.kube.podsOn(nodeName)).filter((p) => !p.skip);
        if (pods.length === 0) return true;
        blocked = [];
        for (const p of pods) if ((await deps.kube.evict(p.namespace, p.name)) === "blocked") blocked.push(`${p.namespace}/${p.name}`);
        return undefined;
    }).catch((e: unknown) => {
        if (!(e instanceof RollFailure)) throw e;
        throw new RollFailure(name, `drain of ${nodeName} did not finish within ${Math.round(t.drainMs / 1000)} s${blocked.length > 0 ? `: a PodDisruptionBudget keeps ${blocked.join(", ")}` : ""}`);
    });
}

async function refreshPool(g: RolloutGroup, name: string, deps: ExecutorDeps, t: Timeouts, clock: Clock): Promise<void> {
    const minHealthy = g.minHealthyPercentage ?? 90;
    const id =
        (await deps.autoscaling.activeInstanceRefresh(g.groupName)) ??
        (await deps.autoscaling.startInstanceRefresh(g.groupName, {
            minHealthyPercentage: minHealthy,
            maxHealthyPercentage: maxHealthyPercentage(minHealthy),
            instanceWarmupSeconds: INSTANCE_WARMUP_SECONDS,
            skipMatching: true,
            autoRollback: false,
        }));
    deps.progress(`  ${name}: instance refresh ${id} (at least ${minHealthy}% healthy)`);
    // The refresh itself checks EC2 health only: the roll watches that each new instance's node turns Ready,
    // and cancels the refresh when one does not (an image or user data that cannot join would otherwise roll the whole pool).
    const firstSeen = new Map<string, number>();
    const notReady = async (): Promise<string | undefined> => {
        const [group] = await deps.autoscaling.describeGroups([g.groupName]);
        const nodes = await deps.kube.nodes();
        for (const i of group?.instances ?? []) {
            if (i.lifecycleState !== "InService" || i.launchTemplateVersion !== g.launchTemplateVersion) continue;
            if (nodes.some((n) => n.instanceId === i.instanceId && n.ready)) continue;
            if (!firstSeen.has(i.instanceId)) firstSeen.set(i.instanceId, clock.now());
            if (clock.now() - firstSeen.get(i.instanceId)! >= t.nodeReadyMs) return i.instanceId;
        }
        return undefined;
    };
    await until(name, `instance refresh ${id} of ${g.groupName} did not finish`, t.refreshMs, clock, t.pollMs, async () => {
        const stuck = await notReady();
        if (stuck) {
            await deps.autoscaling.cancelInstanceRefresh(g.groupName);
            throw new RollFailure(name, `the node of ${stuck} (launch template version ${g.launchTemplateVersion}) is not Ready after ${Math.round(t.nodeReadyMs / 1000)} s in service: instance refresh ${id} cancelled`);
        }
        const r = await deps.autoscaling.describeInstanceRefresh(g.groupName, id);
        if (r.status === "Successful") return firstSeen.size === 0 || (await allReady()) ? true : undefined;
        // Statuses of an instance refresh that will not reach Successful (autoscaling API, InstanceRefresh.Status).
        if (["Failed", "Cancelling", "Cancelled", "RollbackInProgress", "RollbackFailed", "RollbackSuccessful"].includes(r.status)) {
            throw new RollFailure(name, `instance refresh ${id} of ${g.groupName} ended ${r.status}${r.reason ? `: ${r.reason}` : ""}`);
        }
        return undefined;
    });

    async function allReady(): Promise<boolean> {
        const [group] = await deps.autoscaling.describeGroups([g.groupName]);
        const nodes = await deps.kube.nodes();
        return (group?.instances ?? []).filter((i) => i.lifecycleState === "InService").every((i) => nodes.some((n) => n.instanceId === i.instanceId && n.ready));
    }
}
