/**
 * metrics-server (kubernetes-sigs chart): resource metrics for `kubectl top`
 * and the Horizontal Pod Autoscaler. It verifies the kubelets' serving
 * certificates against the cluster CA (no --kubelet-insecure-tls): the
 * kubelets get CA-signed certificates through CSRs that the
 * kubelet-csr-approver (its own component) approves.
 */
import * as pulumi from "@pulumi/pulumi";
import { ChartPin, ADDON_CHARTS } from "../config/versions";
import { AddonContext, pinnedRelease } from "./common";

export const METRICS_SERVER_NAMESPACE = "kube-system";

/** Flags that would switch off verification of the kubelets; never passed. */
export const INSECURE_KUBELET_FLAGS: readonly string[] = ["--kubelet-insecure-tls"];

/**
 * The container's flags, replacing the chart's `defaultArgs` (kubernetes-sigs/metrics-server@metrics-server-helm-chart-3.13.1:
 * charts/metrics-server/templates/deployment.yaml:66-80 renders `--secure-port`, then every `defaultArgs`
 * entry, then every `args` entry; values.yaml:95-99 defaults `defaultArgs` to --cert-dir=/tmp,
 * --kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname, --kubelet-use-node-status-port and
 * --metric-resolution=15s). Setting a flag in `args` that `defaultArgs` already has passes it twice, so
 * the whole list is given here, each flag once.
 */
export function metricsServerArgs(): string[] {
    return [
        "--cert-dir=/tmp",
        // The kubelet certificates carry the node's name and IPs; prefer the IP, which needs no cluster DNS.
        // No ExternalIP: nodes reach each other on private addresses only.
        "--kubelet-preferred-address-types=InternalIP,Hostname",
        "--kubelet-use-node-status-port",
        "--metric-resolution=15s",
    ];
}

/** The chart's values (where each key is read: docs/addons-facts.md). */
export function metricsServerValues(): Record<string, unknown> {
    return {
        defaultArgs: metricsServerArgs(),
        args: [],
        replicas: 2,
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
    };
}

export interface MetricsServerArgs {
    readonly context: AddonContext;
    readonly chart?: ChartPin;
}

export class MetricsServer extends pulumi.ComponentResource {
    constructor(name: string, args: MetricsServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:addons:MetricsServer", name, {}, opts);
        pinnedRelease(
            `${name}-release`,
            { pin: args.chart ?? ADDON_CHARTS.metricsServer, releaseName: "metrics-server", namespace: METRICS_SERVER_NAMESPACE, values: metricsServerValues() },
            { parent: this, provider: args.context.provider },
        );
        this.registerOutputs({});
    }
}
