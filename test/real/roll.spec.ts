/**
 * `npm run roll` against moto (rung 3 for the AWS side: the real SDK clients, moto's Auto
 * Scaling groups, launch template versions and TerminateInstanceInAutoScalingGroup). Three
 * control-plane slots (groups of one) run launch template version 1; `pulumi up` made version 2
 * and pointed the groups at it (as the provider does), replacing nothing. The cluster side is
 * played by the test: a node registers for each in-service instance moto launched (the test plays
 * the kubelet), except where a fault is injected. Not a real API server: the Kubernetes calls are
 * rung 1 here (see the note in /work/team/notes/roll.md).
 *
 * moto 5.2.5 reports Instances[].LaunchTemplate.Version as the template's default version, not the
 * version the instance was launched from (moto/autoscaling/models.py InstanceState.launch_template);
 * the roll reads EC2's aws:ec2launchtemplate:version tag instead, which AWS sets to the version launched
 * and moto to the template's default version at launch: the same here, as the slots' templates make each
 * new version the default (updateDefaultVersion), and this test does what the provider does.
 * The templates carry no user data: moto 5.2.5 stores the UserData of an SDK CreateLaunchTemplate(Version)
 * unwrapped and then fails every launch from it (moto/ec2/models/launch_templates.py user_data:
 * `assert isinstance(user_data, Base64EncodedString)`); the new version changes the image and the instance type.
 */
import * as assert from "assert";
import * as path from "path";
import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import { CreateLaunchTemplateCommand, CreateLaunchTemplateVersionCommand, DescribeImagesCommand, EC2Client, ModifyLaunchTemplateCommand } from "@aws-sdk/client-ec2";
import { removeTempDirs, tempDir } from "../support/shell";
import { Moto, startMoto } from "./moto";
import { autoScalingPort, ec2Port } from "../../tools/roll/aws";
import { run, CliOptions } from "../../tools/roll/index";
import type { KubePort, HealthGate } from "../../tools/roll/ports";
import type { LiveNode, Rollout } from "../../tools/roll/state";

const REGION = "eu-west-1";
const SLOTS = ["control-plane-a", "control-plane-b", "control-plane-c"];

/** Nodes as kubelets would register them: one per in-service instance moto runs, unless its group is faulted. */
class PlayedCluster implements KubePort {
    readonly log: string[] = [];
    readonly faulty = new Set<string>();
    constructor(
        private readonly asg: AutoScalingClient,
        private readonly groups: readonly string[],
    ) {}
    async nodes(): Promise<LiveNode[]> {
        const r = await this.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [...this.groups] }));
        return (r.AutoScalingGroups ?? []).flatMap((g) =>
            (g.Instances ?? [])
                .filter((i) => i.LifecycleState === "InService")
                .map((i) => ({ name: `node-${i.InstanceId}`, instanceId: i.InstanceId!, kubeletVersion: "v1.35.9", ready: !this.faulty.has(g.AutoScalingGroupName!) })),
        );
    }
    async cluster() {
        return { apiServerVersion: "v1.35.9", kubeadmKubernetesVersion: "v1.35.9", nodes: await this.nodes() };
    }
    async cordon(n: string) {
        this.log.push(`cordon ${n}`);
    }
    async podsOn() {
        return [];
    }
    async evict() {
        return { result: "gone" as const };
    }
    async etcdMemberHealthy() {
        return true;
    }
    async setKubeadmKubernetesVersion(v: string) {
        this.log.push(`kubeadm-config ${v}`);
    }
    async setKubeProxyImage(i: string) {
        this.log.push(`kube-proxy ${i}`);
    }
    async createKubeadmRbac(keys: readonly string[]) {
        this.log.push(`create ${keys.join(", ")}`);
    }
    async setCoreDnsImage(i: string) {
        this.log.push(`coredns ${i}`);
    }
}

