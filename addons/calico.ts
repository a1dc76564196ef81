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
 *
 * CRDs: since v3.32 the operator chart ships none (projectcalico/calico@v3.32.1:charts/tigera-operator/README.md,
 * "Custom Resource Definitions"), yet it renders an Installation and a FelixConfiguration, which a fresh
 * cluster rejects without them. Upstream installs the `crd.projectcalico.org.v1` chart first with
 * `helm template | kubectl apply --server-side`; a helm.v4.Chart through this provider is exactly that
 * (rendered client-side, applied server-side: addons/provider.ts enables server-side apply), and the
 * operator's release waits for it. The operator is told not to manage CRDs itself (manageCRDs: false),
 * so one owner applies and upgrades them, before the operator on every upgrade, as the README orders.
 *
 * API endpoint: calico-node, Typha and the operator reach the API directly (the service VIP is not
 * programmed before the pod network exists), through the address every node can reach: the internal
 * name (api.internal.<cluster>.<zone>), never the public one, which on a load balancer admits only the
 * admin CIDRs and in dev hairpins through the instance's own Elastic IP (policies/rules/apiReachability.ts).
 *
 * Node address: control-plane instances have two interfaces (the slot's fixed-IP interface is the
 * second); Calico's default autodetection takes the first interface found. It is pinned to the
 * kubelet's InternalIP, which the kubelet's --node-ip sets to the slot's fixed IP. Felix turns the EC2
 * source/destination check off on device index 0 only (projectcalico/calico@v3.32.1:felix/aws/ec2.go:236-250),
 * so the slot's own interface is created with the check off (components/controlplane/slot.ts).
 *
 * Left off, deliberately (the chart turns them on by default, values.yaml:87-96):
 * - the Calico API server: an aggregated APIService for projectcalico.org/v3. Nothing here uses it, and
 *   an aggregated API that is unavailable (e.g. while the pod network is down) breaks API discovery,
 *   which stalls namespace deletion and garbage collection cluster-wide. Calico resources stay
 *   manageable as crd.projectcalico.org/v1 objects or with calicoctl.
 * - Goldmane (flow-log aggregation) and Whisker (its web UI): observability, not connectivity. Whisker
 *   serves flow logs with no authentication of its own; both add pods to every cluster. Turn them on
 *   knowingly, with access control, if flow visibility is wanted.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ChartPin, ADDON_CHARTS } from "../config/versions";
import { PolicyDocument, policyDocument, renderPolicy } from "../components/iam";
import { AddonContext, RoleRef, addonNamespace, pinnedChart, pinnedRelease } from "./common";

export const CALICO_NAMESPACE = "tigera-operator";

export interface CalicoSettings {
    readonly podCidr: string;
    /**
     * The API server's host and port as every node reaches it (the internal endpoint, kubeadm's
     * controlPlaneEndpoint): the operator and calico-node talk to it directly, not through the (not yet
     * programmed) service VIP.
     */
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

/**
 * The operator chart's values. Where projectcalico/calico@v3.32.1:charts/tigera-operator reads each
 * key: docs/addons-facts.md.
 */
export function calicoValues(s: CalicoSettings): Record<string, unknown> {
    return {
        // templates/crs/custom-resources.yaml:1-10: `installation` minus `enabled` is the Installation's spec, verbatim.
        installation: {
            enabled: true,
            kubernetesProvider: "",
            cni: { type: "Calico", ipam: { type: "Calico" } },
            calicoNetwork: {
                bgp: "Disabled",
                // The kubelet's InternalIP (its --node-ip), not the first interface found: control planes have two.
                nodeAddressAutodetectionV4: { kubernetes: "NodeInternalIP" },
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
        // custom-resources.yaml:14,26,38: each renders its custom resource when enabled (see the file comment).
        apiServer: { enabled: false },
        goldmane: { enabled: false },
        whisker: { enabled: false },
        // templates/crs/configmap-felixconfiguration-templates.yaml:1-12: a FelixConfiguration "default" with the rest as its spec.
        defaultFelixConfiguration: { enabled: true, awsSrcDstCheck: "Disable" },
        // templates/tigera-operator/02-tigera-operator.yaml:64: the CRDs come from their own chart (calicoCrdChart).
        manageCRDs: false,
        // templates/tigera-operator/01-kubernetes-services-endpoint.yaml:49-57: the ConfigMap the operator and its components read.
        kubernetesServiceEndpoint: { host: s.apiHost, port: String(s.apiPort) },
    };
}

/** The host of `<host>:<port>` (IPv6 in brackets allowed) and its port. */
export function splitHostPort(endpoint: string): { host: string; port: number } {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(endpoint);
    if (!m) throw new Error(`an API endpoint must be <host>:<port>, not ${JSON.stringify(endpoint)}`);
    return { host: m[1] ?? m[2], port: Number(m[3]) };
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
    /** The CRD chart of the same Calico release. */
    readonly crdChart?: ChartPin;
}

export class Calico extends pulumi.ComponentResource {
    readonly release: pulumi.Output<string>;

    constructor(name: string, args: CalicoArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:addons:Calico", name, {}, opts);
        const { partition, region, provider } = args.context;
        const k = { parent: this, provider };
        const ns = addonNamespace(`${name}-namespace`, { name: CALICO_NAMESPACE, podSecurity: "privileged" }, k);
        const operatorPin = args.chart ?? ADDON_CHARTS.calico;
        const crdPin = args.crdChart ?? ADDON_CHARTS.calicoCrds;
        if (crdPin.version !== operatorPin.version) throw new Error(`the Calico CRD chart (${crdPin.version}) must be the operator chart's release (${operatorPin.version})`);
        const crds = pinnedChart(`${name}-crds`, { pin: crdPin, releaseName: "calico-crds", namespace: ns.metadata.name }, k);
        const release = pinnedRelease(
            `${name}-release`,
            { pin: operatorPin, releaseName: "calico", namespace: ns.metadata.name, values: pulumi.output(args.settings).apply((s) => calicoValues(s as CalicoSettings)) },
            // The component and, explicitly, every object it applied (its `resources` output resolves once they exist).
            { ...k, dependsOn: pulumi.output(crds.resources).apply((rs) => [crds, ...((rs ?? []) as pulumi.Resource[])]) },
        );
        const policy = pulumi.output(args.context.accountId).apply((account) => renderPolicy(calicoSrcDstCheckPolicy(partition, region, account)));
        for (const [slug, r] of [
            ["node", args.nodeRole],
            ["control-plane", args.controlPlaneRole],
        ] as const) {
            new aws.iam.RolePolicy(`${name}-${slug}-src-dst-check`, { role: r.name, policy }, { parent: this });
        }
        this.release = release.name;
        this.registerOutputs({ release: this.release });
    }
}
