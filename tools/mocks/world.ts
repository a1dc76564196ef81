/**
 * Infrastructure that exists before the cluster, as the mocked AWS account
 * knows it: the VPCs, subnets, internet and NAT gateways and hosted zones that
 * another tool (Terraform, say) made and that `stacks/Pulumi.existing-vpc.yaml`
 * and `stacks/Pulumi.shared-vpc.yaml` deploy into. Data-source calls for these
 * ids answer like EC2 and Route53 do; unknown ids fail like they do.
 */
import { CallMock } from "./types";

export interface ExistingSubnet {
    readonly id: string;
    readonly vpcId: string;
    readonly availabilityZone: string;
    readonly cidrBlock: string;
    readonly tier: "public" | "private";
    readonly tags: Record<string, string>;
}

export interface ExistingVpc {
    readonly id: string;
    readonly region: string;
    readonly cidrBlock: string;
    /** IPv4 blocks associated after creation (EC2 AssociateVpcCidrBlock). */
    readonly secondaryCidrBlocks?: readonly string[];
    /** VPC attributes (EC2 DescribeVpcAttribute); EC2's defaults for a non-default VPC are true and false. */
    readonly enableDnsSupport?: boolean;
    readonly enableDnsHostnames?: boolean;
    readonly tags: Record<string, string>;
}

export interface ExistingInternetGateway {
    readonly id: string;
    readonly vpcId: string;
}

export interface ExistingNatGateway {
    readonly id: string;
    readonly vpcId: string;
    readonly subnetId: string;
    readonly state: "pending" | "available" | "deleting" | "deleted" | "failed";
}

export interface ExistingHostedZone {
    readonly id: string;
    readonly name: string;
    /** Private zones answer only inside the VPCs they are associated with. */
    readonly vpcIds?: readonly string[];
}

export const EXISTING_VPCS: readonly ExistingVpc[] = [
    { id: "vpc-0c5e1b7d2a9f34e61", region: "eu-central-1", cidrBlock: "10.40.0.0/16", enableDnsSupport: true, enableDnsHostnames: true, tags: { Name: "shared-platform", ManagedBy: "terraform" } },
    // Another team's VPC in the same account: its subnet must be refused when listed for the platform VPC.
    { id: "vpc-0f2a4c6e8b1d3f5a7", region: "eu-central-1", cidrBlock: "10.50.0.0/16", enableDnsSupport: true, enableDnsHostnames: true, tags: { Name: "data-team", ManagedBy: "terraform" } },
    // The reference article's VPC (stacks/Pulumi.shared-vpc.yaml): Terraform made it, its private subnets and NAT gateways;
    // clusters create subnets of their own inside it. A secondary block leaves room for a second cluster.
    {
        id: "vpc-0a7c3e5b9d1f2a4c6",
        region: "eu-west-1",
        cidrBlock: "10.60.0.0/16",
        secondaryCidrBlocks: ["10.61.0.0/16"],
        enableDnsSupport: true,
        enableDnsHostnames: true,
        tags: { Name: "encompass", ManagedBy: "terraform" },
    },
    // Same account, DNS hostnames off (EC2's default for a VPC made by API/Terraform): refused by preflight.
    { id: "vpc-0e4b6d8f0a2c4e6b8", region: "eu-west-1", cidrBlock: "10.70.0.0/16", enableDnsSupport: true, enableDnsHostnames: false, tags: { Name: "legacy", ManagedBy: "terraform" } },
];

const zoneCidrs: [string, string, string][] = [
    ["eu-central-1a", "10.40.0.0/19", "10.40.192.0/22"],
    ["eu-central-1b", "10.40.32.0/19", "10.40.196.0/22"],
    ["eu-central-1c", "10.40.64.0/19", "10.40.200.0/22"],
];
const subnetIds: Record<string, [string, string]> = {
    "eu-central-1a": ["subnet-04a8f2c6e1d3b5a79", "subnet-0e1f3a5c7b9d2e4f6"],
    "eu-central-1b": ["subnet-0b7d9f1e3a5c7e9b2", "subnet-07c9e1a3b5d7f9a1c"],
    "eu-central-1c": ["subnet-02e4a6c8e0b2d4f6a", "subnet-0d3f5b7a9c1e3a5b8"],
};

