/**
 * Network exposure of the cluster's TLS endpoints: etcd (2379-2380) and the
 * kubelet (10250) must never face the internet, whatever their TLS settings,
 * and the API server (6443) only the admins' networks. Split from tls.ts to
 * keep each file to one concern: who can reach the ports, not how they speak.
 */
import type { PolicyResource, StackValidationPolicy, PolicyConfigSchema } from "@pulumi/policy";
import { T, Props, str, strings, records } from "./lib/resources";
import { parseCidr, contains, isWorld, isPrivate, admitsTcpPort, coversInternet, Cidr } from "./lib/net";
import { withDefaults } from "./lib/config";

interface Ingress {
    readonly protocol: unknown;
    readonly fromPort: unknown;
    readonly toPort: unknown;
    readonly cidrs: string[];
}

/** Ingress rules however they are declared: standalone rule resources or a security group's inline `ingress`. */
export function ingressRules(type: string, p: Props): Ingress[] {
    const cidrs = (x: Props) => [...strings(x.cidrBlocks), ...strings(x.ipv6CidrBlocks)];
    switch (type) {
        case T.sgIngressRule:
            return [{ protocol: p.ipProtocol, fromPort: p.fromPort, toPort: p.toPort, cidrs: [str(p.cidrIpv4), str(p.cidrIpv6)].filter((c): c is string => c !== undefined) }];
        case T.securityGroup:
            return records(p.ingress).map((r) => ({ protocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort, cidrs: cidrs(r) }));
        case T.sgRule:
            return str(p.type) === "ingress" ? [{ protocol: p.protocol, fromPort: p.fromPort, toPort: p.toPort, cidrs: cidrs(p) }] : [];
        default:
            return [];
    }
}

const schema: PolicyConfigSchema = {
    properties: {
        allowedApiCidrs: {
            type: "array",
            items: { type: "string", pattern: "^[0-9A-Fa-f:.]+/[0-9]{1,3}$" },
            default: [],
            description: "Networks that may reach the API port (the stack's adminCidrs). Empty: any source but the whole internet.",
        },
        allowPrivateApiSources: {
            type: "boolean",
            default: true,
            description: "Also allow private (RFC 1918, 100.64/10, fc00::/7) sources to the API port: nodes reach the API through the load balancer.",
        },
        apiPort: { type: "integer", minimum: 1, maximum: 65535, default: 6443 },
        worldClosedPorts: {
            type: "array",
            items: { type: "integer", minimum: 1, maximum: 65535 },
            default: [2379, 2380, 10250],
            description: "Ports no rule may open to 0.0.0.0/0 or ::/0 (etcd client and peer, kubelet).",
        },
    },
};

interface Config {
    allowedApiCidrs: string[];
    allowPrivateApiSources: boolean;
    apiPort: number;
    worldClosedPorts: number[];
}

function apiSourceAllowed(c: Cidr, cfg: Config, allowed: Cidr[]): boolean {
    if (isWorld(c)) return false;
    if (cfg.allowedApiCidrs.length === 0) return true;
    if (cfg.allowPrivateApiSources && isPrivate(c)) return true;
    return allowed.some((a) => contains(a, c));
}

/** Problems of one rule-bearing resource on its own: a rule from 0.0.0.0/0 or ::/0, an API source outside the allowed list. */
function ruleProblems(r: PolicyResource, cfg: Config, allowed: Cidr[]): string[] {
    const out: string[] = [];
    for (const rule of ingressRules(r.type, r.props)) {
        for (const text of rule.cidrs) {
            const c = parseCidr(text);
            if (!c) continue; // AWS rejects it; nothing is exposed
            const open = cfg.worldClosedPorts.filter((port) => isWorld(c) && admitsTcpPort(rule.protocol, rule.fromPort, rule.toPort, port));
            if (open.length > 0) out.push(`ingress from ${text} opens port ${open.join(", ")} to the whole internet`);
            if (admitsTcpPort(rule.protocol, rule.fromPort, rule.toPort, cfg.apiPort) && !apiSourceAllowed(c, cfg, allowed)) {
                const allowedText = cfg.allowedApiCidrs.length > 0 ? cfg.allowedApiCidrs.join(", ") : "anything but 0.0.0.0/0 and ::/0";
                out.push(`ingress from ${text} reaches the API port ${cfg.apiPort}; allowed sources: ${allowedText}`);
            }
        }
    }
    return out;
}

/** The security group a resource's rules open: a group's own id (or URN), or the group a standalone rule names. */
function groupKey(r: PolicyResource): string {
    return (r.type === T.securityGroup ? str(r.props.id) : str(r.props.securityGroupId)) ?? r.urn;
}

/**
 * Security groups that the internet reaches on a guarded port through ranges that
 * are each less than the world but together cover it (0.0.0.0/1 + 128.0.0.0/1),
 * across every rule resource in the stack that opens the group.
 */
function splitWorldProblems(resources: PolicyResource[], cfg: Config): { message: string; urn: string }[] {
    const groups = new Map<string, PolicyResource[]>();
    for (const r of resources.filter((x) => ingressRules(x.type, x.props).length > 0)) groups.set(groupKey(r), [...(groups.get(groupKey(r)) ?? []), r]);
    const out: { message: string; urn: string }[] = [];
    for (const [group, members] of groups) {
        for (const port of [...new Set([...cfg.worldClosedPorts, cfg.apiPort])]) {
            const sources = members
                .flatMap((r) =>
                    ingressRules(r.type, r.props)
                        .filter((rule) => admitsTcpPort(rule.protocol, rule.fromPort, rule.toPort, port))
                        .flatMap((rule) => rule.cidrs.map((text) => ({ text, c: parseCidr(text), r }))),
                )
                .filter((x): x is { text: string; c: Cidr; r: PolicyResource } => x.c !== undefined);
            for (const v6 of [false, true]) {
                const own = sources.filter((x) => x.c.v6 === v6);
                // A single 0.0.0.0/0 or ::/0 is reported on its rule already.
                if (
                    own.some((x) => isWorld(x.c)) ||
                    !coversInternet(
                        own.map((x) => x.c),
                        v6,
                    )
                )
                    continue;
                out.push({
                    message: `security group ${group} admits port ${port} from the whole ${v6 ? "IPv6" : "IPv4"} internet through ${own.map((x) => x.text).join(" + ")}`,
                    urn: own[0].r.urn,
                });
            }
        }
    }
    return out;
}

export const clusterPortsNotWorldOpen: StackValidationPolicy = {
    name: "cluster-ports-not-world-open",
    description:
        "No security-group rule opens etcd (2379-2380) or the kubelet (10250) to the internet (0.0.0.0/0, ::/0, or ranges that " +
        "together cover it on one security group), and the API port (6443) is open only to allowedApiCidrs (when empty: to " +
        "anything but the whole internet). Every rule resource in the stack is judged, whoever made it.",
    remediationSteps:
        "Reference the control-plane / node security groups (referencedSecurityGroupId) for etcd and kubelet traffic; " +
        "list the admins' networks as the API sources and set allowedApiCidrs to the same list.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateStack: (args, report) => {
        const cfg = withDefaults<Config>(schema, args.getConfig());
        const allowed = cfg.allowedApiCidrs.map(parseCidr).filter((c): c is Cidr => c !== undefined);
        for (const r of args.resources) for (const p of ruleProblems(r, cfg, allowed)) report(p, r.urn);
        for (const p of splitWorldProblems(args.resources, cfg)) report(p.message, p.urn);
    },
};

export const networkPolicies = [clusterPortsNotWorldOpen];
