/**
 * The cost estimate as the render prints it: a few lines under the
 * summary, the full detail being in cost.json.
 */
import { CostEstimate, InstanceGroup, Role } from "./estimate";

export const usd = (x: number) => `$${x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

const ROLE_LABEL: Record<Role, string> = { "control-plane": "control plane", etcd: "etcd", worker: "workers", other: "other" };

function computeDetail(groups: readonly InstanceGroup[]): string {
    const byRole = new Map<string, Map<string, number>>();
    for (const g of groups) {
        if (g.count === 0) continue;
        const row = byRole.get(g.role) ?? new Map<string, number>();
        const t = g.instanceType ?? "?";
        row.set(t, (row.get(t) ?? 0) + g.count);
        byRole.set(g.role, row);
    }
    return [...byRole.entries()].map(([role, row]) => `${ROLE_LABEL[role as Role]} ${[...row.entries()].map(([t, n]) => `${n} x ${t}`).join(" + ")}`).join(", ") || "none";
}

export function formatCost(c: CostEstimate): string[] {
    const out: string[] = [];
    out.push(
        `Monthly cost estimate (${c.region}, on-demand list prices compiled ${c.pricesCompiled}, ${c.hoursPerMonth} h): ${c.complete ? usd(c.monthlyTotal) : `INCOMPLETE, at least ${usd(c.monthlyTotal)}`}`,
    );
    for (const u of c.unpriced) {
        out.push(
            `  not priced: ${u.name} (${u.instanceType ?? "instance type unknown"}, ${u.instances} instance(s), up to ${u.maxInstances})` +
                (u.instanceType ? `: no ${u.instanceType} price for ${c.region} in data/prices/aws-on-demand.json` : ""),
        );
    }
    const network = [
        `${c.counts.natGateways} NAT gateway(s)${c.counts.natGateways > 0 ? " (data processing excluded)" : ""}`,
        `${c.counts.loadBalancers} load balancer(s)`,
        `${c.counts.publicIpv4} public IPv4`,
    ].join(", ");
    const other =
        c.lines
            .filter((l) => l.category === "other")
            .map((l) => l.item)
            .join(", ") || "none";
    out.push(`  compute  ${usd(c.byCategory.compute).padStart(11)}  ${computeDetail(c.instanceGroups)}`);
    out.push(`  storage  ${usd(c.byCategory.storage).padStart(11)}  ${c.counts.ebsGiB} GiB EBS gp3`);
    out.push(`  network  ${usd(c.byCategory.network).padStart(11)}  ${network}`);
    out.push(`  other    ${usd(c.byCategory.other).padStart(11)}  ${other}`);
    if (c.range.atMin !== c.monthlyTotal || c.range.atMax !== c.monthlyTotal) {
        out.push(`  with every group at its minimum ${usd(c.range.atMin)}, at its maximum ${usd(c.range.atMax)}`);
    }
    const e = c.eks;
    out.push(
        `  EKS with the same worker capacity (${e.workerInstances} node(s)): ${usd(e.controlPlaneFee)} fee + ${usd(e.workerMonthly)} nodes + ${usd(e.workerDiskMonthly)} disks = ${usd(e.monthlyTotal)};` +
            ` here control plane + nodes + disks + API endpoint = ${usd(e.selfManagedSameScope)} (${e.difference >= 0 ? "+" : "-"}${usd(Math.abs(e.difference))} vs EKS)`,
    );
    if (c.singleInstance) {
        const s = c.singleInstance;
        out.push(
            `  One-instance target: 1 x ${s.instanceType ?? "?"} ${usd(s.instanceMonthly)} + its ${s.diskGiB} GiB of disk ${usd(s.diskMonthly)} = ${usd(s.instanceMonthly + s.diskMonthly)};` +
                ` ${s.natGateways} NAT gateway(s), ${s.loadBalancers} load balancer(s): ${s.met ? "met" : "NOT met"}` +
                (s.rest.length > 0 ? `; besides: ${s.rest.map((r) => `${r.item} ${usd(r.monthly)}`).join(", ")}` : ""),
        );
    }
    const doubtful = c.warnings.filter((w) => /estimate|unconfirmed|no price/.test(w)).length;
    if (c.warnings.length > 0) out.push(`  ${c.warnings.length} caveat(s)${doubtful > 0 ? `, ${doubtful} about unconfirmed or missing prices` : ""}: see cost.json`);
    return out;
}
