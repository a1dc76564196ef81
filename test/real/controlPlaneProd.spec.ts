/**
 * Rung 3: the prod render's control plane (external etcd) on 127.0.0.1: the three etcd members
 * from their shipped /etc/etcd/etcd.yaml and certificates, and for every control-plane slot the
 * real kubeadm phases on that slot's kubeadm-init.yaml (PKI pre-placed) and a kube-apiserver from
 * its manifest, all three against the one etcd cluster; controller-manager and scheduler from
 * the first slot. Then the fault check: the etcd leader and one apiserver killed together,
 * writes through the surviving apiservers continue; the time to a new etcd leader and to the
 * first successful API write is printed in the line `npm run bench` picks up.
 * Remapping as in controlPlaneRig.ts; every process is stopped in after(), also on failure.
 */
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { performance } from "perf_hooks";
import { parse } from "yaml";
import { DEFAULT_KUBERNETES_MINOR } from "../../config/versions";
import { toolPaths } from "../../tools/real/pins";
import { removeTempDirs, tempDir } from "../support/shell";
import {
    Credentials,
    Fatal,
    LocalEtcdMember,
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
    placeEtcdMembers,
    relocate,
    renderStack,
    request,
    sleep,
    startProcess,
    stopAll,
    until,
    writeUnder,
} from "./controlPlaneRig";
import { failoverProblems, hexId, waitForLoggedElection } from "./etcdElection";
import { requireTools } from "./requireTools";

const STACK = "prod";
const LOCAL_CONFIG = "/etc/kubernetes/k8s-aws-local/kubeadm-init.yaml";

