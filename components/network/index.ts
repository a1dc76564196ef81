// The cluster's network component, and (re-exported) the checks program.ts runs before creating it.
export { Network, NETWORK_TYPE } from "./network";
export type { NetworkArgs, NetworkParts, NewVpcConfig, ExistingVpcConfig, NatGatewayMode } from "./types";
// The existing-VPC preflight checks are configuration checks (config/existingNetwork.ts); re-exported for the network's callers.
export { checkExistingNetwork, assertExistingNetwork } from "../../config/existingNetwork";
export type { ExistingSubnetCidrs } from "../../config/existingNetwork";
export { planSubnets, natZoneIndexes, natForZone, instanceSubnetCidrs } from "./layout";
export type { PlannedZone } from "./layout";
