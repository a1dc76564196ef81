/**
 * The program end to end under the mocks: every stack builds, a broken stack
 * fails before any resource is registered (as `pulumi up` would), and the
 * render CLI keeps the contract's exit codes.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { installMocks, settle } from "../tools/mocks";
import { readStackFileAt, listStacks } from "../tools/offline/stackFile";
import { mockContext } from "../tools/offline/run";
import { ConfigError } from "../config";
import { runStackFixture, PINNED_NOW, Secret } from "./support/harness";
import { PROJECT_ROOT, TEST_ROOT } from "./support/paths";

const BROKEN = path.join(TEST_ROOT, "support", "stacks", "Pulumi.broken.yaml");
const ROOT = PROJECT_ROOT;

function renderCli(args: string[]) {
    return spawnSync(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", path.join(ROOT, "tools", "render.ts"), ...args], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 120_000,
    });
}

describe("the program", function () {
    this.timeout(120_000);

    for (const stack of listStacks()) {
        it(`builds the ${stack} stack and exports what users need`, async () => {
            const run = await runStackFixture(stack);
            const outputs = run.run.outputs;
            for (const key of [
                "clusterName",
                "region",
                "apiEndpoint",
                "kubeconfig",
                "vpcId",
                "publicSubnetIds",
                "privateSubnetIds",
                "secretsBucket",
                "nodePoolGroups",
                "instanceRoles",
                "kubectlHint",
            ]) {
                assert.ok(outputs[key] !== undefined, `output ${key} missing`);
            }
            assert.strictEqual(run.ofType("k8s-aws:index:Cluster").length, 1);
            assert.ok(outputs.kubeconfig instanceof Secret, "the kubeconfig is a secret output");
            assert.ok(!(outputs.apiEndpoint instanceof Secret), "the API endpoint is a plain output");
        });
    }

    it("records URNs as the engine forms them: every parent component's type, in order", async () => {
        const run = await runStackFixture("prod");
        const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
        for (const r of run.resources) {
            const chain: string[] = [r.type];
            for (let p = r.parent; p; p = byUrn.get(p)?.parent ?? null) {
                assert.ok(byUrn.has(p), `${r.urn}: parent ${p} was not recorded`);
                chain.unshift(byUrn.get(p)!.type);
            }
            assert.strictEqual(r.urn, `urn:pulumi:prod::k8s-aws::${chain.join("$")}::${r.name}`);
        }
        assert.ok(run.resources.some((r) => r.urn.includes("k8s-aws:index:Cluster$k8s-aws:pki:Pki$tls:index/privateKey:PrivateKey::")));
    });

    it("fails `pulumi up` on a broken stack before registering any resource, naming every problem", async () => {
        const stackFile = readStackFileAt(BROKEN);
        const run = await installMocks({ project: stackFile.project, stack: stackFile.stack, preview: false, config: stackFile.config, ctx: mockContext(stackFile, { now: PINNED_NOW }) });
        const { main } = await import("../program");
        await assert.rejects(main(), (e: unknown) => {
            assert.ok(ConfigError.is(e));
            const keys = e.problems.map((p) => p.key);
            for (const k of ["name", "podCidr", "adminCidrs[0]", "controlPlane.count", "nodePools[0].min", "nodePools[0].desired", "nodePools[1].instanceTypes[1]"]) {
                assert.ok(keys.includes(`k8s-aws:cluster.${k}`), `missing ${k} in ${keys.join(", ")}`);
            }
            return true;
        });
        await settle();
        assert.deepStrictEqual(run.resources, [], "no resource may be registered for an invalid configuration");
    });
});

describe("npm run render (CLI contract)", function () {
    this.timeout(180_000);

    it("exits 2 on a broken stack with one line per problem and no stack trace", () => {
        const out = renderCli(["--stack-file", BROKEN, "--out", fs.mkdtempSync(path.join(os.tmpdir(), "broken-"))]);
        assert.strictEqual(out.status, 2, out.stderr);
        const lines = out.stderr.trim().split("\n");
        assert.ok(lines.length >= 6, out.stderr);
        for (const line of lines) assert.match(line, /^(k8s-aws:cluster|aws:region)\S*: .* is not valid; allowed: /);
        assert.doesNotMatch(out.stderr, /\bat .*\.ts:\d+/);
        // A made-up instance type: the key, the value and the closest names EC2 has.
        assert.match(out.stderr, /^k8s-aws:cluster\.nodePools\[1\]\.instanceTypes\[1\]: "m7i\.huge" is not valid; allowed: .*closest: m7i\.large, m7i\.xlarge, m7i\.2xlarge$/m);
    });

    it("exits 2 for an unknown stack, naming the stacks that exist", () => {
        const out = renderCli(["--stack", "nope"]);
        assert.strictEqual(out.status, 2);
        assert.match(out.stderr, /--stack: "nope" has no stack file .*; allowed: .*dev/);
    });

    it("exits 2 without --stack", () => {
        assert.strictEqual(renderCli([]).status, 2);
    });

    it("renders dev to the contract's files and exits 0", () => {
        const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "render-dev-"));
        const out = renderCli(["--stack", "dev", "--out", outDir]);
        assert.strictEqual(out.status, 0, out.stderr + out.stdout);
        const plan = JSON.parse(fs.readFileSync(path.join(outDir, "plan.json"), "utf8"));
        assert.strictEqual(plan.project, "k8s-aws");
        assert.strictEqual(plan.stack, "dev");
        for (const r of plan.resources) {
            assert.match(r.urn, new RegExp(`^urn:pulumi:dev::k8s-aws::`));
            assert.strictEqual(typeof r.custom, "boolean");
        }
        const report = JSON.parse(fs.readFileSync(path.join(outDir, "policy-report.json"), "utf8"));
        assert.deepStrictEqual(Object.keys(report.summary).sort(), ["advisory", "mandatory", "policies", "resources"]);
        assert.ok(fs.statSync(path.join(outDir, "userdata")).isDirectory());
        assert.ok(fs.statSync(path.join(outDir, "manifests")).isDirectory());
        assert.match(out.stdout, /Resources by type:/);
        assert.match(out.stdout, /Layout per availability zone:/);
    });
});
