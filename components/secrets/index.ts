export { SecretsBucket, objectResourceName } from "./secretsBucket";
export type { ExtraSecretObject, ExtraLifecycleRule } from "./secretsBucket";
export type { SecretsBucketArgs } from "./secretsBucket";
export * from "./layout";
export * from "./policies";
