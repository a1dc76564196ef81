/**
 * Where the Kubernetes API is reached, decided as data.
 *
 * Two audiences, two names:
 * - Users (kubectl, CI) dial the public name `api.<cluster>.<zone>`, an alias of
 *   the load balancer (or an A record of the Elastic IP). Without a DNS zone
 *   they dial the load balancer's DNS name or the Elastic IP itself.
 * - Nodes and the control-plane members themselves (kubeadm's
 *   controlPlaneEndpoint, so every kubelet.conf, the cluster-info ConfigMap
 *   and kube-proxy) dial `api.internal.<cluster>.<zone>`: an A record of the
 *   slots' fixed private IPs, as kops does. Without a DNS zone the record sits
 *   in a private hosted zone of the cluster's own, visible only in the VPC.
 *
 * Why not let nodes use the load balancer: an internet-facing balancer is
 * reached from private subnets through the NAT gateways, so the API would see
 * the NAT addresses (which then need to be allowed next to the admin CIDRs,
 * and in an existing VPC are not even known to us), every kubelet heartbeat
 * would pay NAT processing, and a control-plane member dialling the NLB can be
 * balanced back to itself, which NLB (client IP preservation) does not
 * support. The fixed IPs never change (the slots own them), so the record is
 * static and needs no controller. A dead member stays in the record; clients
 * (Go's dialer, curl) try the next address.
 */
import { apiInternalDnsName, privateApiZoneName } from "../naming";
import { apiServerCertSANs } from "./render/kubeadm";
import { apiDnsName } from "./slots";
import { API_SERVER_PORT } from "./render/paths";

export type EndpointKind = "network" | "classic" | "elasticIp";

export interface EndpointPlan {
    readonly kind: EndpointKind;
    /** An internal load balancer in the private subnets; else internet-facing in the public subnets. */
    readonly internal: boolean;
    /** `api.<cluster>.<zone>` when a DNS zone is configured. */
    readonly publicName?: string;
    /** What nodes and control-plane members dial: `api.internal.<cluster>.<zone>`. */
    readonly nodeName: string;
    /** Where nodeName's record lives: the configured zone, or a private zone the cluster creates. */
    readonly internalZone: { readonly kind: "configured"; readonly zoneId: string } | { readonly kind: "private"; readonly name: string };
}

export interface EndpointConfig {
    readonly name: string;
    readonly controlPlane: { readonly endpoint: "loadBalancer" | "elasticIp"; readonly loadBalancerType: "network" | "classic"; readonly apiAccess: "public" | "internal" };
    readonly dns?: { readonly zoneName: string; readonly zoneId: string };
}

export function planEndpoint(c: EndpointConfig): EndpointPlan {
    const kind: EndpointKind = c.controlPlane.endpoint === "elasticIp" ? "elasticIp" : c.controlPlane.loadBalancerType;
    const internal = kind !== "elasticIp" && c.controlPlane.apiAccess === "internal";
    if (c.dns) {
        return {
            kind,
            internal,
            publicName: apiDnsName(c.name, c.dns.zoneName),
            nodeName: apiInternalDnsName(c.name, c.dns.zoneName),
            internalZone: { kind: "configured", zoneId: c.dns.zoneId },
        };
    }
    const zone = privateApiZoneName(c.name);
    // api.internal.<cluster>.k8s-aws.internal would sit outside the zone <cluster>.k8s-aws.internal; keep it inside.
    return { kind, internal, nodeName: `api.internal.${zone}`, internalZone: { kind: "private", name: zone } };
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
export function endpointCertSans(plan: EndpointPlan, o: { slotIps: readonly string[]; loadBalancerDnsName?: string; elasticIp?: string }): string[] {
    const base = apiServerCertSANs({ apiName: plan.nodeName, loadBalancerDnsName: o.loadBalancerDnsName, slotIps: o.slotIps });
    return [...new Set([...(plan.publicName ? [plan.publicName] : []), ...base, ...(o.elasticIp ? [o.elasticIp] : [])])];
}
