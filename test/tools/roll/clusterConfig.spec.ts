/**
 * The roll's cluster-wide configuration and kubeadm addon steps in the plan and its dry-run text
 * (rung 1: our own expectation; test/real/rollClusterConfig.spec.ts holds the same steps against the
 * real API server and the real kubeadm of each pinned minor).
 */
import * as assert from "assert";
import { COREFILE_COMPATIBLE_COREDNS_TAGS, KUBEADM_COREDNS_TAGS, KUBERNETES_RELEASES, SUPPORTED_KUBERNETES_MINORS } from "../../../config/versions";
import { KUBEADM_RBAC, rbacKey } from "../../../tools/roll/kube";
import { formatPlan, planRoll, RollStep } from "../../../tools/roll/plan";
import type { LiveCluster, LiveState, Rollout } from "../../../tools/roll/state";

const V_OLD = "v1.35.9";
const V_NEW = "v1.36.4";

function rollout(version = "1.36.4"): Rollout {
    const slot = (name: string) => ({ role: "control-plane" as const, name, groupName: `asg-${name}`, launchTemplateId: `lt-${name}`, launchTemplateVersion: "2", templateFingerprint: "f" });
    return {
        kubernetesVersion: version,
        groups: [
            slot("control-plane-a"),
            { role: "pool", name: "general", groupName: "asg-general", launchTemplateId: "lt-general", launchTemplateVersion: "2", templateFingerprint: "f", minHealthyPercentage: 75 },
        ],
    };
}

/** Every instance on template version `version`; the cluster as kubeadm init at 1.35 left it, with `cluster` overrides. */
function live(cluster: Partial<LiveCluster> = {}, version = "1"): LiveState {
    const group = (g: string, id: string) => ({
        groupName: g,
        desiredCapacity: 1,
        instances: [{ instanceId: id, lifecycleState: "InService", healthStatus: "Healthy", launchTemplateVersion: version }],
    });
    return {
        groups: { "asg-control-plane-a": group("asg-control-plane-a", "i-00000000000000001"), "asg-general": group("asg-general", "i-00000000000000002") },
        cluster: {
            apiServerVersion: V_OLD,
            kubeadmKubernetesVersion: V_OLD,
            kubeProxyImage: `registry.k8s.io/kube-proxy:${V_OLD}`,
            coreDnsImage: "registry.k8s.io/coredns/coredns:v1.13.1",
            missingKubeadmRbac: [],
            kubeletConfigPresent: true,
            nodes: [],
            ...cluster,
        },
    };
}

const kinds = (steps: readonly RollStep[]) => steps.map((s) => s.kind);

