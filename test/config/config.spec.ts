/**
 * Configuration validation: every mistake is reported with its key, its value
 * and what is allowed, all at once, before any resource exists.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { validateClusterConfig, resolveZones, ConfigError, formatProblem } from "../../config";
import { architectureOf } from "../../config/rules";
import { coveredAddresses, mustParseCidr } from "../../lib/cidr";
import { rawStack, clusterConfig } from "../support/fixtures";

function problemsOf(overrides: Record<string, unknown>, region?: string): string[] {
    try {
        validateClusterConfig(rawStack(overrides, region));
    } catch (e) {
        assert.ok(ConfigError.is(e), `expected a ConfigError, got ${String(e)}`);
        return e.problems.map(formatProblem);
    }
    return [];
}

describe("cluster configuration", () => {
    it("accepts the happy-path fixture and applies defaults", () => {
        const c = clusterConfig();
        assert.deepStrictEqual(c.zones, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
        assert.strictEqual(c.controlPlane.count, 3);
        assert.strictEqual(c.controlPlane.schedulable, false);
        assert.strictEqual(c.etcd.topology, "stacked");
        assert.match(c.kubernetes.version, /^1\.\d+\.\d+$/);
        assert.strictEqual(c.pki.algorithm, "ECDSA");
    });

    it("makes a single control-plane node schedulable by default", () => {
        assert.strictEqual(clusterConfig({ controlPlane: { count: 1 }, availabilityZones: 1, nodePools: [] }).controlPlane.schedulable, true);
    });

    const cases: { name: string; overrides: Record<string, unknown>; region?: string; key: string; mentions: RegExp }[] = [
        { name: "cluster name that is not a DNS label", overrides: { name: "My_Cluster" }, key: "k8s-aws:cluster.name", mentions: /DNS label/ },
        // The limit was 20 (the only way to keep auto-named load balancers within 32); names are now shortened with a hash, so a DNS label is the limit.
        { name: "cluster name too long", overrides: { name: `a${"b".repeat(62)}c` }, key: "k8s-aws:cluster.name", mentions: /1-63 characters/ },
        { name: "tag key AWS reserves", overrides: { tags: { "aws:owner": "me" } }, key: "k8s-aws:cluster.tags.aws:owner", mentions: /not beginning with 'aws:'/ },
        { name: "unknown region", overrides: {}, region: "eu-mars-1", key: "aws:region", mentions: /eu-west-1/ },
        { name: "zone outside the region", overrides: { availabilityZones: ["eu-west-1a", "us-east-1a", "eu-west-1c"] }, key: "k8s-aws:cluster.availabilityZones[1]", mentions: /a zone of eu-west-1/ },
        { name: "more zones than the region has", overrides: { availabilityZones: 5 }, key: "k8s-aws:cluster.availabilityZones", mentions: /at most 3/ },
        { name: "unsupported Kubernetes minor", overrides: { kubernetesVersion: "1.29" }, key: "k8s-aws:cluster.kubernetesVersion", mentions: /"1\.35"/ },
        { name: "even control-plane count", overrides: { controlPlane: { count: 2 } }, key: "k8s-aws:cluster.controlPlane.count", mentions: /1, 3 or 5/ },
        { name: "more slots than zones", overrides: { availabilityZones: 1 }, key: "k8s-aws:cluster.controlPlane.count", mentions: /number of availability zones \(1\)/ },
        { name: "unknown etcd topology", overrides: { etcd: { topology: "sidecar" } }, key: "k8s-aws:cluster.etcd.topology", mentions: /"stacked", "external"/ },
        { name: "bad instance type", overrides: { controlPlane: { instanceType: "large" } }, key: "k8s-aws:cluster.controlPlane.instanceType", mentions: /t3\.medium/ },
        {
            name: "pool min above max",
            overrides: { nodePools: [{ name: "p", instanceTypes: ["m7i.large"], min: 5, desired: 5, max: 3 }] },
            key: "k8s-aws:cluster.nodePools[0].min",
            mentions: /at most max \(3\)/,
        },
        {
            name: "pool desired outside min..max",
            overrides: { nodePools: [{ name: "p", instanceTypes: ["m7i.large"], min: 1, desired: 9, max: 3 }] },
            key: "k8s-aws:cluster.nodePools[0].desired",
            mentions: /between min \(1\) and max \(3\)/,
        },
        {
            name: "duplicate pool names",
            overrides: { nodePools: [1, 2].map(() => ({ name: "p", instanceTypes: ["m7i.large"], min: 1, desired: 1, max: 1 })) },
            key: "k8s-aws:cluster.nodePools[1].name",
            mentions: /no other pool/,
        },
        {
            name: "made-up instance type in a pool's spot mix",
            overrides: {
                nodePools: [
                    { name: "p", instanceTypes: ["m7i.large"], min: 1, desired: 1, max: 1 },
                    { name: "q", instanceTypes: ["m7i.large", "m7i.huge"], spotPercentage: 50, min: 1, desired: 1, max: 1 },
                ],
            },
            key: "k8s-aws:cluster.nodePools[1].instanceTypes[1]",
            mentions: /"m7i\.huge" .*instance type EC2 offers .*@aws-sdk\/client-ec2 \d.*closest: m7i\.large, m7i\.xlarge, m7i\.2xlarge/,
        },
        {
            name: "made-up control-plane instance family",
            overrides: { controlPlane: { instanceType: "m7z.large" } },
            key: "k8s-aws:cluster.controlPlane.instanceType",
            mentions: /closest: m7a\.large, m7g\.large, m7i\.large/,
        },
        { name: "made-up etcd instance size", overrides: { etcd: { topology: "external", instanceType: "c7i.huge" } }, key: "k8s-aws:cluster.etcd.instanceType", mentions: /closest: c7i\.large/ },
        {
            name: "a Mac instance type",
            overrides: { nodePools: [{ name: "p", instanceTypes: ["mac2.metal"], min: 1, desired: 1, max: 1 }] },
            key: "k8s-aws:cluster.nodePools[0].instanceTypes[0]",
            mentions: /Dedicated Host/,
        },
        {
            name: "mixed CPU architectures in one pool",
            overrides: { nodePools: [{ name: "p", instanceTypes: ["m7i.large", "m7g.large"], min: 1, desired: 1, max: 1 }] },
            key: "k8s-aws:cluster.nodePools[0].instanceTypes",
            mentions: /one CPU architecture/,
        },
        { name: "invalid VPC CIDR", overrides: { network: { mode: "new", vpcCidr: "10.0.0.1/16" } }, key: "k8s-aws:cluster.network.vpcCidr", mentions: /no host bits/ },
        { name: "VPC too small for the zones' subnets", overrides: { network: { mode: "new", vpcCidr: "10.0.0.0/24" } }, key: "k8s-aws:cluster.network.vpcCidr", mentions: /\/16 to \/22/ },
        { name: "pod CIDR overlapping the VPC", overrides: { podCidr: "10.0.64.0/18" }, key: "k8s-aws:cluster.podCidr", mentions: /does not overlap the VPC/ },
        { name: "service CIDR overlapping the pods", overrides: { podCidr: "100.64.0.0/16", serviceCidr: "100.64.0.0/16" }, key: "k8s-aws:cluster.serviceCidr", mentions: /does not overlap podCidr/ },
        { name: "admin CIDR with host bits", overrides: { adminCidrs: ["203.0.113.7/24"] }, key: "k8s-aws:cluster.adminCidrs[0]", mentions: /no host bits/ },
        { name: "no admin CIDR", overrides: { adminCidrs: [] }, key: "k8s-aws:cluster.adminCidrs", mentions: /length >= 1/ },
        { name: "bad DNS zone", overrides: { dns: { zoneName: "Example..com", zoneId: "Z0123456789ABCDEFGHIJ" } }, key: "k8s-aws:cluster.dns.zoneName", mentions: /DNS zone name/ },
        { name: "external-dns without a zone", overrides: { dns: undefined }, key: "k8s-aws:cluster.addons.externalDns", mentions: /dns\.zoneName/ },
        { name: "addon toggle that is not a boolean", overrides: { addons: { calico: "yes" } }, key: "k8s-aws:cluster.addons.calico", mentions: /a boolean/ },
        { name: "misspelt setting", overrides: { nodepools: [] }, key: "k8s-aws:cluster.nodepools", mentions: /no such setting/ },
        { name: "Elastic IP endpoint with three slots", overrides: { controlPlane: { count: 3, endpoint: "elasticIp" } }, key: "k8s-aws:cluster.controlPlane.endpoint", mentions: /loadBalancer/ },
        { name: "nothing can run workloads", overrides: { nodePools: [], controlPlane: { count: 3, schedulable: false } }, key: "k8s-aws:cluster.nodePools", mentions: /at least one node pool/ },
        {
            name: "existing VPC without subnets for a zone",
            overrides: {
                availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
                network: {
                    mode: "existing",
                    vpcId: "vpc-0c5e1b7d2a9f34e61",
                    vpcCidr: "10.40.0.0/16",
                    subnets: { "eu-west-1a": { public: "subnet-04a8f2c6e1d3b5a79", private: "subnet-0e1f3a5c7b9d2e4f6" } },
                },
            },
            key: "k8s-aws:cluster.network.subnets.eu-west-1b",
            mentions: /every zone/,
        },
        { name: "a pod-role addon without kube2iam", overrides: { addons: { kube2iam: false } }, key: "k8s-aws:cluster.addons.ebsCsi", mentions: /addons\.kube2iam: true/ },
        {
            name: "cluster-autoscaler on a minor it has no release for",
            overrides: { kubernetesVersion: "1.37" },
            key: "k8s-aws:cluster.addons.clusterAutoscaler",
            mentions: /has no 1\.37 release yet \(it has for 1\.35, 1\.36\)/,
        },
        { name: "kube2iam without Calico", overrides: { addons: { calico: false } }, key: "k8s-aws:cluster.addons.kube2iam", mentions: /addons\.calico: true/ },
        {
            name: "a node label a kubelet may not set",
            overrides: { nodePools: [{ name: "p", instanceTypes: ["m7i.large"], min: 1, desired: 1, max: 1, labels: { "node-role.kubernetes.io/worker": "" } }] },
            key: "k8s-aws:cluster.nodePools[0].labels.node-role.kubernetes.io/worker",
            mentions: /NodeRestriction/,
        },
        {
            name: "zone count for an existing VPC whose subnets are also missing",
            overrides: { network: { mode: "existing", vpcId: "vpc-0c5e1b7d2a9f34e61", vpcCidr: "10.40.0.0/16" } },
            key: "k8s-aws:cluster.availabilityZones",
            mentions: /explicit zone names/,
        },
        { name: "unknown network mode", overrides: { network: { mode: "borrowed" } }, key: "k8s-aws:cluster.network.mode", mentions: /"new", "existing"/ },
    ];
    for (const c of cases) {
        it(`rejects ${c.name}, naming ${c.key}`, () => {
            const problems = problemsOf(c.overrides, c.region);
            const line = problems.find((p) => p.startsWith(`${c.key}: `));
            assert.ok(line, `no problem for ${c.key}; got:\n${problems.join("\n")}`);
            assert.match(line, c.mentions);
            assert.match(line, / is not valid; allowed: /);
        });
    }

    it("reports every problem at once", () => {
        const problems = problemsOf({
            podCidr: "10.0.0.0/8",
            controlPlane: { count: 3 },
            availabilityZones: ["eu-west-1a", "eu-west-1b"],
            nodePools: [{ name: "p", instanceTypes: ["m7i.large"], min: 5, desired: 1, max: 3 }],
        });
        assert.ok(problems.length >= 4, problems.join("\n"));
        for (const key of ["podCidr", "controlPlane.count", "nodePools[0].min", "nodePools[0].desired"]) {
            assert.ok(
                problems.some((p) => p.startsWith(`k8s-aws:cluster.${key}: `)),
                `missing ${key} in:\n${problems.join("\n")}`,
            );
        }
    });

    it("rejects zones the account cannot use, and counts larger than what it has", () => {
        const validated = validateClusterConfig(rawStack({ availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }));
        assert.throws(() => resolveZones(validated, ["eu-west-1a", "eu-west-1b"]), /availabilityZones\[2\]: "eu-west-1c" is not valid; allowed: a zone available to this account/);
        const byCount = validateClusterConfig(rawStack({ availabilityZones: 3 }));
        assert.deepStrictEqual(resolveZones(byCount, ["eu-west-1c", "eu-west-1a", "eu-west-1b"]).zones, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
        assert.throws(() => resolveZones(byCount, ["eu-west-1a"]), /at most 1/);
    });

    it("is a RunError, so pulumi prints the message without a stack trace", () => {
        try {
            validateClusterConfig(rawStack({ name: "BAD" }));
            assert.fail("expected an error");
        } catch (e) {
            assert.ok(pulumi.RunError.isInstance(e));
        }
    });

    it("judges admin CIDRs by the internet addresses they cover together, up to one /8", () => {
        const key = "k8s-aws:cluster.adminCidrs: ";
        const refused = (cidrs: string[]) => problemsOf({ adminCidrs: cidrs }).some((p) => p.startsWith(key));
        assert.ok(!refused(["17.0.0.0/8"]), "one /8 of public addresses is allowed");
        assert.ok(!refused(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "17.0.0.0/8"]), "private and shared ranges are not internet exposure");
        assert.ok(refused(["17.0.0.0/8", "203.0.113.0/24"]), "a /8 and one more address is too much");
        assert.ok(refused(["0.0.0.0/1", "128.0.0.0/1"]), "the internet in halves");
        assert.ok(refused(["0.0.0.0/0"]));
    });

    it("counts overlapping and adjacent CIDRs once", () => {
        const count = (cidrs: string[], excluded: string[] = []) => coveredAddresses(cidrs.map(mustParseCidr), excluded.map(mustParseCidr));
        assert.strictEqual(count(["0.0.0.0/1", "128.0.0.0/1"]), 2 ** 32);
        assert.strictEqual(count(["10.0.0.0/8", "10.1.0.0/16"]), 2 ** 24);
        assert.strictEqual(count(["10.0.0.0/24", "10.0.1.0/24"]), 512);
        assert.strictEqual(count(["0.0.0.0/0"], ["10.0.0.0/8"]), 2 ** 32 - 2 ** 24);
    });

    it("requires the CA to be valid at least as long as the leaf certificates it signs", () => {
        assert.ok(problemsOf({ pki: { caValidityHours: 8759, leafValidityHours: 8760 } }).some((p) => p.startsWith("k8s-aws:cluster.pki.caValidityHours: 8759 ")));
        assert.deepStrictEqual(problemsOf({ pki: { caValidityHours: 8760, leafValidityHours: 8760 } }), []);
    });

    it("tells Graviton instance families apart", () => {
        const table: [string, string][] = [
            ["m7g.large", "arm64"],
            ["c7gn.xlarge", "arm64"],
            ["t4g.small", "arm64"],
            ["m7i.large", "x86_64"],
            ["g4dn.xlarge", "x86_64"],
            ["t3.medium", "x86_64"],
            ["a1.large", "arm64"],
            ["im4gn.large", "arm64"],
            ["is4gen.medium", "arm64"],
            ["g5g.xlarge", "arm64"],
            ["mac2.metal", "arm64"],
            ["mac1.metal", "x86_64"],
            ["g4ad.xlarge", "x86_64"],
            ["u-6tb1.metal", "x86_64"],
        ];
        for (const [type, arch] of table) assert.strictEqual(architectureOf(type), arch, type);
    });
});
