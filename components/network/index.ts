// The cluster's network component and the checks program.ts runs before creating it.
export { Network, NETWORK_TYPE } from "./network";
export type { NetworkArgs, NetworkParts, NewVpcConfig, ExistingVpcConfig, NatGatewayMode } from "./types";
export { checkExistingNetwork, assertExistingNetwork } from "./checks";
export type { ExistingSubnetCidrs } from "./checks";
export { planSubnets, natZoneIndexes, natForZone, instanceSubnetCidrs } from "./layout";
export type { PlannedZone } from "./layout";
