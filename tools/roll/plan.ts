/**
 * The roll plan: a pure function from the stack's `rollout` output and the
 * live state to the ordered steps that bring the cluster to its launch
 * templates, kops `rolling-update cluster` and Cluster API's order:
 *
 * 1. cluster-wide configuration the new version needs before any machine is
 *    replaced, as Cluster API's KubeadmControlPlane does first in
 *    updateControlPlane (kubernetes-sigs/cluster-api@v1.14.0:controlplane/kubeadm/
 *    reconcilers/kubeadmcontrolplane/update.go: EnsureKubeadmPermissions, then
 *    UpdateClusterConfiguration): ClusterConfiguration.kubernetesVersion in
 *    ConfigMap kube-system/kubeadm-config, which every replacement's
 *    `kubeadm join --control-plane` reads to write its static pods (left at the
 *    old version, a new slot would come back running the old control plane),
 *    and kubeadm's RBAC objects the cluster lacks (kube.ts KUBEADM_RBAC). The
 *    kubelet-config ConfigMap stays: kubeadm writes the same document at every
 *    pinned minor (test/real/rollClusterConfig.spec.ts runs each real kubeadm);
 * 2. control-plane slots, one at a time (HA apiservers within one minor of
 *    each other: https://kubernetes.io/releases/version-skew-policy/);
 * 3. external etcd members, one at a time (quorum keeps all but one);
 * 4. kubeadm's addons, once every apiserver runs the new version, as kubeadm
 *    (kubernetes/kubernetes@v1.36.4:cmd/kubeadm/app/cmd/phases/upgrade/addons.go
 *    shouldUpgradeAddons skips them while a control-plane instance is not
 *    upgraded) and Cluster API (UpdateKubeProxyImageInfo and UpdateCoreDNS run
 *    only once no machine needs a rollout, kubeadmcontrolplane_controller.go
 *    reconcile) do: CoreDNS's image to the tag the target kubeadm deploys
 *    (config/versions.ts KUBEADM_COREDNS_TAGS), then kube-proxy's (kube-proxy must
 *    not be newer than kube-apiserver, same page);
 * 5. pools, by instance refresh (kubelets must not be newer than kube-apiserver,
 *    so never before the control plane).
 *
 * An instance is out of date when it was launched from another version than
 * the group's latest launch template version; the reasons say what differs.
 */
import { parseKubernetesVersion } from "../../config/skew";
import { AWS_CLOUD_CONTROLLER_MANAGER_TAGS, CLUSTER_AUTOSCALER_TAGS, COREFILE_COMPATIBLE_COREDNS_TAGS, KUBEADM_COREDNS_IMAGE, KUBEADM_COREDNS_TAGS, KubernetesMinor } from "../../config/versions";
import { KUBEADM_RBAC, rbacKey } from "./kube";
import { LiveGroup, LiveInstance, LiveState, Rollout, RolloutGroup, templateVersionKey } from "./state";

export const KUBE_PROXY_IMAGE = "registry.k8s.io/kube-proxy";

/** `--only`: the control plane (slots and etcd members), the pools, or one pool by name. */
export type RollScope = { readonly kind: "all" } | { readonly kind: "control-plane" } | { readonly kind: "pools" } | { readonly kind: "pool"; readonly name: string };

export interface OutdatedInstance {
    readonly instanceId: string;
    readonly fromVersion: string;
    readonly reasons: readonly string[];
}

export type RollStep =
    | {
          readonly kind: "cluster-config";
          readonly kubernetesVersion: string;
          /** Set ClusterConfiguration.kubernetesVersion in kubeadm-config (false: it already says so). */
          readonly setKubernetesVersion: boolean;
          /** kubeadm's RBAC objects to create (kube.ts KUBEADM_RBAC keys). */
          readonly createRbac: readonly string[];
          readonly changes: readonly string[];
      }
    | { readonly kind: "coredns"; readonly from: string; readonly to: string }
    | { readonly kind: "replace-slot"; readonly group: RolloutGroup; readonly outdated: readonly OutdatedInstance[] }
    | { readonly kind: "kube-proxy"; readonly from: string; readonly to: string }
    | { readonly kind: "refresh-pool"; readonly group: RolloutGroup; readonly outdated: readonly OutdatedInstance[]; readonly total: number; readonly interrupted?: string };

