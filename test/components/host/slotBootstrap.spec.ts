/**
 * The slot and control-plane bootstrap scripts, run for real with sh against
 * stubbed aws/curl/kubeadm/ip/mount (stubs.ts): first boot, reboot,
 * replacement, a predecessor that lingers, and two slots racing for init.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    ControlPlaneBootstrapOptions,
    SlotBootstrapOptions,
    renderControlPlaneBootstrapScript,
    renderControlPlaneBootstrapUnit,
    renderSlotBootstrapScript,
    renderSlotBootstrapUnit,
} from "../../../components/host";
import { assertShellcheckClean, removeTempDirs, tempDir } from "../../support/shell";
import { StubWorld, makeWorld, runScript, writeFiles } from "../../support/stubs";

const PRIMARY_MAC = "0a:00:00:00:00:01";
const SLOT_MAC = "0a:00:00:00:00:02";
const SLOT_OPTS: SlotBootstrapOptions = { cluster: "prod", slot: "a", region: "eu-west-1", role: "control-plane", attempts: 5, backoffMaxSeconds: 8 };

/** A fresh instance i-new in eu-west-1a whose slot ENI and volume are in the given states. */
function slotWorld(base: string, name: string, eni: string, volume: string): StubWorld {
    const w = makeWorld(base, name, path.join(base, "s3"));
    const meta = "imds/network/interfaces/macs";
    writeFiles(w.state, {
        "imds/instance-id": "i-new",
        "imds/placement/availability-zone": "eu-west-1a",
        "imds/mac": PRIMARY_MAC,
        "imds/local-ipv4": "10.30.1.77",
        "imds/local-hostname": "ip-10-30-1-77.eu-west-1.compute.internal",
        [`${meta}/${SLOT_MAC}/subnet-ipv4-cidr-block`]: "10.30.1.0/24",
        [`${meta}/${PRIMARY_MAC}/subnet-ipv4-cidr-block`]: "10.30.1.0/24",
        [`${meta}/${SLOT_MAC}/vpc-ipv4-cidr-blocks`]: "10.30.0.0/16",
        eni: `${eni}\n`,
        volume: `${volume}\n`,
        hostname: "ip-10-30-1-77",
    });
    writeFiles(w.root, {
        "sys/class/net/ens5/address": PRIMARY_MAC,
        "sys/class/net/ens6/address": SLOT_MAC,
        "sys/class/net/lo/address": "00:00:00:00:00:00",
        "dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0abc": "",
    });
    return w;
}
const ENI_FREE = `eni-1\tavailable\tNone\t10.30.1.10\t${SLOT_MAC}`;
const ENI_OLD = `eni-1\tin-use\ti-old\t10.30.1.10\t${SLOT_MAC}`;
const ENI_MINE = `eni-1\tin-use\ti-new\t10.30.1.10\t${SLOT_MAC}`;
const VOL_FREE = "vol-0abc\tavailable\tNone\tNone";
const VOL_OLD = "vol-0abc\tin-use\ti-old\tattached";
const VOL_MINE = "vol-0abc\tin-use\ti-new\tattached";
const count = (calls: string[], re: RegExp) => calls.filter((c) => re.test(c)).length;

