/**
 * Cluster guardrails that need the whole stack: etcd quorum and zone spread
 * of the control plane, slots pinned to one zone with their volume and
 * interface, subnet discovery tags, multi-zone node pools, encrypted disks.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy, PolicyConfigSchema } from "@pulumi/policy";
import { T, TAG, str, num, bool, get, records, tagsOf, Props } from "./lib/resources";
import { Topology, roleOf, slotOf } from "./lib/topology";
import { withDefaults } from "./lib/config";

/** A machine resource that runs members of a role: an autoscaling group (maxSize of them) or an instance (one). */
interface Member {
    readonly r: PolicyResource;
    readonly label: string;
    readonly count: number;
}

function membersOf(topo: Topology, role: "control-plane" | "etcd"): Member[] {
    const machines = [...topo.asgs(role), ...topo.ofType(T.instance).filter((i) => roleOf(i.props) === role)];
    return machines.map((r) => ({
        r,
        label: slotOf(r.props) ?? r.name,
        count: r.type === T.asg ? (num(r.props.maxSize) ?? num(r.props.desiredCapacity) ?? 1) : 1,
    }));
}

/**
 * Quorum and zone spread of one role's members, counted from the resources
 * themselves: every group and instance carrying the role tag, whoever made it,
 * so a slot declared twice or a stray instance counts as the members it runs.
 */
function layoutProblems(topo: Topology, role: "control-plane" | "etcd", quorum: boolean): { message: string; urn?: string }[] {
    const members = membersOf(topo, role);
    if (members.length === 0) return [];
    const out: { message: string; urn?: string }[] = [];
    const count = members.reduce((n, m) => n + m.count, 0);
    const bySlot = new Map<string, Member[]>();
    for (const m of members.filter((m) => slotOf(m.r.props) !== undefined)) bySlot.set(m.label, [...(bySlot.get(m.label) ?? []), m]);
    for (const [slot, claim] of bySlot) {
        if (claim.length > 1)
            out.push({ message: `${role} slot ${slot} is declared by ${claim.length} resources (${claim.map((m) => m.r.name).join(", ")}); each runs its own member`, urn: claim[1].r.urn });
    }
    for (const m of members.filter((m) => m.r.type === T.asg)) {
        const min = num(m.r.props.minSize);
        const max = num(m.r.props.maxSize);
        if (min !== undefined && max !== undefined && min !== max)
            out.push({ message: `${role} group ${m.r.name} scales between ${min} and ${max} members; etcd membership must not change with load`, urn: m.r.urn });
    }
    if (quorum && count % 2 === 0) out.push({ message: `${count} ${role} members: etcd needs an odd count (1, 3 or 5) to keep quorum` });
    const slotVolumes = topo.resources.filter((r) => (r.type === T.volume || r.type === T.networkInterface) && roleOf(r.props) === role);
    const perZone = new Map<string, Member[]>();
    for (const m of members) {
        const slot = slotOf(m.r.props);
        const zone =
            topo.zoneOf(m.r) ??
            (slot === undefined
                ? undefined
                : slotVolumes
                      .filter((v) => slotOf(v.props) === slot)
                      .map((v) => topo.zoneOf(v))
                      .find((z) => z));
        if (zone) perZone.set(zone, [...(perZone.get(zone) ?? []), m]);
    }
    const zones = Math.max(topo.allZones().size, perZone.size);
    if (zones === 0) {
        if (count > 1) out.push({ message: `cannot tell the zones of the ${role} members (no subnet zones, volumes or availabilityZones)` });
        return out;
    }
    const limit = Math.ceil(count / zones);
    for (const [zone, inZone] of perZone) {
        const n = inZone.reduce((k, m) => k + (topo.asgZones(m.r.props).zones.size > 1 ? 0 : m.count), 0);
        if (n > limit)
            out.push({
                message: `${role} slots ${inZone.map((m) => m.label).join(", ")} share ${zone} while ${zones} zones are available: one zone outage takes out more than its share of etcd members`,
            });
    }
    for (const m of members.filter((m) => m.r.type === T.asg && slotOf(m.r.props) === undefined)) {
        const spread = topo.asgZones(m.r.props).zones.size;
        const wanted = Math.min(m.count, zones);
        if (spread > 0 && spread < wanted) out.push({ message: `${role} group ${m.r.name} spans ${spread} zone(s) for ${m.count} members while ${zones} are available`, urn: m.r.urn });
    }
    return out;
}