export interface RollPlan {
    readonly kubernetesVersion: string;
    readonly steps: readonly RollStep[];
    /** Groups in scope already on their latest version. */
    readonly upToDate: readonly string[];
    /** Facts a roll cannot change but the operator must know (addon pins `pulumi up` already moved). */
    readonly notes: readonly string[];
    /** Why no roll may start; when any, `steps` is empty. */
    readonly problems: readonly string[];
}

const v = (version: string) => (version.startsWith("v") ? version : `v${version}`);
const minorOf = (version: string | undefined) => parseKubernetesVersion(version)?.minor;

const inScope = (g: RolloutGroup, scope: RollScope) =>
    scope.kind === "all" ||
    (scope.kind === "control-plane" && g.role !== "pool") ||
    (scope.kind === "pools" && g.role === "pool") ||
    (scope.kind === "pool" && g.role === "pool" && g.name === scope.name);

/** Why one instance rolls: its template version, and what differs between that version and the latest. */
function reasonsFor(g: RolloutGroup, i: LiveInstance, live: LiveState, targetVersion: string): string[] {
    if (i.launchTemplateId && i.launchTemplateId !== g.launchTemplateId) return [`launched from another launch template (${i.launchTemplateId}, the group's is ${g.launchTemplateId})`];
    const from = i.launchTemplateVersion ?? "none";
    const reasons = [`launch template version ${from} is out of date (latest ${g.launchTemplateVersion})`];
    const was = i.launchTemplateVersion ? live.templateVersions?.[templateVersionKey(g.launchTemplateId, i.launchTemplateVersion)] : undefined;
    const now = live.templateVersions?.[templateVersionKey(g.launchTemplateId, g.launchTemplateVersion)];
    if (now?.instanceType && i.instanceType && now.instanceType !== i.instanceType) reasons.push(`instance type changed (${i.instanceType} -> ${now.instanceType})`);
    if (was && now) {
        if (was.imageId !== now.imageId) reasons.push(`machine image changed (${was.imageId} -> ${now.imageId})`);
        if (was.userDataSha256 !== now.userDataSha256) reasons.push("user data changed");
    }
    const node = live.cluster?.nodes.find((n) => n.instanceId === i.instanceId);
    if (node && node.kubeletVersion !== v(targetVersion)) reasons.push(`kubelet ${node.kubeletVersion} -> ${v(targetVersion)}`);
    return reasons;
}

/** Instances that roll: in service or on their way there, on another version than the latest. */
function outdatedOf(g: RolloutGroup, group: LiveGroup, live: LiveState, targetVersion: string): OutdatedInstance[] {
    return group.instances
        .filter((i) => !/^Terminat/.test(i.lifecycleState))
        .filter((i) =>
            i.launchTemplateId !== undefined ? i.launchTemplateId !== g.launchTemplateId || i.launchTemplateVersion !== g.launchTemplateVersion : i.launchTemplateVersion !== g.launchTemplateVersion,
        )
        .map((i) => ({ instanceId: i.instanceId, fromVersion: i.launchTemplateVersion ?? "none", reasons: reasonsFor(g, i, live, targetVersion) }));
}

/** Version-skew checks against the running cluster; the roll refuses to start on any. */
function skewProblems(rollout: Rollout, live: LiveState, scope: RollScope, controlPlanePending: boolean): string[] {
    const out: string[] = [];
    const target = minorOf(rollout.kubernetesVersion)!;
    const api = minorOf(live.cluster?.apiServerVersion);
    if (api !== undefined && target > api + 1) {
        out.push(
            `the API server runs ${live.cluster!.apiServerVersion} and the launch templates install ${v(rollout.kubernetesVersion)}: the control plane moves one minor at a time (kubeadm upgrades one minor at a time; https://kubernetes.io/releases/version-skew-policy/); deploy and roll 1.${api + 1} first`,
        );
    }
    if (api !== undefined && target < api)
        out.push(`the API server runs ${live.cluster!.apiServerVersion}, newer than the launch templates' ${v(rollout.kubernetesVersion)}: the control plane is never downgraded`);
    for (const n of live.cluster?.nodes ?? []) {
        const kubelet = minorOf(n.kubeletVersion);
        // kubelet may be up to three minors older than kube-apiserver (version-skew policy, "kubelet").
        if (kubelet !== undefined && target > kubelet + 3)
            out.push(`node ${n.name} runs kubelet ${n.kubeletVersion}, more than three minors behind ${v(rollout.kubernetesVersion)}: roll its group at an earlier version first`);
    }
    const poolsOnly = scope.kind === "pools" || scope.kind === "pool";
    if (poolsOnly && controlPlanePending && api !== undefined && target > api) {
        out.push(
            `--only ${scope.kind === "pool" ? scope.name : "pools"}: the control plane still runs ${live.cluster!.apiServerVersion} and the pools' templates install ${v(rollout.kubernetesVersion)}; a kubelet must not be newer than kube-apiserver (version-skew policy): roll the control plane first (--only control-plane)`,
        );
    }
    return out;
}