describe("controlplane/slotBootstrap: slot script", function () {
    this.timeout(60000);
    const script = renderSlotBootstrapScript(SLOT_OPTS);
    let base = "";
    beforeEach(() => (base = tempDir("slot")));
    after(removeTempDirs);

    it("passes shellcheck -s sh", () => assertShellcheckClean(script, "slot bootstrap"));

    it("first boot: attaches ENI at index 1 and the volume, formats the empty volume once, mounts it, routes the fixed IP", async () => {
        const w = slotWorld(base, "first", ENI_FREE, VOL_FREE);
        const r = await runScript(script, w);
        assert.strictEqual(r.code, 0, r.stderr);
        const calls = w.calls();
        const describe = calls.find((c) => c.includes("describe-network-interfaces"))!;
        for (const f of [
            "Name=tag:k8s.io/slot,Values=a",
            "Name=tag:kubernetes.io/cluster/prod,Values=owned",
            "Name=tag-key,Values=k8s.io/role/control-plane",
            "Name=availability-zone,Values=eu-west-1a",
        ]) {
            assert.ok(describe.includes(f), `missing filter ${f}`);
        }
        assert.strictEqual(count(calls, /attach-network-interface --network-interface-id eni-1 --instance-id i-new --device-index 1$/), 1);
        assert.strictEqual(count(calls, /attach-volume --volume-id vol-0abc --instance-id i-new --device \/dev\/sdf$/), 1);
        assert.strictEqual(count(calls, /^mkfs\.ext4 -q -L slot-a .*nvme-Amazon_Elastic_Block_Store_vol0abc$/), 1);
        assert.strictEqual(count(calls, new RegExp(`^mount -t ext4 -o noatime .*vol0abc ${w.root}/var/lib/etcd$`)), 1);
        assert.strictEqual(count(calls, /^ip addr add 10\.30\.1\.10\/24 dev ens6$/), 1);
        assert.strictEqual(count(calls, /^ip rule add from 10\.30\.1\.10\/32 lookup 1001 priority 1001$/), 1);
        assert.strictEqual(count(calls, /^ip rule add from 10\.30\.1\.77\/32 lookup 1000 priority 1000$/), 1);
        assert.strictEqual(count(calls, /^ip route replace default via 10\.30\.1\.1 dev ens6 table 1001$/), 1);
        assert.strictEqual(count(calls, /^ip route replace 10\.30\.0\.0\/16 via 10\.30\.1\.1 dev ens6 src 10\.30\.1\.10$/), 1);
        assert.strictEqual(count(calls, /^hostnamectl set-hostname ip-10-30-1-77\.eu-west-1\.compute\.internal$/), 1);
        const env = fs.readFileSync(path.join(w.root, "run/k8s-aws/slot.env"), "utf8");
        assert.match(env, /^SLOT_IP=10\.30\.1\.10$/m);
        assert.match(env, /^NODE_NAME=ip-10-30-1-77\.eu-west-1\.compute\.internal$/m);
    });

    it("reboot: everything already in place, nothing attached, formatted, mounted or added again", async () => {
        const w = slotWorld(base, "reboot", ENI_MINE, VOL_MINE);
        writeFiles(w.state, {
            fs: "ext4\n",
            mounted: "",
            addrs: "3: ens6    inet 10.30.1.10/24 scope global ens6\n",
            rules: "1000:\tfrom 10.30.1.77 lookup 1000\n1001:\tfrom 10.30.1.10 lookup 1001\n",
            hostname: "ip-10-30-1-77.eu-west-1.compute.internal",
        });
        const r = await runScript(script, w);
        assert.strictEqual(r.code, 0, r.stderr);
        const calls = w.calls();
        for (const re of [/attach-/, /^mkfs/, /^mount /, /^ip addr add/, /^ip rule add/, /^hostnamectl/]) assert.strictEqual(count(calls, re), 0, `unexpected ${re}`);
    });

    it("replacement: waits while the dying predecessor holds ENI and volume, then takes them, keeping the data", async () => {
        const w = slotWorld(base, "replace", ENI_OLD, VOL_OLD);
        writeFiles(w.state, { "eni.release_after": "2", "volume.release_after": "1", fs: "ext4\n" });
        const r = await runScript(script, w);
        assert.strictEqual(r.code, 0, r.stderr);
        const calls = w.calls();
        assert.match(r.stderr, /eni: eni-1 is in-use \(held by i-old\); waiting/);
        assert.strictEqual(count(calls, /attach-network-interface/), 1);
        assert.strictEqual(count(calls, /attach-volume/), 1);
        assert.deepStrictEqual(calls.filter((c) => c.startsWith("sleep")).slice(0, 2), ["sleep 2", "sleep 4"], "backoff doubles");
        assert.strictEqual(count(calls, /^mkfs/), 0, "an existing filesystem must never be formatted");
        assert.strictEqual(count(calls, /^mount /), 1);
    });

    it("gives up (non-zero, nothing attached) when the predecessor never lets go", async () => {
        const w = slotWorld(base, "stuck", ENI_OLD, VOL_FREE);
        const r = await runScript(script, w);
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /could not claim the slot's eni after 5 attempts/);
        const calls = w.calls();
        assert.strictEqual(count(calls, /attach-/), 0);
        assert.deepStrictEqual(
            calls.filter((c) => c.startsWith("sleep")),
            ["sleep 2", "sleep 4", "sleep 8", "sleep 8"],
            "bounded, capped backoff",
        );
    });

    it("never formats when blkid fails for another reason than 'no filesystem'", async () => {
        const w = slotWorld(base, "blkid", ENI_MINE, VOL_MINE);
        writeFiles(w.state, { "blkid-error": "" });
        const r = await runScript(script, w);
        assert.notStrictEqual(r.code, 0);
        assert.strictEqual(count(w.calls(), /^mkfs/), 0);
    });

    it("rejects values that would not be safe in the script", () => {
        assert.throws(() => renderSlotBootstrapScript({ ...SLOT_OPTS, slot: "a'; reboot; '" }));
        assert.throws(() => renderSlotBootstrapScript({ ...SLOT_OPTS, region: "eu west" }));
        assert.throws(() => renderSlotBootstrapScript({ ...SLOT_OPTS, device: "/dev/sda" }));
    });

    it("unit runs once per boot before the secrets unit, kubelet and etcd", () => {
        const u = renderSlotBootstrapUnit();
        assert.match(u, /^Type=oneshot$/m);
        assert.match(u, /^Before=k8s-aws-secrets\.service kubelet\.service etcd\.service$/m);
        assert.match(u, /^RequiredBy=kubelet\.service etcd\.service$/m);
    });
});

