/**
 * The roll's drain hook (tools/roll/aws.ts, execute.ts refreshPool) against moto 5.2.5 (pinned in
 * tools/real/pins.ts): rung 3 for what moto emulates, and a record of what it does not.
 *
 * moto 5.2.5 (moto/autoscaling/models.py, responses.py in the venv) stores lifecycle hooks
 * (PutLifecycleHook, DescribeLifecycleHooks, DeleteLifecycleHook) and nothing more: no instance ever
 * enters Terminating:Wait (TerminateInstanceInAutoScalingGroup detaches and terminates at once,
 * whatever hooks the group has), and StartInstanceRefresh, DescribeInstanceRefreshes,
 * CancelInstanceRefresh, CompleteLifecycleAction and RecordLifecycleActionHeartbeat are not
 * implemented (moto/core/responses.py raises NotImplementedError: HTTP 500 with an HTML page, which the
 * SDK reports as "XML parse error ... Deserialization error"). It also accepts what AWS
 * refuses: any HeartbeatTimeout (AWS: 30..7200 s) and DeleteLifecycleHook of a hook that is not there.
 * The drain itself (Terminating:Wait, heartbeats, drain -> complete) is therefore rung 1
 * (test/roll/execute.spec.ts); the evictions it makes are rung 3 in test/real/rollKube.spec.ts.
 */
