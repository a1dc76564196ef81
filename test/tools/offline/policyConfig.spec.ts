/**
 * Per-stack policy-pack settings (policies/config/<stack>.json): what
 * `pulumi preview --policy-pack policies --policy-pack-config` takes and the
 * offline render picks up by itself. The API may be opened only to the
 * stack's own admin CIDRs.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { render, defaultPolicyConfigFile } from "../../../tools/offline/render";
import { listStacks, readStackFile } from "../../../tools/offline/stackFile";
import { PINNED_NOW, PINNED_SEED } from "../../support/harness";
import { PROJECT_ROOT } from "../../support/paths";

describe("per-stack policy configuration", function () {
    this.timeout(120_000);
    for (const stack of listStacks()) {
        it(`${stack}: has a config that allows the API to exactly the stack's admin CIDRs`, () => {
            const file = defaultPolicyConfigFile(stack);
            assert.ok(file, `policies/config/${stack}.json is missing`);
            const config = JSON.parse(fs.readFileSync(file, "utf8"));
            const cluster = JSON.parse(readStackFile(stack).config["k8s-aws:cluster"]);
            assert.deepStrictEqual(config["cluster-ports-not-world-open"].allowedApiCidrs, cluster.adminCidrs);
            assert.strictEqual(config["cluster-subnets-tagged"].clusterName, cluster.name);
        });
    }

    it("catches an API opened beyond the configured CIDRs (a config that allows only another range)", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-"));
        const configFile = path.join(dir, "staging.json");
        fs.writeFileSync(configFile, JSON.stringify({ "cluster-ports-not-world-open": { allowedApiCidrs: ["192.0.2.0/24"] } }));
        const result = await render({ stack: "staging", outDir: path.join(dir, "out"), policyConfigFile: configFile, seed: PINNED_SEED, now: PINNED_NOW });
        const hits = result.report.violations.filter((v) => v.policy === "cluster-ports-not-world-open" && v.enforcementLevel === "mandatory");
        assert.ok(hits.length > 0, JSON.stringify(result.report.violations));
        assert.ok(
            hits.some((v) => v.message.includes("198.51.100.0/24")),
            hits.map((v) => v.message).join("\n"),
        );
    });
});

describe("npm run render --policy-config: unusable config is exit 2, one line, before anything runs", function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-policy-config-"));
    const file = (name: string, text: string) => {
        const p = path.join(dir, name);
        fs.writeFileSync(p, text);
        return p;
    };
    const cases: { title: string; config: () => string; expected: RegExp }[] = [
        { title: "a missing file", config: () => path.join(dir, "missing.json"), expected: /^policy config .*missing\.json: cannot read it \(no such file\)/ },
        { title: "invalid JSON", config: () => file("broken.json", '{"all": '), expected: /^policy config .*broken\.json: not valid JSON/ },
        {
            title: "a bad enforcement level",
            config: () => file("level.json", JSON.stringify({ "tls-leaf-validity": "strict" })),
            expected: /"tls-leaf-validity": "strict" is not an enforcement level; expected one of advisory, mandatory, remediate, disabled/,
        },
        {
            title: "a misspelt setting that would drop the API allow-list",
            config: () => file("typo.json", JSON.stringify({ "cluster-ports-not-world-open": { allowedApiCidr: ["198.51.100.0/24"] } })),
            expected: /"cluster-ports-not-world-open\.allowedApiCidr" is not a setting .*did you mean "allowedApiCidrs"/,
        },
    ];
    for (const c of cases) {
        it(`refuses ${c.title}`, () => {
            const out = path.join(dir, "out");
            const r = spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", "tools/render.ts", "--stack", "dev", "--out", out, "--policy-config", c.config()], {
                cwd: PROJECT_ROOT,
                encoding: "utf8",
            });
            assert.strictEqual(r.status, 2, r.stderr);
            assert.match(r.stderr, c.expected);
            assert.strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
            assert.doesNotMatch(r.stderr, /\n\s+at /);
            assert.strictEqual(fs.existsSync(out), false, "nothing is written");
        });
    }
});
