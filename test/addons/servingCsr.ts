/**
 * Models of two upstream behaviours the serving-certificate tests need, each
 * transcribed from the source at the pinned version (not from our beliefs):
 *
 * - what a kubelet puts in its serving CSR on AWS: the cloud controller's node
 *   addresses (kubernetes/cloud-provider-aws@v1.35.2:pkg/providers/v1/aws.go:750-811),
 *   narrowed or reordered by the kubelet's --node-ip (k8s.io/cloud-provider
 *   node/helpers/address.go GetNodeAddressesFromNodeIP: older releases keep only the
 *   node IP among InternalIPs, newer ones put it first and keep the rest; both are
 *   modelled), turned into SANs by the kubelet (Hostname/InternalDNS/ExternalDNS are
 *   DNS names, InternalIP/ExternalIP are IPs, duplicates dropped);
 * - how kubelet-csr-approver judges it
 *   (postfinance/kubelet-csr-approver@v1.2.14:internal/controller/regex_ip_checks.go
 *   DNSCheck and WhitelistedIPCheck, csr_controller.go:124-173 for the order).
 */
import { Cidr, parseCidr } from "../../lib/cidr";

export interface Ec2Instance {
    /** In device-index order: the primary interface first. */
    readonly privateIps: readonly string[];
    readonly publicIp?: string;
    readonly privateDnsName: string;
    readonly publicDnsName?: string;
}

type AddressType = "InternalIP" | "ExternalIP" | "InternalDNS" | "Hostname" | "ExternalDNS";
interface NodeAddress {
    readonly type: AddressType;
    readonly address: string;
}

/** aws.go extractIPv4NodeAddresses. */
function cloudAddresses(i: Ec2Instance): NodeAddress[] {
    return [
        ...i.privateIps.map((a) => ({ type: "InternalIP" as const, address: a })),
        ...(i.publicIp ? [{ type: "ExternalIP" as const, address: i.publicIp }] : []),
        { type: "InternalDNS", address: i.privateDnsName },
        { type: "Hostname", address: i.privateDnsName },
        ...(i.publicDnsName ? [{ type: "ExternalDNS" as const, address: i.publicDnsName }] : []),
    ];
}

export type NodeIpRule = "filter" | "sort";

/** GetNodeAddressesFromNodeIP: "filter" keeps only the node IP among addresses of its type; "sort" puts it first. */
function withNodeIp(addrs: NodeAddress[], nodeIp: string | undefined, rule: NodeIpRule): NodeAddress[] {
    if (!nodeIp) return addrs;
    const matching = addrs.filter((a) => a.address === nodeIp);
    if (matching.length === 0) throw new Error(`node IP ${nodeIp} is not one of the instance's addresses`);
    const types = new Set(matching.map((a) => a.type));
    const rest = addrs.filter((a) => a.address !== nodeIp && (rule === "sort" || !types.has(a.type)));
    return [...matching, ...rest];
}

export interface ServingCsr {
    readonly username: string;
    readonly dnsNames: readonly string[];
    readonly ips: readonly string[];
}

/** The CSR a kubelet named after the instance's private DNS name submits. */
export function kubeletServingCsr(i: Ec2Instance, nodeIp: string | undefined, rule: NodeIpRule): ServingCsr {
    const addrs = withNodeIp(cloudAddresses(i), nodeIp, rule);
    const uniq = (xs: string[]) => [...new Set(xs)];
    return {
        username: `system:node:${i.privateDnsName}`,
        dnsNames: uniq(addrs.filter((a) => a.type === "Hostname" || a.type === "InternalDNS" || a.type === "ExternalDNS").map((a) => a.address)),
        ips: uniq(addrs.filter((a) => a.type === "InternalIP" || a.type === "ExternalIP").map((a) => a.address)),
    };
}

/** The approver's configuration, as the chart passes it (templates/deployment.yaml:60-92, env). */
export interface ApproverConfig {
    readonly providerRegex: string;
    readonly providerIpPrefixes: readonly string[];
    readonly bypassDnsResolution: boolean;
    readonly bypassHostnameCheck: boolean;
    readonly allowedDnsNames: number;
}

/** The chart's values as the binary sees them (unset: the flag defaults of internal/cmd/cmd.go:154-161). */
export function approverConfig(values: Record<string, any>): ApproverConfig {
    const prefixes = values.providerIpPrefixes as string[] | undefined;
    return {
        providerRegex: values.providerRegex || ".*",
        providerIpPrefixes: prefixes && prefixes.length > 0 ? prefixes : ["0.0.0.0/0"],
        bypassDnsResolution: values.bypassDnsResolution === true,
        bypassHostnameCheck: values.bypassHostnameCheck === true,
        allowedDnsNames: values.allowedDnsNames ? Number(values.allowedDnsNames) : 1,
    };
}

function ipv4ToInt(ip: string): number {
    const p = ip.split(".").map(Number);
    if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`not an IPv4 address: ${ip}`);
    return ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
}

function inPrefix(ip: string, c: Cidr): boolean {
    const n = ipv4ToInt(ip);
    return n >= c.base && n < c.base + 2 ** (32 - c.prefix);
}

/** A resolver: the addresses a name resolves to inside the VPC (AWS private DNS: the primary private IP). */
export type Resolver = (name: string) => readonly string[];

/** Approve, or deny with the approver's reason. */
export function judge(csr: ServingCsr, cfg: ApproverConfig, resolve: Resolver): { approved: boolean; reason: string } {
    const prefixes = cfg.providerIpPrefixes.map((p) => {
        const c = parseCidr(p);
        if (!c) throw new Error(`the approver exits on an unparsable prefix: ${p}`);
        return c;
    });
    const allowed = (ip: string) => prefixes.some((c) => inPrefix(ip, c));
    const deny = (reason: string) => ({ approved: false, reason });
    if (!csr.username.startsWith("system:node:")) return deny("username is not system:node:");
    if (csr.dnsNames.length + csr.ips.length === 0) return deny("no SAN");
    // DNSCheck
    if (csr.dnsNames.length > cfg.allowedDnsNames) return deny("more DNS names than allowed");
    if (csr.dnsNames.length > 0) {
        const hostname = csr.username.slice("system:node:".length);
        const re = new RegExp(cfg.providerRegex);
        for (const name of csr.dnsNames) {
            if (!name.startsWith(hostname) && !cfg.bypassHostnameCheck) return deny(`${name} is not prefixed by the node name`);
            if (!re.test(name)) return deny(`${name} is not allowed by the provider regex`);
        }
        if (!cfg.bypassDnsResolution) {
            const resolved = csr.dnsNames.flatMap((n) => resolve(n));
            if (csr.dnsNames.some((n) => resolve(n).length === 0)) return deny("a SAN DNS name does not resolve");
            const outside = resolved.find((ip) => !allowed(ip));
            if (outside) return deny(`resolved address ${outside} is outside the provider prefixes`);
            const unresolved = csr.ips.find((ip) => !resolved.includes(ip));
            if (unresolved) return deny(`SAN IP ${unresolved} is not among the resolved addresses`);
        }
    }
    // WhitelistedIPCheck
    const notAllowed = csr.ips.find((ip) => !allowed(ip));
    if (notAllowed) return deny(`SAN IP ${notAllowed} is outside the provider prefixes`);
    return { approved: true, reason: "" };
}
