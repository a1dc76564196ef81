/**
 * Rung 1: the checks over hand-made API objects, for the cases the real tier cannot make
 * (an apiserver whose etcd check fails, AWS groups, a desired count without cluster-autoscaler),
 * and the rendering of reports (table, JSON, failure lines) and durations.
 */
import * as assert from "assert";
import { csrChecks, groupChecks, poolChecks, readyzChecks, slotChecks } from "../../../tools/validate/checks";
import { ExpectedCluster } from "../../../tools/validate/expected";
import { failureLines, formatJson, formatTable, parseDuration, summaryLine } from "../../../tools/validate/format";
import { toClusterGroup } from "../../../tools/validate/autoScaling";

const EXPECTED: ExpectedCluster = {
    clusterName: "c",
    region: "eu-west-1",
    clusterTag: "kubernetes.io/cluster/c",
    etcdTopology: "stacked",
    controlPlaneSlots: [{ name: "control-plane-a", zone: "eu-west-1a", ip: "10.0.0.10" }],
    pools: [{ name: "general", min: 2, desired: 3, max: 6 }],
    workloads: [],
    systemNamespaces: ["kube-system"],
};
const node = (name: string, labels: Record<string, string>, ready: boolean, extra: Record<string, unknown> = {}) => ({
    metadata: { name, labels },
    spec: { providerID: `aws:///eu-west-1a/i-0${name.length}abc`, ...extra },
    status: {
        addresses: [{ type: "InternalIP", address: String(labels.ip ?? "10.0.1.1") }],
        conditions: [{ type: "Ready", status: ready ? "True" : "Unknown", reason: ready ? "KubeletReady" : "NodeStatusUnknown", message: ready ? "" : "Kubelet stopped posting node status." }],
    },
});

