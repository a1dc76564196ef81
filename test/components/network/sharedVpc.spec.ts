/**
 * A shared VPC (kops' name, kubernetes/kops tests/integration/update_cluster/shared_vpc):
 * the VPC is someone else's, the cluster creates subnets of its own inside it.
 * The stack stacks/Pulumi.shared-vpc.yaml (the reference article's flow), the
 * rules and preflight checks that refuse what AWS would refuse or what would
 * break the VPC's owner, the resources the cluster creates and owns, and two
 * clusters side by side in one VPC.
 */
import * as assert from "assert";
import { Network, checkExistingNetwork } from "../../../components/network";
import { ConfigError, ConfigProblem, NetworkConfig, resolveZones, validateClusterConfig } from "../../../config";
import { mustParseCidr, overlaps } from "../../../lib/cidr";
import { zonesOf } from "../../../config/regions";
import { clusterTagKey, LEGACY_CLUSTER_TAG, ROLE_ELB_TAG, ROLE_INTERNAL_ELB_TAG } from "../../../lib/naming";
import { EXISTING_SUBNETS, NO_DNS_HOSTNAMES_VPC, SHARED_VPC } from "../../../tools/mocks/world";
import { readStackFile } from "../../../tools/offline/stackFile";
import { RecordedResource, runComponents } from "../../support/harness";

const T = {
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    igw: "aws:ec2/internetGateway:InternetGateway",
    eip: "aws:ec2/eip:Eip",
    nat: "aws:ec2/natGateway:NatGateway",
    routeTable: "aws:ec2/routeTable:RouteTable",
    route: "aws:ec2/route:Route",
    rta: "aws:ec2/routeTableAssociation:RouteTableAssociation",
    endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
    tag: "aws:ec2/tag:Tag",
};
const REGION = "eu-west-1";
const ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];

type Cluster = Record<string, any>;
const stackCluster = (): Cluster => JSON.parse(readStackFile("shared-vpc").config["k8s-aws:cluster"]);
const withNetwork = (network: Record<string, unknown>, more: Cluster = {}): Cluster => {
    const c = stackCluster();
    return { ...c, ...more, network: { ...c.network, ...network } };
};
const withZone = (zone: string, subnets: Record<string, unknown>): Record<string, unknown> => {
    const c = stackCluster();
    return { subnets: { ...c.network.subnets, [zone]: { ...c.network.subnets[zone], ...subnets } } };
};

/** Problems found by config validation (no AWS), or [] when it passes. */
function ruleProblems(cluster: Cluster): readonly ConfigProblem[] {
    try {
        validateClusterConfig({ cluster, region: REGION });
        return [];
    } catch (e) {
        if (ConfigError.is(e)) return e.problems;
        throw e;
    }
}

/** Problems found by the preflight against the mocked account (the config must pass validation). */
async function preflightProblems(cluster: Cluster): Promise<readonly ConfigProblem[]> {
    const c = resolveZones(validateClusterConfig({ cluster, region: REGION }), zonesOf(REGION));
    const h = await runComponents(() => checkExistingNetwork(c), { region: REGION });
    return h.result;
}

describe("shared VPC: the article's stack passes every check", () => {
    it("validates and passes preflight against the mocked account", async () => {
        assert.deepStrictEqual(ruleProblems(stackCluster()), []);
        assert.deepStrictEqual(await preflightProblems(stackCluster()), []);
    });

    it("accepts subnets in the VPC's secondary CIDR block", async () => {
        const cluster = withNetwork(withZone("eu-west-1a", { privateCidr: "10.61.0.0/20", publicCidr: "10.61.16.0/24" }));
        assert.deepStrictEqual(await preflightProblems(cluster), []);
    });
});

