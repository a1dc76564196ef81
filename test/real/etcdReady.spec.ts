/**
 * The etcd launch gate script (components/host/etcdReady.sh), unmodified, against real things:
 *
 * 1. the real AWS CLI (awscli v1, pinned in tools/real/pins.ts) against moto's server, with an
 *    Auto Scaling group made the way the provider makes a group with an initial lifecycle hook
 *    (CreateAutoScalingGroup at size 0, PutLifecycleHook, UpdateAutoScalingGroup to 1:
 *    terraform-provider-aws internal/service/autoscaling/group.go resourceGroupCreate). Rung 3 for
 *    the CLI (its parameter validation, the JMESPath query, text output of a state, of "None");
 *    moto stands in for AWS. moto 5.2.5 does not emulate what the gate rests on
 *    (moto/autoscaling/models.py, responses.py in the pinned venv): an instance of a group is
 *    InService from its launch (InstanceState defaults lifecycle_state "InService"; no Pending,
 *    no Pending:Wait, so hooks never hold anything and no heartbeat timeout or ABANDON ever
 *    happens); CreateAutoScalingGroup ignores LifecycleHookSpecificationList; and
 *    CompleteLifecycleAction is not implemented (the server answers 500: "The
 *    complete_lifecycle_action action has not been implemented"). PutLifecycleHook and
 *    DescribeLifecycleHooks are (name, transition, timeout, default result kept). So the
 *    Pending:Wait case runs behind a shim standing in for that one thing: while the hook holds the
 *    instance, describe-auto-scaling-instances reports Pending:Wait instead of moto's InService,
 *    and complete-lifecycle-action, after the real CLI has sent the very same arguments to moto
 *    (proving they pass the CLI's own validation), succeeds only for a hook moto holds on the
 *    instance's group with a LAUNCHING transition, as AWS requires.
 * 2. a real etcd at the pinned release (three members configured by renderEtcdConfig on
 *    127.0.0.1, certificates from openssl) answering the script's /health polls on its metrics
 *    listener: a member started alone (no quorum) answers {"health":"false","reason":"RAFT NO
 *    LEADER"} and the script gives up without completing the hook; with quorum it answers true and
 *    the script completes it; after its two peers stop, false again. Rung 3 for etcd; the aws side
 *    there is the stub of test/support/lifecycleStubs.ts.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { ChildProcess } from "child_process";
import { ETCD_LAUNCH_HOOK_HEARTBEAT_SECONDS, ETCD_LAUNCH_HOOK_NAME, EtcdMember, renderEtcdConfig, renderEtcdReadyScript } from "../../components/host";
import { ETCD_VERSION } from "../../config/versions";
import { etcdVersion, freePorts, makeCa, makeLeaf, removeTempDirs, startEtcd, stopAllEtcd, tempDir, waitUntil, writeExecutable } from "../support/shell";
import { StubWorld, makeWorld, runScript, writeFiles } from "../support/stubs";
import { HEALTHY, HEALTH_CURL_STUB, LIFECYCLE_AWS_STUB, STUB_GROUP, STUB_INSTANCE } from "../support/lifecycleStubs";
import { Moto, startMoto } from "./moto";
import { requireTools } from "./requireTools";

const REGION = "eu-west-1";

/**
 * What moto 5.2.5 lacks, and only that (see the file comment): the hook's hold. $HELD names the
 * instance the hook holds; everything else is the real CLI against moto.
 */
