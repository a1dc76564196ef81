/**
 * postfinance/kubelet-csr-approver: the kubelets request their serving
 * certificates through CSRs (serverTLSBootstrap), and nothing in Kubernetes
 * approves those. This approves a CSR only for DNS names of the EC2 forms of
 * this region and IPs the nodes can have, so metrics-server (and
 * `kubectl logs/exec`) can verify kubelets against the cluster CA.
 *
 * What a kubelet asks for (its serving certificate's SANs are its Node's addresses:
 * Hostname/InternalDNS/ExternalDNS as DNS names, InternalIP/ExternalIP as IPs), as the AWS
 * cloud controller reports them (kubernetes/cloud-provider-aws@v1.35.2:pkg/providers/v1/aws.go:750-811,
 * extractIPv4NodeAddresses): the private DNS name `ip-a-b-c-d.<private domain>` (of the PRIMARY private
 * IP), the private IPs, and, when the instance has one, the public IP and the public DNS name
 * `ec2-a-b-c-d.<public domain>`. A control-plane kubelet runs with --node-ip = the slot's fixed IP on its
 * second interface, so its only InternalIP is that IP, which its name does not resolve to.
 *
 * How the approver at v1.2.14 judges a CSR (postfinance/kubelet-csr-approver@v1.2.14:internal/controller/regex_ip_checks.go):
 * - at most `allowedDnsNames` DNS names (line 21), each prefixed by the node name unless
 *   `bypassHostnameCheck` (41) and each matching `providerRegex` (46);
 * - unless `bypassDnsResolution` (52): every name must resolve, into `providerIpPrefixes` (77), and every
 *   IP of the CSR must be one the names resolve to (93). This is what refused the control planes: the
 *   slot's fixed IP is not what `ip-<primary>` resolves to. So DNS resolution is bypassed;
 * - every IP of the CSR must lie in `providerIpPrefixes` (WhitelistedIPCheck, 104-121).
 *
 * What still binds a certificate to its node: the name must be an EC2 name of this region prefixed by the
 * node's own name (the public name, where there is one, only by its form), and the IPs must be the VPC's.
 * A node that asked for another node's IP would gain nothing it could use: the VPC delivers packets to
 * the interface that owns an address, so it cannot receive that node's kubelet traffic.
 *
 * Where instances have public addresses (dev, VPCs without NAT), their CSRs also carry the public DNS
 * name (a second name, not prefixed by the node name: allowedDnsNames 2, hostname check off, the
 * regex admits the region's `ec2-a-b-c-d` form) and the auto-assigned public IP, which is not known in
 * advance: the IP check then admits the VPC and every public unicast IPv4 address (never another
 * private, shared, loopback, link-local or multicast range, so not a peered network's addresses).
 * The names stay checked by form.
 */
import * as pulumi from "@pulumi/pulumi";
import { formatCidr, parseCidr } from "../lib/cidr";
import { ChartPin, ADDON_CHARTS } from "../config/versions";
import { AddonContext, CONTROL_PLANE_TOLERATION, pinnedRelease } from "./common";

export const KUBELET_CSR_APPROVER_NAMESPACE = "kube-system";

/**
 * The domain of EC2 private DNS (IP-based) host names: `ec2.internal` in
 * us-east-1, `<region>.compute.internal` elsewhere
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-naming.html).
 */
export function ec2PrivateDnsDomain(region: string): string {
    return region === "us-east-1" ? "ec2.internal" : `${region}.compute.internal`;
}

/**
 * The domain of EC2 public DNS host names (`ec2-a-b-c-d.<domain>`): `compute-1.amazonaws.com` in
 * us-east-1, `<region>.compute.amazonaws.com` elsewhere (same page, "Public IPv4 DNS name").
 */
export function ec2PublicDnsDomain(region: string): string {
    return region === "us-east-1" ? "compute-1.amazonaws.com" : `${region}.compute.amazonaws.com`;
}

