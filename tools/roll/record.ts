/**
 * The roll's last duty: record the version the whole control plane now runs, in the stack's SSM
 * parameter (components/versionRecord.ts), so that the program judges the next version change
 * against what runs (config/rolled.ts) and lets the addon images tied to the minor move
 * (config/addonHold.ts) on the next `pulumi up`.
 *
 * The record moves only on evidence from the live cluster: every control-plane slot and external
 * etcd member holds one in-service instance launched from its group's latest template version,
 * the API server answers with that version, and every control-plane node's kubelet runs it.
 * The roll overwrites the parameter the program created and never creates one: a parameter made
 * here would make the program's own create fail (PutParameter without Overwrite answers
 * ParameterAlreadyExists: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html).
 */
import { parseKubernetesVersion } from "../../config/skew";
import type { LiveState, Rollout } from "./state";

/** The record, read and written (GetParameter, PutParameter). */
export interface VersionRecordPort {
    /** The recorded version; undefined when the parameter does not exist (ParameterNotFound). */
    read(): Promise<string | undefined>;
    write(version: string): Promise<void>;
}

export type RecordDecision =
    { readonly kind: "write"; readonly from: string; readonly to: string } | { readonly kind: "up-to-date"; readonly version: string } | { readonly kind: "wait"; readonly reasons: readonly string[] };

const plain = (version: string) => version.replace(/^v/, "");

/** Whether the live state proves the whole control plane runs the rollout's version, and what to record. */
export function recordDecision(rollout: Rollout, live: LiveState, recorded: string | undefined): RecordDecision {
    const target = plain(rollout.kubernetesVersion);
    const reasons: string[] = [];
    if (recorded === undefined) {
        reasons.push(`the record ${rollout.versionRecord ?? "(unnamed)"} does not exist: run pulumi up with this release first (it creates the record), then roll again`);
    }
    const controlPlaneIds = new Set<string>();
    for (const g of rollout.groups.filter((x) => x.role !== "pool")) {
        const group = live.groups[g.groupName];
        const running = (group?.instances ?? []).filter((i) => !/^Terminat/.test(i.lifecycleState));
        running.forEach((i) => controlPlaneIds.add(i.instanceId));
        const current = running.filter(
            (i) => i.lifecycleState === "InService" && i.launchTemplateVersion === g.launchTemplateVersion && (i.launchTemplateId === undefined || i.launchTemplateId === g.launchTemplateId),
        );
        if (running.length !== 1 || current.length !== 1) reasons.push(`${g.name}: not one in-service instance on launch template version ${g.launchTemplateVersion}`);
    }
    const cluster = live.cluster;
    if (!cluster) reasons.push("no kubeconfig: the API server's version cannot be confirmed");
    else {
        if (plain(cluster.apiServerVersion ?? "") !== target) reasons.push(`the API server answers ${cluster.apiServerVersion ?? "no version"}, not v${target}`);
        for (const n of cluster.nodes.filter((x) => x.instanceId !== undefined && controlPlaneIds.has(x.instanceId))) {
            if (plain(n.kubeletVersion) !== target) reasons.push(`control-plane node ${n.name} runs kubelet ${n.kubeletVersion}, not v${target}`);
        }
    }
    if (reasons.length > 0) return { kind: "wait", reasons };
    if (plain(recorded!) === target) return { kind: "up-to-date", version: target };
    return { kind: "write", from: recorded!, to: target };
}

const minorOf = (v: string) => {
    const p = parseKubernetesVersion(v);
    return p ? `${p.major}.${p.minor}` : v;
};

/** Decides and, unless `dryRun`, writes; returns the lines to print. */
export async function recordRolledVersion(rollout: Rollout, live: LiveState, record: VersionRecordPort, stack: string, dryRun: boolean): Promise<string[]> {
    const decision = recordDecision(rollout, live, await record.read());
    if (decision.kind === "wait") return [`record not moved (${rollout.versionRecord}):`, ...decision.reasons.map((r) => `  ${r}`)];
    const addons = rollout.addons;
    const addonsWait = addons !== undefined && addons.minor !== minorOf(rollout.kubernetesVersion);
    const next = addonsWait
        ? [`run pulumi up --stack ${stack} now: the addon images tied to the minor (cloud-controller-manager, cluster-autoscaler) are held at ${addons!.minor} until it runs with the new record`]
        : [];
    if (decision.kind === "up-to-date") return [`record ${rollout.versionRecord}: ${decision.version} (the control plane runs it)`, ...next];
    if (dryRun) return [`would record ${decision.to} in ${rollout.versionRecord} (now ${decision.from}): the whole control plane runs it`];
    await record.write(decision.to);
    return [`recorded ${decision.to} in ${rollout.versionRecord} (was ${decision.from}): the whole control plane runs it`, ...next];
}
