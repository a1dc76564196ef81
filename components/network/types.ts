/**
 * Shapes shared by the Network component and the functions that build its
 * children for each network mode.
 */
import * as pulumi from "@pulumi/pulumi";
import { NetworkConfig } from "../../config";
import { Tags } from "../../lib/naming";

// The network modes' configuration shapes are the configuration's own (config/schema.ts).
export { isCreatedZone } from "../../config/schema";
export type { NewVpcConfig, ExistingVpcConfig, NatGatewayMode, ZoneSubnetsConfig, CreatedZoneSubnets, ExistingZoneSubnets } from "../../config/schema";

export interface NetworkArgs {
    readonly clusterName: string;
    /** The cluster's zones, in order; subnet i lives in zones[i]. */
    readonly zones: readonly string[];
    readonly network: NetworkConfig;
    /** The user's extra tags, added to every resource the cluster creates. */
    readonly tags: Tags;
}

/** What each mode hands back to the Network component; mirrors its public fields. */
export interface NetworkParts {
    readonly vpcId: pulumi.Output<string>;
    readonly vpcCidr: string;
    readonly publicSubnetIds: pulumi.Output<string>[];
    readonly privateSubnetIds: pulumi.Output<string>[];
    readonly instanceSubnetIds: pulumi.Output<string>[];
    readonly instancesNeedPublicIp: boolean;
    readonly routeTableIds: pulumi.Output<string>[];
    readonly natGatewayIds: pulumi.Output<string>[];
    readonly s3EndpointId: pulumi.Output<string> | undefined;
}