export const EXISTING_SUBNETS: readonly ExistingSubnet[] = [
    ...zoneCidrs.flatMap(([zone, privateCidr, publicCidr]) => {
        const [privateId, publicId] = subnetIds[zone];
        const vpcId = EXISTING_VPCS[0].id;
        return [
            { id: privateId, vpcId, availabilityZone: zone, cidrBlock: privateCidr, tier: "private" as const, tags: { Name: `platform-private-${zone}`, ManagedBy: "terraform" } },
            { id: publicId, vpcId, availabilityZone: zone, cidrBlock: publicCidr, tier: "public" as const, tags: { Name: `platform-public-${zone}`, ManagedBy: "terraform" } },
        ];
    }),
    {
        id: "subnet-0a2c4e6f8b0d2f4a6",
        vpcId: EXISTING_VPCS[1].id,
        availabilityZone: "eu-central-1a",
        cidrBlock: "10.50.0.0/19",
        tier: "private",
        tags: { Name: "data-team-private-eu-central-1a", ManagedBy: "terraform" },
    },
    // The shared VPC's own subnets (Terraform's): per zone a /20 private and a /24 public one holding its NAT gateway.
    ...(["a", "b", "c"] as const).flatMap((z, i) => {
        const zone = `eu-west-1${z}`;
        const vpcId = "vpc-0a7c3e5b9d1f2a4c6";
        return [
            {
                id: `subnet-0c1e3a5b7d9f1a3c${i}`,
                vpcId,
                availabilityZone: zone,
                cidrBlock: `10.60.${i * 16}.0/20`,
                tier: "private" as const,
                tags: { Name: `encompass-private-${zone}`, ManagedBy: "terraform" },
            },
            {
                id: `subnet-0f2b4d6a8c0e2f4b${i}`,
                vpcId,
                availabilityZone: zone,
                cidrBlock: `10.60.${48 + i}.0/24`,
                tier: "public" as const,
                tags: { Name: `encompass-public-${zone}`, ManagedBy: "terraform" },
            },
        ];
    }),
];

export const EXISTING_INTERNET_GATEWAYS: readonly ExistingInternetGateway[] = [
    { id: "igw-0b1d3f5a7c9e1b3d5", vpcId: "vpc-0a7c3e5b9d1f2a4c6" },
    { id: "igw-0d3f5b7a9c1e3a5b7", vpcId: "vpc-0c5e1b7d2a9f34e61" },
    { id: "igw-0f5b7d9a1c3e5b7d9", vpcId: "vpc-0e4b6d8f0a2c4e6b8" },
];

/** Terraform's NAT gateways of the shared VPC (the article's `nat_gateway_ids`), one per zone. */
export const EXISTING_NAT_GATEWAYS: readonly ExistingNatGateway[] = [
    ...[0, 1, 2].map((i) => ({ id: `nat-0a1c3e5b7d9f1e3a${i}`, vpcId: "vpc-0a7c3e5b9d1f2a4c6", subnetId: `subnet-0f2b4d6a8c0e2f4b${i}`, state: "available" as const })),
    { id: "nat-0e2a4c6b8d0f2a4c6", vpcId: "vpc-0c5e1b7d2a9f34e61", subnetId: "subnet-0e1f3a5c7b9d2e4f6", state: "available" },
    // In the same region as the shared VPC, but of the legacy VPC; and one being deleted.
    { id: "nat-0c4e6a8b0d2f4c6e8", vpcId: "vpc-0e4b6d8f0a2c4e6b8", subnetId: "subnet-0b3d5f7a9c1e3b5d7", state: "available" },
    { id: "nat-0d5f7b9c1e3a5d7f9", vpcId: "vpc-0a7c3e5b9d1f2a4c6", subnetId: "subnet-0f2b4d6a8c0e2f4b0", state: "deleting" },
];