/** What `pulumi up` already moved with the minor (Helm releases of the stack), for the operator's eyes. */
function addonNotes(rollout: Rollout, live: LiveState): string[] {
    const api = live.cluster?.apiServerVersion;
    const target = parseKubernetesVersion(rollout.kubernetesVersion)!;
    if (api === undefined || minorOf(api) === target.minor) return [];
    const minor = `${target.major}.${target.minor}` as KubernetesMinor;
    // Held at the running minor by the program (config/addonHold.ts): they move on the pulumi up after the roll records the new version.
    if (rollout.addons && rollout.addons.minor !== minor) {
        return [
            `the addon images tied to the minor stay at ${rollout.addons.minor} until this roll records ${rollout.kubernetesVersion} (tools/roll/record.ts); then run pulumi up to move them to ${minor}`,
        ];
    }
    const ccm = AWS_CLOUD_CONTROLLER_MANAGER_TAGS[minor];
    const ca = CLUSTER_AUTOSCALER_TAGS[minor];
    return [
        `pulumi up already set the addon images pinned to ${minor} (Helm releases of the stack): cloud-controller-manager ${ccm ?? "(none)"}${ca ? `, cluster-autoscaler ${ca}` : ""}; they are newer than the API server ${api} until the control plane rolls (the skew policy wants them no newer); roll the control plane promptly`,
    ];
}

/**
 * The cluster-wide step: kubeadm-config's kubernetesVersion (not for a pools-only roll: no control plane
 * joins) and kubeadm's missing RBAC objects (for every scope: pool joins need the bootstrap ones).
 */
function clusterConfigStep(target: string, live: LiveState, scope: RollScope): RollStep | undefined {
    const kubeadmVersion = live.cluster?.kubeadmKubernetesVersion;
    const poolsOnly = scope.kind === "pools" || scope.kind === "pool";
    const setKubernetesVersion = !poolsOnly && kubeadmVersion !== undefined && kubeadmVersion !== v(target);
    const createRbac = KUBEADM_RBAC.map(rbacKey).filter((k) => live.cluster?.missingKubeadmRbac?.includes(k));
    if (!setKubernetesVersion && createRbac.length === 0) return undefined;
    const changes: string[] = [];
    if (setKubernetesVersion) {
        changes.push(
            `ConfigMap kube-system/kubeadm-config: ClusterConfiguration.kubernetesVersion ${kubeadmVersion} -> ${v(target)} (what each replacement's kubeadm join --control-plane deploys)`,
            `ConfigMap kube-system/kubelet-config: kept (kubeadm writes the same kubelet configuration at ${v(target)} as before)`,
        );
    }
    for (const key of createRbac) {
        const o = KUBEADM_RBAC.find((x) => rbacKey(x) === key)!;
        changes.push(`create ${key} (kubeadm's ${o.phase} phase writes it; missing from the cluster)`);
    }
    return { kind: "cluster-config", kubernetesVersion: v(target), setKubernetesVersion, createRbac, changes };
}

/** `registry.k8s.io/coredns/coredns:v1.13.1` -> [repository, tag]. */
function splitImage(image: string): [string, string | undefined] {
    const at = image.lastIndexOf(":");
    return at > image.lastIndexOf("/") ? [image.slice(0, at), image.slice(at + 1)] : [image, undefined];
}

const tagNumbers = (tag: string) => /^v?(\d+)\.(\d+)\.(\d+)$/.exec(tag)?.slice(1).map(Number);

