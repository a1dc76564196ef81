/**
 * The cluster's port matrix, as data: which security group may reach which
 * port on which other group or from which CIDR. The Firewall component turns
 * each rule into one ingress rule resource; tests and policies read the same
 * table. Nothing is open to the world except what the admin CIDRs allow.
 */

/**
 * The security groups the cluster creates. `lb` exists with a load-balancer endpoint; `internalLb` with
 * the internal API load balancer behind api.internal (several control-plane slots); `etcd` with external etcd.
 */
export type GroupRole = "lb" | "internalLb" | "controlPlane" | "etcd" | "nodes";

export interface PortRange {
    readonly protocol: "tcp" | "udp";
    readonly from: number;
    readonly to: number;
}

export type Source = { readonly group: GroupRole } | { readonly cidr: string };

export interface IngressRule {
    /** A stable, unique name for the rule (part of its resource name). */
    readonly name: string;
    readonly target: GroupRole;
    readonly ports: PortRange;
    readonly source: Source;
    readonly description: string;
}

export interface FirewallInput {
    readonly adminCidrs: readonly string[];
    /** The API is reached through a load balancer (else through an Elastic IP on the single slot). */
    readonly loadBalancer: boolean;
    /** api.internal is an internal NLB in front of the slots (components/controlplane/endpoint.ts). */
    readonly internalLoadBalancer: boolean;
    readonly externalEtcd: boolean;
    /** Pod-network ports opened between all cluster instances (from the CNI addon, e.g. VXLAN 4789/udp). */
    readonly podNetworkPorts: readonly PortRange[];
    /** Extra sources allowed to the API load balancer (e.g. NAT gateway addresses when nodes reach a public LB). */
    readonly extraApiSources?: readonly string[];
}

export const API_PORT = 6443;
export const KUBELET_PORT = 10250;
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

const tcp = (from: number, to = from): PortRange => ({ protocol: "tcp", from, to });

const slug = (cidr: string) => cidr.replace(/[./]/g, "-");

export function firewallRules(input: FirewallInput): IngressRule[] {
    const rules: IngressRule[] = [];
    const add = (name: string, target: GroupRole, ports: PortRange, source: Source, description: string) => rules.push({ name, target, ports, source, description });
    const machines: GroupRole[] = ["controlPlane", "nodes"];

    // The API: admins through the load balancer (or directly on the single slot's Elastic IP).
    const apiFront: GroupRole = input.loadBalancer ? "lb" : "controlPlane";
    for (const cidr of [...input.adminCidrs, ...(input.extraApiSources ?? [])]) {
        add(`api-from-${slug(cidr)}`, apiFront, tcp(API_PORT), { cidr }, `Kubernetes API from ${cidr}`);
    }
    if (input.loadBalancer) add("api-from-lb", "controlPlane", tcp(API_PORT), { group: "lb" }, "Kubernetes API from the load balancer (traffic and health checks)");
    // api.internal: nodes and members dial the internal balancer, which forwards from its own addresses
    // (client IP preservation off, so a member may be balanced to itself). Nodes keep the direct rule
    // below: pods reach the API through the kubernetes Service, whose endpoints are the slots' own IPs.
    if (input.internalLoadBalancer) {
        for (const source of ["nodes", "controlPlane"] as const) {
            add(
                `internal-api-from-${source === "nodes" ? "nodes" : "control-plane"}`,
                "internalLb",
                tcp(API_PORT),
                { group: source },
                `Kubernetes API (api.internal) from ${source === "nodes" ? "nodes" : "control-plane members"}`,
            );
        }
        add("api-from-internal-lb", "controlPlane", tcp(API_PORT), { group: "internalLb" }, "Kubernetes API from the internal load balancer (traffic and health checks)");
    }
    add("api-from-nodes", "controlPlane", tcp(API_PORT), { group: "nodes" }, "Kubernetes API from nodes");
    add("api-from-control-plane", "controlPlane", tcp(API_PORT), { group: "controlPlane" }, "Kubernetes API between control-plane members");

    // etcd: only between members and from the API servers.
    if (input.externalEtcd) {
        add("etcd-client-from-control-plane", "etcd", tcp(ETCD_CLIENT_PORT), { group: "controlPlane" }, "etcd clients (kube-apiserver)");
        add("etcd-client-from-etcd", "etcd", tcp(ETCD_CLIENT_PORT), { group: "etcd" }, "etcd clients between members (health, backups)");
        add("etcd-peer-from-etcd", "etcd", tcp(ETCD_PEER_PORT), { group: "etcd" }, "etcd peers");
    } else {
        add("etcd-from-control-plane", "controlPlane", tcp(ETCD_CLIENT_PORT, ETCD_PEER_PORT), { group: "controlPlane" }, "stacked etcd clients and peers");
    }

    // kubelet: the API server (logs, exec, port-forward) and metrics-server, which runs on nodes.
    for (const target of machines) {
        add(`kubelet-from-control-plane-to-${target}`, target, tcp(KUBELET_PORT), { group: "controlPlane" }, "kubelet API from the control plane");
        add(`kubelet-from-nodes-to-${target}`, target, tcp(KUBELET_PORT), { group: "nodes" }, "kubelet API from metrics-server on nodes");
    }

    // The pod network between every pair of machine groups. With Calico's VXLANCrossSubnet, pod
    // traffic inside a subnet is not encapsulated and arrives on the pods' own ports, so the CNI asks
    // for wide ranges; toward the control plane with stacked etcd, etcd's ports are carved out so that
    // only the control plane reaches them (kops does the same: nodes reach masters on 1-2379, 2382-...).
    for (const target of machines) {
        for (const source of machines) {
            const carve = target === "controlPlane" && source === "nodes" && !input.externalEtcd;
            for (const ports of input.podNetworkPorts.flatMap((p) => (carve ? without(p, ETCD_CLIENT_PORT, ETCD_PEER_PORT) : [p]))) {
                add(`pod-network-${ports.protocol}-${ports.from}-from-${source}-to-${target}`, target, ports, { group: source }, `pod network ${ports.protocol}/${ports.from}-${ports.to}`);
            }
        }
    }
    return rules;
}

/** A TCP range minus [from, to] (UDP ranges are kept: etcd listens on TCP only). */
export function without(range: PortRange, from: number, to: number): PortRange[] {
    if (range.protocol !== "tcp" || range.to < from || range.from > to) return [range];
    const out: PortRange[] = [];
    if (range.from < from) out.push({ ...range, to: from - 1 });
    if (range.to > to) out.push({ ...range, from: to + 1 });
    return out;
}

/** Which groups exist for a cluster. */
export function groupRoles(input: Pick<FirewallInput, "loadBalancer" | "internalLoadBalancer" | "externalEtcd">): GroupRole[] {
    return [
        ...(input.loadBalancer ? (["lb"] as const) : []),
        ...(input.internalLoadBalancer ? (["internalLb"] as const) : []),
        "controlPlane",
        ...(input.externalEtcd ? (["etcd"] as const) : []),
        "nodes",
    ];
}
