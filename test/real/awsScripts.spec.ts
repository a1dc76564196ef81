/**
 * The on-instance scripts, unmodified, with the real AWS CLI (awscli v1, PyPI, pinned in
 * tools/real/pins.ts) against moto's server (an AWS API emulator, same venv), seeded from the
 * prod stack's rendered plan. Only K8S_AWS_ROOT, the endpoint variables and PATH stubs for host
 * commands that cannot run here (curl for IMDS, ip, mount, blkid, kubeadm, systemctl, sleep)
 * differ from an instance. Each scenario asserts the end state in the emulator and on disk.
 * Ladder rung 3 for the CLI (real flags, filters, JMESPath, output formats, error texts and exit
 * codes); moto stands in for AWS (rung 4 is not available), and where moto does not model what
 * AWS does the test says so and keeps a focused shim for that one step.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { SpawnSyncReturns, spawnSync } from "child_process";
import { renderFetchScript, renderSecretsEnv } from "../../components/host/secretsDelivery";
import { fetchedObjects, objectKey } from "../../components/secrets";
import {
    bootstrapTokenDescription,
    etcdClientTls,
    renderControlPlaneBootstrapScript,
    renderEtcdBackupScript,
    renderEtcdRestoreScript,
    renderSlotBootstrapScript,
    renderTokenSyncScript,
    SECRETS_ENV_PATH,
} from "../../components/host";
import { removeTempDirs, tempDir, writeExecutable } from "../support/shell";
import { StubWorld, makeWorld, runScript, writeFiles } from "../support/stubs";
import { Recorded, runStackFixture } from "../support/harness";
import { Moto, SeedPlan, Seeded, motoToolsOrSkip, startMoto } from "./moto";
import { RenderedPlan, planFromRender } from "./motoPlan";

const REGION = "eu-west-1";
const CLUSTER = "prod";
const SLOT = "control-plane-a";
const SLOT_SUBNET = "prod-network-private-eu-west-1a";

/**
 * moto 5.2.5 attaches an interface or a volume that is already attached to another instance,
 * silently taking it over (moto/ec2/models/instances.py attach_eni; elastic_block_store.py
 * attach_volume). AWS refuses such an attach. This shim stands in for that one check only:
 * attach calls are serialised with flock, and one whose target the emulator shows attached
 * elsewhere fails as AWS would (non-zero exit, an error on stderr); everything else, the attach
 * itself included, goes to the real CLI unchanged.
 */
function attachGuardShim(realAws: string, lock: string): string {
    return `#!/bin/sh
case " $* " in
  *" attach-network-interface "* | *" attach-volume "*) ;;
  *) exec "${realAws}" "$@" ;;
esac
id=""; prev=""
for a in "$@"; do
  case "$prev" in --network-interface-id | --volume-id) id=$a ;; esac
  prev=$a
done
exec 9>"${lock}"
flock 9
case "$id" in
  eni-*) holder=$("${realAws}" ec2 describe-network-interfaces --network-interface-ids "$id" --query 'NetworkInterfaces[0].Attachment.InstanceId' --output text) ;;
  *) holder=$("${realAws}" ec2 describe-volumes --volume-ids "$id" --query 'Volumes[0].Attachments[0].InstanceId' --output text) ;;
esac
if [ -n "$holder" ] && [ "$holder" != None ]; then
  echo "An error occurred (shim: AWS refuses, moto does not) when attaching $id: already attached to $holder" >&2
  exit 254
fi
"${realAws}" "$@"
`;
}

/**
 * moto 5.2.5 checks PutObject's If-None-Match: * by looking the key up and then storing the
 * object, two steps on a threaded server (moto/s3/responses.py, the `if_none_match == "*"`
 * check before backend.put_object), so two requests arriving together could both pass. S3
 * decides atomically (the loser of a true tie gets 409 ConditionalRequestConflict:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html). This shim
 * supplies only that atomicity: PutObject calls wait for each other (flock); the request, its
 * header and S3's 412 answer are the real CLI's and moto's.
 */
function putObjectSerialisingShim(realAws: string, lock: string): string {
    return `#!/bin/sh
case " $* " in
  *" s3api put-object "*) exec 9>"${lock}"; flock 9; "${realAws}" "$@" ;;
  *) exec "${realAws}" "$@" ;;
esac
`;
}

/** The prod stack rendered once for the whole file (about 20 s under Pulumi's mocks). */
let rendered: Promise<Recorded> | undefined;
const renderProd = (): Promise<Recorded> => (rendered ??= runStackFixture(CLUSTER));