describe("roll plan: cluster-wide configuration and kubeadm's addons", () => {
    it("pins one CoreDNS tag per supported minor, each one whose Corefile moves unchanged", () => {
        assert.deepStrictEqual(Object.keys(KUBEADM_COREDNS_TAGS).sort(), [...SUPPORTED_KUBERNETES_MINORS].sort());
        for (const tag of Object.values(KUBEADM_COREDNS_TAGS)) assert.ok(COREFILE_COMPATIBLE_COREDNS_TAGS.includes(tag), tag);
        assert.strictEqual(KUBERNETES_RELEASES["1.36"], V_NEW.slice(1), "the tests below roll to the 1.36 pin");
    });

    it("1.35 to 1.36: kubeadm-config first, CoreDNS then kube-proxy after the control plane, then the pool; the dry run says each change", () => {
        const plan = planRoll(rollout(), live({}, "1"));
        assert.deepStrictEqual(plan.problems, []);
        assert.deepStrictEqual(kinds(plan.steps), ["cluster-config", "replace-slot", "coredns", "kube-proxy", "refresh-pool"]);
        const cc = plan.steps[0] as Extract<RollStep, { kind: "cluster-config" }>;
        assert.deepStrictEqual([cc.setKubernetesVersion, cc.createRbac], [true, []]);
        assert.deepStrictEqual(plan.steps[2], { kind: "coredns", from: "registry.k8s.io/coredns/coredns:v1.13.1", to: "registry.k8s.io/coredns/coredns:v1.14.2" });
        const text = formatPlan("prod", plan).join("\n");
        assert.match(
            text,
            /1\. cluster-wide configuration:\n {7}ConfigMap kube-system\/kubeadm-config: ClusterConfiguration\.kubernetesVersion v1\.35\.9 -> v1\.36\.4 .*\n {7}ConfigMap kube-system\/kubelet-config: kept \(kubeadm writes the same kubelet configuration at v1\.36\.4 as before\)/,
        );
        assert.match(
            text,
            /3\. Deployment kube-system\/coredns: image registry\.k8s\.io\/coredns\/coredns:v1\.13\.1 -> registry\.k8s\.io\/coredns\/coredns:v1\.14\.2 \(what kubeadm v1\.36\.4 deploys; Corefile kept/,
        );
        assert.match(text, /4\. DaemonSet kube-system\/kube-proxy: image registry\.k8s\.io\/kube-proxy:v1\.35\.9 -> registry\.k8s\.io\/kube-proxy:v1\.36\.4/);
    });

    it("1.36 to 1.37 moves CoreDNS to v1.14.6", () => {
        const plan = planRoll(
            rollout("1.37.1"),
            live({ apiServerVersion: V_NEW, kubeadmKubernetesVersion: V_NEW, kubeProxyImage: `registry.k8s.io/kube-proxy:${V_NEW}`, coreDnsImage: "registry.k8s.io/coredns/coredns:v1.14.2" }),
        );
        assert.deepStrictEqual(
            plan.steps.find((s) => s.kind === "coredns"),
            { kind: "coredns", from: "registry.k8s.io/coredns/coredns:v1.14.2", to: "registry.k8s.io/coredns/coredns:v1.14.6" },
        );
    });

    it("creates only the kubeadm RBAC objects the cluster lacks, in the cluster-wide step, and says which phase writes each", () => {
        const missing = ["ClusterRoleBinding kubeadm:apiserver-kubelet-client", "RoleBinding kube-public/kubeadm:bootstrap-signer-clusterinfo"];
        const plan = planRoll(rollout(), live({ missingKubeadmRbac: missing }));
        const cc = plan.steps[0] as Extract<RollStep, { kind: "cluster-config" }>;
        assert.deepStrictEqual(cc.createRbac, missing);
        const text = formatPlan("prod", plan).join("\n");
        assert.match(text, /create ClusterRoleBinding kubeadm:apiserver-kubelet-client \(kubeadm's bootstrap-token phase writes it; missing from the cluster\)/);
        assert.match(text, /create RoleBinding kube-public\/kubeadm:bootstrap-signer-clusterinfo \(kubeadm's bootstrap-token phase writes it/);
    });

    it("a cluster already on the target with RBAC missing gets a cluster-wide step that only creates it (also for --only pools: pool joins need it)", () => {
        const done = live(
            {
                apiServerVersion: V_NEW,
                kubeadmKubernetesVersion: V_NEW,
                kubeProxyImage: `registry.k8s.io/kube-proxy:${V_NEW}`,
                coreDnsImage: "registry.k8s.io/coredns/coredns:v1.14.2",
                missingKubeadmRbac: ["ClusterRoleBinding kubeadm:get-nodes"],
            },
            "2",
        );
        for (const scope of [{ kind: "all" as const }, { kind: "pools" as const }]) {
            const plan = planRoll(rollout(), done, scope);
            assert.deepStrictEqual(plan.steps, [
                {
                    kind: "cluster-config",
                    kubernetesVersion: V_NEW,
                    setKubernetesVersion: false,
                    createRbac: ["ClusterRoleBinding kubeadm:get-nodes"],
                    changes: ["create ClusterRoleBinding kubeadm:get-nodes (kubeadm's bootstrap-token phase writes it; missing from the cluster)"],
                },
            ]);
        }
        assert.deepStrictEqual(planRoll(rollout(), { ...done, cluster: { ...done.cluster!, missingKubeadmRbac: [] } }).steps, [], "nothing to roll");
    });

    it("--only pools leaves kubeadm-config and the addons alone", () => {
        const plan = planRoll(rollout(), live({ apiServerVersion: V_NEW }), { kind: "pools" });
        assert.deepStrictEqual(kinds(plan.steps), ["refresh-pool"]);
    });

    it("leaves CoreDNS alone, with a note, when it is not kubeadm's image, newer than the target's, or a release whose Corefile the roll cannot vouch for", () => {
        const cases: Array<[string, RegExp]> = [
            ["docker.io/coredns/coredns:1.13.1", /not kubeadm's image registry\.k8s\.io\/coredns\/coredns/],
            ["registry.k8s.io/coredns/coredns:v1.14.6", /newer than v1\.14\.2, which kubeadm v1\.36\.4 deploys/],
            ["registry.k8s.io/coredns/coredns:v1.12.4", /its Corefile may need a migration to v1\.14\.2 that the roll does not make/],
            ["registry.k8s.io/coredns/coredns", /its Corefile may need a migration/],
        ];
        for (const [image, why] of cases) {
            const plan = planRoll(rollout(), live({ coreDnsImage: image }));
            assert.ok(!plan.steps.some((s) => s.kind === "coredns"), image);
            const note = plan.notes.find((n) => n.startsWith("Deployment kube-system/coredns"));
            assert.match(note ?? "", why, image);
            assert.match(note!, /left as it is \(`kubeadm upgrade apply v<patch>` on one control-plane slot after the roll migrates it/);
        }
    });

    it("no CoreDNS Deployment (or none read): no CoreDNS step", () => {
        assert.ok(!planRoll(rollout(), live({ coreDnsImage: undefined })).steps.some((s) => s.kind === "coredns"));
    });

    it("refuses to start when ConfigMap kube-system/kubelet-config is missing (every join downloads it)", () => {
        const plan = planRoll(rollout(), live({ kubeletConfigPresent: false }));
        assert.deepStrictEqual(plan.steps, []);
        assert.match(
            plan.problems.join("\n"),
            /ConfigMap kube-system\/kubelet-config is missing: every kubeadm join downloads the kubelet configuration from it .*sudo kubeadm init phase upload-config kubelet --config \/etc\/kubernetes\/pki\/kubeadm\/init\.yaml/,
        );
    });

    it("KUBEADM_RBAC: unique keys, and each binding refers to a role of the same scope", () => {
        const keys = KUBEADM_RBAC.map(rbacKey);
        assert.strictEqual(new Set(keys).size, keys.length);
        for (const o of KUBEADM_RBAC) {
            if (o.kind.endsWith("Binding")) assert.ok(o.roleRef && o.subjects?.length && !o.rules, rbacKey(o));
            else assert.ok(o.rules?.length && !o.roleRef && !o.subjects, rbacKey(o));
            if (o.kind === "RoleBinding") assert.strictEqual(o.roleRef!.kind, "Role", rbacKey(o));
            if (o.kind === "RoleBinding" || o.kind === "Role") assert.ok(o.namespace, rbacKey(o));
        }
    });
});
