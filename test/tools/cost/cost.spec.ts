/**
 * The monthly cost estimate (tools/cost): its arithmetic on small hand-made
 * plans priced from a hand-made table, and the real price table
 * (data/prices/aws-on-demand.json): well formed, dated, sourced, and with a
 * price for every instance type the stacks in stacks/ use, in their region.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { clusterConfigSchema } from "../../../config/schema";
import { isKnownInstanceType } from "../../../lib/instanceTypes";
import {
    CostPlan,
    CostPlanResource,
    PriceTable,
    SERVICE_KEYS,
    checkPriceTable,
    estimateCost,
    estimateStackCost,
    formatCost,
    loadPriceTable,
    parsePriceTable,
    regionOfPlan,
    schedulableFromConfig,
} from "../../../tools/cost";
import { PROJECT_ROOT } from "../../support/paths";

const H = 730;

const TABLE: PriceTable = parsePriceTable({
    schema: "test",
    currency: "USD",
    hoursPerMonth: H,
    compiled: "2026-01-01",
    sources: { hand: "made up for the test" },
    assumptions: { nlcuPerLoadBalancer: 1, lcuPerLoadBalancer: 1, s3GbPerBucket: 1 },
    regions: {
        "eu-west-1": {
            instances: {
                "t3.medium": { hourly: 0.04, status: "confirmed", source: "hand" },
                "m7i.large": { hourly: 0.1, status: "confirmed", source: "hand" },
                "m6i.large": { hourly: 0.09, status: "estimate", basis: "test" },
            },
            services: {
                ebsGp3GbMonth: { price: 0.08, status: "confirmed", source: "hand" },
                natGatewayHour: { price: 0.045, status: "confirmed", source: "hand" },
                nlbHour: { price: 0.0225, status: "confirmed", source: "hand" },
                nlcuHour: { price: 0.006, status: "confirmed", source: "hand" },
                albHour: { price: 0.0225, status: "confirmed", source: "hand" },
                lcuHour: { price: 0.008, status: "confirmed", source: "hand" },
                classicElbHour: { price: 0.025, status: "confirmed", source: "hand" },
                s3StandardGbMonth: { price: 0.023, status: "confirmed", source: "hand" },
                publicIpv4Hour: { price: 0.005, status: "confirmed", source: "hand" },
                kmsKeyMonth: { price: 1, status: "confirmed", source: "hand" },
                eksClusterHour: { price: 0.1, status: "confirmed", source: "hand" },
            },
        },
    },
});

let n = 0;
function res(type: string, name: string, inputs: Record<string, unknown>, id: string | null = null, parent: string | null = null): CostPlanResource {
    n++;
    return { urn: `urn:pulumi:t::p::${type}::${name}`, type, name, parent, custom: true, id: id ?? `id-${n}`, inputs };
}
const role = (r: string) => [{ key: `k8s.io/role/${r}`, value: "1", propagateAtLaunch: true }];
const lt = (name: string, id: string, instanceType: string, rootGiB: number, publicIp: boolean) =>
    res(
        "aws:ec2/launchTemplate:LaunchTemplate",
        name,
        {
            instanceType,
            blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { volumeSize: rootGiB, volumeType: "gp3", encrypted: "true" } }],
            networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: String(publicIp) }],
        },
        id,
    );

/** One control-plane slot, a mixed pool with spot, a data volume, one NAT, an internet-facing NLB over two zones, a key, a bucket. */
function haPlan(): CostPlan {
    return {
        stack: "ha",
        resources: [
            lt("cp-lt", "lt-cp", "t3.medium", 20, false),
            res("aws:autoscaling/group:Group", "cp-asg", { tags: role("control-plane"), launchTemplate: { id: "lt-cp", version: "1" }, desiredCapacity: 1, minSize: 1, maxSize: 1 }),
            lt("pool-lt", "lt-pool", "m7i.large", 50, false),
            res("aws:autoscaling/group:Group", "pool-asg", {
                tags: role("node"),
                desiredCapacity: 3,
                minSize: 2,
                maxSize: 10,
                mixedInstancesPolicy: {
                    instancesDistribution: { onDemandBaseCapacity: 1, onDemandPercentageAboveBaseCapacity: 50 },
                    launchTemplate: { launchTemplateSpecification: { launchTemplateId: "lt-pool", version: "1" }, overrides: [{ instanceType: "m7i.large" }, { instanceType: "m6i.large" }] },
                },
            }),
            res("aws:ebs/volume:Volume", "cp-data", { availabilityZone: "eu-west-1a", size: 10, type: "gp3", tags: { "k8s.io/role/control-plane": "1" } }),
            res("aws:ec2/eip:Eip", "nat-eip", { domain: "vpc" }, "eipalloc-nat"),
            res("aws:ec2/natGateway:NatGateway", "nat", { allocationId: "eipalloc-nat", subnetId: "subnet-a" }),
            res("aws:lb/loadBalancer:LoadBalancer", "api", { loadBalancerType: "network", internal: false, subnets: ["subnet-a", "subnet-b"] }),
            res("aws:kms/key:Key", "key", {}),
            res("aws:s3/bucket:Bucket", "bucket", {}),
            res("aws:ec2/subnet:Subnet", "subnet-a", { availabilityZone: "eu-west-1a" }),
        ],
    };
}

