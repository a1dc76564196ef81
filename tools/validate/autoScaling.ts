/**
 * The cluster's Auto Scaling groups as AWS reports them: every group carrying
 * the cluster tag `kubernetes.io/cluster/<name>` (components/naming.ts
 * clusterTags, on slot and pool groups alike), with the pool or slot it serves
 * (`k8s.io/pool`, `k8s.io/slot`) and its instances' lifecycle states.
 * DescribeAutoScalingGroups filters by `tag-key`
 * (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingGroups.html, Filters).
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, AutoScalingGroup } from "@aws-sdk/client-auto-scaling";
import { POOL_TAG, SLOT_TAG } from "../../lib/naming";

export interface GroupInstance {
    readonly id: string;
    readonly zone?: string;
    /** InService, Pending, Terminating, ... */
    readonly lifecycleState: string;
    readonly healthStatus?: string;
}

export interface ClusterGroup {
    readonly name: string;
    /** The pool (k8s.io/pool) or control-plane slot (k8s.io/slot) the group runs. */
    readonly serves: { readonly kind: "pool" | "slot"; readonly name: string } | undefined;
    readonly desired: number;
    readonly min: number;
    readonly max: number;
    readonly instances: readonly GroupInstance[];
}

/** How to reach AWS: the region; credentials and endpoint from the SDK's default chain (environment, profile, AWS_ENDPOINT_URL). */
export interface AwsAccess {
    readonly region: string;
    /** A client to use instead of one built from the region (tests). */
    readonly client?: AutoScalingClient;
}

export function toClusterGroup(g: AutoScalingGroup): ClusterGroup {
    const tag = (key: string) => g.Tags?.find((t) => t.Key === key)?.Value;
    const pool = tag(POOL_TAG);
    const slot = tag(SLOT_TAG);
    return {
        name: g.AutoScalingGroupName ?? "(unnamed)",
        serves: pool !== undefined ? { kind: "pool", name: pool } : slot !== undefined ? { kind: "slot", name: slot } : undefined,
        desired: g.DesiredCapacity ?? 0,
        min: g.MinSize ?? 0,
        max: g.MaxSize ?? 0,
        instances: (g.Instances ?? []).map((i) => ({ id: i.InstanceId ?? "", zone: i.AvailabilityZone, lifecycleState: String(i.LifecycleState ?? ""), healthStatus: i.HealthStatus })),
    };
}

/** Every group carrying the cluster tag, all pages. */
export async function clusterGroups(access: AwsAccess, clusterTag: string): Promise<ClusterGroup[]> {
    const client = access.client ?? new AutoScalingClient({ region: access.region });
    const out: ClusterGroup[] = [];
    let token: string | undefined;
    do {
        const page = await client.send(new DescribeAutoScalingGroupsCommand({ Filters: [{ Name: "tag-key", Values: [clusterTag] }], NextToken: token }));
        out.push(...(page.AutoScalingGroups ?? []).map(toClusterGroup));
        token = page.NextToken;
    } while (token);
    return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Whether the SDK's default chain would find credentials without asking a
 * metadata service: the environment, or a profile in the shared files
 * (https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html).
 */
export function awsCredentialsConfigured(env: NodeJS.ProcessEnv, fileExists: (p: string) => boolean, home: string): boolean {
    if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return true;
    if (env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE || env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) return true;
    return fileExists(env.AWS_SHARED_CREDENTIALS_FILE ?? `${home}/.aws/credentials`) || fileExists(env.AWS_CONFIG_FILE ?? `${home}/.aws/config`);
}
