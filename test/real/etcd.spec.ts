/**
 * etcd for real, from what the program generates for the external-etcd stack
 * (prod): the etcd CA, each member's server and peer certificates and keys
 * and the apiserver-etcd-client pair, exactly as the secrets bucket objects
 * hold them, written where an instance's secrets unit writes them (under a
 * per-member root); each member's configuration rendered by renderEtcdConfig
 * with the program's member list and options, and checked to be the
 * /etc/etcd/etcd.yaml the program ships in that member's user data with only
 * the addresses (127.0.0.1, free high ports) and the paths (the member's
 * root) remapped. Likewise the backup and restore scripts: rendered with the
 * options the shipped ones carry, differing only in the remapped endpoint and
 * peer URLs, and run with `sh` and an aws stub whose S3 is a directory.
 * Then: health, refused clients, leader failover (timed), catch-up of a
 * restarted member, and backup + whole-cluster restore (timed).
 *
 * The binaries are the pinned etcd release (config/versions.ts ETCD_VERSION),
 * built by `npm run tools:real` into ~/.cache/k8s-aws/etcd-<version>/ (rung 3:
 * the real component at the pinned version running our output). Until issue
 * 17 this ran on Debian's etcd 3.4, where the config had to drop
 * tls-min-version and the restore script fell back to `etcdctl snapshot
 * restore`; on 3.6 the config is the shipped one unchanged (bar addresses and
 * paths) and the restore takes the script's `etcdutl snapshot restore
 * --bump-revision --mark-compacted` path, as on a member. etcdctl/etcdutl come
 * first on the scripts' PATH, so a Debian etcd on the machine is never used.
 *
 * The tests share one cluster and run in order. Every child is killed in
 * after(); temporary directories are removed.
 */
import { withoutCommentLines } from "../../components/host/cloudConfig";
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { performance } from "perf_hooks";
import { parse } from "yaml";
import { decodeUserData } from "../support/userData";
import {
    BACKUP_PREFIX,
    BACKUP_UNIT,
    ETCD_CLIENT_PORT,
    ETCD_METRICS_PORT,
    ETCD_PEER_PORT,
    EtcdBackupOptions,
    EtcdMember,
    EtcdRestoreOptions,
    EtcdTuning,
    etcdClientTls,
    renderEtcdBackupScript,
    renderEtcdConfig,
    renderEtcdRestoreScript,
} from "../../components/host";
import { SecretObject, audienceObjects, objectKey } from "../../components/secrets/layout";
import { ETCD_VERSION } from "../../config/versions";
import { runStackFixture, unwrapSecrets } from "../support/harness";
import { etcdVersion, freePorts, makeCa, makeLeaf, removeTempDirs, startEtcd, stopAllEtcd, tempDir, waitUntil } from "../support/shell";
import { failoverProblems, hexId, waitForLoggedElection } from "./etcdElection";
import { requireTools } from "./requireTools";
import { runScript, s3StubWorld } from "../support/stubs";

const STACK = "prod";
const BUCKET_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";

interface Tls {
    cacert: string;
    cert: string;
    key: string;
}
interface CtlResult {
    code: number | null;
    stdout: string;
    stderr: string;
    ms: number;
}

/** etcdctl children still running, killed in after(). */
const liveCtl = new Set<ChildProcess>();

/** The pinned etcd binaries, set in before(). */
let bin = { etcd: "etcd", etcdctl: "etcdctl", etcdutl: "etcdutl" };

/**
 * etcdctl, asynchronously (so pollers can run side by side), bounded by
 * --dial-timeout/--command-timeout and by a hard kill after timeoutMs.
 */
