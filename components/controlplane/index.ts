// The control plane: slots, the API endpoint, external etcd, backups, and the pure decisions behind them.
export { ControlPlane } from "./controlPlane";
export type { ControlPlaneArgs } from "./controlPlane";
export { EtcdCluster, ETCD_LAUNCH_GATE } from "./etcdCluster";
export type { EtcdClusterArgs } from "./etcdCluster";
export { Slot, ROOT_VOLUME_GIB, ROOT_DEVICE, capacityTimeout } from "./slot";
export type { SlotArgs } from "./slot";
export { ApiEndpoint } from "./apiEndpoint";
export type { ApiEndpointArgs } from "./apiEndpoint";
export { ControlPlaneSecrets, ENCRYPTION_KEY_NAME, encryptionKeyFrom } from "./controlPlaneSecrets";
export { EtcdSnapshots, dlmTrustPolicy, DLM_MANAGED_POLICY } from "./etcdSnapshots";
export type { SlotEnvironment } from "./environment";
export * from "./endpoint";
export * from "./loadBalancer";
export * from "./kubeadmConfigs";
export * from "./iamPolicies";
export * from "./sizing";
export * from "./slots";
