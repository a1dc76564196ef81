/**
 * Rung 1: how `npm run validate` is called: usage, configuration and kubeconfig mistakes are
 * one line each and exit 2, before any connection; the pulumi CLI is asked for the kubeconfig
 * only when --kubeconfig is absent, and its output is never printed.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main, CliEnv } from "../../../tools/validate/cli";

async function run(argv: string[], env: Partial<CliEnv> = {}): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t) }, { env: {}, stackOutput: () => ({ error: "ENOENT" }), ...env });
    return { code, out, err };
}

describe("validate/cli: usage and configuration mistakes", () => {
    it("every bad option at once, one line each, exit 2", async () => {
        const r = await run(["--stack", "staging", "--output", "xml", "--wait", "soon", "--aws", "maybe", "--kubeconfig", "/no/such/file"]);
        assert.strictEqual(r.code, 2);
        assert.deepStrictEqual(r.err.trim().split("\n"), [
            '--wait: "soon" is not valid; allowed: a duration such as 90s, 10m or 1h30m',
            '--output: "xml" is not valid; allowed: table or json',
            '--aws: "maybe" is not valid; allowed: auto (when credentials are configured), on or off',
            '--kubeconfig: "/no/such/file" is not valid; allowed: an existing kubeconfig file (there is none at that path)',
        ]);
        assert.strictEqual(r.out, "");
    });

    it("no stack, an unknown option, an unknown stack: one line (and the usage), exit 2, no stack trace", async () => {
        for (const argv of [[], ["--stack", "staging", "--bogus"], ["--stack", "nosuch", "--kubeconfig", __filename]]) {
            const r = await run(argv);
            assert.strictEqual(r.code, 2, argv.join(" "));
            assert.ok(!/\n\s+at /.test(r.err), r.err);
        }
        assert.match((await run(["--stack", "nosuch", "--kubeconfig", __filename])).err, /^--stack: "nosuch" has no stack file stacks\/Pulumi\.nosuch\.yaml; allowed: dev, /);
    });

    it("a stack file the program would refuse: its problems, keyed, exit 2", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "validate-cli-"));
        const file = path.join(dir, "Pulumi.broken.yaml");
        fs.writeFileSync(file, "config:\n  aws:region: eu-west-1\n  k8s-aws:cluster:\n    name: Broken_Name\n    adminCidrs: [10.0.0.0/8]\n    controlPlane: {count: 2}\n");
        const r = await run(["--stack-file", file, "--kubeconfig", file]);
        fs.rmSync(dir, { recursive: true, force: true });
        assert.strictEqual(r.code, 2);
        assert.match(r.err, /^k8s-aws:cluster\.name: /m);
        assert.match(r.err, /^k8s-aws:cluster\.controlPlane\.count: /m);
    });

    it("without --kubeconfig and without the pulumi CLI: says so, exit 2; a pulumi failure is its first line, never the output", async () => {
        const none = await run(["--stack", "staging"]);
        assert.strictEqual(none.code, 2);
        assert.match(none.err, /^--kubeconfig: \(missing\) is not valid; allowed: a kubeconfig file \(without it the stack output kubeconfig is read with the pulumi CLI, which is not on PATH\)/);
        const asked: string[] = [];
        const failing = await run(["--stack", "staging"], {
            stackOutput: (s, name, secret) => (asked.push(`${s} ${name} ${secret}`), { error: "pulumi stack output kubeconfig --stack staging failed: error: no stack named 'staging' found" }),
        });
        assert.strictEqual(failing.code, 2);
        assert.deepStrictEqual(asked, ["staging kubeconfig true"]);
        assert.strictEqual(failing.err, "pulumi stack output kubeconfig --stack staging failed: error: no stack named 'staging' found\n");
    });

    it("a kubeconfig the tool cannot use: which field, never its value, exit 2", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "validate-cli-"));
        const file = path.join(dir, "kc");
        fs.writeFileSync(
            file,
            "apiVersion: v1\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1', certificate-authority: /etc/ca.crt}}]\nusers: [{name: u, user: {client-key: /secret/key}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
        );
        const r = await run(["--stack", "staging", "--kubeconfig", file, "--aws", "off"]);
        fs.rmSync(dir, { recursive: true, force: true });
        assert.strictEqual(r.code, 2);
        assert.strictEqual(r.err, "kubeconfig: certificate-authority (a file path) is not supported; allowed: certificate-authority-data, as the stack's kubeconfig output has it\n");
    });
});
