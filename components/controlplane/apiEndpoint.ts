/**
 * The API endpoint (endpoint.ts decides which): a Network Load Balancer
 * (TCP 6443 pass-through, instance targets registered by the slots' groups),
 * a classic ELB, or an Elastic IP for a single slot; the public DNS record
 * users dial, and the internal record nodes and members dial (in the
 * configured zone, or in a private hosted zone of the cluster's own): with
 * several slots an alias of an internal NLB over the slots' fixed IPs,
 * health-checking /readyz; with one, the slot's IP.
 *
 * The NLB has the firewall's `lb` group: it admits the admin CIDRs, and the
 * control-plane group admits 6443 from that group. Targets keep the clients'
 * addresses (client IP preservation, the default for instance targets, so
 * the audit log names the real caller); a target rule that references the
 * balancer's group still admits that traffic, and health checks are subject
 * to the balancer's outbound rules only
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags, apiEndpointName, loadBalancerName, namedTags, targetGroupName } from "../../lib/naming";
import { EndpointPlan, endpointCertSans, hostPort } from "./endpoint";
import { classicElbArgs, internalTargetGroupArgs, nlbListenerArgs, nlbTargetGroupArgs } from "./loadBalancer";
import { API_SERVER_PORT } from "../host/paths";

export interface ApiEndpointArgs {
    readonly clusterName: string;
    readonly tags: Tags;
    readonly plan: EndpointPlan;
    readonly vpcId: pulumi.Input<string>;
    /** Internet-facing balancers go here. */
    readonly publicSubnetIds: pulumi.Input<string>[];
    /** Internal balancers go here. */
    readonly privateSubnetIds: pulumi.Input<string>[];
    /** The firewall's `lb` group; unused with an Elastic IP. */
    readonly securityGroupId?: pulumi.Input<string>;
    /** The firewall's `internalLb` group: the internal balancer behind api.internal (plan.internalBalancer). */
    readonly internalSecurityGroupId?: pulumi.Input<string>;
    /** The control-plane slots' fixed IPs: the internal record and the certificate. */
    readonly slotIps: readonly string[];
}

/** DNS records of the API live a minute in resolvers: the fixed IPs never change; the alias follows the balancer. */
const TTL = 60;

export class ApiEndpoint extends pulumi.ComponentResource {
    readonly plan: EndpointPlan;
    /** What users dial (host only): the public name, else the balancer's DNS name or the Elastic IP. */
    readonly publicHost: pulumi.Output<string>;
    /** `<nodeName>:6443`: kubeadm's controlPlaneEndpoint, what nodes join through. */
    readonly nodeEndpoint: string;
    readonly loadBalancerDnsName?: pulumi.Output<string>;
    readonly targetGroupArn?: pulumi.Output<string>;
    /** The internal balancer behind api.internal (several slots only). */
    readonly internalLoadBalancerDnsName?: pulumi.Output<string>;
    readonly internalTargetGroupArn?: pulumi.Output<string>;
    readonly classicLoadBalancerName?: pulumi.Output<string>;
    readonly elasticIp?: pulumi.Output<string>;
    readonly elasticIpAllocationId?: pulumi.Output<string>;
    /** The apiserver certificate's SANs. */
    readonly certSans: pulumi.Output<string[]>;