import * as assert from "assert";
import * as path from "path";
import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import { CreateLaunchTemplateCommand, DescribeImagesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { removeTempDirs, tempDir } from "../support/shell";
import { Moto, startMoto } from "./moto";
import { autoScalingPort } from "../../tools/roll/aws";
import { DRAIN_HOOK_NAME, drainHookSpec, executePlan } from "../../tools/roll/execute";
import type { RollPlan } from "../../tools/roll/plan";
import type { KubePort } from "../../tools/roll/ports";
import type { AutoScalingPort } from "../../tools/roll/ports";

const REGION = "eu-west-1";
const GROUP = "prod-general-asg";

/** No node, no pod: the pool's instances never registered (the drain has nothing to evict). */
const EMPTY_CLUSTER: KubePort = {
    async cluster() {
        return { apiServerVersion: "v1.36.4", nodes: [] };
    },
    async nodes() {
        return [];
    },
    async cordon() {
        throw new Error("nothing to cordon");
    },
    async podsOn() {
        return [];
    },
    async evict() {
        return { result: "gone" as const };
    },
    async etcdMemberHealthy() {
        return true;
    },
    async setKubeadmKubernetesVersion() {
        throw new Error("not this step");
    },
    async setKubeProxyImage() {
        throw new Error("not this step");
    },
    async createKubeadmRbac() {
        throw new Error("not this step");
    },
    async setCoreDnsImage() {
        throw new Error("not this step");
    },
};

describe("real/roll drain hook against moto: the hook calls, and what moto does not emulate", function () {
    this.timeout(180_000);
    let moto: Moto;
    let asg: AutoScalingClient;
    let port: AutoScalingPort;
    let launchTemplateId = "";
    const base = tempDir("roll-hook-moto-");
    before(async function () {
        moto = await startMoto(this, path.join(base, "moto"), REGION);
        const credentials = { accessKeyId: moto.env.AWS_ACCESS_KEY_ID, secretAccessKey: moto.env.AWS_SECRET_ACCESS_KEY };
        asg = new AutoScalingClient({ region: REGION, endpoint: moto.endpoint, credentials });
        const ec2 = new EC2Client({ region: REGION, endpoint: moto.endpoint, credentials });
        const ami = (await ec2.send(new DescribeImagesCommand({}))).Images![0].ImageId!;
        launchTemplateId = (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: "prod-general-lt", LaunchTemplateData: { ImageId: ami, InstanceType: "m7i.large" } }))).LaunchTemplate!
            .LaunchTemplateId!;
        await asg.send(
            new CreateAutoScalingGroupCommand({
                AutoScalingGroupName: GROUP,
                MinSize: 2,
                MaxSize: 4,
                DesiredCapacity: 2,
                AvailabilityZones: [`${REGION}a`, `${REGION}b`],
                LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: "1" },
            }),
        );
        port = autoScalingPort(REGION, asg, ec2);
    });
    after(async () => {
        await moto?.stop();
        removeTempDirs();
    });

    it("puts, reads back and deletes the termination hook (the SDK's request as moto parses it)", async () => {
        assert.strictEqual(await port.describeLifecycleHook(GROUP, DRAIN_HOOK_NAME), undefined);
        await port.putTerminationLifecycleHook(GROUP, DRAIN_HOOK_NAME, drainHookSpec(15 * 60_000));
        assert.deepStrictEqual(await port.describeLifecycleHook(GROUP, DRAIN_HOOK_NAME), {
            transition: "autoscaling:EC2_INSTANCE_TERMINATING",
            heartbeatTimeoutSeconds: 900,
            defaultResult: "CONTINUE",
        });
        // The real AWS CLI reads the same hook (the names an operator sees in the runbook's commands).
        const cli = moto.awsJson(["autoscaling", "describe-lifecycle-hooks", "--auto-scaling-group-name", GROUP]);
        assert.deepStrictEqual(
            cli.LifecycleHooks.map((h: any) => [h.LifecycleHookName, h.LifecycleTransition, h.HeartbeatTimeout, h.DefaultResult]),
            [[DRAIN_HOOK_NAME, "autoscaling:EC2_INSTANCE_TERMINATING", 900, "CONTINUE"]],
        );
        await port.deleteLifecycleHook(GROUP, DRAIN_HOOK_NAME);
        assert.strictEqual(await port.describeLifecycleHook(GROUP, DRAIN_HOOK_NAME), undefined);
    });

    it("moto 5.2.5 terminates at once despite the hook (no Terminating:Wait) and implements neither the lifecycle actions nor instance refresh", async () => {
        await port.putTerminationLifecycleHook(GROUP, DRAIN_HOOK_NAME, drainHookSpec(15 * 60_000));
        const [before] = await port.describeGroups([GROUP]);
        const victim = before.instances[0].instanceId;
        await port.terminateInstance(victim);
        const [after] = await port.describeGroups([GROUP]);
        assert.ok(!after.instances.some((i) => i.instanceId === victim), "on AWS it would wait in Terminating:Wait until its action completes");
        assert.ok(!after.instances.some((i) => i.lifecycleState === "Terminating:Wait"));
        for (const [call, what] of [
            [() => port.completeLifecycleAction(GROUP, DRAIN_HOOK_NAME, victim, "CONTINUE"), "CompleteLifecycleAction"],
            [() => port.recordLifecycleActionHeartbeat(GROUP, DRAIN_HOOK_NAME, victim), "RecordLifecycleActionHeartbeat"],
            [() => port.activeInstanceRefresh(GROUP), "DescribeInstanceRefreshes"],
            [
                () => port.startInstanceRefresh(GROUP, { minHealthyPercentage: 90, maxHealthyPercentage: 110, instanceWarmupSeconds: 300, skipMatching: true, autoRollback: false }),
                "StartInstanceRefresh",
            ],
            [() => port.cancelInstanceRefresh(GROUP), "CancelInstanceRefresh"],
        ] as const) {
            await assert.rejects(call(), (e: Error & { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode === 500, `${what}: moto 5.2.5 answers 500 (not implemented)`);
        }
        // What AWS refuses and moto takes: a heartbeat timeout outside 30..7200 s (drainHookSpec clamps), a delete of no hook.
        await port.putTerminationLifecycleHook(GROUP, "out-of-range", { heartbeatTimeoutSeconds: 5, defaultResult: "CONTINUE" });
        assert.strictEqual((await port.describeLifecycleHook(GROUP, "out-of-range"))?.heartbeatTimeoutSeconds, 5);
        await port.deleteLifecycleHook(GROUP, "out-of-range");
        await port.deleteLifecycleHook(GROUP, "out-of-range");
        assert.deepStrictEqual([drainHookSpec(5_000).heartbeatTimeoutSeconds, drainHookSpec(3 * 3600_000).heartbeatTimeoutSeconds], [30, 7200]);
        await port.deleteLifecycleHook(GROUP, DRAIN_HOOK_NAME);
    });

    it("a pool step whose refresh cannot be started (here: moto cannot) fails with AWS's answer and leaves no hook on the group", async () => {
        const groups = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] }))).AutoScalingGroups!;
        const plan: RollPlan = {
            kubernetesVersion: "1.36.4",
            steps: [
                {
                    kind: "refresh-pool",
                    group: { role: "pool", name: "general", groupName: GROUP, launchTemplateId, launchTemplateVersion: "2", templateFingerprint: "f".repeat(64), minHealthyPercentage: 90 },
                    outdated: (groups[0].Instances ?? []).map((i) => ({ instanceId: i.InstanceId!, fromVersion: "1", reasons: ["launch template version 1 is out of date (latest 2)"] })),
                    total: 2,
                },
            ],
            upToDate: [],
            notes: [],
            problems: [],
        };
        const lines: string[] = [];
        const result = await executePlan(plan, {
            autoscaling: port,
            kube: EMPTY_CLUSTER,
            healthGate: async () => ({ healthy: true, results: [] }),
            timeouts: { pollMs: 200 },
            progress: (l) => lines.push(l),
        });
        assert.strictEqual(result.failed?.step, "pool general", lines.join("\n"));
        // moto's 500 for an action it lacks is an HTML page, which the SDK reports as a deserialization error.
        assert.match(result.failed!.message, /XML parse error[\s\S]*Deserialization error/);
        assert.ok(
            lines.some((l) => l.includes(`termination lifecycle hook ${DRAIN_HOOK_NAME} on ${GROUP} (heartbeat timeout 900 s, default result CONTINUE)`)),
            lines.join("\n"),
        );
        assert.ok(
            lines.some((l) => l.includes(`termination lifecycle hook ${DRAIN_HOOK_NAME} removed from ${GROUP}`)),
            lines.join("\n"),
        );
        assert.strictEqual(await port.describeLifecycleHook(GROUP, DRAIN_HOOK_NAME), undefined, "moto holds no hook afterwards");
    });
});
