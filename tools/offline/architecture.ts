/**
 * The architecture picture, drawn from a render's plan: what the plan says
 * exists, never what the configuration meant. Pure: plan -> model
 * (architectureModel) -> Graphviz DOT (architectureDot); DOT -> SVG with the
 * WebAssembly Graphviz of @viz-js/viz, so nobody needs Graphviz installed.
 * The render writes out/<stack>/architecture.{dot,svg}; `npm run
 * docs:architecture` (this file's main) refreshes docs/architecture/<stack>.svg
 * with the pinned seed and clock of the tests, which check they are current.
 * Labels carry names, CIDRs and fixed IPs only, never ids, so the picture
 * changes only when the architecture does.
 */
import * as fs from "fs";
import * as path from "path";
import { NODE_ROLE_TAG, POOL_TAG, SLOT_TAG } from "../../lib/naming";
import type { Plan, PlanResource } from "./plan";

export interface SubnetView {
    readonly tier: "public" | "private";
    readonly cidr?: string;
    readonly id: string;
}
export interface SlotView {
    readonly name: string;
    readonly role: "control-plane" | "etcd";
    readonly ip: string;
    readonly zone: string;
    readonly subnetId?: string;
    readonly instanceType?: string;
    readonly dataGiB?: number;
    readonly behindLb: boolean;
}
export interface NatView {
    readonly zone: string;
    readonly serves: string[];
}
export interface ZoneView {
    readonly zone: string;
    readonly subnets: SubnetView[];
    readonly slots: SlotView[];
    readonly nat?: NatView;
    readonly egress?: string;
}
export interface PoolView {
    readonly name: string;
    readonly min: number;
    readonly desired: number;
    readonly max: number;
    readonly instanceTypes: string[];
    readonly zones: string[];
    readonly spotPercent: number;
}
export interface ArchitectureModel {
    readonly stack: string;
    readonly cluster: string;
    readonly region?: string;
    readonly kubernetesVersion?: string;
    readonly vpc: { readonly managed: boolean; readonly cidr?: string; readonly id?: string };
    readonly zones: ZoneView[];
    readonly pools: PoolView[];
    readonly api?: { readonly kind: "network" | "classic" | "elasticIp"; readonly internal: boolean };
    readonly publicName?: string;
    readonly internalName?: string;
    /** api.internal is an alias of an internal NLB over the slots' IPs (several slots); else an A record of them. */
    readonly internalBalanced: boolean;
    readonly internalZonePrivate: boolean;
    readonly adminCidrs: string[];
    readonly bucket?: { readonly name: string; readonly kmsAlias?: string; readonly backupPrefix?: string };
    readonly s3Endpoint: boolean;
    readonly snapshots?: string;
    readonly addons: string[];
}

type Inputs = Record<string, any>;
const inputs = (r: PlanResource): Inputs => r.inputs as Inputs;
const of = (plan: Plan, type: string) => plan.resources.filter((r) => r.custom && r.type === type);
/** Tags as a map, whether given as a map or as an autoscaling group's [{key, value}] list. */
function tagsOf(r: PlanResource): Record<string, string> {
    const t = inputs(r).tags;
    if (Array.isArray(t)) return Object.fromEntries(t.map((x: { key: string; value: string }) => [x.key, x.value]));
    return (t ?? {}) as Record<string, string>;
}
const zoneSort = (a: string, b: string) => a.localeCompare(b);

