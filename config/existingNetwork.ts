/**
 * Preflight checks of an existing VPC against the stack configuration, made
 * with EC2 data sources before any resource is created (program.ts runs them
 * after validateClusterConfig). Failures become config
 * problems (key, value, allowed), reported all at once, never stack traces.
 */
import * as aws from "@pulumi/aws";
import type { ClusterConfig } from "./index";
import { ConfigError, ConfigProblem, keyOf } from "./errors";
import { Cidr, contains, mustParseCidr, overlaps } from "../lib/cidr";
import { ExistingVpcConfig, isCreatedZone } from "./schema";

/** Whether `inner` lies wholly inside `outer`. */
function within(inner: Cidr, outer: Cidr): boolean {
    return inner.prefix >= outer.prefix && contains(outer, inner.base);
}

type SubnetAnswer = { found: true; vpcId: string; availabilityZone: string; cidrBlock: string } | { found: false; reason: string };

/** The first line of a provider error, without the gRPC/engine wrapping around it. */
function reasonOf(e: unknown): string {
    const text = (e instanceof Error ? e.message : String(e)).trim();
    const m = /couldn't find resource[^\n]*|does not exist[^\n]*|not found[^\n]*|no matching[^\n]*/i.exec(text);
    return (m ? m[0] : text.split("\n")[0] || "the lookup failed").slice(0, 160);
}

interface VpcAnswer {
    found: true;
    cidrBlock: string;
    /** Every associated IPv4 block, the primary one included (EC2 lists it among the associations). */
    cidrBlocks: string[];
    enableDnsSupport: boolean;
    enableDnsHostnames: boolean;
}

async function lookUpVpc(id: string): Promise<VpcAnswer | { found: false; reason: string }> {
    try {
        const vpc = await aws.ec2.getVpc({ id });
        const associated = (vpc.cidrBlockAssociations ?? []).filter((a) => a.state === "associated").map((a) => a.cidrBlock);
        return {
            found: true,
            cidrBlock: vpc.cidrBlock,
            cidrBlocks: [...new Set([vpc.cidrBlock, ...associated])],
            enableDnsSupport: vpc.enableDnsSupport,
            enableDnsHostnames: vpc.enableDnsHostnames,
        };
    } catch (e) {
        return { found: false, reason: reasonOf(e) };
    }
}

/** Every subnet of the VPC (id and CIDR): new subnets may not overlap any of them. */
async function subnetsOfVpc(vpcId: string): Promise<{ id: string; cidrBlock: string }[]> {
    const { ids } = await aws.ec2.getSubnets({ filters: [{ name: "vpc-id", values: [vpcId] }] });
    return Promise.all(ids.map(async (id) => ({ id, cidrBlock: (await aws.ec2.getSubnet({ id })).cidrBlock })));
}

async function lookUp<T>(read: () => Promise<T>): Promise<{ found: true; value: T } | { found: false; reason: string }> {
    try {
        return { found: true, value: await read() };
    } catch (e) {
        return { found: false, reason: reasonOf(e) };
    }
}

async function lookUpSubnet(id: string): Promise<SubnetAnswer> {
    try {
        const s = await aws.ec2.getSubnet({ id });
        return { found: true, vpcId: s.vpcId, availabilityZone: s.availabilityZone, cidrBlock: s.cidrBlock };
    } catch (e) {
        return { found: false, reason: reasonOf(e) };
    }
}

/**
 * In existing-VPC mode: the VPC exists and has the configured CIDR, and every
 * subnet exists, is in that VPC and in the zone it is listed under. Returns
 * no problems in new-VPC mode.
 */
export async function checkExistingNetwork(config: ClusterConfig): Promise<ConfigProblem[]> {
    return (await inspectExistingNetwork(config)).problems;
}

/** Per zone, the CIDRs of the existing subnets (as EC2 reports them). */
export type ExistingSubnetCidrs = Record<string, { public: string; private: string }>;

