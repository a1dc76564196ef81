/**
 * What a healthy cluster of a stack looks like, from the stack's configuration
 * validated by the program's own validator (config/): one control-plane node
 * per slot, each pool's sizes, the system workloads of the enabled addons.
 * Pure: the deployed facts that only the stack or AWS know (zones chosen by
 * count, slot IPs in a bring-your-own VPC) come in as `deployed`.
 */
import { ConfigError, validateClusterConfig } from "../../config";
import { CONFIG_KEY } from "../../config/errors";
import { planSlots } from "../../components/controlplane/slots";
import { instanceSubnetCidrs } from "../../components/network/layout";
import { clusterTagKey } from "../../lib/naming";
import { ExpectedWorkload, expectedWorkloads, systemNamespaces } from "./workloads";

export interface ExpectedSlot {
    /** The slot's name, e.g. `control-plane-a` (the `k8s.io/slot` tag of its group and instance). */
    readonly name: string;
    /** Unknown when the stack gives the zones as a count and no stack output says which. */
    readonly zone?: string;
    /** The fixed IP the slot's kubelet registers as its InternalIP (kubelet --node-ip). */
    readonly ip?: string;
}

export interface ExpectedPool {
    readonly name: string;
    readonly min: number;
    readonly desired: number;
    readonly max: number;
}

export interface ExpectedCluster {
    readonly clusterName: string;
    readonly region: string;
    /** The tag on every Auto Scaling group of the cluster: `kubernetes.io/cluster/<name>` = owned. */
    readonly clusterTag: string;
    readonly etcdTopology: "stacked" | "external";
    readonly controlPlaneSlots: readonly ExpectedSlot[];
    readonly pools: readonly ExpectedPool[];
    readonly workloads: readonly ExpectedWorkload[];
    /** Namespaces whose pods are checked for crash loops. */
    readonly systemNamespaces: readonly string[];
}

/** Facts of the deployed stack (its outputs) that the configuration alone may not fix. */
export interface DeployedFacts {
    /** The stack output `controlPlaneSlots`: name, zone, fixed IP of each slot. */
    readonly controlPlaneSlots?: ReadonlyArray<{ readonly name: string; readonly zone: string; readonly ip: string }>;
}

/**
 * The expected cluster from a stack's runtime configuration (`namespace:key` -> text, as
 * tools/offline/stackFile.ts reads it). Throws ConfigError with every problem, as the render does.
 */
export function expectedFromStack(config: Readonly<Record<string, string>>, deployed: DeployedFacts = {}): ExpectedCluster {
    const namespace = CONFIG_KEY.slice(0, CONFIG_KEY.indexOf(":"));
    const parseText = (text: string | undefined): unknown => {
        if (text === undefined) return undefined;
        try {
            return JSON.parse(text);
        } catch {
            return text;
        }
    };
    const others = Object.entries(config).filter(([k]) => k.startsWith(`${namespace}:`) && k !== CONFIG_KEY);
    const c = validateClusterConfig({
        cluster: parseText(config[CONFIG_KEY]),
        region: config["aws:region"],
        otherSettings: Object.fromEntries(others.map(([k, v]) => [k, parseText(v)])),
    });
    const zones = Array.isArray(c.availabilityZones) ? c.availabilityZones : undefined;
    let slots: ExpectedSlot[];
    if (deployed.controlPlaneSlots && deployed.controlPlaneSlots.length > 0) {
        slots = deployed.controlPlaneSlots.map((s) => ({ name: s.name, zone: s.zone, ip: s.ip }));
    } else if (zones && c.network.mode === "new") {
        // The same layout the program uses (components/controlplane/slots.ts), so names and IPs match what it deployed.
        const cidrs = instanceSubnetCidrs(c.network, zones);
        slots = planSlots({ region: c.region, zones, instanceSubnetCidrs: cidrs, controlPlaneCount: c.controlPlane.count, etcdMembers: 0 }).controlPlane.map((s) => ({
            name: s.name,
            zone: s.zone,
            ip: s.ip,
        }));
    } else {
        // Zones by count, or subnets someone else made: the slots' zones and IPs are the stack's outputs.
        slots = Array.from({ length: c.controlPlane.count }, (_, i) => (zones ? { name: `control-plane-${zones[i].slice(-1)}`, zone: zones[i] } : { name: `control-plane-${i + 1}` }));
    }
    const workloads = expectedWorkloads(c.addons, c.dns !== undefined);
    return {
        clusterName: c.name,
        region: c.region,
        clusterTag: clusterTagKey(c.name),
        etcdTopology: c.etcd.topology,
        controlPlaneSlots: slots,
        pools: c.nodePools.map((p) => ({ name: p.name, min: p.min, desired: p.desired, max: p.max })),
        workloads,
        systemNamespaces: systemNamespaces(workloads),
    };
}

export { ConfigError };
