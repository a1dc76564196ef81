/**
 * k8s-aws-etcd-ready under stubs: completes the launch hook with CONTINUE only
 * while its instance is in Pending:Wait and only once /health says true; does
 * nothing on a reboot; gives up (the hook then abandons the instance) when the
 * member stays unhealthy. The same script runs with the real AWS CLI against
 * moto and against a real etcd in test/real/etcdReady.spec.ts.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ETCD_LAUNCH_HOOK_NAME, ETCD_READY_UNIT, SLOT_UNIT, renderEtcdReadyScript, renderEtcdReadyUnit } from "../../../components/host";
import { removeTempDirs, tempDir, writeExecutable } from "../../support/shell";
import { StubWorld, makeWorld, runScript, writeFiles } from "../../support/stubs";
import { HEALTHY, LIFECYCLE_AWS_STUB as AWS, HEALTH_CURL_STUB as CURL, NO_LEADER, STUB_GROUP as GROUP, STUB_INSTANCE as INSTANCE } from "../../support/lifecycleStubs";

describe("host/etcdReady: the launch gate script", () => {
    let base = "";
    before(() => {
        base = tempDir("etcd-ready");
    });
    after(() => removeTempDirs());

    function world(name: string, state: { asg?: string; health?: string[]; slotEnv?: string | null; files?: Record<string, string> }): StubWorld {
        const w = makeWorld(base, name, path.join(base, "s3"));
        const bin = path.join(base, name, "bin");
        writeExecutable(path.join(bin, "aws"), AWS);
        writeExecutable(path.join(bin, "curl"), CURL);
        const files: Record<string, string> = { health: `${(state.health ?? [HEALTHY]).join("\n")}\n`, ...state.files };
        if (state.asg) files.asg = `${state.asg}\n`;
        writeFiles(w.state, files);
        if (state.slotEnv !== null) writeFiles(w.root, { "run/k8s-aws/slot.env": state.slotEnv ?? `SLOT=etcd-a\nSLOT_IP=10.30.0.11\nINSTANCE_ID=${INSTANCE}\nNODE_NAME=ip-10-30-0-11\n` });
        return w;
    }
    const script = () => renderEtcdReadyScript({ region: "eu-west-1", pollSeconds: 5, maxWaitSeconds: 20, attempts: 3, backoffMaxSeconds: 2 });
    const completes = (w: StubWorld) => w.calls().filter((c) => c.includes(" complete-lifecycle-action "));
    const asgState = (w: StubWorld) => fs.readFileSync(path.join(w.state, "asg"), "utf8").split("\t")[0];

    it("in Pending:Wait: polls /health until true, then completes its own hook with CONTINUE and the group puts it in service", async () => {
        const w = world("pending", { asg: `Pending:Wait\t${GROUP}`, health: ["down", NO_LEADER, HEALTHY] });
        const r = await runScript(script(), w);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(completes(w), [
            `aws --region eu-west-1 autoscaling complete-lifecycle-action --lifecycle-hook-name ${ETCD_LAUNCH_HOOK_NAME} --auto-scaling-group-name ${GROUP} --instance-id ${INSTANCE} --lifecycle-action-result CONTINUE`,
        ]);
        assert.strictEqual(w.calls().filter((c) => c.startsWith("curl ")).length, 3);
        assert.ok(w.calls().every((c) => !c.startsWith("curl ") || c.endsWith("http://127.0.0.1:2381/health")));
        assert.match(r.stderr, /Connection refused/);
        assert.match(r.stderr, /RAFT NO LEADER/);
        assert.strictEqual(asgState(w), "InService");
        // Complete only after the last (healthy) poll.
        const calls = w.calls();
        assert.ok(calls.findIndex((c) => c.includes("complete-lifecycle-action")) > calls.map((c) => c.startsWith("curl ")).lastIndexOf(true));
    });

    it("on a reboot (InService): does nothing, does not even wait for etcd", async () => {
        const w = world("reboot", { asg: `InService\t${GROUP}`, health: ["down"] });
        const r = await runScript(script(), w);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(completes(w), []);
        assert.ok(!w.calls().some((c) => c.startsWith("curl ")));
        assert.match(r.stderr, /is InService in prod-etcd-a-asg-0a1b2c3: no launch lifecycle action waits on it/);
    });

    it("in no Auto Scaling group: nothing to complete", async () => {
        const w = world("nogroup", { health: ["down"] });
        const r = await runScript(script(), w);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(completes(w), []);
        assert.match(r.stderr, /in no Auto Scaling group/);
    });

    it("a member that stays unhealthy: gives up after the wait without completing (the hook abandons the instance)", async () => {
        const w = world("unhealthy", { asg: `Pending:Wait\t${GROUP}`, health: [NO_LEADER] });
        const r = await runScript(script(), w);
        assert.strictEqual(r.code, 1);
        assert.deepStrictEqual(completes(w), []);
        assert.match(r.stderr, /not healthy after 20 s \(last answer: \{"health":"false","reason":"RAFT NO LEADER"\}\); not completing k8s-aws-etcd-member-healthy/);
        assert.strictEqual(w.calls().filter((c) => c === "sleep 5").length, 4);
        assert.strictEqual(asgState(w), "Pending:Wait");
    });

    it("retries a failed describe, and fails clearly when it keeps failing", async () => {
        const w = world("flaky", { asg: `Pending:Wait\t${GROUP}`, files: { "describe-fails-1": "" } });
        const r = await runScript(script(), w);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(completes(w).length, 1);
        const down = world("down", { asg: `Pending:Wait\t${GROUP}`, files: { "describe-fails-1": "", "describe-fails-2": "", "describe-fails-3": "" } });
        const d = await runScript(script(), down);
        assert.strictEqual(d.code, 1);
        assert.match(d.stderr, /describe-auto-scaling-instances for i-0123456789abcdef0 failed 3 times: Could not connect/);
        assert.deepStrictEqual(completes(down), []);
    });

    it("a completion that fails because the action is gone: success if the instance is in service, an error if it left otherwise", async () => {
        const done = world("done-meanwhile", { asg: `Pending:Wait\t${GROUP}`, files: { "complete-then": `InService\t${GROUP}\n` } });
        const r = await runScript(script(), done);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /is InService: the launch action was completed meanwhile/);
        const gone = world("abandoned-meanwhile", { asg: `Pending:Wait\t${GROUP}`, files: { "complete-then": `Terminating:Wait\t${GROUP}\n` } });
        const g = await runScript(script(), gone);
        assert.strictEqual(g.code, 1);
        assert.match(g.stderr, /left Pending:Wait for Terminating:Wait before the action was completed: An error occurred \(ValidationError\)/);
    });

    it("waits for this boot's slot.env while the slot unit retries, then goes on", async () => {
        const w = world("slot-late", { asg: `Pending:Wait\t${GROUP}`, slotEnv: null });
        // The slot unit records the instance during the second wait.
        writeExecutable(
            path.join(w.state, "..", "bin", "sleep"),
            `#!/bin/sh\nprintf '%s\\n' "sleep $*" >>"$STUB_LOG"\n[ "$(grep -c '^sleep' "$STUB_LOG")" -eq 2 ] && mkdir -p "$K8S_AWS_ROOT/run/k8s-aws" && printf 'INSTANCE_ID=${INSTANCE}\\n' >"$K8S_AWS_ROOT/run/k8s-aws/slot.env"\nexit 0\n`,
        );
        const r = await runScript(script(), w);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /waiting for the slot unit to record this boot's instance/);
        assert.strictEqual(completes(w).length, 1);
    });

    it("refuses to guess its instance: without this boot's slot.env it gives up after the wait and completes nothing", async () => {
        const w = world("noslot", { asg: `Pending:Wait\t${GROUP}`, slotEnv: null });
        const r = await runScript(script(), w);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /run\/k8s-aws\/slot.env is still missing after 20 s: the slot unit has not claimed this slot on this boot/);
        assert.ok(!w.calls().some((c) => c.startsWith("aws ")));
    });

    it("runs as a oneshot after the slot unit (its instance id), not after etcd (it reports why etcd is not healthy)", () => {
        const unit = renderEtcdReadyUnit();
        assert.match(unit, /^Type=oneshot$/m);
        assert.match(unit, /^RemainAfterExit=yes$/m);
        assert.match(unit, new RegExp(`^Wants=${SLOT_UNIT} network-online.target$`, "m"));
        assert.doesNotMatch(unit, /^Requires=/m, "a restarting slot unit must not cancel it for good");
        assert.match(unit, new RegExp(`^After=${SLOT_UNIT} network-online.target$`, "m"));
        assert.doesNotMatch(unit, /etcd\.service/);
        assert.match(unit, /^TimeoutStartSec=25min$/m);
        assert.match(unit, /^WantedBy=multi-user.target$/m);
        assert.ok(ETCD_READY_UNIT.endsWith(".service"));
    });

    it("checks its inputs at render time", () => {
        assert.throws(() => renderEtcdReadyScript({ region: "moon-1" }), /region/);
        assert.throws(() => renderEtcdReadyScript({ region: "eu-west-1", metricsPort: 70000 }), /metricsPort/);
        assert.throws(() => renderEtcdReadyScript({ region: "eu-west-1", pollSeconds: 0 }), /pollSeconds/);
    });
});
