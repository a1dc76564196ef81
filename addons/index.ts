/**
 * The cluster's addons, applied through the generated admin kubeconfig once
 * the API answers: Calico, kube2iam, external-dns, the AWS cloud controller,
 * the EBS CSI driver, cluster-autoscaler, metrics-server (with the kubelet
 * serving-CSR approver). Each is its own component (`<name>-<addon>`, its own
 * manifests file) and is created only when its toggle is on; turning one off
 * removes its objects and its IAM and nothing else.
 */
import * as pulumi from "@pulumi/pulumi";
import { addonDependencyProblems } from "../config/rules";
import { formatProblem } from "../config/errors";
import { ADDON_CHARTS, AWS_CLOUD_CONTROLLER_MANAGER_TAGS, CLUSTER_AUTOSCALER_TAGS, KUBE2IAM_IMAGE, AddonChart, ChartPin, KubernetesMinor } from "../config/versions";
import { addonName } from "../lib/naming";
import { AddonContext, RoleRef } from "./common";
import { WaitForApi, clusterProvider } from "./provider";
import { Calico, NodePort, calicoNodePorts, splitHostPort } from "./calico";
import { Kube2iam } from "./kube2iam";
import { ExternalDns, ExternalDnsPolicy } from "./externalDns";
import { AwsCloudController } from "./awsCloudController";
import { EbsCsi } from "./ebsCsi";
import { ClusterAutoscaler } from "./clusterAutoscaler";
import { MetricsServer } from "./metricsServer";
import { KubeletCsrApprover } from "./kubeletCsrApprover";

export * from "./common";
export * from "./provider";
export * from "./podIdentity";
export { Calico, calicoNodePorts, calicoValues, calicoSrcDstCheckPolicy, splitHostPort } from "./calico";
export type { NodePort, CalicoSettings } from "./calico";
export { Kube2iam, kube2iamArgs, kube2iamClusterRoleRules, kube2iamDaemonSetSpec } from "./kube2iam";
export { ExternalDns, externalDnsPolicy, externalDnsValues, hostedZoneArn } from "./externalDns";
export { AwsCloudController, cloudControllerArgs, cloudControllerPolicy, cloudControllerValues } from "./awsCloudController";
export { EbsCsi, ebsCsiPolicy, ebsCsiValues, defaultStorageClass } from "./ebsCsi";
export { ClusterAutoscaler, clusterAutoscalerPolicy, clusterAutoscalerValues } from "./clusterAutoscaler";
export { MetricsServer, metricsServerArgs, metricsServerValues } from "./metricsServer";
export { KubeletCsrApprover, kubeletCsrApproverValues, nodeNameRegex, ec2PrivateDnsDomain, ec2PublicDnsDomain, publicIpv4Prefixes } from "./kubeletCsrApprover";

/** The per-stack switches (ClusterConfig.addons). */
export interface AddonToggles {
    readonly calico: boolean;
    readonly kube2iam: boolean;
    readonly externalDns: boolean;
    readonly awsCloudController: boolean;
    readonly ebsCsi: boolean;
    readonly clusterAutoscaler: boolean;
    readonly metricsServer: boolean;
}

/** Every chart and image the addons install, for one Kubernetes minor. */
export interface AddonVersions {
    readonly charts: Readonly<Record<AddonChart, ChartPin>>;
    readonly kube2iamImage: string;
    readonly cloudControllerManagerTag: string;
    /** Absent for a minor cluster-autoscaler has no release for (config/versions.ts). */
    readonly clusterAutoscalerTag?: string;
}

/** The pins of config/versions.ts for a Kubernetes minor. */
export function addonVersions(minor: KubernetesMinor): AddonVersions {
    return {
        charts: ADDON_CHARTS,
        kube2iamImage: KUBE2IAM_IMAGE,
        cloudControllerManagerTag: AWS_CLOUD_CONTROLLER_MANAGER_TAGS[minor],
        clusterAutoscalerTag: CLUSTER_AUTOSCALER_TAGS[minor],
    };
}

/**
 * Combinations that would deploy an addon that cannot work (pod-role addons
 * without kube2iam, kube2iam without Calico). The rule lives with the
 * configuration validation (config/rules.ts), which reports it before any
 * resource exists; the component re-checks its own arguments with it.
 */
export function addonProblems(toggles: AddonToggles): string[] {
    return addonDependencyProblems(toggles).map(formatProblem);
}

export interface AddonsArgs {
    readonly clusterName: string;
    readonly region: string;
    /** Default `aws`. */
    readonly partition?: string;
    readonly accountId: pulumi.Input<string>;
    /** The generated admin kubeconfig (secret). */
    readonly kubeconfig: pulumi.Input<string>;
    /** The API server URL Pulumi applies the addons through (what users dial), e.g. apiServerUrl(cluster.apiHost). */
    readonly apiUrl: pulumi.Input<string>;
    /**
     * `<host>:<port>` that every node reaches the API at: the internal endpoint (kubeadm's
     * controlPlaneEndpoint, api.internal.<cluster>.<zone>:6443). In-cluster consumers that cannot use the
     * service VIP (Calico) are given this, never apiUrl's public name.
     */
    readonly inClusterApiEndpoint: string;
    /** Instances have public addresses (no NAT): their kubelets' serving certificates carry them too. */
    readonly nodesHavePublicIps?: boolean;
    readonly clusterCaPem: pulumi.Input<string>;
    readonly podCidr: string;
    readonly serviceCidr: string;
    readonly vpcCidr: string;
    readonly dns?: { readonly zoneName: string; readonly zoneId: string; readonly private?: boolean };
    readonly toggles: AddonToggles;
    readonly versions: AddonVersions;
    readonly nodeRole: RoleRef;
    readonly controlPlaneRole: RoleRef;
    /** Default upsert-only. */
    readonly externalDnsPolicy?: ExternalDnsPolicy;
    /** Outputs the wait for the API starts after (e.g. the control plane's instance or group ids). */
    readonly apiReadyAfter?: readonly pulumi.Input<unknown>[];
    /** Replaces the real wait for the API (tests). */
    readonly waitForApi?: WaitForApi;
    readonly apiWaitIntervalSeconds?: number;
    readonly apiWaitTimeoutMinutes?: number;
}

