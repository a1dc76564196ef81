/**
 * The AWS EBS CSI driver (kubernetes-sigs chart) and the cluster's default
 * StorageClass (gp3, encrypted, bound where the pod lands, expandable).
 *
 * IAM: a kube2iam pod role for the controller, not the control-plane role.
 * kube2iam intercepts every pod's metadata calls on every node, control plane
 * included, so a controller pod could not use an instance role anyway; and a
 * pod role keeps volume and snapshot powers off the control-plane instances,
 * whose role every process on them can use.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ChartPin, ADDON_CHARTS } from "../config/versions";
import { PolicyDocument, PolicyStatement, policyDocument } from "../components/iam";
import { AddonContext, RoleRef, addonNamespace, pinnedRelease } from "./common";
import { podIamAnnotation, podRole } from "./podIdentity";

export const EBS_CSI_NAMESPACE = "aws-ebs-csi";
export const EBS_CSI_PROVISIONER = "ebs.csi.aws.com";
export const DEFAULT_STORAGE_CLASS = "gp3";

/**
 * The driver's example policy (aws-ebs-csi-driver docs/example-iam-policy.json),
 * with volumes and instances narrowed to this region and account; snapshots
 * keep any account, as volumes may be restored from shared snapshots.
 */
export function ebsCsiPolicy(partition: string, region: string, accountId: string): PolicyDocument {
    const volume = `arn:${partition}:ec2:${region}:${accountId}:volume/*`;
    const instance = `arn:${partition}:ec2:${region}:${accountId}:instance/*`;
    const snapshot = `arn:${partition}:ec2:${region}:*:snapshot/*`;
    const like = (key: string, value: string) => ({ StringLike: { [key]: value } });
    const allow = (Sid: string, Action: string | string[], Resource: string | string[], Condition?: PolicyStatement["Condition"]): PolicyStatement => ({
        Sid,
        Effect: "Allow",
        Action,
        Resource,
        Condition,
    });
    return policyDocument([
        allow(
            "Describe",
            [
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInstances",
                "ec2:DescribeSnapshots",
                "ec2:DescribeTags",
                "ec2:DescribeVolumes",
                "ec2:DescribeVolumesModifications",
                "ec2:DescribeVolumeStatus",
            ],
            "*",
        ),
        allow("SnapshotAndModifyVolumes", ["ec2:CreateSnapshot", "ec2:ModifyVolume"], volume),
        allow("CopyVolumes", "ec2:CopyVolumes", `arn:${partition}:ec2:${region}:${accountId}:volume/vol-*`),
        allow("AttachDetach", ["ec2:AttachVolume", "ec2:DetachVolume"], [volume, instance]),
        allow("CreateFromSnapshot", ["ec2:CreateVolume", "ec2:EnableFastSnapshotRestores"], snapshot),
        allow("TagOnCreate", "ec2:CreateTags", [volume, snapshot], { StringEquals: { "ec2:CreateAction": ["CreateVolume", "CreateSnapshot", "CopyVolumes"] } }),
        allow("Untag", "ec2:DeleteTags", [volume, snapshot]),
        allow("CreateClusterVolumes", ["ec2:CreateVolume", "ec2:CopyVolumes"], volume, like("aws:RequestTag/ebs.csi.aws.com/cluster", "true")),
        allow("CreateNamedVolumes", ["ec2:CreateVolume", "ec2:CopyVolumes"], volume, like("aws:RequestTag/CSIVolumeName", "*")),
        allow("DeleteClusterVolumes", "ec2:DeleteVolume", volume, like("ec2:ResourceTag/ebs.csi.aws.com/cluster", "true")),
        allow("DeleteNamedVolumes", "ec2:DeleteVolume", volume, like("ec2:ResourceTag/CSIVolumeName", "*")),
        allow("DeletePvcVolumes", "ec2:DeleteVolume", volume, like("ec2:ResourceTag/kubernetes.io/created-for/pvc/name", "*")),
        allow("CreateNamedSnapshots", "ec2:CreateSnapshot", snapshot, like("aws:RequestTag/CSIVolumeSnapshotName", "*")),
        allow("CreateClusterSnapshots", "ec2:CreateSnapshot", snapshot, like("aws:RequestTag/ebs.csi.aws.com/cluster", "true")),
        allow("DeleteNamedSnapshots", "ec2:DeleteSnapshot", snapshot, like("ec2:ResourceTag/CSIVolumeSnapshotName", "*")),
        allow("DeleteClusterSnapshots", "ec2:DeleteSnapshot", snapshot, like("ec2:ResourceTag/ebs.csi.aws.com/cluster", "true")),
    ]);
}

export interface EbsCsiSettings {
    readonly clusterName: string;
    readonly region: string;
}

/** The chart's values (aws-ebs-csi-driver values.yaml: controller.region, controller.k8sTagClusterId, controller.podAnnotations, node.tolerateAllTaints, storageClasses). */
export function ebsCsiValues(s: EbsCsiSettings, roleArn: string): Record<string, unknown> {
    return {
        controller: {
            region: s.region,
            // Tags every volume kubernetes.io/cluster/<name>=owned, as the cloud controller tags what it creates.
            k8sTagClusterId: s.clusterName,
            podAnnotations: podIamAnnotation(roleArn),
        },
        node: { tolerateAllTaints: true },
        // The default StorageClass is a typed object of this component (defaultStorageClass), not the chart's.
        storageClasses: [],
    };
}

/** gp3, encrypted with the account's EBS key, created in the zone of the pod that first uses it, expandable. */
export function defaultStorageClass(): k8s.types.input.storage.v1.StorageClass {
    return {
        metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: EBS_CSI_PROVISIONER,
        parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
        reclaimPolicy: "Delete",
    };
}

export interface EbsCsiArgs {
    readonly context: AddonContext;
    readonly nodeRole: RoleRef;
    readonly controlPlaneRole: RoleRef;
    readonly chart?: ChartPin;
}

export class EbsCsi extends pulumi.ComponentResource {
    readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: EbsCsiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:addons:EbsCsi", name, {}, opts);
        const { clusterName, region, partition, provider } = args.context;
        const policy = pulumi.output(args.context.accountId).apply((account) => ebsCsiPolicy(partition, region, account));
        const { role } = podRole(`${name}-role`, { cluster: clusterName, addon: "ebs-csi", nodeRoleArn: args.nodeRole.arn, controlPlaneRoleArn: args.controlPlaneRole.arn, policy }, { parent: this });
        const k = { parent: this, provider };
        // The node plugin is privileged (it mounts volumes on the host).
        const ns = addonNamespace(`${name}-namespace`, { name: EBS_CSI_NAMESPACE, podSecurity: "privileged", permittedRoleArns: [role.arn] }, k);
        const release = pinnedRelease(
            `${name}-release`,
            { pin: args.chart ?? ADDON_CHARTS.ebsCsi, releaseName: "aws-ebs-csi-driver", namespace: ns.metadata.name, values: role.arn.apply((arn) => ebsCsiValues({ clusterName, region }, arn)) },
            k,
        );
        new k8s.storage.v1.StorageClass(`${name}-storage-class`, defaultStorageClass(), { ...k, dependsOn: [release] });
        this.roleArn = role.arn;
        this.registerOutputs({ roleArn: this.roleArn, storageClass: DEFAULT_STORAGE_CLASS });
    }
}
