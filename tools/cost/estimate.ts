/**
 * Monthly cost of a rendered plan, from its resources' inputs and a dated
 * on-demand price table: instances (autoscaling groups at their desired size,
 * launch templates' instance types and block devices), EBS volumes, NAT
 * gateways, load balancers, public IPv4 addresses, KMS keys and S3; and the
 * same worker capacity on EKS for comparison. Pure: no I/O, no clock.
 *
 * Resource types and inputs are those of @pulumi/aws 7 (autoscaling.Group
 * desiredCapacity/minSize/maxSize/launchTemplate/mixedInstancesPolicy,
 * ec2.LaunchTemplate instanceType/blockDeviceMappings/networkInterfaces,
 * ebs.Volume size/type, lb.LoadBalancer loadBalancerType/internal/subnets,
 * ec2.NatGateway, ec2.Eip, ec2.EipAssociation, kms.Key, s3.Bucket).
 */
import { PriceStatus, PriceTable, RegionPrices, ServiceKey, regionPrices } from "./prices";

export interface CostPlanResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent?: string | null;
    readonly custom?: boolean;
    readonly id?: string | null;
    readonly inputs: Record<string, unknown>;
}

export interface CostPlan {
    readonly project?: string;
    readonly stack?: string;
    readonly resources: readonly CostPlanResource[];
}

export type Role = "control-plane" | "etcd" | "worker" | "other";
export type Category = "compute" | "storage" | "network" | "other";

export interface EstimateOptions {
    readonly region: string;
    /** Control-plane nodes run workloads (config controlPlane.schedulable). Undefined: assumed only when the plan has no worker group. */
    readonly schedulableControlPlane?: boolean;
}

export interface CostLine {
    readonly category: Category;
    readonly item: string;
    readonly role?: Role;
    readonly quantity: number;
    /** What one unit is: "instance", "GiB", "NAT gateway", "load balancer", "NLCU", "address", "key", "GB". */
    readonly unit: string;
    /** USD per unit per hour (hourly: true) or per month. */
    readonly unitPrice: number;
    readonly hourly: boolean;
    readonly monthly: number;
    readonly priceStatus: PriceStatus;
    readonly resources: string[];
    readonly note?: string;
}

export interface Volume {
    readonly device: string;
    readonly sizeGiB: number;
    readonly type: string;
}

export interface InstanceGroup {
    /** The autoscaling group's (or instance's) resource name. */
    readonly name: string;
    readonly kind: "autoscaling-group" | "instance";
    readonly role: Role;
    /** The type the group launches on demand first (mixed instances: the first override). */
    readonly instanceType: string | null;
    /** Every type the group may launch. */
    readonly instanceTypes: string[];
    readonly launchTemplate: string | null;
    /** Instances at the desired capacity (else the minimum). */
    readonly count: number;
    readonly min: number;
    readonly max: number;
    readonly onDemand: number;
    readonly spot: number;
    readonly hourly: number | null;
    readonly priceStatus: PriceStatus | null;
    readonly monthly: number;
    readonly volumes: Volume[];
    /** Block-device GiB per instance. */
    readonly diskGiB: number;
    readonly diskMonthly: number;
    readonly publicIp: boolean;
}

export interface EksComparison {
    readonly controlPlaneFee: number;
    readonly workerGroups: string[];
    readonly workerInstances: number;
    readonly workerMonthly: number;
    readonly workerDiskMonthly: number;
    readonly monthlyTotal: number;
    /** This stack's instances, their disks, its data volumes and its API endpoint (load balancers and their addresses, or the endpoint's Elastic IP). */
    readonly selfManagedSameScope: number;
    /** selfManagedSameScope - monthlyTotal. */
    readonly difference: number;
    readonly note: string;
}

export interface SingleInstanceCheck {
    readonly instanceType: string | null;
    readonly instanceMonthly: number;
    readonly diskGiB: number;
    readonly diskMonthly: number;
    readonly natGateways: number;
    readonly loadBalancers: number;
    /** Everything else, item by item. */
    readonly rest: { item: string; monthly: number }[];
    readonly restMonthly: number;
    /** No NAT gateway and no load balancer. */
    readonly met: boolean;
}