function ctl(endpoints: readonly string[], tls: Partial<Tls>, args: readonly string[], o: { commandTimeout?: string; timeoutMs?: number; input?: string } = {}): Promise<CtlResult> {
    const flags = [`--endpoints=${endpoints.join(",")}`, "--dial-timeout=1s", `--command-timeout=${o.commandTimeout ?? "5s"}`];
    if (tls.cacert) flags.push(`--cacert=${tls.cacert}`);
    if (tls.cert) flags.push(`--cert=${tls.cert}`);
    if (tls.key) flags.push(`--key=${tls.key}`);
    const start = performance.now();
    return new Promise((resolve) => {
        const child = spawn(bin.etcdctl, [...flags, ...args], { env: { ...process.env, ETCDCTL_API: "3" }, stdio: [o.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
        liveCtl.add(child);
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (c) => (stdout += c));
        child.stderr!.on("data", (c) => (stderr += c));
        const kill = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 15000);
        child.on("error", (e) => (stderr += String(e)));
        child.on("close", (code) => {
            clearTimeout(kill);
            liveCtl.delete(child);
            resolve({ code, stdout, stderr, ms: performance.now() - start });
        });
        if (o.input !== undefined) {
            child.stdin!.on("error", (e) => (stderr += `stdin: ${e.message}\n`)); // etcdctl may exit before reading it
            child.stdin!.end(o.input);
        }
    });
}

async function mustCtl(endpoints: readonly string[], tls: Partial<Tls>, args: readonly string[], o: { commandTimeout?: string; timeoutMs?: number; input?: string } = {}): Promise<string> {
    const r = await ctl(endpoints, tls, args, o);
    assert.strictEqual(r.code, 0, `etcdctl ${args.join(" ")} against ${endpoints.join(",")}: ${r.stderr}`);
    return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface EndpointStatus {
    endpoint: string;
    memberId: string;
    leader: string;
    raftTerm: string;
}

/**
 * `endpoint status -w json`, with the 64-bit ids kept as strings (JSON.parse would round them).
 * Zero fields are left out of etcd's JSON: no "leader" means no leader ("0").
 */
function parseStatus(stdout: string): EndpointStatus[] {
    const exact = stdout.replace(/"(cluster_id|member_id|leader|raft_term|raftTerm|revision|raftIndex|raftAppliedIndex)":(\d+)/g, '"$1":"$2"');
    return (JSON.parse(exact) as Array<{ Endpoint: string; Status: { header: { member_id: string }; leader?: string; raftTerm?: string } }>).map((e) => ({
        endpoint: e.Endpoint,
        memberId: e.Status.header.member_id,
        leader: e.Status.leader ?? "0",
        raftTerm: e.Status.raftTerm ?? "0",
    }));
}

/** key -> value of every key under a prefix ("" = all), as etcdctl -w json returns them. */
async function kvs(endpoints: readonly string[], tls: Tls, prefix: string, extra: string[] = []): Promise<Map<string, string>> {
    const out = await mustCtl(endpoints, tls, ["get", prefix, "--prefix", "-w", "json", ...extra], { timeoutMs: 30000 });
    const list = (JSON.parse(out).kvs ?? []) as Array<{ key: string; value?: string }>;
    return new Map(list.map((kv) => [Buffer.from(kv.key, "base64").toString(), Buffer.from(kv.value ?? "", "base64").toString()]));
}

/** Writes `count` keys `<prefix><n>` in transactions of at most 100 puts (etcd's --max-txn-ops default is 128). */
async function putMany(endpoint: string, tls: Tls, prefix: string, count: number, value: (n: number) => string): Promise<void> {
    for (let from = 0; from < count; from += 100) {
        const puts = Array.from({ length: Math.min(100, count - from) }, (_, i) => `put ${prefix}${String(from + i).padStart(5, "0")} ${value(from + i)}`);
        // txn's stdin: compares, a blank line, success requests, a blank line, failure requests.
        const out = await mustCtl([endpoint], tls, ["txn"], { input: `\n${puts.join("\n")}\n\n\n`, timeoutMs: 30000 });
        assert.match(out, /^SUCCESS/, out);
    }
}

/** What the program ships to one external etcd member in its user data. */
interface Shipped {
    /** /etc/etcd/etcd.yaml, parsed. */
    readonly config: Record<string, any>;
    readonly backup: string;
    readonly restore: string;
}

interface ProgramEtcd {
    readonly cluster: string;
    readonly bucket: string;
    readonly members: ReadonlyArray<{ name: string; ip: string; dnsName: string }>;
    /** Bucket object key -> content, secrets unwrapped. */
    readonly objects: ReadonlyMap<string, string>;
    /** Member name -> the files its launch template's user data writes. */
    readonly shipped: ReadonlyMap<string, Shipped>;
}

const ETCD_CONFIG_FILE = "/etc/etcd/etcd.yaml";

/** The `NAME='value'` assignments at the top of a rendered script. */
function scriptVars(script: string): Record<string, string> {
    return Object.fromEntries([...script.matchAll(/^([A-Z_]+)='([^']*)'$/gm)].map((m) => [m[1], m[2]]));
}

/** The script with some of its `NAME='value'` assignments replaced. */
function withVars(script: string, vars: Record<string, string>): string {
    return Object.entries(vars).reduce((text, [k, v]) => text.replace(new RegExp(`^${k}='[^']*'$`, "m"), `${k}='${v}'`), script);
}

/** The prod render: what the program hands the bucket, its etcd members, and what each member's user data ships. */
async function renderProgram(): Promise<ProgramEtcd> {
    // The pinned seed, but the real clock: with the pinned one (2026-01-01) the one-year leaf
    // certificates would expire under this test on 2027-01-01 and etcd would rightly refuse them.
    const run = await runStackFixture(STACK, { now: new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000) });
    const outputs = unwrapSecrets(run.run.outputs);
    const objects = new Map<string, string>();
    for (const r of run.ofType(BUCKET_OBJECT)) {
        const i = run.inputs(r);
        assert.strictEqual(i.bucket, outputs.secretsBucket, `${i.key} is not in the secrets bucket`);
        objects.set(String(i.key), String(i.content));
    }
    const shipped = new Map<string, Shipped>();
    for (const lt of run.ofType(LAUNCH_TEMPLATE)) {
        const userData = run.inputs(lt).userData;
        if (typeof userData !== "string") continue;
        const text = decodeUserData(userData);
        if (!text.startsWith("#cloud-config")) continue;
        const files = (parse(text).write_files ?? []) as Array<{ path: string; content: string }>;
        const config = files.find((f) => f.path === ETCD_CONFIG_FILE);
        if (!config) continue;
        const script = (name: string) => {
            const f = files.filter((x) => x.content.includes(`\nSCRIPT_NAME='${name}'\n`));
            assert.strictEqual(f.length, 1, `${lt.name} ships ${f.length} ${name} scripts`);
            return f[0].content;
        };
        const parsed = parse(config.content);
        assert.ok(!shipped.has(parsed.name), `two launch templates ship etcd member ${parsed.name}`);
        shipped.set(parsed.name, { config: parsed, backup: script(BACKUP_UNIT), restore: script("k8s-aws-etcd-restore") });
    }
    return { cluster: outputs.clusterName, bucket: outputs.secretsBucket, members: outputs.etcdMembers, objects, shipped };
}

/** Writes an audience's bucket objects under root at the paths and modes an instance's secrets unit uses. */
function deliver(program: ProgramEtcd, root: string, objs: readonly SecretObject[]): void {
    for (const o of objs) {
        const content = program.objects.get(objectKey(o));
        assert.ok(content !== undefined, `the render has no bucket object ${objectKey(o)}`);
        const file = path.join(root, o.path);
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        fs.writeFileSync(file, content, { mode: parseInt(o.mode, 8) });
    }
}

const memberObjects = (member: string) => audienceObjects({ kind: "etcd", member }, "external");

/** One member as run here: the program's member, remapped to 127.0.0.1 and a root of its own. */
interface LocalMember {
    readonly name: string;
    readonly root: string;
    readonly member: EtcdMember;
    readonly metricsPort: number;
    readonly endpoint: string;
    readonly configFile: string;
    readonly log: string;
    readonly shipped: Shipped;
    /** The shipped configuration with addresses and paths remapped: what the rendered one must equal. */
    readonly expectedConfig: Record<string, any>;
    readonly backup: { readonly script: string; readonly expected: string };
    readonly restore: { readonly script: string; readonly expected: string };
}

describe("real/etcd: the prod render's etcd members, certificates and backup scripts, run on the pinned etcd on 127.0.0.1", function () {
    this.timeout(120_000);
    let version = "";
    let program: ProgramEtcd;
    let dir = "";
    let clientTls: Tls;
    let local: LocalMember[] = [];
    const procs: ChildProcess[] = [];
    let endpoints: string[] = [];
    let startedAt = 0;
    let restoreOwner = "";
    const start = (i: number) => (procs[i] = startEtcd(local[i].configFile, local[i].log, bin.etcd));
    /** A stub world for the backup/restore scripts whose PATH finds the pinned etcdctl/etcdutl before anything else. */
    const scriptWorld = (base: string, s3: string, root: string) => {
        const w = s3StubWorld(base, s3, root);
        const [stubs, ...rest] = String(w.env.PATH).split(":");
        return { ...w, env: { ...w.env, PATH: [stubs, path.dirname(bin.etcd), ...rest].join(":") } };
    };
    const isUp = (p: ChildProcess | undefined) => p !== undefined && p.exitCode === null && p.signalCode === null;
    const exited = (p: ChildProcess) => (isUp(p) ? new Promise<void>((resolve) => p.once("exit", () => resolve())) : Promise.resolve());
    const healthy = (eps: readonly string[]) =>
        spawnSync(
            bin.etcdctl,
            [`--endpoints=${eps.join(",")}`, "--dial-timeout=1s", "--command-timeout=2s", `--cacert=${clientTls.cacert}`, `--cert=${clientTls.cert}`, `--key=${clientTls.key}`, "endpoint", "health"],
            {
                env: { ...process.env, ETCDCTL_API: "3" },
                timeout: 5000,
            },
        ).status === 0;

    before(async function () {
        bin = requireTools(this, ["etcd", "etcdctl", "etcdutl"]);
        version = etcdVersion(bin.etcd) ?? "";
        assert.strictEqual(version, ETCD_VERSION, `${bin.etcd} --version`);
        program = await renderProgram();
        assert.deepStrictEqual([...program.shipped.keys()].sort(), program.members.map((m) => m.name).sort(), "every etcd member's user data ships its etcd.yaml and backup/restore scripts");
        dir = tempDir("realchecks-etcd");

        // The control plane's view: the etcd CA and the apiserver-etcd-client pair, at their kubeadm paths.
        const cpRoot = path.join(dir, "control-plane");
        const cpObjects = audienceObjects({ kind: "control-plane" }, "external").filter((o) => ["etcd/ca.crt", "apiserver-etcd-client.crt", "apiserver-etcd-client.key"].includes(o.name));
        deliver(program, cpRoot, cpObjects);
        const at = (name: string) => path.join(cpRoot, cpObjects.find((o) => o.name === name)!.path);
        clientTls = { cacert: at("etcd/ca.crt"), cert: at("apiserver-etcd-client.crt"), key: at("apiserver-etcd-client.key") };

        const ports = await freePorts(3 * program.members.length);
        const port = (i: number, k: number) => ports[3 * i + k];
        const members: EtcdMember[] = program.members.map((m, i) => ({ name: m.name, host: "127.0.0.1", clientPort: port(i, 0), peerPort: port(i, 1) }));
        // The restore script chowns to the etcd user as on a member; only root can, so elsewhere it keeps the owner.
        const firstRestoreVars = scriptVars(program.shipped.get(members[0].name)!.restore);
        restoreOwner = process.getuid?.() === 0 && spawnSync("id", ["-u", firstRestoreVars.OWNER]).status === 0 ? firstRestoreVars.OWNER : "";

        local = program.members.map((m, i): LocalMember => {
            const root = path.join(dir, m.name);
            const shipped = program.shipped.get(m.name)!;
            const sc = shipped.config;
            // Every address the shipped files name, remapped: members' DNS names and fixed IPs, and this member's loopback.
            const to = new Map<string, string>();
            program.members.forEach((o, j) => {
                for (const h of [o.dnsName, o.ip]) {
                    to.set(`${h}:${ETCD_CLIENT_PORT}`, `127.0.0.1:${port(j, 0)}`);
                    to.set(`${h}:${ETCD_PEER_PORT}`, `127.0.0.1:${port(j, 1)}`);
                }
            });
            to.set(`127.0.0.1:${ETCD_CLIENT_PORT}`, `127.0.0.1:${port(i, 0)}`);
            to.set(`127.0.0.1:${ETCD_METRICS_PORT}`, `127.0.0.1:${port(i, 2)}`);
            const url = (u: string) => {
                const m = /^(https?):\/\/([^/]+)$/.exec(u);
                const mapped = m && to.get(m[2]);
                if (!mapped) throw new Error(`${u} in ${m ? "the shipped files" : "?"} is not an address this test remaps`);
                return `${m![1]}://${mapped}`;
            };
            const cluster = (list: string) =>
                list
                    .split(",")
                    .map((e) => e.replace(/=(.*)$/, (_, u: string) => `=${url(u)}`))
                    .join(",");
            const relocate = (v: unknown): any => {
                if (typeof v === "string" && v.startsWith("/")) return path.join(root, v);
                if (typeof v === "string" && v.includes("://")) return v.includes("=") ? cluster(v) : [...new Set(v.split(",").map(url))].join(",");
                if (Array.isArray(v)) return v.map(relocate);
                if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, relocate(x)]));
                return v;
            };
            const expectedConfig = relocate(sc);

            // renderEtcdConfig with the program's member list and the options the shipped file carries.
            assert.deepStrictEqual(
                sc["initial-cluster"].split(",").map((e: string) => e.split("=")[0]),
                program.members.map((o) => o.name),
            );
            const tuning: EtcdTuning = {
                heartbeatIntervalMs: sc["heartbeat-interval"],
                electionTimeoutMs: sc["election-timeout"],
                snapshotCount: sc["snapshot-count"],
                quotaBackendBytes: sc["quota-backend-bytes"],
            };
            const configFile = path.join(root, ETCD_CONFIG_FILE);
            deliver(program, root, memberObjects(m.name));
            fs.mkdirSync(path.dirname(configFile), { recursive: true });
            fs.writeFileSync(
                configFile,
                renderEtcdConfig(members[i], members, {
                    clusterToken: sc["initial-cluster-token"],
                    initialClusterState: sc["initial-cluster-state"],
                    listenIp: "127.0.0.1",
                    dataDir: path.join(root, sc["data-dir"]),
                    pkiDir: path.join(root, path.dirname(sc["client-transport-security"]["trusted-ca-file"])),
                    metricsPort: port(i, 2),
                    tuning,
                    etcdVersion: version,
                }),
            );

            // The scripts keep their absolute paths (they run under K8S_AWS_ROOT); only addresses change.
            const b = scriptVars(shipped.backup);
            assert.strictEqual(b.PREFIX, `${BACKUP_PREFIX}/${program.cluster}`);
            const backupOpts: EtcdBackupOptions = {
                cluster: program.cluster,
                region: b.REGION,
                bucket: b.BUCKET,
                kmsKeyId: b.KMS_KEY_ID,
                tls: { caFile: b.CACERT, certFile: b.CERT, keyFile: b.KEY },
                endpoint: url(b.ENDPOINT),
                workDir: b.WORK_DIR,
            };
            const r = scriptVars(shipped.restore);
            assert.strictEqual(r.PREFIX, `${BACKUP_PREFIX}/${program.cluster}`);
            const restoreOpts: EtcdRestoreOptions = {
                cluster: program.cluster,
                region: r.REGION,
                bucket: r.BUCKET,
                memberName: r.MEMBER_NAME,
                peerUrl: url(r.PEER_URL),
                initialCluster: cluster(r.INITIAL_CLUSTER),
                initialClusterToken: r.INITIAL_CLUSTER_TOKEN,
                dataDir: r.DATA_DIR,
                workDir: r.WORK_DIR,
                owner: restoreOwner,
            };
            return {
                name: m.name,
                root,
                member: members[i],
                metricsPort: port(i, 2),
                endpoint: `https://127.0.0.1:${port(i, 0)}`,
                configFile,
                log: path.join(dir, `${m.name}.log`),
                shipped,
                expectedConfig,
                backup: { script: renderEtcdBackupScript(backupOpts), expected: withVars(shipped.backup, { ENDPOINT: backupOpts.endpoint! }) },
                restore: {
                    script: renderEtcdRestoreScript(restoreOpts),
                    expected: withVars(shipped.restore, { PEER_URL: restoreOpts.peerUrl, INITIAL_CLUSTER: restoreOpts.initialCluster, OWNER: restoreOwner }),
                },
            };
        });
        endpoints = local.map((l) => l.endpoint);
        startedAt = performance.now();
        local.forEach((_, i) => start(i));
    });

    after(async () => {
        for (const c of liveCtl) c.kill("SIGKILL");
        await stopAllEtcd();
        removeTempDirs();
    });

    it("runs the etcd.yaml each member's user data ships, with only addresses and paths remapped", () => {
        for (const l of local) {
            assert.deepStrictEqual(parse(fs.readFileSync(l.configFile, "utf8")), l.expectedConfig, l.name);
            const c = l.shipped.config;
            for (const t of ["client-transport-security", "peer-transport-security"]) {
                assert.strictEqual(c[t]["client-cert-auth"], true, `${l.name} ${t}`);
                assert.strictEqual(c[t]["auto-tls"], false, `${l.name} ${t}`);
            }
            assert.strictEqual(c["tls-min-version"], "TLS1.2", "the program's release (3.6) gets tls-min-version");
            assert.strictEqual(l.expectedConfig["tls-min-version"], "TLS1.2", "and the pinned etcd runs with it");
        }
    });

    it("uses the program's certificates as generated: one etcd CA, member certificates naming the member and loopback", () => {
        assert.deepStrictEqual(
            program.members.map((m) => m.name),
            ["etcd-a", "etcd-b", "etcd-c"],
        );
        const ca = new crypto.X509Certificate(fs.readFileSync(clientTls.cacert));
        assert.ok(ca.ca, "etcd/ca.crt is a CA");
        for (const [i, m] of program.members.entries()) {
            const cfg = local[i].expectedConfig;
            const files = { ca: cfg["peer-transport-security"]["trusted-ca-file"], server: cfg["client-transport-security"]["cert-file"], peer: cfg["peer-transport-security"]["cert-file"] };
            assert.strictEqual(fs.readFileSync(files.ca, "utf8"), program.objects.get("control-plane/etcd/ca.crt"), `${m.name} trusts the control plane's etcd CA`);
            for (const kind of ["server", "peer"] as const) {
                const pem = fs.readFileSync(files[kind], "utf8");
                assert.strictEqual(pem, program.objects.get(`etcd/${m.name}/${kind}.crt`), `${m.name} ${kind}: the bucket object's bytes`);
                const cert = new crypto.X509Certificate(pem);
                assert.ok(cert.verify(ca.publicKey), `${m.name} ${kind} is signed by the etcd CA`);
                assert.ok(cert.checkIP(m.ip) && cert.checkHost(m.dnsName), `${m.name} ${kind} names the member: ${cert.subjectAltName}`);
                // Peer URLs here are on 127.0.0.1; the dialing member checks the peer certificate's SANs.
                assert.ok(cert.checkIP("127.0.0.1"), `${m.name} ${kind} lacks IP 127.0.0.1 (components/pki/certs.ts): ${cert.subjectAltName}`);
                const now = Date.now();
                assert.ok(Date.parse(cert.validFrom) <= now && now < Date.parse(cert.validTo), `${m.name} ${kind} valid now (${cert.validFrom} - ${cert.validTo})`);
            }
            const peerKey = cfg["peer-transport-security"]["key-file"];
            assert.strictEqual(fs.statSync(peerKey).mode & 0o777, 0o600);
        }
    });

    it("renders the backup and restore scripts each member's user data ships, with only the endpoint and peer URLs remapped", () => {
        for (const l of local) {
            // User data ships each script without its comment lines (components/host/cloudConfig.ts).
            assert.strictEqual(withoutCommentLines(l.backup.script), l.backup.expected, `${l.name} backup`);
            assert.strictEqual(withoutCommentLines(l.restore.script), l.restore.expected, `${l.name} restore`);
            assert.deepStrictEqual(
                (({ CACERT, CERT, KEY }) => ({ caFile: CACERT, certFile: CERT, keyFile: KEY }))(scriptVars(l.shipped.backup)),
                etcdClientTls("external"),
                "the backup authenticates with the member's own server certificate",
            );
            assert.strictEqual(scriptVars(l.shipped.backup).BUCKET, program.bucket);
        }
    });

    it("1. becomes a healthy three-member cluster, checked with the apiserver-etcd-client certificate", async () => {
        await waitUntil("all members healthy", 30_000, () => healthy(endpoints));
        const ms = performance.now() - startedAt;
        console.log(`      etcd ${version} (program pins ${ETCD_VERSION}): ${local.length} members healthy ${(ms / 1000).toFixed(2)} s after start`);
        const list = JSON.parse((await mustCtl(endpoints, clientTls, ["member", "list", "-w", "json"])).replace(/"(cluster_id|member_id|ID)":(\d+)/g, '"$1":"$2"'));
        const seen = (list.members as Array<{ name: string; peerURLs: string[]; clientURLs: string[] }>).map((m) => [m.name, m.peerURLs, m.clientURLs]).sort();
        assert.deepStrictEqual(
            seen,
            local.map((l) => [l.name, [`https://127.0.0.1:${l.member.peerPort}`], [l.endpoint]]),
        );
        await mustCtl([endpoints[0]], clientTls, ["put", "/realchecks/probe", "ok"]);
        assert.strictEqual((await mustCtl([endpoints[2]], clientTls, ["get", "/realchecks/probe", "--print-value-only"])).trim(), "ok");
    });

    it("2. refuses a plaintext client, a client without a certificate and a client certificate from another CA", async () => {
        const foreign = path.join(dir, "foreign");
        fs.mkdirSync(foreign);
        makeCa(foreign, "other-etcd-ca");
        // Same identity as the apiserver's, same SANs as a member's, wrong CA.
        makeLeaf(foreign, "other-etcd-ca", "kube-apiserver-etcd-client", ["DNS:localhost", "IP:127.0.0.1"]);
        const intruder = { cacert: clientTls.cacert, cert: path.join(foreign, "kube-apiserver-etcd-client.crt"), key: path.join(foreign, "kube-apiserver-etcd-client.key") };
        const ep = endpoints[0];
        const get = ["get", "/realchecks/probe", "--print-value-only"];
        const fast = { commandTimeout: "2s", timeoutMs: 10_000 };
        const before = fs.readFileSync(local[0].log, "utf8").length;
        const [ok, plain, noCert, other] = await Promise.all([
            ctl([ep], clientTls, get, fast),
            ctl([ep.replace("https:", "http:")], {}, get, fast),
            ctl([ep], { cacert: clientTls.cacert }, get, fast),
            ctl([ep], intruder, get, fast),
        ]);
        assert.strictEqual(ok.code, 0, `control: the program's client certificate must work: ${ok.stderr}`);
        assert.strictEqual(ok.stdout.trim(), "ok");
        for (const [what, r] of [
            ["a plaintext client", plain],
            ["a client without a certificate", noCert],
            ["a client certificate from another CA", other],
        ] as const) {
            assert.notStrictEqual(r.code, 0, `${what} got through: ${r.stdout}`);
            assert.doesNotMatch(r.stdout, /ok/, `${what} read a value`);
        }
        await sleep(200);
        // etcd itself says why it turned each one away (the clients only see a failed dial). Wording of
        // etcd 3.6 (embed/config_logging.go) and its Go crypto/tls; 3.4 said "rejected connection" and
        // "failed to verify client certificate".
        const rejected = fs
            .readFileSync(local[0].log, "utf8")
            .slice(before)
            .split("\n")
            .filter((l) => /"rejected connection on client endpoint"/.test(l));
        for (const reason of [
            /first record does not look like a TLS handshake/,
            /client didn't provide a certificate/,
            /failed to verify certificate: x509: certificate signed by unknown authority/,
        ]) {
            assert.ok(
                rejected.some((l) => reason.test(l)),
                `etcd logged no rejected connection matching ${reason}:\n${rejected.join("\n")}`,
            );
        }
    });

    it("3. elects a new leader when the leader is killed, and writes continue (timed)", async () => {
        const statuses = parseStatus(await mustCtl(endpoints, clientTls, ["endpoint", "status", "-w", "json"]));
        const oldLeader = statuses[0].leader;
        assert.ok(oldLeader !== "0" && statuses.every((s) => s.leader === oldLeader), `no leader all members agree on: ${JSON.stringify(statuses)}`);
        const leaderIdx = endpoints.indexOf(statuses.find((s) => s.memberId === oldLeader)!.endpoint);
        assert.ok(leaderIdx >= 0, "the leader is one of the members");
        const survivors = endpoints.filter((_, i) => i !== leaderIdx);
        const survivorIds = statuses.filter((s) => s.memberId !== oldLeader).map((s) => s.memberId);
        await mustCtl([survivors[0]], clientTls, ["put", "/realchecks/failover/before", "1"]);

        const deadline = 20_000;
        const killedAt = Date.now();
        const t0 = performance.now();
        procs[leaderIdx].kill("SIGKILL");
        const newLeader = (async () => {
            while (performance.now() - t0 < deadline) {
                const rs = await Promise.all(survivors.map((ep) => ctl([ep], clientTls, ["endpoint", "status", "-w", "json"], { commandTimeout: "1s", timeoutMs: 3000 })));
                for (const r of rs) {
                    if (r.code !== 0) continue;
                    const s = parseStatus(r.stdout)[0];
                    if (s.leader !== "0" && s.leader !== oldLeader) return { ms: performance.now() - t0, id: s.leader, term: s.raftTerm };
                }
                await sleep(20);
            }
            throw new Error(`no new leader within ${deadline} ms`);
        })();
        // A put waits up to its command timeout while there is no leader, so one poller would see the
        // window only to within that timeout: start a new attempt every 100 ms, each bounded, and take
        // the first that succeeds.
        const firstWrite = new Promise<{ ms: number; attempts: number }>((resolve, reject) => {
            let attempts = 0;
            let done = false;
            const attempt = () => {
                if (done) return;
                if (performance.now() - t0 > deadline) {
                    done = true;
                    clearInterval(timer);
                    reject(new Error(`no write succeeded within ${deadline} ms`));
                    return;
                }
                const n = attempts++;
                void ctl([survivors[0]], clientTls, ["put", `/realchecks/failover/during-${n}`, "1"], { commandTimeout: "2s", timeoutMs: 4000 }).then((r) => {
                    if (r.code === 0 && !done) {
                        done = true;
                        clearInterval(timer);
                        resolve({ ms: performance.now() - t0, attempts });
                    }
                });
            };
            const timer = setInterval(attempt, 100);
            attempt();
        });
        const [leader, write] = await Promise.all([newLeader, firstWrite]);
        await exited(procs[leaderIdx]);
        const logged = await waitForLoggedElection(
            local.filter((_, i) => i !== leaderIdx).map((l) => l.log),
            killedAt,
            hexId(oldLeader),
        );
        const shipped = local[0].shipped.config;
        console.log(
            `      etcd failover: new leader after ${(leader.ms / 1000).toFixed(2)} s, writes blocked ${(write.ms / 1000).toFixed(2)} s` +
                ` (killed ${local[leaderIdx].name}; heartbeat ${shipped["heartbeat-interval"]} ms, election timeout ${shipped["election-timeout"]} ms; ${write.attempts} put attempts;` +
                ` logged: first campaign ${(logged.firstCampaignMs / 1000).toFixed(2)} s, elected ${(logged.electedMs / 1000).toFixed(2)} s at term ${logged.term})`,
        );
        assert.ok(survivorIds.includes(leader.id), `the new leader ${leader.id} is a surviving member (${survivorIds.join(", ")})`);
        assert.strictEqual(logged.leaderHex, hexId(leader.id), "the members' logs name the leader the poller saw");
        const problems = failoverProblems(
            { heartbeatIntervalMs: shipped["heartbeat-interval"], electionTimeoutMs: shipped["election-timeout"] },
            { electedMs: logged.electedMs, polledMs: leader.ms, writesBlockedMs: write.ms },
        );
        assert.deepStrictEqual(problems, [], problems.join("; "));
        // Both survivors accept writes and see each other's.
        await mustCtl([survivors[0]], clientTls, ["put", "/realchecks/failover/after-0", "a"]);
        await mustCtl([survivors[1]], clientTls, ["put", "/realchecks/failover/after-1", "b"]);
        const seen = await kvs([survivors[1]], clientTls, "/realchecks/failover/after-");
        assert.deepStrictEqual([...seen.entries()].sort(), [
            ["/realchecks/failover/after-0", "a"],
            ["/realchecks/failover/after-1", "b"],
        ]);
    });

    it("4. a stopped member restarted from its data directory catches up on what it missed", async () => {
        // The member killed in 3 if it is still down, else stop a follower now.
        let down = procs.findIndex((p) => !isUp(p));
        if (down < 0) {
            const statuses = parseStatus(await mustCtl(endpoints, clientTls, ["endpoint", "status", "-w", "json"]));
            down = statuses.findIndex((s) => s.memberId !== s.leader);
            procs[down].kill("SIGTERM");
            await exited(procs[down]);
        }
        assert.ok(!isUp(procs[down]), `${local[down].name} is down`);
        const alive = endpoints.filter((_, i) => i !== down);
        const listBefore = await mustCtl(alive, clientTls, ["member", "list"]);
        const MISSED = 500;
        await putMany(alive[0], clientTls, "/realchecks/catchup/", MISSED, (n) => `v${n}`);
        const expected = await kvs(alive, clientTls, "/realchecks/catchup/");
        assert.strictEqual(expected.size, MISSED);

        const t0 = performance.now();
        start(down);
        const deadline = 20_000;
        let count = 0;
        // A range response's count is the number of keys in the range (etcdctl 3.4 has no --count-only).
        const countArgs = ["get", "/realchecks/catchup/", "--prefix", "--consistency=s", "--keys-only", "--limit=1", "-w", "json"];
        for (;;) {
            const r = await ctl([endpoints[down]], clientTls, countArgs, { commandTimeout: "1s", timeoutMs: 3000 });
            if (r.code === 0) count = Number(JSON.parse(r.stdout).count ?? 0);
            if (count === MISSED) break;
            if (performance.now() - t0 > deadline) throw new Error(`${local[down].name} holds ${count} of ${MISSED} keys ${deadline} ms after restart: ${r.stderr}`);
            await sleep(50);
        }
        const ms = performance.now() - t0;
        const got = await kvs([endpoints[down]], clientTls, "/realchecks/catchup/", ["--consistency=s"]);
        assert.deepStrictEqual([...got.entries()].sort(), [...expected.entries()].sort(), `${local[down].name} served what it missed from its own copy`);
        console.log(`      etcd catch-up: ${local[down].name} restarted from its data dir, ${MISSED} keys written while it was down served serializably after ${(ms / 1000).toFixed(2)} s`);
        // It came back as the same member (same id), not a new one.
        assert.strictEqual(await mustCtl(alive, clientTls, ["member", "list"]), listBefore);
        const idOf = (list: string) => new RegExp(`^([0-9a-f]+), started, ${local[down].name},`, "m").exec(list)?.[1];
        const restartedId = parseStatus(await mustCtl([endpoints[down]], clientTls, ["endpoint", "status", "-w", "json"]))[0].memberId;
        assert.strictEqual(BigInt(restartedId).toString(16), idOf(listBefore), `${local[down].name}'s member id`);
        await waitUntil("all members healthy again", 10_000, () => healthy(endpoints));
    });

    it("5. the program's backup script snapshots the leader; its restore script rebuilds the whole cluster from it with every key (timed)", async () => {
        await putMany(endpoints[0], clientTls, "/registry/realchecks/", 2000, (n) => `value-${n}-${"x".repeat(200 + (n % 300))}`);
        const source = await kvs(endpoints, clientTls, "");
        const statusBefore = await mustCtl([endpoints[0]], clientTls, ["endpoint", "status", "-w", "json"]);
        const clusterBefore = /"cluster_id":(\d+)/.exec(statusBefore)![1];
        const revisionBefore = Number(/"revision":(\d+)/.exec(statusBefore)![1]);
        const s3 = path.join(dir, "s3");

        // Every member runs the timer; only the leader uploads.
        const runs = [];
        for (const l of local) {
            const w = scriptWorld(path.join(dir, `backup-${l.name}`), s3, l.root);
            const r = await runScript(l.backup.script, w, 30_000);
            assert.strictEqual(r.code, 0, `${l.name} backup: ${r.stderr}`);
            runs.push({ l, r, uploads: w.calls().filter((c) => / s3 cp /.test(c)) });
        }
        const uploaders = runs.filter((x) => x.uploads.length > 0);
        assert.strictEqual(uploaders.length, 1, runs.map((x) => `${x.l.name}: ${x.r.stderr}`).join("\n"));
        for (const x of runs.filter((y) => y.uploads.length === 0)) assert.match(x.r.stderr, /is not the leader/);
        const leaderRun = uploaders[0];
        assert.strictEqual(leaderRun.uploads.length, 2, "hourly and daily");
        const kms = scriptVars(leaderRun.l.shipped.backup).KMS_KEY_ID;
        for (const u of leaderRun.uploads) {
            assert.ok(u.includes(`s3://${program.bucket}/${BACKUP_PREFIX}/${program.cluster}/`), u);
            assert.ok(u.includes(`--sse aws:kms --sse-kms-key-id ${kms}`), u);
        }
        const hourlyDir = path.join(s3, program.bucket, BACKUP_PREFIX, program.cluster, "hourly");
        const [hourly] = fs.readdirSync(hourlyDir);
        const size = fs.statSync(path.join(hourlyDir, hourly)).size;
        const workDir = path.join(leaderRun.l.root, scriptVars(leaderRun.l.shipped.backup).WORK_DIR);
        assert.deepStrictEqual(fs.readdirSync(workDir), [], "the local snapshot is removed after upload");

        // Disaster recovery as the restore script means it: stop every member, move its data aside,
        // restore each from the latest snapshot, start each with its unchanged configuration.
        // One at a time: a leader stopped with SIGTERM first hands leadership to a live member; stopping
        // all at once leaves it retrying a transfer to members that are gone, for up to 10 s.
        for (const p of procs) {
            p.kill("SIGTERM");
            await exited(p);
        }
        const dataDir = (l: LocalMember) => l.expectedConfig["data-dir"] as string;
        const refused = await runScript(local[0].restore.script, scriptWorld(path.join(dir, "restore-refused"), s3, local[0].root), 30_000);
        assert.notStrictEqual(refused.code, 0, "restore must never overwrite a data dir");
        assert.match(refused.stderr, /is not empty/);
        const restoreMs: number[] = [];
        for (const l of local) {
            fs.renameSync(dataDir(l), `${dataDir(l)}.pre-restore`);
            const w = scriptWorld(path.join(dir, `restore-${l.name}`), s3, l.root);
            const r = await runScript(l.restore.script, w, 30_000);
            assert.strictEqual(r.code, 0, `${l.name} restore: ${r.stderr}`);
            assert.ok(
                w.calls().some((c) => c.includes(`s3 cp s3://${program.bucket}/${BACKUP_PREFIX}/${program.cluster}/hourly/${hourly}`)),
                w.calls().join("\n"),
            );
            if (restoreOwner) assert.strictEqual(fs.statSync(dataDir(l)).uid, Number(spawnSync("id", ["-u", restoreOwner], { encoding: "utf8" }).stdout.trim()));
            restoreMs.push(r.ms);
        }
        const restoreTool = "etcdutl snapshot restore --bump-revision 1000000000 --mark-compacted";

        const t0 = performance.now();
        local.forEach((_, i) => start(i));
        await waitUntil("the restored cluster healthy", 30_000, () => healthy(endpoints));
        const healthyMs = performance.now() - t0;
        const counts: number[] = [];
        for (const l of local) {
            const back = await kvs([l.endpoint], clientTls, "", ["--consistency=s"]);
            counts.push(back.size);
            assert.strictEqual(back.size, source.size, `${l.name}: keys after restore`);
            assert.deepStrictEqual([...back.entries()].sort(), [...source.entries()].sort(), `${l.name}: every key and value back`);
        }
        const clusterAfter = /"cluster_id":(\d+)/.exec(await mustCtl([endpoints[0]], clientTls, ["endpoint", "status", "-w", "json"]))![1];
        assert.notStrictEqual(clusterAfter, clusterBefore, "a new cluster (new token), not the old data");
        // The etcdutl path with --bump-revision/--mark-compacted (what Kubernetes' restore guidance asks
        // for, so watchers relist): the revision jumped by at least 10^9, and reading at an old revision
        // is refused as compacted, on every member.
        const revisionAfter = Number(/"revision":(\d+)/.exec(await mustCtl([endpoints[0]], clientTls, ["endpoint", "status", "-w", "json"]))![1]);
        assert.ok(revisionAfter >= revisionBefore + 1_000_000_000, `revision ${revisionBefore} before, ${revisionAfter} after restore: not bumped`);
        for (const l of local) {
            const old = await ctl([l.endpoint], clientTls, ["get", "/registry/realchecks/00000", `--rev=${revisionBefore}`, "--consistency=s"]);
            assert.notStrictEqual(old.code, 0, `${l.name} served revision ${revisionBefore} after restore`);
            assert.match(old.stderr, /required revision has been compacted/, l.name);
        }
        console.log(
            `      etcd backup/restore: ${source.size} keys before, ${counts.join("/")} after on the ${local.length} restored members;` +
                ` snapshot ${(size / 1024 / 1024).toFixed(2)} MiB (${size} bytes) taken, verified and uploaded by ${leaderRun.l.name} (the leader) in ${(leaderRun.r.ms / 1000).toFixed(2)} s;` +
                ` restore ${restoreMs.map((ms) => (ms / 1000).toFixed(2)).join("/")} s per member via ${restoreTool}; restored cluster healthy ${(healthyMs / 1000).toFixed(2)} s after start`,
        );
        await mustCtl([endpoints[1]], clientTls, ["put", "/realchecks/after-restore", "ok"]);
    });
});