describe("shared VPC: config rules (before any AWS call)", () => {
    const cases: { name: string; cluster: Cluster; expect: [string, unknown, RegExp][] }[] = [
        {
            name: "created subnets that overlap each other",
            cluster: withNetwork(withZone("eu-west-1b", { publicCidr: "10.60.64.0/24" })),
            expect: [["k8s-aws:cluster.network.subnets.eu-west-1b.publicCidr", "10.60.64.0/24", /does not overlap 10\.60\.64\.0\/20/]],
        },
        {
            name: "a subnet smaller than EC2 allows",
            cluster: withNetwork(withZone("eu-west-1c", { publicCidr: "10.60.114.0/29" })),
            expect: [["k8s-aws:cluster.network.subnets.eu-west-1c.publicCidr", "10.60.114.0/29", /\/16 to \/28/]],
        },
        {
            name: "created subnets without the VPC's internet gateway",
            cluster: (() => {
                const c = stackCluster();
                delete c.network.internetGatewayId;
                return c;
            })(),
            expect: [["k8s-aws:cluster.network.internetGatewayId", undefined, /igw-/]],
        },
        {
            name: "created subnets with privateSubnetsHaveNat false",
            cluster: withNetwork({ privateSubnetsHaveNat: false }),
            expect: [["k8s-aws:cluster.network.privateSubnetsHaveNat", false, /always get a NAT/]],
        },
        {
            name: "a private zone with a VPC the cluster creates",
            cluster: { ...stackCluster(), network: { mode: "new", vpcCidr: "10.0.0.0/16" }, availabilityZones: 3 },
            expect: [["k8s-aws:cluster.dns.private", true, /network\.mode existing/]],
        },
        {
            name: "a zone with both subnet ids and CIDRs",
            cluster: withNetwork(withZone("eu-west-1a", { public: "subnet-0f2b4d6a8c0e2f4b0" })),
            expect: [["k8s-aws:cluster.network.subnets.eu-west-1a.public", "subnet-0f2b4d6a8c0e2f4b0", /publicCidr, privateCidr, natGatewayId/]],
        },
    ];
    for (const c of cases) {
        it(`refuses ${c.name}`, () => {
            const problems = ruleProblems(c.cluster);
            assert.deepStrictEqual(
                problems.map((p) => p.key),
                c.expect.map((e) => e[0]),
                JSON.stringify(problems),
            );
            problems.forEach((p, i) => {
                if (c.expect[i][1] !== undefined) assert.deepStrictEqual(p.value, c.expect[i][1]);
                assert.match(p.allowed, c.expect[i][2]);
            });
        });
    }
});