export interface CostEstimate {
    readonly schema: "k8s-aws/cost/v1";
    readonly stack: string | null;
    readonly region: string;
    readonly currency: "USD";
    readonly hoursPerMonth: number;
    readonly pricesCompiled: string;
    readonly monthlyTotal: number;
    readonly byCategory: Record<Category, number>;
    readonly lines: CostLine[];
    readonly instanceGroups: InstanceGroup[];
    /** Instances and their disks with every group at its minimum and at its maximum size (the rest unchanged). */
    readonly range: { readonly atMin: number; readonly atMax: number };
    readonly counts: { readonly instances: number; readonly natGateways: number; readonly loadBalancers: number; readonly publicIpv4: number; readonly ebsGiB: number };
    readonly eks: EksComparison;
    /** Present when the stack runs exactly one instance (the dev target). */
    readonly singleInstance: SingleInstanceCheck | null;
    readonly assumptions: string[];
    readonly excluded: string[];
    readonly warnings: string[];
    /**
     * Instance groups the table has no price for (or whose type the plan does
     * not say). When any is present the totals are a lower bound, not a
     * cost: an unpriced instance is never counted as $0 without saying so.
     */
    readonly unpriced: UnpricedGroup[];
    /** Every instance group is priced: monthlyTotal and range are the estimate, not a lower bound. */
    readonly complete: boolean;
}

export interface UnpricedGroup {
    readonly name: string;
    /** null when the plan does not say which type the group runs. */
    readonly instanceType: string | null;
    /** Instances at the desired capacity, and at the maximum, that the totals leave out. */
    readonly instances: number;
    readonly maxInstances: number;
}

