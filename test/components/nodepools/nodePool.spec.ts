/**
 * The NodePool component under the mocks, per stack shape: one launch
 * template and one group per pool, the group over every zone's instance
 * subnet, tags for the cloud controller and cluster-autoscaler (propagated
 * or not), the machine (IMDSv2, encrypted gp3, security group, profile),
 * purchase options and instance refresh as rendered, desiredCapacity left to
 * cluster-autoscaler, a size that does not depend on max, the policy pack
 * satisfied, and configuration mistakes reported by key.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig, ConfigError, validateClusterConfig } from "../../../config";
import { NodePool } from "../../../components/nodepools";
import { nodePoolComponentName } from "../../../lib/naming";
import { rawStack, clusterConfig } from "../../support/fixtures";
import { RecordedResource, runComponents, Secret } from "../../support/harness";
import {
    API_ENDPOINT,
    CA_HASH,
    INSTANCE_PROFILE_ARN,
    SECURITY_GROUP,
    T,
    BUCKET,
    buildPools,
    cloudConfigOf,
    fileIn,
    groupTags,
    isNodeSetupEtcdFalsePositive,
    ofPool,
    policyReport,
    poolConfig,
    stackConfig,
} from "../../support/nodePoolFixtures";
import { NODE_JOIN_UNIT, TOKEN_PLACEHOLDER } from "../../../components/host";

type Run = Awaited<ReturnType<typeof buildPools>>;

/** The instance subnets the network made for its zones (private, or public without NAT). */
function instanceSubnets(run: Run, config: ClusterConfig, expectPublic: boolean): Map<string, string> {
    if (config.network.mode === "existing") {
        const net = config.network;
        // The stacks' existing-VPC zones are given by subnet id; created subnets are tested in network.spec.ts.
        return new Map(config.zones.map((z) => [(net.subnets[z] as { public: string; private: string })[expectPublic ? "public" : "private"], z]));
    }
    const tier = expectPublic ? "Public" : "Private";
    return new Map(
        run
            .ofType(T.subnet)
            .filter((s) => (s.inputs.tags as Record<string, string>).SubnetType === tier)
            .map((s) => [s.id!, s.inputs.availabilityZone as string]),
    );
}

const SHAPES: { stack: string; overrides?: Record<string, unknown>; public: boolean; singleZone?: boolean }[] = [
    // dev has no pool of its own; one is added to see a pool in a public, single-zone network.
    { stack: "dev", overrides: { nodePools: [{ name: "general", instanceTypes: ["t3.medium"], min: 1, desired: 1, max: 3 }] }, public: true, singleZone: true },
    { stack: "staging", public: false },
    { stack: "prod", public: false },
    { stack: "existing-vpc", public: false },
];

describe("node pools: per stack shape (mock runtime)", () => {
    for (const shape of SHAPES) {
        describe(shape.stack, () => {
            const config = stackConfig(shape.stack, shape.overrides);
            let run: Run;
            before(async () => {
                run = await buildPools(config);
            });

            it("makes one component, one launch template and one group per pool", () => {
                assert.deepStrictEqual(
                    run
                        .ofType(T.pool)
                        .map((r) => r.name)
                        .sort(),
                    config.nodePools.map((p) => nodePoolComponentName(config.name, p.name)).sort(),
                );
                for (const p of config.nodePools) {
                    const component = run.named(T.pool, nodePoolComponentName(config.name, p.name));
                    assert.deepStrictEqual(
                        run
                            .childrenOf(component.urn)
                            .map((r) => r.type)
                            .sort(),
                        [T.asg, T.lt],
                    );
                }
            });

            it("spreads every pool over every zone's instance subnet", () => {
                const subnets = instanceSubnets(run, config, shape.public);
                assert.strictEqual(subnets.size, config.zones.length);
                for (const p of config.nodePools) {
                    const ids = ofPool(run, T.asg, config.name, p.name).inputs.vpcZoneIdentifiers as string[];
                    assert.deepStrictEqual(new Set(ids), new Set(subnets.keys()), `pool ${p.name}`);
                    assert.deepStrictEqual(new Set(ids.map((id) => subnets.get(id))), new Set(config.zones));
                }
            });

            it(`gives instances ${shape.public ? "a public address (no NAT)" : "no public address"}`, () => {
                for (const p of config.nodePools) {
                    const nic = (ofPool(run, T.lt, config.name, p.name).inputs.networkInterfaces as Record<string, unknown>[])[0];
                    assert.strictEqual(nic.associatePublicIpAddress, String(shape.public));
                }
            });

            it("satisfies the policy pack", () => {
                const mandatory = (config: object = {}) => policyReport(run, config).violations.filter((v) => v.enforcementLevel === "mandatory" && !isNodeSetupEtcdFalsePositive(v));
                const expected = shape.singleZone ? ["node-pools-multi-az"] : [];
                assert.deepStrictEqual(
                    mandatory().map((v) => v.policy),
                    expected,
                    JSON.stringify(mandatory(), null, 2),
                );
                if (shape.singleZone) assert.deepStrictEqual(mandatory({ "node-pools-multi-az": { allowSingleAzPools: true } }), []);
            });

            it("exports nothing secret in the user data (the policies must be able to read it)", () => {
                for (const p of config.nodePools) assert.strictEqual(typeof ofPool(run, T.lt, config.name, p.name).inputs.userData, "string");
            });
        });
    }
});

