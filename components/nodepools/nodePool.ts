/**
 * One worker node pool: a launch template and one autoscaling group that
 * spans every zone's instance subnet. Nodes join themselves on first boot
 * (bootstrap.ts), cluster-autoscaler scales the group (tags.ts); a new
 * template version is rolled out by `npm run roll` (tools/roll), never by `pulumi up`. Two
 * resources per pool whatever its size. The component only wires.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { NodePoolConfig } from "../../config";
import { ConfigError, keyOf } from "../../config/errors";
import { architectureOf } from "../../config/rules";
import { debianArch, lookupAmi } from "../host/ami";
import { encodeUserData } from "../host/userData";
import { Tags } from "../../lib/naming";
import { renderNodeUserData } from "../host/nodeUserData";
import { groupCapacity, groupLaunchSpec } from "./capacity";
import { RolloutGroup, rolloutGroup } from "../rollout";
import { nodePoolLabelProblems } from "../../config/nodePoolLabels";
import { poolLaunchTemplateArgs } from "./launchTemplate";
import { poolGroupTags } from "../../lib/poolTags";

export const NODE_POOL_TYPE = "k8s-aws:nodepools:NodePool";

export interface NodePoolArgs {
    readonly clusterName: string;
    readonly region: string;
    readonly pool: NodePoolConfig;
    readonly kubernetes: { readonly minor: string; readonly version: string };
    /** Every zone's instance subnet (Network.instanceSubnetIds): the pool spans all of them. */
    readonly subnetIds: readonly pulumi.Input<string>[];
    /** Network.instancesNeedPublicIp: instances run in public subnets (no NAT). */
    readonly associatePublicIp: boolean;
    /** The nodes' security group (Firewall.groupIds.nodes). */
    readonly securityGroupId: pulumi.Input<string>;
    /** The node role's instance profile (InstanceRoles.node.instanceProfile.arn). */
    readonly instanceProfileArn: pulumi.Input<string>;
    readonly secretsBucketName: pulumi.Input<string>;
    /** `<host>:<port>` nodes join through: the control plane's controlPlaneEndpoint. */
    readonly apiEndpoint: pulumi.Input<string>;
    /** `sha256:<hex>` of the cluster CA (Pki.caCertHash); not a secret. */
    readonly caCertHash: pulumi.Input<string>;
    /** The user's extra tags (config.tags). */
    readonly tags: Tags;
}

export class NodePool extends pulumi.ComponentResource {
    readonly launchTemplate: aws.ec2.LaunchTemplate;
    readonly group: aws.autoscaling.Group;
    /** The autoscaling group's name (AWS-unique, from the logical name). */
    readonly groupName: pulumi.Output<string>;
    /** What `npm run roll` needs (components/rollout.ts). */
    readonly rollout: pulumi.Output<RolloutGroup>;

    constructor(name: string, args: NodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super(NODE_POOL_TYPE, name, {}, opts);
        const { pool } = args;
        // Normally caught by configuration validation; kept here so no caller can build a pool whose nodes cannot register.
        const problems = nodePoolLabelProblems(pool, `${keyOf(["nodePools"])}[name=${pool.name}]`);
        if (problems.length > 0) throw new ConfigError(problems);
        if (args.subnetIds.length === 0) throw new Error(`node pool ${pool.name}: no instance subnets`);

        const arch = debianArch(architectureOf(pool.instanceTypes[0]));
        const userData = pulumi
            .all([args.secretsBucketName, args.apiEndpoint, args.caCertHash])
            .apply(([secretsBucket, apiEndpoint, caCertHash]) =>
                encodeUserData(renderNodeUserData({ pool, region: args.region, kubernetes: args.kubernetes, arch, secretsBucket, apiEndpoint, caCertHash }), `node pool ${pool.name}'s user data`),
            );
        const launchTemplateArgs = poolLaunchTemplateArgs({
            clusterName: args.clusterName,
            pool,
            tags: args.tags,
            imageId: lookupAmi(arch, this),
            userData,
            securityGroupId: args.securityGroupId,
            instanceProfileArn: args.instanceProfileArn,
            associatePublicIp: args.associatePublicIp,
        });
        this.launchTemplate = new aws.ec2.LaunchTemplate(`${name}-lt`, launchTemplateArgs, { parent: this });

        // The numbered version (not $Latest): a new one changes the group's launch template, and only new
        // instances use it. No instanceRefresh here: `pulumi up` never replaces nodes; `npm run roll` does.
        const version = this.launchTemplate.latestVersion.apply((v) => String(v));
        this.group = new aws.autoscaling.Group(
            `${name}-asg`,
            {
                vpcZoneIdentifiers: [...args.subnetIds],
                ...groupCapacity(pool),
                ...groupLaunchSpec(pool, { id: this.launchTemplate.id, version }),
                tags: poolGroupTags({ clusterName: args.clusterName, pool, tags: args.tags }),
            },
            // cluster-autoscaler sets the desired capacity from the first scale-up on; resetting it to the
            // configured value on every `pulumi up` would fight it (and terminate busy nodes).
            { parent: this, ignoreChanges: ["desiredCapacity"] },
        );
        this.groupName = this.group.name;
        this.rollout = rolloutGroup("pool", pool.name, launchTemplateArgs, this.launchTemplate, this.group, pool.minHealthyPercentage);
        this.registerOutputs({ groupName: this.groupName, launchTemplateId: this.launchTemplate.id, launchTemplateVersion: version });
    }
}
