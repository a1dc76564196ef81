/**
 * The benchmark's pure parts (tools/bench): the synthetic stacks are valid
 * configurations, the failover line is parsed, detection budgets are read
 * from a plan, plans replicate with unique URNs, and the statistics. No
 * render runs here: `npm run bench` does that.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { validateClusterConfig } from "../../../config";
import { SYNTHETIC, syntheticCluster, writeSyntheticStacks } from "../../../tools/bench/synthetic";
import { FAILOVER_RE, parseFailoverOutput, parseFailoverSamples, seriesTable } from "../../../tools/bench/failover";
import { BOOT_ESTIMATE_S, JOIN_ESTIMATE_S, detectionBudgets } from "../../../tools/bench/budgets";
import { replicatePlan } from "../../../tools/bench/runner";
import { linearFit, median, table } from "../../../tools/bench/stats";
import { TEST_ROOT } from "../../support/paths";

describe("bench: synthetic stacks", () => {
    it("are valid configurations: 10 and 50 pools, max 3 and max 1000, 5 slots over 5 zones", () => {
        for (const spec of SYNTHETIC) {
            const c = validateClusterConfig({ cluster: syntheticCluster(spec), region: spec.region });
            assert.strictEqual(c.nodePools.length, spec.pools, spec.name);
            assert.ok(
                c.nodePools.every((p) => p.max === spec.poolMax),
                spec.name,
            );
        }
        const names = SYNTHETIC.map((s) => s.name);
        for (const n of ["syn-p10", "syn-p50", "syn-p10-max1000", "syn-p50-max1000", "syn-cp5-az5"]) assert.ok(names.includes(n), n);
        const cp5 = SYNTHETIC.find((s) => s.name === "syn-cp5-az5")!;
        assert.deepStrictEqual([cp5.controlPlane, cp5.zones, cp5.region], [5, 5, "us-east-1"]);
    });

    it("are written as Pulumi.<name>.yaml stack files the render reads", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-spec-"));
        const files = writeSyntheticStacks(dir, SYNTHETIC.slice(0, 1));
        const file = files.get("syn-p1")!;
        assert.strictEqual(path.basename(file), "Pulumi.syn-p1.yaml");
        const doc = YAML.parse(fs.readFileSync(file, "utf8"));
        fs.rmSync(dir, { recursive: true, force: true });
        assert.strictEqual(doc.config["aws:region"], "eu-west-1");
        assert.strictEqual(doc.config["k8s-aws:cluster"].name, "syn-p1");
    });
});

describe("bench: failover figures", () => {
    const output = [
        "      etcd 3.4.23 (program pins 3.6.16): 3 members healthy 2.36 s after start",
        "    ✔ 1. becomes a healthy three-member cluster (2397ms)",
        "      etcd failover: new leader after 2.51 s, writes blocked 2.61 s (killed etcd-b; heartbeat 250 ms, election timeout 2500 ms; 25 put attempts)",
        "      etcd catch-up: etcd-b restarted from its data dir, 500 keys written while it was down served serializably after 0.23 s",
        "  8 passing (27s)",
    ].join("\n");

    it("parses the test's failover line and keeps the other etcd timing lines", () => {
        const p = parseFailoverOutput(output);
        assert.deepStrictEqual(p.failover, { newLeaderS: 2.51, writesBlockedS: 2.61, detail: "(killed etcd-b; heartbeat 250 ms, election timeout 2500 ms; 25 put attempts)" });
        assert.strictEqual(p.lines.length, 2);
        assert.match(p.lines[0], /3 members healthy 2.36 s/);
        assert.deepStrictEqual([p.passing, p.failing, p.skipped], [8, 0, false]);
    });

    it("the line format is the one test/real/etcd.spec.ts prints", () => {
        const src = path.join(TEST_ROOT, "real", "etcd.spec.ts");
        assert.ok(fs.existsSync(src), `${src} (the failover test bench runs) is missing`);
        assert.match(fs.readFileSync(src, "utf8"), /etcd failover: new leader after \$\{.*\} s, writes blocked \$\{.*\} s/);
        assert.ok(FAILOVER_RE.test("etcd failover: new leader after 1.00 s, writes blocked 1.20 s"));
    });
});

describe("bench: failover series", () => {
    const etcdLine =
        "      etcd failover: new leader after 1.21 s, writes blocked 1.29 s (killed etcd-a; heartbeat 100 ms, election timeout 1000 ms; 13 put attempts; logged: first campaign 1.05 s, elected 1.10 s at term 3)";
    const cpLine =
        "      etcd failover under the control plane: new leader after 1.20 s, API writes blocked 1.24 s (killed etcd-c, the etcd leader, and control-plane-a's kube-apiserver; first write through control-plane-b; heartbeat 100 ms, election timeout 1000 ms; 12 attempts; logged: first campaign 1.19 s, elected 1.20 s at term 3)";

    it("reads both real tiers' lines, with raft's logged times and the timing they ran with", () => {
        const [a] = parseFailoverSamples("test/real/etcd.spec.ts", `x\n${etcdLine}\n  2 passing`);
        assert.deepStrictEqual(a, {
            file: "test/real/etcd.spec.ts",
            newLeaderS: 1.21,
            writesBlockedS: 1.29,
            loggedCampaignS: 1.05,
            loggedElectedS: 1.1,
            timing: "heartbeat 100 ms, election timeout 1000 ms",
        });
        const [b] = parseFailoverSamples("cp", cpLine);
        assert.deepStrictEqual([b.newLeaderS, b.writesBlockedS, b.loggedElectedS], [1.2, 1.24, 1.2]);
        // A line from before the logged figures still counts, without them.
        const [c] = parseFailoverSamples("old", "etcd failover: new leader after 4.14 s, writes blocked 4.03 s (killed etcd-b; heartbeat 250 ms, election timeout 2500 ms; 41 put attempts)");
        assert.deepStrictEqual([c.newLeaderS, c.loggedElectedS, c.timing], [4.14, null, "heartbeat 250 ms, election timeout 2500 ms"]);
    });

    it("both real tiers print the line the series reads", () => {
        for (const f of ["etcd.spec.ts", "controlPlaneProd.spec.ts"]) {
            const src = fs.readFileSync(path.join(TEST_ROOT, "real", f), "utf8");
            assert.match(src, /new leader after \$\{.*\} s, (API )?writes blocked \$\{.*\} s/, f);
            assert.match(src, /logged: first campaign \$\{.*\} s, elected \$\{.*\} s/, f);
        }
    });

    it("tabulates min / median / max per test and timing, and the poller's lag behind the logs", () => {
        const samples = [1.0, 1.5, 1.9].map((s) => parseFailoverSamples("test/real/etcd.spec.ts", etcdLine.replace("after 1.21 s", `after ${s.toFixed(2)} s`))[0]);
        const lines = seriesTable([{ file: "test/real/etcd.spec.ts", samples, failedRuns: 1, notes: [] }]);
        const row = lines[2];
        assert.match(row, /^etcd\.spec\.ts\s+heartbeat 100 ms, election timeout 1000 ms\s+3 \(1 failed\)\s+1\.00 \/ 1\.50 \/ 1\.90 s\s+1\.29 \/ 1\.29 \/ 1\.29 s/);
        assert.match(row, /0\.80 s$/, "1.90 polled - 1.10 logged");
    });
});

describe("bench: detection budgets from a plan", () => {
    it("reads the API target group's interval x threshold and each slot's grace period", () => {
        const plan = {
            resources: [
                { type: "aws:lb/targetGroup:TargetGroup", name: "api-targets", inputs: { port: 6443, healthCheck: { interval: 10, unhealthyThreshold: 2, protocol: "HTTPS", timeout: 5 } } },
                { type: "aws:autoscaling/group:Group", name: "cp-a", inputs: { healthCheckGracePeriod: 600, tags: [{ key: "k8s.io/role/control-plane", value: "1" }] } },
                { type: "aws:autoscaling/group:Group", name: "etcd-a", inputs: { tags: [{ key: "k8s.io/role/etcd", value: "1" }] } },
                { type: "aws:autoscaling/group:Group", name: "pool", inputs: { healthCheckGracePeriod: 300, tags: [{ key: "k8s.io/role/node", value: "1" }] } },
            ],
        };
        const b = detectionBudgets(plan);
        assert.strictEqual(b.apiTargets[0].detectSeconds, 20);
        assert.deepStrictEqual(
            b.slots.map((s) => [s.group, s.gracePeriod, s.defaulted, s.replaceSeconds]),
            [
                ["cp-a", 600, false, 600 + BOOT_ESTIMATE_S + JOIN_ESTIMATE_S],
                ["etcd-a", 300, true, 300 + BOOT_ESTIMATE_S + JOIN_ESTIMATE_S],
            ],
        );
        assert.strictEqual(detectionBudgets({ resources: [{ type: "aws:lb/targetGroup:TargetGroup", name: "t", inputs: {} }] }).apiTargets[0].detectSeconds, 90, "AWS defaults 30 s x 3");
    });
});

describe("bench: helpers", () => {
    it("replicates a plan with unique URNs and parents remapped within each copy", () => {
        const plan = {
            project: "p",
            stack: "s",
            outputs: {},
            resources: [
                { urn: "u:comp", type: "c", name: "comp", parent: null, custom: false, id: null, inputs: {} },
                { urn: "u:res", type: "r", name: "res", parent: "u:comp", custom: true, id: "i", inputs: {} },
            ],
        };
        const r = replicatePlan(plan, 3);
        assert.strictEqual(r.resources.length, 6);
        assert.strictEqual(new Set(r.resources.map((x) => x.urn)).size, 6);
        assert.strictEqual(r.resources[3].parent, "u:comp-x1");
    });

    it("median, linear fit and table", () => {
        assert.strictEqual(median([3, 1, 2]), 2);
        assert.strictEqual(median([4, 1, 2, 3]), 2.5);
        const f = linearFit([1, 10, 50], [110, 200, 600]);
        assert.ok(Math.abs(f.slope - 10) < 1e-9 && Math.abs(f.intercept - 100) < 1e-9 && Math.abs(f.r2 - 1) < 1e-9);
        assert.deepStrictEqual(
            table(
                [
                    ["a", "bb"],
                    ["ccc", "d"],
                ],
                [1],
            ),
            ["a    bb", "---  --", "ccc   d"],
        );
    });
});
