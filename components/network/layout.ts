/**
 * Pure decisions about a new VPC's shape, kept apart from resource creation
 * so they can be unit-tested: which CIDR each subnet gets and which NAT
 * gateway each zone's private subnets route through.
 */
import { formatCidr, mustParseCidr } from "../../lib/cidr";
import { MAX_ZONES, zoneSubnets } from "../../lib/subnetLayout";
import { NatGatewayMode } from "./types";

export interface PlannedZone {
    readonly zone: string;
    readonly publicCidr: string;
    readonly privateCidr: string;
}

/** Per zone, in zone order, the public and private subnet CIDRs the layout rule gives. */
export function planSubnets(vpcCidr: string, zones: readonly string[]): PlannedZone[] {
    if (zones.length < 1 || zones.length > MAX_ZONES) {
        throw new Error(`a new VPC spans 1 to ${MAX_ZONES} zones, not ${zones.length}`);
    }
    if (new Set(zones).size !== zones.length) throw new Error(`zones must be distinct: ${zones.join(", ")}`);
    const vpc = mustParseCidr(vpcCidr);
    return zones.map((zone, i) => {
        const s = zoneSubnets(vpc, i);
        return { zone, publicCidr: formatCidr(s.public), privateCidr: formatCidr(s.private) };
    });
}

/** Indexes of the zones that get a NAT gateway (in their public subnet). */
export function natZoneIndexes(mode: NatGatewayMode, zoneCount: number): number[] {
    switch (mode) {
        case "none":
            return [];
        case "single":
            return [0];
        case "perAz":
            return Array.from({ length: zoneCount }, (_, i) => i);
    }
}

/**
 * For zone `zoneIndex`, the index (into natZoneIndexes' result) of the NAT its
 * private subnet routes through, or undefined when there is none.
 */
export function natForZone(mode: NatGatewayMode, zoneIndex: number): number | undefined {
    switch (mode) {
        case "none":
            return undefined;
        case "single":
            return 0;
        case "perAz":
            return zoneIndex;
    }
}

/**
 * Per zone, the CIDR of the subnet instances run in: the private subnet, or
 * the public one when there is no NAT (new VPC with natGateways none, or an
 * existing VPC whose private subnets have no NAT).
 */
export function instanceSubnetCidrs(
    network: { mode: "new"; vpcCidr: string; natGateways: NatGatewayMode } | { mode: "existing"; privateSubnetsHaveNat: boolean },
    zones: readonly string[],
    existing: Readonly<Record<string, { public: string; private: string }>> = {},
): string[] {
    if (network.mode === "new") {
        return planSubnets(network.vpcCidr, zones).map((z) => (network.natGateways === "none" ? z.publicCidr : z.privateCidr));
    }
    return zones.map((zone) => {
        const cidrs = existing[zone];
        if (!cidrs) throw new Error(`no subnet CIDRs known for ${zone}`);
        return network.privateSubnetsHaveNat ? cidrs.private : cidrs.public;
    });
}
