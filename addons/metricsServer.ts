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

/** The chart's values (metrics-server values.yaml: args are added to the chart's defaultArgs). */
export function metricsServerValues(): Record<string, unknown> {
    return {
        // The kubelet certificates carry the node's name and IPs; prefer the IP, which needs no cluster DNS.
        args: ["--kubelet-preferred-address-types=InternalIP,Hostname"],
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