/** dev's shape: one schedulable control-plane instance in a public subnet, an Elastic IP as the API endpoint. */
function devPlan(extra: CostPlanResource[] = []): CostPlan {
    return {
        stack: "dev",
        resources: [
            lt("dev-lt", "lt-dev", "t3.medium", 20, true),
            res("aws:autoscaling/group:Group", "dev-asg", { tags: role("control-plane"), launchTemplate: { id: "lt-dev", version: "1" }, desiredCapacity: 1, minSize: 1, maxSize: 1 }),
            res("aws:ebs/volume:Volume", "dev-control-plane-a-data", { availabilityZone: "eu-west-1a", size: 10, type: "gp3" }),
            res("aws:ec2/eip:Eip", "api-eip", { domain: "vpc" }, "eipalloc-api"),
            res("aws:ec2/eipAssociation:EipAssociation", "api-eip-assoc", { allocationId: "eipalloc-api", networkInterfaceId: "eni-1" }),
            res("aws:kms/key:Key", "key", {}),
            res("aws:s3/bucket:Bucket", "bucket", {}),
            ...extra,
        ],
    };
}

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 0.011, `${what}: ${actual}, expected ${expected}`);
const line = (c: ReturnType<typeof estimateCost>, re: RegExp) => {
    const l = c.lines.find((x) => re.test(x.item));
    assert.ok(l, `no line matching ${re}: ${c.lines.map((x) => x.item).join(" | ")}`);
    return l!;
};

