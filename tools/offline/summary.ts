/**
 * The render's short, human summary: resources by type, the layout per
 * availability zone, and the policy results.
 */
import { Plan, PlanResource } from "./plan";
import { estimateStackCost, formatCost, recallCost } from "../cost";
import { ArchitectureModel, architectureModel } from "./architecture";
import { rollSummaryLines } from "./rollSummary";
import { USER_DATA_LIMIT_BYTES, userDataBytes } from "../../components/host/userData";

const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";

/** Each launch template's user data size as EC2 counts it (raw bytes before base64), against EC2's 16 KB limit. */
export function userDataSizes(plan: Plan): { name: string; bytes: number }[] {
    return plan.resources
        .filter((r) => r.type === LAUNCH_TEMPLATE && typeof (r.inputs as Record<string, unknown>).userData === "string")
        .map((r) => {
            const i = r.inputs as Record<string, unknown>;
            return { name: typeof i.name === "string" ? i.name : r.name, bytes: userDataBytes(String(i.userData)) };
        });
}

export function userDataLines(plan: Plan): string[] {
    const sizes = userDataSizes(plan);
    if (sizes.length === 0) return [];
    const width = Math.max(...sizes.map((s) => s.name.length));
    return [
        `User data per launch template (gzip, bytes before base64; EC2 limit ${USER_DATA_LIMIT_BYTES}):`,
        ...sizes.map((s) => `  ${s.name.padEnd(width)}  ${String(s.bytes).padStart(5)} / ${USER_DATA_LIMIT_BYTES} (${Math.round((100 * s.bytes) / USER_DATA_LIMIT_BYTES)}%)`),
    ];
}

export interface PolicySummary {
    readonly violations: { policy: string; enforcementLevel: string; urn: string | null; message: string }[];
    readonly summary: { policies: number; resources: number; mandatory: number; advisory: number };
}

const shortType = (type: string) => type.split(":").pop() ?? type;

export function resourcesByType(plan: Plan): [string, number][] {
    const counts = new Map<string, number>();
    for (const r of plan.resources.filter((x) => x.custom)) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => a[0].localeCompare(b[0]));
}

/** The zone a resource lives in, where its inputs say so. */
function zoneOf(r: PlanResource): string | undefined {
    const i = r.inputs as Record<string, unknown>;
    if (typeof i.availabilityZone === "string") return i.availabilityZone;
    const zones = i.availabilityZones;
    if (Array.isArray(zones) && zones.length === 1 && typeof zones[0] === "string") return zones[0];
    return undefined;
}

export function layoutPerZone(plan: Plan): Map<string, Map<string, number>> {
    const layout = new Map<string, Map<string, number>>();
    for (const r of plan.resources) {
        const zone = zoneOf(r);
        if (!zone) continue;
        const row = layout.get(zone) ?? new Map<string, number>();
        const label = describe(r);
        row.set(label, (row.get(label) ?? 0) + 1);
        layout.set(zone, row);
    }
    return new Map([...layout.entries()].sort((a, b) => a[0].localeCompare(b[0])));
}

