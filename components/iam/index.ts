export { InstanceRoles, roleSlug } from "./instanceRoles";
export type { InstanceRolesArgs, InstanceRole } from "./instanceRoles";
export * from "./policyDocument";
