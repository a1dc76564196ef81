/**
 * The render summary's word on rolling: `pulumi up` changes launch templates
 * but replaces no instance (components/rollout.ts); the groups whose template
 * would change are left for `npm run roll`. Which ones: compare each group's
 * template fingerprint with the stack's previous outputs (--previous-outputs).
 */
import type { Rollout, RolloutGroup } from "../../components/rollout";

export interface PendingRoll {
    /** Groups whose launch template this deployment changes, in roll order. */
    readonly changed: readonly RolloutGroup[];
    /** Groups new in this deployment: they launch on the new template, nothing to roll. */
    readonly added: readonly RolloutGroup[];
    readonly fromVersion?: string;
    readonly toVersion: string;
}

const isRollout = (v: unknown): v is Rollout => typeof v === "object" && v !== null && Array.isArray((v as Rollout).groups) && typeof (v as Rollout).kubernetesVersion === "string";

const keyOf = (g: RolloutGroup) => `${g.role}/${g.name}`;

/** undefined when the previous outputs carry no rollout to compare with. */
export function pendingRoll(current: Rollout, previous: unknown): PendingRoll | undefined {
    if (!isRollout(previous)) return undefined;
    const before = new Map(previous.groups.map((g) => [keyOf(g), g]));
    return {
        changed: current.groups.filter((g) => before.has(keyOf(g)) && before.get(keyOf(g))!.templateFingerprint !== g.templateFingerprint),
        added: current.groups.filter((g) => !before.has(keyOf(g))),
        fromVersion: previous.kubernetesVersion,
        toVersion: current.kubernetesVersion,
    };
}

const label = (g: RolloutGroup) => (g.role === "pool" ? `pool ${g.name}` : g.name);

export function rollSummaryLines(stack: string, outputs: Record<string, unknown>, previousOutputs: Record<string, unknown> | undefined): string[] {
    const current = outputs.rollout;
    if (!isRollout(current)) return [];
    const held = current.addons?.heldBecause;
    const addons = held
        ? [`Addons held: the images tied to the minor (cloud-controller-manager, cluster-autoscaler) stay at ${current.addons!.minor}: ${held}; they move on the first pulumi up after the roll`]
        : [];
    return [...rollLines(stack, current, previousOutputs), ...addons];
}

function rollLines(stack: string, current: Rollout, previousOutputs: Record<string, unknown> | undefined): string[] {
    const command = `npm run roll -- --stack ${stack}`;
    if (previousOutputs === undefined) {
        return [`Roll: pulumi up replaces no instance; after it, \`${command} --dry-run\` shows which of the ${current.groups.length} group(s) roll (give --previous-outputs to see it here)`];
    }
    const pending = pendingRoll(current, previousOutputs.rollout);
    if (!pending) {
        return [
            `Roll: the previous outputs carry no rollout to compare with (a stack not yet deployed, or deployed by an earlier version); after pulumi up, \`${command} --dry-run\` shows what rolls`,
        ];
    }
    const version = pending.fromVersion !== pending.toVersion ? ` Kubernetes ${pending.fromVersion} -> ${pending.toVersion}: the cluster-wide configuration first, then` : "";
    const added = pending.added.length > 0 ? `; new group(s) start on the new template: ${pending.added.map(label).join(", ")}` : "";
    if (pending.changed.length === 0) return [`Roll: no launch template changes, nothing to roll${added}`];
    return [
        `Roll pending: pulumi up changes ${pending.changed.length} launch template(s) and replaces no instance; \`${command}\` rolls, in this order:${version} ${pending.changed.map(label).join(", ")}${added}`,
    ];
}
