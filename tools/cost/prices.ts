/**
 * The dated on-demand price table (data/prices/aws-on-demand.json): its
 * shape, a loader that checks it, and per-region look-ups. Every price
 * carries a status (confirmed, third-party, brief, estimate, unconfirmed)
 * and a source, so an estimate can say how far to trust each line.
 */
import * as fs from "fs";
import * as path from "path";

export type PriceStatus = "confirmed" | "third-party" | "brief" | "estimate" | "unconfirmed";
export const PRICE_STATUSES: readonly PriceStatus[] = ["confirmed", "third-party", "brief", "estimate", "unconfirmed"];

export interface InstancePrice {
    /** USD per instance-hour, on demand, Linux, shared tenancy. */
    readonly hourly: number;
    readonly status: PriceStatus;
    readonly source?: string;
    /** How an estimate was derived (status "estimate"). */
    readonly basis?: string;
}

export interface ServicePrice {
    readonly price: number;
    readonly status: PriceStatus;
    readonly source?: string;
    readonly note?: string;
}

/** The service prices the estimate uses; the unit is in the name. */
export const SERVICE_KEYS = [
    "ebsGp3GbMonth",
    "natGatewayHour",
    "nlbHour",
    "nlcuHour",
    "albHour",
    "lcuHour",
    "classicElbHour",
    "s3StandardGbMonth",
    "publicIpv4Hour",
    "kmsKeyMonth",
    "eksClusterHour",
] as const;
export type ServiceKey = (typeof SERVICE_KEYS)[number];

export interface RegionPrices {
    readonly instances: Readonly<Record<string, InstancePrice>>;
    readonly services: Readonly<Record<ServiceKey, ServicePrice>>;
}

export interface PriceAssumptions {
    /** (N)LCUs an API load balancer uses each hour. */
    readonly nlcuPerLoadBalancer: number;
    readonly lcuPerLoadBalancer: number;
    /** GB stored per S3 bucket. */
    readonly s3GbPerBucket: number;
    readonly note?: string;
}

export interface PriceTable {
    readonly schema: string;
    readonly currency: "USD";
    readonly hoursPerMonth: number;
    /** The day the table was compiled (YYYY-MM-DD). */
    readonly compiled: string;
    readonly scope?: string;
    readonly sources: Readonly<Record<string, string>>;
    readonly assumptions: PriceAssumptions;
    readonly regions: Readonly<Record<string, RegionPrices>>;
}

export const DEFAULT_PRICE_FILE = path.resolve(__dirname, "..", "..", "data", "prices", "aws-on-demand.json");

export class PriceTableError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isPrice = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;

/** Checks a parsed table; one message per problem. */
export function checkPriceTable(doc: unknown): string[] {
    const problems: string[] = [];
    if (!isObject(doc)) return ["the price table is not a JSON object"];
    if (doc.currency !== "USD") problems.push("currency must be USD");
    if (!isPrice(doc.hoursPerMonth) || doc.hoursPerMonth <= 0) problems.push("hoursPerMonth must be a positive number");
    if (typeof doc.compiled !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(doc.compiled)) problems.push("compiled must be a date YYYY-MM-DD");
    const sources = isObject(doc.sources) ? doc.sources : {};
    if (!isObject(doc.sources)) problems.push("sources must be an object");
    const a = doc.assumptions;
    if (!isObject(a) || !isPrice(a.nlcuPerLoadBalancer) || !isPrice(a.lcuPerLoadBalancer) || !isPrice(a.s3GbPerBucket)) {
        problems.push("assumptions must give nlcuPerLoadBalancer, lcuPerLoadBalancer and s3GbPerBucket");
    }
    if (!isObject(doc.regions) || Object.keys(doc.regions).length === 0) return [...problems, "regions must be a non-empty object"];
    const checkStatus = (at: string, e: Record<string, unknown>) => {
        if (!PRICE_STATUSES.includes(e.status as PriceStatus)) problems.push(`${at}.status must be one of ${PRICE_STATUSES.join(", ")}`);
        if (e.source !== undefined && !(typeof e.source === "string" && e.source in sources)) problems.push(`${at}.source ${JSON.stringify(e.source)} is not in sources`);
        if (e.status === "estimate" && typeof e.basis !== "string") problems.push(`${at}: an estimate needs a basis`);
        if (e.status === "unconfirmed" && typeof e.note !== "string") problems.push(`${at}: an unconfirmed price needs a note`);
        if ((e.status === "confirmed" || e.status === "third-party") && typeof e.source !== "string") problems.push(`${at}: a ${e.status} price needs a source`);
    };
    for (const [region, r] of Object.entries(doc.regions)) {
        if (!isObject(r) || !isObject(r.instances) || !isObject(r.services)) {
            problems.push(`regions.${region} must have instances and services`);
            continue;
        }
        for (const [type, e] of Object.entries(r.instances)) {
            const at = `regions.${region}.instances.${type}`;
            if (!isObject(e) || !isPrice(e.hourly)) {
                problems.push(`${at}.hourly must be a non-negative number`);
                continue;
            }
            checkStatus(at, e);
        }
        for (const key of SERVICE_KEYS) {
            const e = r.services[key];
            const at = `regions.${region}.services.${key}`;
            if (!isObject(e) || !isPrice(e.price)) {
                problems.push(`${at}.price must be a non-negative number`);
                continue;
            }
            checkStatus(at, e);
        }
    }
    return problems;
}

export function parsePriceTable(doc: unknown): PriceTable {
    const problems = checkPriceTable(doc);
    if (problems.length > 0) throw new PriceTableError(`price table: ${problems.join("; ")}`);
    return doc as PriceTable;
}

const cache = new Map<string, PriceTable>();

/** Reads and checks the table (cached per file). */
export function loadPriceTable(file = DEFAULT_PRICE_FILE): PriceTable {
    const hit = cache.get(file);
    if (hit) return hit;
    const table = parsePriceTable(JSON.parse(fs.readFileSync(file, "utf8")));
    cache.set(file, table);
    return table;
}

export function regionPrices(table: PriceTable, region: string): RegionPrices {
    const r = table.regions[region];
    if (!r) throw new PriceTableError(`no prices for region ${region}; the table has ${Object.keys(table.regions).sort().join(", ")}`);
    return r;
}
