/**
 * Rung 3: `npm run validate` against the real control plane of the staging render (the pinned
 * kubeadm, etcd 3.6.16 and kube-apiserver 1.35.8 on 127.0.0.1, as controlPlane.spec.ts starts
 * them), through the program's own admin kubeconfig with its server moved to loopback. No
 * controller-manager or scheduler runs, so the Node, DaemonSet, Deployment, Pod, Lease and CSR
 * objects the tests create through the API (status through the status subresource) keep exactly
 * the state written: each scenario makes one thing unhealthy, asserts the failure line and the
 * exit code, and restores it. Started once for the file (slow on 2 shared cores).
 */
import * as assert from "assert";
import { ChildProcess, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { DEFAULT_KUBERNETES_MINOR } from "../../config/versions";
import { toolPaths } from "../../tools/real/pins";
import { readStackFile } from "../../tools/offline/stackFile";
import { expectedFromStack, ExpectedCluster } from "../../tools/validate/expected";
import { main } from "../../tools/validate/cli";
import { POOL_LABEL } from "../../lib/naming";
import { removeTempDirs, tempDir } from "../support/shell";
import {
    Credentials,
    Fatal,
    Rendered,
    advertiseAddress,
    bindClusterAdmins,
    flag,
    freePorts,
    isUp,
    kubeadm,
    kubeconfigCredentials,
    localKubeadmConfig,
    localKubeconfigs,
    manifestCommand,
    placeControlPlaneFiles,
    relocate,
    renderStack,
    request,
    startProcess,
    stopAll,
    until,
    writeUnder,
} from "./controlPlaneRig";
import { requireTools } from "./requireTools";

const STACK = "staging";
const LOCAL_CONFIG = "/etc/kubernetes/k8s-aws-local/kubeadm-init.yaml";
const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

describe(`real/validate: npm run validate against the ${STACK} render's real control plane (kube-apiserver 1.35.8, etcd 3.6.16) on 127.0.0.1`, function () {
    this.timeout(300_000);
    let rendered: Rendered;
    let dir = "";
    let api = "";
    let admin: Credentials;
    let kubeconfigFile = "";
    let expected: ExpectedCluster;
    let etcd: ChildProcess;
    const cpNodes: string[] = [];
    const poolNodes: string[] = [];

    before(async function () {
        const tools = requireTools(this, ["etcd", "kubeApiserver"], { kubeadm: toolPaths().kubeadmByMinor[DEFAULT_KUBERNETES_MINOR].path });
        const kubeadmBin = toolPaths().kubeadmByMinor[DEFAULT_KUBERNETES_MINOR].path;
        rendered = await renderStack(STACK);
        dir = tempDir("real-validate");
        const root = path.join(dir, "root");
        const logs = path.join(dir, "logs");
        fs.mkdirSync(logs, { recursive: true });
        placeControlPlaneFiles(rendered, root);
        const [apiPort, etcdClient, etcdPeer, etcdMetrics] = await freePorts(4);
        api = `https://127.0.0.1:${apiPort}`;
        const init = rendered.objects.get(`control-plane/slots/${rendered.slot}/kubeadm-init.yaml`)!;
        writeUnder(root, LOCAL_CONFIG, localKubeadmConfig(init, apiPort), 0o600);
        for (const phase of [
            ["certs", "all"],
            ["kubeconfig", "all"],
            ["etcd", "local"],
            ["control-plane", "all"],
        ])
            kubeadm(kubeadmBin, root, ["init", "phase", ...phase, "--config", LOCAL_CONFIG]);
        const advertise = advertiseAddress(init);
        localKubeconfigs(root, advertise);
        const to = new Map([
            [`127.0.0.1:2379`, `127.0.0.1:${etcdClient}`],
            [`127.0.0.1:2380`, `127.0.0.1:${etcdPeer}`],
            [`127.0.0.1:2381`, `127.0.0.1:${etcdMetrics}`],
        ]);
        const etcdCmd = relocate(manifestCommand(root, "etcd"), root, to, new Set([advertise]));
        const apiCmd = [...relocate(manifestCommand(root, "kube-apiserver"), root, to, new Set([advertise])), "--bind-address=127.0.0.1"];
        for (const d of [flag(etcdCmd, "data-dir")!, path.dirname(flag(apiCmd, "audit-log-path")!)]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
        admin = kubeconfigCredentials(rendered.adminKubeconfig);
        etcd = startProcess(tools.etcd, etcdCmd, path.join(logs, "etcd.log"));
        const apiserver = startProcess(tools.kubeApiserver, apiCmd, path.join(logs, "kube-apiserver.log"));
        await until(
            "kube-apiserver /readyz",
            180_000,
            async () => {
                if (!isUp(apiserver)) throw new Fatal(`kube-apiserver exited: ${fs.readFileSync(path.join(logs, "kube-apiserver.log"), "utf8").slice(-2000)}`);
                return (await request(api, admin, "GET", "/readyz")).status === 200 ? true : undefined;
            },
            500,
        );
        await bindClusterAdmins(api, kubeconfigCredentials(fs.readFileSync(path.join(root, "etc/kubernetes/super-admin.conf"), "utf8")));

        // The program's admin kubeconfig output, its server moved to the loopback apiserver (the certificate names 127.0.0.1).
        const kc = parse(rendered.adminKubeconfig);
        for (const c of kc.clusters) c.cluster.server = api;
        kubeconfigFile = path.join(dir, "kubeconfig");
        fs.writeFileSync(kubeconfigFile, stringify(kc), { mode: 0o600 });

        expected = expectedFromStack(readStackFile(STACK).config, { controlPlaneSlots: rendered.outputs.controlPlaneSlots });
        await makeHealthyCluster();
    });

    after(async () => {
        await stopAll();
        removeTempDirs();
    });

    // ---- the API, as a kubelet, the controllers and an approver would write it ------------------

    async function call(method: string, p: string, body?: unknown, contentType?: string): Promise<any> {
        const r = await request(api, admin, method, p, body, 15_000, contentType);
        assert.ok(r.status >= 200 && r.status < 300, `${method} ${p}: HTTP ${r.status} ${r.body.slice(0, 500)}`);
        return r.json;
    }
    const create = (p: string, body: unknown) => call("POST", p, body);
    const patchStatus = (p: string, status: unknown) => call("PATCH", `${p}/status`, { status }, "application/merge-patch+json");
    const patch = (p: string, body: unknown) => call("PATCH", p, body, "application/merge-patch+json");
    const now = () => new Date().toISOString();

    const readyNodeStatus = (ip: string, ready: boolean) => ({
        addresses: [{ type: "InternalIP", address: ip }],
        conditions: [
            {
                type: "Ready",
                status: ready ? "True" : "False",
                reason: ready ? "KubeletReady" : "KubeletNotReady",
                message: ready
                    ? "kubelet is posting ready status"
                    : "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized",
                lastHeartbeatTime: now(),
                lastTransitionTime: now(),
            },
        ],
    });

    async function addNode(name: string, labels: Record<string, string>, ip: string): Promise<void> {
        await create("/api/v1/nodes", {
            apiVersion: "v1",
            kind: "Node",
            metadata: { name, labels },
            spec: { providerID: `aws:///${labels["topology.kubernetes.io/zone"]}/i-0${Buffer.from(name).toString("hex").slice(-16)}` },
        });
        await patchStatus(`/api/v1/nodes/${name}`, readyNodeStatus(ip, true));
    }

    async function addPod(ns: string, name: string, node: string, ready: boolean, containerStatus?: unknown): Promise<void> {
        await create(`/api/v1/namespaces/${ns}/pods`, {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name },
            spec: { nodeName: node, containers: [{ name: (containerStatus as { name?: string } | undefined)?.name ?? "main", image: "registry.k8s.io/pause:3.10" }] },
        });
        await patchStatus(`/api/v1/namespaces/${ns}/pods/${name}`, {
            phase: "Running",
            conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: now() }],
            ...(containerStatus ? { containerStatuses: [containerStatus] } : {}),
        });
    }

    async function renewLeases(): Promise<void> {
        for (const name of ["kube-controller-manager", "kube-scheduler"]) {
            const micro = new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
            const p = `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`;
            const existing = await request(api, admin, "GET", p);
            if (existing.status === 404) {
                await create("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", {
                    apiVersion: "coordination.k8s.io/v1",
                    kind: "Lease",
                    metadata: { name },
                    spec: { holderIdentity: `${cpNodes[0]}_x`, leaseDurationSeconds: 15, acquireTime: micro, renewTime: micro },
                });
            } else {
                await patch(p, { spec: { renewTime: micro } });
            }
        }
    }

    const workloadPath = (w: { kind: string; namespace: string; name: string }) => `/apis/apps/v1/namespaces/${w.namespace}/${w.kind === "DaemonSet" ? "daemonsets" : "deployments"}/${w.name}`;
    const allNodes = () => cpNodes.length + poolNodes.length;

    async function setWorkloadStatus(w: { kind: string; namespace: string; name: string }, available: number): Promise<void> {
        const obj = await call("GET", workloadPath(w));
        const gen = obj.metadata.generation;
        if (w.kind === "DaemonSet") {
            const want = allNodes();
            await patchStatus(workloadPath(w), {
                currentNumberScheduled: want,
                desiredNumberScheduled: want,
                numberMisscheduled: 0,
                numberReady: available,
                updatedNumberScheduled: want,
                numberAvailable: available,
                numberUnavailable: want - available || null,
                observedGeneration: gen,
            });
        } else {
            const want = obj.spec.replicas;
            await patchStatus(workloadPath(w), { replicas: want, updatedReplicas: want, readyReplicas: available, availableReplicas: available, observedGeneration: gen });
        }
    }

    async function makeHealthyCluster(): Promise<void> {
        for (const ns of expected.systemNamespaces.filter((n) => n !== "kube-system")) await create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
        // The service account controller is not running: the default accounts pods are admitted with.
        for (const ns of expected.systemNamespaces) {
            const r = await request(api, admin, "POST", `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default" } });
            assert.ok(r.status === 201 || r.status === 409, r.body);
        }
        // A control-plane node per slot, as kubeadm registers it (role label) after the cloud controller
        // set its zone, with the slot's fixed IP as InternalIP (kubelet --node-ip).
        for (const s of expected.controlPlaneSlots) {
            const name = `ip-${s.ip!.replace(/\./g, "-")}.eu-west-1.compute.internal`;
            cpNodes.push(name);
            await addNode(name, { "node-role.kubernetes.io/control-plane": "", "topology.kubernetes.io/zone": s.zone!, "kubernetes.io/hostname": name }, s.ip!);
            for (const c of ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"]) await addPod("kube-system", `${c}-${name}`, name, true);
        }
        // The pool's desired nodes (3), labelled by their kubelets (--node-labels, components/nodepools/labels.ts).
        const pool = expected.pools[0];
        for (let i = 0; i < pool.desired; i++) {
            const ip = `10.20.${64 + i}.${20 + i}`;
            const name = `ip-${ip.replace(/\./g, "-")}.eu-west-1.compute.internal`;
            poolNodes.push(name);
            await addNode(name, { [POOL_LABEL]: pool.name, workload: "general", "topology.kubernetes.io/zone": expected.controlPlaneSlots[i % 3].zone! }, ip);
        }
        for (const w of expected.workloads) {
            const labels = { app: w.name };
            const template = { metadata: { labels }, spec: { containers: [{ name: w.name, image: "registry.k8s.io/pause:3.10" }] } };
            const spec = w.kind === "DaemonSet" ? { selector: { matchLabels: labels }, template } : { replicas: 2, selector: { matchLabels: labels }, template };
            await create(`/apis/apps/v1/namespaces/${w.namespace}/${w.kind === "DaemonSet" ? "daemonsets" : "deployments"}`, { apiVersion: "apps/v1", kind: w.kind, metadata: { name: w.name }, spec });
            await setWorkloadStatus(w, w.kind === "DaemonSet" ? allNodes() : 2);
        }
        await addPod("calico-system", "calico-node-healthy", poolNodes[0], true, {
            name: "calico-node",
            ready: true,
            restartCount: 0,
            image: "x",
            imageID: "",
            started: true,
            state: { running: { startedAt: now() } },
        });
    }

    // ---- running the CLI -------------------------------------------------------------------

    async function validate(...extra: string[]): Promise<{ code: number; out: string; err: string }> {
        await renewLeases();
        let out = "";
        let err = "";
        const code = await main(
            ["--stack", STACK, "--kubeconfig", kubeconfigFile, "--aws", "off", ...extra],
            { out: (t) => (out += t), err: (t) => (err += t) },
            { env: {}, stackOutput: () => ({ error: "ENOENT" }) },
        );
        return { code, out, err };
    }
    const failLines = (err: string) => err.split("\n").filter((l) => l.startsWith("FAIL "));

    it("the slots derived from the stack configuration are the ones the program outputs (names, zones, fixed IPs)", () => {
        const fromConfig = expectedFromStack(readStackFile(STACK).config);
        assert.deepStrictEqual(fromConfig.controlPlaneSlots, rendered.outputs.controlPlaneSlots);
        assert.deepStrictEqual(expected.controlPlaneSlots, rendered.outputs.controlPlaneSlots);
    });

    it("a healthy cluster: every check passes, exit 0 (the npm script as a user runs it)", async () => {
        await renewLeases();
        const r = spawnSync("npm", ["run", "-s", "validate", "--", "--stack", STACK, "--kubeconfig", kubeconfigFile, "--aws", "off"], {
            cwd: PROJECT_ROOT,
            encoding: "utf8",
            timeout: 120_000,
            env: { ...process.env, AWS_ACCESS_KEY_ID: "", AWS_PROFILE: "" },
        });
        assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, /cluster of stack staging is healthy/);
        for (const what of [
            /etcd +\/readyz etcd +ok/,
            /control plane +control-plane-a \(eu-west-1a\) +ok/,
            /node pool +general +ok +3 node\(s\) Ready/,
            /Calico node +calico-system\/daemonset\/calico-node +ok +6\/6 available/,
            /CoreDNS +kube-system\/deployment\/coredns +ok/,
            /leader election/,
        ]) {
            assert.match(r.stdout, what);
        }
        assert.strictEqual(r.stderr.trim(), "");
        // The kubeconfig never reaches the output.
        const kc = parse(fs.readFileSync(kubeconfigFile, "utf8"));
        assert.ok(!r.stdout.includes(kc.users[0].user["client-key-data"].slice(0, 40)));
        console.log(
            r.stdout
                .split("\n")
                .map((l) => `      ${l}`)
                .join("\n"),
        );
    });

    it("a NotReady node: its line and exit 1", async () => {
        const node = poolNodes[1];
        await patchStatus(`/api/v1/nodes/${node}`, readyNodeStatus("10.20.65.21", false));
        try {
            const r = await validate();
            assert.strictEqual(r.code, 1, r.err);
            assert.deepStrictEqual(failLines(r.err), [
                `FAIL node ready ${node}: not Ready: Ready=False (KubeletNotReady: container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized)`,
            ]);
        } finally {
            await patchStatus(`/api/v1/nodes/${node}`, readyNodeStatus("10.20.65.21", true));
        }
    });

    it("a NotReady control-plane node fails its slot too", async () => {
        const node = cpNodes[2];
        const slot = expected.controlPlaneSlots[2];
        await patchStatus(`/api/v1/nodes/${node}`, readyNodeStatus(slot.ip!, false));
        try {
            const r = await validate("--output", "json");
            assert.strictEqual(r.code, 1, r.err);
            const report = JSON.parse(r.out);
            assert.strictEqual(report.healthy, false);
            const failed = report.results.filter((x: any) => !x.ok).map((x: any) => `${x.check} ${x.where}`);
            assert.deepStrictEqual(failed, [`control plane ${slot.name} (${slot.zone})`, `node ready ${node}`]);
        } finally {
            await patchStatus(`/api/v1/nodes/${node}`, readyNodeStatus(slot.ip!, true));
        }
    });

    it("a missing pool (a pool in the stack with no node): its line and exit 1", async () => {
        const doc = parse(fs.readFileSync(path.join(PROJECT_ROOT, "stacks", `Pulumi.${STACK}.yaml`), "utf8"));
        doc.config["k8s-aws:cluster"].nodePools.push({ name: "batch", instanceTypes: ["m7i.large"], min: 1, desired: 1, max: 3 });
        const file = path.join(dir, `Pulumi.${STACK}.yaml`);
        fs.writeFileSync(file, stringify(doc));
        let out = "";
        let err = "";
        await renewLeases();
        const code = await main(
            ["--stack-file", file, "--kubeconfig", kubeconfigFile, "--aws", "off"],
            { out: (t) => (out += t), err: (t) => (err += t) },
            { env: {}, stackOutput: () => ({ error: "ENOENT" }) },
        );
        assert.strictEqual(code, 1, err);
        assert.deepStrictEqual(failLines(err), ["FAIL node pool batch: no node registered; expected at least 1 (min 1, desired at creation 1; cluster-autoscaler sets the size)"]);
        assert.match(out, /node pool +general +ok/);
    });

    it("a crash-looping Calico pod and its DaemonSet not fully available: their lines and exit 1", async () => {
        const ds = expected.workloads.find((w) => w.name === "calico-node")!;
        await addPod("calico-system", "calico-node-crash", poolNodes[2], false, {
            name: "calico-node",
            ready: false,
            restartCount: 7,
            image: "x",
            imageID: "",
            started: false,
            state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 5m0s restarting failed container" } },
        });
        await setWorkloadStatus(ds, allNodes() - 1);
        try {
            const r = await validate();
            assert.strictEqual(r.code, 1, r.err);
            assert.deepStrictEqual(failLines(r.err), [
                "FAIL Calico node calico-system/daemonset/calico-node: 5/6 available, 6/6 updated, 1 unavailable",
                "FAIL system pod calico-system/pod/calico-node-crash: container calico-node: CrashLoopBackOff (7 restarts)",
            ]);
        } finally {
            await call("DELETE", "/api/v1/namespaces/calico-system/pods/calico-node-crash?gracePeriodSeconds=0");
            await setWorkloadStatus(ds, allNodes());
        }
    });

    it("a missing addon workload (the EBS CSI controller deleted): not found, exit 1", async () => {
        const w = expected.workloads.find((x) => x.name === "ebs-csi-controller")!;
        const obj = await call("GET", workloadPath(w));
        await call("DELETE", workloadPath(w));
        try {
            const r = await validate();
            assert.strictEqual(r.code, 1);
            assert.deepStrictEqual(failLines(r.err), ["FAIL EBS CSI controller aws-ebs-csi/deployment/ebs-csi-controller: not found"]);
        } finally {
            await create(`/apis/apps/v1/namespaces/${w.namespace}/deployments`, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: w.name }, spec: obj.spec });
            await setWorkloadStatus(w, 2);
        }
    });

    it("a kubelet serving CSR pending longer than the threshold: its line and exit 1; younger, no failure", async () => {
        const node = poolNodes[0];
        const key = path.join(dir, "csr.key");
        const r0 = spawnSync(
            "openssl",
            [
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                key,
                "-subj",
                `/O=system:nodes/CN=system:node:${node}`,
                "-addext",
                `subjectAltName=DNS:${node},IP:10.20.64.20`,
            ],
            { encoding: "utf8" },
        );
        assert.strictEqual(r0.status, 0, r0.stderr);
        const name = "csr-validate-test";
        await create("/apis/certificates.k8s.io/v1/certificatesigningrequests", {
            apiVersion: "certificates.k8s.io/v1",
            kind: "CertificateSigningRequest",
            metadata: { name },
            spec: { request: Buffer.from(r0.stdout).toString("base64"), signerName: "kubernetes.io/kubelet-serving", usages: ["digital signature", "server auth"] },
        });
        try {
            const young = await validate();
            assert.strictEqual(young.code, 0, young.err);
            assert.match(young.out, /kubelet serving CSR +all +ok +none pending longer than 5m \(1 younger\)/);
            await new Promise((r) => setTimeout(r, 2100));
            const old = await validate("--csr-max-age", "2s");
            assert.strictEqual(old.code, 1, old.err);
            const lines = failLines(old.err);
            assert.strictEqual(lines.length, 1, old.err);
            // The admin created it here; on a cluster the requester is the node (system:node:<name>).
            assert.match(lines[0], /^FAIL kubelet serving CSR csr-validate-test: pending for \d+s \(requested by kubernetes-admin\S*\); the approver has not approved it$/);
        } finally {
            await call("DELETE", `/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}`);
        }
    });

    it("a node the cloud controller has not initialised (uninitialized taint): its line and exit 1", async () => {
        const node = poolNodes[2];
        await patch(`/api/v1/nodes/${node}`, { spec: { taints: [{ key: "node.cloudprovider.kubernetes.io/uninitialized", value: "true", effect: "NoSchedule" }] } });
        try {
            const r = await validate();
            assert.strictEqual(r.code, 1);
            assert.deepStrictEqual(failLines(r.err), [`FAIL node initialized ${node}: has the node.cloudprovider.kubernetes.io/uninitialized taint: the AWS cloud controller has not initialised it`]);
        } finally {
            await patch(`/api/v1/nodes/${node}`, { spec: { taints: null } });
        }
    });

    it("a scheduler that stopped renewing its lease: its line and exit 1", async () => {
        await renewLeases();
        const stale = new Date(Date.now() - 120_000).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
        let out = "";
        let err = "";
        await patch("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler", { spec: { renewTime: stale } });
        const code = await main(
            ["--stack", STACK, "--kubeconfig", kubeconfigFile, "--aws", "off"],
            { out: (t) => (out += t), err: (t) => (err += t) },
            { env: {}, stackOutput: () => ({ error: "ENOENT" }) },
        );
        assert.strictEqual(code, 1, out);
        assert.deepStrictEqual(
            failLines(err).map((l) => l.replace(/for \d+m\d*s?/, "for N")),
            [`FAIL leader election kube-system/lease/kube-scheduler: held by ${cpNodes[0]}_x but not renewed for N`],
        );
    });

    it("--wait: polls with progress lines until the cluster is healthy", async () => {
        const node = poolNodes[0];
        await patchStatus(`/api/v1/nodes/${node}`, readyNodeStatus("10.20.64.20", false));
        setTimeout(() => void patchStatus(`/api/v1/nodes/${node}`, readyNodeStatus("10.20.64.20", true)), 2500);
        const r = await validate("--wait", "30s");
        assert.strictEqual(r.code, 0, r.err);
        assert.match(r.err, /^waiting \(attempt 1, \d+s of 30s\): 1 check\(s\) failing, e\.g\. FAIL node ready /m);
        assert.match(r.out, /is healthy/);
    });

    it("etcd not answering: the apiserver's etcd readiness check fails, named, exit 1; the rest is read from its watch cache", async () => {
        await renewLeases();
        etcd.kill("SIGSTOP");
        try {
            await until(
                "kube-apiserver to report etcd failing",
                60_000,
                async () => ((await request(api, admin, "GET", "/readyz?verbose", undefined, 15_000)).status === 500 ? true : undefined),
                1000,
            );
            let out = "";
            let err = "";
            const code = await main(
                ["--stack", STACK, "--kubeconfig", kubeconfigFile, "--aws", "off"],
                { out: (t) => (out += t), err: (t) => (err += t) },
                { env: {}, stackOutput: () => ({ error: "ENOENT" }) },
            );
            console.log(
                failLines(err)
                    .map((l) => `      ${l}`)
                    .join("\n"),
            );
            assert.strictEqual(code, 1, err);
            assert.ok(failLines(err).includes("FAIL etcd /readyz etcd: failed: reason withheld"), err);
            assert.ok(
                failLines(err).every((l) => /^FAIL (etcd|apiserver) \/readyz /.test(l)),
                err,
            );
            assert.match(out, /node pool +general +ok +3 node\(s\) Ready/);
            assert.match(out, /Calico node +calico-system\/daemonset\/calico-node +ok/);
        } finally {
            etcd.kill("SIGCONT");
        }
        await until("kube-apiserver ready again", 120_000, async () => ((await request(api, admin, "GET", "/readyz")).status === 200 ? true : undefined), 1000);
    });

    it("an unreachable API: one line, exit 2 (also after --wait runs out)", async () => {
        const [closed] = await freePorts(1);
        const kc = parse(fs.readFileSync(kubeconfigFile, "utf8"));
        for (const c of kc.clusters) c.cluster.server = `https://127.0.0.1:${closed}`;
        const file = path.join(dir, "kubeconfig-unreachable");
        fs.writeFileSync(file, stringify(kc), { mode: 0o600 });
        for (const extra of [[], ["--wait", "2s"]]) {
            let out = "";
            let err = "";
            const code = await main(
                ["--stack", STACK, "--kubeconfig", file, "--aws", "off", ...extra],
                { out: (t) => (out += t), err: (t) => (err += t) },
                { env: {}, stackOutput: () => ({ error: "ENOENT" }) },
            );
            assert.strictEqual(code, 2, err);
            assert.strictEqual(out, "");
            assert.strictEqual(
                err
                    .split("\n")
                    .filter((l) => l && !l.startsWith("waiting"))
                    .join("\n"),
                `cannot reach the Kubernetes API at https://127.0.0.1:${closed}: connect ECONNREFUSED 127.0.0.1:${closed}`,
            );
        }
    });
});