/**
 * CoreDNS to the image the target minor's kubeadm deploys (kubeadm's EnsureDNSAddon and Cluster API's
 * UpdateCoreDNS, kubernetes-sigs/cluster-api@v1.14.0:controlplane/kubeadm/pkg/workload_cluster_coredns.go, patch
 * the coredns container's image). Moved only from a kubeadm registry image whose Corefile needs no migration
 * (config/versions.ts COREFILE_COMPATIBLE_COREDNS_TAGS), and never backwards (Cluster API's
 * validateCoreDNSImageTag refuses that too); otherwise a note says why it stays.
 */
function coreDnsStep(target: string, live: LiveState): { step?: RollStep; note?: string } {
    const from = live.cluster?.coreDnsImage;
    const t = parseKubernetesVersion(target)!;
    const tag = KUBEADM_COREDNS_TAGS[`${t.major}.${t.minor}` as KubernetesMinor];
    if (from === undefined || tag === undefined) return {};
    const to = `${KUBEADM_COREDNS_IMAGE}:${tag}`;
    if (from === to) return {};
    const [repo, fromTag] = splitImage(from);
    const a = fromTag ? tagNumbers(fromTag) : undefined;
    const b = tagNumbers(tag)!;
    const newer = a !== undefined && (a[0] - b[0] || a[1] - b[1] || a[2] - b[2]) > 0;
    if (repo !== KUBEADM_COREDNS_IMAGE || !fromTag || !COREFILE_COMPATIBLE_COREDNS_TAGS.includes(fromTag) || newer) {
        const why =
            repo !== KUBEADM_COREDNS_IMAGE
                ? `not kubeadm's image ${KUBEADM_COREDNS_IMAGE}`
                : newer
                  ? `newer than ${tag}, which kubeadm ${v(target)} deploys`
                  : `its Corefile may need a migration to ${tag} that the roll does not make`;
        return {
            note: `Deployment kube-system/coredns runs ${from}, ${why}: left as it is (\`kubeadm upgrade apply v<patch>\` on one control-plane slot after the roll migrates it: docs/runbooks/upgrade-kubernetes.md)`,
        };
    }
    return { step: { kind: "coredns", from, to } };
}

export function planRoll(rollout: Rollout, live: LiveState, scope: RollScope = { kind: "all" }): RollPlan {
    const problems: string[] = [];
    const target = rollout.kubernetesVersion;
    if (scope.kind === "pool" && !rollout.groups.some((g) => g.role === "pool" && g.name === scope.name)) {
        problems.push(
            `--only: no pool named ${JSON.stringify(scope.name)} (pools: ${
                rollout.groups
                    .filter((g) => g.role === "pool")
                    .map((g) => g.name)
                    .join(", ") || "none"
            })`,
        );
    }
    const outdated = new Map<string, OutdatedInstance[]>();
    for (const g of rollout.groups) {
        const group = live.groups[g.groupName];
        if (!group) {
            if (inScope(g, scope)) problems.push(`${g.name}: Auto Scaling group ${g.groupName} not found (was the stack deployed with \`pulumi up\`?)`);
            continue;
        }
        if (g.role !== "pool" && group.instances.filter((i) => !/^Terminat/.test(i.lifecycleState)).length > 1) {
            problems.push(`${g.name}: group ${g.groupName} holds more than one instance; a slot holds one (a replacement under way?): wait, then re-run`);
        }
        outdated.set(g.groupName, outdatedOf(g, group, live, target));
    }
    const controlPlanePending = rollout.groups.some((g) => g.role !== "pool" && (outdated.get(g.groupName)?.length ?? 0) > 0);
    problems.push(...skewProblems(rollout, live, scope, controlPlanePending));
    if (live.cluster?.kubeletConfigPresent === false) {
        problems.push(
            "ConfigMap kube-system/kubelet-config is missing: every kubeadm join downloads the kubelet configuration from it (kubeadm init's upload-config kubelet phase writes it); restore it before rolling, on a control-plane slot: sudo kubeadm init phase upload-config kubelet --config /etc/kubernetes/pki/kubeadm/init.yaml (docs/runbooks/upgrade-kubernetes.md)",
        );
    }
    const notes = addonNotes(rollout, live);
    if (problems.length > 0) return { kubernetesVersion: target, steps: [], upToDate: [], notes, problems };

    const steps: RollStep[] = [];
    const clusterConfig = clusterConfigStep(target, live, scope);
    if (clusterConfig) steps.push(clusterConfig);
    const upToDate: string[] = [];
    const add = (g: RolloutGroup) => {
        const list = outdated.get(g.groupName) ?? [];
        const group = live.groups[g.groupName];
        // A roll stopped mid-refresh: its refresh (whose last instances may wait in Terminating:Wait, undrained) and its hook are resumed even when no instance is left to replace.
        const interrupted =
            g.role === "pool"
                ? [group.refreshInProgress ? "an instance refresh is in progress" : "", group.drainHook ? "the roll's drain hook is on the group" : ""].filter(Boolean).join(" and ")
                : "";
        if (list.length === 0 && !interrupted) return void upToDate.push(g.name);
        if (g.role === "pool") steps.push({ kind: "refresh-pool", group: g, outdated: list, total: group.instances.length, ...(interrupted ? { interrupted } : {}) });
        else steps.push({ kind: "replace-slot", group: g, outdated: list });
    };
    const groups = rollout.groups.filter((g) => inScope(g, scope));
    groups.filter((g) => g.role === "control-plane").forEach(add);
    groups.filter((g) => g.role === "etcd").forEach(add);
    const dns = scope.kind !== "pools" && scope.kind !== "pool" ? coreDnsStep(target, live) : {};
    if (dns.note) notes.push(dns.note);
    if (dns.step) steps.push(dns.step);
    const proxy = live.cluster?.kubeProxyImage;
    const wantProxy = `${KUBE_PROXY_IMAGE}:${v(target)}`;
    if (scope.kind !== "pools" && scope.kind !== "pool" && proxy !== undefined && proxy !== wantProxy) steps.push({ kind: "kube-proxy", from: proxy, to: wantProxy });
    groups.filter((g) => g.role === "pool").forEach(add);
    return { kubernetesVersion: target, steps, upToDate, notes, problems };
}

