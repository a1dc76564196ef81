/**
 * cluster-autoscaler (kubernetes/autoscaler chart, image matching the
 * Kubernetes minor): discovers the node pools' Auto Scaling groups by the tags
 * naming.autoscalerTags puts on them, and resizes them. It runs on the control
 * plane, so it never runs on, and never has to evict itself from, a node it
 * scales down; its AWS access is a kube2iam pod role that may resize only this
 * cluster's groups.
 */
import * as pulumi from "@pulumi/pulumi";
import { ChartPin, ADDON_CHARTS, CLUSTER_AUTOSCALER_IMAGE } from "../config/versions";
import { PolicyDocument, policyDocument } from "../components/iam";
import { autoscalerTags } from "../lib/naming";
import { AddonContext, RoleRef, addonNamespace, controlPlaneScheduling, pinnedRelease } from "./common";
import { podIamAnnotation, podRole } from "./podIdentity";

export const CLUSTER_AUTOSCALER_NAMESPACE = "cluster-autoscaler";

export type Expander = "least-waste" | "random" | "most-pods" | "price" | "priority";

export interface ClusterAutoscalerSettings {
    readonly clusterName: string;
    readonly region: string;
    /** Image tag matching the Kubernetes minor (config/versions.ts CLUSTER_AUTOSCALER_TAGS). */
    readonly imageTag: string;
    /** Default least-waste: the group that leaves the least idle CPU/memory. */
    readonly expander?: Expander;
}

/**
 * The AWS provider's recommended policy (cluster-autoscaler/cloudprovider/aws/README.md, "Full Cluster Autoscaler
 * Features Policy"), EKS node groups left out: reads on "*", and resizing or terminating only in Auto Scaling groups
 * of this account and region that carry both discovery tags of this cluster.
 */
export function clusterAutoscalerPolicy(partition: string, region: string, accountId: string, cluster: string): PolicyDocument {
    const tags = autoscalerTags(cluster);
    return policyDocument([
        {
            Sid: "ResizeClusterGroups",
            Effect: "Allow",
            Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            Resource: `arn:${partition}:autoscaling:${region}:${accountId}:autoScalingGroup:*:autoScalingGroupName/*`,
            Condition: { StringEquals: Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])) },
        },
        {
            Sid: "Describe",
            Effect: "Allow",
            Action: [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
            ],
            Resource: "*",
        },
    ]);
}

/** The chart's values (cluster-autoscaler values.yaml: cloudProvider, awsRegion, autoDiscovery, image, extraArgs, nodeSelector, tolerations, podAnnotations). */
export function clusterAutoscalerValues(s: ClusterAutoscalerSettings, roleArn: string): Record<string, unknown> {
    return {
        cloudProvider: "aws",
        awsRegion: s.region,
        // The chart turns these into --node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/<cluster>.
        autoDiscovery: { clusterName: s.clusterName, tags: Object.keys(autoscalerTags(s.clusterName)) },
        image: { repository: CLUSTER_AUTOSCALER_IMAGE, tag: s.imageTag },
        extraArgs: {
            expander: s.expander ?? "least-waste",
            "balance-similar-node-groups": true,
            "skip-nodes-with-local-storage": false,
            "skip-nodes-with-system-pods": false,
        },
        fullnameOverride: "cluster-autoscaler",
        podAnnotations: podIamAnnotation(roleArn),
        ...controlPlaneScheduling(),
    };
}

export interface ClusterAutoscalerArgs {
    readonly context: AddonContext;
    readonly settings: Omit<ClusterAutoscalerSettings, "clusterName" | "region">;
    readonly nodeRole: RoleRef;
    readonly controlPlaneRole: RoleRef;
    readonly chart?: ChartPin;
}

export class ClusterAutoscaler extends pulumi.ComponentResource {
    readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: ClusterAutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:addons:ClusterAutoscaler", name, {}, opts);
        const { clusterName, region, partition, provider } = args.context;
        const settings: ClusterAutoscalerSettings = { ...args.settings, clusterName, region };
        const policy = pulumi.output(args.context.accountId).apply((account) => clusterAutoscalerPolicy(partition, region, account, clusterName));
        // Scheduled on the control plane: kube2iam there assumes the role with the control-plane instance role; the node role is trusted for reschedules elsewhere.
        const { role } = podRole(
            `${name}-role`,
            { cluster: clusterName, addon: "cluster-autoscaler", nodeRoleArn: args.nodeRole.arn, controlPlaneRoleArn: args.controlPlaneRole.arn, policy },
            { parent: this },
        );
        const k = { parent: this, provider };
        const ns = addonNamespace(`${name}-namespace`, { name: CLUSTER_AUTOSCALER_NAMESPACE, podSecurity: "baseline", permittedRoleArns: [role.arn] }, k);
        pinnedRelease(
            `${name}-release`,
            {
                pin: args.chart ?? ADDON_CHARTS.clusterAutoscaler,
                releaseName: "cluster-autoscaler",
                namespace: ns.metadata.name,
                values: role.arn.apply((arn) => clusterAutoscalerValues(settings, arn)),
            },
            k,
        );
        this.roleArn = role.arn;
        this.registerOutputs({ roleArn: this.roleArn });
    }
}