export const EXISTING_HOSTED_ZONES: readonly ExistingHostedZone[] = [
    // Private, associated with the shared VPC only (the article's DNS_ZONE_PRIVATE_ID).
    { id: "Z04A1B2C3D4E5F6G7H8IJ", name: "encompass.internal", vpcIds: ["vpc-0a7c3e5b9d1f2a4c6"] },
    // Private, of the same name's sibling, not associated with the shared VPC.
    { id: "Z09Z8Y7X6W5V4U3T2S1RQ", name: "elsewhere.internal", vpcIds: ["vpc-0c5e1b7d2a9f34e61"] },
    { id: "Z0123456789ABCDEFGHIJ", name: "platform.example.com" },
];

/** The shared VPC of the reference article (stacks/Pulumi.shared-vpc.yaml). */
export const SHARED_VPC = EXISTING_VPCS[2];
/** A VPC without DNS hostnames. */
export const NO_DNS_HOSTNAMES_VPC = EXISTING_VPCS[3];

/** The pre-existing platform VPC (the one `stacks/Pulumi.existing-vpc.yaml` uses). */
export const PLATFORM_VPC = EXISTING_VPCS[0];
/** Another VPC in the same account and region. */
export const OTHER_VPC = EXISTING_VPCS[1];

/** The id of a subnet of `vpcId` in `zone` and `tier`; throws if the world has none. */
export function existingSubnetId(zone: string, tier: "public" | "private", vpcId: string = PLATFORM_VPC.id): string {
    const found = EXISTING_SUBNETS.find((s) => s.vpcId === vpcId && s.availabilityZone === zone && s.tier === tier);
    if (!found) throw new Error(`the mocked account has no ${tier} subnet of ${vpcId} in ${zone}`);
    return found.id;
}

/** Region of the VPC a subnet belongs to: EC2 only answers for ids in the region asked. */
function regionOf(subnet: ExistingSubnet): string | undefined {
    return EXISTING_VPCS.find((v) => v.id === subnet.vpcId)?.region;
}

/**
 * EC2's answer for an unknown id, as the provider surfaces it. The engine
 * hands invoke failures to the SDK as gRPC errors, whose text is in `details`
 * (the SDK rethrows `new Error(err.details)`), so the mock sets both.
 */
function notFound(kind: string, id: unknown): never {
    const text = `reading EC2 ${kind} (${String(id)}): couldn't find resource (InvalidParameterValue / Invalid${kind}ID.NotFound: The ${kind.toLowerCase()} ID '${String(id)}' does not exist)`;
    throw Object.assign(new Error(text), { code: 2 /* grpc UNKNOWN */, details: text });
}

/** The provider's error when a filtered lookup matches nothing (e.g. `no matching Route 53 Hosted Zone found`). */
function noMatch(what: string): never {
    const text = `no matching ${what} found`;
    throw Object.assign(new Error(text), { code: 2 /* grpc UNKNOWN */, details: text });
}

const inRegion = (vpcId: string, region: string) => EXISTING_VPCS.some((v) => v.id === vpcId && v.region === region);
const trimDot = (name: string) => name.replace(/\.$/, "");