describe("cost: arithmetic on a hand-made plan", () => {
    const c = estimateCost(haPlan(), TABLE, { region: "eu-west-1" });

    it("prices each group at its desired size and its first instance type, for 730 hours", () => {
        close(line(c, /^cp-asg: 1 x t3.medium/).monthly, 1 * 0.04 * H, "control plane");
        const pool = line(c, /^pool-asg: 3 x m7i.large/);
        close(pool.monthly, 3 * 0.1 * H, "pool");
        assert.strictEqual(pool.role, "worker");
        close(c.byCategory.compute, 29.2 + 219, "compute");
    });

    it("splits on-demand and spot as the group's distribution says (base 1, then 50%)", () => {
        const g = c.instanceGroups.find((x) => x.name === "pool-asg")!;
        assert.deepStrictEqual([g.count, g.onDemand, g.spot, g.min, g.max], [3, 2, 1, 2, 10]);
        assert.deepStrictEqual(g.instanceTypes, ["m7i.large", "m6i.large"]);
        assert.ok(
            c.warnings.some((w) => /pool-asg: 1 spot instance\(s\) priced at the on-demand rate/.test(w)),
            c.warnings.join("\n"),
        );
    });

    it("counts launch-template block devices per instance and standalone volumes, at the gp3 rate", () => {
        close(line(c, /^cp-asg: 1 x 20 GiB gp3/).monthly, 20 * 0.08, "cp root");
        close(line(c, /^pool-asg: 3 x 50 GiB gp3/).monthly, 150 * 0.08, "pool roots");
        close(line(c, /EBS volume\(s\), control plane data/).monthly, 10 * 0.08, "data volume");
        assert.strictEqual(c.counts.ebsGiB, 180);
        close(c.byCategory.storage, 14.4, "storage");
    });

    it("prices NAT gateways, the NLB with one NLCU, and every public IPv4 address hourly", () => {
        close(line(c, /1 NAT gateway/).monthly, 0.045 * H, "NAT");
        close(line(c, /^api: network load balancer/).monthly, 0.0225 * H, "NLB");
        close(line(c, /^api: 1 NLCU \(assumed\)/).monthly, 0.006 * H, "NLCU");
        const ip = line(c, /public IPv4/);
        assert.strictEqual(ip.quantity, 3, "the NAT's Elastic IP and one address per NLB zone");
        assert.match(ip.item, /1 NAT Elastic IP\(s\), 2 load-balancer address\(es\)/);
        close(ip.monthly, 3 * 0.005 * H, "IPv4");
        close(c.byCategory.network, 32.85 + 16.425 + 4.38 + 10.95, "network");
    });

    it("adds $1 per KMS key and the assumed S3 storage, and sums it all", () => {
        close(line(c, /1 KMS key/).monthly, 1, "KMS");
        close(line(c, /1 S3 bucket/).monthly, 0.023, "S3");
        close(c.monthlyTotal, 248.2 + 14.4 + 64.605 + 1.023, "total");
        assert.deepStrictEqual(c.counts, { instances: 4, natGateways: 1, loadBalancers: 1, publicIpv4: 3, ebsGiB: 180 });
    });

    it("gives the range with every group at its minimum and maximum", () => {
        // per instance: control plane 29.2 + 1.6, pool 73 + 4
        close(c.range.atMin, 328.228 - (30.8 + 3 * 77) + (30.8 + 2 * 77), "at min");
        close(c.range.atMax, 328.228 - (30.8 + 3 * 77) + (30.8 + 10 * 77), "at max");
    });

    it("compares with EKS: $0.10/h plus the same workers and their disks, no control plane", () => {
        assert.deepStrictEqual(c.eks.workerGroups, ["pool-asg"]);
        close(c.eks.controlPlaneFee, 73, "fee");
        close(c.eks.monthlyTotal, 73 + 219 + 12, "EKS");
        // here: instances + all EBS + the NLB, its NLCU and its two addresses
        close(c.eks.selfManagedSameScope, 248.2 + 14.4 + 16.425 + 4.38 + 2 * 3.65, "same scope");
        close(c.eks.difference, 290.705 - 304, "difference");
        assert.strictEqual(c.singleInstance, null);
    });

    it("notes what it leaves out and which prices are estimates", () => {
        assert.ok(c.excluded.some((e) => /data processing/.test(e)));
        const priced = estimateCost(
            { resources: [lt("x-lt", "lt-x", "m6i.large", 20, false), res("aws:autoscaling/group:Group", "x-asg", { launchTemplate: { id: "lt-x" }, desiredCapacity: 2 })] },
            TABLE,
            { region: "eu-west-1" },
        );
        close(priced.byCategory.compute, 2 * 0.09 * H, "estimated type still priced");
        assert.ok(
            priced.warnings.some((w) => /m6i.large: price 0.09\/h is an estimate/.test(w)),
            priced.warnings.join("\n"),
        );
    });
});

describe("cost: the one-instance (dev) target", () => {
    it("dev: one instance and its disks, no NAT gateway, no load balancer; the rest itemised", () => {
        const c = estimateCost(devPlan(), TABLE, { region: "eu-west-1" });
        const s = c.singleInstance!;
        assert.ok(s, "a one-instance stack gets the check");
        assert.strictEqual(s.instanceType, "t3.medium");
        close(s.instanceMonthly, 29.2, "instance");
        assert.strictEqual(s.diskGiB, 30, "root 20 GiB + data 10 GiB");
        close(s.diskMonthly, 2.4, "disks");
        assert.deepStrictEqual([s.natGateways, s.loadBalancers, s.met], [0, 0, true]);
        // The Elastic IP replaces the instance's own public address: one address, not two.
        assert.strictEqual(c.counts.publicIpv4, 1);
        close(s.restMonthly, 3.65 + 1 + 0.023, "EIP + KMS + S3");
        close(c.monthlyTotal, 29.2 + 2.4 + 3.65 + 1.023, "total");
        // EKS: no worker pool, so the control-plane node is the capacity EKS needs as a worker.
        assert.deepStrictEqual(c.eks.workerGroups, ["dev-asg"]);
        close(c.eks.monthlyTotal, 73 + 29.2 + 1.6, "EKS");
        close(c.eks.selfManagedSameScope, 29.2 + 2.4 + 3.65, "here");
        const text = formatCost(c).join("\n");
        assert.match(text, /One-instance target: 1 x t3.medium \$29.20 \+ its 30 GiB of disk \$2.40 = \$31.60; 0 NAT gateway\(s\), 0 load balancer\(s\): met/);
    });

    it("is not met once a NAT gateway appears", () => {
        const c = estimateCost(devPlan([res("aws:ec2/natGateway:NatGateway", "nat", {})]), TABLE, { region: "eu-west-1" });
        assert.strictEqual(c.singleInstance!.met, false);
        assert.match(formatCost(c).join("\n"), /NOT met/);
    });
});