    constructor(name: string, args: ApiEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:controlplane:ApiEndpoint", name, {}, opts);
        const plan = (this.plan = args.plan);
        const tags = namedTags(args.clusterName, args.tags, apiEndpointName(args.clusterName));
        const child = { parent: this };
        // Explicitly named (an auto-name overflows ELB's 32 characters): a replacement cannot exist beside its predecessor.
        const named = { parent: this, deleteBeforeReplace: true };
        const subnets = plan.internal ? args.privateSubnetIds : args.publicSubnetIds;
        let alias: { name: pulumi.Output<string>; zoneId: pulumi.Output<string> } | undefined;

        if (plan.kind === "network") {
            const lb = new aws.lb.LoadBalancer(
                `${name}-nlb`,
                {
                    name: loadBalancerName(args.clusterName),
                    loadBalancerType: "network",
                    internal: plan.internal,
                    subnets,
                    securityGroups: [required(args.securityGroupId)],
                    enableCrossZoneLoadBalancing: true,
                    tags,
                },
                named,
            );
            const targets = new aws.lb.TargetGroup(`${name}-targets`, { name: targetGroupName(args.clusterName), ...nlbTargetGroupArgs(), vpcId: args.vpcId, tags }, named);
            new aws.lb.Listener(`${name}-6443`, { loadBalancerArn: lb.arn, ...nlbListenerArgs(targets.arn), tags }, child);
            this.loadBalancerDnsName = lb.dnsName;
            this.targetGroupArn = targets.arn;
            alias = { name: lb.dnsName, zoneId: lb.zoneId };
        } else if (plan.kind === "classic") {
            const elb = new aws.elb.LoadBalancer(
                `${name}-elb`,
                { name: loadBalancerName(args.clusterName), ...classicElbArgs(), internal: plan.internal, subnets, securityGroups: [required(args.securityGroupId)], tags },
                named,
            );
            this.loadBalancerDnsName = elb.dnsName;
            this.classicLoadBalancerName = elb.name;
            alias = { name: elb.dnsName, zoneId: elb.zoneId };
        } else {
            const eip = new aws.ec2.Eip(`${name}-eip`, { domain: "vpc", tags }, child);
            this.elasticIp = eip.publicIp;
            this.elasticIpAllocationId = eip.allocationId;
        }

        if (plan.publicName && plan.internalZone.kind === "configured") {
            const zoneId = plan.internalZone.zoneId;
            new aws.route53.Record(
                `${name}-public`,
                alias
                    ? { zoneId, name: plan.publicName, type: "A", aliases: [{ name: alias.name, zoneId: alias.zoneId, evaluateTargetHealth: true }] }
                    : { zoneId, name: plan.publicName, type: "A", ttl: TTL, records: [this.elasticIp!] },
                child,
            );
        }
        const internalZoneId =
            plan.internalZone.kind === "configured"
                ? plan.internalZone.zoneId
                : new aws.route53.Zone(
                      `${name}-private-zone`,
                      { name: plan.internalZone.name, comment: `${args.clusterName}: the API's internal name, visible in the cluster's VPC only`, vpcs: [{ vpcId: args.vpcId }], tags },
                      child,
                  ).zoneId;
        // api.internal: an internal NLB over the slots' fixed IPs, or the one slot's IP (endpoint.ts says why).
        if (plan.internalBalancer) {
            const lb = new aws.lb.LoadBalancer(
                `${name}-internal-nlb`,
                {
                    name: loadBalancerName(args.clusterName, "api-int"),
                    loadBalancerType: "network",
                    internal: true,
                    subnets: args.privateSubnetIds,
                    securityGroups: [required(args.internalSecurityGroupId)],
                    enableCrossZoneLoadBalancing: true,
                    tags,
                },
                named,
            );
            const targets = new aws.lb.TargetGroup(`${name}-internal-targets`, { name: targetGroupName(args.clusterName, "api-int"), ...internalTargetGroupArgs(), vpcId: args.vpcId, tags }, named);
            args.slotIps.forEach((ip, i) => new aws.lb.TargetGroupAttachment(`${name}-internal-target-${i}`, { targetGroupArn: targets.arn, targetId: ip, port: API_SERVER_PORT }, child));
            new aws.lb.Listener(`${name}-internal-6443`, { loadBalancerArn: lb.arn, ...nlbListenerArgs(targets.arn), tags }, child);
            this.internalLoadBalancerDnsName = lb.dnsName;
            this.internalTargetGroupArn = targets.arn;
            new aws.route53.Record(
                `${name}-internal`,
                { zoneId: internalZoneId, name: plan.nodeName, type: "A", aliases: [{ name: lb.dnsName, zoneId: lb.zoneId, evaluateTargetHealth: true }] },
                child,
            );
        } else {
            new aws.route53.Record(`${name}-internal`, { zoneId: internalZoneId, name: plan.nodeName, type: "A", ttl: TTL, records: [...args.slotIps] }, child);
        }

        this.publicHost = plan.publicName ? pulumi.output(plan.publicName) : (this.loadBalancerDnsName ?? this.elasticIp)!;
        this.nodeEndpoint = hostPort(plan.nodeName);
        this.certSans = pulumi
            .all([this.loadBalancerDnsName, this.elasticIp])
            .apply(([loadBalancerDnsName, elasticIp]) => endpointCertSans(plan, { slotIps: args.slotIps, loadBalancerDnsName, elasticIp }));
        this.registerOutputs({
            publicHost: this.publicHost,
            nodeEndpoint: this.nodeEndpoint,
            loadBalancerDnsName: this.loadBalancerDnsName,
            internalLoadBalancerDnsName: this.internalLoadBalancerDnsName,
            elasticIp: this.elasticIp,
        });
    }
}

function required<T>(v: T | undefined): T {
    if (v === undefined) throw new Error("a load balancer needs its security group from the firewall");
    return v;
}
