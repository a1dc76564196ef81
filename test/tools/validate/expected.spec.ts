/**
 * Rung 1: what `npm run validate` expects of each stack, derived from the stack configuration
 * through the program's own validator; the slots compared with what the program itself outputs
 * for that stack (the golden render's plan.json outputs, regenerated from the program).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../../../config";
import { listStacks, readStackFile } from "../../../tools/offline/stackFile";
import { expectedFromStack } from "../../../tools/validate/expected";
import { TEST_ROOT } from "../../support/paths";

const GOLDEN = path.join(TEST_ROOT, "golden");
const goldenOutputs = (stack: string) => JSON.parse(fs.readFileSync(path.join(GOLDEN, stack, "plan.json"), "utf8")).outputs;

describe("validate/expected: the cluster a stack should be", () => {
    it("staging: three slots with the program's names, zones and fixed IPs; the general pool's sizes; the cluster tag", () => {
        const e = expectedFromStack(readStackFile("staging").config);
        assert.deepStrictEqual(e.controlPlaneSlots, goldenOutputs("staging").controlPlaneSlots);
        assert.deepStrictEqual(e.pools, [{ name: "general", min: 2, desired: 3, max: 6 }]);
        assert.strictEqual(e.clusterTag, "kubernetes.io/cluster/staging");
        assert.strictEqual(e.etcdTopology, "stacked");
    });

    it("prod: every pool with its min/desired/max, in stack order", () => {
        const e = expectedFromStack(readStackFile("prod").config);
        assert.deepStrictEqual(e.controlPlaneSlots, goldenOutputs("prod").controlPlaneSlots);
        assert.deepStrictEqual(
            e.pools.map((p) => p.name),
            ["general", "batch"],
        );
        assert.deepStrictEqual(e.pools[0], { name: "general", min: 3, desired: 6, max: 30 });
    });

    it("zones given as a count (dev): one slot of unknown zone and IP, unless the stack's outputs say", () => {
        const config = readStackFile("dev").config;
        assert.deepStrictEqual(expectedFromStack(config).controlPlaneSlots, [{ name: "control-plane-1" }]);
        const deployed = goldenOutputs("dev").controlPlaneSlots;
        assert.deepStrictEqual(expectedFromStack(config, { controlPlaneSlots: deployed }).controlPlaneSlots, deployed);
    });

    it("bring-your-own subnets (existing-vpc): zones known, IPs from the stack's outputs only", () => {
        const e = expectedFromStack(readStackFile("existing-vpc").config);
        assert.ok(
            e.controlPlaneSlots.every((s) => s.zone && s.ip === undefined),
            JSON.stringify(e.controlPlaneSlots),
        );
        assert.deepStrictEqual(
            e.controlPlaneSlots.map((s) => s.name),
            goldenOutputs("existing-vpc").controlPlaneSlots.map((s: { name: string }) => s.name),
        );
    });

    it("workloads follow the addon toggles: dev (no cluster-autoscaler) has none of it; staging has every addon", () => {
        const names = (stack: string) => expectedFromStack(readStackFile(stack).config).workloads.map((w) => w.name);
        assert.ok(!names("dev").includes("cluster-autoscaler"));
        assert.deepStrictEqual(names("staging"), [
            "kube-proxy",
            "coredns",
            "tigera-operator",
            "calico-node",
            "calico-typha",
            "calico-kube-controllers",
            "csi-node-driver",
            "kube2iam",
            "external-dns",
            "aws-cloud-controller-manager",
            "ebs-csi-controller",
            "ebs-csi-node",
            "cluster-autoscaler",
            "metrics-server",
            "kubelet-csr-approver",
        ]);
    });

    it("a stack the program would refuse is refused the same way (every problem, keyed as the render keys them)", () => {
        const config = { ...readStackFile("staging").config };
        const cluster = JSON.parse(config["k8s-aws:cluster"]);
        cluster.controlPlane.count = 2;
        cluster.nodePools[0].min = -1;
        config["k8s-aws:cluster"] = JSON.stringify(cluster);
        assert.throws(
            () => expectedFromStack(config),
            (e: unknown) => ConfigError.is(e) && e.problems.some((p) => p.key === "k8s-aws:cluster.controlPlane.count") && e.problems.some((p) => p.key === "k8s-aws:cluster.nodePools[0].min"),
        );
    });

    it("every stack in stacks/ yields an expectation (none throws)", () => {
        for (const stack of listStacks()) assert.ok(expectedFromStack(readStackFile(stack).config).controlPlaneSlots.length >= 1, stack);
    });
});