describe("cost: reading the plan", () => {
    it("finds a launch template by name, and by being the group's only sibling", () => {
        const byName = estimateCost(
            {
                resources: [
                    res("aws:ec2/launchTemplate:LaunchTemplate", "named", { name: "nodes", instanceType: "m7i.large" }),
                    res("aws:autoscaling/group:Group", "g", { launchTemplate: { name: "nodes" }, minSize: 2 }),
                ],
            },
            TABLE,
            { region: "eu-west-1" },
        );
        assert.strictEqual(byName.instanceGroups[0].instanceType, "m7i.large");
        assert.strictEqual(byName.instanceGroups[0].count, 2, "no desired capacity: the minimum");
        const sibling = estimateCost(
            {
                resources: [
                    res("aws:ec2/launchTemplate:LaunchTemplate", "lt", { instanceType: "t3.medium" }, "lt-9", "urn:parent"),
                    res("aws:autoscaling/group:Group", "g", { launchTemplate: { id: "lt-unknown" }, desiredCapacity: 1 }, null, "urn:parent"),
                ],
            },
            TABLE,
            { region: "eu-west-1" },
        );
        assert.strictEqual(sibling.instanceGroups[0].instanceType, "t3.medium");
        assert.ok(sibling.warnings.some((w) => /no block device/.test(w)));
    });

    it("says so when a type has no price or a template is missing, instead of guessing", () => {
        const c = estimateCost(
            {
                resources: [
                    res("aws:ec2/launchTemplate:LaunchTemplate", "lt", { instanceType: "x9.huge" }, "lt-1"),
                    res("aws:autoscaling/group:Group", "g", { launchTemplate: { id: "lt-1" }, desiredCapacity: 1 }),
                    res("aws:autoscaling/group:Group", "h", { launchTemplate: { id: "lt-gone" }, desiredCapacity: 1 }),
                ],
            },
            TABLE,
            { region: "eu-west-1" },
        );
        assert.strictEqual(c.byCategory.compute, 0);
        assert.ok(
            c.warnings.some((w) => /x9.huge: no price in the table/.test(w)),
            c.warnings.join("\n"),
        );
        assert.ok(
            c.warnings.some((w) => /h: launch template lt-gone is not in the plan/.test(w)),
            c.warnings.join("\n"),
        );
        // The $0 is a lower bound, said so in cost.json and in the printed headline, never a price.
        assert.strictEqual(c.complete, false);
        assert.deepStrictEqual(c.unpriced, [
            { name: "g", instanceType: "x9.huge", instances: 1, maxInstances: 1 },
            { name: "h", instanceType: null, instances: 1, maxInstances: 1 },
        ]);
        const printed = formatCost(c);
        assert.match(printed[0], /: INCOMPLETE, at least \$0\.00$/);
        assert.ok(
            printed.some((l) => /not priced: g \(x9\.huge, 1 instance\(s\), up to 1\): no x9\.huge price for eu-west-1/.test(l)),
            printed.join("\n"),
        );
    });

    it("calls an estimate complete only when every instance group is priced", () => {
        const c = estimateCost(haPlan(), TABLE, { region: "eu-west-1" });
        assert.deepStrictEqual([c.complete, c.unpriced], [true, []]);
        assert.doesNotMatch(formatCost(c)[0], /INCOMPLETE/);
    });

    it("treats an internal load balancer as holding no public address, and classic ELBs at their own rate", () => {
        const c = estimateCost(
            {
                resources: [
                    res("aws:lb/loadBalancer:LoadBalancer", "int", { loadBalancerType: "network", internal: true, subnets: ["a", "b", "c"] }),
                    res("aws:elb/loadBalancer:LoadBalancer", "clb", { subnets: ["a"] }),
                ],
            },
            TABLE,
            { region: "eu-west-1" },
        );
        assert.strictEqual(c.counts.publicIpv4, 1, "the classic ELB's one zone");
        close(line(c, /^clb: classic load balancer/).monthly, 0.025 * H, "CLB");
    });

    it("infers the region from zone names and ARNs", () => {
        assert.strictEqual(regionOfPlan(haPlan()), "eu-west-1");
        assert.strictEqual(regionOfPlan({ resources: [res("x:y:Z", "r", { arn: "arn:aws:iam::123:role/x", tg: ["arn:aws:elasticloadbalancing:eu-central-1:123:targetgroup/a/b"] })] }), "eu-central-1");
        assert.strictEqual(estimateStackCost({ resources: [] }).estimate, null);
    });

    it("reads controlPlane.schedulable as the program does (default: one slot)", () => {
        assert.strictEqual(schedulableFromConfig(JSON.stringify({ controlPlane: { count: 1 } })), true);
        assert.strictEqual(schedulableFromConfig({ controlPlane: { count: 3 } }), false);
        assert.strictEqual(schedulableFromConfig({}), false);
        assert.strictEqual(schedulableFromConfig({ controlPlane: { count: 3, schedulable: true } }), true);
        assert.strictEqual(schedulableFromConfig("not json"), undefined);
    });
});

