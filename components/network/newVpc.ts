/**
 * New-VPC mode: the cluster creates and owns the whole network. One public
 * and one private subnet per zone, an internet gateway, NAT gateways as
 * configured, route tables, and an S3 gateway endpoint.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { namedTags, networkResourceName, subnetTags, SubnetTier, zonalName } from "../../lib/naming";
import { natForZone, natZoneIndexes, planSubnets } from "./layout";
import { NetworkArgs, NetworkParts, NewVpcConfig } from "./types";

const ANYWHERE = "0.0.0.0/0";

export function createNewVpc(name: string, args: NetworkArgs, network: NewVpcConfig, parent: pulumi.Resource): NetworkParts {
    const cluster = args.clusterName;
    const opts: pulumi.CustomResourceOptions = { parent };
    const tagged = (what: string, zone?: string) => namedTags(cluster, args.tags, networkResourceName(cluster, what, zone));
    const plan = planSubnets(network.vpcCidr, args.zones);
    // Without NAT, instances run in the public subnets and need public addresses to reach anything.
    const instancesNeedPublicIp = network.natGateways === "none";

    const vpc = new aws.ec2.Vpc(
        `${name}-vpc`,
        {
            cidrBlock: network.vpcCidr,
            // Instances get resolvable private DNS names, which the AWS cloud controller uses as node names.
            enableDnsSupport: true,
            enableDnsHostnames: true,
            tags: tagged("vpc"),
        },
        opts,
    );

    const subnet = (tier: SubnetTier, zone: string, cidrBlock: string) =>
        new aws.ec2.Subnet(
            zonalName(name, tier, zone),
            {
                vpcId: vpc.id,
                availabilityZone: zone,
                cidrBlock,
                mapPublicIpOnLaunch: tier === "public" && instancesNeedPublicIp,
                tags: subnetTags(cluster, args.tags, tier, zone),
            },
            opts,
        );
    const publicSubnets = plan.map((p) => subnet("public", p.zone, p.publicCidr));
    const privateSubnets = plan.map((p) => subnet("private", p.zone, p.privateCidr));

    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tagged("igw") }, opts);

    const nats = natZoneIndexes(network.natGateways, args.zones.length).map((i) => {
        const zone = args.zones[i];
        // A NAT gateway is only usable once the VPC has its internet gateway.
        const eip = new aws.ec2.Eip(zonalName(name, "nat-eip", zone), { domain: "vpc", tags: tagged("nat-eip", zone) }, { ...opts, dependsOn: [igw] });
        return new aws.ec2.NatGateway(
            zonalName(name, "nat", zone),
            { allocationId: eip.id, subnetId: publicSubnets[i].id, connectivityType: "public", tags: tagged("nat", zone) },
            { ...opts, dependsOn: [igw] },
        );
    });

    const publicRouteTable = new aws.ec2.RouteTable(`${name}-public-rt`, { vpcId: vpc.id, tags: tagged("public-rt") }, opts);
    new aws.ec2.Route(`${name}-public-default`, { routeTableId: publicRouteTable.id, destinationCidrBlock: ANYWHERE, gatewayId: igw.id }, opts);
    publicSubnets.forEach((s, i) => new aws.ec2.RouteTableAssociation(zonalName(name, "public-rta", args.zones[i]), { subnetId: s.id, routeTableId: publicRouteTable.id }, opts));

    // One table per zone even with a single NAT (or none): switching natGateways later only changes routes.
    const privateRouteTables = privateSubnets.map((s, i) => {
        const zone = args.zones[i];
        const table = new aws.ec2.RouteTable(zonalName(name, "private-rt", zone), { vpcId: vpc.id, tags: tagged("private-rt", zone) }, opts);
        const nat = natForZone(network.natGateways, i);
        if (nat !== undefined) {
            new aws.ec2.Route(zonalName(name, "private-default", zone), { routeTableId: table.id, destinationCidrBlock: ANYWHERE, natGatewayId: nats[nat].id }, opts);
        }
        new aws.ec2.RouteTableAssociation(zonalName(name, "private-rta", zone), { subnetId: s.id, routeTableId: table.id }, opts);
        return table;
    });

    const routeTableIds = [publicRouteTable.id, ...privateRouteTables.map((t) => t.id)];
    // S3 traffic (etcd backups, secrets delivery) goes through the gateway endpoint, never the internet or a NAT.
    const s3Endpoint = new aws.ec2.VpcEndpoint(
        `${name}-s3`,
        {
            vpcId: vpc.id,
            serviceName: pulumi.interpolate`com.amazonaws.${aws.getRegionOutput({}, { parent }).region}.s3`,
            vpcEndpointType: "Gateway",
            routeTableIds,
            tags: tagged("s3"),
        },
        opts,
    );

    const publicSubnetIds = publicSubnets.map((s) => s.id);
    const privateSubnetIds = privateSubnets.map((s) => s.id);
    return {
        vpcId: vpc.id,
        vpcCidr: network.vpcCidr,
        publicSubnetIds,
        privateSubnetIds,
        instanceSubnetIds: instancesNeedPublicIp ? publicSubnetIds : privateSubnetIds,
        instancesNeedPublicIp,
        routeTableIds,
        natGatewayIds: nats.map((n) => n.id),
        s3EndpointId: s3Endpoint.id,
    };
}
