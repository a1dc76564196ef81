/**
 * Slots: the self-healing unit of the control plane (and of external etcd).
 * Each slot is pinned to one zone and owns a fixed private IP and a data
 * volume that any replacement instance re-attaches, so a replaced member
 * comes back with the same identity and data. This module decides the slots'
 * names, zones, IPs and DNS names; pure, so tests and policies can rely on it.
 */
import { formatIp, host, mustParseCidr } from "../../lib/cidr";
import { zoneSuffix } from "../../lib/naming";

export type SlotRole = "control-plane" | "etcd";

export interface SlotPlan {
    /** The `k8s.io/slot` tag value and the etcd member name, e.g. `control-plane-a`, `etcd-b`. */
    readonly name: string;
    readonly role: SlotRole;
    readonly zone: string;
    /** Index into the cluster's zones (and the network's per-zone subnets). */
    readonly zoneIndex: number;
    /** The fixed private IP of the slot's network interface. */
    readonly ip: string;
    /** A stable name for the fixed IP that resolves inside the VPC (EC2's IP-based private DNS name). */
    readonly dnsName: string;
}

/**
 * Host numbers of the fixed IPs in each zone's instance subnet. AWS reserves
 * the first four addresses of a subnet; auto-assigned addresses of other
 * instances can still collide, which the interface's creation would reveal
 * at `pulumi up`, so keep these low and fixed.
 */
const HOST_NUMBER: Record<SlotRole, number> = { "control-plane": 10, etcd: 11 };

/**
 * EC2's IP-based hostname for a private IP (resolvable in a VPC with DNS
 * support): `ip-10-0-0-10.eu-west-1.compute.internal`, or
 * `ip-10-0-0-10.ec2.internal` in us-east-1
 * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-dns.html#vpc-dns-hostnames).
 */
export function ec2PrivateDnsName(ip: string, region: string): string {
    const hostPart = `ip-${ip.replace(/\./g, "-")}`;
    return region === "us-east-1" ? `${hostPart}.ec2.internal` : `${hostPart}.${region}.compute.internal`;
}

export interface SlotLayoutInput {
    readonly region: string;
    readonly zones: readonly string[];
    /** Per zone (same order), the CIDR of the subnet instances run in. */
    readonly instanceSubnetCidrs: readonly string[];
    readonly controlPlaneCount: number;
    /** 0 with stacked etcd. */
    readonly etcdMembers: number;
}

/** Slot i goes to zone i: config validation guarantees at least as many zones as slots. */
export function planSlots(input: SlotLayoutInput): { controlPlane: SlotPlan[]; etcd: SlotPlan[] } {
    const plan = (role: SlotRole, count: number): SlotPlan[] =>
        Array.from({ length: count }, (_, i) => {
            const zone = input.zones[i];
            if (zone === undefined) throw new Error(`${count} ${role} slots need ${count} zones; the cluster has ${input.zones.length}`);
            const ip = formatIp(host(mustParseCidr(input.instanceSubnetCidrs[i]), HOST_NUMBER[role]));
            return { name: `${role}-${zoneSuffix(zone)}`, role, zone, zoneIndex: i, ip, dnsName: ec2PrivateDnsName(ip, input.region) };
        });
    return { controlPlane: plan("control-plane", input.controlPlaneCount), etcd: plan("etcd", input.etcdMembers) };
}

/** The API's stable DNS name when the cluster has a zone: `api.<cluster>.<zone>`. */
export function apiDnsName(cluster: string, zoneName: string): string {
    return `api.${cluster}.${zoneName}`;
}
