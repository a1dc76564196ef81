/**
 * Rung 3 for the roll's cluster-wide configuration and kubeadm addon steps (tools/roll/plan.ts,
 * execute.ts, kube.ts): the staging render's real kube-apiserver 1.35.8 (test/real/rollControlPlane.ts)
 * is given what the real kubeadm v1.35.8 writes at `kubeadm init` (upload-config, bootstrap-token,
 * CoreDNS and kube-proxy addons). The roll then plans and runs its steps to 1.36, then to 1.37, and after
 * each the REAL kubeadm of the target minor runs the same phases (what `kubeadm upgrade apply` would do)
 * over the result: it must find nothing to change. So the test compares what the roll leaves in the
 * cluster with what kubeadm itself deploys at that minor, object by object.
 *
 * The API server stays 1.35.8 throughout (the control plane is not replaced here): the plans for 1.37 are
 * made with the API server's version reported as 1.36 (the roll's skew rule would otherwise refuse, as it
 * should). The objects these steps touch are served the same by any of the three.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse, parseAllDocuments, stringify } from "yaml";
import { KUBEADM_COREDNS_TAGS, KUBERNETES_RELEASES, KubernetesMinor } from "../../config/versions";
import { toolPaths } from "../../tools/real/pins";
import { executePlan } from "../../tools/roll/execute";
import { run } from "../../tools/roll/index";
import { KUBEADM_RBAC, kubePort, rbacKey } from "../../tools/roll/kube";
import { planRoll, RollStep } from "../../tools/roll/plan";
import type { AutoScalingPort, KubePort } from "../../tools/roll/ports";
import type { LiveState, Rollout } from "../../tools/roll/state";
import { removeTempDirs } from "../support/shell";
import { Credentials, kubeadm, request, stopAll, writeUnder } from "./controlPlaneRig";
import { startRollControlPlane } from "./rollControlPlane";

const SUPER_ADMIN = "/etc/kubernetes/super-admin.conf";
const RBAC = "/apis/rbac.authorization.k8s.io/v1";

/** A roll with nothing to replace: only the cluster-wide and addon steps are planned. */
function rolloutAt(version: string): Rollout {
    return {
        kubernetesVersion: version,
        groups: [{ role: "control-plane", name: "control-plane-a", groupName: "asg-a", launchTemplateId: "lt-a", launchTemplateVersion: "1", templateFingerprint: "f" }],
    };
}
const GROUPS: LiveState["groups"] = {
    "asg-a": { groupName: "asg-a", desiredCapacity: 1, instances: [{ instanceId: "i-00000000000000001", lifecycleState: "InService", healthStatus: "Healthy", launchTemplateVersion: "1" }] },
};
/** The executor's AWS side is never called by these steps: any call fails the test. */
const NO_AWS = new Proxy({}, { get: (_t, p) => () => Promise.reject(new Error(`AWS called (${String(p)}) by a cluster-wide step`)) }) as AutoScalingPort;

