/**
 * How a pool's autoscaling group buys, sizes and rolls its instances:
 * one launch template, or a mixed instances policy when the pool has several
 * instance types or spot capacity; its size and health checks; and the
 * preferences of the instance refresh `npm run roll` starts when the launch
 * template changed (a new AMI, a new Kubernetes release): the counterpart of
 * `kops rolling-update cluster`. The group itself carries no refresh: `pulumi up`
 * never replaces nodes, so pools cannot roll before the control plane.
 * Pure: the ids of the launch template are passed through untouched.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { NodePoolConfig } from "../../config";

type Pool = Pick<NodePoolConfig, "instanceTypes" | "min" | "desired" | "max" | "spotPercentage" | "onDemandBase" | "minHealthyPercentage">;

/** A launch template version: the numbered version, never $Latest or $Default, so that instances launched before a change stay identifiable as out of date. */
export interface LaunchTemplateRef {
    readonly id: pulumi.Input<string>;
    readonly version: pulumi.Input<string>;
}

/**
 * Seconds a new instance gets before its health counts and before the
 * refresh moves on: first boot installs the pinned packages (node setup),
 * fetches the join material and runs kubeadm join.
 */
export const HEALTH_CHECK_GRACE_SECONDS = 300;
export const INSTANCE_WARMUP_SECONDS = 300;

/** Spot pools chosen by price and capacity (AWS's recommended strategy; lowest-price alone concentrates interruptions). */
export const SPOT_ALLOCATION_STRATEGY = "price-capacity-optimized";
/** On-demand instances follow the order of instanceTypes: the first is also the type cluster-autoscaler models the group on. */
export const ON_DEMAND_ALLOCATION_STRATEGY = "prioritized";

/** Several instance types or any spot capacity need a mixed instances policy; otherwise the group uses the template as is. */
export function usesMixedInstances(pool: Pick<Pool, "instanceTypes" | "spotPercentage">): boolean {
    return pool.instanceTypes.length > 1 || pool.spotPercentage > 0;
}

export function mixedInstancesPolicy(pool: Pool, lt: LaunchTemplateRef): aws.types.input.autoscaling.GroupMixedInstancesPolicy {
    return {
        instancesDistribution: {
            onDemandBaseCapacity: pool.onDemandBase,
            onDemandPercentageAboveBaseCapacity: 100 - pool.spotPercentage,
            onDemandAllocationStrategy: ON_DEMAND_ALLOCATION_STRATEGY,
            spotAllocationStrategy: SPOT_ALLOCATION_STRATEGY,
        },
        launchTemplate: {
            launchTemplateSpecification: { launchTemplateId: lt.id, version: lt.version },
            overrides: pool.instanceTypes.map((instanceType) => ({ instanceType })),
        },
    };
}

/** The group's `launchTemplate` or `mixedInstancesPolicy` (AWS accepts exactly one). */
export function groupLaunchSpec(
    pool: Pool,
    lt: LaunchTemplateRef,
): { launchTemplate: aws.types.input.autoscaling.GroupLaunchTemplate } | { mixedInstancesPolicy: aws.types.input.autoscaling.GroupMixedInstancesPolicy } {
    return usesMixedInstances(pool) ? { mixedInstancesPolicy: mixedInstancesPolicy(pool, lt) } : { launchTemplate: { id: lt.id, version: lt.version } };
}

/**
 * How far above the desired capacity a refresh may go: launch replacements
 * before terminating, by as much as the refresh may dip below (at least 10%),
 * within AWS's limits (100-200, and at most 100 points above the minimum).
 */
export function maxHealthyPercentage(minHealthy: number): number {
    return Math.min(200, minHealthy + 100, 100 + Math.max(10, 100 - minHealthy));
}

/**
 * The instance refresh `npm run roll` starts for a pool (tools/roll), after the
 * control plane rolled. It is not set on the group: there the provider would
 * start one whenever the template gets a new version, i.e. on `pulumi up`,
 * before the control plane (version-skew policy: kubelets never newer than the API server).
 * skipMatching: instances already on the new version stay (a refresh started
 * again after a cancel resumes where it stopped). autoRollback stays off: the
 * group already points at the new version when the refresh starts, so a
 * rollback would restore the new version (hashicorp/terraform-provider-aws#34189);
 * roll back by reverting the change, `pulumi up`, then `npm run roll`
 * (docs/runbooks/roll-node-pool.md).
 */
export function instanceRefresh(pool: Pick<Pool, "minHealthyPercentage">): aws.types.input.autoscaling.GroupInstanceRefresh {
    return {
        strategy: "Rolling",
        preferences: {
            minHealthyPercentage: pool.minHealthyPercentage,
            maxHealthyPercentage: maxHealthyPercentage(pool.minHealthyPercentage),
            instanceWarmup: String(INSTANCE_WARMUP_SECONDS),
            skipMatching: true,
            autoRollback: false,
        },
    };
}

/**
 * Size and health. `desiredCapacity` is the size at creation only: the
 * component ignores later changes to it, because cluster-autoscaler owns it
 * from then on. AZRebalance is suspended: it would terminate nodes, pods and
 * all, without draining, to even out zones after cluster-autoscaler removed
 * chosen nodes (cluster-autoscaler/cloudprovider/aws/README.md, "Common Notes
 * and Gotchas"). Capacity rebalancing replaces spot instances that EC2 warns
 * are at elevated risk of interruption before they are interrupted.
 */
export function groupCapacity(pool: Pool): {
    minSize: number;
    maxSize: number;
    desiredCapacity: number;
    capacityRebalance: boolean;
    healthCheckType: "EC2";
    healthCheckGracePeriod: number;
    suspendedProcesses: string[];
} {
    return {
        minSize: pool.min,
        maxSize: pool.max,
        desiredCapacity: pool.desired,
        capacityRebalance: pool.spotPercentage > 0,
        healthCheckType: "EC2",
        healthCheckGracePeriod: HEALTH_CHECK_GRACE_SECONDS,
        suspendedProcesses: ["AZRebalance"],
    };
}
