/**
 * Where the Kubernetes API is reached, decided as data.
 *
 * Two audiences, two names:
 * - Users (kubectl, CI) dial the public name `api.<cluster>.<zone>`, an alias of
 *   the load balancer (or an A record of the Elastic IP). Without a DNS zone
 *   they dial the load balancer's DNS name or the Elastic IP itself.
 * - Nodes and the control-plane members themselves (kubeadm's
 *   controlPlaneEndpoint, so every kubelet.conf, the cluster-info ConfigMap
 *   and kube-proxy) dial `api.internal.<cluster>.<zone>` (below). Without a
 *   DNS zone the record sits in a private hosted zone of the cluster's own,
 *   visible only in the VPC.
 *
 * Why not let nodes use the public load balancer: an internet-facing balancer
 * is reached from private subnets through the NAT gateways, so the API would
 * see the NAT addresses (which then need to be allowed next to the admin
 * CIDRs, and in an existing VPC are not even known to us), and every kubelet
 * heartbeat would pay NAT processing.
 *
 * What api.internal is (docs/decisions/api-internal-endpoint.md):
 * - Several slots: an alias of an internal Network Load Balancer of its own,
 *   in the private subnets, whose targets are the slots' fixed IPs (IP
 *   targets: the IPs never change, so they are registered once, here, with
 *   no controller) and whose health check is HTTPS /readyz, as kops does with
 *   its internal API load balancer (`api.loadBalancer.useForInternalApi`). A
 *   plain A record of every slot's IP (what this was before) keeps a dead or
 *   wedged member in rotation for as long as it is dead: resolvers hand its
 *   address out, Go's dialer tries the addresses in order, each with a share
 *   of the dial timeout, so new connections stall on it, and a member that
 *   accepts TCP but cannot reach etcd is never skipped at all. The
 *   balancer removes it within API_HEALTH_CHECK's 25 s, also when it accepts
 *   connections but is not ready. Client IP preservation is off (the default
 *   for IP targets over TCP, written out): with it on, a member dialling the
 *   balancer and balanced to itself is dropped (NLB does not hairpin with
 *   client IP preservation); off, the source is the balancer's address, which
 *   the firewall's `internalLb` group covers. Cost: one more NLB, about
 *   USD 16 a month plus capacity units in eu-west-1; kept separate from the
 *   public one because that one has instance targets with client IP
 *   preservation (the audit log names real callers) and admits admin CIDRs.
 * - One slot (dev): the A record of the slot's fixed IP. With a single
 *   member there is nothing to fail over to, and a balancer would only add
 *   cost and a hop.
 */
import { apiInternalDnsName, privateApiZoneName } from "../../lib/naming";
import { apiServerCertSANs } from "../host/kubeadm";
import { apiDnsName } from "./slots";
import { API_SERVER_PORT } from "../host/paths";

export type EndpointKind = "network" | "classic" | "elasticIp";

export interface EndpointPlan {
    readonly kind: EndpointKind;
    /** An internal load balancer in the private subnets; else internet-facing in the public subnets. */
    readonly internal: boolean;
    /** `api.<cluster>.<zone>` when a DNS zone is configured. */
    readonly publicName?: string;
    /** What nodes and control-plane members dial: `api.internal.<cluster>.<zone>`. */
    readonly nodeName: string;
    /** nodeName is an alias of an internal NLB health-checking /readyz (several slots); else an A record of the one slot's IP. */
    readonly internalBalancer: boolean;
    /** Where nodeName's record lives: the configured zone, or a private zone the cluster creates. */
    readonly internalZone: { readonly kind: "configured"; readonly zoneId: string } | { readonly kind: "private"; readonly name: string };
}

export interface EndpointConfig {
    readonly name: string;
    readonly controlPlane: {
        readonly count: number;
        readonly endpoint: "loadBalancer" | "elasticIp";
        readonly loadBalancerType: "network" | "classic";
        readonly apiAccess: "public" | "internal";
    };
    readonly dns?: { readonly zoneName: string; readonly zoneId: string };
}

export function planEndpoint(c: EndpointConfig): EndpointPlan {
    const kind: EndpointKind = c.controlPlane.endpoint === "elasticIp" ? "elasticIp" : c.controlPlane.loadBalancerType;
    const internal = kind !== "elasticIp" && c.controlPlane.apiAccess === "internal";
    const internalBalancer = c.controlPlane.count > 1;
    if (c.dns) {
        return {
            kind,
            internal,
            internalBalancer,
            publicName: apiDnsName(c.name, c.dns.zoneName),
            nodeName: apiInternalDnsName(c.name, c.dns.zoneName),
            internalZone: { kind: "configured", zoneId: c.dns.zoneId },
        };
    }
    const zone = privateApiZoneName(c.name);
    // api.internal.<cluster>.k8s-aws.internal would sit outside the zone <cluster>.k8s-aws.internal; keep it inside.
    return { kind, internal, internalBalancer, nodeName: `api.internal.${zone}`, internalZone: { kind: "private", name: zone } };
}

/** `<host>:6443`, as kubeadm's controlPlaneEndpoint and the bootstrap scripts want it. */
export function hostPort(host: string): string {
    return `${host}:${API_SERVER_PORT}`;
}

/**
 * The apiserver certificate's SANs: both names, the load balancer's DNS name
 * or the Elastic IP (what users dial without DNS), every slot's fixed IP, and
 * kubeadm's usual in-cluster names.
 */
export function endpointCertSans(plan: Pick<EndpointPlan, "nodeName" | "publicName">, o: { slotIps: readonly string[]; loadBalancerDnsName?: string; elasticIp?: string }): string[] {
    const base = apiServerCertSANs({ apiName: plan.nodeName, loadBalancerDnsName: o.loadBalancerDnsName, slotIps: o.slotIps });
    return [...new Set([...(plan.publicName ? [plan.publicName] : []), ...base, ...(o.elasticIp ? [o.elasticIp] : [])])];
}
