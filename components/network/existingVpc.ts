/**
 * Existing-VPC mode: the VPC belongs to someone else and is never modified.
 * Per zone, the cluster either uses subnets the owner made (given by id), to
 * which it only adds its own tags, each as a separate aws.ec2.Tag so that
 * destroying the cluster removes exactly those tags; or it creates subnets of
 * its own inside the VPC (given as CIDRs), with route tables of its own, a NAT
 * (the VPC's, by id, or its own) and the S3 gateway endpoint on its own route
 * tables only. This is kops' "shared VPC" (kubernetes/kops
 * tests/integration/update_cluster/shared_vpc/kubernetes.tf: `data "aws_vpc"`
 * looked up, `aws_subnet` tagged `owned` + `KubernetesCluster` + role tags,
 * its own `aws_route_table` routing 0.0.0.0/0 to the VPC's internet gateway).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { clusterTagKey, namedTags, networkResourceName, sharedSubnetTags, subnetTags, SubnetTier, zonalName } from "../../lib/naming";
import { CreatedZoneSubnets, ExistingVpcConfig, isCreatedZone, NetworkArgs, NetworkParts } from "./types";

const ANYWHERE = "0.0.0.0/0";

export function useExistingVpc(name: string, args: NetworkArgs, network: ExistingVpcConfig, parent: pulumi.Resource): NetworkParts {
    const cluster = args.clusterName;
    const opts: pulumi.CustomResourceOptions = { parent };
    const missing = args.zones.filter((zone) => !network.subnets[zone]);
    if (missing.length > 0) {
        // Config validation rejects this first; this guards direct use of the component.
        throw new Error(`network.subnets has no subnet ids or CIDRs for zone(s) ${missing.join(", ")}`);
    }
    const tagged = (what: string, zone?: string) => namedTags(cluster, args.tags, networkResourceName(cluster, what, zone));

    const tagSubnet = (tier: SubnetTier, zone: string, subnetId: string): pulumi.Output<string> => {
        // `shared` plus the role tag, never the legacy KubernetesCluster tag: it allows one cluster per
        // subnet only, and several clusters may share this VPC (kops issue 2388).
        for (const [key, value] of Object.entries(sharedSubnetTags(cluster, tier))) {
            const what = key === clusterTagKey(cluster) ? "cluster-tag" : "role-tag";
            new aws.ec2.Tag(zonalName(name, `${tier}-${what}`, zone), { resourceId: subnetId, key, value }, { parent });
        }
        return pulumi.output(subnetId);
    };

    const createdZones = args.zones.filter((zone) => isCreatedZone(network.subnets[zone]));
    // One public route table for the cluster's own public subnets, like kops' shared_vpc case; the VPC's main
    // route table and the owner's tables are never touched.
    let publicRouteTable: aws.ec2.RouteTable | undefined;
    if (createdZones.length > 0) {
        if (!network.internetGatewayId) throw new Error("network.internetGatewayId is required when the cluster creates subnets");
        publicRouteTable = new aws.ec2.RouteTable(`${name}-public-rt`, { vpcId: network.vpcId, tags: tagged("public-rt") }, opts);
        new aws.ec2.Route(`${name}-public-default`, { routeTableId: publicRouteTable.id, destinationCidrBlock: ANYWHERE, gatewayId: network.internetGatewayId }, opts);
    }

    const privateRouteTables: aws.ec2.RouteTable[] = [];
    const ownNats: aws.ec2.NatGateway[] = [];
    const createZone = (zone: string, s: CreatedZoneSubnets): { publicId: pulumi.Output<string>; privateId: pulumi.Output<string> } => {
        const subnet = (tier: SubnetTier, cidrBlock: string) =>
            new aws.ec2.Subnet(
                zonalName(name, tier, zone),
                // `owned` + KubernetesCluster + role tags (subnetTags): this subnet is the cluster's and goes with it.
                { vpcId: network.vpcId, availabilityZone: zone, cidrBlock, mapPublicIpOnLaunch: false, tags: subnetTags(cluster, args.tags, tier, zone) },
                opts,
            );
        const pub = subnet("public", s.publicCidr);
        const priv = subnet("private", s.privateCidr);
        new aws.ec2.RouteTableAssociation(zonalName(name, "public-rta", zone), { subnetId: pub.id, routeTableId: publicRouteTable!.id }, opts);

        let natGatewayId: pulumi.Input<string>;
        if (s.natGatewayId) {
            natGatewayId = s.natGatewayId;
        } else {
            const eip = new aws.ec2.Eip(zonalName(name, "nat-eip", zone), { domain: "vpc", tags: tagged("nat-eip", zone) }, opts);
            const nat = new aws.ec2.NatGateway(
                zonalName(name, "nat", zone),
                { allocationId: eip.id, subnetId: pub.id, connectivityType: "public", tags: tagged("nat", zone) },
                // The NAT's public subnet must route to the internet gateway before it can pass traffic.
                { ...opts, dependsOn: [publicRouteTable!] },
            );
            ownNats.push(nat);
            natGatewayId = nat.id;
        }
        const table = new aws.ec2.RouteTable(zonalName(name, "private-rt", zone), { vpcId: network.vpcId, tags: tagged("private-rt", zone) }, opts);
        new aws.ec2.Route(zonalName(name, "private-default", zone), { routeTableId: table.id, destinationCidrBlock: ANYWHERE, natGatewayId }, opts);
        new aws.ec2.RouteTableAssociation(zonalName(name, "private-rta", zone), { subnetId: priv.id, routeTableId: table.id }, opts);
        privateRouteTables.push(table);
        return { publicId: pub.id, privateId: priv.id };
    };

    const perZone = args.zones.map((zone) => {
        const s = network.subnets[zone];
        if (isCreatedZone(s)) return createZone(zone, s);
        return { publicId: tagSubnet("public", zone, s.public), privateId: tagSubnet("private", zone, s.private) };
    });
    const publicSubnetIds = perZone.map((z) => z.publicId);
    const privateSubnetIds = perZone.map((z) => z.privateId);
    const routeTableIds = publicRouteTable ? [publicRouteTable.id, ...privateRouteTables.map((t) => t.id)] : [];
    // The S3 gateway endpoint only on the cluster's own route tables; with none, S3 traffic goes through the owner's
    // NAT or internet gateway, because attaching an endpoint changes route tables the cluster may not touch.
    const s3Endpoint =
        routeTableIds.length > 0
            ? new aws.ec2.VpcEndpoint(
                  `${name}-s3`,
                  {
                      vpcId: network.vpcId,
                      serviceName: pulumi.interpolate`com.amazonaws.${aws.getRegionOutput({}, { parent }).region}.s3`,
                      vpcEndpointType: "Gateway",
                      routeTableIds,
                      tags: tagged("s3"),
                  },
                  opts,
              )
            : undefined;
    const instancesNeedPublicIp = !network.privateSubnetsHaveNat;
    return {
        vpcId: pulumi.output(network.vpcId),
        vpcCidr: network.vpcCidr,
        publicSubnetIds,
        privateSubnetIds,
        instanceSubnetIds: instancesNeedPublicIp ? publicSubnetIds : privateSubnetIds,
        instancesNeedPublicIp,
        routeTableIds,
        natGatewayIds: ownNats.map((n) => n.id),
        s3EndpointId: s3Endpoint?.id,
    };
}
