/**
 * Shared fixtures: a happy-path cluster configuration that each test changes
 * in one place.
 */
import { validateClusterConfig, resolveZones, ClusterConfig, RawStackConfig } from "../../config";
import { zonesOf } from "../../config/regions";

export const FIXTURE_REGION = "eu-west-1";

/** A production-shaped cluster: 3 zones, 3 control-plane slots, one pool. */
export function rawCluster(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        name: "demo",
        adminCidrs: ["203.0.113.0/24"],
        dns: { zoneName: "k8s.example.com", zoneId: "Z0123456789ABCDEFGHIJ" },
        nodePools: [{ name: "general", instanceTypes: ["m7i.large"], min: 3, desired: 3, max: 6 }],
        ...overrides,
    };
}

export function rawStack(overrides: Record<string, unknown> = {}, region = FIXTURE_REGION): RawStackConfig {
    return { cluster: rawCluster(overrides), region };
}

export function clusterConfig(overrides: Record<string, unknown> = {}, region = FIXTURE_REGION): ClusterConfig {
    return resolveZones(validateClusterConfig(rawStack(overrides, region)), zonesOf(region));
}
