/**
 * The program: stack configuration -> validated ClusterConfig -> Cluster ->
 * stack outputs. `index.ts` hands this to Pulumi; the offline render and the
 * tests run the very same function under the mock runtime.
 */
import * as aws from "@pulumi/aws";
import { readStackConfig, validateClusterConfig, resolveZones } from "./config";
import { readRunningVersion } from "./config/previous";
import { judgedAgainst, readRolledVersion } from "./config/rolled";
import { assertExistingNetwork } from "./config/existingNetwork";
import { Cluster } from "./components/cluster";
import { instanceSubnetCidrs } from "./components/network";

export async function main(): Promise<Record<string, unknown>> {
    // Everything that can be checked without AWS is checked first, all at once.
    // A version change is judged against the version the cluster runs: the version npm run roll
    // recorded (an SSM parameter, read live), else the stack's own previous outputs.
    const raw = readStackConfig();
    const rolled = await readRolledVersion((raw.cluster as { name?: unknown } | undefined)?.name);
    const validated = validateClusterConfig({ ...raw, running: judgedAgainst(rolled, await readRunningVersion()) });
    // The zones this account can use (a data source, not a resource: nothing is created yet).
    const available = await aws.getAvailabilityZones({ state: "available" });
    const config = resolveZones(validated, available.names);
    // Bring-your-own VPC: the ids must exist, in this VPC and these zones (no-op for a new VPC).
    const existingCidrs = await assertExistingNetwork(config);
    const cluster = new Cluster(config.name, { config, instanceSubnetCidrs: instanceSubnetCidrs(config.network, config.zones, existingCidrs) });
    return cluster.stackOutputs();
}
