/**
 * What every addon shares: the narrow context it is built from, scheduling on
 * the control plane, a Helm release pinned to one chart version, and the
 * namespaces addons own (Pod Security level, kube2iam's permitted roles).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ChartPin } from "../config/versions";

/** The instance role an addon attaches IAM to, or lets assume its pod role. */
export interface RoleRef {
    readonly name: pulumi.Input<string>;
    readonly arn: pulumi.Input<string>;
}

/** What an addon component needs from the cluster; nothing more. */
export interface AddonContext {
    readonly clusterName: string;
    readonly region: string;
    /** `aws`, `aws-cn`, `aws-us-gov`: ARNs are built with it. */
    readonly partition: string;
    readonly accountId: pulumi.Input<string>;
    /** The provider the addon's Kubernetes objects are applied through (addons/provider.ts). */
    readonly provider: k8s.Provider;
}

/** The taint kubeadm puts on control-plane nodes, and the label it gives them. */
export const CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";

export interface Toleration {
    readonly key?: string;
    readonly operator: "Exists" | "Equal";
    readonly value?: string;
    readonly effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** Tolerates the control-plane taint (a no-op where the control plane is schedulable). */
export const CONTROL_PLANE_TOLERATION: Toleration = { key: CONTROL_PLANE_LABEL, operator: "Exists", effect: "NoSchedule" };

/** The taint the kubelet sets with --cloud-provider=external until the cloud controller initialises the node. */
export const UNINITIALIZED_TOLERATION: Toleration = { key: "node.cloudprovider.kubernetes.io/uninitialized", operator: "Equal", value: "true", effect: "NoSchedule" };

/** Runs only on control-plane nodes. */
export function controlPlaneScheduling(): { nodeSelector: Record<string, string>; tolerations: Toleration[] } {
    return { nodeSelector: { [CONTROL_PLANE_LABEL]: "" }, tolerations: [CONTROL_PLANE_TOLERATION] };
}

export interface PinnedReleaseArgs {
    readonly pin: ChartPin;
    /** The release's name in Helm (and the prefix of the chart's object names). */
    readonly releaseName: string;
    readonly namespace: pulumi.Input<string>;
    readonly values: pulumi.Input<Record<string, unknown>>;
}

function requireExactVersion(pin: ChartPin): void {
    if (!/^v?\d+\.\d+\.\d+$/.test(pin.version)) throw new Error(`chart ${pin.chart} must be pinned to an exact version, not ${pin.version}`);
}

/** A Helm release of one exact chart version from its upstream repository. */
export function pinnedRelease(name: string, args: PinnedReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    requireExactVersion(args.pin);
    return new k8s.helm.v3.Release(
        name,
        {
            name: args.releaseName,
            chart: args.pin.chart,
            version: args.pin.version,
            repositoryOpts: { repo: args.pin.repository },
            namespace: args.namespace,
            values: args.values,
            atomic: true,
            cleanupOnFail: true,
            maxHistory: 10,
        },
        opts,
    );
}

export interface PinnedChartArgs {
    readonly pin: ChartPin;
    /** Helm's release name while rendering (what `.Release.Name` expands to). */
    readonly releaseName: string;
    readonly namespace: pulumi.Input<string>;
    readonly values?: pulumi.Input<Record<string, unknown>>;
}

/**
 * A chart of one exact version rendered client-side and applied object by object through the
 * provider (server-side apply): `helm template | kubectl apply --server-side`, with no Helm release
 * record in the cluster. For charts whose objects are too large for a release record or for
 * client-side apply (Calico's CRDs).
 */
export function pinnedChart(name: string, args: PinnedChartArgs, opts: pulumi.ComponentResourceOptions): k8s.helm.v4.Chart {
    requireExactVersion(args.pin);
    return new k8s.helm.v4.Chart(
        name,
        {
            name: args.releaseName,
            chart: args.pin.chart,
            version: args.pin.version,
            repositoryOpts: { repo: args.pin.repository },
            namespace: args.namespace,
            values: args.values ?? {},
        },
        opts,
    );
}

/** Pod Security Standards level a namespace enforces (https://kubernetes.io/docs/concepts/security/pod-security-standards/). */
export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/** kube2iam's namespace annotation (--namespace-restrictions): the roles pods in the namespace may assume, as a JSON array. */
export const PERMITTED_ROLES_ANNOTATION = "iam.amazonaws.com/permitted";

/** The permitted-roles annotation for exactly these role ARNs. */
export function permittedRolesAnnotation(roleArns: readonly string[]): Record<string, string> {
    return { [PERMITTED_ROLES_ANNOTATION]: JSON.stringify([...roleArns].sort()) };
}

/** A namespace's labels: its Pod Security level (enforced, and warned/audited at the same level). */
export function namespaceLabels(level: PodSecurityLevel): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/audit": level,
        "pod-security.kubernetes.io/warn": level,
    };
}

export interface AddonNamespaceArgs {
    readonly name: string;
    readonly podSecurity: PodSecurityLevel;
    /** Role ARNs pods here may assume through kube2iam; none: no annotation, kube2iam refuses every role. */
    readonly permittedRoleArns?: readonly pulumi.Input<string>[];
}

/** A namespace an addon owns. */
export function addonNamespace(name: string, args: AddonNamespaceArgs, opts: pulumi.CustomResourceOptions): k8s.core.v1.Namespace {
    const annotations = args.permittedRoleArns ? pulumi.all([...args.permittedRoleArns]).apply((arns) => permittedRolesAnnotation(arns)) : undefined;
    return new k8s.core.v1.Namespace(name, { metadata: { name: args.name, labels: namespaceLabels(args.podSecurity), annotations } }, opts);
}
