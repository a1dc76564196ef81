/** Pure renderers for the control plane: kubeadm, etcd, slot and control-plane bootstrap, backups. */
export * from "./paths";
export * from "./apiserverFiles";
export * from "./kubelet";
export * from "./kubeadm";
export * from "./etcd";
export * from "./slotBootstrap";
export { INIT_MARKER_KEY, dirAvailableCheck } from "./controlPlaneBootstrap";
export * from "./backup";
export { shq } from "./shell";
export * from "./tokenSync";
export { renderLeafCertsScript, renderLeafCertsUnit } from "./leafCerts";
