/**
 * The network: subnet layout and tags as the cloud controller reads them, NAT
 * and routes per mode, the S3 endpoint, bring-your-own VPC (only tags, no
 * network resources) and the pre-flight checks of an existing VPC.
 */
import * as assert from "assert";
import { Network, NETWORK_TYPE, checkExistingNetwork, assertExistingNetwork, planSubnets, natZoneIndexes, natForZone } from "../../../components/network";
import { NetworkConfig, ConfigError, validateClusterConfig, resolveZones } from "../../../config";
import { formatCidr, mustParseCidr, overlaps, size } from "../../../lib/cidr";
import { zonesOf } from "../../../config/regions";
import { clusterTagKey, LEGACY_CLUSTER_TAG, ROLE_ELB_TAG, ROLE_INTERNAL_ELB_TAG, SUBNET_TYPE_TAG } from "../../../lib/naming";
import { PLATFORM_VPC, OTHER_VPC, existingSubnetId } from "../../../tools/mocks/world";
import { readStackFile } from "../../../tools/offline/stackFile";
import { runComponents, RecordedResource } from "../../support/harness";
import { clusterConfig } from "../../support/fixtures";

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
const NETWORK_RESOURCE_TYPES = [T.vpc, T.subnet, T.igw, T.nat, T.routeTable, T.route, T.rta, T.endpoint];

const CLUSTER = "demo";
const NAME = "demo-network";
const EXTRA_TAGS = { team: "platform", costCenter: "cc-42" };

type NatMode = "none" | "single" | "perAz";
const newVpc = (natGateways: NatMode, vpcCidr = "10.0.0.0/16"): NetworkConfig => ({ mode: "new", vpcCidr, natGateways });

const PLATFORM_ZONES = ["eu-central-1a", "eu-central-1b", "eu-central-1c"];
const existingVpc = (privateSubnetsHaveNat = true): NetworkConfig => ({
    mode: "existing",
    vpcId: PLATFORM_VPC.id,
    vpcCidr: PLATFORM_VPC.cidrBlock,
    subnets: Object.fromEntries(PLATFORM_ZONES.map((z) => [z, { public: existingSubnetId(z, "public"), private: existingSubnetId(z, "private") }])),
    privateSubnetsHaveNat,
});

function build(zones: readonly string[], network: NetworkConfig, region = zones[0].slice(0, -1)) {
    return runComponents(() => new Network(NAME, { clusterName: CLUSTER, zones, network, tags: EXTRA_TAGS }), { region });
}

/** The zones of a region, first n. */
const zones = (region: string, n: number) => zonesOf(region).slice(0, n);

describe("network layout (pure)", () => {
    it("carves a /16 as kops does: /19 private and /22 public subnets", () => {
        assert.deepStrictEqual(planSubnets("10.0.0.0/16", ["a1", "b1", "c1"]), [
            { zone: "a1", privateCidr: "10.0.0.0/19", publicCidr: "10.0.224.0/22" },
            { zone: "b1", privateCidr: "10.0.32.0/19", publicCidr: "10.0.228.0/22" },
            { zone: "c1", privateCidr: "10.0.64.0/19", publicCidr: "10.0.232.0/22" },
        ]);
    });

    for (const bad of [[], ["a", "b", "c", "d", "e", "f", "g"], ["a", "a"]]) {
        it(`refuses zones ${JSON.stringify(bad)}`, () => assert.throws(() => planSubnets("10.0.0.0/16", bad)));
    }

    const natCases: { mode: NatMode; zones: number; nats: number[]; routes: (number | undefined)[] }[] = [
        { mode: "none", zones: 3, nats: [], routes: [undefined, undefined, undefined] },
        { mode: "single", zones: 3, nats: [0], routes: [0, 0, 0] },
        { mode: "perAz", zones: 3, nats: [0, 1, 2], routes: [0, 1, 2] },
        { mode: "perAz", zones: 1, nats: [0], routes: [0] },
    ];
    for (const c of natCases) {
        it(`NAT placement ${c.mode} with ${c.zones} zone(s)`, () => {
            assert.deepStrictEqual(natZoneIndexes(c.mode, c.zones), c.nats);
            assert.deepStrictEqual(
                Array.from({ length: c.zones }, (_, i) => natForZone(c.mode, i)),
                c.routes,
            );
        });
    }
});