describe(`real/controlPlaneProd: the ${STACK} render's control plane (external etcd, three apiservers) run by the pinned binaries on 127.0.0.1`, function () {
    this.timeout(400_000);
    let tools: ReturnType<typeof toolPaths>;
    let rendered: Rendered;
    let logs = "";
    let members: LocalEtcdMember[] = [];
    let admin: Credentials;
    const etcd: ChildProcess[] = [];
    const apis: { slot: string; url: string; proc: ChildProcess; command: string[] }[] = [];
    let etcdTls: { cacert: string; cert: string; key: string };

    function etcdctlAsync(endpoints: readonly string[], args: readonly string[], timeoutMs = 4000): Promise<{ code: number | null; stdout: string }> {
        return new Promise((resolve) => {
            const c = spawn(
                tools.etcdctl,
                [`--endpoints=${endpoints.join(",")}`, "--dial-timeout=1s", "--command-timeout=2s", `--cacert=${etcdTls.cacert}`, `--cert=${etcdTls.cert}`, `--key=${etcdTls.key}`, ...args],
                { stdio: ["ignore", "pipe", "pipe"] },
            );
            let stdout = "";
            c.stdout!.on("data", (d) => (stdout += d));
            const kill = setTimeout(() => c.kill("SIGKILL"), timeoutMs);
            c.on("close", (code) => {
                clearTimeout(kill);
                resolve({ code, stdout });
            });
        });
    }

    before(async function () {
        tools = requireTools(this, ["etcd", "etcdctl", "kubeApiserver", "kubeControllerManager", "kubeScheduler"], { kubeadm: toolPaths().kubeadmByMinor[DEFAULT_KUBERNETES_MINOR].path });
        const kubeadmBin = toolPaths().kubeadmByMinor[DEFAULT_KUBERNETES_MINOR].path;
        rendered = await renderStack(STACK);
        assert.strictEqual(rendered.topology, "external");
        const dir = tempDir("real-control-plane-prod");
        logs = path.join(dir, "logs");
        fs.mkdirSync(logs, { recursive: true });
        members = await placeEtcdMembers(rendered, path.join(dir, "etcd"));
        const t0 = performance.now();
        for (const m of members) etcd.push(startProcess(tools.etcd, ["--config-file", m.configFile], path.join(logs, `${m.name}.log`)));

        admin = kubeconfigCredentials(rendered.adminKubeconfig);
        const ports = await freePorts(rendered.slots.length + 2);
        const endpoints = members.map((m) => m.endpoint);
        const hosts = new Map<string, string>();
        for (const [i, slot] of rendered.slots.entries()) {
            const root = path.join(dir, slot);
            placeControlPlaneFiles(rendered, root, slot);
            writeUnder(root, LOCAL_CONFIG, localKubeadmConfig(rendered.objects.get(`control-plane/slots/${slot}/kubeadm-init.yaml`)!, ports[i], endpoints), 0o600);
            for (const phase of [
                ["certs", "all"],
                ["kubeconfig", "all"],
                ["control-plane", "all"],
            ])
                kubeadm(kubeadmBin, root, ["init", "phase", ...phase, "--config", LOCAL_CONFIG]);
            const advertise = advertiseAddress(rendered.objects.get(`control-plane/slots/${slot}/kubeadm-init.yaml`)!);
            hosts.set(slot, advertise);
            localKubeconfigs(root, advertise);
            const command = [...relocate(manifestCommand(root, "kube-apiserver"), root, new Map(), new Set([advertise])), "--bind-address=127.0.0.1"];
            fs.mkdirSync(path.dirname(flag(command, "audit-log-path")!), { recursive: true });
            apis.push({ slot, url: `https://127.0.0.1:${ports[i]}`, proc: undefined as unknown as ChildProcess, command });
            if (i === 0) {
                etcdTls = { cacert: flag(command, "etcd-cafile")!, cert: flag(command, "etcd-certfile")!, key: flag(command, "etcd-keyfile")! };
                assert.deepStrictEqual(flag(command, "etcd-servers")!.split(","), endpoints, "the apiserver talks to the three external members");
            }
        }
        await until("the external etcd cluster healthy", 90_000, async () => ((await etcdctlAsync(endpoints, ["endpoint", "health"], 8000)).code === 0 ? true : undefined), 500);
        const etcdMs = performance.now() - t0;
        const ready: number[] = [];
        const tApi = performance.now();
        for (const a of apis) a.proc = startProcess(tools.kubeApiserver, a.command, path.join(logs, `kube-apiserver-${a.slot}.log`));
        await Promise.all(
            apis.map(async (a, i) => {
                await until(
                    `kube-apiserver ${a.slot} /readyz`,
                    240_000,
                    async () => {
                        if (!isUp(a.proc))
                            throw new Fatal(
                                `kube-apiserver ${a.slot} exited: ${fs
                                    .readFileSync(path.join(logs, `kube-apiserver-${a.slot}.log`), "utf8")
                                    .split("\n")
                                    .slice(-30)
                                    .join("\n")}`,
                            );
                        return (await request(a.url, admin, "GET", "/readyz")).status === 200 ? true : undefined;
                    },
                    500,
                );
                ready[i] = performance.now() - tApi;
            }),
        );
        // controller-manager and scheduler of the first slot (leases are covered on staging).
        const root0 = path.join(dir, rendered.slots[0]);
        await bindClusterAdmins(apis[0].url, kubeconfigCredentials(fs.readFileSync(path.join(root0, "etc/kubernetes/super-admin.conf"), "utf8")));
        const local0 = new Set([hosts.get(rendered.slots[0])!]);
        startProcess(
            tools.kubeControllerManager,
            [...relocate(manifestCommand(root0, "kube-controller-manager"), root0, new Map(), local0), `--secure-port=${ports[rendered.slots.length]}`],
            path.join(logs, "kcm.log"),
        );
        startProcess(
            tools.kubeScheduler,
            [...relocate(manifestCommand(root0, "kube-scheduler"), root0, new Map(), local0), `--secure-port=${ports[rendered.slots.length + 1]}`],
            path.join(logs, "scheduler.log"),
        );
        console.log(
            `      ${STACK}: ${members.length} external etcd members healthy ${(etcdMs / 1000).toFixed(2)} s after start; ${apis.length} kube-apiservers started together,` +
                ` /readyz after ${ready.map((ms) => (ms / 1000).toFixed(2)).join("/")} s`,
        );
    });

    after(async () => {
        await stopAll();
        removeTempDirs();
    });

    it("three apiservers, one per slot, serve /readyz through the rendered admin kubeconfig, against one etcd cluster", async () => {
        for (const a of apis) {
            const r = await request(a.url, admin, "GET", "/readyz");
            assert.strictEqual(r.status, 200, `${a.slot}: ${r.body}`);
        }
        const created = await request(apis[0].url, admin, "POST", "/api/v1/namespaces/default/configmaps", {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "shared" },
            data: { by: apis[0].slot },
        });
        assert.strictEqual(created.status, 201, created.body);
        for (const a of apis.slice(1)) {
            const r = await request(a.url, admin, "GET", "/api/v1/namespaces/default/configmaps/shared");
            assert.strictEqual(r.json?.data?.by, apis[0].slot, `${a.slot} sees what ${apis[0].slot} wrote`);
        }
        // Every slot's apiserver shares the service-account key pair: a token issued by one is accepted by another.
        const probe = await request(apis[0].url, admin, "POST", "/api/v1/namespaces/default/serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "probe" } });
        assert.strictEqual(probe.status, 201, probe.body);
        const sa = await request(apis[0].url, admin, "POST", "/api/v1/namespaces/default/serviceaccounts/probe/token", {
            apiVersion: "authentication.k8s.io/v1",
            kind: "TokenRequest",
            spec: { expirationSeconds: 600 },
        });
        assert.strictEqual(sa.status, 201, sa.body);
        for (const a of apis) {
            const who = await request(a.url, { ca: admin.ca, token: sa.json.status.token }, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
                apiVersion: "authentication.k8s.io/v1",
                kind: "SelfSubjectReview",
            });
            assert.strictEqual(who.json?.status?.userInfo?.username, "system:serviceaccount:default:probe", `${a.slot}: ${who.body}`);
        }
    });

    it("encrypts a Secret at rest in the external etcd", async () => {
        const enc = parse(fs.readFileSync(flag(apis[1].command, "encryption-provider-config")!, "utf8"));
        const provider = Object.keys(enc.resources[0].providers[0])[0];
        const keyName = enc.resources[0].providers[0][provider].keys[0].name;
        const r = await request(apis[1].url, admin, "POST", "/api/v1/namespaces/default/secrets", {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "at-rest" },
            stringData: { v: "prod-plaintext-value" },
        });
        assert.strictEqual(r.status, 201, r.body);
        const raw = spawnSync(
            tools.etcdctl,
            [
                `--endpoints=${members[2].endpoint}`,
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
        const prefix = `k8s:enc:${provider}:v1:${keyName}:`;
        assert.strictEqual((raw.stdout as Buffer).subarray(0, prefix.length).toString("latin1"), prefix);
        assert.ok(!(raw.stdout as Buffer).includes(Buffer.from("prod-plaintext-value")));
    });

    it("fault: the etcd leader and one apiserver killed together; API writes continue through the others (timed)", async () => {
        const endpoints = members.map((m) => m.endpoint);
        const status = await etcdctlAsync(endpoints, ["endpoint", "status", "-w", "json"], 10_000);
        const exact = status.stdout.replace(/"(cluster_id|member_id|leader|raft_term|revision|raft_index)":(\d+)/g, '"$1":"$2"');
        const list = JSON.parse(exact) as Array<{ Endpoint: string; Status: { header: { member_id: string }; leader: string } }>;
        const oldLeader = list[0].Status.leader;
        const leaderIdx = endpoints.indexOf(list.find((s) => s.Status.header.member_id === oldLeader)!.Endpoint);
        assert.ok(leaderIdx >= 0, status.stdout);
        const survivors = endpoints.filter((_, i) => i !== leaderIdx);
        const deadline = 60_000;
        const killedAt = Date.now();
        const t0 = performance.now();
        etcd[leaderIdx].kill("SIGKILL");
        apis[0].proc.kill("SIGKILL");
        const newLeader = (async () => {
            while (performance.now() - t0 < deadline) {
                for (const ep of survivors) {
                    const r = await etcdctlAsync([ep], ["endpoint", "status", "-w", "json"], 3000);
                    const m = r.code === 0 ? /"leader":(\d+)/.exec(r.stdout) : null;
                    if (m && m[1] !== oldLeader && m[1] !== "0") return { ms: performance.now() - t0, id: m[1] };
                }
                await sleep(20);
            }
            throw new Error(`no new etcd leader within ${deadline} ms`);
        })();
        // A new write attempt every 100 ms through the surviving apiservers, each bounded; the first 201 wins.
        const firstWrite = new Promise<{ ms: number; attempts: number; via: string }>((resolve, reject) => {
            let attempts = 0;
            let done = false;
            const timer = setInterval(() => {
                if (done) return;
                if (performance.now() - t0 > deadline) {
                    done = true;
                    clearInterval(timer);
                    reject(new Error(`no API write succeeded within ${deadline} ms`));
                    return;
                }
                const n = attempts++;
                const a = apis[1 + (n % (apis.length - 1))];
                void request(a.url, admin, "POST", "/api/v1/namespaces/default/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `during-${n}` } }, 5000).then((r) => {
                    if (r.status === 201 && !done) {
                        done = true;
                        clearInterval(timer);
                        resolve({ ms: performance.now() - t0, attempts, via: a.slot });
                    }
                });
            }, 100);
        });
        const [leader, write] = await Promise.all([newLeader, firstWrite]);
        const logged = await waitForLoggedElection(
            members.filter((_, i) => i !== leaderIdx).map((m) => path.join(logs, `${m.name}.log`)),
            killedAt,
            hexId(oldLeader),
        );
        const cfg = members[0].config;
        console.log(
            `      etcd failover under the control plane: new leader after ${(leader.ms / 1000).toFixed(2)} s, API writes blocked ${(write.ms / 1000).toFixed(2)} s` +
                ` (killed ${members[leaderIdx].name}, the etcd leader, and ${apis[0].slot}'s kube-apiserver; first write through ${write.via}; heartbeat ${cfg["heartbeat-interval"]} ms, election timeout ${cfg["election-timeout"]} ms; ${write.attempts} attempts;` +
                ` logged: first campaign ${(logged.firstCampaignMs / 1000).toFixed(2)} s, elected ${(logged.electedMs / 1000).toFixed(2)} s at term ${logged.term})`,
        );
        assert.strictEqual(logged.leaderHex, hexId(leader.id), "the members' logs name the leader the poller saw");
        const problems = failoverProblems(
            { heartbeatIntervalMs: cfg["heartbeat-interval"], electionTimeoutMs: cfg["election-timeout"] },
            { electedMs: logged.electedMs, polledMs: leader.ms, writesBlockedMs: write.ms },
        );
        assert.deepStrictEqual(problems, [], problems.join("; "));
        for (const a of apis.slice(1)) {
            const r = await request(a.url, admin, "POST", "/api/v1/namespaces/default/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `after-${a.slot}` } });
            assert.strictEqual(r.status, 201, `${a.slot} accepts writes after the failover: ${r.body}`);
        }
    });
});
