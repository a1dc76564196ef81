/**
 * Rung 3 for the roll's Kubernetes side (tools/roll/kube.ts): the calls the executor makes, against
 * the real kube-apiserver and kube-controller-manager (its disruption controller computes what a
 * PodDisruptionBudget allows) of the staging render, run as controlPlaneRig.ts runs them on
 * 127.0.0.1. There is no kubelet: the test plays it (it creates the Node objects and sets pods'
 * and nodes' status), as test/real/roll.spec.ts plays it for instances moto launches.
 */
import * as assert from "assert";
import { parse } from "yaml";
import { removeTempDirs } from "../support/shell";
import { Credentials, request, stopAll, until } from "./controlPlaneRig";
import { startRollControlPlane } from "./rollControlPlane";
import { kubePort, readinessGate, KubeCredentials } from "../../tools/roll/kube";
import type { KubePort } from "../../tools/roll/ports";

const INSTANCE = "i-0123456789abcdef0";

describe("real/roll: the roll's Kubernetes calls against the real API server and controller-manager", function () {
    this.timeout(300_000);
    let api = "";
    let admin: Credentials;
    let creds: KubeCredentials;
    let kube: KubePort;

    before(async function () {
        const cp = await startRollControlPlane(this);
        ({ api, admin, creds } = cp);
        kube = kubePort(creds);
    });

    after(async () => {
        await stopAll();
        removeTempDirs();
    });

    const post = async (p: string, body: unknown) => {
        const r = await request(api, admin, "POST", p, body);
        assert.strictEqual(r.status, 201, `${p}: ${r.body}`);
        return r.json;
    };
    const patchStatus = async (p: string, status: unknown) => {
        const r = await request(api, admin, "PATCH", `${p}/status`, { status }, 15_000, "application/merge-patch+json");
        assert.strictEqual(r.status, 200, `${p}/status: ${r.body}`);
    };
    const ready = (v: boolean) => ({
        conditions: [
            { type: "Ready", status: v ? "True" : "False", reason: "Test", message: "played by the test", lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() },
        ],
    });

    it("reads the API server's version and kubeadm-config, and sets only ClusterConfiguration.kubernetesVersion", async () => {
        const before = await kube.cluster();
        assert.match(before.apiServerVersion ?? "", /^v1\.35\.\d+$/);
        const cm0 = (await request(api, admin, "GET", "/api/v1/namespaces/kube-system/configmaps/kubeadm-config")).json;
        const doc0 = parse(cm0.data.ClusterConfiguration);
        assert.strictEqual(before.kubeadmKubernetesVersion, doc0.kubernetesVersion);
        await kube.setKubeadmKubernetesVersion("v1.36.4");
        const doc1 = parse((await request(api, admin, "GET", "/api/v1/namespaces/kube-system/configmaps/kubeadm-config")).json.data.ClusterConfiguration);
        assert.strictEqual(doc1.kubernetesVersion, "v1.36.4");
        assert.deepStrictEqual({ ...doc1, kubernetesVersion: doc0.kubernetesVersion }, doc0, "nothing else of the ClusterConfiguration changed");
        assert.strictEqual((await kube.cluster()).kubeadmKubernetesVersion, "v1.36.4");
    });

    it("finds a node by its instance, cordons it, and the readiness gate follows its Ready condition", async () => {
        const name = "ip-10-0-1-10.eu-west-1.compute.internal";
        await post("/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name }, spec: { providerID: `aws:///eu-west-1a/${INSTANCE}` } });
        await patchStatus(`/api/v1/nodes/${name}`, { ...ready(true), nodeInfo: { kubeletVersion: "v1.35.8" } });
        const node = (await kube.nodes()).find((n) => n.instanceId === INSTANCE)!;
        assert.deepStrictEqual([node.name, node.ready, node.unschedulable], [name, true, false]);
        assert.strictEqual((await readinessGate(creds, kube)()).healthy, true);
        await kube.cordon(name);
        assert.strictEqual((await kube.nodes()).find((n) => n.name === name)!.unschedulable, true);
        await patchStatus(`/api/v1/nodes/${name}`, ready(false));
        const gate = await readinessGate(creds, kube)();
        assert.strictEqual(gate.healthy, false);
        assert.ok(gate.results.some((r) => r.check === "node-ready" && r.where === name && !r.ok));
        await patchStatus(`/api/v1/nodes/${name}`, ready(true));
    });

    it("drains through evictions: DaemonSet pods skipped, a PodDisruptionBudget blocks (429) what it protects", async () => {
        const node = "ip-10-0-1-10.eu-west-1.compute.internal";
        const ds = await post("/apis/apps/v1/namespaces/default/daemonsets", {
            apiVersion: "apps/v1",
            kind: "DaemonSet",
            metadata: { name: "agent" },
            spec: {
                selector: { matchLabels: { app: "agent" } },
                template: { metadata: { labels: { app: "agent" } }, spec: { nodeSelector: { none: "none" }, containers: [{ name: "a", image: "registry.k8s.io/pause:3.10" }] } },
            },
        });
        await post("/api/v1/namespaces/default/pods", {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "agent-x", labels: { app: "agent" }, ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: ds.metadata.uid, controller: true }] },
            spec: { nodeName: node, containers: [{ name: "a", image: "registry.k8s.io/pause:3.10" }] },
        });
        for (const p of ["web-1", "web-2"]) {
            await post("/api/v1/namespaces/default/pods", {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: p, labels: { app: "web" } },
                spec: {
                    nodeName: node,
                    containers: [{ name: "w", image: "registry.k8s.io/pause:3.10" }],
                    // web-2 keeps scratch data in an emptyDir: what `kubectl drain` refuses without --delete-emptydir-data.
                    ...(p === "web-2" ? { volumes: [{ name: "scratch", emptyDir: {} }] } : {}),
                },
            });
            await patchStatus(`/api/v1/namespaces/default/pods/${p}`, { phase: "Running", ...ready(true) });
        }
        // A finished bare pod: nothing of it is lost (kubectl drain's filters let finished pods go).
        await post("/api/v1/namespaces/default/pods", {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "job-done" },
            spec: { nodeName: node, restartPolicy: "Never", containers: [{ name: "j", image: "registry.k8s.io/pause:3.10" }], volumes: [{ name: "scratch", emptyDir: {} }] },
        });
        await patchStatus("/api/v1/namespaces/default/pods/job-done", { phase: "Succeeded" });
        await post("/apis/policy/v1/namespaces/default/poddisruptionbudgets", {
            apiVersion: "policy/v1",
            kind: "PodDisruptionBudget",
            metadata: { name: "web" },
            spec: { minAvailable: 1, selector: { matchLabels: { app: "web" } } },
        });
        // The disruption controller (kube-controller-manager) computes what the budget allows.
        await until(
            "the PDB's status",
            120_000,
            async () => {
                const r = await request(api, admin, "GET", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web");
                return r.json?.status?.currentHealthy === 2 && r.json?.status?.disruptionsAllowed === 1 ? true : undefined;
            },
            500,
        );
        const pods = await kube.podsOn(node);
        assert.deepStrictEqual(pods.map((p) => `${p.name}:${p.skip}`).sort(), ["agent-x:true", "job-done:false", "web-1:false", "web-2:false"]);
        // What each eviction loses, as the API server returns the pods (the bare web pods have no controller).
        assert.deepStrictEqual(Object.fromEntries(pods.map((p) => [p.name, p.loses])), {
            "agent-x": [],
            "job-done": [],
            "web-1": ["no controller recreates it"],
            "web-2": ["no controller recreates it", "its emptyDir data (scratch) is deleted"],
        });
        assert.deepStrictEqual(await kube.evict("default", "web-1"), { result: "evicted" });
        // The 429 names the budget (its DisruptionBudget cause): the roll's failure message says which budget holds a drain.
        assert.deepStrictEqual(await kube.evict("default", "web-2"), { result: "blocked", budget: "web" }, "the budget keeps one web pod");
        assert.deepStrictEqual(await kube.evict("default", "no-such-pod"), { result: "gone" });
    });

    it("says whether the stacked etcd member on a node is healthy (its etcd static pod Ready)", async () => {
        const node = "ip-10-0-1-10.eu-west-1.compute.internal";
        assert.strictEqual(await kube.etcdMemberHealthy(node), false, "no etcd pod yet");
        await post("/api/v1/namespaces/kube-system/pods", {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: `etcd-${node}` },
            spec: { nodeName: node, containers: [{ name: "etcd", image: "registry.k8s.io/etcd:3.6.5-0" }] },
        });
        assert.strictEqual(await kube.etcdMemberHealthy(node), false, "not Ready");
        await patchStatus(`/api/v1/namespaces/kube-system/pods/etcd-${node}`, { phase: "Running", ...ready(true) });
        assert.strictEqual(await kube.etcdMemberHealthy(node), true);
    });

    it("sets kube-proxy's image on its DaemonSet", async () => {
        assert.strictEqual((await kube.cluster()).kubeProxyImage, undefined, "no kube-proxy DaemonSet yet");
        await post("/apis/apps/v1/namespaces/kube-system/daemonsets", {
            apiVersion: "apps/v1",
            kind: "DaemonSet",
            metadata: { name: "kube-proxy" },
            spec: {
                selector: { matchLabels: { k8s: "kube-proxy" } },
                template: { metadata: { labels: { k8s: "kube-proxy" } }, spec: { containers: [{ name: "kube-proxy", image: "registry.k8s.io/kube-proxy:v1.35.9" }] } },
            },
        });
        assert.strictEqual((await kube.cluster()).kubeProxyImage, "registry.k8s.io/kube-proxy:v1.35.9");
        await kube.setKubeProxyImage("registry.k8s.io/kube-proxy:v1.36.4");
        assert.strictEqual((await kube.cluster()).kubeProxyImage, "registry.k8s.io/kube-proxy:v1.36.4");
    });
});