function lifecycleShim(realAws: string, held: string, log: string): string {
    return `#!/bin/sh
printf '%s\\n' "aws $*" >>"${log}"
case " $* " in
  *" describe-auto-scaling-instances "*)
    out=$("${realAws}" "$@") || exit $?
    if [ -f "${held}" ]; then
      case $out in "InService	"*) out="Pending:Wait	\${out#InService	}" ;; esac
    fi
    printf '%s\\n' "$out"; exit 0 ;;
  *" complete-lifecycle-action "*) ;;
  *) exec "${realAws}" "$@" ;;
esac
# The real CLI first, unchanged: its own validation must pass (moto then answers 500, not implemented).
if err=$("${realAws}" "$@" 2>&1 >/dev/null); then echo "shim: moto implements CompleteLifecycleAction now: drop the shim" >&2; exit 99; fi
case $err in *"500 Internal Server Error"*) ;; *) printf '%s\\n' "$err" >&2; exit 252 ;; esac
hook=""; group=""; instance=""; result=""; prev=""
for a in "$@"; do
  case $prev in
    --lifecycle-hook-name) hook=$a ;; --auto-scaling-group-name) group=$a ;; --instance-id) instance=$a ;; --lifecycle-action-result) result=$a ;;
  esac
  prev=$a
done
transition=$("${realAws}" autoscaling describe-lifecycle-hooks --auto-scaling-group-name "$group" --lifecycle-hook-names "$hook" --query 'LifecycleHooks[0].LifecycleTransition' --output text)
in_group=$("${realAws}" autoscaling describe-auto-scaling-instances --instance-ids "$instance" --query 'AutoScalingInstances[0].AutoScalingGroupName' --output text)
if [ "$transition" != autoscaling:EC2_INSTANCE_LAUNCHING ] || [ "$in_group" != "$group" ] || [ "$(cat "${held}" 2>/dev/null)" != "$instance" ]; then
  echo "An error occurred (ValidationError) when calling the CompleteLifecycleAction operation: No active Lifecycle Action found with instance ID $instance" >&2; exit 254
fi
case $result in CONTINUE | ABANDON) ;; *) echo "An error occurred (ValidationError) when calling the CompleteLifecycleAction operation: invalid LifecycleActionResult $result" >&2; exit 254 ;; esac
rm -f "${held}"
echo "$result" >"${held}.result"
`;
}