export function architectureModel(plan: Plan): ArchitectureModel {
    const out = plan.outputs as Inputs;
    const cluster = String(out.clusterName ?? plan.resources.find((r) => r.type === "k8s-aws:index:Cluster")?.name ?? plan.stack);
    // Subnets by id: the cluster's own, else the existing VPC's from the stack outputs (zone order).
    const subnets = new Map<string, SubnetView & { zone: string }>();
    for (const r of of(plan, "aws:ec2/subnet:Subnet")) {
        const i = inputs(r);
        subnets.set(r.id ?? r.name, { id: r.id ?? r.name, zone: i.availabilityZone, cidr: i.cidrBlock, tier: tagsOf(r).SubnetType === "Public" ? "public" : "private" });
    }
    const zones: string[] = Array.isArray(out.availabilityZones) ? out.availabilityZones : [...new Set([...subnets.values()].map((s) => s.zone))];
    for (const tier of ["public", "private"] as const) {
        (out[`${tier}SubnetIds`] ?? []).forEach((id: string, i: number) => {
            if (!subnets.has(id) && zones[i]) subnets.set(id, { id, zone: zones[i], tier });
        });
    }
    const zoneOfSubnet = (id: unknown) => (typeof id === "string" ? subnets.get(id)?.zone : undefined);

    // Slots: the fixed-IP interface is the slot's identity; its group, template and volume carry the same k8s.io/slot tag.
    const bySlot = (type: string) =>
        new Map(
            of(plan, type)
                .map((r) => [tagsOf(r)[SLOT_TAG], r] as const)
                .filter(([s]) => s),
        );
    const groups = bySlot("aws:autoscaling/group:Group");
    const templates = bySlot("aws:ec2/launchTemplate:LaunchTemplate");
    const volumes = bySlot("aws:ebs/volume:Volume");
    const slots: SlotView[] = [...bySlot("aws:ec2/networkInterface:NetworkInterface").entries()].map(([name, eni]) => {
        const g = groups.get(name);
        const gi = g ? inputs(g) : {};
        return {
            name,
            role: tagsOf(eni)["k8s.io/role/etcd"] ? "etcd" : "control-plane",
            ip: String(inputs(eni).privateIps?.[0] ?? "?"),
            zone: zoneOfSubnet(inputs(eni).subnetId) ?? inputs(volumes.get(name) ?? eni).availabilityZone ?? "?",
            subnetId: inputs(eni).subnetId,
            instanceType: templates.get(name) ? inputs(templates.get(name)!).instanceType : undefined,
            dataGiB: volumes.get(name) ? inputs(volumes.get(name)!).size : undefined,
            behindLb: (gi.targetGroupArns ?? []).length > 0 || (gi.loadBalancers ?? []).length > 0,
        };
    });

    // NAT gateways and the zones whose private route tables point at them.
    const tableZones = new Map<string, string[]>();
    for (const a of of(plan, "aws:ec2/routeTableAssociation:RouteTableAssociation")) {
        const z = zoneOfSubnet(inputs(a).subnetId);
        if (z && subnets.get(inputs(a).subnetId)?.tier === "private") tableZones.set(inputs(a).routeTableId, [...(tableZones.get(inputs(a).routeTableId) ?? []), z]);
    }
    const nats = of(plan, "aws:ec2/natGateway:NatGateway").map((n) => {
        const routes = of(plan, "aws:ec2/route:Route").filter((r) => inputs(r).natGatewayId === n.id);
        return { id: n.id, zone: zoneOfSubnet(inputs(n).subnetId) ?? "?", serves: routes.flatMap((r) => tableZones.get(inputs(r).routeTableId) ?? []).sort(zoneSort) };
    });
    const managedVpc = of(plan, "aws:ec2/vpc:Vpc")[0];
    const egressOf = (zone: string): string | undefined => {
        const nat = nats.find((n) => n.serves.includes(zone));
        if (nat) return `NAT gateway in ${nat.zone}`;
        // A subnet the cluster created in someone else's VPC routes through that VPC's NAT gateway, named by id.
        const ownerNat = of(plan, "aws:ec2/route:Route").find((r) => inputs(r).natGatewayId && (tableZones.get(inputs(r).routeTableId) ?? []).includes(zone));
        if (ownerNat) return `the VPC owner's NAT gateway ${inputs(ownerNat).natGatewayId}`;
        return managedVpc ? "none (no NAT)" : "the VPC owner's routing";
    };

    const pools: PoolView[] = of(plan, "aws:autoscaling/group:Group")
        .filter((g) => tagsOf(g)[NODE_ROLE_TAG])
        .map((g) => {
            const i = inputs(g);
            const mixed = i.mixedInstancesPolicy;
            const lt = of(plan, "aws:ec2/launchTemplate:LaunchTemplate").find((t) => t.id === (i.launchTemplate?.id ?? mixed?.launchTemplate?.launchTemplateSpecification?.launchTemplateId));
            const overrides: string[] = (mixed?.launchTemplate?.overrides ?? []).map((o: Inputs) => o.instanceType).filter(Boolean);
            const onDemandAbove = mixed?.instancesDistribution?.onDemandPercentageAboveBaseCapacity;
            return {
                name: tagsOf(g)[POOL_TAG] ?? g.name,
                min: i.minSize,
                desired: i.desiredCapacity ?? i.minSize,
                max: i.maxSize,
                instanceTypes: overrides.length > 0 ? overrides : lt ? [inputs(lt).instanceType] : [],
                zones: [...new Set((i.vpcZoneIdentifiers ?? []).map(zoneOfSubnet).filter(Boolean) as string[])].sort(zoneSort),
                spotPercent: typeof onDemandAbove === "number" ? 100 - onDemandAbove : 0,
            };
        })
        .sort((a, b) => a.name.localeCompare(b.name));

    const records = of(plan, "aws:route53/record:Record").map(inputs);
    // api.internal: an alias of the internal balancer, or an A record of the slots' fixed IPs.
    const slotIps = new Set(slots.map((s) => s.ip));
    const internal = records.find((r) => String(r.name ?? "").startsWith("api.internal.")) ?? records.find((r) => (r.records ?? []).length > 0 && r.records.every((ip: string) => slotIps.has(ip)));
    const internalAlias = internal?.aliases?.[0]?.name as string | undefined;
    const publicRecord = records.find((r) => r !== internal);
    // The internal balancer is the one whose listener forwards to IP targets (the slots' fixed IPs).
    const ipTargetGroups = new Set(
        of(plan, "aws:lb/targetGroup:TargetGroup")
            .filter((t) => inputs(t).targetType === "ip")
            .map((t) => t.id),
    );
    const internalLbs = new Set(
        of(plan, "aws:lb/listener:Listener")
            .map(inputs)
            .filter((l) => ipTargetGroups.has(l.defaultActions?.[0]?.targetGroupArn))
            .map((l) => l.loadBalancerArn),
    );
    const nlb = of(plan, "aws:lb/loadBalancer:LoadBalancer").find((r) => !internalLbs.has(r.id));
    const elb = of(plan, "aws:elb/loadBalancer:LoadBalancer")[0];
    const eip = of(plan, "aws:ec2/eipAssociation:EipAssociation")[0];
    const api = nlb
        ? { kind: "network" as const, internal: !!inputs(nlb).internal }
        : elb
          ? { kind: "classic" as const, internal: !!inputs(elb).internal }
          : eip
            ? { kind: "elasticIp" as const, internal: false }
            : undefined;
    const bucket = of(plan, "aws:s3/bucket:Bucket")[0];
    const hourly = of(plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        .flatMap((l) => inputs(l).rules ?? [])
        .map((r: Inputs) => String(r.filter?.prefix ?? ""))
        .find((p: string) => p.endsWith("/hourly/"));
    const dlm = of(plan, "aws:dlm/lifecyclePolicy:LifecyclePolicy")[0];
    const schedule = dlm ? inputs(dlm).policyDetails?.schedules?.[0] : undefined;
    const adminCidrs = [
        ...new Set(
            of(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                .map(inputs)
                .filter((r) => r.cidrIpv4 && r.fromPort <= 6443 && 6443 <= r.toPort)
                .map((r) => String(r.cidrIpv4)),
        ),
    ].sort();
    // Addons: Helm releases by chart and version, workloads applied as plain manifests by their image.
    const workloads = plan.resources.filter((r) => r.custom && /^kubernetes:apps\/v1:(DaemonSet|Deployment)$/.test(r.type));
    const addons = [
        ...new Set([
            ...plan.resources
                .filter((r) => (r.custom && r.type === "kubernetes:helm.sh/v3:Release") || r.type === "kubernetes:helm.sh/v4:Chart")
                .map((r) => `${inputs(r).chart} ${inputs(r).version ?? ""}`.trim()),
            ...workloads.map((r) =>
                String(inputs(r).spec?.template?.spec?.containers?.[0]?.image ?? r.name)
                    .split("/")
                    .pop()!
                    .replace(":", " "),
            ),
        ]),
    ].sort();

    return {
        stack: plan.stack,
        cluster,
        region: out.region,
        kubernetesVersion: out.kubernetesVersion,
        vpc: managedVpc ? { managed: true, cidr: inputs(managedVpc).cidrBlock } : { managed: false, id: out.vpcId },
        zones: [...zones].sort(zoneSort).map((zone) => {
            const nat = nats.find((n) => n.zone === zone);
            return {
                zone,
                subnets: [...subnets.values()]
                    .filter((s) => s.zone === zone)
                    .sort((a, b) => b.tier.localeCompare(a.tier))
                    .map(({ tier, cidr, id }) => ({ tier, cidr, id })),
                slots: slots.filter((s) => s.zone === zone).sort((a, b) => a.name.localeCompare(b.name)),
                nat: nat ? { zone, serves: nat.serves } : undefined,
                egress: egressOf(zone),
            };
        }),
        pools,
        api,
        publicName: publicRecord?.name,
        internalName: internal?.name,
        internalBalanced: internalAlias !== undefined,
        internalZonePrivate: of(plan, "aws:route53/zone:Zone").length > 0,
        adminCidrs,
        bucket: bucket
            ? {
                  name: `${inputs(bucket).bucketPrefix ?? inputs(bucket).bucket ?? bucket.name}*`,
                  kmsAlias: inputs(of(plan, "aws:kms/alias:Alias")[0] ?? bucket).name,
                  backupPrefix: hourly?.replace(/hourly\/$/, ""),
              }
            : undefined,
        s3Endpoint: of(plan, "aws:ec2/vpcEndpoint:VpcEndpoint").some((e) => /\.s3$/.test(String(inputs(e).serviceName))),
        snapshots: schedule ? `EBS snapshots (DLM) of the slot data volumes\nevery ${schedule.createRule?.interval} h, ${schedule.retainRule?.count} kept` : undefined,
        addons,
    };
}

// ---------------------------------------------------------------------------------------------
// DOT: one statement per line, quoted ids, clusters `cluster_vpc`, `cluster_az_<zone>`,
// `cluster_subnet_<zone>_<tier>`. Top to bottom: who dials the API and the DNS names, the
// endpoint, each zone (public subnet above private), pools and the S3 endpoint, then the
// regional services below the VPC. Invisible edges hold that order and the zones' left-to-right order.

const q = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
const attrs = (a: Record<string, string | undefined>) =>
    `[${Object.entries(a)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${q(v!)}`)
        .join(", ")}]`;
export const slotNodeId = (slot: string) => `slot:${slot}`;
export const zoneClusterId = (zone: string) => `cluster_az_${zone}`;
const COLORS = { api: "#1f5fbf", secrets: "#c46a00", etcd: "#7b3fa0" };
const API_KIND = { network: "Network Load Balancer", classic: "Classic ELB", elasticIp: "Elastic IP" } as const;
const FILL = { "control-plane": "#dce8fb", etcd: "#efe3f7", pool: "#e6f4e6", aws: "#fdebd3", dns: "#fff8e0", plain: "#f4f4f4" };
const INVISIBLE = { style: "invis" };

const natFor = (serves: readonly string[], zones: number) =>
    serves.length === 0 ? "no route uses it" : serves.length === 1 ? `for ${serves[0]}` : serves.length === zones ? `for all ${zones} zones` : `for ${serves.join(", ")}`;

function slotLabel(x: SlotView): string {
    const what = x.role === "etcd" ? "etcd member" : "control-plane slot";
    const spec = ["ASG 1/1", x.instanceType, x.dataGiB ? `${x.dataGiB} GiB data volume` : undefined].filter(Boolean).join(", ");
    return `${x.name}\n${what}, fixed IP ${x.ip}\n${spec}`;
}

export function architectureDot(m: ArchitectureModel): string {
    const L: string[] = [];
    const node = (indent: string, id: string, label: string, more: Record<string, string | undefined> = {}) => L.push(`${indent}${q(id)} ${attrs({ label, ...more })};`);
    const edge = (a: string, b: string, more: Record<string, string | undefined>) => L.push(`  ${q(a)} -> ${q(b)} ${attrs(more)};`);
    const cluster = (indent: string, id: string, label: string, style: string) =>
        L.push(`${indent}subgraph ${q(id)} {`, `${indent}  label=${q(label)};`, `${indent}  ${style} fontsize="12"; labeljust="l";`);
    const title = `${m.cluster} (stack ${m.stack})${m.kubernetesVersion ? `, Kubernetes ${m.kubernetesVersion}` : ""}${m.region ? `, ${m.region}` : ""}`;
    const all = m.zones.flatMap((z) => z.slots);
    const cps = all.filter((s) => s.role === "control-plane");
    const etcd = all.filter((s) => s.role === "etcd");

    L.push(`digraph ${q(`${m.cluster}-architecture`)} {`);
    L.push(`  graph [label=${q(title)}, labelloc="t", fontsize="16", fontname="Helvetica", compound="true", nodesep="0.35", ranksep="0.45"];`);
    L.push('  node [shape="box", style="rounded,filled", fillcolor="white", fontname="Helvetica", fontsize="10", margin="0.15,0.06"];');
    L.push('  edge [fontname="Helvetica", fontsize="9"];');
    const top = ["admins"];
    node("  ", "admins", `admins, CI (6443 allowed from)\n${m.adminCidrs.join("\n") || "nobody"}`, { shape: "oval", fillcolor: "#eef3fb" });
    if (m.publicName) {
        top.push("dns:public");
        node("  ", "dns:public", `Route53 ${m.publicName}`, { shape: "note", fillcolor: FILL.dns });
    }
    if (m.internalName) {
        top.push("dns:internal");
        const ips = cps.map((s) => s.ip).join(", ");
        const target = m.internalBalanced ? `alias of an internal NLB: ${ips} (fixed slot IPs), /readyz checked` : `A ${ips} (fixed slot IPs)`;
        node("  ", "dns:internal", `Route53 ${m.internalName}${m.internalZonePrivate ? " (private zone)" : ""}\n${target}\nwhat nodes and members dial: no NAT`, {
            shape: "note",
            fillcolor: FILL.dns,
        });
    }

    // The VPC: the endpoint, one cluster per zone (subnets inside), pools and the S3 endpoint.
    cluster(
        "  ",
        "cluster_vpc",
        m.vpc.managed ? `VPC ${m.vpc.cidr ?? ""}` : `existing VPC ${m.vpc.id ?? ""} (not managed; only subnet tags added)`,
        'style="rounded"; color="#555555"; fontname="Helvetica";',
    );
    const entry = m.api ? "api" : "admins";
    if (m.api) {
        const where = m.api.kind === "elasticIp" ? " on the single slot" : m.api.internal ? " (internal)" : " (internet-facing)";
        node("    ", "api", `${API_KIND[m.api.kind]}${where}\nTCP 6443 pass-through`, { fillcolor: FILL["control-plane"] });
    }
    const columns: string[][] = [];
    for (const z of m.zones) {
        const column: string[] = [];
        cluster("    ", zoneClusterId(z.zone), z.zone, 'style="rounded,dashed"; color="#888888";');
        for (const s of z.subnets) {
            const members = z.slots.filter((x) => x.subnetId === s.id);
            const egress = s.tier === "private" && z.egress ? `\negress: ${z.egress}` : "";
            cluster(
                "      ",
                `cluster_subnet_${z.zone}_${s.tier}`,
                `${s.tier} subnet${s.cidr ? ` ${s.cidr}` : ""}${egress}`,
                `style="filled"; fillcolor="${s.tier === "public" ? "#eef6ee" : "#f2f2f7"}"; color="#bbbbbb";`,
            );
            const ids: string[] = [];
            if (s.tier === "public" && z.nat) {
                ids.push(`nat:${z.zone}`);
                node("        ", `nat:${z.zone}`, `NAT gateway\n${natFor(z.nat.serves, m.zones.length)}`, { shape: "house", fillcolor: FILL.plain });
            }
            for (const x of members) {
                ids.push(slotNodeId(x.name));
                node("        ", slotNodeId(x.name), slotLabel(x), { fillcolor: FILL[x.role] });
            }
            if (ids.length === 0) {
                ids.push(`empty:${z.zone}:${s.tier}`);
                node("        ", `empty:${z.zone}:${s.tier}`, "no instances", { shape: "plaintext", style: "", fontcolor: "#888888" });
            }
            column.push(...ids);
            L.push("      }");
        }
        for (const x of z.slots.filter((y) => !z.subnets.some((s) => s.id === y.subnetId))) {
            column.push(slotNodeId(x.name));
            node("      ", slotNodeId(x.name), slotLabel(x), { fillcolor: FILL[x.role] });
        }
        L.push("    }");
        columns.push(column);
    }
    const below: string[] = [];
    for (const p of m.pools) {
        below.push(`pool:${p.name}`);
        const spot = p.spotPercent > 0 ? `\nspot ${p.spotPercent}% above the on-demand base` : "";
        node(
            "    ",
            `pool:${p.name}`,
            `node pool ${p.name}: one ASG over ${p.zones.length === m.zones.length && m.zones.length > 1 ? `all ${p.zones.length} zones` : p.zones.join(", ")}\nmin ${p.min} / desired ${p.desired} / max ${p.max}\n${p.instanceTypes.join(", ")}${spot}`,
            { fillcolor: FILL.pool },
        );
    }
    if (m.s3Endpoint) {
        below.push("s3endpoint");
        node("    ", "s3endpoint", "S3 gateway endpoint", { shape: "cds", fillcolor: FILL.aws });
    }
    L.push("  }");

    // Regional services, below the VPC.
    const regional: string[] = [];
    if (m.bucket) {
        regional.push("bucket");
        const backups = m.bucket.backupPrefix ? `\netcd backups under ${m.bucket.backupPrefix}` : "";
        node("  ", "bucket", `S3 secrets bucket ${m.bucket.name}\nSSE-KMS, versioned, TLS only, no ACLs\nPKI by role, kubeadm configs${backups}`, { shape: "cylinder", fillcolor: FILL.aws });
        if (m.bucket.kmsAlias) {
            regional.push("kms");
            node("  ", "kms", `KMS key\n${m.bucket.kmsAlias}`, { shape: "component", fillcolor: FILL.aws });
        }
    }
    if (m.snapshots) {
        regional.push("dlm");
        node("  ", "dlm", m.snapshots, { shape: "folder", fillcolor: FILL.plain });
    }
    if (m.addons.length > 0) {
        regional.push("addons");
        node("  ", "addons", `in the cluster (addons)\n${m.addons.join("\n")}`, { shape: "tab", fillcolor: FILL.pool });
    }

    // Order: top row, then the endpoint, each zone's column, what sits below the zones, the regional row.
    for (const row of [top, regional]) if (row.length > 1) L.push(`  { rank="same"; ${row.map(q).join("; ")}; }`);
    if (entry !== "admins") edge("admins", entry, INVISIBLE);
    for (const column of columns) {
        edge(entry, column[0], INVISIBLE);
        for (let i = 1; i < column.length; i++) edge(column[i - 1], column[i], INVISIBLE);
    }
    const middle = columns[Math.floor(columns.length / 2)];
    const floor = middle ? middle[middle.length - 1] : entry;
    for (const id of below) edge(floor, id, INVISIBLE);
    if (regional[0]) edge(below.find((b) => b === "s3endpoint") ?? below[0] ?? floor, regional[0], INVISIBLE);

    // The API path: admins -> public name -> endpoint -> slots. Nodes dial the internal name (the fixed IPs).
    const api = { color: COLORS.api, penwidth: "1.4" };
    if (m.api) {
        if (m.publicName) {
            edge("admins", "dns:public", { ...api, label: "kubectl :6443" });
            edge("dns:public", "api", { ...api, label: m.api.kind === "elasticIp" ? "A record" : "alias" });
        } else edge("admins", "api", { ...api, label: "kubectl :6443" });
        for (const s of cps) if (s.behindLb || m.api.kind === "elasticIp") edge("api", slotNodeId(s.name), api);
    }
    if (m.internalName) m.pools.forEach((p, i) => edge(`pool:${p.name}`, "dns:internal", { ...api, style: "dashed", constraint: "false", ...(i === 0 ? { label: "join, kubelet :6443" } : {}) }));
    // kube-apiserver -> etcd: to every member; drawn to the member of the same zone, the label says the rest.
    cps.forEach((c, i) => {
        const e = etcd.find((x) => x.zone === c.zone) ?? etcd[i % Math.max(etcd.length, 1)];
        if (e) edge(slotNodeId(c.name), slotNodeId(e.name), { color: COLORS.etcd, ...(i === 0 ? { label: `to all ${etcd.length} members,\nTLS 2379` } : {}) });
    });
    // Secrets delivery: KMS -> bucket -> (S3 endpoint) -> every zone's instances and pools, onto tmpfs at every boot.
    const sec = { color: COLORS.secrets, style: "dashed", constraint: "false" };
    if (m.bucket) {
        if (m.bucket.kmsAlias) edge("kms", "bucket", { ...sec, label: "SSE-KMS", dir: "none" });
        const via = m.s3Endpoint ? "s3endpoint" : "bucket";
        if (m.s3Endpoint) edge("bucket", "s3endpoint", { ...sec, label: "secrets at boot, onto tmpfs" });
        m.zones.forEach((z, i) => {
            const last = z.slots[z.slots.length - 1];
            if (last) edge(via, slotNodeId(last.name), { ...sec, lhead: zoneClusterId(z.zone), ...(!m.s3Endpoint && i === 0 ? { label: "secrets at boot, onto tmpfs" } : {}) });
        });
        for (const p of m.pools) edge(via, `pool:${p.name}`, sec);
    }
    L.push("}");
    return `${L.join("\n")}\n`;
}

