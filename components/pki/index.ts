export { Pki } from "./pki";
export type { PkiArgs, KeyPair } from "./pki";
export * from "./certs";
export * from "./join";
export * from "./kubeconfig";
