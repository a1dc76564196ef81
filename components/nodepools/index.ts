// Worker node pools: the component and the pure renderers it wires (tested directly).
export { NodePool, NODE_POOL_TYPE } from "./nodePool";
export type { NodePoolArgs } from "./nodePool";
export * from "./capacity";
export * from "./labels";
export * from "./launchTemplate";
export * from "./tags";