export const controlPlaneOddAndSpread: StackValidationPolicy = {
    name: "control-plane-odd-spread",
    description:
        "etcd members, counted from the resources (autoscaling groups and instances tagged k8s.io/role/etcd, or with stacked etcd " +
        "those tagged k8s.io/role/control-plane), are an odd number with a fixed size, one resource per k8s.io/slot; control-plane " +
        "and etcd members spread over distinct availability zones (as evenly as the stack's zones allow).",
    remediationSteps: "Run 1, 3 or 5 slots, each slot's group (min = max) in one subnet of a different zone (round-robin over the zones); declare each slot once.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const topo = new Topology(args.resources);
        // With external etcd the control plane holds no etcd data: its count is free, the etcd members' is not.
        const external = membersOf(topo, "etcd").length > 0;
        const problems = [...layoutProblems(topo, "control-plane", !external), ...layoutProblems(topo, "etcd", true)];
        for (const p of problems) report(p.message, p.urn);
    },
};

export const slotResourcesInSlotZone: StackValidationPolicy = {
    name: "slot-resources-same-az",
    description:
        "Each slot (k8s.io/slot) keeps its autoscaling group, EBS volume and network interface in one availability zone: " + "EBS volumes and interfaces cannot follow an instance into another zone.",
    remediationSteps: "Create the slot's volume with availabilityZone and its interface in the subnet of the zone its group launches into.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const topo = new Topology(args.resources);
        const members = topo.resources.filter((r) => [T.asg, T.volume, T.networkInterface].includes(r.type as typeof T.asg) && slotOf(r.props) !== undefined);
        // Slots are named per role; a member without a role tag joins the one group of its slot name.
        const groups = new Map<string, PolicyResource[]>();
        for (const m of members.filter((m) => roleOf(m.props) !== "")) {
            const key = `${roleOf(m.props)}|${slotOf(m.props)}`;
            groups.set(key, [...(groups.get(key) ?? []), m]);
        }
        for (const m of members.filter((m) => roleOf(m.props) === "")) {
            const keys = [...groups.keys()].filter((k) => k.endsWith(`|${slotOf(m.props)}`));
            const key = keys.length === 1 ? keys[0] : `|${slotOf(m.props)}`;
            groups.set(key, [...(groups.get(key) ?? []), m]);
        }
        for (const [key, group] of groups) {
            const slot = key.split("|")[1];
            for (const g of group.filter((r) => r.type === T.asg)) {
                const { zones } = topo.asgZones(g.props);
                if (zones.size > 1) report(`group ${g.name} of slot ${slot} spans ${[...zones].join(", ")}; a slot launches into one zone`, g.urn);
            }
            const ordered = [...group.filter((r) => r.type === T.asg), ...group.filter((r) => r.type === T.volume), ...group.filter((r) => r.type === T.networkInterface)];
            const expected = ordered.map((r) => topo.zoneOf(r)).find((z) => z);
            for (const r of ordered) {
                const zone = topo.zoneOf(r);
                if (expected && zone && zone !== expected) report(`${r.type.split(":").pop()} ${r.name} of slot ${slot} is in ${zone}, but the slot is in ${expected}`, r.urn);
            }
        }
    },
};

const subnetSchema: PolicyConfigSchema = {
    properties: {
        clusterName: { type: "string", default: "", description: "The cluster's name; empty: read from the KubernetesCluster and kubernetes.io/cluster/* tags." },
    },
};

function clusterNames(resources: PolicyResource[], configured: string): string[] {
    if (configured) return [configured];
    const names = new Set<string>();
    for (const r of resources) {
        const tags = tagsOf(r.props);
        if (tags[TAG.legacyCluster]) names.add(tags[TAG.legacyCluster]);
        if (r.type !== T.subnet)
            Object.keys(tags)
                .filter((k) => k.startsWith(TAG.clusterPrefix))
                .forEach((k) => names.add(k.slice(TAG.clusterPrefix.length)));
    }
    return [...names];
}