describe("cost: the price table in data/prices", () => {
    const file = path.join(PROJECT_ROOT, "data", "prices", "aws-on-demand.json");
    const doc = JSON.parse(fs.readFileSync(file, "utf8"));

    it("is well formed: dated, every price with a status and a known source, estimates with their basis", () => {
        assert.deepStrictEqual(checkPriceTable(doc), []);
        assert.match(doc.compiled, /^\d{4}-\d{2}-\d{2}$/);
        for (const [region, r] of Object.entries(doc.regions as Record<string, { services: Record<string, unknown> }>)) {
            for (const key of SERVICE_KEYS) assert.ok(r.services[key], `${region} ${key}`);
        }
        assert.strictEqual(loadPriceTable(file).hoursPerMonth, 730);
    });

    it("uses the rates the issue fixes: public IPv4 $0.005/h, KMS $1/key-month, EKS $0.10/h", () => {
        for (const r of Object.values(loadPriceTable(file).regions)) {
            assert.strictEqual(r.services.publicIpv4Hour.price, 0.005);
            assert.strictEqual(r.services.kmsKeyMonth.price, 1);
            assert.strictEqual(r.services.eksClusterHour.price, 0.1);
        }
    });

    it("prices only instance types EC2 has (the list in @aws-sdk/client-ec2)", () => {
        const unknown = Object.entries(loadPriceTable(file).regions).flatMap(([region, r]) =>
            Object.keys(r.instances)
                .filter((t) => !isKnownInstanceType(t))
                .map((t) => `${region}: ${t}`),
        );
        assert.deepStrictEqual(unknown, []);
    });

    it("has a price for every instance type every stack in stacks/ uses, in the stack's region", () => {
        const table = loadPriceTable(file);
        const dir = path.join(PROJECT_ROOT, "stacks");
        const stacks = fs.readdirSync(dir).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
        assert.ok(stacks.length >= 4, stacks.join(", "));
        const missing: string[] = [];
        for (const f of stacks) {
            const config = (YAML.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { config: Record<string, unknown> }).config;
            const region = config["aws:region"] as string;
            const cluster = clusterConfigSchema.parse(config["k8s-aws:cluster"]);
            const types = new Set([cluster.controlPlane.instanceType, ...cluster.nodePools.flatMap((p) => p.instanceTypes)]);
            if (cluster.etcd.topology === "external") types.add(cluster.etcd.instanceType);
            for (const t of types) if (!table.regions[region]?.instances[t]) missing.push(`${f}: ${t} in ${region}`);
        }
        assert.deepStrictEqual(missing, []);
        for (const region of ["eu-west-1", "eu-central-1"]) assert.ok(table.regions[region], region);
    });
});
