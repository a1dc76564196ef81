/**
 * `npm run roll` end to end at rung 3 on both sides: moto's Auto Scaling groups and instance
 * termination (test/real/roll.spec.ts for moto's caveats), and the real kube-apiserver and
 * kube-controller-manager of the staging render (rollControlPlane.ts) for node lookup, cordon,
 * drain, node readiness, the etcd member's pod and the readiness gate. The test plays what runs on
 * the instances and in the cloud controller: when moto launches an instance into a slot group, a
 * Node registers for it (Ready, with its providerID) with its etcd static pod's mirror pod Ready; a Node whose
 * instance is gone is deleted. A fault is injected mid-roll: the second slot's new node never
 * registers. The roll must stop there with the third slot untouched, and a re-run must resume.
 */
import * as assert from "assert";
import * as path from "path";
import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import { CreateLaunchTemplateCommand, CreateLaunchTemplateVersionCommand, DescribeImagesCommand, EC2Client, ModifyLaunchTemplateCommand } from "@aws-sdk/client-ec2";
import { removeTempDirs, tempDir } from "../support/shell";
import { Moto, startMoto } from "./moto";
import { Credentials, request, stopAll } from "./controlPlaneRig";
import { startRollControlPlane } from "./rollControlPlane";
import { autoScalingPort, ec2Port } from "../../tools/roll/aws";
import { kubePort, readinessGate, KubeCredentials } from "../../tools/roll/kube";
import { run, CliOptions } from "../../tools/roll/index";
import type { Rollout } from "../../tools/roll/state";
import { KUBERNETES_RELEASES } from "../../config/versions";

const REGION = "eu-west-1";
const SLOTS = ["control-plane-a", "control-plane-b", "control-plane-c"];
const groupOf = (slot: string) => `staging-${slot}-asg`;