describe("shared VPC: preflight against the account (mocked EC2 and Route53)", () => {
    const owners = EXISTING_SUBNETS.filter((s) => s.vpcId === SHARED_VPC.id);
    const cases: { name: string; cluster: Cluster; expect: [string, RegExp][] }[] = [
        {
            name: "a VPC without DNS hostnames",
            cluster: withNetwork(
                {
                    vpcId: NO_DNS_HOSTNAMES_VPC.id,
                    vpcCidr: NO_DNS_HOSTNAMES_VPC.cidrBlock,
                    internetGatewayId: "igw-0f5b7d9a1c3e5b7d9",
                    subnets: Object.fromEntries(ZONES.map((z, i) => [z, { privateCidr: `10.70.${i * 32}.0/20`, publicCidr: `10.70.${i * 32 + 16}.0/24` }])),
                },
                { dns: { ...stackCluster().dns, private: false }, adminCidrs: ["10.70.0.0/16"] },
            ),
            expect: [["k8s-aws:cluster.network.vpcId", /enableDnsHostnames true/]],
        },
        {
            name: "a subnet outside every block of the VPC",
            cluster: withNetwork(withZone("eu-west-1a", { privateCidr: "10.62.0.0/20" })),
            expect: [["k8s-aws:cluster.network.subnets.eu-west-1a.privateCidr", /inside one of .*10\.60\.0\.0\/16, 10\.61\.0\.0\/16/]],
        },
        {
            name: "a subnet overlapping one the VPC's owner made",
            cluster: withNetwork(withZone("eu-west-1b", { privateCidr: "10.60.0.0/20" })),
            expect: [["k8s-aws:cluster.network.subnets.eu-west-1b.privateCidr", new RegExp(`overlaps ${owners[0].id} \\(10\\.60\\.0\\.0/20\\)`)]],
        },
        {
            name: "a NAT gateway of another VPC",
            cluster: withNetwork(withZone("eu-west-1c", { natGatewayId: "nat-0c4e6a8b0d2f4c6e8" })),
            expect: [["k8s-aws:cluster.network.subnets.eu-west-1c.natGatewayId", /NAT gateway of vpc-0a7c3e5b9d1f2a4c6; nat-0c4e6a8b0d2f4c6e8 is in vpc-0e4b6d8f0a2c4e6b8/]],
        },
        {
            name: "a NAT gateway being deleted",
            cluster: withNetwork(withZone("eu-west-1a", { natGatewayId: "nat-0d5f7b9c1e3a5d7f9" })),
            expect: [["k8s-aws:cluster.network.subnets.eu-west-1a.natGatewayId", /an available NAT gateway; nat-0d5f7b9c1e3a5d7f9 is deleting/]],
        },
        {
            name: "a NAT gateway in another region (EC2 answers only for its own region)",
            cluster: withNetwork(withZone("eu-west-1c", { natGatewayId: "nat-0e2a4c6b8d0f2a4c6" })),
            expect: [["k8s-aws:cluster.network.subnets.eu-west-1c.natGatewayId", /no matching EC2 NAT Gateway found/]],
        },
        {
            name: "an unknown NAT gateway",
            cluster: withNetwork(withZone("eu-west-1c", { natGatewayId: "nat-0123456789abcdef0" })),
            expect: [["k8s-aws:cluster.network.subnets.eu-west-1c.natGatewayId", /no matching EC2 NAT Gateway found/]],
        },
        {
            name: "an internet gateway attached to another VPC",
            cluster: withNetwork({ internetGatewayId: "igw-0f5b7d9a1c3e5b7d9" }),
            expect: [["k8s-aws:cluster.network.internetGatewayId", /attached to vpc-0a7c3e5b9d1f2a4c6/]],
        },
        {
            name: "a service range overlapping the VPC's secondary block",
            cluster: { ...stackCluster(), serviceCidr: "10.61.0.0/16" },
            expect: [["k8s-aws:cluster.serviceCidr", /CIDR block 10\.61\.0\.0\/16/]],
        },
        {
            name: "a private zone not associated with the VPC",
            cluster: { ...stackCluster(), dns: { zoneName: "elsewhere.internal", zoneId: "Z09Z8Y7X6W5V4U3T2S1RQ", private: true } },
            expect: [["k8s-aws:cluster.dns.zoneId", /private hosted zone named elsewhere\.internal associated with vpc-0a7c3e5b9d1f2a4c6.*no matching Route 53 Hosted Zone/]],
        },
        {
            name: "a zone id that is not the VPC's private zone of that name",
            cluster: { ...stackCluster(), dns: { zoneName: "encompass.internal", zoneId: "Z09Z8Y7X6W5V4U3T2S1RQ", private: true } },
            expect: [["k8s-aws:cluster.dns.zoneId", /: Z04A1B2C3D4E5F6G7H8IJ$/]],
        },
    ];
    for (const c of cases) {
        it(`reports ${c.name}`, async () => {
            assert.deepStrictEqual(ruleProblems(c.cluster), [], "the config itself is valid");
            const problems = await preflightProblems(c.cluster);
            assert.deepStrictEqual(
                problems.map((p) => p.key),
                c.expect.map((e) => e[0]),
                JSON.stringify(problems),
            );
            problems.forEach((p, i) => assert.match(p.allowed, c.expect[i][1]));
        });
    }

    it("reports zones the account does not have before any lookup", () => {
        const cluster = { ...withNetwork(withZone("eu-west-1d", { privateCidr: "10.61.0.0/20", publicCidr: "10.61.16.0/24" })), availabilityZones: [...ZONES, "eu-west-1d"] };
        assert.throws(
            () => resolveZones(validateClusterConfig({ cluster, region: REGION }), zonesOf(REGION)),
            (e: unknown) => ConfigError.is(e) && e.problems.some((p) => p.key === "k8s-aws:cluster.availabilityZones[3]" && p.value === "eu-west-1d"),
        );
    });
});

/** The network of one cluster in the shared VPC, the way the stack configures it (validated). */
function sharedNetwork(cluster: Cluster): NetworkConfig {
    return validateClusterConfig({ cluster, region: REGION }).network;
}

const tagsOf = (r: RecordedResource): Record<string, string> => (r.inputs.tags ?? {}) as Record<string, string>;