describe("real AWS CLI against moto: the etcd launch gate script", function () {
    this.timeout(300_000);
    let moto: Moto;
    let base = "";
    let group = "";
    let member = "";
    let loose = "";

    before(async function () {
        base = tempDir("etcd-ready-moto");
        moto = await startMoto(this, path.join(base, "moto"), REGION);
        const seeded = moto.seed({
            region: REGION,
            vpc: { cidr: "10.30.0.0/16", tags: { Name: "prod" } },
            subnets: [{ name: "a", az: `${REGION}a`, cidr: "10.30.0.0/20", tags: { Name: "prod-a" } }],
            interfaces: [],
            volumes: [],
            instances: [{ name: "loose", subnet: "a" }],
        });
        loose = seeded.instances.loose.id;
        const ami = moto.awsJson(["ec2", "describe-images", "--owners", "amazon", "--query", "Images[0].ImageId"]);
        const lt = moto.awsJson(["ec2", "create-launch-template", "--launch-template-name", "prod-etcd-a-lt", "--launch-template-data", JSON.stringify({ ImageId: ami, InstanceType: "m7i.large" })])
            .LaunchTemplate.LaunchTemplateId;
        group = "prod-etcd-a-asg-0a1b2c3";
        // As the provider creates a group with initial lifecycle hooks: size 0, the hooks, then the size.
        moto.awsJson([
            "autoscaling",
            "create-auto-scaling-group",
            "--auto-scaling-group-name",
            group,
            "--launch-template",
            `LaunchTemplateId=${lt},Version=1`,
            "--min-size",
            "0",
            "--max-size",
            "0",
            "--vpc-zone-identifier",
            seeded.subnets.a,
        ]);
        moto.awsJson([
            "autoscaling",
            "put-lifecycle-hook",
            "--auto-scaling-group-name",
            group,
            "--lifecycle-hook-name",
            ETCD_LAUNCH_HOOK_NAME,
            "--lifecycle-transition",
            "autoscaling:EC2_INSTANCE_LAUNCHING",
            "--heartbeat-timeout",
            String(ETCD_LAUNCH_HOOK_HEARTBEAT_SECONDS),
            "--default-result",
            "ABANDON",
        ]);
        moto.awsJson(["autoscaling", "update-auto-scaling-group", "--auto-scaling-group-name", group, "--min-size", "1", "--max-size", "1", "--desired-capacity", "1"]);
        member = moto.awsJson(["autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", group]).AutoScalingGroups[0].Instances[0].InstanceId;
    });
    after(async () => {
        if (moto) await moto.stop();
        removeTempDirs();
    });

    function world(name: string, instanceId: string, held: boolean): StubWorld & { held: string } {
        const w = makeWorld(base, name, path.join(base, "s3"));
        const bin = path.join(base, name, "bin");
        const heldFile = path.join(w.state, "held");
        fs.rmSync(path.join(bin, "aws"));
        writeExecutable(path.join(bin, "aws"), lifecycleShim(moto.awsBin, heldFile, w.log));
        writeExecutable(path.join(bin, "curl"), HEALTH_CURL_STUB);
        writeFiles(w.state, { health: `${HEALTHY}\n`, ...(held ? { held: instanceId } : {}) });
        writeFiles(w.root, { "run/k8s-aws/slot.env": `SLOT=etcd-a\nINSTANCE_ID=${instanceId}\n` });
        Object.assign(w.env, moto.env, { PATH: `${bin}:/usr/bin:/bin` });
        return Object.assign(w, { held: heldFile });
    }
    const script = () => renderEtcdReadyScript({ region: REGION, pollSeconds: 1, maxWaitSeconds: 5, attempts: 2, backoffMaxSeconds: 1 });

    it("moto keeps the hook as the program sets it (name, LAUNCHING, 900 s, ABANDON)", () => {
        const hooks = moto.awsJson(["autoscaling", "describe-lifecycle-hooks", "--auto-scaling-group-name", group]).LifecycleHooks;
        assert.deepStrictEqual(
            hooks.map((h: any) => [h.LifecycleHookName, h.LifecycleTransition, h.HeartbeatTimeout, h.DefaultResult]),
            [[ETCD_LAUNCH_HOOK_NAME, "autoscaling:EC2_INSTANCE_LAUNCHING", ETCD_LAUNCH_HOOK_HEARTBEAT_SECONDS, "ABANDON"]],
        );
    });

    it("a reboot: the real CLI reads InService for the member's instance, and the script completes nothing", async () => {
        const w = world("reboot", member, false);
        const r = await runScript(script(), w, 120_000);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, new RegExp(`${member} is InService in ${group}: no launch lifecycle action waits on it`));
        assert.ok(!w.calls().some((c) => c.includes("complete-lifecycle-action")), w.calls().join("\n"));
    });

    it("an instance in no group: the real CLI's text output for no match is None, and the script completes nothing", async () => {
        const w = world("loose", loose, false);
        const r = await runScript(script(), w, 120_000);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, new RegExp(`${loose} is in no Auto Scaling group`));
    });

    it("held in Pending:Wait (shim): the real CLI sends complete-lifecycle-action for its own group and hook with CONTINUE", async () => {
        const w = world("held", member, true);
        const r = await runScript(script(), w, 120_000);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(fs.readFileSync(`${w.held}.result`, "utf8").trim(), "CONTINUE");
        assert.ok(!fs.existsSync(w.held), "the hook no longer holds the instance");
        assert.match(r.stderr, new RegExp(`completed ${ETCD_LAUNCH_HOOK_NAME} for ${member} in ${group}: CONTINUE`));
    });
});

/** GET url on loopback: status and body. */
function get(url: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { timeout: 30_000 }, (res) => {
            let body = "";
            res.on("data", (c) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error("timeout")));
    });
}

