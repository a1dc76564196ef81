/**
 * Where the cluster's pieces sit: subnets and their zones, autoscaling groups
 * by role and slot, and each slot's volume and network interface. Resources
 * refer to subnets by id; a Subnet resource's id is known live (engine
 * outputs) and offline when plan.json records it.
 */
import type { PolicyResource } from "@pulumi/policy";
import { T, Props, str, strings, records, tagsOf, hasTag, TAG } from "./resources";

export type Role = "control-plane" | "etcd" | "node" | "";

export function roleOf(props: Props): Role {
    const tags = tagsOf(props);
    if (hasTag(tags, TAG.controlPlane)) return "control-plane";
    if (hasTag(tags, TAG.etcd)) return "etcd";
    if (hasTag(tags, TAG.node)) return "node";
    return "";
}

export function slotOf(props: Props): string | undefined {
    return tagsOf(props)[TAG.slot];
}

export class Topology {
    /** subnet id -> availability zone, for Subnet resources whose id is known. */
    readonly subnetZones = new Map<string, string>();
    readonly subnets: PolicyResource[];
    /** Whether some Subnet resource has no known id, so an unmatched subnet id may still be one of ours. */
    readonly unknownSubnetIds: boolean;

    constructor(readonly resources: PolicyResource[]) {
        this.subnets = resources.filter((r) => r.type === T.subnet);
        for (const s of this.subnets) {
            const id = str(s.props.id);
            const az = str(s.props.availabilityZone);
            if (id && az) this.subnetZones.set(id, az);
        }
        this.unknownSubnetIds = this.subnets.some((s) => !str(s.props.id));
    }

    ofType(type: string): PolicyResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    asgs(role: Role): PolicyResource[] {
        return this.ofType(T.asg).filter((r) => roleOf(r.props) === role);
    }

    /** Zones an autoscaling group launches into (its availabilityZones and its subnets' zones); `complete` when every subnet resolved. */
    asgZones(asg: Props): { zones: Set<string>; subnets: string[]; complete: boolean } {
        const subnets = strings(asg.vpcZoneIdentifiers);
        const zones = new Set(strings(asg.availabilityZones));
        let complete = true;
        for (const id of subnets) {
            const az = this.subnetZones.get(id);
            if (az) zones.add(az);
            else complete = false;
        }
        return { zones, subnets, complete };
    }

    /** The zone a slot resource sits in: a volume's availabilityZone, an interface's subnet zone, or a single-zone ASG's. */
    zoneOf(r: PolicyResource): string | undefined {
        if (r.type === T.volume) return str(r.props.availabilityZone);
        if (r.type === T.networkInterface) return this.subnetZones.get(str(r.props.subnetId) ?? "");
        if (r.type === T.asg) {
            const { zones } = this.asgZones(r.props);
            return zones.size === 1 ? [...zones][0] : undefined;
        }
        return undefined;
    }

    /** Every zone the stack's subnets are in: how far the control plane can spread. */
    allZones(): Set<string> {
        return new Set([...this.subnetZones.values(), ...this.subnets.map((s) => str(s.props.availabilityZone)).filter((z): z is string => !!z)]);
    }

    /** Subnet ids the cluster launches or attaches into: ASGs, instances, interfaces and load balancers. */
    referencedSubnets(): { id: string; user: PolicyResource }[] {
        const out: { id: string; user: PolicyResource }[] = [];
        for (const r of this.resources) {
            const ids = [
                ...strings(r.props.vpcZoneIdentifiers),
                ...(r.type === T.networkInterface || r.type === T.instance ? strings(r.props.subnetId) : []),
                ...(([T.lb, T.alb, T.elb] as string[]).includes(r.type) ? [...strings(r.props.subnets), ...records(r.props.subnetMappings).flatMap((m) => strings(m.subnetId))] : []),
            ];
            ids.forEach((id) => out.push({ id, user: r }));
        }
        return out;
    }
}