describe("network: new VPC", () => {
    const layouts = [
        { zones: zones("eu-west-1", 1), vpcCidr: "10.0.0.0/16" },
        { zones: zones("eu-west-1", 3), vpcCidr: "10.20.0.0/16" },
        { zones: zones("us-east-1", 6), vpcCidr: "172.16.0.0/22" },
    ];
    for (const { zones: zs, vpcCidr } of layouts) {
        it(`${zs.length} zone(s) in ${vpcCidr}: one public and one private subnet per zone, disjoint, inside the VPC`, async () => {
            const h = await build(zs, newVpc("perAz", vpcCidr));
            const vpc = h.ofType(T.vpc);
            assert.strictEqual(vpc.length, 1);
            const subnets = h.ofType(T.subnet);
            assert.strictEqual(subnets.length, 2 * zs.length);
            const cidrs = subnets.map((s) => mustParseCidr(h.inputs(s).cidrBlock));
            const vpcRange = mustParseCidr(vpcCidr);
            for (const [i, c] of cidrs.entries()) {
                assert.ok(c.base >= vpcRange.base && c.base + size(c) <= vpcRange.base + size(vpcRange), `${formatCidr(c)} is outside ${vpcCidr}`);
                for (const other of cidrs.slice(i + 1)) assert.ok(!overlaps(c, other), `${formatCidr(c)} overlaps ${formatCidr(other)}`);
            }
            const plan = planSubnets(vpcCidr, zs);
            zs.forEach((zone, i) => {
                for (const tier of ["public", "private"] as const) {
                    const s = h.inputs(h.named(T.subnet, `${NAME}-${tier}-${zone}`));
                    assert.strictEqual(s.availabilityZone, zone);
                    assert.strictEqual(s.vpcId, vpc[0].id);
                    assert.strictEqual(s.cidrBlock, tier === "public" ? plan[i].publicCidr : plan[i].privateCidr);
                }
            });
            const network = h.result;
            assert.deepStrictEqual(network.zones, zs);
            assert.strictEqual(network.vpcCidr, vpcCidr);
            assert.strictEqual(await h.outputs(network.vpcId), vpc[0].id);
            assert.deepStrictEqual(
                await h.outputs(network.publicSubnetIds),
                zs.map((z) => h.named(T.subnet, `${NAME}-public-${z}`).id),
            );
            assert.deepStrictEqual(
                await h.outputs(network.privateSubnetIds),
                zs.map((z) => h.named(T.subnet, `${NAME}-private-${z}`).id),
            );
        });
    }

    it("turns on DNS support and hostnames on the VPC (node names come from private DNS)", async () => {
        const h = await build(zones("eu-west-1", 3), newVpc("single"));
        const vpc = h.inputs(h.ofType(T.vpc)[0]);
        assert.strictEqual(vpc.enableDnsSupport, true);
        assert.strictEqual(vpc.enableDnsHostnames, true);
        assert.strictEqual(vpc.cidrBlock, "10.0.0.0/16");
    });

    it("tags every subnet for the cloud controller and load-balancer controllers", async () => {
        const zs = zones("eu-west-1", 3);
        const h = await build(zs, newVpc("perAz"));
        for (const zone of zs) {
            for (const tier of ["public", "private"] as const) {
                const tags = h.inputs(h.named(T.subnet, `${NAME}-${tier}-${zone}`)).tags;
                assert.strictEqual(tags[clusterTagKey(CLUSTER)], "owned");
                assert.strictEqual(tags[LEGACY_CLUSTER_TAG], CLUSTER);
                assert.strictEqual(tags.Name, `${CLUSTER}-${tier}-${zone}`);
                assert.strictEqual(tags[SUBNET_TYPE_TAG], tier === "public" ? "Public" : "Private");
                assert.strictEqual(tags[tier === "public" ? ROLE_ELB_TAG : ROLE_INTERNAL_ELB_TAG], "1");
                assert.strictEqual(tags[tier === "public" ? ROLE_INTERNAL_ELB_TAG : ROLE_ELB_TAG], undefined, "a subnet has one role");
                assert.strictEqual(tags.team, "platform");
            }
        }
    });

    it("tags every other taggable resource as the cluster's, with a Name and the user's tags", async () => {
        const h = await build(zones("eu-west-1", 3), newVpc("perAz"));
        const tagged = [T.vpc, T.igw, T.eip, T.nat, T.routeTable, T.endpoint].flatMap((t) => h.ofType(t));
        assert.strictEqual(tagged.length, 1 + 1 + 3 + 3 + 4 + 1);
        for (const r of tagged) {
            const tags = h.inputs(r).tags;
            assert.strictEqual(tags?.[clusterTagKey(CLUSTER)], "owned", `${r.name}`);
            assert.strictEqual(tags[LEGACY_CLUSTER_TAG], CLUSTER, `${r.name}`);
            assert.match(tags.Name, new RegExp(`^${CLUSTER}-`), `${r.name}`);
            assert.strictEqual(tags.costCenter, "cc-42", `${r.name}`);
        }
        const names = tagged.map((r) => h.inputs(r).tags.Name);
        assert.strictEqual(new Set(names).size, names.length, `Names are distinct: ${names.join(", ")}`);
    });

    it("parents every child to the Network component", async () => {
        const h = await build(zones("eu-west-1", 2), newVpc("single"));
        const component = h.resources.filter((r) => r.type === NETWORK_TYPE);
        assert.strictEqual(component.length, 1);
        for (const r of h.resources.filter((r) => r.custom)) assert.strictEqual(r.parent, component[0].urn, r.name);
    });

    /** For each zone, the NAT its private subnet's default route points at (undefined: no default route). */
    function natOfPrivateSubnet(h: Awaited<ReturnType<typeof build>>, zone: string): RecordedResource | undefined {
        const subnetId = h.named(T.subnet, `${NAME}-private-${zone}`).id;
        const assoc = h.ofType(T.rta).filter((a) => h.inputs(a).subnetId === subnetId);
        assert.strictEqual(assoc.length, 1, `private subnet in ${zone} has one route table`);
        const tableId = h.inputs(assoc[0]).routeTableId;
        const defaults = h.ofType(T.route).filter((r) => h.inputs(r).routeTableId === tableId && h.inputs(r).destinationCidrBlock === "0.0.0.0/0");
        if (defaults.length === 0) return undefined;
        assert.strictEqual(defaults.length, 1);
        assert.strictEqual(h.inputs(defaults[0]).gatewayId, undefined, "private subnets never route to the internet gateway");
        const nat = h.ofType(T.nat).find((n) => n.id === h.inputs(defaults[0]).natGatewayId);
        assert.ok(nat, "the default route points at a NAT gateway of this network");
        return nat;
    }

    const natCases: { mode: NatMode; nats: number; natZoneOf: (zoneIndex: number) => number | undefined; publicInstances: boolean }[] = [
        { mode: "none", nats: 0, natZoneOf: () => undefined, publicInstances: true },
        { mode: "single", nats: 1, natZoneOf: () => 0, publicInstances: false },
        { mode: "perAz", nats: 3, natZoneOf: (i) => i, publicInstances: false },
    ];
    for (const c of natCases) {
        it(`natGateways ${c.mode}: ${c.nats} NAT(s), private routes to the right NAT, instances in ${c.publicInstances ? "public" : "private"} subnets`, async () => {
            const zs = zones("eu-west-1", 3);
            const h = await build(zs, newVpc(c.mode));
            const nats = h.ofType(T.nat);
            assert.strictEqual(nats.length, c.nats);
            assert.strictEqual(h.ofType(T.eip).length, c.nats);
            for (const nat of nats) {
                const inputs = h.inputs(nat);
                const eip = h.ofType(T.eip).find((e) => e.id === inputs.allocationId);
                assert.ok(eip, `${nat.name} has its own Elastic IP`);
                assert.strictEqual(h.inputs(eip).domain, "vpc");
            }
            assert.strictEqual(new Set(nats.map((n) => h.inputs(n).allocationId)).size, c.nats, "one EIP per NAT");
            zs.forEach((zone, i) => {
                const nat = natOfPrivateSubnet(h, zone);
                const natZone = c.natZoneOf(i);
                if (natZone === undefined) return assert.strictEqual(nat, undefined);
                assert.ok(nat);
                // The NAT sits in the public subnet of its own zone.
                assert.strictEqual(h.inputs(nat).subnetId, h.named(T.subnet, `${NAME}-public-${zs[natZone]}`).id);
            });
            assert.strictEqual(h.ofType(T.routeTable).length, 1 + zs.length, "one public table, one private per zone");

            const network = h.result;
            assert.strictEqual(network.instancesNeedPublicIp, c.publicInstances);
            const instanceTier = c.publicInstances ? "public" : "private";
            assert.deepStrictEqual(
                await h.outputs(network.instanceSubnetIds),
                zs.map((z) => h.named(T.subnet, `${NAME}-${instanceTier}-${z}`).id),
            );
            assert.deepStrictEqual((await h.outputs(network.natGatewayIds)).sort(), nats.map((n) => n.id).sort());
            for (const z of zs) {
                assert.strictEqual(h.inputs(h.named(T.subnet, `${NAME}-public-${z}`)).mapPublicIpOnLaunch, c.publicInstances);
                assert.strictEqual(h.inputs(h.named(T.subnet, `${NAME}-private-${z}`)).mapPublicIpOnLaunch, false);
            }
        });
    }

    it("routes all public subnets through one table to the internet gateway", async () => {
        const zs = zones("eu-west-1", 3);
        const h = await build(zs, newVpc("perAz"));
        const igw = h.ofType(T.igw);
        assert.strictEqual(igw.length, 1);
        assert.strictEqual(h.inputs(igw[0]).vpcId, h.ofType(T.vpc)[0].id);
        const publicIds = zs.map((z) => h.named(T.subnet, `${NAME}-public-${z}`).id);
        const tables = new Set(
            h
                .ofType(T.rta)
                .filter((a) => publicIds.includes(h.inputs(a).subnetId))
                .map((a) => h.inputs(a).routeTableId),
        );
        assert.strictEqual(tables.size, 1);
        const [table] = [...tables];
        const routes = h.ofType(T.route).filter((r) => h.inputs(r).routeTableId === table);
        assert.deepStrictEqual(
            routes.map((r) => [h.inputs(r).destinationCidrBlock, h.inputs(r).gatewayId]),
            [["0.0.0.0/0", igw[0].id]],
        );
        assert.strictEqual(h.ofType(T.rta).length, 2 * zs.length, "every subnet is associated exactly once");
    });

    for (const mode of ["none", "single", "perAz"] as const) {
        it(`attaches an S3 gateway endpoint to every route table it created (natGateways ${mode})`, async () => {
            const h = await build(zones("eu-west-1", 3), newVpc(mode));
            const endpoints = h.ofType(T.endpoint);
            assert.strictEqual(endpoints.length, 1);
            const e = h.inputs(endpoints[0]);
            assert.strictEqual(e.serviceName, "com.amazonaws.eu-west-1.s3");
            assert.strictEqual(e.vpcEndpointType, "Gateway");
            assert.strictEqual(e.vpcId, h.ofType(T.vpc)[0].id);
            const tableIds = h
                .ofType(T.routeTable)
                .map((t) => t.id)
                .sort();
            assert.deepStrictEqual([...e.routeTableIds].sort(), tableIds);
            assert.deepStrictEqual((await h.outputs(h.result.routeTableIds)).sort(), tableIds);
            assert.strictEqual(await h.outputs(h.result.s3EndpointId), endpoints[0].id);
        });
    }

    it("names the endpoint service after the stack's region", async () => {
        const h = await build(zones("us-east-1", 2), newVpc("single"));
        assert.strictEqual(h.inputs(h.ofType(T.endpoint)[0]).serviceName, "com.amazonaws.us-east-1.s3");
    });
});

