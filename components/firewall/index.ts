export { Firewall } from "./firewall";
export type { FirewallArgs } from "./firewall";
export * from "./rules";
