/**
 * Checks of an existing VPC against the stack configuration, made with EC2
 * data sources before any resource is created. Failures become config
 * problems (key, value, allowed), reported all at once, never stack traces.
 */
import * as aws from "@pulumi/aws";
import { ClusterConfig, ConfigError, ConfigProblem } from "../../config";
import { keyOf } from "../../config/errors";
import { ExistingVpcConfig } from "./types";

type SubnetAnswer = { found: true; vpcId: string; availabilityZone: string; cidrBlock: string } | { found: false; reason: string };

/** The first line of a provider error, without the gRPC/engine wrapping around it. */
function reasonOf(e: unknown): string {
    const text = (e instanceof Error ? e.message : String(e)).trim();
    const m = /couldn't find resource[^\n]*|does not exist[^\n]*|not found[^\n]*/i.exec(text);
    return (m ? m[0] : text.split("\n")[0] || "the lookup failed").slice(0, 160);
}

async function lookUpVpc(id: string): Promise<{ found: true; cidrBlock: string } | { found: false; reason: string }> {
    try {
        const vpc = await aws.ec2.getVpc({ id });
        return { found: true, cidrBlock: vpc.cidrBlock };
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
    if (config.network.mode !== "existing") return { problems: [], cidrs };
    const network: ExistingVpcConfig = config.network;
    const region = config.region;
    const subnets = Object.entries(network.subnets).flatMap(([zone, ids]) =>
        (["public", "private"] as const).map((tier) => ({ zone, tier, id: ids[tier] })),
    );
    const [vpc, answers] = await Promise.all([lookUpVpc(network.vpcId), Promise.all(subnets.map((s) => lookUpSubnet(s.id)))]);

    const problems: ConfigProblem[] = [];
    if (!vpc.found) {
        problems.push({ key: keyOf(["network", "vpcId"]), value: network.vpcId, allowed: `the id of a VPC in ${region} (EC2: ${vpc.reason})` });
    } else if (vpc.cidrBlock !== network.vpcCidr) {
        problems.push({ key: keyOf(["network", "vpcCidr"]), value: network.vpcCidr, allowed: `the primary CIDR of ${network.vpcId}: ${vpc.cidrBlock}` });
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
    return { problems, cidrs };
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
