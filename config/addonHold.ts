/**
 * Which Kubernetes minor the addon images tied to the minor follow (cloud-controller-manager,
 * cluster-autoscaler: config/versions.ts). A controller must not be newer than the API server
 * (https://kubernetes.io/releases/version-skew-policy/, "kube-controller-manager,
 * kube-scheduler, and cloud-controller-manager"), and `pulumi up` moves the Helm releases at
 * once while the API servers move only when `npm run roll` replaces the control plane. So the
 * addons follow min(the running minor, the wanted minor): on an upgrade they stay at the running
 * minor until the roll records the new one, then move on the next `pulumi up`; on a rollback
 * they move down at once (an older controller is within the policy).
 */
import { parseKubernetesVersion, RunningVersion } from "./skew";
import { KubernetesMinor, SUPPORTED_KUBERNETES_MINORS } from "./versions";

export interface AddonMinor {
    /** The minor whose addon pins are deployed. */
    readonly minor: KubernetesMinor;
    /** Set when it is older than the wanted minor: the addons wait for the roll. */
    readonly heldBecause?: string;
}

export function addonMinor(wanted: KubernetesMinor, running: RunningVersion | undefined): AddonMinor {
    const was = parseKubernetesVersion(running?.version);
    const [major, wantedMinor] = wanted.split(".").map(Number);
    if (!was || was.major !== major || was.minor >= wantedMinor) return { minor: wanted };
    // The newest pinned minor not above the running one; a cluster older than every pin takes the oldest (the skew check allows one step only).
    const pinned = SUPPORTED_KUBERNETES_MINORS.filter((m) => Number(m.split(".")[1]) <= was.minor);
    const minor = pinned.length > 0 ? pinned[pinned.length - 1] : SUPPORTED_KUBERNETES_MINORS[0];
    if (minor === wanted) return { minor };
    return { minor, heldBecause: `the control plane runs ${was.major}.${was.minor}.${was.patch} (${running!.source}) until npm run roll records ${wanted}` };
}
