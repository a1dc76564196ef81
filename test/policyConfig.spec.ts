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
import { render, defaultPolicyConfigFile } from "../tools/offline/render";
import { listStacks, readStackFile } from "../tools/offline/stackFile";
import { PINNED_NOW, PINNED_SEED } from "./harness";

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
        assert.ok(hits.some((v) => v.message.includes("198.51.100.0/24")), hits.map((v) => v.message).join("\n"));
    });
});
