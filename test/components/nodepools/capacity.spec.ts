/**
 * How a pool buys, sizes and rolls instances (pure): plain launch template
 * or mixed instances policy, the on-demand/spot split, capacity rebalance,
 * and the instance refresh that rolls the pool on a new template version.
 */
import * as assert from "assert";
import { HEALTH_CHECK_GRACE_SECONDS, INSTANCE_WARMUP_SECONDS, groupCapacity, groupLaunchSpec, instanceRefresh, maxHealthyPercentage, usesMixedInstances } from "../../../components/nodepools";
import { NodePoolConfig } from "../../../config";
import { poolConfig } from "../../support/nodePoolFixtures";

const LT = { id: "lt-0123456789abcdef0", version: "7" };

describe("node pools: purchase options (pure)", () => {
    const cases: {
        name: string;
        pool: Partial<NodePoolConfig>;
        expect: { mixed: boolean; onDemandAbove?: number; base?: number; rebalance: boolean };
    }[] = [
        { name: "one type, on demand", pool: {}, expect: { mixed: false, rebalance: false } },
        { name: "three types, on demand", pool: { instanceTypes: ["m7i.xlarge", "m6i.xlarge", "m7a.xlarge"] }, expect: { mixed: true, onDemandAbove: 100, base: 0, rebalance: false } },
        {
            name: "all spot above a base of one",
            pool: { instanceTypes: ["c7i.2xlarge", "c6i.2xlarge"], spotPercentage: 100, onDemandBase: 1 },
            expect: { mixed: true, onDemandAbove: 0, base: 1, rebalance: true },
        },
        { name: "70% spot", pool: { instanceTypes: ["m7i.large", "m6i.large"], spotPercentage: 70 }, expect: { mixed: true, onDemandAbove: 30, base: 0, rebalance: true } },
        { name: "spot with a single type (rejected by validation, still well-formed)", pool: { spotPercentage: 50 }, expect: { mixed: true, onDemandAbove: 50, base: 0, rebalance: true } },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const pool = poolConfig(c.pool);
            assert.strictEqual(usesMixedInstances(pool), c.expect.mixed);
            const spec = groupLaunchSpec(pool, LT) as Record<string, any>;
            assert.deepStrictEqual(Object.keys(spec), [c.expect.mixed ? "mixedInstancesPolicy" : "launchTemplate"], "exactly one of launchTemplate and mixedInstancesPolicy");
            if (!c.expect.mixed) {
                assert.deepStrictEqual(spec.launchTemplate, LT);
            } else {
                const p = spec.mixedInstancesPolicy;
                assert.deepStrictEqual(p.instancesDistribution, {
                    onDemandBaseCapacity: c.expect.base,
                    onDemandPercentageAboveBaseCapacity: c.expect.onDemandAbove,
                    onDemandAllocationStrategy: "prioritized",
                    spotAllocationStrategy: "price-capacity-optimized",
                });
                assert.deepStrictEqual(p.launchTemplate.launchTemplateSpecification, { launchTemplateId: LT.id, version: LT.version });
                assert.deepStrictEqual(
                    p.launchTemplate.overrides,
                    pool.instanceTypes.map((instanceType) => ({ instanceType })),
                    "one override per type, in the configured order",
                );
            }
            assert.strictEqual(groupCapacity(pool).capacityRebalance, c.expect.rebalance);
        });
    }

    it("sizes the group from the configuration and checks EC2 health after a grace period", () => {
        const cap = groupCapacity(poolConfig({ min: 2, desired: 4, max: 9 }));
        assert.deepStrictEqual(
            { min: cap.minSize, desired: cap.desiredCapacity, max: cap.maxSize, type: cap.healthCheckType, grace: cap.healthCheckGracePeriod },
            { min: 2, desired: 4, max: 9, type: "EC2", grace: HEALTH_CHECK_GRACE_SECONDS },
        );
        assert.deepStrictEqual(cap.suspendedProcesses, ["AZRebalance"], "AZRebalance would terminate nodes without draining");
    });
});

describe("node pools: instance refresh (pure)", () => {
    it("rolls the pool keeping minHealthyPercentage healthy, skipping instances already up to date", () => {
        const r = instanceRefresh(poolConfig({ minHealthyPercentage: 75 }));
        assert.strictEqual(r.strategy, "Rolling");
        assert.deepStrictEqual(r.preferences, {
            minHealthyPercentage: 75,
            maxHealthyPercentage: 125,
            instanceWarmup: String(INSTANCE_WARMUP_SECONDS),
            skipMatching: true,
            autoRollback: false,
        });
        assert.strictEqual(r.triggers, undefined, "a template version change triggers it by itself; tags alone do not roll nodes");
    });

    const table: [number, number][] = [
        [0, 100],
        [50, 150],
        [75, 125],
        [90, 110],
        [95, 110],
        [100, 110],
    ];
    for (const [min, max] of table) {
        it(`lets a refresh with minHealthyPercentage ${min} run up to ${max}% of the desired capacity`, () => {
            assert.strictEqual(maxHealthyPercentage(min), max);
            assert.ok(max >= 100 && max <= 200 && max - min <= 100 && max > Math.min(min, 99));
        });
    }
});