/** The plan as `--dry-run` prints it: each step and why. */
export function formatPlan(stack: string, plan: RollPlan): string[] {
    if (plan.problems.length > 0) return [`roll ${stack}: cannot start:`, ...plan.problems.map((p) => `  ${p}`)];
    const lines = [`roll ${stack}: Kubernetes ${v(plan.kubernetesVersion)}, ${plan.steps.length === 0 ? "nothing to roll" : `${plan.steps.length} step(s), in order:`}`];
    plan.steps.forEach((s, n) => {
        const at = `  ${n + 1}.`;
        if (s.kind === "cluster-config") lines.push(`${at} cluster-wide configuration:`, ...s.changes.map((c) => `       ${c}`));
        if (s.kind === "coredns")
            lines.push(
                `${at} Deployment kube-system/coredns: image ${s.from} -> ${s.to} (what kubeadm ${v(plan.kubernetesVersion)} deploys; Corefile kept: the same plugins in both releases), after every API server runs the new version`,
            );
        if (s.kind === "kube-proxy") lines.push(`${at} DaemonSet kube-system/kube-proxy: image ${s.from} -> ${s.to} (after every API server runs the new version)`);
        if (s.kind === "replace-slot") {
            lines.push(
                `${at} ${s.group.role === "etcd" ? "etcd member" : "control-plane slot"} ${s.group.name} (group ${s.group.groupName}): ${s.group.role === "etcd" ? "" : "cordon, drain, "}replace the instance, wait for ${s.group.role === "etcd" ? "its etcd member healthy" : "its node Ready, its etcd member healthy"} and the health gate`,
            );
            for (const i of s.outdated) lines.push(`       ${i.instanceId}: ${i.reasons.join("; ")}`);
        }
        if (s.kind === "refresh-pool") {
            lines.push(
                `${at} pool ${s.group.name} (group ${s.group.groupName}): instance refresh of ${s.outdated.length} of ${s.total} instance(s), at least ${s.group.minHealthyPercentage ?? 90}% healthy, instances already on version ${s.group.launchTemplateVersion} kept; each node drained before its instance terminates`,
            );
            if (s.interrupted) lines.push(`       resumed: ${s.interrupted} (a roll stopped mid-refresh)`);
            for (const i of s.outdated) lines.push(`       ${i.instanceId}: ${i.reasons.join("; ")}`);
        }
    });
    if (plan.upToDate.length > 0) lines.push(`  up to date: ${plan.upToDate.join(", ")}`);
    for (const note of plan.notes) lines.push(`  note: ${note}`);
    return lines;
}