describe("validate/checks", () => {
    it("readyz: a failing etcd check is an etcd row naming it; other failures each a row; a pass is one row", () => {
        // The shape kube-apiserver 1.35 answers /readyz?verbose with when etcd is down (k8s.io/apiserver healthz.go handleRootHealth).
        const body = "[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[+]etcd-readiness ok\n[-]poststarthook/rbac/bootstrap-roles failed: reason withheld\nreadyz check failed\n";
        assert.deepStrictEqual(
            readyzChecks({ status: 500, body }).map((r) => `${r.ok ? "ok" : "FAIL"} ${r.check} ${r.where}`),
            ["FAIL etcd /readyz etcd", "ok etcd /readyz etcd-readiness", "FAIL apiserver /readyz poststarthook/rbac/bootstrap-roles"],
        );
        const good = readyzChecks({ status: 200, body: "[+]ping ok\n[+]etcd ok\n[+]etcd-readiness ok\nreadyz check passed\n" });
        assert.ok(good.every((r) => r.ok));
        assert.deepStrictEqual(
            readyzChecks({ status: 200, body: "[+]ping ok\nreadyz check passed\n" })
                .filter((r) => !r.ok)
                .map((r) => r.message),
            ["kube-apiserver's readiness lists no etcd check"],
        );
    });

    it("slots: matched by fixed IP; a stale NotReady node beside a Ready replacement keeps the slot ok; a stranger control-plane node fails", () => {
        const cp = { "node-role.kubernetes.io/control-plane": "", ip: "10.0.0.10" };
        const rows = slotChecks(EXPECTED, [node("old", cp, false), node("new", cp, true), node("odd", { "node-role.kubernetes.io/control-plane": "", ip: "10.0.9.9" }, true)]);
        assert.deepStrictEqual(
            rows.map((r) => [r.where, r.ok]),
            [
                ["control-plane-a (eu-west-1a)", true],
                ["odd", false],
            ],
        );
        assert.deepStrictEqual(
            slotChecks(EXPECTED, []).map((r) => r.message),
            ["no node registered with InternalIP 10.0.0.10"],
        );
    });

    it("pools: at least min when cluster-autoscaler sizes them, desired when nothing does; unknown pools and unlabelled nodes fail", () => {
        const pool = (n: number) => Array.from({ length: n }, (_, i) => node(`p${i}`, { "k8s-aws.io/pool": "general" }, true));
        assert.strictEqual(poolChecks(EXPECTED, pool(2), true)[0].ok, true);
        assert.strictEqual(poolChecks(EXPECTED, pool(2), false)[0].ok, false);
        assert.strictEqual(poolChecks(EXPECTED, pool(2), false)[0].message, "2 of 2 node(s) Ready; expected at least 3 (desired 3)");
        const stray = poolChecks(EXPECTED, [...pool(3), node("x", { "k8s-aws.io/pool": "gpu" }, true), node("y", {}, true)], true).filter((r) => !r.ok);
        assert.deepStrictEqual(
            stray.map((r) => r.where),
            ["gpu", "y"],
        );
    });

    it("groups (AWS): InService below desired, an instance without a node, a group missing for a pool", () => {
        const group = toClusterGroup({
            AutoScalingGroupName: "c-control-plane-a",
            MinSize: 1,
            MaxSize: 1,
            DesiredCapacity: 1,
            DefaultCooldown: 0,
            AvailabilityZones: [],
            HealthCheckType: "EC2",
            CreatedTime: new Date(),
            Tags: [{ Key: "k8s.io/slot", Value: "control-plane-a" }],
            Instances: [{ InstanceId: "i-0aaa", AvailabilityZone: "eu-west-1a", LifecycleState: "InService", HealthStatus: "Healthy", ProtectedFromScaleIn: false }],
        });
        const rows = groupChecks(EXPECTED, [group], []);
        assert.deepStrictEqual(
            rows.map((r) => `${r.ok} ${r.where}: ${r.message}`),
            ["false slot control-plane-a (c-control-plane-a): instance i-0aaa has no node", "false pool general: no group tagged kubernetes.io/cluster/c and k8s.io/pool=general"],
        );
        const ok = groupChecks(EXPECTED, [group], [{ ...node("n", {}, true), spec: { providerID: "aws:///eu-west-1a/i-0aaa" } }]);
        assert.strictEqual(ok[0].ok, true);
    });

    it("CSRs: only kubelet-serving, only pending (no Approved/Denied/Failed), only older than the threshold", () => {
        const csr = (name: string, signer: string, minutesAgo: number, conditions: unknown[] = []) => ({
            metadata: { name, creationTimestamp: new Date(Date.parse("2026-12-04T00:00:00Z") - minutesAgo * 60_000).toISOString() },
            spec: { signerName: signer, username: "system:node:n" },
            status: { conditions },
        });
        const rows = csrChecks(
            [
                csr("a", "kubernetes.io/kubelet-serving", 7),
                csr("b", "kubernetes.io/kubelet-serving", 1),
                csr("c", "kubernetes.io/kube-apiserver-client-kubelet", 30),
                csr("d", "kubernetes.io/kubelet-serving", 30, [{ type: "Approved", status: "True" }]),
            ],
            { now: new Date("2026-12-04T00:00:00Z"), csrMaxAgeMs: 5 * 60_000 },
        );
        assert.deepStrictEqual(
            rows.map((r) => `${r.ok} ${r.where}: ${r.message}`),
            ["false a: pending for 7m (requested by system:node:n); the approver has not approved it"],
        );
    });
});

describe("validate/format", () => {
    const report = {
        healthy: false,
        results: [
            { check: "etcd", where: "/readyz etcd", ok: true, message: "fine" },
            { check: "node ready", where: "n-1", ok: false, message: "not Ready" },
        ],
    };

    it("table: aligned columns, every row, FAIL for failures", () => {
        assert.strictEqual(
            formatTable(report.results),
            ["CHECK       WHERE         STATUS  MESSAGE", "etcd        /readyz etcd  ok      fine", "node ready  n-1           FAIL    not Ready"].join("\n"),
        );
    });

    it("json: a versioned document with every result; failure lines name what and where", () => {
        assert.deepStrictEqual(JSON.parse(formatJson("s", report)), { schema: "k8s-aws/validate/v1", stack: "s", healthy: false, results: report.results });
        assert.deepStrictEqual(failureLines(report.results), ["FAIL node ready n-1: not Ready"]);
        assert.strictEqual(summaryLine("s", report), "cluster of stack s is NOT healthy: 1 of 2 checks failed");
    });

    it("durations as Go writes them; anything else is refused", () => {
        assert.strictEqual(parseDuration("90s"), 90_000);
        assert.strictEqual(parseDuration("1h30m"), 5_400_000);
        assert.strictEqual(parseDuration("250ms"), 250);
        for (const bad of ["", "10", "5x", "-1m", "1 m"]) assert.strictEqual(parseDuration(bad), undefined, bad);
    });
});
