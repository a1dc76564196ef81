/**
 * The external AWS cloud controller manager (kubernetes/cloud-provider-aws
 * chart, image per Kubernetes minor): initialises nodes (the kubelets run with
 * --cloud-provider=external), labels zones, and manages Service load
 * balancers. It runs on the control plane with the host network, so it works
 * before the pod network does and uses the control-plane instance role, which
 * gets the upstream documented policy.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ChartPin, ADDON_CHARTS, AWS_CLOUD_CONTROLLER_MANAGER_IMAGE } from "../config/versions";
import { PolicyDocument, policyDocument, renderPolicy } from "../components/iam";
import { AddonContext, CONTROL_PLANE_LABEL, CONTROL_PLANE_TOLERATION, RoleRef, Toleration, UNINITIALIZED_TOLERATION, pinnedRelease } from "./common";

export const CLOUD_CONTROLLER_NAMESPACE = "kube-system";

export interface CloudControllerSettings {
    readonly clusterName: string;
    readonly podCidr: string;
    /** Image tag, matching the Kubernetes minor (config/versions.ts AWS_CLOUD_CONTROLLER_MANAGER_TAGS). */
    readonly imageTag: string;
}

/**
 * The control-plane policy documented upstream
 * (https://github.com/kubernetes/cloud-provider-aws/blob/master/docs/prerequisites.md, "Control Plane Policy").
 * Upstream grants it on "*"; the controller discovers and creates resources by tag at run time, so it is kept as documented.
 */
export const CLOUD_CONTROLLER_ACTIONS: readonly string[] = [
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeTags",
    "ec2:DescribeInstances",
    "ec2:DescribeRegions",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVolumes",
    "ec2:DescribeAvailabilityZones",
    "ec2:CreateSecurityGroup",
    "ec2:CreateTags",
    "ec2:CreateVolume",
    "ec2:ModifyInstanceAttribute",
    "ec2:ModifyVolume",
    "ec2:AttachVolume",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:CreateRoute",
    "ec2:DeleteRoute",
    "ec2:DeleteSecurityGroup",
    "ec2:DeleteVolume",
    "ec2:DetachVolume",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:DescribeVpcs",
    "ec2:DescribeInstanceTopology",
    "elasticloadbalancing:AddTags",
    "elasticloadbalancing:AttachLoadBalancerToSubnets",
    "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer",
    "elasticloadbalancing:CreateLoadBalancer",
    "elasticloadbalancing:CreateLoadBalancerPolicy",
    "elasticloadbalancing:CreateLoadBalancerListeners",
    "elasticloadbalancing:ConfigureHealthCheck",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:DeleteLoadBalancerListeners",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DetachLoadBalancerFromSubnets",
    "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
    "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancerPolicies",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:SetLoadBalancerPoliciesOfListener",
    "iam:CreateServiceLinkedRole",
    "kms:DescribeKey",
];

/** The controller's policy, actions sorted and deduplicated (upstream lists elasticloadbalancing:AddTags twice). */
export function cloudControllerPolicy(): PolicyDocument {
    return policyDocument([{ Sid: "AwsCloudControllerManager", Effect: "Allow", Action: [...new Set(CLOUD_CONTROLLER_ACTIONS)].sort(), Resource: "*" }]);
}

/** The controller's flags: no cloud routes (Calico routes pods), the cluster's name for the resources it tags. */
export function cloudControllerArgs(s: Pick<CloudControllerSettings, "clusterName" | "podCidr">): string[] {
    return ["--v=2", "--cloud-provider=aws", `--cluster-name=${s.clusterName}`, `--cluster-cidr=${s.podCidr}`, "--configure-cloud-routes=false", "--allocate-node-cidrs=false"];
}

/** Nodes are NotReady until Calico runs, and Calico waits for nothing of ours; tolerate that too. */
const NOT_READY_TOLERATION: Toleration = { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoSchedule" };

/** The chart's values (aws-cloud-controller-manager values.yaml: namespace, args, image, nodeSelector, tolerations, hostNetworking). */
export function cloudControllerValues(s: CloudControllerSettings): Record<string, unknown> {
    return {
        namespace: CLOUD_CONTROLLER_NAMESPACE,
        image: { repository: AWS_CLOUD_CONTROLLER_MANAGER_IMAGE, tag: s.imageTag },
        args: cloudControllerArgs(s),
        nodeSelector: { [CONTROL_PLANE_LABEL]: "" },
        tolerations: [UNINITIALIZED_TOLERATION, CONTROL_PLANE_TOLERATION, NOT_READY_TOLERATION],
        hostNetworking: true,
    };
}

export interface AwsCloudControllerArgs {
    readonly context: AddonContext;
    readonly settings: Omit<CloudControllerSettings, "clusterName">;
    readonly controlPlaneRole: RoleRef;
    readonly chart?: ChartPin;
}

export class AwsCloudController extends pulumi.ComponentResource {
    constructor(name: string, args: AwsCloudControllerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:addons:AwsCloudController", name, {}, opts);
        const { clusterName, provider } = args.context;
        const policy = new aws.iam.RolePolicy(`${name}-control-plane-policy`, { role: args.controlPlaneRole.name, policy: renderPolicy(cloudControllerPolicy()) }, { parent: this });
        pinnedRelease(
            `${name}-release`,
            {
                pin: args.chart ?? ADDON_CHARTS.awsCloudController,
                releaseName: "aws-cloud-controller-manager",
                namespace: CLOUD_CONTROLLER_NAMESPACE,
                values: cloudControllerValues({ ...args.settings, clusterName }),
            },
            // The permissions first: a controller started without them marks its first attempts failed.
            { parent: this, provider, dependsOn: [policy] },
        );
        this.registerOutputs({});
    }
}