export const ASG = "aws:autoscaling/group:Group";
export const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
export const INSTANCE = "aws:ec2/instance:Instance";
export const VOLUME = "aws:ebs/volume:Volume";
export const NAT_GATEWAY = "aws:ec2/natGateway:NatGateway";
export const EIP = "aws:ec2/eip:Eip";
export const EIP_ASSOCIATION = "aws:ec2/eipAssociation:EipAssociation";
export const LOAD_BALANCERS = ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"];
export const CLASSIC_ELB = "aws:elb/loadBalancer:LoadBalancer";
export const KMS_KEY = "aws:kms/key:Key";
export const BUCKETS = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";
const HOSTED_ZONE = "aws:route53/zone:Zone";
const DLM_POLICY = "aws:dlm/lifecyclePolicy:LifecyclePolicy";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const obj = (v: unknown): Record<string, unknown> => (isObject(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
/** Numbers as the plan holds them: numbers, or numeric strings (the provider's string-typed fields). */
function num(v: unknown): number | undefined {
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "string" && /^\s*\d+(\.\d+)?\s*$/.test(v)) return Number(v);
    return undefined;
}
const truthy = (v: unknown) => v === true || v === "true";
/** Cents are what a monthly estimate can honestly claim. */
export const round2 = (x: number) => Math.round(x * 100) / 100;

/** Tags as a map, from either the map form (most resources) or the list form of autoscaling groups. */
function tagsOf(r: CostPlanResource): Record<string, string> {
    const t = r.inputs.tags;
    if (Array.isArray(t)) {
        const out: Record<string, string> = {};
        for (const e of t) if (isObject(e) && typeof e.key === "string") out[e.key] = String(e.value ?? "");
        return out;
    }
    return Object.fromEntries(Object.entries(obj(t)).map(([k, v]) => [k, String(v)]));
}

/** The program's role tags (lib/naming.ts); names as a fallback for hand-made plans. */
export function roleOf(r: CostPlanResource): Role {
    const tags = tagsOf(r);
    if ("k8s.io/role/control-plane" in tags) return "control-plane";
    if ("k8s.io/role/etcd" in tags) return "etcd";
    if ("k8s.io/role/node" in tags || "k8s.io/pool" in tags) return "worker";
    const n = `${r.name} ${tags.Name ?? ""}`;
    if (/etcd/.test(n)) return "etcd";
    if (/control-plane|master/.test(n)) return "control-plane";
    if (/pool|node|worker/.test(n)) return "worker";
    return "other";
}

interface Context {
    readonly plan: CostPlan;
    readonly prices: RegionPrices;
    readonly hours: number;
    readonly warnings: Set<string>;
}

/** A service price; using an estimated or unconfirmed one leaves a warning. */
function service(ctx: Context, key: ServiceKey, used = true): { price: number; status: PriceStatus } {
    const s = ctx.prices.services[key];
    if (used && (s.status === "estimate" || s.status === "unconfirmed")) ctx.warnings.add(`${key}: price ${s.price} is ${s.status} (${s.note ?? "see the price table"})`);
    return { price: s.price, status: s.status };
}

function launchTemplateIndex(plan: CostPlan) {
    const byId = new Map<string, CostPlanResource>();
    const byName = new Map<string, CostPlanResource>();
    const byParent = new Map<string, CostPlanResource[]>();
    for (const r of plan.resources.filter((x) => x.type === LAUNCH_TEMPLATE)) {
        if (r.id) byId.set(r.id, r);
        const name = str(r.inputs.name);
        if (name) byName.set(name, r);
        byName.set(r.name, r);
        if (r.parent) byParent.set(r.parent, [...(byParent.get(r.parent) ?? []), r]);
    }
    return { byId, byName, byParent };
}

function volumesOf(lt: CostPlanResource | undefined): Volume[] {
    if (!lt) return [];
    const out: Volume[] = [];
    for (const m of arr(lt.inputs.blockDeviceMappings)) {
        const ebs = obj(obj(m).ebs);
        const size = num(ebs.volumeSize);
        if (size === undefined) continue;
        out.push({ device: str(obj(m).deviceName) ?? "?", sizeGiB: size, type: str(ebs.volumeType) ?? "gp3" });
    }
    return out;
}

function priceInstance(ctx: Context, type: string | null, where: string): { hourly: number | null; status: PriceStatus | null } {
    if (!type) {
        ctx.warnings.add(`${where}: no instance type found (launch template not in the plan?); not priced`);
        return { hourly: null, status: null };
    }
    const p = ctx.prices.instances[type];
    if (!p) {
        ctx.warnings.add(`${type}: no price in the table for this region; ${where} not priced`);
        return { hourly: null, status: null };
    }
    if (p.status === "estimate" || p.status === "unconfirmed") ctx.warnings.add(`${type}: price ${p.hourly}/h is an ${p.status} (${p.basis ?? "see the price table"})`);
    return { hourly: p.hourly, status: p.status };
}

function diskPrice(ctx: Context, volumes: readonly Volume[], where: string): number {
    for (const v of volumes) if (v.type !== "gp3") ctx.warnings.add(`${where}: ${v.type} volume priced as gp3 (the table has gp3 only)`);
    return volumes.reduce((s, v) => s + v.sizeGiB, 0);
}

function groupFromAsg(ctx: Context, r: CostPlanResource, lts: ReturnType<typeof launchTemplateIndex>): InstanceGroup {
    const i = r.inputs;
    const mixed = obj(i.mixedInstancesPolicy);
    const mixedLt = obj(mixed.launchTemplate);
    const spec = obj(mixedLt.launchTemplateSpecification);
    const direct = obj(i.launchTemplate);
    const ltId = str(direct.id) ?? str(spec.launchTemplateId);
    const ltName = str(direct.name) ?? str(spec.launchTemplateName);
    const siblings = r.parent ? (lts.byParent.get(r.parent) ?? []) : [];
    const lt = (ltId && lts.byId.get(ltId)) || (ltName && lts.byName.get(ltName)) || (siblings.length === 1 ? siblings[0] : undefined);
    if (!lt && (ltId || ltName)) ctx.warnings.add(`${r.name}: launch template ${ltId ?? ltName} is not in the plan`);
    const overrides = arr(mixedLt.overrides).map(obj);
    const overrideTypes = overrides.map((o) => str(o.instanceType)).filter((t): t is string => Boolean(t));
    const ltType = lt ? str(lt.inputs.instanceType) : undefined;
    const instanceType = overrideTypes[0] ?? ltType ?? null;
    const weight = num(overrides[0]?.weightedCapacity) ?? 1;
    const capacity = num(i.desiredCapacity) ?? num(i.minSize) ?? 0;
    const count = Math.ceil(capacity / weight);
    const min = Math.ceil((num(i.minSize) ?? 0) / weight);
    const max = Math.ceil((num(i.maxSize) ?? capacity) / weight);
    const dist = obj(mixed.instancesDistribution);
    const base = num(dist.onDemandBaseCapacity) ?? 0;
    const pct = isObject(i.mixedInstancesPolicy) ? (num(dist.onDemandPercentageAboveBaseCapacity) ?? 100) : 100;
    const onDemand = Math.min(count, base) + Math.ceil((Math.max(0, count - base) * pct) / 100);
    const spot = count - onDemand;
    if (spot > 0) ctx.warnings.add(`${r.name}: ${spot} spot instance(s) priced at the on-demand rate (an upper bound; spot prices move)`);
    const { hourly, status } = priceInstance(ctx, instanceType, r.name);
    const volumes = volumesOf(lt);
    if (lt && volumes.length === 0) ctx.warnings.add(`${r.name}: the launch template sets no block device; the AMI's root volume is not counted`);
    const diskGiB = diskPrice(ctx, volumes, r.name);
    const nic = obj(arr(lt?.inputs.networkInterfaces)[0]);
    const publicIp = truthy(nic.associatePublicIpAddress);
    const gp3 = service(ctx, "ebsGp3GbMonth", false).price;
    return {
        name: r.name,
        kind: "autoscaling-group",
        role: roleOf(r),
        instanceType,
        instanceTypes: overrideTypes.length > 0 ? overrideTypes : ltType ? [ltType] : [],
        launchTemplate: lt ? lt.name : null,
        count,
        min,
        max,
        onDemand,
        spot,
        hourly,
        priceStatus: status,
        monthly: hourly === null ? 0 : count * hourly * ctx.hours,
        volumes,
        diskGiB,
        diskMonthly: count * diskGiB * gp3,
        publicIp,
    };
}

function groupFromInstance(ctx: Context, r: CostPlanResource): InstanceGroup {
    const i = r.inputs;
    const type = str(i.instanceType) ?? null;
    const { hourly, status } = priceInstance(ctx, type, r.name);
    const root = obj(i.rootBlockDevice);
    const volumes: Volume[] = [];
    if (num(root.volumeSize) !== undefined) volumes.push({ device: "root", sizeGiB: num(root.volumeSize)!, type: str(root.volumeType) ?? "gp3" });
    else ctx.warnings.add(`${r.name}: no rootBlockDevice size; the AMI's root volume is not counted`);
    for (const d of arr(i.ebsBlockDevices).map(obj)) {
        const size = num(d.volumeSize);
        if (size !== undefined) volumes.push({ device: str(d.deviceName) ?? "?", sizeGiB: size, type: str(d.volumeType) ?? "gp3" });
    }
    const diskGiB = diskPrice(ctx, volumes, r.name);
    return {
        name: r.name,
        kind: "instance",
        role: roleOf(r),
        instanceType: type,
        instanceTypes: type ? [type] : [],
        launchTemplate: null,
        count: 1,
        min: 1,
        max: 1,
        onDemand: 1,
        spot: 0,
        hourly,
        priceStatus: status,
        monthly: hourly === null ? 0 : hourly * ctx.hours,
        volumes,
        diskGiB,
        diskMonthly: diskGiB * service(ctx, "ebsGp3GbMonth", false).price,
        publicIp: truthy(i.associatePublicIpAddress),
    };
}

const ROLE_LABEL: Record<Role, string> = { "control-plane": "control plane", etcd: "etcd", worker: "workers", other: "other" };

/** Estimates a plan's monthly cost. `table` must have the region. */
export function estimateCost(plan: CostPlan, table: PriceTable, opts: EstimateOptions): CostEstimate {
    const ctx: Context = { plan, prices: regionPrices(table, opts.region), hours: table.hoursPerMonth, warnings: new Set() };
    const H = ctx.hours;
    const of = (...types: string[]) => plan.resources.filter((r) => r.custom !== false && types.includes(r.type));
    const lines: CostLine[] = [];
    const line = (l: Omit<CostLine, "monthly">) => lines.push({ ...l, monthly: l.quantity * l.unitPrice * (l.hourly ? H : 1) });

    // Instances: autoscaling groups and plain instances.
    const lts = launchTemplateIndex(plan);
    const groups = [...of(ASG).map((r) => groupFromAsg(ctx, r, lts)), ...of(INSTANCE).map((r) => groupFromInstance(ctx, r))];
    const gp3 = service(ctx, "ebsGp3GbMonth", false);
    const unpriced: UnpricedGroup[] = groups.filter((g) => g.hourly === null).map((g) => ({ name: g.name, instanceType: g.instanceType, instances: g.count, maxInstances: g.max }));
    for (const g of groups) {
        if (g.count > 0 && g.hourly !== null) {
            line({
                category: "compute",
                item: `${g.name}: ${g.count} x ${g.instanceType}${g.spot > 0 ? ` (${g.spot} spot, priced on demand)` : ""}`,
                role: g.role,
                quantity: g.count,
                unit: "instance",
                unitPrice: g.hourly,
                hourly: true,
                priceStatus: g.priceStatus!,
                resources: [g.name],
            });
        }
        if (g.count > 0 && g.diskGiB > 0) {
            line({
                category: "storage",
                item: `${g.name}: ${g.count} x ${g.diskGiB} GiB ${[...new Set(g.volumes.map((v) => v.type))].join("/")} (launch template block devices)`,
                role: g.role,
                quantity: g.count * g.diskGiB,
                unit: "GiB",
                unitPrice: gp3.price,
                hourly: false,
                priceStatus: gp3.status,
                resources: [g.name],
            });
        }
    }

    // Standalone EBS volumes (the slots' data volumes), grouped by role.
    const volumes = of(VOLUME).map((r) => ({ r, size: num(r.inputs.size) ?? 0, type: str(r.inputs.type) ?? "gp2", role: roleOf(r) }));
    for (const v of volumes) {
        if (v.type !== "gp3") ctx.warnings.add(`${v.r.name}: ${v.type} volume priced as gp3 (the table has gp3 only)`);
        if (num(v.r.inputs.size) === undefined) ctx.warnings.add(`${v.r.name}: no size (a snapshot's size?); not counted`);
    }
    for (const role of ["control-plane", "etcd", "worker", "other"] as Role[]) {
        const vs = volumes.filter((v) => v.role === role && v.size > 0);
        if (vs.length === 0) continue;
        line({
            category: "storage",
            item: `${vs.length} EBS volume(s), ${ROLE_LABEL[role]} data`,
            role,
            quantity: vs.reduce((s, v) => s + v.size, 0),
            unit: "GiB",
            unitPrice: gp3.price,
            hourly: false,
            priceStatus: gp3.status,
            resources: vs.map((v) => v.r.name),
        });
    }

    // NAT gateways: hourly only.
    const nats = of(NAT_GATEWAY);
    if (nats.length > 0) {
        const p = service(ctx, "natGatewayHour");
        line({
            category: "network",
            item: `${nats.length} NAT gateway(s)`,
            quantity: nats.length,
            unit: "NAT gateway",
            unitPrice: p.price,
            hourly: true,
            priceStatus: p.status,
            resources: nats.map((r) => r.name),
            note: "hourly charge only; data processing per GB excluded",
        });
    }

    // Load balancers: hourly plus the assumed capacity units; internet-facing ones hold public IPv4 addresses (one per zone).
    let lbPublicIps = 0;
    const lbPublicIpNames: string[] = [];
    const elbs = [...of(...LOAD_BALANCERS), ...of(CLASSIC_ELB)];
    for (const r of elbs) {
        const classic = r.type === CLASSIC_ELB;
        const kind = classic ? "classic" : (str(r.inputs.loadBalancerType) ?? "application");
        const hourKey: ServiceKey = classic ? "classicElbHour" : kind === "network" ? "nlbHour" : "albHour";
        const h = service(ctx, hourKey);
        line({ category: "network", item: `${r.name}: ${kind} load balancer`, quantity: 1, unit: "load balancer", unitPrice: h.price, hourly: true, priceStatus: h.status, resources: [r.name] });
        if (kind === "network" || kind === "application") {
            const units = kind === "network" ? table.assumptions.nlcuPerLoadBalancer : table.assumptions.lcuPerLoadBalancer;
            const u = service(ctx, kind === "network" ? "nlcuHour" : "lcuHour");
            if (units > 0) {
                line({
                    category: "network",
                    item: `${r.name}: ${units} ${kind === "network" ? "NLCU" : "LCU"} (assumed)`,
                    quantity: units,
                    unit: kind === "network" ? "NLCU" : "LCU",
                    unitPrice: u.price,
                    hourly: true,
                    priceStatus: u.status,
                    resources: [r.name],
                    note: "capacity units assumed, see the price table's assumptions",
                });
            }
        } else if (kind !== "classic") {
            ctx.warnings.add(`${r.name}: ${kind} load balancer capacity units not priced`);
        }
        if (r.inputs.internal === true || r.inputs.internal === "true") continue;
        const mappings = arr(r.inputs.subnetMappings).map(obj);
        const ips = mappings.length > 0 ? mappings.filter((m) => !str(m.allocationId)).length : arr(r.inputs.subnets).length || arr(r.inputs.availabilityZones).length || 1;
        lbPublicIps += ips;
        if (ips > 0) lbPublicIpNames.push(r.name);
    }

    // Public IPv4: every Elastic IP, the load balancers' addresses, and instances' auto-assigned addresses
    // (less those an Elastic IP association replaces: the EIP is already counted).
    const eips = of(EIP);
    const natAllocations = new Set(nats.map((r) => str(r.inputs.allocationId)).filter((x): x is string => Boolean(x)));
    const natEips = eips.filter((r) => r.id && natAllocations.has(r.id));
    const otherEips = eips.filter((r) => !natEips.includes(r));
    const associations = of(EIP_ASSOCIATION).length;
    const autoAssigned = Math.max(0, groups.filter((g) => g.publicIp).reduce((s, g) => s + g.count, 0) - associations);
    const publicIpv4 = eips.length + lbPublicIps + autoAssigned;
    if (publicIpv4 > 0) {
        const p = service(ctx, "publicIpv4Hour");
        const parts = [
            natEips.length > 0 ? `${natEips.length} NAT Elastic IP(s)` : "",
            otherEips.length > 0 ? `${otherEips.length} other Elastic IP(s)` : "",
            lbPublicIps > 0 ? `${lbPublicIps} load-balancer address(es)` : "",
            autoAssigned > 0 ? `${autoAssigned} instance address(es)` : "",
        ].filter(Boolean);
        line({
            category: "network",
            item: `${publicIpv4} public IPv4 address(es): ${parts.join(", ")}`,
            quantity: publicIpv4,
            unit: "address",
            unitPrice: p.price,
            hourly: true,
            priceStatus: p.status,
            resources: [...eips.map((r) => r.name), ...lbPublicIpNames],
        });
    }

    // KMS keys and S3 buckets.
    const keys = of(KMS_KEY);
    if (keys.length > 0) {
        const p = service(ctx, "kmsKeyMonth");
        line({
            category: "other",
            item: `${keys.length} KMS key(s)`,
            quantity: keys.length,
            unit: "key",
            unitPrice: p.price,
            hourly: false,
            priceStatus: p.status,
            resources: keys.map((r) => r.name),
            note: "requests excluded",
        });
    }
    const buckets = of(...BUCKETS);
    if (buckets.length > 0) {
        const p = service(ctx, "s3StandardGbMonth");
        const gb = buckets.length * table.assumptions.s3GbPerBucket;
        line({
            category: "other",
            item: `${buckets.length} S3 bucket(s), ~${gb} GB stored (assumed)`,
            quantity: gb,
            unit: "GB",
            unitPrice: p.price,
            hourly: false,
            priceStatus: p.status,
            resources: buckets.map((r) => r.name),
            note: "storage assumed; requests excluded",
        });
    }

    // What the estimate leaves out, as found in the plan.
    const excluded = ["data transfer (internet, cross-zone)", "NAT gateway and load-balancer data processing per GB", "S3 and KMS requests"];
    if (of(DLM_POLICY).length > 0) excluded.push("EBS snapshots kept by the DLM lifecycle policy");
    if (plan.resources.some((r) => r.type === LAUNCH_TEMPLATE && truthy(obj(r.inputs.monitoring).enabled))) excluded.push("EC2 detailed monitoring (CloudWatch metrics)");
    const interfaceEndpoints = of(VPC_ENDPOINT).filter((r) => str(r.inputs.vpcEndpointType) === "Interface");
    if (interfaceEndpoints.length > 0) excluded.push(`${interfaceEndpoints.length} interface VPC endpoint(s) (hourly per zone)`);
    if (of(HOSTED_ZONE).length > 0) excluded.push("Route 53 hosted zone(s)");

    if (lines.some((l) => l.category === "storage")) service(ctx, "ebsGp3GbMonth");
    const byCategory: Record<Category, number> = { compute: 0, storage: 0, network: 0, other: 0 };
    for (const l of lines) byCategory[l.category] += l.monthly;
    const monthlyTotal = lines.reduce((s, l) => s + l.monthly, 0);

    // Range: every group at its minimum / maximum size, instances and their disks.
    const perInstance = (g: InstanceGroup) => (g.hourly ?? 0) * H + g.diskGiB * gp3.price;
    const atCount = groups.reduce((s, g) => s + g.count * perInstance(g), 0);
    const range = {
        atMin: monthlyTotal - atCount + groups.reduce((s, g) => s + g.min * perInstance(g), 0),
        atMax: monthlyTotal - atCount + groups.reduce((s, g) => s + g.max * perInstance(g), 0),
    };

    // EKS with the same worker capacity: its fee plus the same worker nodes and their disks.
    const workers = groups.filter((g) => g.role === "worker" || g.role === "other");
    const cpRunsWork = opts.schedulableControlPlane ?? workers.length === 0;
    const eksGroups = [...workers, ...(cpRunsWork ? groups.filter((g) => g.role === "control-plane") : [])];
    const fee = service(ctx, "eksClusterHour", false).price * H;
    const workerMonthly = eksGroups.reduce((s, g) => s + g.monthly, 0);
    const workerDiskMonthly = eksGroups.reduce((s, g) => s + g.diskMonthly, 0);
    const endpointLines = lines.filter((l) => l.category === "network" && (l.unit === "load balancer" || l.unit === "NLCU" || l.unit === "LCU"));
    const ipv4 = service(ctx, "publicIpv4Hour", false).price * H;
    const selfManagedSameScope = byCategory.compute + byCategory.storage + endpointLines.reduce((s, l) => s + l.monthly, 0) + (lbPublicIps + otherEips.length) * ipv4;
    const eksTotal = fee + workerMonthly + workerDiskMonthly;
    const eks: EksComparison = {
        controlPlaneFee: round2(fee),
        workerGroups: eksGroups.map((g) => g.name),
        workerInstances: eksGroups.reduce((s, g) => s + g.count, 0),
        workerMonthly: round2(workerMonthly),
        workerDiskMonthly: round2(workerDiskMonthly),
        monthlyTotal: round2(eksTotal),
        selfManagedSameScope: round2(selfManagedSameScope),
        difference: round2(selfManagedSameScope - eksTotal),
        note:
            (cpRunsWork && groups.some((g) => g.role === "control-plane") ? "the control-plane nodes run workloads here, so EKS gets the same capacity as worker nodes; " : "") +
            "NAT gateways, their addresses, KMS and S3 are the same either way and left out of both sides; EKS's own API endpoint is in its fee",
    };

    // The dev target: one instance and its disk, no NAT gateway, no load balancer.
    const instances = groups.reduce((s, g) => s + g.count, 0);
    let singleInstance: SingleInstanceCheck | null = null;
    if (instances === 1) {
        const g = groups.find((x) => x.count === 1)!;
        const own = new Set(lines.filter((l) => l.resources.length === 1 && l.resources[0] === g.name));
        const ownVolumes = lines.filter((l) => l.category === "storage" && !own.has(l) && l.role === g.role);
        const mine = new Set([...own, ...ownVolumes]);
        const rest = lines.filter((l) => !mine.has(l)).map((l) => ({ item: l.item, monthly: round2(l.monthly) }));
        const diskLines = [...mine].filter((l) => l.category === "storage");
        singleInstance = {
            instanceType: g.instanceType,
            instanceMonthly: round2(g.monthly),
            diskGiB: diskLines.reduce((s, l) => s + l.quantity, 0),
            diskMonthly: round2(diskLines.reduce((s, l) => s + l.monthly, 0)),
            natGateways: nats.length,
            loadBalancers: elbs.length,
            rest,
            restMonthly: round2(rest.reduce((s, l) => s + l.monthly, 0)),
            met: nats.length === 0 && elbs.length === 0,
        };
    }

    const assumptions = [
        `${H} hours a month; on-demand Linux list prices; no Savings Plans, Reserved Instances or free tier`,
        "autoscaling groups at their desired capacity (else their minimum); spot capacity priced at the on-demand rate",
        "a mixed-instances group is priced at its first instance type (the prioritized on-demand choice)",
        `load balancers: ${table.assumptions.nlcuPerLoadBalancer} NLCU / ${table.assumptions.lcuPerLoadBalancer} LCU per hour each; S3: ${table.assumptions.s3GbPerBucket} GB per bucket`,
        "every Elastic IP, internet-facing load-balancer zone and auto-assigned instance address is one public IPv4 address",
    ];
    return {
        schema: "k8s-aws/cost/v1",
        stack: plan.stack ?? null,
        region: opts.region,
        currency: "USD",
        hoursPerMonth: H,
        pricesCompiled: table.compiled,
        monthlyTotal: round2(monthlyTotal),
        byCategory: { compute: round2(byCategory.compute), storage: round2(byCategory.storage), network: round2(byCategory.network), other: round2(byCategory.other) },
        lines: lines.map((l) => ({ ...l, monthly: round2(l.monthly) })),
        instanceGroups: groups.map((g) => ({ ...g, monthly: round2(g.monthly), diskMonthly: round2(g.diskMonthly) })),
        range: { atMin: round2(range.atMin), atMax: round2(range.atMax) },
        counts: {
            instances,
            natGateways: nats.length,
            loadBalancers: elbs.length,
            publicIpv4,
            ebsGiB: groups.reduce((s, g) => s + g.count * g.diskGiB, 0) + volumes.reduce((s, v) => s + v.size, 0),
        },
        eks,
        singleInstance,
        assumptions,
        excluded,
        warnings: [...ctx.warnings].sort(),
        unpriced,
        complete: unpriced.length === 0,
    };
}

/** The region a plan was rendered for, from zone names, ARNs or service names in its inputs (the plan has no region field). */
export function regionOfPlan(plan: CostPlan): string | undefined {
    const counts = new Map<string, number>();
    const visit = (v: unknown, depth: number) => {
        if (depth > 6) return;
        if (typeof v === "string") {
            const m = /^([a-z]{2}(?:-gov)?-[a-z]+-\d)[a-z]$/.exec(v) ?? /^arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-gov)?-[a-z]+-\d):/.exec(v) ?? /^com\.amazonaws\.([a-z]{2}-[a-z]+-\d)\./.exec(v);
            if (m) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
        } else if (Array.isArray(v)) for (const x of v) visit(x, depth + 1);
        else if (isObject(v)) for (const x of Object.values(v)) visit(x, depth + 1);
    };
    for (const r of plan.resources) visit(r.inputs, 0);
    return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}
