/**
 * The cluster's security groups and their ingress rules, from the port
 * matrix in rules.ts. Each instance gets exactly one group carrying the
 * cluster tag, as the AWS cloud controller requires when it manages
 * load-balancer rules on the nodes' group.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags, namedTags } from "../../lib/naming";
import { FirewallInput, GroupRole, firewallRules, groupRoles } from "./rules";

export interface FirewallArgs extends FirewallInput {
    readonly clusterName: string;
    readonly vpcId: pulumi.Input<string>;
    readonly tags: Tags;
}

const GROUP_SLUG: Record<GroupRole, string> = { lb: "api-lb", internalLb: "api-internal-lb", controlPlane: "control-plane", etcd: "etcd", nodes: "nodes" };

export class Firewall extends pulumi.ComponentResource {
    /** Security group id per role; only the roles the cluster has. */
    readonly groupIds: Partial<Record<GroupRole, pulumi.Output<string>>>;

    constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:firewall:Firewall", name, {}, opts);
        const groups: Partial<Record<GroupRole, aws.ec2.SecurityGroup>> = {};
        for (const role of groupRoles(args)) {
            const groupName = `${args.clusterName}-${GROUP_SLUG[role]}`;
            groups[role] = new aws.ec2.SecurityGroup(
                `${name}-${GROUP_SLUG[role]}`,
                { vpcId: args.vpcId, description: `${args.clusterName} ${GROUP_SLUG[role]}`, tags: namedTags(args.clusterName, args.tags, groupName) },
                { parent: this },
            );
            // Instances and the load balancer reach out freely (packages, AWS APIs, S3 through the endpoint).
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-${GROUP_SLUG[role]}-egress`,
                { securityGroupId: groups[role]!.id, ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", description: "all outbound" },
                { parent: this },
            );
        }
        for (const rule of firewallRules(args)) {
            const source = "group" in rule.source ? { referencedSecurityGroupId: groups[rule.source.group]!.id } : { cidrIpv4: rule.source.cidr };
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-${rule.name}`,
                {
                    securityGroupId: groups[rule.target]!.id,
                    ipProtocol: rule.ports.protocol,
                    fromPort: rule.ports.from,
                    toPort: rule.ports.to,
                    description: rule.description,
                    ...source,
                },
                { parent: this },
            );
        }
        this.groupIds = Object.fromEntries(Object.entries(groups).map(([role, g]) => [role, g!.id]));
        this.registerOutputs({ groupIds: this.groupIds });
    }
}
