/**
 * The health gate between roll steps (tools/roll/index.ts healthGateFor, rung 1 for the wiring):
 * `npm run validate`'s validateCluster against what the stack file configures and the slots the
 * stack outputs name; the /readyz-and-nodes fallback, said on stderr, when the stack file cannot be
 * read; an unreachable API server is an unhealthy pass (polled again), refused credentials end the
 * roll. The last case runs the real validateCluster against a closed loopback port.
 */
import * as assert from "assert";
import { healthGateFor } from "../../../tools/roll/index";
import type { HealthGate, HealthResult } from "../../../tools/roll/ports";
import { readStackFile } from "../../../tools/offline/stackFile";
import { expectedFromStack, type ExpectedCluster } from "../../../tools/validate/expected";
import { ConnectionError } from "../../../tools/validate/kubeApi";

const KUBECONFIG = "apiVersion: v1\nkind: Config\n# the roll passes the text through untouched\n";
const SLOTS = [
    { name: "control-plane-a", zone: "eu-west-1a", ip: "10.1.0.99" },
    { name: "control-plane-b", zone: "eu-west-1b", ip: "10.1.32.99" },
    { name: "control-plane-c", zone: "eu-west-1c", ip: "10.1.64.99" },
];

function sink() {
    const io = { stdout: "", stderr: "" };
    return { io, out: { out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) } };
}

const fallback: HealthGate = async () => ({ healthy: true, results: [{ check: "fallback", where: "-", ok: true, message: "" }] });

describe("roll health gate wiring (healthGateFor)", () => {
    it("is validateCluster with the stack file's expectations and the outputs' slots, and returns its verdict", async () => {
        const calls: { kubeconfig: string; expected: ExpectedCluster }[] = [];
        const verdict: HealthResult = { healthy: false, results: [{ check: "etcd members", where: "control-plane-b", ok: false, message: "2 of 3 healthy" }] };
        const { io, out } = sink();
        const gate = await healthGateFor("staging", { controlPlaneSlots: SLOTS }, KUBECONFIG, fallback, out, { validateCluster: async (o) => (calls.push(o), verdict) });
        assert.notStrictEqual(gate, fallback);
        assert.deepStrictEqual(await gate(), verdict);
        assert.strictEqual(calls.length, 1);
        assert.strictEqual(calls[0].kubeconfig, KUBECONFIG);
        assert.deepStrictEqual(calls[0].expected, expectedFromStack(readStackFile("staging").config, { controlPlaneSlots: SLOTS }));
        assert.deepStrictEqual(
            calls[0].expected.controlPlaneSlots.map((s) => s.ip),
            ["10.1.0.99", "10.1.32.99", "10.1.64.99"],
            "the deployed slots, not a recomputed layout",
        );
        assert.strictEqual(io.stderr, "");
    });

    it("falls back to the readiness gate, and says why, when the stack file cannot be read", async () => {
        const { io, out } = sink();
        let asked = 0;
        const gate = await healthGateFor("nosuch", {}, KUBECONFIG, fallback, out, { validateCluster: async () => (asked++, { healthy: true, results: [] }) });
        assert.strictEqual(gate, fallback);
        assert.match(
            io.stderr,
            /^roll: health gate without the stack file \(--stack: "nosuch" has no stack file stacks\/Pulumi\.nosuch\.yaml; allowed: dev, .*\): \/readyz and every node Ready only\n$/,
        );
        await gate();
        assert.strictEqual(asked, 0);
    });

    it("counts an unreachable API server as an unhealthy pass, and ends the roll on refused credentials", async () => {
        const { out } = sink();
        let error = new ConnectionError("cannot reach the Kubernetes API at https://10.1.0.10:6443: connect ETIMEDOUT");
        const gate = await healthGateFor("staging", {}, KUBECONFIG, fallback, out, { validateCluster: async () => Promise.reject(error) });
        assert.deepStrictEqual(await gate(), { healthy: false, results: [{ check: "api reachable", where: "kube-apiserver", ok: false, message: error.message }] });
        error = new ConnectionError("the Kubernetes API at https://10.1.0.10:6443 refused the kubeconfig's credentials (HTTP 401)");
        await assert.rejects(gate(), /refused the kubeconfig's credentials/);
        error = new Error("AWS: cannot read the cluster's Auto Scaling groups") as ConnectionError;
        await assert.rejects(gate(), /^Error: AWS: cannot read/);
    });

    it("with the real validateCluster: a closed API port is an unhealthy pass, not an exception", async () => {
        const { out } = sink();
        const kubeconfig = `apiVersion: v1\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1', certificate-authority-data: ${Buffer.from("unused").toString("base64")}}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`;
        const gate = await healthGateFor("staging", {}, kubeconfig, fallback, out);
        const r = await gate();
        assert.strictEqual(r.healthy, false);
        assert.deepStrictEqual(
            r.results.map((x) => x.check),
            ["api reachable"],
        );
        assert.match(r.results[0].message, /cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:1: connect ECONNREFUSED/);
    });
});