describe("network: existing VPC", () => {
    for (const type of NETWORK_RESOURCE_TYPES) {
        it(`creates no ${type.split(":").pop()}`, async () => {
            const h = await build(PLATFORM_ZONES, existingVpc());
            assert.deepStrictEqual(
                h.ofType(type).map((r) => r.name),
                [],
            );
        });
    }

    it("adds `shared` and the role tag to each subnet as separate Tag resources, never the legacy tag", async () => {
        const h = await build(PLATFORM_ZONES, existingVpc());
        const tags = h.ofType(T.tag).map((t) => h.inputs(t));
        assert.strictEqual(tags.length, 2 * 2 * PLATFORM_ZONES.length);
        for (const zone of PLATFORM_ZONES) {
            for (const tier of ["public", "private"] as const) {
                const id = existingSubnetId(zone, tier);
                const onSubnet = Object.fromEntries(tags.filter((t) => t.resourceId === id).map((t) => [t.key, t.value]));
                const role = tier === "public" ? ROLE_ELB_TAG : ROLE_INTERNAL_ELB_TAG;
                assert.deepStrictEqual(onSubnet, { [clusterTagKey(CLUSTER)]: "shared", [role]: "1" }, `${tier} subnet in ${zone}`);
            }
        }
        assert.ok(tags.every((t) => t.key !== LEGACY_CLUSTER_TAG && t.key !== "Name" && t.key !== SUBNET_TYPE_TAG));
    });

    it("exposes the given VPC and subnets in zone order, and no routes, NATs or S3 endpoint", async () => {
        const h = await build(PLATFORM_ZONES, existingVpc());
        const n = h.result;
        assert.strictEqual(await h.outputs(n.vpcId), PLATFORM_VPC.id);
        assert.strictEqual(n.vpcCidr, PLATFORM_VPC.cidrBlock);
        assert.deepStrictEqual(
            await h.outputs(n.publicSubnetIds),
            PLATFORM_ZONES.map((z) => existingSubnetId(z, "public")),
        );
        assert.deepStrictEqual(
            await h.outputs(n.privateSubnetIds),
            PLATFORM_ZONES.map((z) => existingSubnetId(z, "private")),
        );
        assert.deepStrictEqual(n.routeTableIds, []);
        assert.deepStrictEqual(n.natGatewayIds, []);
        assert.strictEqual(n.s3EndpointId, undefined);
    });

    for (const haveNat of [true, false]) {
        it(`runs instances in the ${haveNat ? "private" : "public"} subnets when privateSubnetsHaveNat is ${haveNat}`, async () => {
            const h = await build(PLATFORM_ZONES, existingVpc(haveNat));
            const tier = haveNat ? "private" : "public";
            assert.deepStrictEqual(
                await h.outputs(h.result.instanceSubnetIds),
                PLATFORM_ZONES.map((z) => existingSubnetId(z, tier)),
            );
            assert.strictEqual(h.result.instancesNeedPublicIp, !haveNat);
        });
    }

    it("lets two clusters share the VPC: each adds only its own tag keys", async () => {
        const h = await runComponents(() => ["alpha", "beta"].map((c) => new Network(`${c}-network`, { clusterName: c, zones: PLATFORM_ZONES, network: existingVpc(), tags: {} })), {
            region: "eu-central-1",
        });
        const keys = h.ofType(T.tag).map((t) => h.inputs(t).key);
        assert.strictEqual(keys.filter((k) => k === clusterTagKey("alpha")).length, 6);
        assert.strictEqual(keys.filter((k) => k === clusterTagKey("beta")).length, 6);
    });

    it("refuses zones that have no subnets", async () => {
        await assert.rejects(() => runComponents(() => new Network(NAME, { clusterName: CLUSTER, zones: ["eu-central-1a", "eu-central-1d"], network: existingVpc(), tags: {} })), /eu-central-1d/);
    });
});

