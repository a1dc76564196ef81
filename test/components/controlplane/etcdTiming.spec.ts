/**
 * cluster.etcd.heartbeatIntervalMs / electionTimeoutMs: validated with etcd
 * 3.6's own limits before anything is created, and carried to both
 * topologies' etcd (the stacked members' kubeadm extraArgs, the external
 * members' etcd.yaml). The defaults are ETCD_TUNING's (derivation there).
 */
import * as assert from "assert";
import { parse } from "yaml";
import { ConfigError, formatProblem, validateClusterConfig } from "../../../config";
import { etcdMemberUserData } from "../../../components/host/slotUserData";
import { kubeadmSettings, slotKubeadmConfigs } from "../../../components/controlplane/kubeadmConfigs";
import { ETCD_TUNING, etcdTuningFor } from "../../../components/host";
import { clusterConfig, rawStack } from "../../support/fixtures";
import { failoverProblems } from "../../real/etcdElection";
import { SLOT_USER_DATA_COMMON, prodSlots } from "../../support/slotFixtures";

const slots = prodSlots(3);
const common = SLOT_USER_DATA_COMMON;

function problemsOf(etcd: Record<string, unknown>): string[] {
    try {
        validateClusterConfig(rawStack({ etcd }));
    } catch (e) {
        assert.ok(ConfigError.is(e), String(e));
        return e.problems.map(formatProblem);
    }
    return [];
}

function stackedExtraArgs(etcd: Record<string, unknown>): Record<string, string> {
    const c = clusterConfig({ etcd });
    const init = slotKubeadmConfigs(
        { ...kubeadmSettings(c, "api.internal.prod.k8s.example.net:6443", []), certSans: [], token: "abcdef.0123456789abcdef", caCertHash: `sha256:${"0".repeat(64)}` },
        "10.30.0.10",
    ).init;
    const cc = init
        .split("\n---\n")
        .map((d) => parse(d))
        .find((d) => d?.kind === "ClusterConfiguration");
    return Object.fromEntries((cc.etcd.local.extraArgs as { name: string; value: string }[]).map((a) => [a.name, a.value]));
}

function externalConfig(timing?: { heartbeatIntervalMs: number; electionTimeoutMs: number }): Record<string, unknown> {
    const text = etcdMemberUserData({ ...common, slot: slots.etcd[0], etcdTopology: "external", members: slots.etcd, volumeSizeGiB: 50, timing });
    const doc = parse(text.replace(/^#cloud-config\n/, "")) as { write_files: { path: string; content: string }[] };
    return parse(doc.write_files.find((f) => f.path === "/etc/etcd/etcd.yaml")!.content);
}

describe("controlplane/etcd timing: cluster.etcd.heartbeatIntervalMs / electionTimeoutMs", () => {
    it("defaults to ETCD_TUNING (100 ms / 1,000 ms) in both topologies", () => {
        const c = clusterConfig();
        assert.deepStrictEqual([c.etcd.heartbeatIntervalMs, c.etcd.electionTimeoutMs], [ETCD_TUNING.heartbeatIntervalMs, ETCD_TUNING.electionTimeoutMs]);
        const args = stackedExtraArgs({});
        assert.deepStrictEqual([args["heartbeat-interval"], args["election-timeout"]], ["100", "1000"]);
        const cfg = externalConfig();
        assert.deepStrictEqual([cfg["heartbeat-interval"], cfg["election-timeout"]], [100, 1000]);
    });

    it("carries an operator's values to the stacked members' kubeadm flags and the external members' etcd.yaml", () => {
        const args = stackedExtraArgs({ heartbeatIntervalMs: 150, electionTimeoutMs: 1500 });
        assert.deepStrictEqual([args["heartbeat-interval"], args["election-timeout"]], ["150", "1500"]);
        const cfg = externalConfig({ heartbeatIntervalMs: 150, electionTimeoutMs: 1500 });
        assert.deepStrictEqual([cfg["heartbeat-interval"], cfg["election-timeout"]], [150, 1500]);
    });

    it("refuses an election timeout under 5 heartbeats (etcd 3.6 would not start), naming both keys' values", () => {
        const problems = problemsOf({ heartbeatIntervalMs: 300, electionTimeoutMs: 1000 });
        assert.deepStrictEqual(
            problems.filter((p) => p.includes("etcd.")),
            [problems.find((p) => p.startsWith("k8s-aws:cluster.etcd.electionTimeoutMs: 1000"))!],
        );
        assert.match(problems.join("\n"), /k8s-aws:cluster\.etcd\.electionTimeoutMs: 1000 .*at least 5 x etcd\.heartbeatIntervalMs \(300 ms\), so at least 1500 ms/);
        assert.throws(() => etcdTuningFor(20, { heartbeatIntervalMs: 300, electionTimeoutMs: 1000 }), /election timeout 1000 ms: at least 5 x the heartbeat interval \(1500 ms\)/);
    });

    it("refuses values outside etcd's range: a heartbeat of 0, an election timeout over 50,000 ms, fractions", () => {
        const all = problemsOf({ heartbeatIntervalMs: 0, electionTimeoutMs: 60000 }).join("\n");
        assert.match(all, /k8s-aws:cluster\.etcd\.heartbeatIntervalMs: 0\b/);
        assert.match(all, /k8s-aws:cluster\.etcd\.electionTimeoutMs: 60000\b.*50000/);
        assert.match(problemsOf({ heartbeatIntervalMs: 100.5 }).join("\n"), /k8s-aws:cluster\.etcd\.heartbeatIntervalMs: 100\.5\b/);
        assert.deepStrictEqual(problemsOf({ heartbeatIntervalMs: 200, electionTimeoutMs: 1000 }), [], "exactly 5 heartbeats is etcd's minimum, allowed");
    });

    it("the real tiers' failover check: the old 250 / 2,500 ms fails the 2 s target outright, 100 / 1,000 ms passes within the bound it implies", () => {
        const fast = { electedMs: 1930, polledMs: 2000, writesBlockedMs: 2100 };
        assert.match(
            failoverProblems({ heartbeatIntervalMs: 250, electionTimeoutMs: 2500 }, fast).join("\n"),
            /election timeout 2500 ms: a new leader can take up to 5000 ms, over the 2000 ms target/,
        );
        assert.deepStrictEqual(failoverProblems({ heartbeatIntervalMs: 100, electionTimeoutMs: 1000 }, fast), []);
        const slow = failoverProblems({ heartbeatIntervalMs: 100, electionTimeoutMs: 1000 }, { electedMs: 2400, polledMs: 2500, writesBlockedMs: 2900 });
        assert.deepStrictEqual(
            slow.map((p) => p.split(" ")[0]),
            ["raft", "the"],
        );
        assert.match(slow.join("\n"), /raft elected a new leader 2400 ms after the kill, over 2 x the election timeout \+ 250 ms \(2250 ms\)/);
        assert.match(slow.join("\n"), /the first write succeeded 2900 ms after the kill, over 2250 \+ 600 ms/);
    });
});