async function inspectExistingNetwork(config: ClusterConfig): Promise<{ problems: ConfigProblem[]; cidrs: ExistingSubnetCidrs }> {
    const cidrs: ExistingSubnetCidrs = {};
    const problems: ConfigProblem[] = [];
    if (config.network.mode !== "existing") return { problems, cidrs };
    const network: ExistingVpcConfig = config.network;
    const region = config.region;
    const zones = Object.entries(network.subnets);
    const subnets = zones.flatMap(([zone, s]) => (isCreatedZone(s) ? [] : (["public", "private"] as const).map((tier) => ({ zone, tier, id: s[tier] }))));
    const created = zones.flatMap(([zone, s]) => (isCreatedZone(s) ? (["publicCidr", "privateCidr"] as const).map((tier) => ({ zone, tier, text: s[tier], cidr: mustParseCidr(s[tier]) })) : []));
    const nats = zones.flatMap(([zone, s]) => (isCreatedZone(s) && s.natGatewayId ? [{ zone, id: s.natGatewayId }] : []));
    const [vpc, answers] = await Promise.all([lookUpVpc(network.vpcId), Promise.all(subnets.map((s) => lookUpSubnet(s.id)))]);

    if (!vpc.found) {
        problems.push({ key: keyOf(["network", "vpcId"]), value: network.vpcId, allowed: `the id of a VPC in ${region} (EC2: ${vpc.reason})` });
    } else {
        if (vpc.cidrBlock !== network.vpcCidr) {
            problems.push({ key: keyOf(["network", "vpcCidr"]), value: network.vpcCidr, allowed: `the primary CIDR of ${network.vpcId}: ${vpc.cidrBlock}` });
        }
        // Pod and service ranges must stay outside every block of the VPC, secondary ones too (rules.ts knows only vpcCidr).
        for (const [field, text] of [
            ["podCidr", config.podCidr],
            ["serviceCidr", config.serviceCidr],
        ] as const) {
            const clash = vpc.cidrBlocks.find((block) => overlaps(mustParseCidr(block), mustParseCidr(text)));
            if (clash && clash !== network.vpcCidr) problems.push({ key: keyOf([field]), value: text, allowed: `a range that does not overlap ${network.vpcId}'s CIDR block ${clash}` });
        }
        // The API's internal name and the nodes' names (the cloud controller's node names) resolve only with both
        // (docs.aws.amazon.com/vpc/latest/userguide/AmazonDNS-concepts.html#vpc-dns-support); the cluster may not change the VPC.
        for (const attr of ["enableDnsSupport", "enableDnsHostnames"] as const) {
            if (!vpc[attr])
                problems.push({ key: keyOf(["network", "vpcId"]), value: network.vpcId, allowed: `a VPC with ${attr} true (the VPC owner must turn it on; ${network.vpcId} has it false)` });
        }
    }
    subnets.forEach(({ zone, tier, id }, i) => {
        const key = keyOf(["network", "subnets", zone, tier]);
        const s = answers[i];
        if (!s.found) {
            problems.push({ key, value: id, allowed: `the id of a ${tier} subnet of ${network.vpcId} in ${zone} (EC2: ${s.reason})` });
            return;
        }
        // With an unknown VPC every subnet would be "in another VPC": the vpcId problem says it once.
        if (vpc.found && s.vpcId !== network.vpcId) {
            problems.push({ key, value: id, allowed: `a subnet of ${network.vpcId}; ${id} is in ${s.vpcId}` });
        }
        if (s.availabilityZone !== zone) {
            problems.push({ key, value: id, allowed: `a subnet in ${zone}; ${id} is in ${s.availabilityZone}` });
        }
        cidrs[zone] = { ...(cidrs[zone] ?? { public: "", private: "" }), [tier]: s.cidrBlock };
    });

    if (vpc.found && created.length > 0) {
        const existing = await subnetsOfVpc(network.vpcId);
        for (const { zone, tier, text, cidr } of created) {
            const key = keyOf(["network", "subnets", zone, tier]);
            if (!vpc.cidrBlocks.some((block) => within(cidr, mustParseCidr(block)))) {
                problems.push({ key, value: text, allowed: `a range inside one of ${network.vpcId}'s CIDR blocks: ${vpc.cidrBlocks.join(", ")}` });
            }
            const clash = existing.find((e) => overlaps(mustParseCidr(e.cidrBlock), cidr));
            if (clash) problems.push({ key, value: text, allowed: `a range clear of the VPC's existing subnets; it overlaps ${clash.id} (${clash.cidrBlock})` });
        }
    }
    for (const [zone, s] of zones) {
        if (isCreatedZone(s)) cidrs[zone] = { public: s.publicCidr, private: s.privateCidr };
    }

    if (created.length > 0 && network.internetGatewayId) {
        const id = network.internetGatewayId;
        const igw = await lookUp(() => aws.ec2.getInternetGateway({ internetGatewayId: id }));
        const attached = igw.found && igw.value.attachments.some((a) => a.vpcId === network.vpcId && a.state === "available");
        if (!igw.found) problems.push({ key: keyOf(["network", "internetGatewayId"]), value: id, allowed: `the internet gateway of ${network.vpcId} (EC2: ${igw.reason})` });
        else if (!attached) problems.push({ key: keyOf(["network", "internetGatewayId"]), value: id, allowed: `an internet gateway attached to ${network.vpcId}` });
    }
    const natAnswers = await Promise.all(nats.map(({ id }) => lookUp(() => aws.ec2.getNatGateway({ id }))));
    nats.forEach(({ zone, id }, i) => {
        const key = keyOf(["network", "subnets", zone, "natGatewayId"]);
        const nat = natAnswers[i];
        if (!nat.found) problems.push({ key, value: id, allowed: `a NAT gateway of ${network.vpcId} (EC2: ${nat.reason})` });
        else if (nat.value.vpcId !== network.vpcId) problems.push({ key, value: id, allowed: `a NAT gateway of ${network.vpcId}; ${id} is in ${nat.value.vpcId}` });
        else if (nat.value.state !== "available") problems.push({ key, value: id, allowed: `an available NAT gateway; ${id} is ${nat.value.state}` });
    });

    if (config.dns?.private) problems.push(...(await checkPrivateZone(config.dns, network.vpcId)));
    return { problems, cidrs };
}

