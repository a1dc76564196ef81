/**
 * What the executor needs from the world, as narrow interfaces (one per
 * service, only the calls it makes), so that it runs against AWS and the API
 * server in use and against moto and a real loopback API server in tests.
 */
import type { LiveCluster, LiveGroup, LiveNode, TemplateVersionData } from "./state";

export interface AutoScalingPort {
    /** DescribeAutoScalingGroups (+ DescribeInstanceRefreshes for refreshInProgress). */
    describeGroups(names: readonly string[]): Promise<LiveGroup[]>;
    /** TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity false: the group launches the replacement. */
    terminateInstance(instanceId: string): Promise<void>;
    /** StartInstanceRefresh; returns its id. */
    startInstanceRefresh(groupName: string, preferences: RefreshPreferences): Promise<string>;
    /** The refresh's Status (Pending, InProgress, Successful, Failed, Cancelled, ...) and percentage done. */
    describeInstanceRefresh(groupName: string, refreshId: string): Promise<{ status: string; percentageComplete?: number; reason?: string }>;
    /** CancelInstanceRefresh: stops further replacements (those done stay). */
    cancelInstanceRefresh(groupName: string): Promise<void>;
    /** The latest refresh of the group that is Pending or InProgress, if any (a roll interrupted while a pool refreshed). */
    activeInstanceRefresh(groupName: string): Promise<string | undefined>;
    /** DescribeLifecycleHooks for one hook name; undefined when the group has no hook of that name. */
    describeLifecycleHook(groupName: string, hookName: string): Promise<LifecycleHook | undefined>;
    /** PutLifecycleHook (creates or updates) with LifecycleTransition autoscaling:EC2_INSTANCE_TERMINATING and no notification target. */
    putTerminationLifecycleHook(groupName: string, hookName: string, spec: TerminationHookSpec): Promise<void>;
    /** DeleteLifecycleHook: AWS completes outstanding actions first (CONTINUE for terminating instances). */
    deleteLifecycleHook(groupName: string, hookName: string): Promise<void>;
    /** RecordLifecycleActionHeartbeat by instance id: restarts the hook's heartbeat timeout for that instance. */
    recordLifecycleActionHeartbeat(groupName: string, hookName: string, instanceId: string): Promise<void>;
    /** CompleteLifecycleAction by instance id: the instance leaves Terminating:Wait. */
    completeLifecycleAction(groupName: string, hookName: string, instanceId: string, result: LifecycleActionResult): Promise<void>;
}

/** For a termination hook both results terminate the instance; ABANDON also skips the group's other termination hooks. */
export type LifecycleActionResult = "CONTINUE" | "ABANDON";

export interface TerminationHookSpec {
    /** 30..7200 s (PutLifecycleHook). */
    readonly heartbeatTimeoutSeconds: number;
    /** What AWS does when the heartbeat timeout elapses (a roll that crashed mid-drain). */
    readonly defaultResult: LifecycleActionResult;
}

export interface LifecycleHook extends TerminationHookSpec {
    readonly transition: string;
}

export interface RefreshPreferences {
    readonly minHealthyPercentage: number;
    readonly maxHealthyPercentage: number;
    readonly instanceWarmupSeconds: number;
    readonly skipMatching: true;
    readonly autoRollback: false;
}

export interface Ec2Port {
    /** DescribeLaunchTemplateVersions, for the reasons of a plan. */
    templateVersions(launchTemplateId: string, versions: readonly string[]): Promise<Record<string, TemplateVersionData>>;
}

/** A pod on a node being drained. */
export interface PodRef {
    readonly namespace: string;
    readonly name: string;
    /** Owned by a DaemonSet, or a mirror pod (static pod): not evicted, as `kubectl drain --ignore-daemonsets` does. */
    readonly skip: boolean;
    /**
     * What evicting it loses, which `kubectl drain` refuses without `--force` / `--delete-emptydir-data`: no
     * controller recreates it; its emptyDir data. The roll evicts such pods anyway and says so in its progress, as
     * kops and Cluster API do: kops sets Force and DeleteEmptyDirData (kubernetes/kops@v1.36.2
     * pkg/instancegroups/instancegroups.go drainNode); Cluster API drains them with a warning
     * (kubernetes-sigs/cluster-api@v1.14.0 core/reconcilers/machine/drain/filters.go localStorageFilter, unreplicatedFilter).
     */
    readonly loses?: readonly string[];
}

export type EvictionResult = "evicted" | "gone" | "blocked";

/** An eviction's answer; when blocked, the PodDisruptionBudget the API server named (its 429's DisruptionBudget cause). */
export interface Eviction {
    readonly result: EvictionResult;
    readonly budget?: string;
}

export interface KubePort {
    cluster(): Promise<LiveCluster>;
    nodes(): Promise<LiveNode[]>;
    cordon(nodeName: string): Promise<void>;
    podsOn(nodeName: string): Promise<PodRef[]>;
    /** POST pods/<name>/eviction (policy/v1): 429 when a PodDisruptionBudget forbids it now -> "blocked", with the budget's name. */
    evict(namespace: string, name: string): Promise<Eviction>;
    /** The stacked etcd member on this node is healthy (its etcd static pod Ready). */
    etcdMemberHealthy(nodeName: string): Promise<boolean>;
    setKubeadmKubernetesVersion(version: string): Promise<void>;
    setKubeProxyImage(image: string): Promise<void>;
    /** Creates those of kubeadm's RBAC objects (tools/roll/kube.ts KUBEADM_RBAC keys) that do not exist; an existing one is left as it is. */
    createKubeadmRbac(keys: readonly string[]): Promise<void>;
    /** Sets the coredns container's image in Deployment kube-system/coredns. */
    setCoreDnsImage(image: string): Promise<void>;
}

/** The contract of `npm run validate` (issue 20: tools/validate/validate.ts validateCluster). */
export interface HealthResult {
    readonly healthy: boolean;
    readonly results: readonly { readonly check: string; readonly where: string; readonly ok: boolean; readonly message: string }[];
}
export type HealthGate = () => Promise<HealthResult>;

export interface Clock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

export const REAL_CLOCK: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
