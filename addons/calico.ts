/**
 * Calico through the upstream tigera-operator chart: the operator, its
 * Installation (one IPv4 pool = the cluster's pod CIDR) and the default
 * FelixConfiguration, which has Felix turn off the EC2 source/destination
 * check on every node's interfaces.
 *
 * Encapsulation: VXLANCrossSubnet. Traffic between nodes in the same subnet
 * is routed natively (no overhead; the VPC delivers it because the check is
 * off), traffic across subnets/zones is VXLAN-encapsulated because the VPC
 * route tables know nothing of pod CIDRs. VXLAN rather than IP-in-IP: Calico's
 * VXLAN needs no BGP (IP-in-IP does), so there is no BGP mesh to run and no
 * TCP 179 or IP protocol 4 to open, just UDP 4789 — an ordinary port that
 * security groups, NACLs and flow logs handle like any other.
 * (https://docs.tigera.io/calico/latest/networking/configuring/vxlan-ipip)
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ChartPin, ADDON_CHARTS } from "../config/versions";
import { PolicyDocument, policyDocument, renderPolicy } from "../components/iam";
import { AddonContext, RoleRef, addonNamespace, pinnedRelease } from "./common";

export const CALICO_NAMESPACE = "tigera-operator";

export interface CalicoSettings {
    readonly podCidr: string;
    /** The API server's host and port: the operator and calico-node talk to it directly, not through the (not yet programmed) service VIP. */
    readonly apiHost: string;
    readonly apiPort: number;
}

/** A port range the node security groups open between cluster nodes; assignable to firewall/rules.ts PortRange. */
export interface NodePort {
    readonly protocol: "tcp" | "udp";
    readonly from: number;
    readonly to: number;
    readonly description: string;
}

/**
 * What the node security groups must open between cluster nodes (control
 * plane included) for Calico as configured here
 * (https://docs.tigera.io/calico/latest/getting-started/kubernetes/requirements#network-requirements):
 * VXLAN and Typha; no BGP (TCP 179) and no IP-in-IP (protocol 4). With
 * CrossSubnet, pod traffic between nodes of the same subnet is not
 * encapsulated: it arrives with pod addresses on the pods' own ports, so the
 * groups must pass pod traffic between nodes on every TCP and UDP port (a rule
 * that references the nodes' group matches by sending interface, whatever the
 * pod source address). ICMP (path-MTU discovery) is not a port: the firewall
 * should allow it between nodes too.
 */
export function calicoNodePorts(): NodePort[] {
    return [
        { protocol: "udp", from: 4789, to: 4789, description: "Calico VXLAN (pod traffic across subnets)" },
        { protocol: "tcp", from: 5473, to: 5473, description: "Calico Typha (calico-node to Typha)" },
        { protocol: "tcp", from: 1, to: 65535, description: "pod traffic within a subnet (routed unencapsulated, CrossSubnet)" },
        { protocol: "udp", from: 1, to: 65535, description: "pod traffic within a subnet (routed unencapsulated, CrossSubnet)" },
    ];
}

/** The chart's values (tigera-operator values.yaml: installation, defaultFelixConfiguration, kubernetesServiceEndpoint). */
export function calicoValues(s: CalicoSettings): Record<string, unknown> {
    return {
        installation: {
            enabled: true,
            kubernetesProvider: "",
            cni: { type: "Calico", ipam: { type: "Calico" } },
            calicoNetwork: {
                bgp: "Disabled",
                ipPools: [
                    {
                        name: "default-ipv4-ippool",
                        cidr: s.podCidr,
                        encapsulation: "VXLANCrossSubnet",
                        natOutgoing: "Enabled",
                        blockSize: 26,
                        nodeSelector: "all()",
                    },
                ],
            },
        },
        // The chart renders a FelixConfiguration "default" from these (templates/crs/...felixconfiguration...).
        defaultFelixConfiguration: { enabled: true, awsSrcDstCheck: "Disable" },
        kubernetesServiceEndpoint: { host: s.apiHost, port: String(s.apiPort) },
    };
}

/**
 * What Felix needs to turn off the source/destination check (kops grants the
 * same two actions for Calico, unconditionally). DescribeInstances has no
 * resource-level permissions; ModifyNetworkInterfaceAttribute is limited to
 * this account's and region's interfaces (and the instances they are
 * attached to); it is not granted on security groups, so it cannot be used
 * to change an interface's groups.
 */
export function calicoSrcDstCheckPolicy(partition: string, region: string, accountId: string): PolicyDocument {
    const ec2 = (type: string) => `arn:${partition}:ec2:${region}:${accountId}:${type}/*`;
    return policyDocument([
        { Sid: "CalicoDescribeInstances", Effect: "Allow", Action: "ec2:DescribeInstances", Resource: "*" },
        { Sid: "CalicoDisableSourceDestCheck", Effect: "Allow", Action: "ec2:ModifyNetworkInterfaceAttribute", Resource: [ec2("instance"), ec2("network-interface")] },
    ]);
}

export interface CalicoArgs {
    readonly context: AddonContext;
    readonly settings: pulumi.Input<CalicoSettings>;
    /** calico-node runs on every node, control plane included: both roles get the source/destination-check policy. */
    readonly nodeRole: RoleRef;
    readonly controlPlaneRole: RoleRef;
    readonly chart?: ChartPin;
}

export class Calico extends pulumi.ComponentResource {
    readonly release: pulumi.Output<string>;

    constructor(name: string, args: CalicoArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:addons:Calico", name, {}, opts);
        const { partition, region, provider } = args.context;
        const k = { parent: this, provider };
        const ns = addonNamespace(`${name}-namespace`, { name: CALICO_NAMESPACE, podSecurity: "privileged" }, k);
        const release = pinnedRelease(
            `${name}-release`,
            { pin: args.chart ?? ADDON_CHARTS.calico, releaseName: "calico", namespace: ns.metadata.name, values: pulumi.output(args.settings).apply((s) => calicoValues(s as CalicoSettings)) },
            k,
        );
        const policy = pulumi.output(args.context.accountId).apply((account) => renderPolicy(calicoSrcDstCheckPolicy(partition, region, account)));
        for (const [slug, r] of [["node", args.nodeRole], ["control-plane", args.controlPlaneRole]] as const) {
            new aws.iam.RolePolicy(`${name}-${slug}-src-dst-check`, { role: r.name, policy }, { parent: this });
        }
        this.release = release.name;
        this.registerOutputs({ release: this.release });
    }
}