describe("roll against moto: control-plane slots one at a time, a fault mid-roll, and a resume", function () {
    this.timeout(300_000);
    let moto: Moto;
    let asg: AutoScalingClient;
    let ec2: EC2Client;
    let rollout: Rollout;
    const base = tempDir("roll-moto-");
    before(async function () {
        moto = await startMoto(this, path.join(base, "moto"), REGION);
        const credentials = { accessKeyId: moto.env.AWS_ACCESS_KEY_ID, secretAccessKey: moto.env.AWS_SECRET_ACCESS_KEY };
        asg = new AutoScalingClient({ region: REGION, endpoint: moto.endpoint, credentials });
        ec2 = new EC2Client({ region: REGION, endpoint: moto.endpoint, credentials });
        const images = (await ec2.send(new DescribeImagesCommand({}))).Images ?? [];
        const [oldAmi, newAmi] = images.map((i) => i.ImageId!).slice(0, 2);
        const groups = [];
        for (const [n, slot] of SLOTS.entries()) {
            const lt = await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: `prod-${slot}-lt`, LaunchTemplateData: { ImageId: oldAmi, InstanceType: "m7i.large" } }));
            const id = lt.LaunchTemplate!.LaunchTemplateId!;
            const name = `prod-${slot}-asg`;
            await asg.send(
                new CreateAutoScalingGroupCommand({
                    AutoScalingGroupName: name,
                    MinSize: 1,
                    MaxSize: 1,
                    DesiredCapacity: 1,
                    AvailabilityZones: [`${REGION}${"abc"[n]}`],
                    LaunchTemplate: { LaunchTemplateId: id, Version: "1" },
                }),
            );
            // `pulumi up` of a new release: a new template version, the group pointed at it, no instance replaced.
            await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: id, SourceVersion: "1", LaunchTemplateData: { ImageId: newAmi, InstanceType: "m7i.xlarge" } }));
            // The slots' templates have updateDefaultVersion: true (components/controlplane/slot.ts): the provider makes the new version the default.
            await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: "2" }));
            await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchTemplate: { LaunchTemplateId: id, Version: "2" } }));
            groups.push({ role: "control-plane" as const, name: slot, groupName: name, launchTemplateId: id, launchTemplateVersion: "2", templateFingerprint: "f".repeat(64) });
        }
        rollout = { kubernetesVersion: "1.35.9", groups };
    });
    after(async () => {
        await moto?.stop();
        removeTempDirs();
    });

    const instancesOf = async () => {
        const r = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: SLOTS.map((s) => `prod-${s}-asg`) }));
        return Object.fromEntries((r.AutoScalingGroups ?? []).map((g) => [g.AutoScalingGroupName!.replace(/^prod-|-asg$/g, ""), (g.Instances ?? []).map((i) => i.InstanceId!)]));
    };
    const options = (o: Partial<CliOptions>): CliOptions => ({ stack: "prod", scope: { kind: "control-plane" }, dryRun: false, yes: true, ...o });
    const capture = () => {
        const io = { stdout: "", stderr: "" };
        return { io, sink: { out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) } };
    };
    const healthy: HealthGate = async () => ({ healthy: true, results: [] });

    it("--dry-run lists every slot and why (version, instance type, machine image from the template versions), and changes nothing", async () => {
        const before = await instancesOf();
        const { io, sink } = capture();
        const code = await run(
            options({ dryRun: true, yes: false }),
            { rollout },
            {
                autoscaling: autoScalingPort(REGION, asg, ec2),
                ec2: ec2Port(REGION, ec2),
                kube: new PlayedCluster(
                    asg,
                    rollout.groups.map((g) => g.groupName),
                ),
            },
            sink,
        );
        assert.strictEqual(code, 0, io.stderr);
        for (const slot of SLOTS) assert.match(io.stdout, new RegExp(`control-plane slot ${slot} \\(group prod-${slot}-asg\\)`));
        assert.match(io.stdout, /launch template version 1 is out of date \(latest 2\); instance type changed \(m7i\.large -> m7i\.xlarge\); machine image changed \(ami-\w+ -> ami-\w+\)$/m);
        assert.deepStrictEqual(await instancesOf(), before);
    });

    it("stops at the slot whose new node never becomes Ready, with the other slots untouched; the re-run resumes", async () => {
        const cluster = new PlayedCluster(
            asg,
            rollout.groups.map((g) => g.groupName),
        );
        cluster.faulty.add("prod-control-plane-b-asg");
        const world = { autoscaling: autoScalingPort(REGION, asg, ec2), ec2: ec2Port(REGION, ec2), kube: cluster, healthGate: healthy, timeouts: { replaceMs: 3000, pollMs: 200, healthyMs: 3000 } };
        const before = await instancesOf();
        const first = capture();
        assert.strictEqual(await run(options({}), { rollout }, world, first.sink), 1, first.io.stdout + first.io.stderr);
        assert.match(first.io.stderr, /roll stopped at control-plane slot control-plane-b: the node of i-\w+ did not become Ready/, first.io.stdout);
        assert.match(first.io.stderr, /not started \(untouched\): control-plane slot control-plane-c/);
        const mid = await instancesOf();
        assert.notDeepStrictEqual(mid["control-plane-a"], before["control-plane-a"], "slot a was replaced");
        assert.notDeepStrictEqual(mid["control-plane-b"], before["control-plane-b"], "slot b's instance was replaced (its node is what failed)");
        assert.deepStrictEqual(mid["control-plane-c"], before["control-plane-c"], "slot c untouched");
        for (const s of SLOTS) assert.strictEqual(mid[s].length, 1, `${s} keeps one instance (capacity kept, never two)`);

        // The fault is fixed (the node registers); the same command resumes: a and b are skipped, c rolls.
        cluster.faulty.clear();
        const second = capture();
        assert.strictEqual(await run(options({}), { rollout }, world, second.sink), 0, second.io.stdout + second.io.stderr);
        assert.match(second.io.stdout, /up to date: control-plane-a, control-plane-b/);
        const end = await instancesOf();
        assert.deepStrictEqual([end["control-plane-a"], end["control-plane-b"]], [mid["control-plane-a"], mid["control-plane-b"]], "a and b not replaced again");
        assert.notDeepStrictEqual(end["control-plane-c"], before["control-plane-c"]);

        const third = capture();
        assert.strictEqual(await run(options({ dryRun: true, yes: false }), { rollout }, world, third.sink), 0);
        assert.match(third.io.stdout, /nothing to roll/);
    });
});