describe("real/roll: the cluster-wide step and kubeadm's addons leave what the real kubeadm of the target minor deploys", function () {
    this.timeout(600_000);
    let api = "";
    let admin: Credentials;
    let kube: KubePort;
    let root = "";
    let baseConfig = "";

    const get = async (p: string) => {
        const r = await request(api, admin, "GET", p);
        assert.strictEqual(r.status, 200, `${p}: ${r.status} ${r.body.slice(0, 300)}`);
        return r.json;
    };
    /** The kubeadm config of the rig with kubernetesVersion set to `version`, written under root; its path inside root. */
    const configAt = (version: string) => {
        const docs = parseAllDocuments(baseConfig).map((d) => d.toJSON());
        for (const d of docs) if (d.kind === "ClusterConfiguration") d.kubernetesVersion = `v${version}`;
        const p = `/etc/kubernetes/k8s-aws-local/kubeadm-${version}.yaml`;
        writeUnder(root, p, docs.map((d) => stringify(d)).join("---\n"), 0o600);
        return p;
    };
    const kubeadmOf = (minor: KubernetesMinor) => toolPaths().kubeadmByMinor[minor];
    /** The phases `kubeadm init` runs for what a roll changes (and `kubeadm upgrade apply` re-runs). */
    const kubeadmPhases = (minor: KubernetesMinor, phases: ReadonlyArray<readonly string[]>) => {
        const { path: bin, version } = kubeadmOf(minor);
        const config = configAt(version);
        for (const phase of phases) kubeadm(bin, root, ["init", "phase", ...phase, "--config", config, "--kubeconfig", SUPER_ADMIN]);
    };
    const rbacPathOf = (o: (typeof KUBEADM_RBAC)[number]) => `${RBAC}${o.namespace ? `/namespaces/${o.namespace}` : ""}/${o.kind.toLowerCase()}s/${o.name}`;
    /** The content of each kubeadm RBAC object (rules, roleRef, subjects), by key. */
    const rbacContent = async () =>
        Object.fromEntries(
            await Promise.all(
                KUBEADM_RBAC.map(async (o) => {
                    const x = await get(rbacPathOf(o));
                    return [rbacKey(o), { rules: x.rules, roleRef: x.roleRef, subjects: x.subjects }] as const;
                }),
            ),
        );
    /** Every RBAC object named kubeadm:* in the cluster (to see a minor add one). */
    const kubeadmRbacNames = async () => {
        const names: string[] = [];
        for (const [kind, where] of [
            ["ClusterRole", "/clusterroles"],
            ["ClusterRoleBinding", "/clusterrolebindings"],
            ["Role", "/namespaces/kube-system/roles"],
            ["Role", "/namespaces/kube-public/roles"],
            ["RoleBinding", "/namespaces/kube-system/rolebindings"],
            ["RoleBinding", "/namespaces/kube-public/rolebindings"],
        ]) {
            for (const x of (await get(`${RBAC}${where}`)).items as any[]) {
                if (x.metadata.name.startsWith("kubeadm:")) names.push(rbacKey({ kind: kind as any, namespace: x.metadata.namespace, name: x.metadata.name }));
            }
        }
        return names.sort();
    };
    const addons = async () => {
        const dns = await get("/apis/apps/v1/namespaces/kube-system/deployments/coredns");
        const proxy = await get("/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy");
        return {
            dnsSpec: dns.spec,
            corefile: (await get("/api/v1/namespaces/kube-system/configmaps/coredns")).data,
            proxySpec: proxy.spec,
            proxyConfig: (await get("/api/v1/namespaces/kube-system/configmaps/kube-proxy")).data,
        };
    };
    const clusterConfiguration = async () => parse((await get("/api/v1/namespaces/kube-system/configmaps/kubeadm-config")).data.ClusterConfiguration);
    const kubeletConfig = async () => (await get("/api/v1/namespaces/kube-system/configmaps/kubelet-config")).data;

    /** Plans the roll to `version` against the live cluster (the API server reported at `apiAs`) and runs the steps of `kinds`. */
    const roll = async (version: string, apiAs: string | undefined, kinds: readonly RollStep["kind"][]) => {
        const cluster = await kube.cluster();
        const plan = planRoll(rolloutAt(version), { groups: GROUPS, cluster: { ...cluster, apiServerVersion: apiAs ?? cluster.apiServerVersion } });
        assert.deepStrictEqual(plan.problems, []);
        const steps = plan.steps.filter((s) => kinds.includes(s.kind));
        const lines: string[] = [];
        const result = await executePlan({ ...plan, steps }, { autoscaling: NO_AWS, kube, healthGate: async () => ({ healthy: true, results: [] }), progress: (l) => lines.push(l) });
        assert.strictEqual(result.failed, undefined, lines.join("\n"));
        return steps;
    };

    before(async function () {
        const cp = await startRollControlPlane(this);
        ({ api, admin, root } = cp);
        kube = kubePort(cp.creds);
        for (const minor of ["1.36", "1.37"] as const) if (!fs.existsSync(kubeadmOf(minor).path)) this.skip();
        baseConfig = fs.readFileSync(path.join(root, cp.kubeadmConfig), "utf8");
        // What `kubeadm init` at the cluster's minor leaves (the rig already ran upload-config and bootstrap-token).
        kubeadmPhases("1.35", [
            ["addon", "coredns"],
            ["addon", "kube-proxy"],
        ]);
    });

    after(async () => {
        await stopAll();
        removeTempDirs();
    });

    it("reads what kubeadm v1.35 deployed: its CoreDNS tag, kube-proxy at the cluster's version, kubelet-config, and none of KUBEADM_RBAC missing, each as kubeadm writes it", async () => {
        const c = await kube.cluster();
        assert.strictEqual(c.coreDnsImage, `registry.k8s.io/coredns/coredns:${KUBEADM_COREDNS_TAGS["1.35"]}`);
        assert.strictEqual(c.kubeProxyImage, `registry.k8s.io/kube-proxy:v${kubeadmOf("1.35").version}`);
        assert.strictEqual(c.kubeletConfigPresent, true);
        assert.deepStrictEqual(c.missingKubeadmRbac, []);
        const live = await rbacContent();
        for (const o of KUBEADM_RBAC) {
            // kubeadm:cluster-admins is made by the rig (bindClusterAdmins, as kubeadm's EnsureAdminClusterRoleBinding), not by these phases.
            const want = { rules: o.rules, roleRef: o.roleRef, subjects: o.subjects };
            assert.deepStrictEqual(JSON.parse(JSON.stringify(live[rbacKey(o)])), JSON.parse(JSON.stringify(want)), rbacKey(o));
        }
    });

    it("npm run roll --dry-run against it prints each cluster-wide and addon change, and changes nothing", async () => {
        const state = async () => ({
            kubeadmConfig: (await get("/api/v1/namespaces/kube-system/configmaps/kubeadm-config")).metadata.resourceVersion,
            // The controllers keep writing these objects' status: their spec's generation is the witness.
            coredns: (await get("/apis/apps/v1/namespaces/kube-system/deployments/coredns")).metadata.generation,
            proxy: (await get("/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy")).metadata.generation,
        });
        const before = await state();
        const deleted = KUBEADM_RBAC.find((o) => o.name === "kubeadm:node-autoapprove-certificate-rotation")!;
        assert.strictEqual((await request(api, admin, "DELETE", rbacPathOf(deleted))).status, 200);
        const asg = { describeGroups: async () => Object.values(GROUPS) } as unknown as AutoScalingPort;
        let out = "";
        const code = await run(
            { stack: "staging", scope: { kind: "all" }, dryRun: true, yes: false },
            { rollout: rolloutAt(KUBERNETES_RELEASES["1.36"]) },
            { autoscaling: asg, kube },
            { out: (t) => void (out += t), err: (t) => void (out += t) },
        );
        assert.strictEqual(code, 0, out);
        const want = [
            /1\. cluster-wide configuration:/,
            /ConfigMap kube-system\/kubeadm-config: ClusterConfiguration\.kubernetesVersion v1\.35\.\d+ -> v1\.36\.4/,
            /ConfigMap kube-system\/kubelet-config: kept/,
            /create ClusterRoleBinding kubeadm:node-autoapprove-certificate-rotation \(kubeadm's bootstrap-token phase writes it; missing from the cluster\)/,
            /2\. Deployment kube-system\/coredns: image registry\.k8s\.io\/coredns\/coredns:v1\.13\.1 -> registry\.k8s\.io\/coredns\/coredns:v1\.14\.2/,
            /3\. DaemonSet kube-system\/kube-proxy: image registry\.k8s\.io\/kube-proxy:v1\.35\.8 -> registry\.k8s\.io\/kube-proxy:v1\.36\.4/,
        ];
        for (const re of want) assert.match(out, re);
        assert.deepStrictEqual(await state(), before, "a dry run changes nothing");
        assert.strictEqual((await request(api, admin, "GET", rbacPathOf(deleted))).status, 404, "a dry run creates nothing");
    });

    for (const [minor, from] of [
        ["1.36", "1.35"],
        ["1.37", "1.36"],
    ] as const) {
        const version = KUBERNETES_RELEASES[minor];
        describe(`to ${minor}`, () => {
            const apiAs = minor === "1.37" ? `v${KUBERNETES_RELEASES["1.36"]}` : undefined;

            it(`the cluster-wide step recreates deleted kubeadm RBAC and sets kubeadm-config, and the real kubeadm v${kubeadmOf(minor).version}'s upload-config and bootstrap-token phases change nothing of it`, async () => {
                const missingBefore = minor === "1.36" ? ["ClusterRoleBinding kubeadm:node-autoapprove-certificate-rotation"] : []; // deleted by the dry-run test
                const namesBefore = [...(await kubeadmRbacNames()), ...missingBefore].sort();
                const deleted = KUBEADM_RBAC.filter((o) => ["kubeadm:apiserver-kubelet-client", "kubeadm:bootstrap-signer-clusterinfo", "kubeadm:get-nodes"].includes(o.name));
                for (const o of deleted) assert.strictEqual((await request(api, admin, "DELETE", rbacPathOf(o))).status, 200, rbacKey(o));
                const kubeletBefore = await kubeletConfig();
                const ccBefore = await clusterConfiguration();

                const steps = await roll(version, apiAs, ["cluster-config"]);
                assert.deepStrictEqual(
                    steps.map((s) => s.kind === "cluster-config" && [s.setKubernetesVersion, [...s.createRbac].sort()]),
                    [[true, [...deleted.map(rbacKey), ...missingBefore].sort()]],
                );
                const ccRolled = await clusterConfiguration();
                assert.deepStrictEqual({ ...ccRolled, kubernetesVersion: ccBefore.kubernetesVersion }, ccBefore, "only kubernetesVersion changed");
                assert.strictEqual(ccRolled.kubernetesVersion, `v${version}`);
                const rbacRolled = await rbacContent();
                assert.deepStrictEqual((await kube.cluster()).missingKubeadmRbac, []);

                // kubeadm of the target minor, as `kubeadm upgrade apply` runs upload-config and bootstrap-token.
                kubeadmPhases(minor, [["upload-config", "kubeadm"], ["upload-config", "kubelet"], ["bootstrap-token"]]);
                assert.deepStrictEqual(await clusterConfiguration(), ccRolled, `kubeadm v${version} uploads the ClusterConfiguration the roll left`);
                assert.deepStrictEqual(await rbacContent(), rbacRolled, `kubeadm v${version} writes the RBAC objects as the roll created them`);
                assert.deepStrictEqual(await kubeadmRbacNames(), namesBefore, `kubeadm v${version} adds no kubeadm:* RBAC object that v${from} did not`);
                assert.deepStrictEqual(await kubeletConfig(), kubeletBefore, `kubelet-config: kubeadm v${version} writes what v${from} wrote`);
            });

            it(`CoreDNS then kube-proxy, after the control plane: the real kubeadm v${kubeadmOf(minor).version}'s addon phases find the Deployment and DaemonSet specs as they deploy them`, async () => {
                const before = await addons();
                const steps = await roll(version, apiAs, ["coredns", "kube-proxy"]);
                assert.deepStrictEqual(
                    steps.map((s) => s.kind),
                    ["coredns", "kube-proxy"],
                );
                const rolled = await addons();
                const c = await kube.cluster();
                assert.strictEqual(c.coreDnsImage, `registry.k8s.io/coredns/coredns:${KUBEADM_COREDNS_TAGS[minor]}`);
                assert.strictEqual(c.kubeProxyImage, `registry.k8s.io/kube-proxy:v${version}`);
                assert.deepStrictEqual(rolled.corefile, before.corefile, "Corefile kept");

                // The target kubeadm's own manifests (offline), then its real install over the roll's result.
                const { path: bin, version: built } = kubeadmOf(minor);
                const printed = (phase: string) =>
                    parseAllDocuments(
                        kubeadm(bin, root, ["init", "phase", "addon", phase, "--print-manifest", "--config", configAt(built)])
                            .split("\n")
                            .filter((l) => !/^[IWE]\d{4} /.test(l))
                            .join("\n"),
                    )
                        .map((d) => d.toJSON())
                        .filter(Boolean);
                const dnsDeployment = printed("coredns").find((d: any) => d.kind === "Deployment");
                assert.strictEqual(dnsDeployment.spec.template.spec.containers[0].image, c.coreDnsImage, "the image kubeadm's manifest names");
                kubeadmPhases(minor, [
                    ["addon", "coredns"],
                    ["addon", "kube-proxy"],
                ]);
                const after = await addons();
                // The whole spec, as the API server holds it after kubeadm's update (metadata.generation is no witness: kubeadm's
                // Update drops the deployment controller's revision annotation, and an annotation change bumps it too).
                assert.deepStrictEqual(after.dnsSpec, rolled.dnsSpec, `kubeadm v${built} changed the CoreDNS Deployment's spec the roll left`);
                assert.deepStrictEqual(after.corefile, rolled.corefile, `kubeadm v${built} keeps the Corefile`);
                assert.deepStrictEqual(after.proxySpec, rolled.proxySpec, `kubeadm v${built} changed the kube-proxy DaemonSet's spec the roll left`);
                assert.deepStrictEqual(after.proxyConfig, rolled.proxyConfig, `kubeadm v${built} writes the kube-proxy ConfigMap the roll left`);
            });
        });
    }
});