describe("real AWS CLI against moto: the on-instance scripts", function () {
    this.timeout(600000);
    let moto: Moto;
    let plan: RenderedPlan;
    let base = "";

    before(async function () {
        base = tempDir("moto");
        moto = await startMoto(this, path.join(base, "moto"), REGION);
        plan = planFromRender(await renderProd(), REGION, CLUSTER);
    });
    after(async () => {
        if (moto) await moto.stop();
        removeTempDirs();
    });

    async function seed(instances: SeedPlan["instances"]): Promise<Seeded> {
        await moto.reset();
        return moto.seed({ ...plan.seed, instances });
    }

    /**
     * An instance: the stubs world (curl answers IMDS from the emulator's instance, host commands
     * recorded) with `aws` the real CLI pointed at moto, and `sleep` running $STUB_STATE/on-sleep
     * (an outside event, such as the predecessor letting go) before it returns.
     */
    function instanceWorld(name: string, inst: Seeded["instances"][string], eni: Seeded["interfaces"][string], opts: { attachGuard?: string } = {}): StubWorld {
        const w = makeWorld(base, name, path.join(base, "unused-s3"));
        const bin = path.join(base, name, "bin");
        fs.rmSync(path.join(bin, "aws"));
        if (opts.attachGuard) writeExecutable(path.join(bin, "aws"), attachGuardShim(moto.awsBin, opts.attachGuard));
        else fs.symlinkSync(moto.awsBin, path.join(bin, "aws"));
        writeExecutable(path.join(bin, "sleep"), `#!/bin/sh\nprintf '%s\\n' "sleep $*" >>"$STUB_LOG"\nif [ -x "$STUB_STATE/on-sleep" ]; then "$STUB_STATE/on-sleep"; fi\nexit 0\n`);
        const meta = "imds/network/interfaces/macs";
        const subnet = plan.seed.subnets.find((s) => s.name === SLOT_SUBNET)!;
        writeFiles(w.state, {
            "imds/instance-id": inst.id,
            "imds/placement/availability-zone": inst.az,
            "imds/mac": inst.mac,
            "imds/local-ipv4": inst.ip,
            "imds/local-hostname": inst.hostname,
            [`${meta}/${eni.mac}/subnet-ipv4-cidr-block`]: subnet.cidr,
            [`${meta}/${inst.mac}/subnet-ipv4-cidr-block`]: subnet.cidr,
            [`${meta}/${eni.mac}/vpc-ipv4-cidr-blocks`]: plan.seed.vpc.cidr,
            hostname: "localhost",
        });
        writeFiles(w.root, { "sys/class/net/ens5/address": inst.mac, "sys/class/net/ens6/address": eni.mac });
        Object.assign(w.env, moto.env, { PATH: `${bin}:/usr/bin:/bin` });
        return w;
    }

    const slotScript = () => renderSlotBootstrapScript({ cluster: CLUSTER, slot: SLOT, region: REGION, role: "control-plane", attempts: 6, backoffMaxSeconds: 2 });
    const eniState = (id: string) => moto.awsJson(["ec2", "describe-network-interfaces", "--network-interface-ids", id]).NetworkInterfaces[0];
    const volumeState = (id: string) => moto.awsJson(["ec2", "describe-volumes", "--volume-ids", id]).Volumes[0];
    const slotEnv = (w: StubWorld) => fs.readFileSync(path.join(w.root, "run/k8s-aws/slot.env"), "utf8");
    const eniName = `${CLUSTER}-${SLOT}-eni`;
    const volName = `${CLUSTER}-${SLOT}-data`;
    const withDisk = (w: StubWorld, volumeId: string) => writeFiles(w.root, { [`dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`]: "" });

    describe("slot claim (k8s-aws-slot)", () => {
        it("first boot: the new instance holds the slot's interface (device index 1) and volume in the emulator, and slot.env names them", async () => {
            const s = await seed([{ name: "new", subnet: SLOT_SUBNET }]);
            const eni = s.interfaces[eniName];
            const w = instanceWorld("first", s.instances.new, eni);
            withDisk(w, s.volumes[volName]);
            const r = await runScript(slotScript(), w, 300000);
            assert.strictEqual(r.code, 0, r.stderr);
            const e = eniState(eni.id);
            assert.strictEqual(e.Status, "in-use");
            assert.strictEqual(e.Attachment.InstanceId, s.instances.new.id);
            assert.strictEqual(e.Attachment.DeviceIndex, 1);
            assert.strictEqual(e.PrivateIpAddress, "10.30.0.10", "the plan's fixed IP");
            const v = volumeState(s.volumes[volName]);
            assert.deepStrictEqual(
                v.Attachments.map((a: any) => [a.InstanceId, a.Device, a.State]),
                [[s.instances.new.id, "/dev/sdf", "attached"]],
            );
            const env = slotEnv(w);
            assert.match(env, /^SLOT=control-plane-a$/m);
            assert.match(env, /^SLOT_IP=10\.30\.0\.10$/m);
            assert.match(env, new RegExp(`^SLOT_ENI=${eni.id}$`, "m"));
            assert.match(env, new RegExp(`^SLOT_VOLUME=${s.volumes[volName]}$`, "m"));
            assert.match(env, new RegExp(`^INSTANCE_ID=${s.instances.new.id}$`, "m"));
            // The other slots' resources in the same zone were not touched.
            assert.strictEqual(eniState(s.interfaces[`${CLUSTER}-etcd-a-eni`].id).Status, "available");
        });

        it("replacement: waits while the predecessor holds interface and volume, claims them once released", async () => {
            const s = await seed([
                { name: "old", subnet: SLOT_SUBNET },
                { name: "new", subnet: SLOT_SUBNET },
            ]);
            const eni = s.interfaces[eniName];
            const vol = s.volumes[volName];
            const old = s.instances.old.id;
            moto.awsJson(["ec2", "attach-network-interface", "--network-interface-id", eni.id, "--instance-id", old, "--device-index", "1"]);
            moto.awsJson(["ec2", "attach-volume", "--volume-id", vol, "--instance-id", old, "--device", "/dev/sdf"]);
            const w = instanceWorld("replace", s.instances.new, eni);
            withDisk(w, vol);
            writeFiles(w.state, { fs: "ext4\n" });
            // The predecessor lets go after the new instance has waited twice: the real CLI detaches.
            // (moto 5.2.5 answers 500 to DetachVolume without --instance-id, which AWS accepts:
            // moto/ec2/models/elastic_block_store.py detach_volume looks the instance up; so pass it.)
            const attachmentId = eniState(eni.id).Attachment.AttachmentId;
            const cli = Object.entries(moto.env)
                .map(([k, v]) => `${k}='${v}'`)
                .join(" ");
            writeExecutable(
                path.join(w.state, "on-sleep"),
                `#!/bin/sh
n=$(grep -c '^sleep' "$STUB_LOG")
[ "$n" -eq 2 ] || exit 0
env ${cli} "${moto.awsBin}" ec2 detach-network-interface --attachment-id ${attachmentId} >/dev/null
env ${cli} "${moto.awsBin}" ec2 detach-volume --volume-id ${vol} --instance-id ${old} >/dev/null
`,
            );
            const r = await runScript(slotScript(), w, 300000);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stderr, new RegExp(`eni: ${eni.id} is in-use \\(held by ${old}\\); waiting`));
            assert.strictEqual(eniState(eni.id).Attachment.InstanceId, s.instances.new.id);
            assert.strictEqual(volumeState(vol).Attachments[0].InstanceId, s.instances.new.id);
            assert.ok(!w.calls().some((c) => c.startsWith("mkfs")), "the predecessor's filesystem is kept");
            assert.match(slotEnv(w), new RegExp(`^INSTANCE_ID=${s.instances.new.id}$`, "m"));
        });

        it("two candidates for one slot: exactly one ends up holding both, the other gives up without slot.env", async () => {
            const s = await seed([
                { name: "one", subnet: SLOT_SUBNET },
                { name: "two", subnet: SLOT_SUBNET },
            ]);
            const eni = s.interfaces[eniName];
            const vol = s.volumes[volName];
            const lock = path.join(base, "attach.lock");
            const worlds = ["one", "two"].map((n) => {
                const w = instanceWorld(`race-${n}`, s.instances[n], eni, { attachGuard: lock });
                withDisk(w, vol);
                return w;
            });
            const script = renderSlotBootstrapScript({ cluster: CLUSTER, slot: SLOT, region: REGION, role: "control-plane", attempts: 3, backoffMaxSeconds: 1 });
            const runs = await Promise.all(worlds.map((w) => runScript(script, w, 300000)));
            const winners = runs.map((r, i) => (r.code === 0 ? i : -1)).filter((i) => i >= 0);
            assert.strictEqual(winners.length, 1, runs.map((r) => r.stderr).join("\n----\n"));
            const winner = ["one", "two"][winners[0]];
            assert.strictEqual(eniState(eni.id).Attachment.InstanceId, s.instances[winner].id);
            assert.strictEqual(volumeState(vol).Attachments[0].InstanceId, s.instances[winner].id);
            const loser = worlds[1 - winners[0]];
            assert.ok(!fs.existsSync(path.join(loser.root, "run/k8s-aws/slot.env")));
            assert.match(runs[1 - winners[0]].stderr, /could not claim the slot's (eni|volume)/);
        });
    });

    describe("kubeadm init guard (k8s-aws-control-plane): S3 PutObject If-None-Match", () => {
        /** A control-plane instance whose secrets unit has delivered the kubeadm configs and the CA; the API answers. */
        function cpWorld(name: string): StubWorld {
            const w = makeWorld(base, name, path.join(base, "unused-s3"));
            const bin = path.join(base, name, "bin");
            fs.rmSync(path.join(bin, "aws"));
            writeExecutable(path.join(bin, "aws"), putObjectSerialisingShim(moto.awsBin, path.join(base, "put-object.lock")));
            writeFiles(w.root, {
                "etc/kubernetes/pki/kubeadm/init.yaml": "kind: InitConfiguration\n",
                "etc/kubernetes/pki/kubeadm/join.yaml": "kind: JoinConfiguration\n",
                "etc/kubernetes/pki/ca.crt": "CA\n",
            });
            writeFiles(w.state, { hostname: `ip-${name}`, "api-ready": "" });
            Object.assign(w.env, moto.env, { PATH: `${bin}:/usr/bin:/bin` });
            return w;
        }
        const cpScript = (slot: string) =>
            renderControlPlaneBootstrapScript({
                slot,
                region: REGION,
                bucket: plan.bucket,
                kmsKeyId: plan.kmsKeyArn,
                apiEndpoint: "api.prod.k8s.example.net:6443",
                etcdTopology: "external",
                controlPlaneCount: 3,
                attempts: 4,
                apiWaitAttempts: 3,
                backoffMaxSeconds: 1,
            });
        const isInit = (c: string) => /^kubeadm init --config /.test(c);
        const isJoin = (c: string) => /^kubeadm join /.test(c);

        it("three slots racing on first boot: exactly one creates the marker (SSE-KMS) and initialises, the others join", async () => {
            await seed([]);
            const slots = ["control-plane-a", "control-plane-b", "control-plane-c"];
            const worlds = slots.map((s) => cpWorld(`cp-${s}`));
            const runs = await Promise.all(worlds.map((w, i) => runScript(cpScript(slots[i]), w, 300000)));
            runs.forEach((r, i) => assert.strictEqual(r.code, 0, `${slots[i]}: ${r.stderr}`));
            const inits = worlds.map((w) => w.calls().filter(isInit).length);
            const joins = worlds.map((w) => w.calls().filter(isJoin).length);
            assert.strictEqual(
                inits.reduce((a, b) => a + b),
                1,
                `exactly one kubeadm init (${inits})`,
            );
            assert.strictEqual(
                joins.reduce((a, b) => a + b),
                2,
                `the others join (${joins})`,
            );
            const winner = slots[inits.indexOf(1)];
            const head = moto.awsJson(["s3api", "head-object", "--bucket", plan.bucket, "--key", "control-plane/cluster-initialized"]);
            assert.strictEqual(head.ServerSideEncryption, "aws:kms");
            assert.strictEqual(head.SSEKMSKeyId, plan.kmsKeyArn);
            const body = path.join(base, "marker.json");
            assert.strictEqual(moto.aws(["s3", "cp", "--only-show-errors", `s3://${plan.bucket}/control-plane/cluster-initialized`, body]).status, 0);
            assert.strictEqual(JSON.parse(fs.readFileSync(body, "utf8")).slot, winner, "the marker names the slot that initialised");
        });

        it("the marker already exists: the real 412 PreconditionFailed is read as 'join', and the marker is untouched", async () => {
            await seed([]);
            const before = moto.awsJson(["s3api", "put-object", "--bucket", plan.bucket, "--key", "control-plane/cluster-initialized"]);
            const w = cpWorld("cp-late");
            const r = await runScript(cpScript("control-plane-b"), w, 300000);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(w.calls().filter(isInit).length, 0);
            assert.strictEqual(w.calls().filter(isJoin).length, 1);
            const head = moto.awsJson(["s3api", "head-object", "--bucket", plan.bucket, "--key", "control-plane/cluster-initialized"]);
            assert.strictEqual(head.ETag, before.ETag, "the existing marker was not overwritten");
            assert.strictEqual(head.ContentLength, 0);
            // What claim_init reads: the error text, never the exit status, which differs between
            // CLI v1 (255 for any service error, observed here) and v2 (254; 252 for a usage error):
            // https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-returncodes.html (v2); v1 observed with awscli 1.46.3.
            const again = moto.aws(["s3api", "put-object", "--bucket", plan.bucket, "--key", "control-plane/cluster-initialized", "--if-none-match", "*"]);
            assert.notStrictEqual(again.status, 0);
            assert.match(again.stderr, /\(PreconditionFailed\) when calling the PutObject operation/);
        });
    });

    describe("secrets fetch (k8s-aws-fetch-secrets) from the plan's bucket", () => {
        const STUBS: Record<string, string> = {
            mount: `#!/bin/sh\necho "mount $*" >>"$CALLS"\nprintf 'tmpfs %s tmpfs %s 0 0\\n' "$6" "$4" >>"$K8S_AWS_ROOT/proc/self/mounts"\n`,
            mountpoint: `#!/bin/sh\necho "mountpoint $*" >>"$CALLS"\nawk -v d="$2" '$2 == d { found = 1 } END { exit !found }' "$K8S_AWS_ROOT/proc/self/mounts"\n`,
            logger: `#!/bin/sh\necho "logger $*" >>"$CALLS"\n`,
            uname: `#!/bin/sh\n[ "$1" = -r ] && echo 6.8.0-1021-aws\n`,
        };
        const objects = () => fetchedObjects({ kind: "control-plane" }, "external");

        function fetchWorld(name: string): { root: string; run: () => SpawnSyncReturns<string> } {
            const dir = path.join(base, name);
            const root = path.join(dir, "root");
            const bin = path.join(dir, "bin");
            for (const d of [bin, path.join(root, "etc/k8s-aws"), path.join(root, "proc/self")]) fs.mkdirSync(d, { recursive: true });
            for (const [n, text] of Object.entries(STUBS)) writeExecutable(path.join(bin, n), text);
            fs.symlinkSync(moto.awsBin, path.join(bin, "aws"));
            fs.writeFileSync(path.join(root, "proc/self/mounts"), "/dev/nvme0n1p1 / ext4 rw,relatime 0 0\n");
            fs.writeFileSync(path.join(root, SECRETS_ENV_PATH), renderSecretsEnv({ bucket: plan.bucket, region: REGION, audience: { kind: "control-plane" } }));
            const script = path.join(dir, "fetch.sh");
            fs.writeFileSync(script, renderFetchScript("control-plane", "external"));
            const env = { ...moto.env, PATH: `${bin}:/usr/bin:/bin`, K8S_AWS_ROOT: root, K8S_AWS_FETCH_BACKOFF: "0", K8S_AWS_FETCH_ATTEMPTS: "2", CALLS: path.join(dir, "calls"), HOME: dir };
            return { root, run: () => spawnSync("sh", [script], { env, encoding: "utf8", timeout: 180000 }) };
        }
        const partFiles = (dir: string): string[] =>
            fs
                .readdirSync(dir, { recursive: true })
                .map(String)
                .filter((f) => f.endsWith(".part") || /\.part\./.test(f));

        it("first boot and a reboot into an empty tmpfs: every object lands byte for byte with its mode", async () => {
            await seed([]);
            const w = fetchWorld("fetch");
            for (const bootNo of [1, 2]) {
                const r = w.run();
                assert.strictEqual(r.status, 0, `boot ${bootNo}: ${r.stderr}`);
                for (const o of objects()) {
                    const file = path.join(w.root, o.path);
                    assert.strictEqual(fs.readFileSync(file, "utf8"), plan.seed.bucket!.objects[objectKey(o)], `boot ${bootNo}: ${o.path}`);
                    assert.strictEqual((fs.statSync(file).mode & 0o777).toString(8).padStart(4, "0"), o.mode, `${o.path} mode`);
                }
                assert.deepStrictEqual(partFiles(path.join(w.root, "etc/kubernetes/pki")), []);
                // Reboot: the tmpfs is gone, its directory empty.
                fs.writeFileSync(path.join(w.root, "proc/self/mounts"), "/dev/nvme0n1p1 / ext4 rw,relatime 0 0\n");
                fs.rmSync(path.join(w.root, "etc/kubernetes/pki"), { recursive: true, force: true });
                fs.mkdirSync(path.join(w.root, "etc/kubernetes/pki"), { recursive: true });
            }
        });

        it("a missing object: the unit fails naming the key, the file is absent and nothing half-written is left", async () => {
            await seed([]);
            const gone = objects().find((o) => o.secret)!;
            assert.strictEqual(moto.aws(["s3", "rm", "--only-show-errors", `s3://${plan.bucket}/${objectKey(gone)}`]).status, 0);
            const w = fetchWorld("fetch-missing");
            const r = w.run();
            assert.notStrictEqual(r.status, 0);
            assert.match(r.stderr, new RegExp(`cannot fetch s3://${plan.bucket}/${objectKey(gone).replace(/[.]/g, "\\.")}`));
            assert.match(r.stderr, /\(404\)|Not Found|does not exist/, "the CLI's own words for the missing key reach the log");
            assert.match(r.stderr, /1 could not be fetched, 1 missing/);
            assert.ok(!fs.existsSync(path.join(w.root, gone.path)));
            assert.deepStrictEqual(partFiles(path.join(w.root, "etc/kubernetes/pki")), []);
        });
    });

    describe("etcd backups (k8s-aws-etcd-backup, k8s-aws-etcd-restore) in the plan's bucket", () => {
        // Host commands: etcdctl answers as the leader and writes a snapshot; etcdutl verifies and
        // restores by copying. The real etcd path is covered by test/components/controlplane/backup.spec.ts.
        const STUBS: Record<string, string> = {
            etcdctl: `#!/bin/sh
case "$*" in
  *"endpoint status -w fields"*) printf '"MemberID" : 42\\n"Leader" : 42\\n' ;;
  *"snapshot save "*) for a in "$@"; do f=$a; done; printf 'snapshot taken by %s\\n' "$RUN_ID" >"$f" ;;
  *) echo "etcdctl stub: unexpected $*" >&2; exit 2 ;;
esac`,
            etcdutl: `#!/bin/sh
case "$1 $2" in
  "snapshot status") echo '{"hash":1,"revision":2,"totalKey":3,"totalSize":4}' ;;
  "snapshot restore")
    [ "$3" = --help ] && exit 0
    dir=""; prev=""; for a in "$@"; do [ "$prev" = --data-dir ] && dir=$a; prev=$a; done
    mkdir -p "$dir/member/snap"; cp "$3" "$dir/member/snap/db" ;;
  *) exit 2 ;;
esac`,
            logger: "#!/bin/sh\nexit 0\n",
        };
        const prefix = `backups/etcd/${CLUSTER}`;

        function backupWorld(name: string): { root: string; run: (script: string, args?: string[], runId?: string) => SpawnSyncReturns<string> } {
            const dir = path.join(base, name);
            const root = path.join(dir, "root");
            const bin = path.join(dir, "bin");
            fs.mkdirSync(bin, { recursive: true });
            fs.mkdirSync(root, { recursive: true });
            for (const [n, text] of Object.entries(STUBS)) writeExecutable(path.join(bin, n), text);
            fs.symlinkSync(moto.awsBin, path.join(bin, "aws"));
            return {
                root,
                run: (script, args = [], runId = "run-1") => {
                    const file = path.join(dir, `script-${Math.random().toString(36).slice(2)}.sh`);
                    fs.writeFileSync(file, script);
                    return spawnSync("sh", [file, ...args], { env: { ...moto.env, PATH: `${bin}:/usr/bin:/bin`, K8S_AWS_ROOT: root, HOME: dir, RUN_ID: runId }, encoding: "utf8", timeout: 180000 });
                },
            };
        }
        const backupScript = () => renderEtcdBackupScript({ cluster: CLUSTER, region: REGION, bucket: plan.bucket, kmsKeyId: plan.kmsKeyArn, tls: etcdClientTls("external") });
        const get = (key: string, to: string) => {
            const r = moto.aws(["s3", "cp", "--only-show-errors", `s3://${plan.bucket}/${key}`, to]);
            assert.strictEqual(r.status, 0, r.stderr);
            return fs.readFileSync(to, "utf8");
        };

        it("a snapshot is uploaded under the hourly and the daily key with SSE-KMS; the day's first one stays the daily", async () => {
            await seed([]);
            const w = backupWorld("backup");
            const hoursBefore = new Date().toISOString().slice(0, 13);
            const first = w.run(backupScript(), [], "run-1");
            assert.strictEqual(first.status, 0, first.stderr);
            const second = w.run(backupScript(), [], "run-2");
            assert.strictEqual(second.status, 0, second.stderr);
            const hoursAfter = new Date().toISOString().slice(0, 13);
            const keys = moto
                .awsJson(["s3api", "list-objects-v2", "--bucket", plan.bucket, "--prefix", `${prefix}/`])
                .Contents.map((c: any) => c.Key)
                .sort();
            const hourly = keys.filter((k: string) => k.startsWith(`${prefix}/hourly/`));
            const daily = keys.filter((k: string) => k.startsWith(`${prefix}/daily/`));
            assert.ok(hourly.length >= 1 && hourly.every((k: string) => [hoursBefore, hoursAfter].some((h) => k === `${prefix}/hourly/${h}.db`)), `hourly keys ${hourly}`);
            assert.strictEqual(daily.length, hoursBefore.slice(0, 10) === hoursAfter.slice(0, 10) ? 1 : 2, `daily keys ${daily}`);
            for (const key of [...hourly, ...daily]) {
                const head = moto.awsJson(["s3api", "head-object", "--bucket", plan.bucket, "--key", key]);
                assert.strictEqual(head.ServerSideEncryption, "aws:kms", key);
                assert.strictEqual(head.SSEKMSKeyId, plan.kmsKeyArn, key);
            }
            assert.strictEqual(get(daily[0], path.join(base, "daily.db")), "snapshot taken by run-1\n", "the day's first snapshot is kept as the daily");
            assert.strictEqual(get(hourly[hourly.length - 1], path.join(base, "hourly.db")), "snapshot taken by run-2\n", "the hour keeps its last snapshot");
            assert.deepStrictEqual(fs.readdirSync(path.join(w.root, "var/lib/etcd/backup-tmp")), [], "no snapshot left on the volume");
        });

        it("retention: the plan's lifecycle rules are accepted by the CLI and cover exactly the keys the script writes", async () => {
            await seed([]);
            const recorded = await renderProd();
            const lifecycle = recorded.ofType("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").map((r) => recorded.inputs(r));
            assert.strictEqual(lifecycle.length, 1);
            // Pulumi's input shape to the S3 API's (PutBucketLifecycleConfiguration).
            const rules = (lifecycle[0].rules as any[]).map((r) => ({
                ID: r.id,
                Status: r.status,
                Filter: { Prefix: r.filter?.prefix ?? "" },
                ...(r.expiration ? { Expiration: { Days: r.expiration.days } } : {}),
                ...(r.noncurrentVersionExpiration ? { NoncurrentVersionExpiration: { NoncurrentDays: r.noncurrentVersionExpiration.noncurrentDays } } : {}),
                ...(r.abortIncompleteMultipartUpload ? { AbortIncompleteMultipartUpload: { DaysAfterInitiation: r.abortIncompleteMultipartUpload.daysAfterInitiation } } : {}),
            }));
            const put = moto.aws(["s3api", "put-bucket-lifecycle-configuration", "--bucket", plan.bucket, "--lifecycle-configuration", JSON.stringify({ Rules: rules })]);
            assert.strictEqual(put.status, 0, put.stderr);
            const back = moto.awsJson(["s3api", "get-bucket-lifecycle-configuration", "--bucket", plan.bucket]).Rules as any[];
            const expiryOf = (key: string) => back.filter((r) => r.Expiration && key.startsWith(r.Filter.Prefix)).map((r) => r.Expiration.Days);
            assert.deepStrictEqual(expiryOf(`${prefix}/hourly/2026-12-03T18.db`), [7]);
            assert.deepStrictEqual(expiryOf(`${prefix}/daily/2026-12-03.db`), [90]);
            assert.deepStrictEqual(expiryOf("control-plane/ca.key"), [], "no rule expires the cluster's secrets");
        });

        it("restore lists past S3's 1000-key page and takes the newest hourly snapshot", async () => {
            await seed([]);
            const objects: Record<string, string> = {};
            const start = Date.UTC(2026, 0, 1);
            for (let h = 0; h < 1010; h++) {
                const key = `${prefix}/hourly/${new Date(start + h * 3600_000).toISOString().slice(0, 13)}.db`;
                objects[key] = `${key}\n`;
            }
            objects[`${prefix}/daily/2026-02-12.db`] = "daily\n";
            moto.putObjects(plan.bucket, objects);
            const newest = Object.keys(objects)
                .filter((k) => k.includes("/hourly/"))
                .sort()
                .pop()!;
            const w = backupWorld("restore");
            const restore = renderEtcdRestoreScript({
                cluster: CLUSTER,
                region: REGION,
                bucket: plan.bucket,
                memberName: "etcd-a",
                peerUrl: "https://10.30.0.11:2380",
                initialCluster: "etcd-a=https://10.30.0.11:2380",
                initialClusterToken: "prod-restore",
            });
            const r = w.run(restore);
            assert.strictEqual(r.status, 0, r.stderr);
            assert.strictEqual(fs.readFileSync(path.join(w.root, "var/lib/etcd/data/member/snap/db"), "utf8"), `${newest}\n`);
        });
    });

    describe("bootstrap token sync (k8s-aws-token-sync)", () => {
        /** A control-plane slot after kubeadm init: admin.conf, the secrets env file, the pki tmpfs (kubeadm stub keeps tokens as files). */
        function tokenWorld(name: string): StubWorld {
            const w = makeWorld(base, name, path.join(base, "unused-s3"));
            const bin = path.join(base, name, "bin");
            fs.rmSync(path.join(bin, "aws"));
            fs.symlinkSync(moto.awsBin, path.join(bin, "aws"));
            Object.assign(w.env, moto.env, { PATH: `${bin}:/usr/bin:/bin` });
            writeFiles(w.root, {
                "etc/kubernetes/admin.conf": "apiVersion: v1\nkind: Config\n",
                [SECRETS_ENV_PATH.slice(1)]: renderSecretsEnv({ bucket: plan.bucket, region: REGION, audience: { kind: "control-plane" } }),
                "etc/kubernetes/pki/kubeadm/.keep": "",
            });
            return w;
        }
        it("a token rotated in the bucket becomes the cluster's bootstrap token; the earlier one is removed", async () => {
            await seed([]);
            const description = bootstrapTokenDescription(CLUSTER);
            const initial = plan.seed.bucket!.objects["nodes/bootstrap-token"];
            assert.match(initial, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
            const rotated = "r0tat3.0123456789abcdef";
            const body = path.join(base, "rotated-token");
            fs.writeFileSync(body, rotated);
            const put = moto.aws(["s3", "cp", "--only-show-errors", "--sse", "aws:kms", "--sse-kms-key-id", plan.kmsKeyArn, body, `s3://${plan.bucket}/nodes/bootstrap-token`]);
            assert.strictEqual(put.status, 0, put.stderr);
            const w = tokenWorld("token-sync");
            // The cluster as kubeadm init left it: the plan's token, and one a user made.
            writeFiles(w.state, {
                mounted: "",
                [`tokens/${initial.split(".")[0]}`]: `${initial}\t${description}\n`,
                "tokens/us3rtk": "us3rtk.aaaaaaaaaaaaaaaa\tmade by a user\n",
            });
            const r = await runScript(renderTokenSyncScript({ cluster: CLUSTER, backoffSeconds: 1 }), w, 300000);
            assert.strictEqual(r.code, 0, r.stderr);
            const tokens = fs.readdirSync(path.join(w.state, "tokens")).sort();
            assert.deepStrictEqual(tokens, ["r0tat3", "us3rtk"]);
            assert.strictEqual(fs.readFileSync(path.join(w.state, "tokens/r0tat3"), "utf8"), `${rotated}\t${description}\n`);
            assert.strictEqual(fs.readFileSync(path.join(w.root, "etc/kubernetes/pki/bootstrap-token"), "utf8"), rotated, "the tmpfs copy is refreshed");
            assert.ok(!r.stderr.includes("0123456789abcdef"), "the secret is never logged");
        });

        it("the token object is missing: a clear error from the CLI's 404, the cluster's tokens untouched", async () => {
            await seed([]);
            const description = bootstrapTokenDescription(CLUSTER);
            const initial = plan.seed.bucket!.objects["nodes/bootstrap-token"];
            assert.strictEqual(moto.aws(["s3", "rm", "--only-show-errors", `s3://${plan.bucket}/nodes/bootstrap-token`]).status, 0);
            const w = tokenWorld("token-missing");
            writeFiles(w.state, { mounted: "", [`tokens/${initial.split(".")[0]}`]: `${initial}\t${description}\n` });
            const r = await runScript(renderTokenSyncScript({ cluster: CLUSTER, backoffSeconds: 1 }), w, 300000);
            assert.notStrictEqual(r.code, 0);
            assert.match(r.stderr, /the bootstrap token object s3:\/\/\S+\/nodes\/bootstrap-token does not exist: nothing to register/);
            assert.deepStrictEqual(fs.readdirSync(path.join(w.state, "tokens")), [initial.split(".")[0]]);
            assert.ok(!fs.existsSync(path.join(w.root, "etc/kubernetes/pki/bootstrap-token.part")));
            assert.ok(!w.calls().some((c) => /^kubeadm token (create|delete)/.test(c)));
        });
    });
});

describe("real AWS CLI against moto with IAM enforced: a role reading another role's prefix", function () {
    this.timeout(600000);
    let moto: Moto;
    let plan: RenderedPlan;
    let policies: Record<string, string[]>;
    let base = "";
    let creds: Record<string, string> = {};

    before(async function () {
        motoToolsOrSkip(this);
        base = tempDir("moto-iam");
        const recorded = await renderProd();
        plan = planFromRender(recorded, REGION, CLUSTER);
        // The plan's S3 read policies, by role: the node role's and the control-plane role's.
        policies = { node: [], "control-plane": [] };
        // Roles are named from a prefix plus a unique suffix (lib/awsLimits.ts), so a policy's role is known by the role resource's id.
        const roleKind = new Map<string, "node" | "control-plane">();
        for (const role of recorded.ofType("aws:iam/role:Role")) {
            const kind = /-iam-node$/.test(role.name) ? "node" : /-iam-control-plane$/.test(role.name) ? "control-plane" : undefined;
            if (kind && role.id) roleKind.set(role.id, kind);
        }
        for (const rp of recorded.ofType("aws:iam/rolePolicy:RolePolicy")) {
            const i = recorded.inputs(rp);
            const kind = roleKind.get(String(i.role));
            if (kind) policies[kind].push(String(i.policy));
        }
        assert.ok(policies.node.length > 0 && policies["control-plane"].length > 0, "the plan has node and control-plane role policies");
        // Requests served before moto starts enforcing: the seeding below, exactly.
        const objects = Object.keys(plan.seed.bucket!.objects).length;
        const seedingRequests = 1 + objects + 1 + policies.node.length + 1;
        moto = await startMoto(this, path.join(base, "moto"), REGION, { unauthenticatedRequests: seedingRequests });
        const python = path.join(path.dirname(moto.awsBin), "python");
        // An IAM user stands in for the node instance role: moto evaluates the same identity
        // policy documents for a user's access key (moto does not model instance profiles).
        const code = `import json, sys, boto3
d = json.load(sys.stdin)
s3 = boto3.client("s3"); iam = boto3.client("iam")
s3.create_bucket(Bucket=d["bucket"], CreateBucketConfiguration={"LocationConstraint": d["region"]})
for k, v in d["objects"].items(): s3.put_object(Bucket=d["bucket"], Key=k, Body=v.encode())
iam.create_user(UserName="node")
for n, p in enumerate(d["policies"]): iam.put_user_policy(UserName="node", PolicyName=f"p{n}", PolicyDocument=p)
k = iam.create_access_key(UserName="node")["AccessKey"]
print(json.dumps({"AWS_ACCESS_KEY_ID": k["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": k["SecretAccessKey"]}))
`;
        const r = spawnSync(python, ["-c", code], {
            env: { ...process.env, ...moto.env, HOME: base },
            encoding: "utf8",
            timeout: 120000,
            input: JSON.stringify({ bucket: plan.bucket, region: REGION, objects: plan.seed.bucket!.objects, policies: policies.node }),
        });
        assert.strictEqual(r.status, 0, r.stderr);
        creds = JSON.parse(r.stdout);
    });
    after(async () => {
        if (moto) await moto.stop();
        removeTempDirs();
    });

    function fetchAs(kind: "node" | "control-plane", name: string): { status: number | null; stderr: string; root: string } {
        const dir = path.join(base, name);
        const root = path.join(dir, "root");
        const bin = path.join(dir, "bin");
        for (const d of [bin, path.join(root, "etc/k8s-aws"), path.join(root, "proc/self")]) fs.mkdirSync(d, { recursive: true });
        writeExecutable(path.join(bin, "mount"), `#!/bin/sh\nprintf 'tmpfs %s tmpfs %s 0 0\\n' "$6" "$4" >>"$K8S_AWS_ROOT/proc/self/mounts"\n`);
        writeExecutable(path.join(bin, "mountpoint"), `#!/bin/sh\nawk -v d="$2" '$2 == d { found = 1 } END { exit !found }' "$K8S_AWS_ROOT/proc/self/mounts"\n`);
        writeExecutable(path.join(bin, "logger"), "#!/bin/sh\nexit 0\n");
        fs.symlinkSync(moto.awsBin, path.join(bin, "aws"));
        fs.writeFileSync(path.join(root, "proc/self/mounts"), "/dev/nvme0n1p1 / ext4 rw,relatime 0 0\n");
        fs.writeFileSync(path.join(root, SECRETS_ENV_PATH), renderSecretsEnv({ bucket: plan.bucket, region: REGION, audience: { kind } }));
        const script = path.join(dir, "fetch.sh");
        fs.writeFileSync(script, renderFetchScript(kind, "external"));
        const r = spawnSync("sh", [script], {
            env: { ...moto.env, ...creds, PATH: `${bin}:/usr/bin:/bin`, K8S_AWS_ROOT: root, K8S_AWS_FETCH_BACKOFF: "0", K8S_AWS_FETCH_ATTEMPTS: "1", HOME: dir },
            encoding: "utf8",
            timeout: 180000,
        });
        return { status: r.status, stderr: r.stderr, root };
    }

    it("moto is enforcing: an unknown access key is refused", () => {
        const r = moto.aws(["s3api", "head-object", "--bucket", plan.bucket, "--key", "nodes/ca.crt"]);
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /403|Forbidden|InvalidAccessKeyId/);
    });

    it("the node role's policy fetches every node object; the control-plane fetch with the node role is refused and writes nothing", () => {
        const ok = fetchAs("node", "as-node");
        assert.strictEqual(ok.status, 0, ok.stderr);
        for (const o of fetchedObjects({ kind: "node" }, "external")) {
            assert.strictEqual(fs.readFileSync(path.join(ok.root, o.path), "utf8"), plan.seed.bucket!.objects[objectKey(o)], o.path);
        }
        const refused = fetchAs("control-plane", "node-as-control-plane");
        assert.notStrictEqual(refused.status, 0);
        assert.match(refused.stderr, /cannot fetch s3:\/\/\S+\/control-plane\/ca\.key/);
        assert.match(refused.stderr, /\(403\)|Forbidden|AccessDenied/, "the refusal is S3's, in the CLI's words");
        const cpOnly = fetchedObjects({ kind: "control-plane" }, "external").filter((o) => o.prefix === "control-plane");
        for (const o of cpOnly) assert.ok(!fs.existsSync(path.join(refused.root, o.path)), `${o.path} must not exist`);
        const parts = fs
            .readdirSync(path.join(refused.root, "etc/kubernetes/pki"), { recursive: true })
            .map(String)
            .filter((f) => /\.part/.test(f));
        assert.deepStrictEqual(parts, []);
    });
});