const escape = (domain: string) => domain.replace(/\./g, "\\.");
const DASHED_IPV4 = "([0-9]{1,3}-){3}[0-9]{1,3}";

/** Node names the approver accepts: `ip-a-b-c-d.<private domain>`, and `ec2-a-b-c-d.<public domain>` where instances have public addresses. */
export function nodeNameRegex(region: string, publicNames = false): string {
    const priv = `ip-${DASHED_IPV4}\\.${escape(ec2PrivateDnsDomain(region))}`;
    if (!publicNames) return `^${priv}$`;
    return `^(${priv}|ec2-${DASHED_IPV4}\\.${escape(ec2PublicDnsDomain(region))})$`;
}

/**
 * IPv4 space that is never an EC2 instance's public address: this network, RFC 1918, shared address space
 * (RFC 6598), loopback, link-local, multicast and reserved (https://www.iana.org/assignments/iana-ipv4-special-registry/).
 */
const NON_PUBLIC_IPV4 = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3"];

/** The fewest prefixes covering all of IPv4 except NON_PUBLIC_IPV4: where an auto-assigned public address can lie. */
export function publicIpv4Prefixes(): string[] {
    const excluded = NON_PUBLIC_IPV4.map((c) => parseCidr(c)!);
    const end = (c: { base: number; prefix: number }) => c.base + 2 ** (32 - c.prefix);
    const out: string[] = [];
    const cover = (base: number, prefix: number): void => {
        const c = { base, prefix };
        if (excluded.some((x) => x.base <= c.base && end(c) <= end(x))) return;
        if (!excluded.some((x) => x.base < end(c) && c.base < end(x))) {
            out.push(formatCidr(c));
            return;
        }
        const half = 2 ** (32 - prefix - 1);
        cover(base, prefix + 1);
        cover(base + half, prefix + 1);
    };
    cover(0, 0);
    return out;
}

export interface KubeletCsrApproverSettings {
    readonly region: string;
    readonly vpcCidr: string;
    /** Instances have public IPv4 addresses (and names): their CSRs carry them. */
    readonly nodesHavePublicIps: boolean;
}

/** The chart's values (where each key is read: docs/addons-facts.md). */
export function kubeletCsrApproverValues(s: KubeletCsrApproverSettings): Record<string, unknown> {
    return {
        providerRegex: nodeNameRegex(s.region, s.nodesHavePublicIps),
        providerIpPrefixes: s.nodesHavePublicIps ? [s.vpcCidr, ...publicIpv4Prefixes()] : [s.vpcCidr],
        // The control planes' --node-ip is not what their name resolves to (see the file comment).
        bypassDnsResolution: true,
        // The public DNS name is not prefixed by the node name.
        bypassHostnameCheck: s.nodesHavePublicIps,
        allowedDnsNames: s.nodesHavePublicIps ? 2 : 1,
        ignoreNonSystemNode: false,
        // Nodes wait for it before their kubelet serves TLS: run it wherever there is room, control plane included.
        tolerations: [CONTROL_PLANE_TOLERATION],
    };
}

export interface KubeletCsrApproverArgs {
    readonly context: AddonContext;
    readonly vpcCidr: string;
    readonly nodesHavePublicIps: boolean;
    readonly chart?: ChartPin;
}

export class KubeletCsrApprover extends pulumi.ComponentResource {
    constructor(name: string, args: KubeletCsrApproverArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:addons:KubeletCsrApprover", name, {}, opts);
        pinnedRelease(
            `${name}-release`,
            {
                pin: args.chart ?? ADDON_CHARTS.kubeletCsrApprover,
                releaseName: "kubelet-csr-approver",
                namespace: KUBELET_CSR_APPROVER_NAMESPACE,
                values: kubeletCsrApproverValues({ region: args.context.region, vpcCidr: args.vpcCidr, nodesHavePublicIps: args.nodesHavePublicIps }),
            },
            { parent: this, provider: args.context.provider },
        );
        this.registerOutputs({});
    }
}
