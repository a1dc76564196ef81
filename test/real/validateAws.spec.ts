/**
 * Rung 3 (AWS emulated): the AWS side of `npm run validate` against moto (test/real/moto.ts),
 * through the pinned @aws-sdk/client-auto-scaling. The groups are created with exactly the tags
 * the staging render gives its Auto Scaling groups (the program's own inputs, read from the
 * render), plus a group of another cluster; the validator must find this cluster's groups by
 * the cluster tag, tell slots from pools, and compare their InService instances with nodes.
 * Rung 4 (AWS itself) is not available: moto's filter semantics stand in for AWS's.
 */
import * as assert from "assert";
import * as path from "path";
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { readStackFile } from "../../tools/offline/stackFile";
import { clusterGroups } from "../../tools/validate/autoScaling";
import { groupChecks } from "../../tools/validate/checks";
import { expectedFromStack } from "../../tools/validate/expected";
import { removeTempDirs, tempDir } from "../support/shell";
import { runStackFixture } from "../support/harness";
import { Moto, startMoto } from "./moto";

const STACK = "staging";
const REGION = "eu-west-1";

describe("real/validateAws: the cluster's Auto Scaling groups read through the AWS SDK from moto", function () {
    this.timeout(300_000);
    let moto: Moto;
    let groupTags: Map<string, { key: string; value: string; propagateAtLaunch: boolean }[]>;
    const expected = expectedFromStack(readStackFile(STACK).config);

    before(async function () {
        moto = await startMoto(this, path.join(tempDir("validate-moto"), "moto"), REGION);
        const run = await runStackFixture(STACK);
        groupTags = new Map(run.ofType("aws:autoscaling/group:Group").map((r) => [String(run.inputs(r).tags.find((t: any) => t.key === "Name").value), run.inputs(r).tags]));
        assert.strictEqual(groupTags.size, 4, [...groupTags.keys()].join(", "));
        const image = moto.awsJson(["ec2", "describe-images", "--owners", "amazon", "--max-items", "1", "--query", "Images[0].{ImageId: ImageId}"]).ImageId;
        moto.awsJson(["ec2", "create-launch-template", "--launch-template-name", "validate-lt", "--launch-template-data", JSON.stringify({ ImageId: image, InstanceType: "m7i.large" })]);
        const create = (name: string, tags: { key: string; value: string; propagateAtLaunch: boolean }[], desired: number) =>
            moto.aws([
                "autoscaling",
                "create-auto-scaling-group",
                "--auto-scaling-group-name",
                name,
                "--launch-template",
                "LaunchTemplateName=validate-lt,Version=$Latest",
                "--min-size",
                "0",
                "--max-size",
                "6",
                "--desired-capacity",
                String(desired),
                "--availability-zones",
                `${REGION}a`,
                "--tags",
                JSON.stringify(tags.map((t) => ({ Key: t.key, Value: t.value, PropagateAtLaunch: t.propagateAtLaunch }))),
            ]);
        for (const [name, tags] of groupTags) {
            const r = create(name, tags, name.endsWith("-general") ? 3 : 1);
            assert.strictEqual(r.status, 0, r.stderr);
        }
        // Another cluster's group in the same account and region.
        const other = create(
            "other-general",
            [
                { key: "kubernetes.io/cluster/other", value: "owned", propagateAtLaunch: true },
                { key: "k8s.io/pool", value: "general", propagateAtLaunch: true },
            ],
            1,
        );
        assert.strictEqual(other.status, 0, other.stderr);
    });

    after(async () => {
        if (moto) await moto.stop();
        removeTempDirs();
    });

    const client = () => new AutoScalingClient({ region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: moto.env.AWS_ACCESS_KEY_ID, secretAccessKey: moto.env.AWS_SECRET_ACCESS_KEY } });

    it("lists the cluster's groups by the cluster tag (not the other cluster's), each with the slot or pool it serves", async () => {
        const groups = await clusterGroups({ region: REGION, client: client() }, expected.clusterTag);
        assert.deepStrictEqual(
            groups.map((g) => [g.name, g.serves?.kind, g.serves?.name, g.desired]),
            [
                ["staging-control-plane-a", "slot", "control-plane-a", 1],
                ["staging-control-plane-b", "slot", "control-plane-b", 1],
                ["staging-control-plane-c", "slot", "control-plane-c", 1],
                ["staging-general", "pool", "general", 3],
            ],
        );
        assert.deepStrictEqual(
            groups.map((g) => g.instances.filter((i) => i.lifecycleState === "InService").length),
            [1, 1, 1, 3],
        );
    });

    it("InService instances without a Ready node fail; with one each, every group passes", async () => {
        const groups = await clusterGroups({ region: REGION, client: client() }, expected.clusterTag);
        const none = groupChecks(expected, groups, []);
        assert.deepStrictEqual(
            none.map((r) => r.ok),
            [false, false, false, false],
        );
        assert.match(none[3].message, /^instance i-[0-9a-f]+ has no node; instance i-[0-9a-f]+ has no node; instance i-[0-9a-f]+ has no node$/);
        const nodes = groups.flatMap((g) =>
            g.instances.map((i) => ({ metadata: { name: `n-${i.id}`, labels: {} }, spec: { providerID: `aws:///${i.zone}/${i.id}` }, status: { conditions: [{ type: "Ready", status: "True" }] } })),
        );
        const all = groupChecks(expected, groups, nodes);
        assert.ok(
            all.every((r) => r.ok),
            JSON.stringify(all, null, 1),
        );
        // One node NotReady: its group fails naming the instance and the node.
        nodes[4].status.conditions[0].status = "False";
        const one = groupChecks(expected, groups, nodes).filter((r) => !r.ok);
        assert.deepStrictEqual(
            one.map((r) => r.where),
            ["pool general (staging-general)"],
        );
        assert.match(one[0].message, /^instance i-[0-9a-f]+ \(node n-i-[0-9a-f]+\) not Ready$/);
    });

    it("the CLI's client (region only) finds the endpoint and credentials the SDK's way (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID)", async () => {
        const saved = { ...process.env };
        Object.assign(process.env, {
            AWS_ENDPOINT_URL: moto.endpoint,
            AWS_ACCESS_KEY_ID: moto.env.AWS_ACCESS_KEY_ID,
            AWS_SECRET_ACCESS_KEY: moto.env.AWS_SECRET_ACCESS_KEY,
            AWS_CONFIG_FILE: moto.env.AWS_CONFIG_FILE,
            AWS_SHARED_CREDENTIALS_FILE: moto.env.AWS_SHARED_CREDENTIALS_FILE,
            AWS_EC2_METADATA_DISABLED: "true",
        });
        try {
            const groups = await clusterGroups({ region: REGION }, expected.clusterTag);
            assert.strictEqual(groups.length, 4);
        } finally {
            for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
            Object.assign(process.env, saved);
        }
    });
});