describe("shared VPC: what the cluster creates and owns", () => {
    async function build(network: NetworkConfig, clusterName = "tftest") {
        return runComponents(() => new Network(`${clusterName}-network`, { clusterName, zones: ZONES, network, tags: {} }), { region: REGION });
    }

    it("creates its own subnets tagged owned, with the legacy and role tags, and never a VPC, gateway or tag on someone else's resource", async () => {
        const h = await build(sharedNetwork(stackCluster()));
        assert.deepStrictEqual(
            [T.vpc, T.igw, T.tag].map((t) => h.ofType(t).length),
            [0, 0, 0],
        );
        const subnets = h.ofType(T.subnet);
        assert.strictEqual(subnets.length, 6);
        for (const s of subnets) {
            assert.strictEqual(s.inputs.vpcId, SHARED_VPC.id);
            const tags = tagsOf(s);
            assert.strictEqual(tags[clusterTagKey("tftest")], "owned");
            assert.strictEqual(tags[LEGACY_CLUSTER_TAG], "tftest");
            const isPublic = ["10.60.112.0/24", "10.60.113.0/24", "10.60.114.0/24"].includes(String(s.inputs.cidrBlock));
            assert.strictEqual(tags[isPublic ? ROLE_ELB_TAG : ROLE_INTERNAL_ELB_TAG], "1");
            assert.strictEqual(s.inputs.mapPublicIpOnLaunch, false);
        }
    });

    it("routes its public subnets to the VPC's internet gateway and each private one to that zone's given NAT, on route tables of its own", async () => {
        const h = await build(sharedNetwork(stackCluster()));
        const routes = h.ofType(T.route).map((r) => [r.name, r.inputs.gatewayId ?? r.inputs.natGatewayId]);
        assert.deepStrictEqual(routes.sort(), [
            ["tftest-network-private-default-eu-west-1a", "nat-0a1c3e5b7d9f1e3a0"],
            ["tftest-network-private-default-eu-west-1b", "nat-0a1c3e5b7d9f1e3a1"],
            ["tftest-network-private-default-eu-west-1c", "nat-0a1c3e5b7d9f1e3a2"],
            ["tftest-network-public-default", "igw-0b1d3f5a7c9e1b3d5"],
        ]);
        const tables = h.ofType(T.routeTable);
        assert.strictEqual(tables.length, 4);
        const ownTableIds = new Set(tables.map((t) => t.id));
        for (const r of h.ofType(T.route)) assert.ok(ownTableIds.has(String(r.inputs.routeTableId)), `${r.name} is on a table of the cluster's own`);
        const ownSubnetIds = new Set(h.ofType(T.subnet).map((s) => s.id));
        for (const a of h.ofType(T.rta)) assert.ok(ownSubnetIds.has(String(a.inputs.subnetId)) && ownTableIds.has(String(a.inputs.routeTableId)));
        assert.strictEqual(h.ofType(T.rta).length, 6);
        assert.strictEqual(h.ofType(T.nat).length, 0, "the VPC's NAT gateways are used, none created");
        const [endpoint] = h.ofType(T.endpoint);
        assert.deepStrictEqual([...(endpoint.inputs.routeTableIds as string[])].sort(), [...ownTableIds].sort(), "the S3 endpoint is on the cluster's own route tables only");
    });

    it("creates its own NAT gateway in a zone given no natGatewayId, in its own public subnet", async () => {
        const h = await build(sharedNetwork(withNetwork(withZone("eu-west-1b", { natGatewayId: undefined }))));
        const [nat] = h.ofType(T.nat);
        assert.strictEqual(h.ofType(T.nat).length, 1);
        assert.strictEqual(h.ofType(T.eip).length, 1);
        assert.strictEqual(nat.inputs.subnetId, h.named(T.subnet, "tftest-network-public-eu-west-1b").id);
        assert.strictEqual(h.named(T.route, "tftest-network-private-default-eu-west-1b").inputs.natGatewayId, nat.id);
        assert.strictEqual(tagsOf(nat)[clusterTagKey("tftest")], "owned");
    });
});