function describe(r: PlanResource): string {
    const tags = ((r.inputs as Record<string, unknown>).tags ?? {}) as Record<string, string>;
    const t = shortType(r.type);
    if (tags.SubnetType) return `${tags.SubnetType.toLowerCase()} subnet`;
    return t.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

/** `previousOutputs`: the stack's outputs from its last deployment (--previous-outputs), to say which groups a roll covers. */
export function formatSummary(plan: Plan, report: PolicySummary, previousOutputs?: Record<string, unknown>): string {
    const lines: string[] = [];
    const custom = plan.resources.filter((r) => r.custom).length;
    lines.push(`${plan.project}/${plan.stack}: ${custom} resources in ${plan.resources.length - custom} components`);
    lines.push("Resources by type:");
    for (const [type, n] of resourcesByType(plan)) lines.push(`  ${String(n).padStart(4)}  ${type}`);
    const model = architectureModel(plan);
    const layout = layoutPerZone(plan);
    if (model.zones.length > 0) lines.push(...clusterLines(model));
    else if (layout.size > 0) {
        lines.push("Layout per availability zone:");
        for (const [zone, row] of layout) {
            lines.push(`  ${zone}: ${[...row.entries()].map(([what, n]) => `${n} ${what}`).join(", ")}`);
        }
    }
    lines.push(...userDataLines(plan));
    lines.push(...rollSummaryLines(plan.stack, plan.outputs, previousOutputs));
    const s = report.summary;
    const failing = new Set(report.violations.map((v) => v.policy)).size;
    const verdict = failing === 0 ? "all passed" : `${s.policies - failing} passed, ${failing} with violations`;
    lines.push(`Policies: ${s.policies} checked over ${s.resources} resources: ${verdict} (${s.mandatory} mandatory, ${s.advisory} advisory violation(s))`);
    for (const v of report.violations) lines.push(`  [${v.enforcementLevel}] ${v.policy}: ${v.message}${v.urn ? ` (${v.urn})` : ""}`);
    lines.push(...costSummary(plan));
    return lines.join("\n");
}

const count = <T>(items: readonly T[], what: (x: T) => string) => {
    const n = new Map<string, number>();
    for (const x of items) n.set(what(x), (n.get(what(x)) ?? 0) + 1);
    return [...n.entries()].map(([k, v]) => `${v} x ${k}`).join(", ");
};

/** The cluster at a glance, from the same model as the architecture picture: endpoint, counts, each zone's subnets and slots, pools, secrets. */
export function clusterLines(m: ArchitectureModel): string[] {
    const slots = m.zones.flatMap((z) => z.slots);
    const cps = slots.filter((x) => x.role === "control-plane");
    const etcd = slots.filter((x) => x.role === "etcd");
    const kind = { network: "Network Load Balancer", classic: "classic ELB", elasticIp: "Elastic IP" };
    const api = m.api ? `${kind[m.api.kind]}${m.api.kind === "elasticIp" ? "" : m.api.internal ? " (internal)" : " (internet-facing)"}` : "no endpoint";
    const pools = m.pools.map((p) => `${p.name} ${p.min}..${p.max} (desired ${p.desired})`).join(", ") || "none";
    const out = [
        `Cluster ${m.cluster}${m.kubernetesVersion ? `, Kubernetes ${m.kubernetesVersion}` : ""}${m.region ? ` in ${m.region}` : ""}, ${m.vpc.managed ? `new VPC ${m.vpc.cidr}` : `existing VPC ${m.vpc.id}`}`,
        `  API: ${api}${m.publicName ? ` at ${m.publicName}` : ""} -> ${cps.length} control-plane slot(s), from ${m.adminCidrs.join(", ") || "nowhere"}; nodes dial ${m.internalName ?? "(no internal name)"}`,
        `  Instances: ${cps.length} control-plane (${count(cps, (x) => x.instanceType ?? "?")})${etcd.length > 0 ? `, ${etcd.length} etcd (${count(etcd, (x) => x.instanceType ?? "?")})` : ", etcd stacked on the control plane"}; node pools: ${pools}`,
        "Layout per availability zone:",
    ];
    const width = Math.max(...m.zones.map((z) => z.zone.length));
    for (const z of m.zones) {
        z.subnets.forEach((s, i) => {
            const here = z.slots.filter((x) => x.subnetId === s.id).map((x) => `${x.name} ${x.ip}`);
            if (s.tier === "public" && z.nat) here.unshift(`NAT gateway (for ${z.nat.serves.join(", ")})`);
            const egress = s.tier === "private" ? ` [egress: ${z.egress}]` : "";
            out.push(`  ${(i === 0 ? z.zone : "").padEnd(width)}  ${s.tier.padEnd(7)} ${(s.cidr ?? "(existing)").padEnd(15)} ${here.join(", ") || "-"}${egress}`);
        });
    }
    for (const p of m.pools)
        out.push(
            `  ${"pool".padEnd(width)}  ${p.name}: min ${p.min} / desired ${p.desired} / max ${p.max}, ${p.instanceTypes.join(", ")}, over ${p.zones.join(", ")}${p.spotPercent > 0 ? `, spot ${p.spotPercent}%` : ""}`,
        );
    if (m.bucket) {
        const via = m.s3Endpoint ? "through the S3 gateway endpoint" : "through the VPC's own routing (no S3 endpoint)";
        out.push(
            `Secrets: bucket ${m.bucket.name} (KMS ${m.bucket.kmsAlias ?? "?"}), fetched onto tmpfs at boot ${via}${m.bucket.backupPrefix ? `; etcd backups under ${m.bucket.backupPrefix}` : ""}${m.snapshots ? `; ${m.snapshots.replace(/\n/g, ", ")}` : ""}`,
        );
    }
    return out;
}

/** The cost estimate the render wrote to cost.json; for a plan from elsewhere, estimated here (region inferred from the plan). */
export function costSummary(plan: Plan): string[] {
    let cost = recallCost(plan);
    if (cost === undefined) {
        try {
            const { estimate, reason } = estimateStackCost(plan);
            cost = estimate ?? reason;
        } catch (e) {
            cost = `cost estimate failed: ${(e as Error).message}`;
        }
    }
    return typeof cost === "string" ? [`Monthly cost estimate: none (${cost})`] : formatCost(cost!);
}
