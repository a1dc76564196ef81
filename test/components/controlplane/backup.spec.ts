/**
 * Backups: the rendered backup script snapshots a real single-member etcd
 * (TLS, 127.0.0.1) and "uploads" through an aws stub that stores objects in
 * a directory; the rendered restore script downloads the latest one into a
 * fresh data dir; a new member started from it must hold every key.
 * Also the units, the lifecycle rules and the DLM policy as data.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { BACKUP_PREFIX, EtcdMember, renderEtcdBackupScript, renderEtcdBackupUnits, renderEtcdConfig, renderEtcdRestoreScript } from "../../../components/host";
import { DLM_TARGET_TAG, backupLifecycleRules, dlmPolicy } from "../../../components/controlplane/backupRetention";
import { assertShellcheckClean, etcdVersion, etcdctl, freePorts, makeCa, makeLeaf, removeTempDirs, startEtcd, stopAllEtcd, tempDir, waitUntil, writeExecutable } from "../../support/shell";
import { runScript, s3StubWorld as s3World } from "../../support/stubs";

const TLS = { caFile: "/pki/ca.crt", certFile: "/pki/client.crt", keyFile: "/pki/client.key" };
const BACKUP = { cluster: "prod", region: "eu-west-1", bucket: "prod-secrets", kmsKeyId: "alias/prod-secrets", tls: TLS };
const RESTORE = {
    cluster: "prod",
    region: "eu-west-1",
    bucket: "prod-secrets",
    memberName: "etcd-a",
    peerUrl: "https://10.30.1.10:2380",
    initialCluster: "etcd-a=https://10.30.1.10:2380",
    initialClusterToken: "prod-restore",
};

describe("controlplane/backup: scripts, units and retention data", () => {
    after(removeTempDirs);

    it("backup and restore scripts pass shellcheck -s sh", () => {
        assertShellcheckClean(renderEtcdBackupScript(BACKUP), "etcd backup");
        assertShellcheckClean(renderEtcdRestoreScript(RESTORE), "etcd restore");
    });

    it("the timer fires every 15 minutes, catches up after downtime, with a small random delay", () => {
        const { service, timer } = renderEtcdBackupUnits();
        assert.match(timer, /^OnCalendar=\*:0\/15$/m);
        assert.match(timer, /^Persistent=yes$/m);
        assert.match(timer, /^RandomizedDelaySec=60s$/m);
        assert.match(timer, /^Unit=k8s-aws-etcd-backup\.service$/m);
        assert.match(service, /^Type=oneshot$/m);
        assert.match(service, /^ExecStart=\/usr\/local\/sbin\/k8s-aws-etcd-backup$/m);
    });

    it("a follower does not upload", async () => {
        const base = tempDir("follower");
        writeExecutable(path.join(base, "bin", "etcdctl"), `#!/bin/sh\nprintf '"MemberID" : 111\\n"Leader" : 222\\n'\n`);
        const w = s3World(base, path.join(base, "s3"));
        const r = await runScript(renderEtcdBackupScript({ ...BACKUP, workDir: path.join(base, "work") }), w);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /is not the leader/);
        assert.deepStrictEqual(w.calls(), []);
    });

    it("lifecycle rules: hourly kept 7 days, daily 90, overwritten versions and stale multipart uploads 1 day", () => {
        const rules = backupLifecycleRules("prod");
        const byId = Object.fromEntries(rules.map((r) => [r.id, r]));
        assert.deepStrictEqual(byId["prod-etcd-hourly"].filter, { prefix: `${BACKUP_PREFIX}/prod/hourly/` });
        assert.deepStrictEqual(byId["prod-etcd-hourly"].expiration, { days: 7 });
        assert.deepStrictEqual(byId["prod-etcd-daily"].filter, { prefix: `${BACKUP_PREFIX}/prod/daily/` });
        assert.deepStrictEqual(byId["prod-etcd-daily"].expiration, { days: 90 });
        for (const r of rules) assert.strictEqual(r.status, "Enabled");
        assert.deepStrictEqual(byId["prod-etcd-multipart"].abortIncompleteMultipartUpload, { daysAfterInitiation: 1 });
    });

    it("DLM: only volumes with the dedicated tag of this cluster, every 12 h, 14 kept", () => {
        const p = dlmPolicy("prod");
        assert.deepStrictEqual(p.policyDetails.targetTags, { [DLM_TARGET_TAG]: "prod" });
        assert.deepStrictEqual(p.policyDetails.resourceTypes, ["VOLUME"]);
        assert.deepStrictEqual(p.policyDetails.schedules[0].createRule, { interval: 12, intervalUnit: "HOURS", times: "03:00" });
        assert.deepStrictEqual(p.policyDetails.schedules[0].retainRule, { count: 14 });
        assert.throws(() => dlmPolicy("prod", { everyHours: 5, retain: 3 }));
    });

    it("restore refuses an initial cluster that does not contain the member", () => {
        assert.throws(() => renderEtcdRestoreScript({ ...RESTORE, initialCluster: "etcd-b=https://10.30.2.10:2380" }));
    });
});

describe("controlplane/backup: snapshot, upload, restore with a real etcd", function () {
    this.timeout(120000);
    const version = etcdVersion();
    let dir = "";
    let s3 = "";
    let tls = { cacert: "", cert: "", key: "" };
    const KEYS = 200;

    before(function () {
        if (!version) {
            console.log("      skipped: etcd/etcdctl not installed (CI: apt-get install -y etcd-server etcd-client)");
            this.skip();
        }
        dir = tempDir("backup");
        s3 = path.join(dir, "s3");
        const pki = path.join(dir, "pki");
        fs.mkdirSync(pki);
        makeCa(pki, "ca");
        makeLeaf(pki, "ca", "member", ["IP:127.0.0.1", "DNS:localhost"]);
        makeLeaf(pki, "ca", "client", ["DNS:client"]);
        for (const k of ["server", "peer"]) for (const ext of ["crt", "key"]) fs.copyFileSync(path.join(pki, `member.${ext}`), path.join(pki, `${k}.${ext}`));
        tls = { cacert: path.join(pki, "ca.crt"), cert: path.join(pki, "client.crt"), key: path.join(pki, "client.key") };
    });

    after(async () => {
        await stopAllEtcd();
        removeTempDirs();
    });

    async function member(name: string, dataDir: string): Promise<{ endpoint: string; startMs: number }> {
        const [client, peer, metrics] = await freePorts(3);
        const m: EtcdMember = { name, host: "127.0.0.1", clientPort: client, peerPort: peer };
        const config = path.join(dir, `${name}.yaml`);
        fs.writeFileSync(
            config,
            renderEtcdConfig(m, [m], {
                clusterToken: `${name}-token`,
                initialClusterState: "new",
                listenIp: "127.0.0.1",
                dataDir,
                pkiDir: path.join(dir, "pki"),
                metricsPort: metrics,
                etcdVersion: version,
            }),
        );
        startEtcd(config, path.join(dir, `${name}.log`));
        const endpoint = `https://127.0.0.1:${client}`;
        const startMs = await waitUntil(`${name} healthy`, 30000, () => etcdctl([endpoint], tls, ["endpoint", "health"]).status === 0);
        return { endpoint, startMs };
    }

    it("every key written before the snapshot is in the member restored from it", async () => {
        const source = await member("source", path.join(dir, "source-data"));
        for (let i = 0; i < KEYS; i++) {
            const r = etcdctl([source.endpoint], tls, ["put", `/registry/test/key-${String(i).padStart(4, "0")}`, `value-${i}-${"x".repeat(i % 50)}`]);
            assert.strictEqual(r.status, 0, r.stderr);
        }

        const work = path.join(dir, "work");
        const backup = renderEtcdBackupScript({
            ...BACKUP,
            endpoint: source.endpoint,
            workDir: work,
            tls: { caFile: tls.cacert, certFile: tls.cert, keyFile: tls.key },
        });
        const w = s3World(path.join(dir, "backup-run"), s3);
        const b = await runScript(backup, w, 60000);
        assert.strictEqual(b.code, 0, b.stderr);
        const hourly = fs.readdirSync(path.join(s3, "prod-secrets", BACKUP_PREFIX, "prod", "hourly"));
        const daily = fs.readdirSync(path.join(s3, "prod-secrets", BACKUP_PREFIX, "prod", "daily"));
        assert.strictEqual(hourly.length, 1);
        assert.match(hourly[0], /^\d{4}-\d\d-\d\dT\d\d\.db$/);
        assert.match(daily[0], /^\d{4}-\d\d-\d\d\.db$/);
        const uploads = w.calls().filter((c) => c.includes(" s3 cp "));
        assert.strictEqual(uploads.length, 2);
        for (const u of uploads) assert.match(u, /--sse aws:kms --sse-kms-key-id alias\/prod-secrets/);
        assert.deepStrictEqual(fs.readdirSync(work), [], "the local snapshot is removed after upload");

        const second = await runScript(backup, w, 60000);
        assert.strictEqual(second.code, 0, second.stderr);
        assert.match(second.stderr, /daily snapshot for \d{4}-\d\d-\d\d exists/);
        assert.strictEqual(w.calls().filter((c) => c.includes(" s3 cp ")).length, 3, "the second run in the same hour rewrites hourly only");

        const [peer] = await freePorts(1);
        const restoredData = path.join(dir, "restored-data");
        const restore = renderEtcdRestoreScript({
            ...RESTORE,
            memberName: "restored",
            peerUrl: `https://127.0.0.1:${peer}`,
            initialCluster: `restored=https://127.0.0.1:${peer}`,
            dataDir: restoredData,
            workDir: path.join(dir, "restore-work"),
        });
        const rw = s3World(path.join(dir, "restore-run"), s3);
        const rs = await runScript(restore, rw, 60000);
        assert.strictEqual(rs.code, 0, rs.stderr);
        assert.ok(
            rw.calls().some((c) => c.includes("s3api list-objects-v2")),
            "latest was looked up",
        );
        const refused = await runScript(restore, rw, 60000);
        assert.notStrictEqual(refused.code, 0, "restore must never overwrite a data dir");
        assert.match(refused.stderr, /is not empty/);

        // The restored member must come up with the peer URL the restore recorded.
        const config = path.join(dir, "restored.yaml");
        const m: EtcdMember = { name: "restored", host: "127.0.0.1", clientPort: (await freePorts(1))[0], peerPort: peer };
        const [metrics] = await freePorts(1);
        fs.writeFileSync(
            config,
            renderEtcdConfig(m, [m], {
                clusterToken: "prod-restore",
                initialClusterState: "new",
                listenIp: "127.0.0.1",
                dataDir: restoredData,
                pkiDir: path.join(dir, "pki"),
                metricsPort: metrics,
                etcdVersion: version,
            }),
        );
        const t0 = Date.now();
        startEtcd(config, path.join(dir, "restored.log"));
        const endpoint = `https://127.0.0.1:${m.clientPort}`;
        await waitUntil("restored member healthy", 30000, () => etcdctl([endpoint], tls, ["endpoint", "health"]).status === 0);
        const startMs = Date.now() - t0;
        const got = etcdctl([endpoint], tls, ["get", "/registry/test/", "--prefix", "-w", "json"], 30000);
        assert.strictEqual(got.status, 0, got.stderr);
        const kvs = (JSON.parse(got.stdout).kvs ?? []) as Array<{ key: string; value: string }>;
        const restored = new Map(kvs.map((kv) => [Buffer.from(kv.key, "base64").toString(), Buffer.from(kv.value, "base64").toString()]));
        assert.strictEqual(restored.size, KEYS);
        for (let i = 0; i < KEYS; i++) assert.strictEqual(restored.get(`/registry/test/key-${String(i).padStart(4, "0")}`), `value-${i}-${"x".repeat(i % 50)}`);
        const size = fs.statSync(path.join(s3, "prod-secrets", BACKUP_PREFIX, "prod", "hourly", hourly[0])).size;
        console.log(`      etcd ${version}: ${KEYS} keys, snapshot ${size} bytes; backup run ${b.ms} ms, restore run ${rs.ms} ms, restored member healthy in ${startMs} ms`);
    });
});
