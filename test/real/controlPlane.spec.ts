/**
 * Rung 3: the staging render's control plane (stacked etcd) run by the real kubeadm, etcd,
 * kube-apiserver, kube-controller-manager and kube-scheduler at the pinned versions, on
 * 127.0.0.1. See controlPlaneRig.ts for how the rendered files are placed and what is remapped.
 * kubeadm writes the manifests from the slot's kubeadm-init.yaml exactly as the slot's bootstrap
 * script hands it over (components/host/controlPlaneBootstrap.ts), the PKI
 * pre-placed as the secrets unit places it; what is asserted is what a user relies on.
 * Every process is stopped in after(), also on failure.
 */
import * as assert from "assert";
import { ChildProcess, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { performance } from "perf_hooks";
import { parse } from "yaml";
import { DEFAULT_KUBERNETES_MINOR } from "../../config/versions";
import { toolPaths } from "../../tools/real/pins";
import { removeTempDirs, tempDir } from "../support/shell";
import { ALL_ON, runAddons } from "../support/addonFixtures";
import { runStackFixture, unwrapSecrets } from "../support/harness";
import {
    Credentials,
    Fatal,
    Rendered,
    advertiseAddress,
    bindClusterAdmins,
    flag,
    localKubeconfigs,
    freePorts,
    isUp,
    kubeadm,
    kubeconfigCredentials,
    localKubeadmConfig,
    manifestCommand,
    placeControlPlaneFiles,
    relocate,
    renderStack,
    request,
    serverSideApplier,
    startProcess,
    stopAll,
    until,
    writeUnder,
} from "./controlPlaneRig";
import { requireTools } from "./requireTools";

const STACK = "staging";

/** Every Kubernetes object a stack declares outside Helm releases, as the program passes it to the provider. */
async function declaredObjects(stack: string): Promise<any[]> {
    const run = await runStackFixture(stack);
    return run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release").map((r) => unwrapSecrets(r.inputs) as any);
}
const LOCAL_CONFIG = "/etc/kubernetes/k8s-aws-local/kubeadm-init.yaml";

describe(`real/controlPlane: the ${STACK} render's control plane (stacked etcd) run by the pinned kubeadm, etcd and Kubernetes binaries on 127.0.0.1`, function () {
    this.timeout(300_000);
    let tools: ReturnType<typeof toolPaths>;
    let kubeadmBin = "";
    let rendered: Rendered;
    let root = "";
    let logs = "";
    let api = "";
    let admin: Credentials;
    let etcdTls: { cacert: string; cert: string; key: string };
    let etcdEndpoint = "";
    const cmd: Record<string, string[]> = {};
    const procs: Record<string, ChildProcess> = {};
    const timings: Record<string, number> = {};

    before(async function () {
        tools = requireTools(this, ["etcd", "etcdctl", "kubeApiserver", "kubeControllerManager", "kubeScheduler"], { kubeadm: toolPaths().kubeadmByMinor[DEFAULT_KUBERNETES_MINOR].path });
        kubeadmBin = toolPaths().kubeadmByMinor[DEFAULT_KUBERNETES_MINOR].path;
        rendered = await renderStack(STACK);
        assert.strictEqual(rendered.topology, "stacked");
        const dir = tempDir("real-control-plane");
        root = path.join(dir, "root");
        logs = path.join(dir, "logs");
        fs.mkdirSync(logs, { recursive: true });
        placeControlPlaneFiles(rendered, root);

        const [apiPort, etcdClient, etcdPeer, etcdMetrics, kcm1, kcm2, sched1, sched2] = await freePorts(8);
        api = `https://127.0.0.1:${apiPort}`;
        const init = rendered.objects.get(`control-plane/slots/${rendered.slot}/kubeadm-init.yaml`)!;
        writeUnder(root, LOCAL_CONFIG, localKubeadmConfig(init, apiPort), 0o600);

        // kubeadm's own phases, as `kubeadm init` runs them, chrooted into the root.
        const t0 = performance.now();
        for (const phase of [
            ["certs", "all"],
            ["kubeconfig", "all"],
            ["etcd", "local"],
            ["control-plane", "all"],
        ])
            kubeadm(kubeadmBin, root, ["init", "phase", ...phase, "--config", LOCAL_CONFIG]);
        timings.kubeadmPhasesMs = performance.now() - t0;
        const advertise = advertiseAddress(init);
        localKubeconfigs(root, advertise);

        const to = new Map([
            [`127.0.0.1:2379`, `127.0.0.1:${etcdClient}`],
            [`127.0.0.1:2380`, `127.0.0.1:${etcdPeer}`],
            [`127.0.0.1:2381`, `127.0.0.1:${etcdMetrics}`],
        ]);
        for (const name of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]) cmd[name] = relocate(manifestCommand(root, name), root, to, new Set([advertise]));
        // Loopback only: the apiserver binds every interface unless told; controller-manager and scheduler
        // serve on fixed default ports (10257/10259), moved to free ones (a second pair runs beside them).
        cmd["kube-apiserver"].push("--bind-address=127.0.0.1");
        const kcmPorts = [kcm1, kcm2];
        const schedPorts = [sched1, sched2];
        etcdEndpoint = `https://127.0.0.1:${etcdClient}`;
        etcdTls = { cacert: flag(cmd["kube-apiserver"], "etcd-cafile")!, cert: flag(cmd["kube-apiserver"], "etcd-certfile")!, key: flag(cmd["kube-apiserver"], "etcd-keyfile")! };
        admin = kubeconfigCredentials(rendered.adminKubeconfig);
        for (const d of [flag(cmd.etcd, "data-dir")!, path.dirname(flag(cmd["kube-apiserver"], "audit-log-path")!)]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });

        const tStart = performance.now();
        procs.etcd = startProcess(tools.etcd, cmd.etcd, path.join(logs, "etcd.log"));
        await until("etcd healthy", 60_000, async () => (etcdctl(["endpoint", "health"]).status === 0 ? true : undefined), 500);
        timings.etcdHealthyMs = performance.now() - tStart;
        const tApi = performance.now();
        procs.apiserver = startProcess(tools.kubeApiserver, cmd["kube-apiserver"], path.join(logs, "kube-apiserver.log"));
        await until(
            "kube-apiserver /readyz",
            180_000,
            async () => {
                if (!isUp(procs.apiserver)) throw new Fatal(`kube-apiserver exited: ${tail("kube-apiserver.log")}`);
                return (await request(api, admin, "GET", "/readyz")).status === 200 ? true : undefined;
            },
            500,
        );
        timings.apiserverReadyMs = performance.now() - tApi;
        timings.totalReadyMs = performance.now() - tStart;
        // What `kubeadm init` does next: the admin group's binding, then the bootstrap token, cluster-info and their RBAC.
        await bindClusterAdmins(api, kubeconfigCredentials(fs.readFileSync(path.join(root, "etc/kubernetes/super-admin.conf"), "utf8")));
        kubeadm(kubeadmBin, root, ["init", "phase", "bootstrap-token", "--config", LOCAL_CONFIG, "--kubeconfig", "/etc/kubernetes/super-admin.conf"]);
        for (const i of [0, 1]) {
            procs[`kcm${i}`] = startProcess(tools.kubeControllerManager, [...cmd["kube-controller-manager"], `--secure-port=${kcmPorts[i]}`], path.join(logs, `kube-controller-manager-${i}.log`));
            if (i === 0) await until("the first controller-manager holds its lease", 120_000, () => leaseHolder("kube-controller-manager"), 500);
            procs[`sched${i}`] = startProcess(tools.kubeScheduler, [...cmd["kube-scheduler"], `--secure-port=${schedPorts[i]}`], path.join(logs, `kube-scheduler-${i}.log`));
            if (i === 0) await until("the first scheduler holds its lease", 120_000, () => leaseHolder("kube-scheduler"), 500);
        }
        console.log(
            `      ${STACK}: kubeadm phases ${(timings.kubeadmPhasesMs / 1000).toFixed(2)} s; etcd healthy ${(timings.etcdHealthyMs / 1000).toFixed(2)} s after start;` +
                ` kube-apiserver /readyz ${(timings.apiserverReadyMs / 1000).toFixed(2)} s after its start (${(timings.totalReadyMs / 1000).toFixed(2)} s from etcd's start)`,
        );
    });

    after(async () => {
        await stopAll();
        removeTempDirs();
    });

    function tail(log: string, n = 30): string {
        try {
            return fs.readFileSync(path.join(logs, log), "utf8").split("\n").slice(-n).join("\n");
        } catch {
            return "(no log)";
        }
    }

    function etcdctl(args: readonly string[]) {
        return spawnSync(
            tools.etcdctl,
            [`--endpoints=${etcdEndpoint}`, "--dial-timeout=2s", "--command-timeout=5s", `--cacert=${etcdTls.cacert}`, `--cert=${etcdTls.cert}`, `--key=${etcdTls.key}`, ...args],
            { encoding: "utf8", timeout: 15_000 },
        );
    }

    async function leaseHolder(name: string): Promise<string | undefined> {
        const r = await request(api, admin, "GET", `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`);
        return r.status === 200 && r.json?.spec?.holderIdentity ? String(r.json.spec.holderIdentity) : undefined;
    }

    it("kubeadm writes the four static pod manifests from the rendered configuration, keeping the rendered flags", () => {
        const a = cmd["kube-apiserver"];
        assert.strictEqual(flag(a, "authorization-mode"), "Node,RBAC");
        assert.match(flag(a, "enable-admission-plugins") ?? "", /(^|,)NodeRestriction(,|$)/);
        assert.strictEqual(flag(a, "encryption-provider-config"), path.join(root, "/etc/kubernetes/pki/encryption-config.yaml"));
        assert.strictEqual(flag(a, "audit-policy-file"), path.join(root, "/etc/kubernetes/apiserver/audit-policy.yaml"));
        assert.strictEqual(flag(a, "profiling"), "false");
        assert.strictEqual(flag(a, "anonymous-auth"), undefined, "anonymous access is configured in the AuthenticationConfiguration, not by flag");
        assert.strictEqual(flag(cmd["kube-controller-manager"], "use-service-account-credentials"), "true");
        assert.strictEqual(flag(cmd["kube-scheduler"], "profiling"), "false");
        // The pre-placed CA signed what kubeadm issued: the apiserver's serving certificate chains to the rendered CA.
        const caPem = rendered.objects.get("control-plane/ca.crt")!;
        assert.strictEqual(fs.readFileSync(flag(a, "client-ca-file")!, "utf8"), caPem);
    });

    it("answers /readyz through the rendered admin kubeconfig (server pointed at 127.0.0.1)", async () => {
        const r = await request(api, admin, "GET", "/readyz?verbose");
        assert.strictEqual(r.status, 200, r.body);
        assert.match(r.body, /readyz check passed/);
        const who = await request(api, admin, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });
        assert.strictEqual(who.status, 201, who.body);
        console.log(`      ${STACK}: the admin kubeconfig authenticates as ${who.json.status.userInfo.username} (${(who.json.status.userInfo.groups ?? []).join(", ")})`);
        const ns = await request(api, admin, "GET", "/api/v1/namespaces");
        assert.strictEqual(ns.status, 200, "the admin lists namespaces");
    });

    it("allows anonymous requests only on the health paths and the cluster-info ConfigMap", async () => {
        const anon: Credentials = { ca: admin.ca };
        for (const p of ["/livez", "/readyz", "/healthz"]) assert.strictEqual((await request(api, anon, "GET", p)).status, 200, `anonymous ${p}`);
        const ci = await request(api, anon, "GET", "/api/v1/namespaces/kube-public/configmaps/cluster-info");
        assert.strictEqual(ci.status, 200, `anonymous cluster-info: ${ci.body}`);
        for (const p of ["/version", "/api/v1/namespaces", "/api/v1/namespaces/kube-public/configmaps", "/api/v1/namespaces/kube-system/secrets", "/metrics"]) {
            const r = await request(api, anon, "GET", p);
            assert.strictEqual(r.status, 401, `anonymous ${p} answered ${r.status}: ${r.body.slice(0, 200)}`);
        }
    });

    it("authenticates the rendered bootstrap token, which reads cluster-info signed for it (what kubeadm join discovery needs)", async () => {
        const init = parse(rendered.objects.get(`control-plane/slots/${rendered.slot}/kubeadm-init.yaml`)!.split("\n---\n")[0]);
        const token = String(init.bootstrapTokens[0].token);
        const id = token.split(".")[0];
        const creds: Credentials = { ca: admin.ca, token };
        const who = await request(api, creds, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });
        assert.strictEqual(who.status, 201, who.body);
        assert.strictEqual(who.json.status.userInfo.username, `system:bootstrap:${id}`);
        assert.ok(who.json.status.userInfo.groups.includes("system:bootstrappers:kubeadm:default-node-token"), JSON.stringify(who.json.status.userInfo));
        // Join discovery reads cluster-info anonymously (kubeadm binds it to system:anonymous only; the token
        // itself gets 403) and trusts it once the JWS the controller-manager's bootstrapsigner adds for the
        // token verifies with the token secret: a detached HS256 JWS, kid = token id, over the kubeconfig
        // (k8s.io/cluster-bootstrap@v0.35.8 token/jws).
        let seen = "";
        const signed = await until(
            "cluster-info signed for the token",
            60_000,
            async () => {
                const r = await request(api, { ca: admin.ca }, "GET", "/api/v1/namespaces/kube-public/configmaps/cluster-info");
                seen = `${r.status} keys ${Object.keys(r.json?.data ?? {}).join(",")}`;
                return r.status === 200 && r.json.data[`jws-kubeconfig-${id}`] ? r.json : undefined;
            },
            500,
        ).catch((e) => {
            const kcm = fs
                .readFileSync(path.join(logs, "kube-controller-manager-0.log"), "utf8")
                .split("\n")
                .filter((l) => /bootstrap|signer|token/i.test(l))
                .slice(-15)
                .join("\n");
            throw new Error(`${e.message}; last cluster-info read: ${seen}; controller-manager:\n${kcm}`);
        });
        assert.match(signed.value.data.kubeconfig, /certificate-authority-data/);
        const [header, empty, signature] = String(signed.value.data[`jws-kubeconfig-${id}`]).split(".");
        assert.strictEqual(empty, "", "a detached JWS");
        assert.deepStrictEqual(JSON.parse(Buffer.from(header, "base64url").toString()), { alg: "HS256", kid: id });
        const expected = crypto
            .createHmac("sha256", token.split(".")[1])
            .update(`${header}.${Buffer.from(signed.value.data.kubeconfig).toString("base64url")}`)
            .digest("base64url");
        assert.strictEqual(signature, expected, "the signature verifies with the rendered token's secret");
        const tokenRead = await request(api, creds, "GET", "/api/v1/namespaces/kube-public/configmaps/cluster-info");
        assert.strictEqual(tokenRead.status, 403, "kubeadm grants cluster-info to system:anonymous, not to the token");
        const bad = await request(api, { ca: admin.ca, token: `${id}.0000000000000000` }, "GET", "/api/v1/namespaces/default/pods");
        assert.strictEqual(bad.status, 401, "a wrong token secret is refused");
        const forbidden = await request(api, creds, "GET", "/api/v1/namespaces/kube-system/secrets");
        assert.strictEqual(forbidden.status, 403, "the token can not read secrets");
    });

    it("encrypts a Secret at rest with the rendered EncryptionConfiguration's first provider", async () => {
        const enc = parse(fs.readFileSync(flag(cmd["kube-apiserver"], "encryption-provider-config")!, "utf8"));
        const first = enc.resources[0].providers[0];
        const provider = Object.keys(first)[0];
        const keyName = first[provider].keys[0].name;
        const plaintext = `k8s-aws-plaintext-${Date.now()}`;
        const r = await request(api, admin, "POST", "/api/v1/namespaces/default/secrets", { apiVersion: "v1", kind: "Secret", metadata: { name: "at-rest" }, stringData: { v: plaintext } });
        assert.strictEqual(r.status, 201, r.body);
        const raw = spawnSync(
            tools.etcdctl,
            [
                `--endpoints=${etcdEndpoint}`,
                "--dial-timeout=2s",
                "--command-timeout=5s",
                `--cacert=${etcdTls.cacert}`,
                `--cert=${etcdTls.cert}`,
                `--key=${etcdTls.key}`,
                "get",
                "/registry/secrets/default/at-rest",
                "--print-value-only",
            ],
            { timeout: 15_000 },
        );
        assert.strictEqual(raw.status, 0, String(raw.stderr));
        const value = raw.stdout as Buffer;
        const prefix = `k8s:enc:${provider}:v1:${keyName}:`;
        assert.strictEqual(value.subarray(0, prefix.length).toString("latin1"), prefix, "the raw etcd value starts with the provider's prefix");
        assert.ok(!value.includes(Buffer.from(plaintext)), "the plaintext is not in etcd");
        const back = await request(api, admin, "GET", "/api/v1/namespaces/default/secrets/at-rest");
        assert.strictEqual(Buffer.from(back.json.data.v, "base64").toString(), plaintext, "and the apiserver reads it back");
        console.log(`      ${STACK}: Secret at rest in etcd begins ${JSON.stringify(prefix)}`);
    });

    it("writes the audit log at the rendered path with the rendered policy (Secrets at Metadata, no bodies)", async () => {
        const log = flag(cmd["kube-apiserver"], "audit-log-path")!;
        assert.strictEqual(log, path.join(root, "/var/log/kubernetes/audit/audit.log"));
        const cm = await request(api, admin, "POST", "/api/v1/namespaces/default/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "audited" }, data: { k: "v" } });
        assert.strictEqual(cm.status, 201, cm.body);
        const events = await until("audit events for the Secret and the ConfigMap", 30_000, async () => {
            const lines = fs.existsSync(log)
                ? fs
                      .readFileSync(log, "utf8")
                      .split("\n")
                      .filter(Boolean)
                      .map((l) => JSON.parse(l))
                : [];
            const secret = lines.find((e) => e.objectRef?.resource === "secrets" && e.objectRef?.name === "at-rest" && e.verb === "create");
            const configmap = lines.find((e) => e.objectRef?.resource === "configmaps" && e.objectRef?.name === "audited" && e.verb === "create");
            return secret && configmap ? { lines, secret, configmap } : undefined;
        });
        const { lines, secret, configmap } = events.value;
        assert.strictEqual(secret.level, "Metadata");
        assert.strictEqual(secret.requestObject, undefined, "no Secret body in the audit log");
        assert.strictEqual(configmap.level, "Metadata", "ConfigMaps are metadata only too");
        assert.ok(!lines.some((e) => e.stage === "RequestReceived"), "RequestReceived is omitted");
        assert.ok(!lines.some((e) => /^\/(readyz|livez|healthz)/.test(e.requestURI ?? "")), "health probes are not audited");
        const ns = await request(api, admin, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "audited-ns" } });
        assert.strictEqual(ns.status, 201, ns.body);
        const nsEvent = await until("audit event for the namespace", 30_000, async () =>
            fs
                .readFileSync(log, "utf8")
                .split("\n")
                .filter(Boolean)
                .map((l) => JSON.parse(l))
                .find((e) => e.objectRef?.resource === "namespaces" && e.objectRef?.name === "audited-ns" && e.verb === "create"),
        );
        assert.strictEqual(nsEvent.value.level, "Request", "other changes are logged with their request body");
        assert.strictEqual(nsEvent.value.requestObject?.metadata?.name, "audited-ns");
    });

    it("enforces authorization mode Node,RBAC and NodeRestriction on a node's credentials", async () => {
        const pki = path.join(root, "etc/kubernetes/pki");
        const dir = path.join(root, "..", "node-creds");
        fs.mkdirSync(dir, { recursive: true });
        const sh = (args: string[]) => {
            const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8", timeout: 30_000 });
            assert.strictEqual(r.status, 0, r.stderr);
        };
        sh(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "node.key", "-out", "node.csr", "-subj", "/O=system:nodes/CN=system:node:node-a"]);
        fs.writeFileSync(path.join(dir, "ext"), "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n");
        sh(["x509", "-req", "-in", "node.csr", "-CA", path.join(pki, "ca.crt"), "-CAkey", path.join(pki, "ca.key"), "-CAcreateserial", "-out", "node.crt", "-days", "1", "-extfile", "ext"]);
        const node: Credentials = { ca: admin.ca, cert: fs.readFileSync(path.join(dir, "node.crt"), "utf8"), key: fs.readFileSync(path.join(dir, "node.key"), "utf8") };
        const nodeObject = (name: string) => ({ apiVersion: "v1", kind: "Node", metadata: { name, labels: { "kubernetes.io/hostname": name } } });
        const own = await request(api, node, "POST", "/api/v1/nodes", nodeObject("node-a"));
        assert.strictEqual(own.status, 201, `node-a registers itself: ${own.body}`);
        const other = await request(api, node, "POST", "/api/v1/nodes", nodeObject("node-b"));
        assert.strictEqual(other.status, 403, `node-a may not create node-b: ${other.body}`);
        assert.match(String(other.json?.message), /node "node-a" is not allowed to modify node "node-b"/, `refused by NodeRestriction: ${other.body}`);
        const secret = await request(api, node, "GET", "/api/v1/namespaces/default/secrets/at-rest");
        assert.strictEqual(secret.status, 403, "the Node authorizer refuses a secret no pod on node-a uses");
        assert.match(secret.body, /no relationship found between node 'node-a' and this object/);
        const list = await request(api, node, "GET", "/api/v1/secrets");
        assert.strictEqual(list.status, 403, "a node can not list secrets");
    });

    it("accepts every non-Helm object every stack declares (server-side dry-run apply, strict field validation), and rejects a broken one", async () => {
        const apply = await serverSideApplier(api, admin);
        const checked: string[] = [];
        for (const stack of ["dev", "staging", "prod"]) {
            const objects = await declaredObjects(stack);
            assert.ok(objects.length > 0, `${stack} declares no Kubernetes objects`);
            // Namespaces first (dry-run, then for real: namespaced objects need their namespace to exist).
            const ordered = [...objects.filter((o) => o.kind === "Namespace"), ...objects.filter((o) => o.kind !== "Namespace")];
            for (const o of ordered) {
                const r = await apply(o, true);
                assert.ok(r.status === 200 || r.status === 201, `${stack}: ${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name} refused (${r.status}): ${r.body.slice(0, 600)}`);
                if (o.kind === "Namespace") assert.ok([200, 201].includes((await apply(o, false)).status));
                checked.push(`${stack}:${o.kind}/${o.metadata.name}`);
            }
        }
        // The check can fail: a field the API does not know, and a value it does not allow.
        const ds = (await declaredObjects("staging")).find((o) => o.kind === "DaemonSet")!;
        const unknownField = structuredClone(ds);
        unknownField.spec.template.spec.containers[0].imagePullPolcy = "Always";
        const badValue = structuredClone(ds);
        badValue.spec.template.spec.containers[0].imagePullPolicy = "Sometimes";
        for (const [what, o, re] of [
            ["an unknown field", unknownField, /imagePullPolcy: field not declared in schema/],
            ["an invalid value", badValue, /Unsupported value: "Sometimes"/],
        ] as const) {
            const r = await apply(o, true);
            assert.ok(r.status >= 400, `${what} was accepted (${r.status}): ${r.body.slice(0, 400)}`);
            assert.match(String(r.json?.message ?? r.body), re, `${what}: ${r.body.slice(0, 400)}`);
        }
        console.log(
            `      ${checked.length} declared objects accepted by server-side dry-run apply (${[...new Set(checked.map((c) => c.split(":")[1].split("/")[0]))].join(", ")}); no CRD-backed object is declared outside Helm charts`,
        );
    });

    it("accepts every typed object the addons create with all addons on, and rejects a string containerPort, a missing selector and a non-boolean allowVolumeExpansion", async () => {
        // The Addons component as test/addons builds it (fixtures.ts ALL_ON), not only what the stacks turn on.
        const run = await runAddons({ toggles: ALL_ON });
        const objects = run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release").map((r) => run.inputs(r));
        assert.deepStrictEqual([...new Set(objects.map((o) => o.kind))].sort(), ["ClusterRole", "ClusterRoleBinding", "DaemonSet", "Namespace", "ServiceAccount", "StorageClass"]);
        const apply = await serverSideApplier(api, admin);
        const accepted: string[] = [];
        for (const o of [...objects.filter((x) => x.kind === "Namespace"), ...objects.filter((x) => x.kind !== "Namespace")]) {
            const name = `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`;
            const r = await apply(o);
            assert.ok(r.status === 200 || r.status === 201, `${name} refused (${r.status}): ${r.body.slice(0, 600)}`);
            if (o.kind === "Namespace") assert.ok([200, 201].includes((await apply(o, false)).status), `${name} created`);
            accepted.push(name);
        }
        // What the schema check (kubernetes-models) used to catch, now refused by the apiserver itself with its own
        // message: a wrong type fails server-side apply's typed conversion (structured-merge-diff answers 500, not
        // 422, as observed from kube-apiserver 1.35.8 here), a DaemonSet without a selector fails apps validation
        // (422: a nil selector selects nothing, so the template's labels "do not match" it).
        const ds = objects.find((o) => o.kind === "DaemonSet" && o.metadata.name === "kube2iam")!;
        assert.ok(ds, "the kube2iam DaemonSet is among the objects");
        const stringPort = structuredClone(ds);
        stringPort.spec.template.spec.containers[0].ports[0].containerPort = String(stringPort.spec.template.spec.containers[0].ports[0].containerPort);
        const noSelector = structuredClone(ds);
        delete noSelector.spec.selector;
        const sc = objects.find((o) => o.kind === "StorageClass")!;
        const stringExpansion = { ...structuredClone(sc), allowVolumeExpansion: "yes" };
        for (const [what, o, re] of [
            ["a string containerPort", stringPort, /containerPort: expected numeric \(int or float\), got string/],
            ["a missing selector", noSelector, /spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/],
            ["a non-boolean allowVolumeExpansion", stringExpansion, /\.allowVolumeExpansion: expected boolean, got &\{yes\}/],
        ] as const) {
            const r = await apply(o);
            assert.ok(r.status >= 400, `${what} was accepted (${r.status}): ${r.body.slice(0, 400)}`);
            assert.match(String(r.json?.message ?? r.body), re, `${what}: ${r.body.slice(0, 600)}`);
            console.log(`      ${what}: ${r.status} ${String(r.json?.message ?? r.body).slice(0, 200)}`);
        }
        console.log(`      all addons on: ${accepted.length} typed objects accepted by server-side dry-run apply (${[...new Set(objects.map((o) => o.kind))].join(", ")})`);
    });

    it("controller-manager and scheduler take their leases, and the second pair waits", async () => {
        await new Promise((r) => setTimeout(r, 5000));
        for (const [lease, pair] of [
            ["kube-controller-manager", ["kcm0", "kcm1"]],
            ["kube-scheduler", ["sched0", "sched1"]],
        ] as const) {
            const holder = (await leaseHolder(lease))!;
            assert.ok(holder, `${lease} lease held`);
            for (const p of pair) assert.ok(isUp(procs[p]), `${p} is running: ${tail(`${p.startsWith("kcm") ? "kube-controller-manager" : "kube-scheduler"}-${p.slice(-1)}.log`)}`);
            const logOf = (i: number) => fs.readFileSync(path.join(logs, `${lease}-${i}.log`), "utf8");
            // client-go@v0.35.8:tools/leaderelection/leaderelection.go logs these two lines.
            const lock = `lock="kube-system/${lease}"`;
            assert.ok(
                logOf(0)
                    .split("\n")
                    .some((l) => l.includes("Successfully acquired lease") && l.includes(lock)),
                `${lease} 0 acquired`,
            );
            assert.ok(
                logOf(1)
                    .split("\n")
                    .some((l) => l.includes("Attempting to acquire leader lease") && l.includes(lock)),
                `${lease} 1 tries`,
            );
            assert.ok(!logOf(1).includes("Successfully acquired lease"), `${lease} 1 must wait while 0 leads`);
            assert.ok(holder.includes("_"), holder);
            console.log(`      ${STACK}: ${lease} lease held by ${holder}; the second instance waits`);
        }
    });
});