describe("shared VPC: two clusters side by side in one VPC", () => {
    // A second cluster in the VPC's secondary block, with NAT gateways of its own; and a third that only uses
    // the owner's subnets (tagged `shared`).
    const second = withNetwork(
        {
            subnets: Object.fromEntries(ZONES.map((z, i) => [z, { privateCidr: `10.61.${i * 32}.0/20`, publicCidr: `10.61.${i * 32 + 16}.0/24` }])),
        },
        { name: "second" },
    );
    const owners = EXISTING_SUBNETS.filter((s) => s.vpcId === SHARED_VPC.id);
    const ownerSubnet = (zone: string, tier: "public" | "private") => owners.find((s) => s.availabilityZone === zone && s.tier === tier)!.id;
    const third = withNetwork({ subnets: Object.fromEntries(ZONES.map((z) => [z, { public: ownerSubnet(z, "public"), private: ownerSubnet(z, "private") }])) }, { name: "third" });

    async function buildAll() {
        return runComponents(() => [stackCluster(), second, third].map((c) => new Network(`${c.name}-network`, { clusterName: c.name, zones: ZONES, network: sharedNetwork(c), tags: {} })), {
            region: REGION,
        });
    }

    it("both pass preflight on their own", async () => {
        assert.deepStrictEqual(await preflightProblems(second), []);
        assert.deepStrictEqual(await preflightProblems(third), []);
    });

    it("give distinct, non-overlapping subnets and each tags only what it owns, with its own cluster tag", async () => {
        const h = await buildAll();
        const subnets = h.ofType(T.subnet);
        assert.strictEqual(subnets.length, 12);
        const cidrs = subnets.map((s) => String(s.inputs.cidrBlock));
        cidrs.forEach((a, i) => cidrs.slice(i + 1).forEach((b) => assert.ok(!overlaps(mustParseCidr(a), mustParseCidr(b)), `${a} overlaps ${b}`)));
        const clusters = ["tftest", "second", "third"];
        for (const r of h.resources.filter((r) => r.custom && r.inputs.tags)) {
            const owner = clusters.find((c) => r.name.startsWith(`${c}-`))!;
            const tags = tagsOf(r);
            assert.strictEqual(tags[clusterTagKey(owner)], "owned", r.name);
            for (const other of clusters.filter((c) => c !== owner)) assert.strictEqual(tags[clusterTagKey(other)], undefined, `${r.name} has no ${other} tag`);
        }
    });

    it("writes tags only onto the owner's subnets the third cluster uses, `shared` and under its own key; never onto the other clusters' resources", async () => {
        const h = await buildAll();
        const tags = h.ofType(T.tag);
        const ownerIds = new Set(owners.map((s) => s.id));
        assert.strictEqual(tags.length, 12);
        for (const t of tags) {
            assert.ok(t.name.startsWith("third-"), t.name);
            assert.ok(ownerIds.has(String(t.inputs.resourceId)), `${t.name} tags ${t.inputs.resourceId}`);
            assert.ok([clusterTagKey("third"), ROLE_ELB_TAG, ROLE_INTERNAL_ELB_TAG].includes(String(t.inputs.key)));
            if (t.inputs.key === clusterTagKey("third")) assert.strictEqual(t.inputs.value, "shared");
        }
    });

    it("keeps each cluster's route tables, routes and S3 endpoint to its own subnets", async () => {
        const h = await buildAll();
        for (const c of ["tftest", "second"]) {
            const mine = (r: RecordedResource) => r.name.startsWith(`${c}-`);
            const tables = new Set(
                h
                    .ofType(T.routeTable)
                    .filter(mine)
                    .map((t) => t.id),
            );
            const subnets = new Set(
                h
                    .ofType(T.subnet)
                    .filter(mine)
                    .map((s) => s.id),
            );
            for (const a of h.ofType(T.rta).filter(mine)) assert.ok(tables.has(String(a.inputs.routeTableId)) && subnets.has(String(a.inputs.subnetId)));
            const [endpoint] = h.ofType(T.endpoint).filter(mine);
            assert.deepStrictEqual(new Set(endpoint.inputs.routeTableIds as string[]), tables);
        }
        assert.strictEqual(h.ofType(T.endpoint).filter((e) => e.name.startsWith("third-")).length, 0, "no endpoint on the owner's route tables");
    });
});
