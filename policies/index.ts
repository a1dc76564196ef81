/**
 * The policy pack as `pulumi preview --policy-pack policies` loads it.
 * Constructing a PolicyPack starts its gRPC server, so nothing else imports
 * this module: tests and the offline runner import ./rules directly.
 */
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./rules";

new PolicyPack("k8s-aws", { policies: allPolicies });
