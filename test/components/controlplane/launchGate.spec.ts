/**
 * The launch gate of external etcd members (controlplane/slot.ts launchGate):
 * each member's group holds a new instance in Pending:Wait on a launch
 * lifecycle hook from its creation on (an initial hook, so the first instance
 * too), abandons it after the heartbeat timeout, waits for capacity longer
 * than that, never replaces a running group for the hook, and puts the hook
 * on groups made before it existed through a LifecycleHook of the same name.
 * Control-plane slots have none. The member's role may complete the action of
 * its own group only (IAM, evaluated by the kept simulator and the dataset).
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ETCD_LAUNCH_GATE, Slot, capacityTimeout, launchGateStatements, renderStatements } from "../../../components/controlplane";
import { ETCD_LAUNCH_HOOK_HEARTBEAT_SECONDS, ETCD_LAUNCH_HOOK_NAME } from "../../../components/host";
import { DEFAULT_TIMEOUTS } from "../../../tools/roll/execute";
import { slotTags } from "../../../lib/naming";
import { Recorded, runComponents, runStackFixture } from "../../support/harness";
import { decide } from "../../support/iamEval";
import { datasetProblems } from "../../support/iamDataset";
import { readUserData } from "../../support/userData";
import { parse } from "yaml";
import { ETCD_READY_SCRIPT, ETCD_READY_UNIT, renderEtcdReadyScript } from "../../../components/host";
import { withoutCommentLines } from "../../../components/host/cloudConfig";

const T = { asg: "aws:autoscaling/group:Group", hook: "aws:autoscaling/lifecycleHook:LifecycleHook", rolePolicy: "aws:iam/rolePolicy:RolePolicy", slot: "k8s-aws:controlplane:Slot" };
const plan = (role: "etcd" | "control-plane", name: string) => ({ name, role, zone: "eu-west-1a", zoneIndex: 0, ip: "10.30.0.11", dnsName: "ip-10-30-0-11.eu-west-1.compute.internal" });

function slotArgs(role: "etcd" | "control-plane", name: string) {
    return {
        clusterName: "prod",
        tags: {},
        plan: plan(role, name),
        subnetId: "subnet-0a",
        securityGroupId: "sg-0a",
        instanceType: "m7i.large",
        imageId: "ami-0123456789abcdef0",
        instanceProfileArn: "arn:aws:iam::123456789012:instance-profile/x",
        dataVolumeSizeGiB: 20,
        associatePublicIp: false,
        userData: "#cloud-config\n",
    };
}

describe("controlplane/slot: the launch gate", function () {
    this.timeout(120_000);
    const ignoreChanges = new Map<string, string[]>();
    let run: Recorded & { outputs: (v: unknown) => Promise<any> };
    let rollouts: any[];

    before(async () => {
        const r = await runComponents(() => {
            const monitor = pulumi.runtime.getMonitor() as any;
            const register = monitor.registerResource.bind(monitor);
            monitor.registerResource = (req: any, callback: unknown) => {
                ignoreChanges.set(req.getName(), req.getIgnorechangesList());
                return register(req, callback);
            };
            const gated = new Slot("prod-etcd-a", { ...slotArgs("etcd", "etcd-a"), launchGate: ETCD_LAUNCH_GATE });
            const plain = new Slot("prod-control-plane-a", slotArgs("control-plane", "control-plane-a"));
            return { rollouts: [gated.rollout, plain.rollout] };
        });
        run = r;
        rollouts = (await r.outputs(r.result)).rollouts;
    });

    it("creates the etcd member's group with a launch hook that abandons after the heartbeat timeout", () => {
        const asg = run.inputs(run.named(T.asg, "prod-etcd-a-asg"));
        assert.deepStrictEqual(asg.initialLifecycleHooks, [
            { name: ETCD_LAUNCH_HOOK_NAME, lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING", defaultResult: "ABANDON", heartbeatTimeout: ETCD_LAUNCH_HOOK_HEARTBEAT_SECONDS },
        ]);
    });

    it("waits for capacity longer than a gated instance may wait (the provider's default is 10 minutes)", () => {
        const asg = run.inputs(run.named(T.asg, "prod-etcd-a-asg"));
        assert.strictEqual(asg.waitForCapacityTimeout, "25m");
        assert.ok(25 * 60 > ETCD_LAUNCH_HOOK_HEARTBEAT_SECONDS);
    });

    it("never replaces a running group for the hook (ForceNew in the provider): changes to the initial hooks are ignored", () => {
        assert.deepStrictEqual(ignoreChanges.get("prod-etcd-a-asg"), ["initialLifecycleHooks"]);
    });

    it("puts the same hook on groups made before the gate existed, after the group (its new template version completes the hook)", () => {
        const hook = run.named(T.hook, "prod-etcd-a-launch-gate");
        const asg = run.named(T.asg, "prod-etcd-a-asg");
        const { autoscalingGroupName, ...settings } = run.inputs(hook);
        assert.deepStrictEqual(settings, run.inputs(asg).initialLifecycleHooks[0]);
        assert.strictEqual(autoscalingGroupName, asg.outputs.name);
        assert.match(String(autoscalingGroupName), /^prod-etcd-a-asg-/);
        assert.ok(run.dependsOn(hook).includes(asg.urn), "the hook waits for the group");
        assert.strictEqual(hook.parent, run.named(T.slot, "prod-etcd-a").urn);
    });

    it("leaves control-plane slots ungated", () => {
        const asg = run.inputs(run.named(T.asg, "prod-control-plane-a-asg"));
        assert.strictEqual(asg.initialLifecycleHooks, undefined);
        assert.strictEqual(asg.waitForCapacityTimeout, undefined);
        assert.deepStrictEqual(ignoreChanges.get("prod-control-plane-a-asg"), []);
        assert.strictEqual(run.ofType(T.hook).length, 1);
        assert.strictEqual(capacityTimeout(undefined), undefined);
    });

    it("tells the roll, in the rollout output, which groups are gated and for how long", () => {
        assert.deepStrictEqual(rollouts[0].launchGate, { hookName: ETCD_LAUNCH_HOOK_NAME, heartbeatTimeoutSeconds: ETCD_LAUNCH_HOOK_HEARTBEAT_SECONDS });
        assert.strictEqual(rollouts[1].launchGate, undefined);
    });

    it("abandons a replacement before the roll's own wait for it gives up", () => {
        assert.ok(ETCD_LAUNCH_HOOK_HEARTBEAT_SECONDS * 1000 < DEFAULT_TIMEOUTS.replaceMs);
    });
});

describe("controlplane/iam: an etcd member completes its own group's launch hook only", () => {
    const policy = (slot: string) => renderStatements(launchGateStatements({ cluster: "prod", role: "etcd", slots: [slot], region: "eu-west-1", partition: "aws" }));
    const group = (name: string) => `arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:0f1e2d3c-aaaa-4bbb-8ccc-123456789abc:autoScalingGroupName/${name}`;
    const tagged = (tags: Record<string, string>) => Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
    const complete = (tags: Record<string, string>) => ({ action: "autoscaling:CompleteLifecycleAction", resource: group("prod-etcd-a-asg-0a1b2c3"), context: tagged(tags) });

    const cases: { name: string; tags: Record<string, string>; allowed: boolean }[] = [
        { name: "its own slot's group", tags: slotTags("prod", {}, "etcd", "etcd-a"), allowed: true },
        { name: "another member's group", tags: slotTags("prod", {}, "etcd", "etcd-b"), allowed: false },
        { name: "a control-plane slot's group", tags: slotTags("prod", {}, "control-plane", "control-plane-a"), allowed: false },
        { name: "the same member name in another cluster", tags: slotTags("staging", {}, "etcd", "etcd-a"), allowed: false },
        { name: "an untagged group (a node pool, anything else)", tags: { Name: "pool" }, allowed: false },
    ];
    for (const c of cases) {
        it(`${c.allowed ? "allows" : "denies"} CompleteLifecycleAction on ${c.name}`, async () => {
            assert.strictEqual(await decide(policy("etcd-a"), complete(c.tags)), c.allowed ? "allow" : "implicit-deny");
        });
    }

    it("lets it read its lifecycle state (DescribeAutoScalingInstances is wildcard-only), and change nothing else in Auto Scaling", async () => {
        assert.strictEqual(await decide(policy("etcd-a"), { action: "autoscaling:DescribeAutoScalingInstances", resource: "*" }), "allow");
        const own = tagged(slotTags("prod", {}, "etcd", "etcd-a"));
        for (const action of [
            "autoscaling:RecordLifecycleActionHeartbeat",
            "autoscaling:PutLifecycleHook",
            "autoscaling:DeleteLifecycleHook",
            "autoscaling:UpdateAutoScalingGroup",
            "autoscaling:TerminateInstanceInAutoScalingGroup",
            "autoscaling:CreateOrUpdateTags",
        ]) {
            assert.strictEqual(await decide(policy("etcd-a"), { action, resource: group("prod-etcd-a-asg-0a1b2c3"), context: own }), "implicit-deny", action);
        }
    });

    it("names only actions, condition keys and resource types the IAM dataset knows to fit together", async () => {
        assert.deepStrictEqual(await datasetProblems(JSON.parse(policy("etcd-a"))), []);
    });

    it("would be flagged by the dataset check if scoped by a key CompleteLifecycleAction does not carry", async () => {
        const doc = JSON.parse(policy("etcd-a"));
        doc.Statement[1].Condition = { StringEquals: { "autoscaling:LaunchTemplateVersionSpecified": "true" } };
        assert.notDeepStrictEqual(await datasetProblems(doc), []);
    });
});

describe("the prod stack: every external etcd member, and only those, is gated and may complete its own hook", function () {
    this.timeout(180_000);
    let run: Recorded;
    before(async () => {
        run = await runStackFixture("prod");
    });

    it("gates the three etcd members' groups and none of the control plane's", () => {
        const gated = run
            .ofType(T.asg)
            .filter((g) => run.inputs(g).initialLifecycleHooks !== undefined)
            .map((g) => g.name)
            .sort();
        assert.deepStrictEqual(gated, ["prod-etcd-a-asg", "prod-etcd-b-asg", "prod-etcd-c-asg"]);
        assert.deepStrictEqual(
            run
                .ofType(T.hook)
                .map((h) => h.name)
                .sort(),
            ["prod-etcd-a-launch-gate", "prod-etcd-b-launch-gate", "prod-etcd-c-launch-gate"],
        );
    });

    it("ships the gate script, as rendered for the region, and starts its unit on every etcd member, and on no control-plane slot", () => {
        for (const lt of run.ofType("aws:ec2/launchTemplate:LaunchTemplate").filter((l) => /^prod-(etcd|control-plane)-/.test(l.name))) {
            const doc = parse(readUserData(run.inputs(lt).userData).text);
            const script = (doc.write_files as { path: string; content: string; permissions: string }[]).find((f) => f.path === ETCD_READY_SCRIPT);
            const starts = (doc.runcmd as string[][]).some((c) => c.join(" ") === `systemctl start --no-block ${ETCD_READY_UNIT}`);
            if (lt.name.startsWith("prod-etcd-")) {
                assert.ok(script, lt.name);
                assert.strictEqual(script.content, withoutCommentLines(renderEtcdReadyScript({ region: "eu-west-1" })), lt.name);
                assert.strictEqual(script.permissions, "0755");
                assert.ok(starts, lt.name);
            } else {
                assert.strictEqual(script, undefined, lt.name);
                assert.ok(!starts, lt.name);
            }
        }
    });

    it("gives each member's role the launch-gate policy for its own slot", () => {
        for (const m of ["etcd-a", "etcd-b", "etcd-c"]) {
            const doc = JSON.parse(run.inputs(run.named(T.rolePolicy, `prod-${m}-launch-gate`)).policy);
            const complete = doc.Statement.find((s: any) => s.Sid === "CompleteOwnLaunchHook");
            assert.deepStrictEqual(complete.Condition.StringEquals["aws:ResourceTag/k8s.io/slot"], [m]);
        }
        assert.ok(!run.ofType(T.rolePolicy).some((p) => /control-plane.*launch-gate/.test(p.name)));
    });
});