describe("checkExistingNetwork", () => {
    const REGION = "eu-central-1";
    type Subnets = Record<string, { public: string; private: string }>;
    const platformSubnets = (): Subnets => (existingVpc() as { subnets: Subnets }).subnets;
    const config = (network: Record<string, unknown> = {}) => clusterConfig({ availabilityZones: PLATFORM_ZONES, network: { ...existingVpc(), ...network } }, REGION);

    async function problemsOf(network: Record<string, unknown>) {
        const h = await runComponents(() => checkExistingNetwork(config(network)), { region: REGION });
        return h.result;
    }

    it("finds nothing wrong with the mocked account's platform VPC", async () => {
        assert.deepStrictEqual(await problemsOf({}), []);
    });

    it("finds nothing wrong with stacks/Pulumi.existing-vpc.yaml", async () => {
        const stack = readStackFile("existing-vpc");
        const region = stack.config["aws:region"];
        const validated = validateClusterConfig({ cluster: JSON.parse(stack.config["k8s-aws:cluster"]), region });
        const c = resolveZones(validated, zonesOf(region));
        assert.strictEqual(c.network.mode, "existing");
        const h = await runComponents(() => checkExistingNetwork(c), { region });
        assert.deepStrictEqual(await h.result, []);
    });

    it("has nothing to check for a new VPC (and makes no call)", async () => {
        assert.deepStrictEqual(await checkExistingNetwork(clusterConfig()), []);
    });

    const withSubnet = (zone: string, tier: "public" | "private", id: string): Subnets => {
        const s = platformSubnets();
        return { ...s, [zone]: { ...s[zone], [tier]: id } };
    };
    const cases: { name: string; network: Record<string, unknown>; problems: { key: string; value: unknown; allowed: RegExp }[] }[] = [
        {
            name: "an unknown VPC",
            network: { vpcId: "vpc-0123456789abcdef0" },
            problems: [{ key: "k8s-aws:cluster.network.vpcId", value: "vpc-0123456789abcdef0", allowed: /a VPC in eu-central-1.*does not exist/ }],
        },
        {
            name: "a VPC CIDR that differs from the VPC's",
            network: { vpcCidr: "10.41.0.0/16" },
            problems: [{ key: "k8s-aws:cluster.network.vpcCidr", value: "10.41.0.0/16", allowed: /10\.40\.0\.0\/16/ }],
        },
        {
            name: "an unknown subnet id",
            network: { subnets: withSubnet("eu-central-1b", "public", "subnet-0123456789abcdef0") },
            problems: [{ key: "k8s-aws:cluster.network.subnets.eu-central-1b.public", value: "subnet-0123456789abcdef0", allowed: /does not exist/ }],
        },
        {
            name: "a subnet of another VPC",
            network: { subnets: withSubnet("eu-central-1a", "private", existingSubnetId("eu-central-1a", "private", OTHER_VPC.id)) },
            problems: [
                {
                    key: "k8s-aws:cluster.network.subnets.eu-central-1a.private",
                    value: existingSubnetId("eu-central-1a", "private", OTHER_VPC.id),
                    allowed: new RegExp(`subnet of ${PLATFORM_VPC.id}.*is in ${OTHER_VPC.id}`),
                },
            ],
        },
        {
            name: "subnets listed under the wrong zone",
            network: {
                subnets: {
                    ...platformSubnets(),
                    "eu-central-1a": { ...platformSubnets()["eu-central-1a"], public: existingSubnetId("eu-central-1c", "public") },
                    "eu-central-1c": { ...platformSubnets()["eu-central-1c"], public: existingSubnetId("eu-central-1a", "public") },
                },
            },
            problems: [
                { key: "k8s-aws:cluster.network.subnets.eu-central-1a.public", value: existingSubnetId("eu-central-1c", "public"), allowed: /in eu-central-1a;.*is in eu-central-1c/ },
                { key: "k8s-aws:cluster.network.subnets.eu-central-1c.public", value: existingSubnetId("eu-central-1a", "public"), allowed: /in eu-central-1c;.*is in eu-central-1a/ },
            ],
        },
    ];
    for (const c of cases) {
        it(`reports ${c.name} as a config problem`, async () => {
            const problems = await problemsOf(c.network);
            assert.deepStrictEqual(
                problems.map((p) => [p.key, p.value]),
                c.problems.map((p) => [p.key, p.value]),
            );
            problems.forEach((p, i) => assert.match(p.allowed, c.problems[i].allowed));
        });
    }

    it("reports every problem at once, and assertExistingNetwork throws them as a ConfigError", async () => {
        const network = { vpcId: "vpc-0123456789abcdef0", subnets: withSubnet("eu-central-1b", "private", "subnet-0123456789abcdef0") };
        const h = await runComponents(
            () =>
                assertExistingNetwork(config(network)).then(
                    () => undefined,
                    (e: unknown) => e,
                ),
            { region: REGION },
        );
        const error = await h.result;
        assert.ok(ConfigError.is(error), `expected a ConfigError, got ${String(error)}`);
        assert.deepStrictEqual(error.problems.map((p) => p.key).sort(), ["k8s-aws:cluster.network.subnets.eu-central-1b.private", "k8s-aws:cluster.network.vpcId"]);
        assert.doesNotMatch(error.message, /at Object|\.ts:\d+/, "no stack trace in the message");
    });

    it("answers for the platform VPC only in its own region, like EC2", async () => {
        const h = await runComponents(() => checkExistingNetwork({ ...config(), region: "eu-west-1" }), { region: "eu-west-1" });
        const problems = await h.result;
        assert.strictEqual(problems.length, 1 + 2 * PLATFORM_ZONES.length);
    });
});
