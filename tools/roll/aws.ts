/**
 * The AWS side of a roll, on the SDK clients pinned with client-ec2
 * (@aws-sdk/client-auto-scaling 3.1178.0). Credentials and region as every AWS
 * tool finds them (environment, profile); AWS_ENDPOINT_URL points them at an
 * emulator in tests.
 */
import { createHash } from "crypto";
import {
    AutoScalingClient,
    CancelInstanceRefreshCommand,
    CompleteLifecycleActionCommand,
    DeleteLifecycleHookCommand,
    DescribeAutoScalingGroupsCommand,
    DescribeInstanceRefreshesCommand,
    DescribeLifecycleHooksCommand,
    PutLifecycleHookCommand,
    RecordLifecycleActionHeartbeatCommand,
    StartInstanceRefreshCommand,
    TerminateInstanceInAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, DescribeLaunchTemplateVersionsCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { AutoScalingPort, Ec2Port, LifecycleActionResult, RefreshPreferences } from "./ports";
import type { LiveGroup, TemplateVersionData } from "./state";

/**
 * The launch template version each instance was launched from, by EC2's own tags on it
 * (aws:ec2launchtemplate:id / :version, which EC2 adds to every instance launched from a template:
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html, "Tags added by AWS").
 * The group's Instances[].LaunchTemplate says the same on AWS; moto 5.2.5 reports the template's
 * default version there instead, so the tags are what both answer truly.
 */
async function launchedFrom(ec2: EC2Client, ids: readonly string[]): Promise<Map<string, { id?: string; version?: string }>> {
    const out = new Map<string, { id?: string; version?: string }>();
    for (let i = 0; i < ids.length; i += 100) {
        let NextToken: string | undefined;
        do {
            const page = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids.slice(i, i + 100), NextToken }));
            for (const inst of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
                const tag = (k: string) => inst.Tags?.find((t) => t.Key === k)?.Value;
                out.set(inst.InstanceId!, { id: tag("aws:ec2launchtemplate:id"), version: tag("aws:ec2launchtemplate:version") });
            }
            NextToken = page.NextToken;
        } while (NextToken);
    }
    return out;
}

export function autoScalingPort(region: string, client = new AutoScalingClient({ region }), ec2 = new EC2Client({ region })): AutoScalingPort {
    return {
        async describeGroups(names) {
            const out: LiveGroup[] = [];
            let NextToken: string | undefined;
            do {
                const page = await client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [...names], NextToken }));
                for (const g of page.AutoScalingGroups ?? []) {
                    out.push({
                        groupName: g.AutoScalingGroupName!,
                        desiredCapacity: g.DesiredCapacity ?? 0,
                        instances: (g.Instances ?? []).map((i) => ({
                            instanceId: i.InstanceId!,
                            lifecycleState: String(i.LifecycleState),
                            healthStatus: i.HealthStatus ?? "",
                            instanceType: i.InstanceType,
                            launchTemplateId: i.LaunchTemplate?.LaunchTemplateId,
                            launchTemplateVersion: i.LaunchTemplate?.Version,
                        })),
                    });
                }
                NextToken = page.NextToken;
            } while (NextToken);
            const ids = out.flatMap((g) => g.instances.filter((i) => !/^Terminat/.test(i.lifecycleState)).map((i) => i.instanceId));
            const tags = ids.length > 0 ? await launchedFrom(ec2, ids) : new Map();
            return out.map((g) => ({
                ...g,
                instances: g.instances.map((i) => {
                    const t = tags.get(i.instanceId);
                    return t?.version ? { ...i, launchTemplateId: t.id ?? i.launchTemplateId, launchTemplateVersion: t.version } : i;
                }),
            }));
        },
        async terminateInstance(instanceId) {
            // Capacity kept: the group launches a replacement from its current launch template version.
            await client.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instanceId, ShouldDecrementDesiredCapacity: false }));
        },
        async startInstanceRefresh(groupName, p: RefreshPreferences) {
            const r = await client.send(
                new StartInstanceRefreshCommand({
                    AutoScalingGroupName: groupName,
                    Strategy: "Rolling",
                    Preferences: {
                        MinHealthyPercentage: p.minHealthyPercentage,
                        MaxHealthyPercentage: p.maxHealthyPercentage,
                        InstanceWarmup: p.instanceWarmupSeconds,
                        SkipMatching: p.skipMatching,
                        AutoRollback: p.autoRollback,
                    },
                }),
            );
            return r.InstanceRefreshId!;
        },
        async describeInstanceRefresh(groupName, refreshId) {
            const r = await client.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: groupName, InstanceRefreshIds: [refreshId] }));
            const refresh = r.InstanceRefreshes?.[0];
            if (!refresh) throw new Error(`instance refresh ${refreshId} of ${groupName} not found`);
            return { status: String(refresh.Status), percentageComplete: refresh.PercentageComplete, reason: refresh.StatusReason };
        },
        async cancelInstanceRefresh(groupName) {
            await client.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: groupName }));
        },
        async activeInstanceRefresh(groupName) {
            const r = await client.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: groupName }));
            return r.InstanceRefreshes?.find((x) => x.Status === "Pending" || x.Status === "InProgress")?.InstanceRefreshId;
        },
        async describeLifecycleHook(groupName, hookName) {
            const r = await client.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: groupName, LifecycleHookNames: [hookName] }));
            const h = r.LifecycleHooks?.find((x) => x.LifecycleHookName === hookName);
            if (!h) return undefined;
            return { transition: String(h.LifecycleTransition), heartbeatTimeoutSeconds: h.HeartbeatTimeout ?? 3600, defaultResult: h.DefaultResult === "CONTINUE" ? "CONTINUE" : "ABANDON" };
        },
        async putTerminationLifecycleHook(groupName, hookName, spec) {
            // No NotificationTargetARN: the roll polls DescribeAutoScalingGroups for Terminating:Wait instead of
            // reading EventBridge/SQS (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutLifecycleHook.html).
            await client.send(
                new PutLifecycleHookCommand({
                    AutoScalingGroupName: groupName,
                    LifecycleHookName: hookName,
                    LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
                    HeartbeatTimeout: spec.heartbeatTimeoutSeconds,
                    DefaultResult: spec.defaultResult,
                }),
            );
        },
        async deleteLifecycleHook(groupName, hookName) {
            await client.send(new DeleteLifecycleHookCommand({ AutoScalingGroupName: groupName, LifecycleHookName: hookName }));
        },
        async recordLifecycleActionHeartbeat(groupName, hookName, instanceId) {
            await client.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: groupName, LifecycleHookName: hookName, InstanceId: instanceId }));
        },
        async completeLifecycleAction(groupName, hookName, instanceId, result: LifecycleActionResult) {
            await client.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: groupName, LifecycleHookName: hookName, InstanceId: instanceId, LifecycleActionResult: result }));
        },
    };
}

export function ec2Port(region: string, client = new EC2Client({ region })): Ec2Port {
    return {
        async templateVersions(launchTemplateId, versions) {
            const r = await client.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId, Versions: [...versions] }));
            const out: Record<string, TemplateVersionData> = {};
            for (const v of r.LaunchTemplateVersions ?? []) {
                const d = v.LaunchTemplateData ?? {};
                out[String(v.VersionNumber)] = {
                    imageId: d.ImageId,
                    instanceType: d.InstanceType,
                    userDataSha256: d.UserData === undefined ? undefined : createHash("sha256").update(d.UserData).digest("hex"),
                };
            }
            return out;
        },
    };
}
