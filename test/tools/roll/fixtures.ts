/**
 * Roll fixtures: the stacks' real `rollout` outputs (the program under the mock
 * runtime), and a live state built from them as DescribeAutoScalingGroups and
 * the API server would report a cluster deployed from them.
 */
import { readStackFile, StackFile } from "../../../tools/offline/stackFile";
import { runStack } from "../../../tools/offline/run";
import { PINNED_NOW, PINNED_SEED } from "../../support/harness";
import type { Rollout } from "../../../components/rollout";
import { LiveGroup, LiveNode, LiveState, TemplateVersionData, templateVersionKey } from "../../../tools/roll/state";

export function editedStack(stack: string, edit: (cluster: any) => void): StackFile {
    const file = readStackFile(stack);
    const cluster = JSON.parse(file.config["k8s-aws:cluster"]);
    edit(cluster);
    return { ...file, config: { ...file.config, "k8s-aws:cluster": JSON.stringify(cluster) } };
}

export async function rolloutOfStack(file: StackFile): Promise<Rollout> {
    return (await runStack(file, { seed: PINNED_SEED, now: PINNED_NOW })).outputs.rollout as Rollout;
}

/**
 * The rollout after a second `pulumi up`: the provider makes a new launch template version
 * (latest + 1) where the template data changed (the fingerprint), and keeps it where not.
 */
export function redeployed(before: Rollout, after: Rollout): Rollout {
    const old = new Map(before.groups.map((g) => [`${g.role}/${g.name}`, g]));
    return {
        ...after,
        groups: after.groups.map((g) => {
            const was = old.get(`${g.role}/${g.name}`)!;
            return {
                ...g,
                launchTemplateId: was.launchTemplateId,
                groupName: was.groupName,
                launchTemplateVersion: was.templateFingerprint === g.templateFingerprint ? was.launchTemplateVersion : String(Number(was.launchTemplateVersion) + 1),
            };
        }),
    };
}

/** Per group: how many instances (slots 1, pools `poolSize`), each launched from `version` (default: the group's latest). */
export function liveFrom(
    rollout: Rollout,
    opts: { version?: (groupName: string) => string; kubelet: string; poolSize?: number; instanceType?: string; templates?: Record<string, TemplateVersionData> },
): LiveState {
    const groups: Record<string, LiveGroup> = {};
    const nodes: LiveNode[] = [];
    let n = 0;
    for (const g of rollout.groups) {
        const count = g.role === "pool" ? (opts.poolSize ?? 2) : 1;
        const instances = Array.from({ length: count }, () => {
            const instanceId = `i-${(++n).toString(16).padStart(17, "0")}`;
            if (g.role !== "etcd") nodes.push({ name: `ip-10-0-0-${n}.eu-west-1.compute.internal`, instanceId, kubeletVersion: opts.kubelet, ready: true });
            return {
                instanceId,
                lifecycleState: "InService",
                healthStatus: "Healthy",
                launchTemplateId: g.launchTemplateId,
                launchTemplateVersion: opts.version?.(g.groupName) ?? g.launchTemplateVersion,
                instanceType: opts.instanceType ?? "m7i.large",
            };
        });
        groups[g.groupName] = { groupName: g.groupName, desiredCapacity: count, instances };
    }
    return {
        groups,
        templateVersions: opts.templates,
        cluster: { apiServerVersion: opts.kubelet, kubeadmKubernetesVersion: opts.kubelet, kubeProxyImage: `registry.k8s.io/kube-proxy:${opts.kubelet}`, nodes },
    };
}

export { templateVersionKey };