export const existingVpcCalls: Record<string, CallMock> = {
    "aws:ec2/getVpc:getVpc": (inputs, ctx) => {
        const vpc = EXISTING_VPCS.find((v) => v.id === inputs.id && v.region === ctx.region);
        if (!vpc) notFound("Vpc", inputs.id);
        // EC2 lists the primary block among the associations too.
        const cidrBlockAssociations = [vpc.cidrBlock, ...(vpc.secondaryCidrBlocks ?? [])].map((cidrBlock, i) => ({
            associationId: `vpc-cidr-assoc-${vpc.id.slice(4, 12)}${String(i).padStart(9, "0")}`,
            cidrBlock,
            state: "associated",
        }));
        return {
            id: vpc.id,
            arn: `arn:${ctx.partition}:ec2:${ctx.region}:${ctx.accountId}:vpc/${vpc.id}`,
            cidrBlock: vpc.cidrBlock,
            cidrBlockAssociations,
            enableDnsSupport: vpc.enableDnsSupport ?? true,
            enableDnsHostnames: vpc.enableDnsHostnames ?? false,
            state: "available",
            tags: vpc.tags,
            ownerId: ctx.accountId,
            default: false,
        };
    },
    // aws_subnets: ids matching the filters (an empty list is an answer, not an error).
    "aws:ec2/getSubnets:getSubnets": (inputs, ctx) => {
        const filters = (inputs.filters ?? []) as { name: string; values: string[] }[];
        for (const f of filters) if (f.name !== "vpc-id") throw new Error(`mock EC2 supports only the vpc-id filter, not ${f.name}`);
        const vpcIds = filters.flatMap((f) => f.values);
        const ids = EXISTING_SUBNETS.filter((s) => regionOf(s) === ctx.region && (vpcIds.length === 0 || vpcIds.includes(s.vpcId))).map((s) => s.id);
        return { id: ctx.region, ids, filters };
    },
    "aws:ec2/getSubnet:getSubnet": (inputs, ctx) => {
        const subnet = EXISTING_SUBNETS.find((s) => s.id === inputs.id && regionOf(s) === ctx.region);
        if (!subnet) notFound("Subnet", inputs.id);
        return {
            id: subnet.id,
            arn: `arn:${ctx.partition}:ec2:${ctx.region}:${ctx.accountId}:subnet/${subnet.id}`,
            vpcId: subnet.vpcId,
            availabilityZone: subnet.availabilityZone,
            cidrBlock: subnet.cidrBlock,
            tags: subnet.tags,
            ownerId: ctx.accountId,
            mapPublicIpOnLaunch: subnet.tier === "public",
            state: "available",
        };
    },
    "aws:ec2/getInternetGateway:getInternetGateway": (inputs, ctx) => {
        const igw = EXISTING_INTERNET_GATEWAYS.find((g) => g.id === inputs.internetGatewayId && inRegion(g.vpcId, ctx.region));
        if (!igw) noMatch("EC2 Internet Gateway");
        return {
            id: igw.id,
            internetGatewayId: igw.id,
            arn: `arn:${ctx.partition}:ec2:${ctx.region}:${ctx.accountId}:internet-gateway/${igw.id}`,
            attachments: [{ state: "available", vpcId: igw.vpcId }],
            ownerId: ctx.accountId,
            tags: {},
        };
    },
    "aws:ec2/getNatGateway:getNatGateway": (inputs, ctx) => {
        const nat = EXISTING_NAT_GATEWAYS.find((n) => n.id === inputs.id && inRegion(n.vpcId, ctx.region));
        if (!nat) noMatch("EC2 NAT Gateway");
        return { id: nat.id, vpcId: nat.vpcId, subnetId: nat.subnetId, state: nat.state, connectivityType: "public", tags: {} };
    },
    // aws_route53_zone: by id, or by name (+ private_zone, + vpc_id: the private zone associated with that VPC).
    "aws:route53/getZone:getZone": (inputs, ctx) => {
        const zone = EXISTING_HOSTED_ZONES.find((z) => {
            if (inputs.zoneId !== undefined) return z.id === inputs.zoneId;
            if (trimDot(String(inputs.name ?? "")) !== z.name) return false;
            const isPrivate = z.vpcIds !== undefined;
            if (inputs.vpcId !== undefined) return isPrivate && z.vpcIds!.includes(inputs.vpcId);
            return inputs.privateZone === undefined || inputs.privateZone === isPrivate;
        });
        if (!zone) noMatch("Route 53 Hosted Zone");
        return {
            id: zone.id,
            zoneId: zone.id,
            name: zone.name,
            privateZone: zone.vpcIds !== undefined,
            vpcId: inputs.vpcId,
            arn: `arn:${ctx.partition}:route53:::hostedzone/${zone.id}`,
            nameServers: [],
            resourceRecordSetCount: 2,
            tags: {},
        };
    },
};
