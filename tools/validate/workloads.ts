/**
 * The system workloads a cluster of this program runs, from its addon toggles:
 * what kubeadm deploys on every cluster, and for each enabled addon the
 * DaemonSets and Deployments its chart (at the version config/versions.ts
 * pins, with the release name and namespace addons/ gives it) or its own
 * manifests create. Pure.
 *
 * Chart object names were read from `helm template <release> <chart>` with the
 * staging render's values, each chart taken from its upstream repository at
 * the pinned tag (tools/upstream/chartFacts.ts CHART_SOURCES):
 *   tigera-operator v3.32.1        -> Deployment tigera-operator
 *   aws-cloud-controller-manager 0.0.11 -> DaemonSet aws-cloud-controller-manager
 *   aws-ebs-csi-driver 2.62.0      -> Deployment ebs-csi-controller, DaemonSet ebs-csi-node
 *                                      (and ebs-csi-node-windows, which selects Windows nodes only: not checked)
 *   cluster-autoscaler 9.59.0      -> Deployment cluster-autoscaler (fullnameOverride)
 *   metrics-server 3.13.1          -> Deployment metrics-server
 *   kubelet-csr-approver 1.2.14    -> Deployment kubelet-csr-approver
 *   external-dns 1.21.1            -> Deployment external-dns
 * Namespaces are the ones addons/ installs each release into; test/tools/validate/workloads.spec.ts
 * checks them against every stack's rendered manifests.
 */
import type { AddonToggles } from "../../addons";

export type WorkloadKind = "DaemonSet" | "Deployment";

export interface ExpectedWorkload {
    /** What a user calls it (the table's "where" names the object). */
    readonly component: string;
    readonly kind: WorkloadKind;
    readonly namespace: string;
    readonly name: string;
}

/** The stack's addon switches; a type-only import, so the CLI does not load the addons' Pulumi code. */
export type WorkloadToggles = AddonToggles;

/** addons/ names this addon's release or objects after it; the render's manifests file is `<cluster>-addons-<file>.yaml`. */
export const ADDON_MANIFEST_FILES: Readonly<Record<keyof WorkloadToggles, readonly string[]>> = {
    calico: ["calico"],
    kube2iam: ["kube2iam"],
    externalDns: ["external-dns"],
    awsCloudController: ["aws-cloud-controller"],
    ebsCsi: ["ebs-csi"],
    clusterAutoscaler: ["cluster-autoscaler"],
    metricsServer: ["metrics-server", "kubelet-csr-approver"],
};

/**
 * kube-proxy and CoreDNS: kubeadm's addon phase, always (the program never sets proxy.disabled).
 * Names as the pinned kubeadm 1.35.8 writes them (`kubeadm init --dry-run --kubernetes-version
 * v1.35.8` prints DaemonSet kube-system/kube-proxy and Deployment kube-system/coredns).
 */
const KUBEADM_WORKLOADS: readonly ExpectedWorkload[] = [
    { component: "kube-proxy", kind: "DaemonSet", namespace: "kube-system", name: "kube-proxy" },
    { component: "CoreDNS", kind: "Deployment", namespace: "kube-system", name: "coredns" },
];

const ADDON_WORKLOADS: Readonly<Record<keyof WorkloadToggles, readonly ExpectedWorkload[]>> = {
    calico: [
        { component: "Calico operator", kind: "Deployment", namespace: "tigera-operator", name: "tigera-operator" },
        // What the operator (the chart's tigeraOperator.version v1.42.3) creates from the Installation,
        // in calico-system (tigera/operator@v1.42.3:pkg/common/common.go CalicoNamespace, NodeDaemonSetName,
        // TyphaDeploymentName, KubeControllersDeploymentName; pkg/render/csi.go CSIDaemonSetName, rendered
        // unless installation.kubeletVolumePluginPath is "None", which calicoValues does not set).
        { component: "Calico node", kind: "DaemonSet", namespace: "calico-system", name: "calico-node" },
        { component: "Calico Typha", kind: "Deployment", namespace: "calico-system", name: "calico-typha" },
        { component: "Calico kube-controllers", kind: "Deployment", namespace: "calico-system", name: "calico-kube-controllers" },
        { component: "Calico CSI node driver", kind: "DaemonSet", namespace: "calico-system", name: "csi-node-driver" },
    ],
    kube2iam: [{ component: "kube2iam", kind: "DaemonSet", namespace: "kube2iam", name: "kube2iam" }],
    externalDns: [{ component: "external-dns", kind: "Deployment", namespace: "external-dns", name: "external-dns" }],
    awsCloudController: [{ component: "AWS cloud controller", kind: "DaemonSet", namespace: "kube-system", name: "aws-cloud-controller-manager" }],
    ebsCsi: [
        { component: "EBS CSI controller", kind: "Deployment", namespace: "aws-ebs-csi", name: "ebs-csi-controller" },
        { component: "EBS CSI node", kind: "DaemonSet", namespace: "aws-ebs-csi", name: "ebs-csi-node" },
    ],
    clusterAutoscaler: [{ component: "cluster-autoscaler", kind: "Deployment", namespace: "cluster-autoscaler", name: "cluster-autoscaler" }],
    metricsServer: [
        { component: "metrics-server", kind: "Deployment", namespace: "kube-system", name: "metrics-server" },
        { component: "kubelet serving-CSR approver", kind: "Deployment", namespace: "kube-system", name: "kubelet-csr-approver" },
    ],
};

/**
 * The workloads of a cluster with these toggles. external-dns is deployed only with a DNS zone
 * (addons/index.ts: `t.externalDns && args.dns`).
 */
export function expectedWorkloads(toggles: WorkloadToggles, hasDnsZone: boolean): ExpectedWorkload[] {
    const on = (Object.keys(ADDON_WORKLOADS) as (keyof WorkloadToggles)[]).filter((k) => toggles[k] && (k !== "externalDns" || hasDnsZone));
    return [...KUBEADM_WORKLOADS, ...on.flatMap((k) => ADDON_WORKLOADS[k])];
}

/** Every namespace a workload lives in: the pods checked for crash loops. */
export function systemNamespaces(workloads: readonly ExpectedWorkload[]): string[] {
    return [...new Set(["kube-system", ...workloads.map((w) => w.namespace)])].sort();
}