/** DOT -> SVG with the WebAssembly Graphviz (one instance per process). */
let viz: Promise<{ renderString(dot: string, o: { format: string; engine: string }): string }> | undefined;
export async function dotToSvg(dot: string): Promise<string> {
    viz ??= import("@viz-js/viz").then((m) => m.instance());
    return (await viz).renderString(dot, { format: "svg", engine: "dot" });
}

/** The picture of a plan, as SVG. */
export async function architectureSvg(plan: Plan): Promise<string> {
    return dotToSvg(architectureDot(architectureModel(plan)));
}

/** What the render writes: architecture.dot and architecture.svg. */
export async function architectureFiles(plan: Plan): Promise<[string, string][]> {
    const dot = architectureDot(architectureModel(plan));
    return [
        ["architecture.dot", dot],
        ["architecture.svg", await dotToSvg(dot)],
    ];
}

/** The stacks whose picture is checked in, and where. */
export const DOC_STACKS = ["dev", "staging", "prod"] as const;
export const DOCS_DIR = path.join(__dirname, "..", "..", "docs", "architecture");
export const docFile = (stack: string) => path.join(DOCS_DIR, `${stack}.svg`);

/** docs/architecture/<stack>.svg as the current program renders it, with the tests' pinned seed and clock. */
export async function architectureDocs(): Promise<Map<string, string>> {
    const [{ readStackFile }, { runStack }, { buildPlan }, { PINNED_SEED, PINNED_NOW }] = await Promise.all([
        import("./stackFile"),
        import("./run"),
        import("./plan"),
        import("../../test/support/harness"),
    ]);
    const docs = new Map<string, string>();
    for (const stack of DOC_STACKS) {
        docs.set(stack, await architectureSvg(buildPlan(await runStack(readStackFile(stack), { seed: PINNED_SEED, now: PINNED_NOW }))));
    }
    return docs;
}

if (require.main === module) {
    architectureDocs().then((docs) => {
        fs.mkdirSync(DOCS_DIR, { recursive: true });
        for (const [stack, svg] of docs) {
            const file = docFile(stack);
            const same = fs.existsSync(file) && fs.readFileSync(file, "utf8") === svg;
            if (!same) fs.writeFileSync(file, svg);
            process.stdout.write(`docs/architecture/${stack}.svg ${same ? "is up to date" : "updated"}\n`);
        }
    });
}