const CP_OPTS: ControlPlaneBootstrapOptions = {
    slot: "a",
    region: "eu-west-1",
    bucket: "prod-secrets",
    kmsKeyId: "alias/prod-secrets",
    apiEndpoint: "api.prod.k8s.example.net:6443",
    etcdTopology: "stacked",
    controlPlaneCount: 3,
    attempts: 4,
    apiWaitAttempts: 5,
    backoffMaxSeconds: 4,
};

/** A control-plane instance whose secrets unit has delivered the kubeadm configs and the CA. */
function cpWorld(base: string, name: string, s3: string): StubWorld {
    const w = makeWorld(base, name, s3);
    writeFiles(w.root, {
        "etc/kubernetes/pki/kubeadm/init.yaml": "kind: InitConfiguration\n",
        "etc/kubernetes/pki/kubeadm/join.yaml": "kind: JoinConfiguration\n",
        "etc/kubernetes/pki/ca.crt": "CA\n",
    });
    writeFiles(w.state, { hostname: `ip-${name}` });
    return w;
}
const isInit = (c: string) => /^kubeadm init --config /.test(c);
const isJoin = (c: string) => /^kubeadm join /.test(c);

describe("controlplane/slotBootstrap: control-plane init or join", function () {
    this.timeout(60000);
    const script = renderControlPlaneBootstrapScript(CP_OPTS);
    let base = "";
    let s3 = "";
    beforeEach(() => {
        base = tempDir("cp");
        s3 = path.join(base, "s3");
    });
    after(removeTempDirs);

    it("passes shellcheck -s sh", () => {
        assertShellcheckClean(script, "control-plane bootstrap");
        assertShellcheckClean(renderControlPlaneBootstrapScript({ ...CP_OPTS, kmsKeyId: undefined, etcdTopology: "external", controlPlaneCount: 1 }), "control-plane bootstrap (external, single)");
    });

    it("first slot, first boot: claims the marker with If-None-Match and runs kubeadm init exactly once", async () => {
        const w = cpWorld(base, "a", s3);
        const r = await runScript(script, w);
        assert.strictEqual(r.code, 0, r.stderr);
        const calls = w.calls();
        const put = calls.filter((c) => c.includes("s3api put-object"));
        assert.strictEqual(put.length, 1);
        assert.match(put[0], /--bucket prod-secrets --key control-plane\/cluster-initialized --body \S+ --if-none-match \* --server-side-encryption aws:kms --ssekms-key-id alias\/prod-secrets$/);
        assert.strictEqual(calls.filter(isInit).length, 1);
        assert.match(calls.filter(isInit)[0], new RegExp(`^kubeadm init --config ${w.root}/etc/kubernetes/pki/kubeadm/init\\.yaml$`));
        assert.strictEqual(calls.filter(isJoin).length, 0);
        assert.ok(calls.includes("systemctl enable kubelet.service"));
    });

    it("second slot: the marker exists, so it waits for /readyz and joins", async () => {
        const first = cpWorld(base, "a", s3);
        assert.strictEqual((await runScript(script, first)).code, 0);
        const w = cpWorld(base, "b", s3);
        const r = await runScript(renderControlPlaneBootstrapScript({ ...CP_OPTS, slot: "b" }), w);
        // API not ready: bounded wait, then failure, and still no init.
        assert.notStrictEqual(r.code, 0);
        assert.strictEqual(w.calls().filter(isInit).length, 0);
        assert.strictEqual(w.calls().filter((c) => c.includes("/readyz")).length, CP_OPTS.apiWaitAttempts);
        writeFiles(w.state, { "api-ready": "" });
        const again = await runScript(renderControlPlaneBootstrapScript({ ...CP_OPTS, slot: "b" }), w);
        assert.strictEqual(again.code, 0, again.stderr);
        const calls = w.calls();
        assert.strictEqual(calls.filter(isInit).length, 0);
        assert.deepStrictEqual(calls.filter(isJoin), [`kubeadm join --config ${w.root}/etc/kubernetes/pki/kubeadm/join.yaml`]);
        assert.ok(calls.some((c) => /^curl .*--cacert \S+\/etc\/kubernetes\/pki\/ca\.crt https:\/\/api\.prod\.k8s\.example\.net:6443\/readyz$/.test(c)));
    });

    // The recreation of lost tmpfs leaf certificates moved to k8s-aws-leaf-certs.service, ordered before the
    // kubelet (test/components/host/leafCerts.spec.ts asserts it recreates them); this unit runs after the kubelet.
    it("reboot: kubelet.conf exists, so neither init nor join, and no kubeadm call at all", async () => {
        const w = cpWorld(base, "a", s3);
        writeFiles(w.root, { "etc/kubernetes/kubelet.conf": "x" });
        const r = await runScript(script, w);
        assert.strictEqual(r.code, 0, r.stderr);
        const calls = w.calls();
        assert.strictEqual(calls.filter(isInit).length + calls.filter(isJoin).length, 0);
        assert.strictEqual(calls.filter((c) => c.includes("put-object")).length, 0, "a member does not touch the marker");
        assert.deepStrictEqual(
            calls.filter((c) => c.startsWith("kubeadm")),
            [],
        );
    });

    it("replacement of slot a after the cluster exists: joins (rejoining its persisted etcd member), never inits", async () => {
        fs.mkdirSync(path.join(s3, "control-plane_cluster-initialized"), { recursive: true });
        const w = cpWorld(base, "a-replacement", s3);
        writeFiles(w.state, { "api-ready": "" });
        writeFiles(w.root, { "var/lib/etcd/data/member/wal/0.wal": "" });
        const r = await runScript(script, w);
        assert.strictEqual(r.code, 0, r.stderr);
        const calls = w.calls();
        assert.strictEqual(calls.filter(isInit).length, 0);
        assert.deepStrictEqual(calls.filter(isJoin), [
            `kubeadm join --config ${w.root}/etc/kubernetes/pki/kubeadm/join.yaml --ignore-preflight-errors=DirAvailable--var-lib-etcd-data --skip-phases=check-etcd`,
        ]);
    });

    it("two slots racing on first boot: exactly one init, the other joins", async () => {
        const a = cpWorld(base, "a", s3);
        const b = cpWorld(base, "b", s3);
        for (const w of [a, b]) writeFiles(w.state, { "api-ready": "" });
        const [ra, rb] = await Promise.all([runScript(script, a), runScript(renderControlPlaneBootstrapScript({ ...CP_OPTS, slot: "b" }), b)]);
        assert.strictEqual(ra.code, 0, ra.stderr);
        assert.strictEqual(rb.code, 0, rb.stderr);
        const all = [...a.calls(), ...b.calls()];
        assert.strictEqual(all.filter(isInit).length, 1, "exactly one kubeadm init");
        assert.strictEqual(all.filter(isJoin).length, 1, "the other slot joins");
    });

    it("many slots racing: still exactly one init", async () => {
        const worlds = ["a", "b", "c", "d", "e"].map((n) => cpWorld(base, n, s3));
        worlds.forEach((w) => writeFiles(w.state, { "api-ready": "" }));
        const runs = await Promise.all(worlds.map((w, i) => runScript(renderControlPlaneBootstrapScript({ ...CP_OPTS, slot: "abcde"[i] }), w)));
        runs.forEach((r) => assert.strictEqual(r.code, 0, r.stderr));
        const all = worlds.flatMap((w) => w.calls());
        assert.strictEqual(all.filter(isInit).length, 1);
        assert.strictEqual(all.filter(isJoin).length, 4);
    });

    it("a 409 conflict is retried until S3 says who won", async () => {
        fs.mkdirSync(path.join(s3, "control-plane_cluster-initialized"), { recursive: true });
        const w = cpWorld(base, "b", s3);
        writeFiles(w.state, { "s3-conflict-once": "", "api-ready": "" });
        const r = await runScript(script, w);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(w.calls().filter((c) => c.includes("put-object")).length, 2);
        assert.strictEqual(w.calls().filter(isJoin).length, 1);
        assert.strictEqual(w.calls().filter(isInit).length, 0);
    });

    it("an S3 outage is not permission to init: bounded retries, then failure with neither init nor join", async () => {
        const w = cpWorld(base, "a", s3);
        writeFiles(w.state, { "s3-down": "" });
        const r = await runScript(script, w);
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /refusing to guess/);
        assert.strictEqual(w.calls().filter((c) => c.includes("put-object")).length, CP_OPTS.attempts);
        assert.strictEqual(w.calls().filter((c) => c.startsWith("kubeadm")).length, 0);
    });

    it("a failed init keeps the marker, so a retry joins instead of initializing a second time", async () => {
        const w = cpWorld(base, "a", s3);
        writeFiles(w.state, { "kubeadm-fails": "" });
        const r = await runScript(script, w);
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /The marker stays/);
        fs.rmSync(path.join(w.state, "kubeadm-fails"));
        writeFiles(w.state, { "api-ready": "" });
        await runScript(script, w);
        assert.strictEqual(w.calls().filter(isInit).length, 1, "init ran once in total");
    });

    it("single control-plane slot replaced: brings the same cluster back from the persisted etcd data", async () => {
        fs.mkdirSync(path.join(s3, "control-plane_cluster-initialized"), { recursive: true });
        const single = renderControlPlaneBootstrapScript({ ...CP_OPTS, controlPlaneCount: 1 });
        const w = cpWorld(base, "dev", s3);
        writeFiles(w.root, { "var/lib/etcd/data/member/snap/db": "" });
        const r = await runScript(single, w);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(
            w.calls().filter((c) => c.startsWith("kubeadm")),
            [`kubeadm init --config ${w.root}/etc/kubernetes/pki/kubeadm/init.yaml --ignore-preflight-errors=DirAvailable--var-lib-etcd-data`],
        );
        const empty = cpWorld(base, "dev-empty", s3);
        const r2 = await runScript(single, empty);
        assert.notStrictEqual(r2.code, 0, "no data and no peers: refuse, restore a backup instead");
        assert.strictEqual(empty.calls().filter((c) => c.startsWith("kubeadm")).length, 0);
    });

    it("unit orders after the slot and secrets units", () => {
        const u = renderControlPlaneBootstrapUnit();
        assert.match(u, /^Requires=k8s-aws-slot\.service k8s-aws-secrets\.service$/m);
        assert.match(u, /^After=k8s-aws-slot\.service k8s-aws-secrets\.service containerd\.service network-online\.target$/m);
    });
});
