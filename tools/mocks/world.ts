/**
 * Infrastructure that exists before the cluster, as the mocked AWS account
 * knows it: the VPC and subnets that another tool (Terraform, say) made and
 * that `stacks/Pulumi.existing-vpc.yaml` deploys into. Data-source calls for
 * these ids answer like EC2 does; unknown ids fail like EC2 does.
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
    readonly tags: Record<string, string>;
}

export const EXISTING_VPCS: readonly ExistingVpc[] = [
    { id: "vpc-0c5e1b7d2a9f34e61", region: "eu-central-1", cidrBlock: "10.40.0.0/16", tags: { Name: "shared-platform", ManagedBy: "terraform" } },
    // Another team's VPC in the same account: its subnet must be refused when listed for the platform VPC.
    { id: "vpc-0f2a4c6e8b1d3f5a7", region: "eu-central-1", cidrBlock: "10.50.0.0/16", tags: { Name: "data-team", ManagedBy: "terraform" } },
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
        id: "subnet-0a2c4e6f8b0d2f4a6", vpcId: EXISTING_VPCS[1].id, availabilityZone: "eu-central-1a", cidrBlock: "10.50.0.0/19",
        tier: "private", tags: { Name: "data-team-private-eu-central-1a", ManagedBy: "terraform" },
    },
];

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

export const existingVpcCalls: Record<string, CallMock> = {
    "aws:ec2/getVpc:getVpc": (inputs, ctx) => {
        const vpc = EXISTING_VPCS.find((v) => v.id === inputs.id && v.region === ctx.region);
        if (!vpc) notFound("Vpc", inputs.id);
        return { id: vpc.id, arn: `arn:${ctx.partition}:ec2:${ctx.region}:${ctx.accountId}:vpc/${vpc.id}`, cidrBlock: vpc.cidrBlock, state: "available", tags: vpc.tags, ownerId: ctx.accountId, default: false };
    },
    "aws:ec2/getSubnet:getSubnet": (inputs, ctx) => {
        const subnet = EXISTING_SUBNETS.find((s) => s.id === inputs.id && regionOf(s) === ctx.region);
        if (!subnet) notFound("Subnet", inputs.id);
        return {
            id: subnet.id, arn: `arn:${ctx.partition}:ec2:${ctx.region}:${ctx.accountId}:subnet/${subnet.id}`, vpcId: subnet.vpcId,
            availabilityZone: subnet.availabilityZone, cidrBlock: subnet.cidrBlock, tags: subnet.tags, ownerId: ctx.accountId,
            mapPublicIpOnLaunch: subnet.tier === "public", state: "available",
        };
    },
};
