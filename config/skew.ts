/**
 * The version-skew rules on a change of `kubernetesVersion`, judged against the
 * version the cluster runs: npm run roll's record (config/rolled.ts), else the
 * stack's previous outputs (config/previous.ts). A deliberate one-minor rollback
 * passes only when `upgrade.allowMinorDowngrade` names exactly that transition.
 *
 * Facts, at the versions this program pins:
 * - kube-apiserver instances of an HA cluster must be within one minor of each
 *   other, so the control plane moves one minor at a time
 *   (kubernetes/website content/en/releases/version-skew-policy.md,
 *   https://kubernetes.io/releases/version-skew-policy/, "kube-apiserver").
 * - kubeadm refuses a released version more than one minor above the cluster's
 *   ("Specified version to upgrade to %q is too high; kubeadm can upgrade only
 *   %d minor version at a time", MaximumAllowedMinorVersionUpgradeSkew = 1:
 *   kubernetes/kubernetes cmd/kubeadm/app/phases/upgrade/policy.go, EnforceVersionPolicies;
 *   the message is in the pinned kubeadm 1.35.8, 1.36.4 and 1.37.1 binaries).
 * - kubeadm tolerates a one-minor downgrade, but the skew policy gives no
 *   downgrade path (objects written by the newer apiserver may use storage
 *   versions the older one cannot read), and the nodes' kubelets would be
 *   newer than the apiserver ("kubelet must not be newer than kube-apiserver").
 *   A minor downgrade is refused; a patch downgrade within the minor is allowed
 *   (kubeadm treats it as a plain upgrade apply, and it is how a bad patch is reverted).
 */
import { ConfigProblem, keyOf } from "./errors";
import { SUPPORTED_KUBERNETES_MINORS } from "./versions";

/** The version the running cluster was last deployed with, and where that came from (for the message). */
export interface RunningVersion {
    /** `x.y.z` as the stack output `kubernetesVersion` holds it; undefined for a stack never deployed. */
    readonly version: unknown;
    /** Where the version was read, e.g. "the stack's previous outputs". */
    readonly source: string;
}

const SKEW_POLICY = "https://kubernetes.io/releases/version-skew-policy/";

/** The one key that lets a deliberate minor rollback through (schema.ts `upgrade.allowMinorDowngrade`). */
export const OVERRIDE_KEY = keyOf(["upgrade", "allowMinorDowngrade"]);

/** `1.35.9` -> { major: 1, minor: 35, patch: 9 }; undefined when it is not a released x.y.z. */
export function parseKubernetesVersion(text: unknown): { major: number; minor: number; patch: number } | undefined {
    if (typeof text !== "string") return undefined;
    const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text);
    return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

/**
 * Problems with moving the cluster from `running` to the minor `wantedMinor`
 * (`1.36`), whose pinned patch is `wantedVersion` (`1.36.4`). None when the
 * stack has no previous version (its first deployment).
 */
export function versionSkewProblems(wantedMinor: string, wantedVersion: string, running: RunningVersion | undefined, allowMinorDowngrade?: string): ConfigProblem[] {
    if (!running || running.version === undefined || running.version === null) {
        return allowMinorDowngrade === undefined
            ? []
            : [
                  {
                      key: OVERRIDE_KEY,
                      value: allowMinorDowngrade,
                      allowed: `unset: no running version is known (a stack never deployed), so there is no minor to roll back from`,
                  },
              ];
    }
    const key = keyOf(["kubernetesVersion"]);
    const was = parseKubernetesVersion(running.version);
    if (!was) {
        return [
            {
                key,
                value: wantedMinor,
                allowed: `a version judged against the running one, but ${running.source} give kubernetesVersion ${JSON.stringify(running.version)}, not a released x.y.z: fix or drop that file`,
            },
        ];
    }
    const want = parseKubernetesVersion(wantedVersion);
    if (!want) throw new Error(`internal: pinned version ${wantedVersion} is not x.y.z`);
    const runningText = `${was.major}.${was.minor}.${was.patch}`;
    const next = `${was.major}.${was.minor + 1}`;
    // What a change from the running version may move to: its own minor or the next, of those this program pins.
    const reachable = SUPPORTED_KUBERNETES_MINORS.filter((m) => {
        const [major, minor] = m.split(".").map(Number);
        return major === was.major && minor >= was.minor && minor <= was.minor + 1;
    });
    const allowedMinors = reachable.length > 0 ? reachable.join(" or ") : `none of the minors this program pins (${SUPPORTED_KUBERNETES_MINORS.join(", ")})`;
    const runs = `the cluster runs ${runningText} (${running.source})`;
    if (want.major !== was.major) {
        return [{ key, value: wantedMinor, allowed: `${allowedMinors}: ${runs}, and a change of major version has no upgrade path` }];
    }
    if (want.minor > was.minor + 1) {
        return [
            {
                key,
                value: wantedMinor,
                allowed: `${allowedMinors}: ${runs}; the control plane moves one minor at a time (kubeadm upgrades one minor at a time; ${SKEW_POLICY}), so deploy and roll ${next} first${SUPPORTED_KUBERNETES_MINORS.includes(next as never) ? "" : ` (with a release of this program that pins ${next})`}`,
            },
        ];
    }
    const transition = `${was.major}.${was.minor}->${wantedMinor}`;
    if (want.minor < was.minor) {
        if (allowMinorDowngrade !== undefined) return overrideProblems(allowMinorDowngrade, transition, was.minor - want.minor, runs);
        return [
            {
                key,
                value: wantedMinor,
                allowed: `${allowedMinors}: ${runs}, and the control plane is never downgraded to an older minor (the kubelets would be newer than the API server, and objects stored by ${was.major}.${was.minor} may not be readable by ${wantedMinor}; ${SKEW_POLICY}); to go back, restore an etcd snapshot taken before the upgrade (docs/runbooks/restore-etcd.md), then set ${OVERRIDE_KEY}: "${transition}" for that one deployment`,
            },
        ];
    }
    if (allowMinorDowngrade !== undefined) {
        return [
            {
                key: OVERRIDE_KEY,
                value: allowMinorDowngrade,
                allowed: `unset: ${runs} and kubernetesVersion ${wantedMinor} is no minor downgrade; the override serves one deliberate rollback and is removed once the record shows the older minor`,
            },
        ];
    }
    return [];
}

/**
 * The deliberate rollback: allowed only when the override names exactly this transition and it
 * is one minor (kubeadm tolerates a downgrade of one minor at most; an etcd snapshot from two
 * minors back is not a rollback, it is a rebuild).
 */
function overrideProblems(given: string, transition: string, minorsDown: number, runs: string): ConfigProblem[] {
    const restore = "restore an etcd snapshot taken before the upgrade first (docs/runbooks/restore-etcd.md)";
    if (given !== transition) {
        return [{ key: OVERRIDE_KEY, value: given, allowed: `"${transition}" only, the transition this deployment makes (${runs}); ${restore}` }];
    }
    if (minorsDown > 1) {
        return [{ key: OVERRIDE_KEY, value: given, allowed: `a rollback of one minor only (this one is ${minorsDown}): ${restore}, or rebuild the cluster at the older minor` }];
    }
    return [];
}
