/**
 * Cost of a rendered stack: the pure estimate (estimate.ts), the dated price
 * table (prices.ts, data/prices/aws-on-demand.json) and the printed lines
 * (format.ts). The render writes the estimate to cost.json and prints it.
 */
import { CostEstimate, CostPlan, estimateCost, regionOfPlan } from "./estimate";
import { loadPriceTable, PriceTable } from "./prices";

export * from "./estimate";
export * from "./prices";
export { formatCost, usd } from "./format";

export interface StackCostOptions {
    /** The stack's aws:region; inferred from the plan's zone names and ARNs when absent. */
    readonly region?: string;
    /** The stack's `k8s-aws:cluster` config (JSON text or object), for controlPlane.schedulable. */
    readonly clusterConfig?: unknown;
    readonly table?: PriceTable;
}

/** controlPlane.schedulable as the program resolves it (default: true with one slot); undefined when the config cannot say. */
export function schedulableFromConfig(clusterConfig: unknown): boolean | undefined {
    let c: unknown = clusterConfig;
    if (typeof c === "string") {
        try {
            c = JSON.parse(c);
        } catch {
            return undefined;
        }
    }
    if (typeof c !== "object" || c === null) return undefined;
    const cp = (c as { controlPlane?: { schedulable?: unknown; count?: unknown } }).controlPlane ?? {};
    if (typeof cp.schedulable === "boolean") return cp.schedulable;
    const count = cp.count ?? 3;
    return count === 1;
}

/** The estimate for a plan; null when the region is unknown or not in the price table (with the reason). */
export function estimateStackCost(plan: CostPlan, opts: StackCostOptions = {}): { estimate: CostEstimate | null; reason?: string } {
    const table = opts.table ?? loadPriceTable();
    const region = opts.region ?? regionOfPlan(plan);
    if (!region) return { estimate: null, reason: "the plan does not say which region it is for" };
    if (!table.regions[region]) return { estimate: null, reason: `no prices for ${region} in data/prices (has ${Object.keys(table.regions).sort().join(", ")})` };
    return { estimate: estimateCost(plan, table, { region, schedulableControlPlane: schedulableFromConfig(opts.clusterConfig) }) };
}

/** Estimates made by the render, so the summary prints the one written to cost.json. */
const remembered = new WeakMap<object, CostEstimate | string>();

export function rememberCost(plan: object, estimate: CostEstimate | null, reason?: string): void {
    remembered.set(plan, estimate ?? reason ?? "no estimate");
}

export function recallCost(plan: object): CostEstimate | string | undefined {
    return remembered.get(plan);
}
