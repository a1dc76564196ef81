/**
 * On-host code: everything an instance receives in its user data, as pure
 * renderers. The scripts, units and configuration files of node setup, the
 * secrets delivery, the slot and control-plane bootstrap, etcd, backups, the
 * token sync, a pool node's join; kubeadm and kubelet configuration; every
 * unit name and host path (paths.ts); the cloud-config assembly and the one
 * user-data encoder (userData.ts). No Pulumi resources here (ami.ts only
 * looks the image up).
 */
export * from "./paths";
export * from "./apiserverFiles";
export * from "./kubelet";
export * from "./kubeadm";
export * from "./etcd";
export * from "./etcdReady";
export * from "./slotBootstrap";
export { INIT_MARKER_KEY, dirAvailableCheck } from "./controlPlaneBootstrap";
export * from "./backup";
export { shq } from "./shell";
export * from "./tokenSync";
export { renderLeafCertsScript, renderLeafCertsUnit } from "./leafCerts";
export * from "./slotSecrets";
export * from "./slotUserData";
export * from "./nodeUserData";