/**
 * A private hosted zone must be associated with the cluster's VPC, or nothing
 * in it resolves there. The provider's zone data source finds, by name, the
 * private zone associated with a VPC (registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/route53_zone:
 * "vpc_id - Used with name field to get a private Hosted Zone associated with the vpc_id").
 */
async function checkPrivateZone(dns: { zoneName: string; zoneId: string }, vpcId: string): Promise<ConfigProblem[]> {
    const zone = await lookUp(() => aws.route53.getZone({ name: dns.zoneName, privateZone: true, vpcId }));
    const allowed = `a private hosted zone named ${dns.zoneName} associated with ${vpcId}`;
    if (!zone.found) return [{ key: keyOf(["dns", "zoneId"]), value: dns.zoneId, allowed: `${allowed} (Route53: ${zone.reason})` }];
    if (zone.value.zoneId !== dns.zoneId) return [{ key: keyOf(["dns", "zoneId"]), value: dns.zoneId, allowed: `${allowed}: ${zone.value.zoneId}` }];
    return [];
}

/**
 * For program.ts: checks an existing network (throwing a ConfigError that
 * lists every problem) and returns its subnets' CIDRs; empty for a new VPC.
 */
export async function assertExistingNetwork(config: ClusterConfig): Promise<ExistingSubnetCidrs> {
    const { problems, cidrs } = await inspectExistingNetwork(config);
    if (problems.length > 0) throw new ConfigError(problems);
    return cidrs;
}