describe("real/roll end to end: moto and the real API server, a fault mid-roll, a resume", function () {
    this.timeout(400_000);
    let moto: Moto;
    let asg: AutoScalingClient;
    let ec2: EC2Client;
    let api = "";
    let admin: Credentials;
    let creds: KubeCredentials;
    let rollout: Rollout;
    let timer: NodeJS.Timeout | undefined;
    const faulty = new Set<string>();
    const cordoned: string[] = [];

    /** One round of the kubelets and the cloud controller, played. */
    async function play(): Promise<void> {
        const groups = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: SLOTS.map(groupOf) }))).AutoScalingGroups ?? [];
        const live = new Map(
            groups.flatMap((g) =>
                (g.Instances ?? []).filter((i) => i.LifecycleState === "InService").map((i) => [i.InstanceId!, { group: g.AutoScalingGroupName!, zone: i.AvailabilityZone! }] as const),
            ),
        );
        const nodes = ((await request(api, admin, "GET", "/api/v1/nodes")).json?.items ?? []) as any[];
        for (const n of nodes) {
            const id = /\/(i-[0-9a-f]+)$/.exec(n.spec?.providerID ?? "")?.[1];
            if (n.spec?.unschedulable && !cordoned.includes(n.metadata.name)) cordoned.push(n.metadata.name);
            if (id && !live.has(id)) await request(api, admin, "DELETE", `/api/v1/nodes/${n.metadata.name}`);
        }
        const now = new Date().toISOString();
        const ready = { conditions: [{ type: "Ready", status: "True", reason: "Played", message: "the test plays the kubelet", lastHeartbeatTime: now, lastTransitionTime: now }] };
        for (const [id, { group, zone }] of live) {
            const name = `node-${id}`;
            if (faulty.has(group) || nodes.some((n) => n.metadata.name === name)) continue;
            await request(api, admin, "POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name }, spec: { providerID: `aws:///${zone}/${id}` } });
            await request(api, admin, "PATCH", `/api/v1/nodes/${name}/status`, { status: { ...ready, nodeInfo: { kubeletVersion: "v1.35.8" } } }, 15_000, "application/merge-patch+json");
            await request(api, admin, "POST", "/api/v1/namespaces/kube-system/pods", {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: `etcd-${name}`, annotations: { "kubernetes.io/config.mirror": "played" } },
                spec: { nodeName: name, containers: [{ name: "etcd", image: "registry.k8s.io/etcd:3.6.5-0" }] },
            });
            await request(api, admin, "PATCH", `/api/v1/namespaces/kube-system/pods/etcd-${name}/status`, { status: { phase: "Running", ...ready } }, 15_000, "application/merge-patch+json");
        }
    }

    before(async function () {
        const cp = await startRollControlPlane(this);
        ({ api, admin, creds } = cp);
        moto = await startMoto(this, path.join(tempDir("roll-e2e-"), "moto"), REGION);
        const credentials = { accessKeyId: moto.env.AWS_ACCESS_KEY_ID, secretAccessKey: moto.env.AWS_SECRET_ACCESS_KEY };
        asg = new AutoScalingClient({ region: REGION, endpoint: moto.endpoint, credentials });
        ec2 = new EC2Client({ region: REGION, endpoint: moto.endpoint, credentials });
        const [oldAmi, newAmi] = ((await ec2.send(new DescribeImagesCommand({}))).Images ?? []).map((i) => i.ImageId!);
        const groups = [];
        for (const [n, slot] of SLOTS.entries()) {
            const id = (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: `staging-${slot}-lt`, LaunchTemplateData: { ImageId: oldAmi, InstanceType: "m7i.large" } })))
                .LaunchTemplate!.LaunchTemplateId!;
            await asg.send(
                new CreateAutoScalingGroupCommand({
                    AutoScalingGroupName: groupOf(slot),
                    MinSize: 1,
                    MaxSize: 1,
                    DesiredCapacity: 1,
                    AvailabilityZones: [`${REGION}${"abc"[n]}`],
                    LaunchTemplate: { LaunchTemplateId: id, Version: "1" },
                }),
            );
            // `pulumi up`: a new version, made the default (updateDefaultVersion), the group pointed at it; nothing replaced.
            await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: id, SourceVersion: "1", LaunchTemplateData: { ImageId: newAmi } }));
            await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: "2" }));
            await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: groupOf(slot), LaunchTemplate: { LaunchTemplateId: id, Version: "2" } }));
            groups.push({ role: "control-plane" as const, name: slot, groupName: groupOf(slot), launchTemplateId: id, launchTemplateVersion: "2", templateFingerprint: "f".repeat(64) });
        }
        rollout = { kubernetesVersion: KUBERNETES_RELEASES["1.35"], groups };
        await play();
        const loop = () =>
            void play()
                .catch(() => undefined)
                .finally(() => (timer = setTimeout(loop, 300)));
        loop();
    });
    after(async () => {
        if (timer) clearTimeout(timer);
        timer = undefined;
        await moto?.stop();
        await stopAll();
        removeTempDirs();
    });

    const instancesOf = async () => {
        const r = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: SLOTS.map(groupOf) }));
        return Object.fromEntries((r.AutoScalingGroups ?? []).map((g) => [g.AutoScalingGroupName!.replace(/^staging-|-asg$/g, ""), (g.Instances ?? []).map((i) => i.InstanceId!)]));
    };
    const options: CliOptions = { stack: "staging", scope: { kind: "control-plane" }, dryRun: false, yes: true };
    const world = () => ({
        autoscaling: autoScalingPort(REGION, asg, ec2),
        ec2: ec2Port(REGION, ec2),
        kube: kubePort(creds),
        healthGate: readinessGate(creds),
        timeouts: { replaceMs: 15_000, healthyMs: 15_000, drainMs: 15_000, pollMs: 300 },
    });

    it("stops at the slot whose node never registers, the third slot untouched; the re-run resumes and finishes", async () => {
        const before = await instancesOf();
        faulty.add(groupOf("control-plane-b"));
        let out = "";
        let err = "";
        const code = await run(options, { rollout }, world(), { out: (t) => void (out += t), err: (t) => void (err += t) });
        assert.strictEqual(code, 1, out + err);
        assert.match(err, /roll stopped at control-plane slot control-plane-b: the node of i-\w+ did not become Ready/);
        assert.match(out, /kubelet v1\.35\.8 -> v1\.35\.\d+/);
        const mid = await instancesOf();
        assert.notDeepStrictEqual(mid["control-plane-a"], before["control-plane-a"]);
        assert.deepStrictEqual(mid["control-plane-c"], before["control-plane-c"], "slot c's instance untouched");
        assert.deepStrictEqual(cordoned.sort(), [`node-${before["control-plane-a"][0]}`, `node-${before["control-plane-b"][0]}`].sort(), "only a's and b's nodes were cordoned");
        const newA = await request(api, admin, "GET", `/api/v1/nodes/node-${mid["control-plane-a"][0]}`);
        assert.strictEqual(newA.status, 200, "slot a's replacement registered as a node");

        faulty.clear();
        out = "";
        err = "";
        assert.strictEqual(await run(options, { rollout }, world(), { out: (t) => void (out += t), err: (t) => void (err += t) }), 0, out + err);
        assert.match(out, /up to date: control-plane-a, control-plane-b/);
        const end = await instancesOf();
        assert.deepStrictEqual([end["control-plane-a"], end["control-plane-b"]], [mid["control-plane-a"], mid["control-plane-b"]]);
        assert.notDeepStrictEqual(end["control-plane-c"], before["control-plane-c"]);
        assert.ok(cordoned.includes(`node-${before["control-plane-c"][0]}`));
    });
});
