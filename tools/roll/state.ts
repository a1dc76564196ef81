/**
 * What a roll reads: the stack's `rollout` output (components/rollout.ts) and
 * the live state of the groups and the cluster. Plain data, so that the plan
 * (plan.ts) is a pure function of it.
 */
import type { Rollout, RolloutGroup } from "../../components/rollout";

export type { Rollout, RolloutGroup };

/** One instance of a group, as DescribeAutoScalingGroups reports it (AutoScalingGroup.Instances[]). */
export interface LiveInstance {
    readonly instanceId: string;
    /** Pending, InService, Terminating, ... (LifecycleState). */
    readonly lifecycleState: string;
    /** Healthy or Unhealthy. */
    readonly healthStatus: string;
    readonly instanceType?: string;
    /** LaunchTemplate.Version of the instance: the version it was launched from. */
    readonly launchTemplateVersion?: string;
    readonly launchTemplateId?: string;
}

export interface LiveGroup {
    readonly groupName: string;
    readonly desiredCapacity: number;
    readonly instances: readonly LiveInstance[];
    /** An instance refresh is Pending or InProgress (DescribeInstanceRefreshes). */
    readonly refreshInProgress?: boolean;
    /** The roll's termination lifecycle hook is on the group (DescribeLifecycleHooks): a roll stopped mid-refresh. */
    readonly drainHook?: boolean;
}

/** One launch template version's data (DescribeLaunchTemplateVersions), for saying why an instance rolls. */
export interface TemplateVersionData {
    readonly imageId?: string;
    readonly instanceType?: string;
    /** sha256 of the user data as EC2 holds it (base64 text). */
    readonly userDataSha256?: string;
}

/** A Node as the API server reports it. */
export interface LiveNode {
    readonly name: string;
    /** From spec.providerID `aws:///<zone>/<instance id>`. */
    readonly instanceId?: string;
    /** status.nodeInfo.kubeletVersion, e.g. v1.35.9. */
    readonly kubeletVersion: string;
    readonly ready: boolean;
    readonly unschedulable?: boolean;
}

export interface LiveCluster {
    /** GET /version gitVersion of the API server answering (v1.35.9). */
    readonly apiServerVersion?: string;
    /** ClusterConfiguration.kubernetesVersion in ConfigMap kube-system/kubeadm-config, what `kubeadm join --control-plane` deploys. */
    readonly kubeadmKubernetesVersion?: string;
    /** The kube-proxy DaemonSet's image (kube-system/kube-proxy), absent when kube-proxy is not deployed. */
    readonly kubeProxyImage?: string;
    /** The CoreDNS Deployment's image (kube-system/coredns, container coredns), absent when CoreDNS is not deployed. */
    readonly coreDnsImage?: string;
    /** kubeadm's RBAC objects (tools/roll/kube.ts KUBEADM_RBAC keys) the cluster lacks; absent when not read. */
    readonly missingKubeadmRbac?: readonly string[];
    /** ConfigMap kube-system/kubelet-config exists (every kubeadm join downloads it); absent when not read. */
    readonly kubeletConfigPresent?: boolean;
    readonly nodes: readonly LiveNode[];
}

export interface LiveState {
    /** By group name; a group the stack names but AWS does not know is absent. */
    readonly groups: Readonly<Record<string, LiveGroup>>;
    /** By `<launch template id>:<version>`. */
    readonly templateVersions?: Readonly<Record<string, TemplateVersionData>>;
    readonly cluster?: LiveCluster;
}

export const templateVersionKey = (id: string, version: string) => `${id}:${version}`;

/** `aws:///eu-west-1a/i-0123...` -> `i-0123...` (the AWS cloud provider's providerID). */
export function instanceIdOfProviderId(providerId: string | undefined): string | undefined {
    return providerId ? /^aws:\/\/\/[^/]*\/(i-[0-9a-f]+)$/.exec(providerId)?.[1] : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The `rollout` stack output, checked; undefined when the outputs have none (a stack deployed by an earlier version). */
export function rolloutOf(outputs: Record<string, unknown>): Rollout | undefined {
    const r = outputs.rollout;
    if (!isObject(r) || typeof r.kubernetesVersion !== "string" || !Array.isArray(r.groups)) return undefined;
    const ok = r.groups.every(
        (g) =>
            isObject(g) &&
            ["control-plane", "etcd", "pool"].includes(String(g.role)) &&
            typeof g.groupName === "string" &&
            typeof g.launchTemplateId === "string" &&
            typeof g.launchTemplateVersion === "string",
    );
    return ok ? (r as unknown as Rollout) : undefined;
}
