/**
 * Existing-VPC mode: the network belongs to someone else. The cluster creates
 * no VPC, subnet, gateway, route or endpoint; it only adds its own tags to the
 * given subnets, each as a separate aws.ec2.Tag, so that destroying the
 * cluster removes exactly those tags and nothing the owner set.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { clusterTagKey, sharedSubnetTags, SubnetTier, zonalName } from "../naming";
import { ExistingVpcConfig, NetworkArgs, NetworkParts } from "./types";

export function useExistingVpc(name: string, args: NetworkArgs, network: ExistingVpcConfig, parent: pulumi.Resource): NetworkParts {
    const cluster = args.clusterName;
    const missing = args.zones.filter((zone) => !network.subnets[zone]);
    if (missing.length > 0) {
        // Config validation rejects this first; this guards direct use of the component.
        throw new Error(`network.subnets has no public/private subnet ids for zone(s) ${missing.join(", ")}`);
    }

    const tagSubnet = (tier: SubnetTier, zone: string, subnetId: string): pulumi.Output<string> => {
        // `shared` plus the role tag, never the legacy KubernetesCluster tag: it allows one cluster per
        // subnet only, and several clusters may share this VPC (kops issue 2388).
        for (const [key, value] of Object.entries(sharedSubnetTags(cluster, tier))) {
            const what = key === clusterTagKey(cluster) ? "cluster-tag" : "role-tag";
            new aws.ec2.Tag(zonalName(name, `${tier}-${what}`, zone), { resourceId: subnetId, key, value }, { parent });
        }
        return pulumi.output(subnetId);
    };

    const publicSubnetIds = args.zones.map((zone) => tagSubnet("public", zone, network.subnets[zone].public));
    const privateSubnetIds = args.zones.map((zone) => tagSubnet("private", zone, network.subnets[zone].private));
    const instancesNeedPublicIp = !network.privateSubnetsHaveNat;
    return {
        vpcId: pulumi.output(network.vpcId),
        vpcCidr: network.vpcCidr,
        publicSubnetIds,
        privateSubnetIds,
        instanceSubnetIds: instancesNeedPublicIp ? publicSubnetIds : privateSubnetIds,
        instancesNeedPublicIp,
        routeTableIds: [],
        natGatewayIds: [],
        // No S3 gateway endpoint: attaching one changes the owner's route tables, which we may not touch.
        // If the VPC has none, S3 traffic goes through the owner's NAT or internet gateway.
        s3EndpointId: undefined,
    };
}