export const clusterSubnetsTagged: StackValidationPolicy = {
    name: "cluster-subnets-tagged",
    description:
        "Every subnet the cluster uses (its Subnets, and subnets its groups, interfaces and load balancers use) carries " +
        "kubernetes.io/cluster/<cluster> = owned|shared, on the Subnet or through an aws:ec2/tag:Tag; the cloud controller finds subnets by it.",
    remediationSteps: 'Tag created subnets through the naming module\'s subnetTags; tag existing subnets with aws.ec2.Tag (value "shared").',
    enforcementLevel: "mandatory",
    configSchema: subnetSchema,
    validateStack: (args, report) => {
        const { clusterName } = withDefaults<{ clusterName: string }>(subnetSchema, args.getConfig());
        const topo = new Topology(args.resources);
        const tagResources = topo.ofType(T.ec2Tag);
        for (const name of clusterNames(args.resources, clusterName)) {
            const key = `${TAG.clusterPrefix}${name}`;
            const ok = (v: string | undefined) => v === "owned" || v === "shared";
            const tagged = (id: string | undefined) => id !== undefined && tagResources.some((t) => str(t.props.resourceId) === id && str(t.props.key) === key && ok(str(t.props.value)));
            for (const s of topo.subnets) {
                if (!ok(tagsOf(s.props)[key]) && !tagged(str(s.props.id))) report(`subnet ${s.name} lacks ${key} = owned|shared`, s.urn);
            }
            const ours = new Set(topo.subnets.map((s) => str(s.props.id)));
            // With some Subnet ids unknown, an unmatched id may be one of ours (checked above); only report it otherwise.
            if (topo.unknownSubnetIds) continue;
            const seen = new Set<string>();
            for (const { id, user } of topo.referencedSubnets()) {
                if (ours.has(id) || tagged(id) || seen.has(id)) continue;
                seen.add(id);
                report(`subnet ${id}, used by ${user.name}, is not tagged ${key} (add an aws:ec2/tag:Tag)`, user.urn);
            }
        }
    },
};

const poolSchema: PolicyConfigSchema = {
    properties: {
        allowSingleAzPools: { type: "boolean", default: false, description: "Allow node pools in one zone (development stacks)." },
    },
};

export const nodePoolsMultiAz: StackValidationPolicy = {
    name: "node-pools-multi-az",
    description: "Node pools (autoscaling groups tagged k8s.io/role/node) span at least two availability zones, unless allowSingleAzPools.",
    remediationSteps: "Give the pool's group subnets in two or more zones (vpcZoneIdentifiers), or set allowSingleAzPools for a development stack.",
    enforcementLevel: "mandatory",
    configSchema: poolSchema,
    validateStack: (args, report) => {
        if (withDefaults<{ allowSingleAzPools: boolean }>(poolSchema, args.getConfig()).allowSingleAzPools) return;
        const topo = new Topology(args.resources);
        for (const g of topo.asgs("node")) {
            const { zones, subnets, complete } = topo.asgZones(g.props);
            const pool = tagsOf(g.props)[TAG.pool] ?? g.name;
            // Unresolved subnet ids: distinct subnets stand in for zones (the cluster has one subnet per zone and tier).
            const spread = complete ? zones.size : Math.max(zones.size, new Set(subnets).size);
            if (spread < 2)
                report(`node pool ${pool} runs in ${complete || zones.size > 0 ? `one zone (${[...zones].join(", ") || "none"})` : "one subnet"}; a zone outage takes the whole pool`, g.urn);
        }
    },
};

/** Problems with the block devices an instance or launch template declares. */
function blockDeviceProblems(type: string, p: Props): string[] {
    if (type === T.launchTemplate) {
        const mappings = records(p.blockDeviceMappings);
        if (mappings.length === 0) return ["declares no block device mappings, so the root volume's encryption is left to the AMI and account defaults"];
        return mappings.filter((m) => m.ebs !== undefined && bool(get(m, "ebs", "encrypted")) !== true).map((m) => `block device ${str(m.deviceName) ?? "(unnamed)"} is not encrypted (ebs.encrypted)`);
    }
    const devices = [{ name: "root", d: p.rootBlockDevice }, ...records(p.ebsBlockDevices).map((d) => ({ name: str(d.deviceName) ?? "(unnamed)", d }))];
    return devices.filter(({ d }) => bool(get(d, "encrypted")) !== true).map(({ name }) => `${name} block device is not encrypted`);
}

export const ebsVolumesEncrypted: ResourceValidationPolicy = {
    name: "ebs-volumes-encrypted",
    description: "Every EBS volume is encrypted: aws:ebs/volume:Volume, launch-template block devices and instance block devices.",
    remediationSteps: 'Set encrypted: true on volumes (ebs.encrypted: "true" in launch-template mappings), optionally with a kmsKeyId.',
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type === T.volume) {
            if (bool(args.props.encrypted) !== true) report("volume is not encrypted");
        } else if (args.type === T.launchTemplate || args.type === T.instance) {
            blockDeviceProblems(args.type, args.props).forEach((p) => report(p));
        }
    },
};

export const clusterPolicies = [controlPlaneOddAndSpread, slotResourcesInSlotZone, clusterSubnetsTagged, nodePoolsMultiAz, ebsVolumesEncrypted];
