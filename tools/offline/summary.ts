/**
 * The render's short, human summary: resources by type, the layout per
 * availability zone, and the policy results.
 */
import { Plan, PlanResource } from "./plan";

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

export function formatSummary(plan: Plan, report: PolicySummary): string {
    const lines: string[] = [];
    const custom = plan.resources.filter((r) => r.custom).length;
    lines.push(`${plan.project}/${plan.stack}: ${custom} resources in ${plan.resources.length - custom} components`);
    lines.push("Resources by type:");
    for (const [type, n] of resourcesByType(plan)) lines.push(`  ${String(n).padStart(4)}  ${type}`);
    const layout = layoutPerZone(plan);
    if (layout.size > 0) {
        lines.push("Layout per availability zone:");
        for (const [zone, row] of layout) {
            lines.push(`  ${zone}: ${[...row.entries()].map(([what, n]) => `${n} ${what}`).join(", ")}`);
        }
    }
    const s = report.summary;
    lines.push(`Policies: ${s.policies} checked over ${s.resources} resources: ${s.mandatory} mandatory, ${s.advisory} advisory violation(s)`);
    for (const v of report.violations) lines.push(`  [${v.enforcementLevel}] ${v.policy}: ${v.message}${v.urn ? ` (${v.urn})` : ""}`);
    return lines.join("\n");
}
