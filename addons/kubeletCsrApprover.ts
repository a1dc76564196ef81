/**
 * postfinance/kubelet-csr-approver: the kubelets request their serving
 * certificates through CSRs (serverTLSBootstrap), and nothing in Kubernetes
 * approves those. This approves a CSR only for a node name of this region's
 * EC2 private DNS form and IPs inside the VPC, so metrics-server (and
 * `kubectl logs/exec`) can verify kubelets against the cluster CA.
 */
import * as pulumi from "@pulumi/pulumi";
import { ChartPin, ADDON_CHARTS } from "../config/versions";
import { AddonContext, CONTROL_PLANE_TOLERATION, pinnedRelease } from "./common";

export const KUBELET_CSR_APPROVER_NAMESPACE = "kube-system";

/**
 * The domain of EC2 private DNS (IP-based) host names: `ec2.internal` in
 * us-east-1, `<region>.compute.internal` elsewhere
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-naming.html).
 */
export function ec2PrivateDnsDomain(region: string): string {
    return region === "us-east-1" ? "ec2.internal" : `${region}.compute.internal`;
}

/** Node names the approver accepts: `ip-a-b-c-d.<domain>`, nothing else. */
export function nodeNameRegex(region: string): string {
    const domain = ec2PrivateDnsDomain(region).replace(/\./g, "\\.");
    return `^ip-([0-9]{1,3}-){3}[0-9]{1,3}\\.${domain}$`;
}

export interface KubeletCsrApproverSettings {
    readonly region: string;
    readonly vpcCidr: string;
}

/** The chart's values (kubelet-csr-approver values.yaml: providerRegex, providerIpPrefixes, bypassDnsResolution, allowedDnsNames, tolerations). */
export function kubeletCsrApproverValues(s: KubeletCsrApproverSettings): Record<string, unknown> {
    return {
        providerRegex: nodeNameRegex(s.region),
        providerIpPrefixes: [s.vpcCidr],
        // The node name must resolve (VPC DNS) and be the one DNS name in the CSR.
        bypassDnsResolution: false,
        bypassHostnameCheck: false,
        allowedDnsNames: 1,
        ignoreNonSystemNode: false,
        // Nodes wait for it before their kubelet serves TLS: run it wherever there is room, control plane included.
        tolerations: [CONTROL_PLANE_TOLERATION],
    };
}

export interface KubeletCsrApproverArgs {
    readonly context: AddonContext;
    readonly vpcCidr: string;
    readonly chart?: ChartPin;
}

export class KubeletCsrApprover extends pulumi.ComponentResource {
    constructor(name: string, args: KubeletCsrApproverArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:addons:KubeletCsrApprover", name, {}, opts);
        pinnedRelease(
            `${name}-release`,
            {
                pin: args.chart ?? ADDON_CHARTS.kubeletCsrApprover,
                releaseName: "kubelet-csr-approver",
                namespace: KUBELET_CSR_APPROVER_NAMESPACE,
                values: kubeletCsrApproverValues({ region: args.context.region, vpcCidr: args.vpcCidr }),
            },
            { parent: this, provider: args.context.provider },
        );
        this.registerOutputs({});
    }
}
