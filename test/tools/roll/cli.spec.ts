/**
 * `npm run roll` usage: every mistake in how it is called is one line naming the
 * option, the value and what is allowed, exit 2, before anything is read.
 */
import * as assert from "assert";
import { main } from "../../../tools/roll/index";

async function runCli(argv: string[]) {
    let stderr = "";
    let stdout = "";
    const code = await main(argv, { out: (t) => (stdout += t), err: (t) => (stderr += t) });
    return { code, stdout, lines: stderr.split("\n").filter((l) => l !== "") };
}

describe("npm run roll: usage", () => {
    const cases: { argv: string[]; lines: RegExp[] }[] = [
        { argv: [], lines: [/^--stack: "" is not valid; allowed: the name of a deployed stack \(usage: npm run roll -- --stack <stack>/] },
        { argv: ["--stack", "dev", "--dry-run", "--yes"], lines: [/^--yes: "true" is not valid; allowed: not with --dry-run/] },
        { argv: ["--stack", "dev", "--only", "Control Plane"], lines: [/^--only: "Control Plane" is not valid; allowed: control-plane, pools, or a pool's name$/] },
        {
            argv: ["--stack", "dev", "--outputs", "/nonexistent/out.json", "--kubeconfig", "/nonexistent/kc"],
            lines: [/^--outputs: "\/nonexistent\/out\.json" is not valid; allowed: an existing file$/, /^--kubeconfig: "\/nonexistent\/kc" is not valid; allowed: an existing file$/],
        },
        { argv: ["--stack", "dev", "--force"], lines: [/^--force: .* is not valid; allowed: Unknown option '--force'/] },
        { argv: ["--stack"], lines: [/^--stack: .* is not valid; allowed: Option '--stack <value>' argument missing/] },
    ];
    for (const c of cases) {
        it(`${JSON.stringify(c.argv)}: exit 2, one line per problem`, async () => {
            const r = await runCli(c.argv);
            assert.strictEqual(r.code, 2);
            assert.strictEqual(r.lines.length, c.lines.length, r.lines.join("\n"));
            c.lines.forEach((re, i) => assert.match(r.lines[i], re));
            assert.strictEqual(r.stdout, "");
        });
    }

    it("a stack whose outputs carry no rollout (deployed by an earlier version) is named, exit 2", async () => {
        const fs = await import("fs");
        const os = await import("os");
        const path = await import("path");
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "roll-cli-")), "outputs.json");
        fs.writeFileSync(file, JSON.stringify({ region: "eu-west-1", kubernetesVersion: "1.35.9" }));
        const r = await runCli(["--stack", "dev", "--outputs", file, "--dry-run"]);
        assert.strictEqual(r.code, 2);
        assert.match(r.lines[0], /^--stack: "dev" is not valid; allowed: a stack deployed by this version of the program \(its outputs carry no rollout: run pulumi up first\)$/);
    });
});
