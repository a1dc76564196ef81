/**
 * The roll plan (tools/roll/plan.ts) for every stack and for a version, an
 * instance-type and a user-data change: which groups roll, in which order,
 * and why; and the skew checks that stop a roll before it starts.
 */
import * as assert from "assert";
import { readStackFile } from "../../../tools/offline/stackFile";
import { KUBERNETES_RELEASES } from "../../../config/versions";
import { formatPlan, planRoll, RollStep } from "../../../tools/roll/plan";
import type { Rollout } from "../../../components/rollout";
import { editedStack, liveFrom, redeployed, rolloutOfStack, templateVersionKey } from "./fixtures";

const v135 = `v${KUBERNETES_RELEASES["1.35"]}`;
const v136 = `v${KUBERNETES_RELEASES["1.36"]}`;
const label = (s: RollStep) => (s.kind === "replace-slot" || s.kind === "refresh-pool" ? `${s.kind}:${s.group.name}` : s.kind);

describe("roll plan", function () {
    this.timeout(180_000);
    const rollouts = new Map<string, Rollout>();
    const STACKS = ["dev", "staging", "prod", "existing-vpc", "shared-vpc"];
    before(async () => {
        for (const s of STACKS) rollouts.set(s, await rolloutOfStack(readStackFile(s)));
    });

    it("has nothing to roll for any stack whose instances run their groups' latest versions", () => {
        for (const s of STACKS) {
            const r = rollouts.get(s)!;
            const plan = planRoll(r, liveFrom(r, { kubelet: `v${r.kubernetesVersion}` }));
            assert.deepStrictEqual(plan.problems, [], s);
            assert.deepStrictEqual(plan.steps, [], s);
            assert.deepStrictEqual(
                plan.upToDate,
                r.groups.map((g) => g.name),
                s,
            );
            assert.match(formatPlan(s, plan)[0], /nothing to roll/);
        }
    });

    it("rolls every group of every stack launched from an older version, control plane first, one step per slot", () => {
        for (const s of STACKS) {
            const r = rollouts.get(s)!;
            const plan = planRoll(r, liveFrom(r, { kubelet: `v${r.kubernetesVersion}`, version: () => "0" }));
            const want = [
                ...r.groups.filter((g) => g.role === "control-plane").map((g) => `replace-slot:${g.name}`),
                ...r.groups.filter((g) => g.role === "etcd").map((g) => `replace-slot:${g.name}`),
                ...r.groups.filter((g) => g.role === "pool").map((g) => `refresh-pool:${g.name}`),
            ];
            assert.deepStrictEqual(plan.steps.map(label), want, s);
        }
    });

    describe("prod moving from 1.35 to 1.36", () => {
        let rollout: Rollout;
        before(async () => {
            rollout = redeployed(rollouts.get("prod")!, await rolloutOfStack(editedStack("prod", (c) => (c.kubernetesVersion = "1.36"))));
        });

        it("updates the cluster-wide configuration first, then each control-plane slot, kube-proxy, then the pools; etcd stays", () => {
            const plan = planRoll(rollout, liveFrom(rollout, { kubelet: v135, version: () => "1" }));
            assert.deepStrictEqual(plan.problems, []);
            assert.deepStrictEqual(plan.steps.map(label), [
                "cluster-config",
                "replace-slot:control-plane-a",
                "replace-slot:control-plane-b",
                "replace-slot:control-plane-c",
                "kube-proxy",
                "refresh-pool:general",
                "refresh-pool:batch",
            ]);
            assert.deepStrictEqual(plan.upToDate, ["etcd-a", "etcd-b", "etcd-c"]);
            const text = formatPlan("prod", plan).join("\n");
            assert.match(text, new RegExp(`kubeadm-config: ClusterConfiguration.kubernetesVersion ${v135} -> ${v136}`));
            assert.match(text, new RegExp(`launch template version 1 is out of date \\(latest 2\\); kubelet ${v135} -> ${v136}`));
            assert.match(text, new RegExp(`kube-proxy: image registry.k8s.io/kube-proxy:${v135} -> registry.k8s.io/kube-proxy:${v136}`));
            assert.match(text, /note: pulumi up already set the addon images pinned to 1\.36.*cloud-controller-manager v1\.36\.1/);
        });

        it("refuses to roll the pools before the control plane (kubelet never newer than the API server)", () => {
            const plan = planRoll(rollout, liveFrom(rollout, { kubelet: v135, version: () => "1" }), { kind: "pools" });
            assert.deepStrictEqual(plan.steps, []);
            assert.match(plan.problems.join("\n"), /--only pools: the control plane still runs v1\.35\.\d+ .*roll the control plane first/);
        });

        it("--only control-plane rolls the slots and stops before the pools; a re-run skips what is done (resume)", () => {
            const live = liveFrom(rollout, { kubelet: v135, version: () => "1" });
            const cp = planRoll(rollout, live, { kind: "control-plane" });
            assert.deepStrictEqual(cp.steps.map(label), ["cluster-config", "replace-slot:control-plane-a", "replace-slot:control-plane-b", "replace-slot:control-plane-c", "kube-proxy"]);
            // control-plane-a was replaced before an interruption: its instance runs version 2.
            const a = rollout.groups.find((g) => g.name === "control-plane-a")!;
            const after = {
                ...live,
                groups: {
                    ...live.groups,
                    [a.groupName]: { ...live.groups[a.groupName], instances: [{ ...live.groups[a.groupName].instances[0], instanceId: "i-0000000000000fff0", launchTemplateVersion: "2" }] },
                },
                cluster: { ...live.cluster!, kubeadmKubernetesVersion: v136 },
            };
            assert.deepStrictEqual(planRoll(rollout, after, { kind: "control-plane" }).steps.map(label), ["replace-slot:control-plane-b", "replace-slot:control-plane-c", "kube-proxy"]);
        });
    });

    it("a pool's instance type change rolls that pool only, and says so", async () => {
        const before = rollouts.get("prod")!;
        const rollout = redeployed(before, await rolloutOfStack(editedStack("prod", (c) => (c.nodePools[1].instanceTypes = ["c7i.4xlarge", "c6i.4xlarge", "c7a.4xlarge"]))));
        const batch = rollout.groups.find((g) => g.name === "batch")!;
        const templates = {
            [templateVersionKey(batch.launchTemplateId, "1")]: { imageId: "ami-1", instanceType: "c7i.2xlarge", userDataSha256: "a" },
            [templateVersionKey(batch.launchTemplateId, "2")]: { imageId: "ami-1", instanceType: "c7i.4xlarge", userDataSha256: "a" },
        };
        const plan = planRoll(
            rollout,
            liveFrom(rollout, {
                kubelet: v135,
                version: (name) => (name === batch.groupName ? "1" : rollout.groups.find((g) => g.groupName === name)!.launchTemplateVersion),
                instanceType: "c7i.2xlarge",
                templates,
            }),
        );
        assert.deepStrictEqual(plan.steps.map(label), ["refresh-pool:batch"]);
        assert.match(
            formatPlan("prod", plan).join("\n"),
            /instance refresh of 2 of 2 instance\(s\), at least 90% healthy.*\n.*launch template version 1 is out of date \(latest 2\); instance type changed \(c7i\.2xlarge -> c7i\.4xlarge\)$/m,
        );
    });

    it("a user-data change (a new label) rolls that pool only, and says the user data changed", async () => {
        const before = rollouts.get("prod")!;
        const rollout = redeployed(before, await rolloutOfStack(editedStack("prod", (c) => (c.nodePools[0].labels = { ...(c.nodePools[0].labels ?? {}), "example.com/tier": "gold" }))));
        const general = rollout.groups.find((g) => g.name === "general")!;
        const templates = {
            [templateVersionKey(general.launchTemplateId, "1")]: { imageId: "ami-1", instanceType: "m7i.xlarge", userDataSha256: "a" },
            [templateVersionKey(general.launchTemplateId, "2")]: { imageId: "ami-1", instanceType: "m7i.xlarge", userDataSha256: "b" },
        };
        const plan = planRoll(
            rollout,
            liveFrom(rollout, {
                kubelet: v135,
                version: (name) => (name === general.groupName ? "1" : rollout.groups.find((g) => g.groupName === name)!.launchTemplateVersion),
                instanceType: "m7i.xlarge",
                templates,
            }),
        );
        assert.deepStrictEqual(plan.steps.map(label), ["refresh-pool:general"]);
        assert.match(formatPlan("prod", plan).join("\n"), /launch template version 1 is out of date \(latest 2\); user data changed$/m);
    });

    const refusals: { name: string; api: string; kubelet?: string; mentions: RegExp }[] = [
        { name: "templates two minors ahead of the API server", api: "v1.33.7", mentions: /one minor at a time.*roll 1\.34 first/ },
        { name: "templates older than the API server", api: "v1.36.4", mentions: /never downgraded/ },
        { name: "a kubelet more than three minors behind", api: "v1.35.0", kubelet: "v1.31.4", mentions: /kubelet v1\.31\.4, more than three minors behind/ },
    ];
    for (const r of refusals) {
        it(`refuses to start: ${r.name}`, () => {
            const rollout = rollouts.get("prod")!;
            const live = liveFrom(rollout, { kubelet: r.kubelet ?? r.api, version: () => "0" });
            const plan = planRoll(rollout, { ...live, cluster: { ...live.cluster!, apiServerVersion: r.api } });
            assert.deepStrictEqual(plan.steps, []);
            assert.match(plan.problems.join("\n"), r.mentions);
            assert.match(formatPlan("prod", plan)[0], /cannot start/);
        });
    }

    it("names a missing group and an unknown pool instead of guessing", () => {
        const rollout = rollouts.get("prod")!;
        const live = liveFrom(rollout, { kubelet: v135 });
        const { [rollout.groups[0].groupName]: _gone, ...rest } = live.groups;
        assert.match(planRoll(rollout, { ...live, groups: rest }).problems.join("\n"), /control-plane-a: Auto Scaling group .* not found/);
        assert.match(planRoll(rollout, live, { kind: "pool", name: "gpu" }).problems.join("\n"), /no pool named "gpu" \(pools: general, batch\)/);
    });
});
