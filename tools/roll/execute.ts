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
 * minHealthyPercentage, skipMatching (instances on the latest version stay),
 * behind a termination lifecycle hook the roll puts on the group for the
 * refresh's duration, so that each instance the refresh terminates waits in
 * Terminating:Wait until the roll has drained its node (refreshPool below).
 */
import { maxHealthyPercentage, INSTANCE_WARMUP_SECONDS } from "../../components/nodepools/capacity";
import { RollPlan, RollStep } from "./plan";
import { AutoScalingPort, Clock, HealthGate, KubePort, REAL_CLOCK, TerminationHookSpec } from "./ports";
import type { LiveGroup, LiveNode, RolloutGroup } from "./state";

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
    /**
     * Aborted on Ctrl-C (tools/roll/index.ts): the roll stops at its next poll and starts no further step. A pool
     * refresh is cancelled first, and the instances it has already taken are drained before their lifecycle
     * actions complete (they terminate whatever the roll does), then the drain hook is removed, as on any failure.
     */
    readonly signal?: AbortSignal;
}

export const INTERRUPTED = "interrupted (Ctrl-C)";

export class RollFailure extends Error {
    constructor(
        readonly step: string,
        message: string,
    ) {
        super(`${step}: ${message}`);
        this.name = "RollFailure";
    }
}

/** The roll was interrupted (ExecutorDeps.signal): passed through unchanged, never reworded as a timeout. */
export class Interrupted extends RollFailure {
    constructor(step: string) {
        super(step, INTERRUPTED);
        this.name = "Interrupted";
    }
}

export interface RollResult {
    readonly done: readonly string[];
    /** The step that failed and why; the steps after it were not started. */
    readonly failed?: { readonly step: string; readonly message: string };
    readonly notStarted: readonly string[];
}

export const stepName = (s: RollStep): string =>
    s.kind === "cluster-config"
        ? "cluster-wide configuration"
        : s.kind === "kube-proxy"
          ? "kube-proxy"
          : s.kind === "coredns"
            ? "CoreDNS"
            : `${s.kind === "refresh-pool" ? "pool" : s.group.role === "etcd" ? "etcd member" : "control-plane slot"} ${s.group.name}`;

