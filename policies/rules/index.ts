/**
 * Every policy of the pack, by area. The PolicyPack (../index.ts) and the
 * offline runner (../offline.ts) both take this list, so the checks a render
 * runs are exactly the ones `pulumi preview --policy-pack` runs.
 */
import type { Policies } from "@pulumi/policy";
import { tlsPolicies } from "./tls";
import { networkPolicies } from "./network";
import { secretsPolicies } from "./secrets";
import { bucketPolicies } from "./buckets";
import { clusterPolicies } from "./cluster";
import { strictConfig } from "../packconfig";
import { apiReachabilityPolicies } from "./apiReachability";

export * from "./tls";
export * from "./network";
export * from "./secrets";
export * from "./buckets";
export * from "./cluster";
export * from "./apiReachability";

/** Each policy refuses config settings it does not declare, in `pulumi preview` as offline (packconfig.ts strictConfig). */
export const allPolicies: Policies = [...tlsPolicies, ...networkPolicies, ...secretsPolicies, ...bucketPolicies, ...clusterPolicies, ...apiReachabilityPolicies].map(strictConfig);
