/**
 * The cluster's network: a VPC across the cluster's zones with
 * Kubernetes-tagged public and private subnets, either created here (mode
 * "new") or someone else's (mode "existing"). This component only picks the
 * mode and exposes the result; each mode lives in its own module.
 */
import * as pulumi from "@pulumi/pulumi";
import { createNewVpc } from "./newVpc";
import { useExistingVpc } from "./existingVpc";
import { NetworkArgs } from "./types";

export const NETWORK_TYPE = "k8s-aws:network:Network";

export class Network extends pulumi.ComponentResource {
    readonly vpcId: pulumi.Output<string>;
    readonly vpcCidr: string;
    readonly zones: readonly string[];
    /** In zone order. */
    readonly publicSubnetIds: pulumi.Output<string>[];
    /** In zone order. */
    readonly privateSubnetIds: pulumi.Output<string>[];
    /** Where instances run, in zone order: the private subnets, or the public ones when they have no NAT. */
    readonly instanceSubnetIds: pulumi.Output<string>[];
    /** True when instances run in public subnets and need a public address for egress. */
    readonly instancesNeedPublicIp: boolean;
    /** Route tables the cluster created (in existing mode, only those of the subnets it created). */
    readonly routeTableIds: pulumi.Output<string>[];
    readonly natGatewayIds: pulumi.Output<string>[];
    /** The S3 gateway endpoint, on the cluster's own route tables; undefined when it has none (existing subnets only). */
    readonly s3EndpointId: pulumi.Output<string> | undefined;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super(NETWORK_TYPE, name, {}, opts);
        const network = args.network;
        const parts = network.mode === "new" ? createNewVpc(name, args, network, this) : useExistingVpc(name, args, network, this);
        this.vpcId = parts.vpcId;
        this.vpcCidr = parts.vpcCidr;
        this.zones = [...args.zones];
        this.publicSubnetIds = parts.publicSubnetIds;
        this.privateSubnetIds = parts.privateSubnetIds;
        this.instanceSubnetIds = parts.instanceSubnetIds;
        this.instancesNeedPublicIp = parts.instancesNeedPublicIp;
        this.routeTableIds = parts.routeTableIds;
        this.natGatewayIds = parts.natGatewayIds;
        this.s3EndpointId = parts.s3EndpointId;
        this.registerOutputs({
            vpcId: this.vpcId,
            vpcCidr: this.vpcCidr,
            zones: this.zones,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
            instanceSubnetIds: this.instanceSubnetIds,
            instancesNeedPublicIp: this.instancesNeedPublicIp,
            routeTableIds: this.routeTableIds,
            natGatewayIds: this.natGatewayIds,
            s3EndpointId: this.s3EndpointId,
        });
    }
}