describe("real etcd: the launch gate script polls the pinned etcd's /health", function () {
    this.timeout(180_000);
    let etcd = "";
    let base = "";
    let metrics: number[] = [];
    const procs: ChildProcess[] = [];
    let configs: string[] = [];

    before(async function () {
        etcd = requireTools(this, ["etcd"]).etcd;
        assert.strictEqual(etcdVersion(etcd), ETCD_VERSION);
        base = tempDir("etcd-ready-etcd");
        const pki = path.join(base, "pki");
        fs.mkdirSync(pki, { recursive: true });
        makeCa(pki, "ca");
        for (const leaf of ["server", "peer"]) makeLeaf(pki, "ca", leaf, ["IP:127.0.0.1", "DNS:localhost"]);
        const ports = await freePorts(9);
        const members: EtcdMember[] = ["etcd-a", "etcd-b", "etcd-c"].map((name, i) => ({ name, host: "127.0.0.1", clientPort: ports[3 * i], peerPort: ports[3 * i + 1] }));
        metrics = [2, 5, 8].map((k) => ports[k]);
        configs = members.map((m, i) => {
            const file = path.join(base, m.name, "etcd.yaml");
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(
                file,
                renderEtcdConfig(m, members, {
                    clusterToken: "prod-etcd",
                    initialClusterState: "new",
                    listenIp: "127.0.0.1",
                    dataDir: path.join(base, m.name, "data"),
                    pkiDir: pki,
                    metricsPort: metrics[i],
                }),
            );
            return file;
        });
    });
    after(async () => {
        await stopAllEtcd();
        removeTempDirs();
    });

    function world(name: string): StubWorld {
        const w = makeWorld(base, name, path.join(base, "s3"));
        const bin = path.join(base, name, "bin");
        writeExecutable(path.join(bin, "aws"), LIFECYCLE_AWS_STUB);
        fs.rmSync(path.join(bin, "curl")); // the real curl, against the real etcd
        writeFiles(w.state, { asg: `Pending:Wait\t${STUB_GROUP}\n` });
        writeFiles(w.root, { "run/k8s-aws/slot.env": `SLOT=etcd-a\nINSTANCE_ID=${STUB_INSTANCE}\n` });
        return w;
    }
    const script = () => renderEtcdReadyScript({ region: REGION, metricsPort: metrics[0], pollSeconds: 1, maxWaitSeconds: 3, attempts: 2, backoffMaxSeconds: 1 });
    const completes = (w: StubWorld) => w.calls().filter((c) => c.includes(" complete-lifecycle-action "));

    it("a member started alone (no quorum): /health is 503 RAFT NO LEADER, and the script gives up without completing the hook", async () => {
        procs[0] = startEtcd(configs[0], path.join(base, "etcd-a.log"), etcd);
        await waitUntil("etcd-a's metrics listener", 30_000, () => fs.readFileSync(path.join(base, "etcd-a.log"), "utf8").includes("serving metrics"));
        const h = await get(`http://127.0.0.1:${metrics[0]}/health`);
        assert.strictEqual(h.status, 503, h.body);
        assert.deepStrictEqual(JSON.parse(h.body), { health: "false", reason: "RAFT NO LEADER" });
        const w = world("alone");
        const r = await runScript(script(), w, 60_000);
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /RAFT NO LEADER/);
        assert.deepStrictEqual(completes(w), []);
    });

    it("with quorum: /health is true, and the script completes the hook with CONTINUE", async () => {
        procs[1] = startEtcd(configs[1], path.join(base, "etcd-b.log"), etcd);
        procs[2] = startEtcd(configs[2], path.join(base, "etcd-c.log"), etcd);
        let last: string;
        const deadline = Date.now() + 60_000;
        for (;;) {
            const h = await get(`http://127.0.0.1:${metrics[0]}/health`).catch((e: Error) => ({ status: 0, body: e.message }));
            last = `${h.status} ${h.body}`;
            if (h.status === 200) break;
            assert.ok(Date.now() < deadline, `etcd-a never became healthy: ${last}`);
            await new Promise((r) => setTimeout(r, 250));
        }
        assert.deepStrictEqual(JSON.parse(last.slice(4)), { health: "true", reason: "" });
        const w = world("quorate");
        const r = await runScript(script(), w, 60_000);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(completes(w).length, 1);
        assert.match(completes(w)[0], /--lifecycle-action-result CONTINUE$/);
    });

    it("after losing its peers (no quorum again): /health is false again and a waiting instance would not be let in", async () => {
        for (const p of procs.slice(1)) p.kill("SIGTERM");
        await Promise.all(procs.slice(1).map((p) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once("exit", () => resolve())))));
        let h: { status: number; body: string };
        const deadline = Date.now() + 30_000;
        do {
            await new Promise((r) => setTimeout(r, 250));
            h = await get(`http://127.0.0.1:${metrics[0]}/health`);
        } while (h.status === 200 && Date.now() < deadline);
        assert.strictEqual(h.status, 503, h.body);
        assert.strictEqual(JSON.parse(h.body).health, "false");
        const w = world("lost-quorum");
        const r = await runScript(script(), w, 60_000);
        assert.strictEqual(r.code, 1, r.stderr);
        assert.deepStrictEqual(completes(w), []);
    });
});