export class Addons extends pulumi.ComponentResource {
    /** Ports the node security groups must open between nodes (empty without Calico). */
    readonly nodePorts: NodePort[];
    /** The addons created, in creation order. */
    readonly enabled: string[];
    /** Pod role ARNs by addon. */
    readonly podRoleArns: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: AddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:addons:Addons", name, {}, opts);
        const problems = addonProblems(args.toggles);
        if (args.toggles.clusterAutoscaler && !args.versions.clusterAutoscalerTag) problems.push("addons.clusterAutoscaler: no cluster-autoscaler release for this Kubernetes minor");
        if (problems.length > 0) throw new Error(`invalid addon selection:\n  ${problems.join("\n  ")}`);
        const t = args.toggles;
        const v = args.versions;
        const provider = clusterProvider(
            `${name}-provider`,
            {
                clusterName: args.clusterName,
                kubeconfig: args.kubeconfig,
                apiUrl: args.apiUrl,
                caCertPem: args.clusterCaPem,
                after: args.apiReadyAfter,
                waitForApi: args.waitForApi,
                waitIntervalMs: args.apiWaitIntervalSeconds === undefined ? undefined : args.apiWaitIntervalSeconds * 1000,
                waitTimeoutMs: args.apiWaitTimeoutMinutes === undefined ? undefined : args.apiWaitTimeoutMinutes * 60_000,
            },
            { parent: this },
        );
        const context: AddonContext = { clusterName: args.clusterName, region: args.region, partition: args.partition ?? "aws", accountId: args.accountId, provider };
        const roles = { nodeRole: args.nodeRole, controlPlaneRole: args.controlPlaneRole };
        const child = (addon: string) => addonName(name, addon);
        this.enabled = [];
        this.podRoleArns = {};

        // First the network and node initialisation: nothing else schedules (or gets ready) before both.
        const foundation: pulumi.Resource[] = [];
        if (t.calico) {
            const api = splitHostPort(args.inClusterApiEndpoint);
            const settings = { podCidr: args.podCidr, apiHost: api.host, apiPort: api.port };
            foundation.push(new Calico(child("calico"), { context, settings, ...roles, chart: v.charts.calico, crdChart: v.charts.calicoCrds }, { parent: this }));
            this.enabled.push("calico");
        }
        if (t.awsCloudController) {
            foundation.push(
                new AwsCloudController(
                    child("aws-cloud-controller"),
                    { context, settings: { podCidr: args.podCidr, imageTag: v.cloudControllerManagerTag }, controlPlaneRole: args.controlPlaneRole, chart: v.charts.awsCloudController },
                    { parent: this },
                ),
            );
            this.enabled.push("awsCloudController");
        }
        const afterFoundation = { parent: this, dependsOn: foundation };
        const identity: pulumi.Resource[] = [...foundation];
        if (t.kube2iam) {
            identity.push(new Kube2iam(child("kube2iam"), { context, image: v.kube2iamImage, ...roles }, afterFoundation));
            this.enabled.push("kube2iam");
        }
        const afterIdentity = { parent: this, dependsOn: identity };
        if (t.externalDns && args.dns) {
            const c = new ExternalDns(child("external-dns"), { context, settings: { ...args.dns, policy: args.externalDnsPolicy }, ...roles, chart: v.charts.externalDns }, afterIdentity);
            this.podRoleArns.externalDns = c.roleArn;
            this.enabled.push("externalDns");
        }
        if (t.ebsCsi) {
            const c = new EbsCsi(child("ebs-csi"), { context, ...roles, chart: v.charts.ebsCsi }, afterIdentity);
            this.podRoleArns.ebsCsi = c.roleArn;
            this.enabled.push("ebsCsi");
        }
        if (t.clusterAutoscaler) {
            const c = new ClusterAutoscaler(child("cluster-autoscaler"), { context, settings: { imageTag: v.clusterAutoscalerTag! }, ...roles, chart: v.charts.clusterAutoscaler }, afterIdentity);
            this.podRoleArns.clusterAutoscaler = c.roleArn;
            this.enabled.push("clusterAutoscaler");
        }
        if (t.metricsServer) {
            const approver = new KubeletCsrApprover(
                child("kubelet-csr-approver"),
                { context, vpcCidr: args.vpcCidr, nodesHavePublicIps: args.nodesHavePublicIps ?? false, chart: v.charts.kubeletCsrApprover },
                afterFoundation,
            );
            new MetricsServer(child("metrics-server"), { context, chart: v.charts.metricsServer }, { parent: this, dependsOn: [...foundation, approver] });
            this.enabled.push("metricsServer");
        }
        this.nodePorts = t.calico ? calicoNodePorts() : [];
        this.registerOutputs({ enabled: this.enabled, nodePorts: this.nodePorts, podRoleArns: this.podRoleArns });
    }
}
