// Worker node pools: the component and the pure renderers it wires (tested directly).
export { NodePool, NODE_POOL_TYPE } from "./nodePool";
export type { NodePoolArgs } from "./nodePool";
export * from "./capacity";
// The label and taint rules are configuration rules, the labels and tags naming facts; re-exported as the pools' public surface.
export { kubeletMaySetLabel, nodePoolLabelProblems, nodePoolsLabelProblems, TAG_KEY_MAX, TAG_VALUE_MAX } from "../../config/nodePoolLabels";
export * from "./launchTemplate";
export * from "../../lib/poolTags";