export async function executePlan(plan: RollPlan, deps: ExecutorDeps): Promise<RollResult> {
    if (plan.problems.length > 0) throw new Error("internal: a plan with problems is not executed");
    const t = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
    const clock = deps.clock ?? REAL_CLOCK;
    const done: string[] = [];
    for (let i = 0; i < plan.steps.length; i++) {
        const step = plan.steps[i];
        const name = stepName(step);
        if (deps.signal?.aborted) {
            deps.progress(`[${i + 1}/${plan.steps.length}] ${name}: not started: ${INTERRUPTED}`);
            return { done, failed: { step: name, message: `not started: ${INTERRUPTED}` }, notStarted: plan.steps.slice(i + 1).map(stepName) };
        }
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

/** Polls `probe` until it returns a value, or fails the step with `what` after `ms` (or at once when `signal` is aborted). */
async function until<T>(step: string, what: string, ms: number, clock: Clock, pollMs: number, probe: () => Promise<T | undefined>, signal?: AbortSignal): Promise<T> {
    const deadline = clock.now() + ms;
    for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (signal?.aborted) throw new Interrupted(step);
        if (clock.now() >= deadline) throw new RollFailure(step, `${what} (gave up after ${Math.round(ms / 1000)} s)`);
        await clock.sleep(pollMs);
    }
}

async function runStep(step: RollStep, name: string, deps: ExecutorDeps, t: Timeouts, clock: Clock): Promise<void> {
    switch (step.kind) {
        case "cluster-config":
            // RBAC first: a slot replaced after an interruption between the two must find its join's permissions.
            if (step.createRbac.length > 0) await deps.kube.createKubeadmRbac(step.createRbac);
            if (step.setKubernetesVersion) await deps.kube.setKubeadmKubernetesVersion(step.kubernetesVersion);
            return;
        case "coredns":
            await deps.kube.setCoreDnsImage(step.to);
            return;
        case "kube-proxy":
            await deps.kube.setKubeProxyImage(step.to);
            return;
        case "replace-slot":
            for (const instance of step.outdated) await replaceSlotInstance(step.group, instance.instanceId, name, deps, t, clock);
            return;
        case "refresh-pool":
            await refreshPool(step.group, step.outdated.length, name, deps, t, clock);
            return;
    }
}

async function gateHealthy(deps: ExecutorDeps, name: string, what: string, t: Timeouts, clock: Clock): Promise<void> {
    let last = "";
    await until(
        name,
        "",
        t.healthyMs,
        clock,
        t.pollMs,
        async () => {
            const r = await deps.healthGate();
            if (r.healthy) return true;
            last = r.results
                .filter((x) => !x.ok)
                .map((x) => `${x.check} on ${x.where}: ${x.message}`)
                .join("; ");
            return undefined;
        },
        deps.signal,
    ).catch((e: unknown) => {
        if (!(e instanceof RollFailure) || e instanceof Interrupted) throw e;
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
                deps.progress(
                    `  ${name}: replacement ${i.instanceId} waits in Pending:Wait until its etcd member is healthy (launch hook ${g.launchGate.hookName}, abandoned after ${g.launchGate.heartbeatTimeoutSeconds} s)`,
                );
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
        await noteLosses(node.name, name, deps);
        await drain(node.name, name, deps, t, clock);
    }
    progress(`  ${name}: terminate ${instanceId} in ${g.groupName} (capacity kept: the group launches the replacement)`);
    await autoscaling.terminateInstance(instanceId);
    const notInService = `no replacement instance on launch template version ${g.launchTemplateVersion} came into service in ${g.groupName}${
        g.launchGate ? ` (an etcd member's instance enters service only once its member answers /health true: see \`journalctl -u k8s-aws-etcd-ready\` on it)` : ""
    }`;
    const replacement = await until(name, notInService, t.replaceMs, clock, t.pollMs, replacementWatcher(g, instanceId, name, deps, clock), deps.signal);
    progress(`  ${name}: replacement ${replacement} in service${gateMeaning(g)}`);
    if (g.role === "control-plane") {
        const ready = await until(
            name,
            `the node of ${replacement} did not become Ready`,
            t.replaceMs,
            clock,
            t.pollMs,
            async () => (await kube.nodes()).find((n) => n.instanceId === replacement && n.ready),
            deps.signal,
        );
        progress(`  ${name}: node ${ready.name} Ready`);
        await until(
            name,
            `the etcd member on ${ready.name} did not become healthy`,
            t.healthyMs,
            clock,
            t.pollMs,
            async () => ((await kube.etcdMemberHealthy(ready.name)) ? true : undefined),
            deps.signal,
        );
        progress(`  ${name}: etcd member on ${ready.name} healthy`);
    }
    await gateHealthy(deps, name, `after replacing ${instanceId} with ${replacement}`, t, clock);
}

/**
 * One eviction pass over a node: every pod but DaemonSet and mirror pods. Undefined when none is
 * left; else what a PodDisruptionBudget refused this time ("ns/pod" and, when the API server named
 * it, the budget).
 */
/** One progress line per pod whose eviction loses something (PodRef.loses), before the drain evicts it. */
async function noteLosses(nodeName: string, name: string, deps: ExecutorDeps): Promise<void> {
    for (const p of (await deps.kube.podsOn(nodeName)).filter((x) => !x.skip && (x.loses?.length ?? 0) > 0)) {
        deps.progress(`  ${name}: note: evicting ${p.namespace}/${p.name} from ${nodeName}: ${p.loses!.join("; ")}`);
    }
}

async function evictPass(nodeName: string, kube: KubePort): Promise<string[] | undefined> {
    const pods = (await kube.podsOn(nodeName)).filter((p) => !p.skip);
    if (pods.length === 0) return undefined;
    const blocked: string[] = [];
    for (const p of pods) {
        const e = await kube.evict(p.namespace, p.name);
        if (e.result === "blocked") blocked.push(e.budget ? `PodDisruptionBudget ${p.namespace}/${e.budget} keeps ${p.namespace}/${p.name}` : `a PodDisruptionBudget keeps ${p.namespace}/${p.name}`);
    }
    return blocked;
}

/** Evicts every pod but DaemonSet and mirror pods, retrying those a PodDisruptionBudget holds, until the node is empty. */
async function drain(nodeName: string, name: string, deps: ExecutorDeps, t: Timeouts, clock: Clock): Promise<void> {
    let blocked: string[] = [];
    await until(
        name,
        "",
        t.drainMs,
        clock,
        t.pollMs,
        async () => {
            const left = await evictPass(nodeName, deps.kube);
            if (left === undefined) return true;
            blocked = left;
            return undefined;
        },
        deps.signal,
    ).catch((e: unknown) => {
        if (!(e instanceof RollFailure) || e instanceof Interrupted) throw e;
        throw new RollFailure(name, `drain of ${nodeName} did not finish within ${Math.round(t.drainMs / 1000)} s${blocked.length > 0 ? `: ${blocked.join(", ")}` : ""}`);
    });
}

/**
 * The termination lifecycle hook a pool's refresh runs behind, drained the way
 * aws-node-termination-handler's queue mode drains on one (cordon and drain, heartbeats while it
 * takes long, then CompleteLifecycleAction CONTINUE: aws/aws-node-termination-handler@v1.25.6
 * pkg/monitor/sqsevent/asg-lifecycle-event.go). Auto Scaling holds every instance it terminates,
 * the refresh's included, in Terminating:Wait until the hook's action completes
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html, "Lifecycle hook
 * availability": instance refresh replacements; lifecycle-hooks-overview.html).
 * HeartbeatTimeout is the drain timeout (PutLifecycleHook allows 30..7200 s): the roll records a
 * heartbeat at half of it while a drain waits on a PodDisruptionBudget, so only a roll that has
 * stopped lets it elapse. DefaultResult CONTINUE: a roll killed mid-drain leaves each waiting instance
 * to terminate one timeout later, instead of wedging the group (ABANDON would also terminate it, and
 * skip the group's other termination hooks).
 */
export const DRAIN_HOOK_NAME = "k8s-aws-roll-drain";

export function drainHookSpec(drainMs: number): TerminationHookSpec {
    return { heartbeatTimeoutSeconds: Math.min(7200, Math.max(30, Math.ceil(drainMs / 1000))), defaultResult: "CONTINUE" };
}

/** The LifecycleState of an instance a termination hook holds (autoscaling API, Instance.LifecycleState). */
const TERMINATING_WAIT = "Terminating:Wait";
/** Statuses of an instance refresh that will not reach Successful (autoscaling API, InstanceRefresh.Status). */
const REFRESH_ENDED = ["Failed", "Cancelling", "Cancelled", "RollbackInProgress", "RollbackFailed", "RollbackSuccessful"];

/** A drain of an instance the refresh took that did not finish in time. */
class DrainTimeout extends RollFailure {}

interface Waiting {
    readonly since: number;
    lastBeat: number;
    readonly node?: string;
    blocked: string[];
}

/**
 * Drains the nodes of instances the hook holds in Terminating:Wait, one eviction pass per poll, and
 * completes each one's lifecycle action (CONTINUE) once its node is empty: drain, then complete.
 */
class HookDrainer {
    readonly waiting = new Map<string, Waiting>();
    private readonly completed = new Set<string>();
    constructor(
        private readonly g: RolloutGroup,
        private readonly name: string,
        private readonly deps: ExecutorDeps,
        private readonly t: Timeouts,
        private readonly clock: Clock,
        private readonly heartbeatMs: number,
    ) {}

    async poll(group: LiveGroup | undefined, nodes: readonly LiveNode[]): Promise<void> {
        const { autoscaling: asg, kube, progress } = this.deps;
        const held = (group?.instances ?? []).filter((i) => i.lifecycleState === TERMINATING_WAIT && !this.completed.has(i.instanceId)).map((i) => i.instanceId);
        for (const id of [...this.waiting.keys()]) {
            if (held.includes(id)) continue;
            // Left the wait without the roll: someone completed it, or the heartbeat timeout elapsed.
            progress(`  ${this.name}: ${id} left Terminating:Wait before its drain finished`);
            this.waiting.delete(id);
        }
        for (const id of held) {
            const now = this.clock.now();
            let w = this.waiting.get(id);
            if (!w) {
                const node = nodes.find((n) => n.instanceId === id)?.name;
                // The wait began up to one poll ago: count the heartbeat timeout from then.
                w = { since: now, lastBeat: now - this.t.pollMs, node, blocked: [] };
                this.waiting.set(id, w);
                if (node) {
                    progress(`  ${this.name}: ${id} is in Terminating:Wait: cordon and drain node ${node}`);
                    await kube.cordon(node);
                    await noteLosses(node, this.name, this.deps);
                } else progress(`  ${this.name}: ${id} is in Terminating:Wait and has no node: nothing to drain`);
            }
            const blocked = w.node ? await evictPass(w.node, kube) : undefined;
            if (blocked === undefined) {
                await asg.completeLifecycleAction(this.g.groupName, DRAIN_HOOK_NAME, id, "CONTINUE");
                this.waiting.delete(id);
                this.completed.add(id);
                progress(`  ${this.name}: ${w.node ? `node ${w.node} drained` : "no node"}: lifecycle action of ${id} completed (CONTINUE), the refresh terminates it`);
                continue;
            }
            w.blocked = blocked;
            if (now - w.since >= this.t.drainMs) {
                throw new DrainTimeout(
                    this.name,
                    `drain of ${w.node} (instance ${id}, terminating in the refresh) did not finish within ${Math.round(this.t.drainMs / 1000)} s${blocked.length > 0 ? `: ${blocked.join(", ")}` : ""}`,
                );
            }
            if (now - w.lastBeat >= this.heartbeatMs / 2) {
                // The drain waits on a budget: keep the instance in Terminating:Wait (the timeout restarts).
                await asg.recordLifecycleActionHeartbeat(this.g.groupName, DRAIN_HOOK_NAME, id);
                w.lastBeat = now;
            }
        }
    }
}

/**
 * A pool: the drain hook on the group (reused when a roll interrupted mid-refresh left it), then the
 * refresh (the one still running, or a new one), watched until it succeeds: instances it terminates
 * are drained first (HookDrainer), and each new instance's node must turn Ready. When the step fails,
 * the refresh is cancelled (nothing would drain what it terminates next), the instances still held
 * are completed with CONTINUE (they terminate either way: the roll will not drain them, and CONTINUE
 * lets the group's other termination hooks run, where ABANDON would skip them; DeleteLifecycleHook
 * would complete them with CONTINUE too). Either way the hook is deleted at the end, so that
 * cluster-autoscaler's scale-ins do not wait on it.
 */
async function refreshPool(g: RolloutGroup, outdated: number, name: string, deps: ExecutorDeps, t: Timeouts, clock: Clock): Promise<void> {
    const { autoscaling: asg, progress } = deps;
    const minHealthy = g.minHealthyPercentage ?? 90;
    const spec = drainHookSpec(t.drainMs);
    const hook = await asg.describeLifecycleHook(g.groupName, DRAIN_HOOK_NAME);
    if (hook && hook.transition === "autoscaling:EC2_INSTANCE_TERMINATING" && hook.heartbeatTimeoutSeconds === spec.heartbeatTimeoutSeconds && hook.defaultResult === spec.defaultResult) {
        progress(`  ${name}: termination lifecycle hook ${DRAIN_HOOK_NAME} already on ${g.groupName} (left by an interrupted roll): reused`);
    } else {
        await asg.putTerminationLifecycleHook(g.groupName, DRAIN_HOOK_NAME, spec);
        progress(
            `  ${name}: termination lifecycle hook ${DRAIN_HOOK_NAME} on ${g.groupName} (heartbeat timeout ${spec.heartbeatTimeoutSeconds} s, default result ${spec.defaultResult}): each instance the refresh terminates waits until its node is drained`,
        );
    }
    const drainer = new HookDrainer(g, name, deps, t, clock, spec.heartbeatTimeoutSeconds * 1000);
    let id: string | undefined;
    let active = false;
    let failure: unknown;
    try {
        id = await asg.activeInstanceRefresh(g.groupName);
        // Nothing left to replace and no refresh running: only what an interrupted roll left behind (instances the hook holds).
        if (id === undefined && outdated === 0) await finishDrains();
        else await watch();
    } catch (e) {
        failure = e;
    }
    const notes: string[] = [];
    if (failure !== undefined && id !== undefined && active) {
        // Stop the refresh before the hook goes: nothing would drain what it terminates next.
        notes.push(
            await asg.cancelInstanceRefresh(g.groupName).then(
                () => `instance refresh ${id} cancelled`,
                (e: Error) => `instance refresh ${id} NOT cancelled (${e.message}): cancel it with aws autoscaling cancel-instance-refresh --auto-scaling-group-name ${g.groupName}`,
            ),
        );
    }
    if (failure !== undefined && !(failure instanceof DrainTimeout)) await finishDrains().catch((e: Error) => notes.push(e.message.slice(name.length + 2)));
    for (const [instanceId, w] of drainer.waiting) {
        notes.push(
            await asg.completeLifecycleAction(g.groupName, DRAIN_HOOK_NAME, instanceId, "CONTINUE").then(
                () => `lifecycle action of ${instanceId} completed with CONTINUE: it terminates with ${w.blocked.length > 0 ? "the pods above" : "what its node still runs"}`,
                (e: Error) => `lifecycle action of ${instanceId} not completed (${e.message})`,
            ),
        );
    }
    return removeHook(failure, notes);

    async function watch(): Promise<void> {
        id ??= await asg.startInstanceRefresh(g.groupName, {
            minHealthyPercentage: minHealthy,
            maxHealthyPercentage: maxHealthyPercentage(minHealthy),
            instanceWarmupSeconds: INSTANCE_WARMUP_SECONDS,
            skipMatching: true,
            autoRollback: false,
        });
        active = true;
        progress(`  ${name}: instance refresh ${id} (at least ${minHealthy}% healthy)`);
        const refreshId = id;
        // The refresh itself checks EC2 health only: the roll watches that each new instance's node turns Ready,
        // and cancels the refresh when one does not (an image or user data that cannot join would otherwise roll the whole pool).
        const firstSeen = new Map<string, number>();
        await until(
            name,
            `instance refresh ${refreshId} of ${g.groupName} did not finish`,
            t.refreshMs,
            clock,
            t.pollMs,
            async () => {
                const [group] = await asg.describeGroups([g.groupName]);
                const nodes = await deps.kube.nodes();
                await drainer.poll(group, nodes);
                for (const i of group?.instances ?? []) {
                    if (i.lifecycleState !== "InService" || i.launchTemplateVersion !== g.launchTemplateVersion) continue;
                    if (nodes.some((n) => n.instanceId === i.instanceId && n.ready)) continue;
                    if (!firstSeen.has(i.instanceId)) firstSeen.set(i.instanceId, clock.now());
                    if (clock.now() - firstSeen.get(i.instanceId)! >= t.nodeReadyMs) {
                        throw new RollFailure(
                            name,
                            `the node of ${i.instanceId} (launch template version ${g.launchTemplateVersion}) is not Ready after ${Math.round(t.nodeReadyMs / 1000)} s in service`,
                        );
                    }
                }
                const r = await asg.describeInstanceRefresh(g.groupName, refreshId);
                if (r.status === "Successful") {
                    active = false;
                    return firstSeen.size === 0 || (await allReady()) ? true : undefined;
                }
                if (REFRESH_ENDED.includes(r.status)) {
                    active = false;
                    throw new RollFailure(name, `instance refresh ${refreshId} of ${g.groupName} ended ${r.status}${r.reason ? `: ${r.reason}` : ""}`);
                }
                return undefined;
            },
            deps.signal,
        );
    }

    /** The instances already held terminate whatever the roll does: their drains finish first (each within the drain timeout). */
    async function finishDrains(): Promise<void> {
        const [group] = await asg.describeGroups([g.groupName]);
        await drainer.poll(group, await deps.kube.nodes());
        if (drainer.waiting.size === 0) return;
        progress(`  ${name}: finishing the drain of ${[...drainer.waiting.keys()].join(", ")} (already taken by the refresh)`);
        await until(name, "", t.drainMs, clock, t.pollMs, async () => {
            const [again] = await asg.describeGroups([g.groupName]);
            await drainer.poll(again, await deps.kube.nodes());
            return drainer.waiting.size === 0 ? true : undefined;
        });
    }

    /** DeleteLifecycleHook last (AWS completes what is still held with CONTINUE); a hook left behind is an error the operator must see. */
    async function removeHook(failed: unknown, notes: string[] = []): Promise<void> {
        const left = await asg.deleteLifecycleHook(g.groupName, DRAIN_HOOK_NAME).then(
            () => undefined,
            (e: Error) =>
                `the termination lifecycle hook ${DRAIN_HOOK_NAME} is still on ${g.groupName} (${e.message}): remove it with aws autoscaling delete-lifecycle-hook --auto-scaling-group-name ${g.groupName} --lifecycle-hook-name ${DRAIN_HOOK_NAME}`,
        );
        if (left) notes.push(left);
        else progress(`  ${name}: termination lifecycle hook ${DRAIN_HOOK_NAME} removed from ${g.groupName}`);
        if (failed === undefined) {
            if (left) throw new RollFailure(name, left);
            return;
        }
        if (!(failed instanceof RollFailure) || notes.length === 0) throw failed;
        throw new RollFailure(name, `${failed.message.slice(name.length + 2)}: ${notes.join("; ")}`);
    }

    async function allReady(): Promise<boolean> {
        const [group] = await asg.describeGroups([g.groupName]);
        const nodes = await deps.kube.nodes();
        return (group?.instances ?? []).filter((i) => i.lifecycleState === "InService").every((i) => nodes.some((n) => n.instanceId === i.instanceId && n.ready));
    }
}