describe("node pools: one pool in detail (mock runtime)", () => {
    const batch = {
        name: "batch",
        instanceTypes: ["c7i.2xlarge", "c6i.2xlarge", "c7a.2xlarge"],
        min: 0,
        desired: 0,
        max: 50,
        spotPercentage: 100,
        onDemandBase: 0,
        labels: { workload: "batch" },
        taints: [{ key: "workload", value: "batch", effect: "NoSchedule" }],
        rootVolumeSizeGiB: 80,
        minHealthyPercentage: 80,
    };
    const config = clusterConfig({ tags: { team: "platform" }, nodePools: [batch] });
    let run: Run;
    let asg: RecordedResource;
    let lt: RecordedResource;
    before(async () => {
        run = await buildPools(config);
        asg = ofPool(run, T.asg, "demo", "batch");
        lt = ofPool(run, T.lt, "demo", "batch");
    });

    it("tags the group for the cloud controller and propagates the pool's identity to instances", () => {
        const { tags, propagated } = groupTags(asg);
        const instance = { "kubernetes.io/cluster/demo": "owned", KubernetesCluster: "demo", "k8s.io/role/node": "1", "k8s.io/pool": "batch", Name: "demo-batch", team: "platform" };
        for (const [k, v] of Object.entries(instance)) {
            assert.strictEqual(tags[k], v, k);
            assert.ok(propagated.has(k), `${k} is not propagated at launch`);
        }
    });

    it("tags the group (only) for cluster-autoscaler discovery and scale-from-zero", () => {
        const { tags, propagated } = groupTags(asg);
        const autoscaler = {
            "k8s.io/cluster-autoscaler/enabled": "true",
            "k8s.io/cluster-autoscaler/demo": "owned",
            "k8s.io/cluster-autoscaler/node-template/label/workload": "batch",
            "k8s.io/cluster-autoscaler/node-template/label/k8s-aws.io/pool": "batch",
            "k8s.io/cluster-autoscaler/node-template/taint/workload": "batch:NoSchedule",
            "k8s.io/cluster-autoscaler/node-template/resources/ephemeral-storage": "80Gi",
        };
        for (const [k, v] of Object.entries(autoscaler)) {
            assert.strictEqual(tags[k], v, k);
            assert.ok(!propagated.has(k), `${k} describes the group and must not be copied to instances`);
        }
        const keys = (asg.inputs.tags as { key: string }[]).map((t) => t.key);
        assert.deepStrictEqual(keys, [...keys].sort(), "sorted, so diffs stay stable");
        assert.strictEqual(new Set(keys).size, keys.length);
    });

    it("tags the launch template, its instances and their volumes", () => {
        const want = { "kubernetes.io/cluster/demo": "owned", "k8s.io/role/node": "1", "k8s.io/pool": "batch", Name: "demo-batch" };
        const specs = lt.inputs.tagSpecifications as { resourceType: string; tags: Record<string, string> }[];
        assert.deepStrictEqual(
            specs.map((s) => s.resourceType),
            ["instance", "volume"],
        );
        for (const tags of [lt.inputs.tags as Record<string, string>, ...specs.map((s) => s.tags)]) {
            for (const [k, v] of Object.entries(want)) assert.strictEqual(tags[k], v, k);
        }
    });

    it("boots an IMDSv2-only machine with an encrypted gp3 root volume, the nodes' group and the node profile", () => {
        assert.deepStrictEqual(lt.inputs.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" });
        assert.deepStrictEqual(lt.inputs.blockDeviceMappings, [{ deviceName: "/dev/sda1", ebs: { volumeSize: 80, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } }]);
        assert.deepStrictEqual((lt.inputs.networkInterfaces as any[])[0].securityGroups, [SECURITY_GROUP]);
        assert.deepStrictEqual(lt.inputs.iamInstanceProfile, { arn: INSTANCE_PROFILE_ARN });
        assert.strictEqual(lt.inputs.instanceType, "c7i.2xlarge");
        assert.match(lt.inputs.imageId as string, /^ami-[0-9a-f]{17}$/);
    });

    it("boots an AMI of the instance types' architecture", async () => {
        const arm = clusterConfig({ nodePools: [{ name: "arm", instanceTypes: ["m7g.large", "c7g.large"], min: 1, desired: 1, max: 2 }] });
        const r = await buildPools(arm);
        const amd = ofPool(run, T.lt, "demo", "batch").inputs.imageId;
        assert.notStrictEqual(ofPool(r, T.lt, "demo", "arm").inputs.imageId, amd);
        const setup = fileIn(cloudConfigOf(ofPool(r, T.lt, "demo", "arm").inputs.userData).doc, "/usr/local/sbin/k8s-aws-node-setup");
        assert.match(setup, /^ARCH=arm64$/m);
    });

    it("renders user data that joins through the endpoint with the pinned CA hash, and never the token", () => {
        const { text, doc } = cloudConfigOf(lt.inputs.userData);
        assert.ok(doc.runcmd.some((c) => c.join(" ") === `systemctl enable --now ${NODE_JOIN_UNIT}`));
        const template = fileIn(doc, "/etc/k8s-aws/kubeadm-join.yaml.tmpl");
        assert.match(template, new RegExp(`apiServerEndpoint: ${API_ENDPOINT.replace(/\./g, "\\.")}`));
        assert.ok(template.includes(CA_HASH));
        assert.ok(template.includes(`token: ${TOKEN_PLACEHOLDER}`));
        assert.ok(text.includes(`K8S_AWS_SECRETS_BUCKET=${BUCKET}`));
        assert.ok(text.includes("K8S_AWS_SECRETS_PREFIX=nodes"));
    });

    it("buys spot capacity through a mixed instances policy on the template's numbered version", () => {
        assert.strictEqual(asg.inputs.launchTemplate, undefined);
        const p = asg.inputs.mixedInstancesPolicy as any;
        assert.deepStrictEqual(p.instancesDistribution, {
            onDemandBaseCapacity: 0,
            onDemandPercentageAboveBaseCapacity: 0,
            onDemandAllocationStrategy: "prioritized",
            spotAllocationStrategy: "price-capacity-optimized",
        });
        assert.deepStrictEqual(p.launchTemplate.launchTemplateSpecification, { launchTemplateId: lt.id, version: "1" });
        assert.deepStrictEqual(
            p.launchTemplate.overrides.map((o: { instanceType: string }) => o.instanceType),
            batch.instanceTypes,
        );
        assert.strictEqual(asg.inputs.capacityRebalance, true);
    });

    it("uses the plain template (numbered version, never $Latest) for a single on-demand type", async () => {
        const r = await buildPools(clusterConfig());
        const g = ofPool(r, T.asg, "demo", "general");
        assert.deepStrictEqual(g.inputs.launchTemplate, { id: ofPool(r, T.lt, "demo", "general").id, version: "1" });
        assert.strictEqual(g.inputs.mixedInstancesPolicy, undefined);
        assert.strictEqual(g.inputs.capacityRebalance, false);
    });

    // Was: "rolls it with an instance refresh" on the group. Proven wrong for a cluster (issue 21): `pulumi up` of a new
    // minor would refresh pools before the control plane. The refresh preferences now go to `npm run roll` (tools/roll).
    it("sizes the group from the configuration and leaves rolling to npm run roll (no instance refresh on the group)", () => {
        assert.deepStrictEqual([asg.inputs.minSize, asg.inputs.desiredCapacity, asg.inputs.maxSize], [0, 0, 50]);
        assert.strictEqual(asg.inputs.instanceRefresh, undefined);
        assert.strictEqual(asg.inputs.healthCheckType, "EC2");
        assert.strictEqual(asg.inputs.healthCheckGracePeriod, 300);
    });

    it("leaves desiredCapacity to cluster-autoscaler after creation (ignoreChanges)", () => {
        assert.deepStrictEqual(run.ignoreChanges.get(asg.name), ["desiredCapacity"]);
        assert.deepStrictEqual(run.ignoreChanges.get(lt.name), []);
    });

    it("renders the same number of resources for max 3 and max 1000", async () => {
        const count = async (max: number) => {
            const r = await buildPools(clusterConfig({ nodePools: [{ name: "general", instanceTypes: ["m7i.large"], min: 1, desired: 1, max }] }));
            const component = r.named(T.pool, "demo-pool-general");
            return r.resources.filter((x) => x.urn === component.urn || x.parent === component.urn).length;
        };
        const [small, large] = [await count(3), await count(1000)];
        assert.strictEqual(small, 3);
        assert.strictEqual(large, small);
    });

    it("keeps the user data plain when the hash arrives as an unknown-free output", async () => {
        const r = await buildPools(config, { caCertHash: pulumi.output(CA_HASH), apiEndpoint: pulumi.output(API_ENDPOINT) });
        const data = ofPool(r, T.lt, "demo", "batch").inputs.userData;
        assert.ok(!(data instanceof Secret));
        assert.strictEqual(data, lt.inputs.userData);
    });
});

describe("node pools: configuration mistakes", () => {
    const keysOf = (f: () => unknown): string[] => {
        try {
            f();
        } catch (e) {
            if (ConfigError.is(e)) return e.problems.map((p) => p.key);
            throw e;
        }
        assert.fail("no ConfigError");
    };

    it("reports min > max by key", () => {
        const keys = keysOf(() => validateClusterConfig(rawStack({ nodePools: [{ name: "general", instanceTypes: ["m7i.large"], min: 5, desired: 5, max: 3 }] })));
        assert.deepStrictEqual(keys, ["k8s-aws:cluster.nodePools[0].min", "k8s-aws:cluster.nodePools[0].desired"]);
    });

    it("reports unknown zones by key", () => {
        const keys = keysOf(() => validateClusterConfig(rawStack({ availabilityZones: ["eu-west-1a", "eu-west-1z", "eu-west-1c"] })));
        assert.deepStrictEqual(keys, ["k8s-aws:cluster.availabilityZones[1]"]);
    });

    it("refuses, by key and before any resource, a pool whose nodes could not register their labels", () => {
        const keys = keysOf(() =>
            validateClusterConfig(rawStack({ nodePools: [{ name: "general", instanceTypes: ["m7i.large"], min: 1, desired: 1, max: 2, labels: { "node-role.kubernetes.io/worker": "" } }] })),
        );
        assert.deepStrictEqual(keys, ["k8s-aws:cluster.nodePools[0].labels.node-role.kubernetes.io/worker"]);
    });

    it("still refuses such a pool when built directly (the component re-checks its arguments)", async () => {
        const pool = { ...poolConfig(), labels: { "node-role.kubernetes.io/worker": "" } };
        await assert.rejects(
            runComponents(
                () =>
                    new NodePool("demo-pool-general", {
                        clusterName: "demo",
                        region: "eu-west-1",
                        pool,
                        kubernetes: { minor: "1.35", version: "1.35.9" },
                        subnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                        associatePublicIp: false,
                        securityGroupId: SECURITY_GROUP,
                        instanceProfileArn: INSTANCE_PROFILE_ARN,
                        secretsBucketName: BUCKET,
                        apiEndpoint: API_ENDPOINT,
                        caCertHash: CA_HASH,
                        tags: {},
                    }),
            ),
            (e: unknown) => ConfigError.is(e) && e.problems[0].key === "k8s-aws:cluster.nodePools[name=general].labels.node-role.kubernetes.io/worker",
        );
    });

    it("builds no pool without subnets", () => {
        assert.throws(
            () =>
                new NodePool("x", {
                    clusterName: "demo",
                    region: "eu-west-1",
                    pool: poolConfig(),
                    kubernetes: { minor: "1.35", version: "1.35.9" },
                    subnetIds: [],
                    associatePublicIp: false,
                    securityGroupId: SECURITY_GROUP,
                    instanceProfileArn: INSTANCE_PROFILE_ARN,
                    secretsBucketName: BUCKET,
                    apiEndpoint: API_ENDPOINT,
                    caCertHash: CA_HASH,
                    tags: {},
                }),
            /no instance subnets/,
        );
    });
});
