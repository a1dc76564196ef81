/**
 * `npm run check`'s own parts: the shellcheck step sees every rendered user-data document and
 * judges scripts as POSIX sh, and the runner refuses unknown steps.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderedScripts, shellFiles, SHELLCHECK_FLAGS } from "../../tools/check/scripts";

const ROOT = path.resolve(__dirname, "..", "..");

function shellcheck(text: string): { status: number | null; out: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-check-spec-"));
    try {
        const file = path.join(dir, "script.sh");
        fs.writeFileSync(file, text);
        const r = spawnSync("shellcheck", [...SHELLCHECK_FLAGS, file], { encoding: "utf8" });
        assert.ok(!r.error, `shellcheck is required (apt-get install shellcheck): ${r.error}`);
        return { status: r.status, out: r.stdout + r.stderr };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("npm run check (tools/check)", () => {
    it("finds the scripts of every rendered user-data document, at least one in each", () => {
        const docs = spawnSync("git", ["ls-files", "--", "test/**/userdata/*.yaml"], { cwd: ROOT, encoding: "utf8" }).stdout.split("\n").filter(Boolean);
        assert.ok(docs.length >= 4, `expected the goldens' user data, found ${docs.length} documents`);
        const scripts = renderedScripts(ROOT);
        for (const doc of docs)
            assert.ok(
                scripts.some((s) => s.source === doc),
                `${doc}: no script found`,
            );
        assert.ok(
            scripts.every((s) => s.text.startsWith("#!")),
            "every script starts with a shebang",
        );
    });

    it("lists tracked shell files by path", () => {
        for (const f of shellFiles(ROOT)) assert.ok(f.endsWith(".sh") && fs.existsSync(path.join(ROOT, f)), f);
    });

    it("judges scripts as POSIX sh: a clean one passes, an unquoted expansion and a bashism fail", () => {
        assert.strictEqual(shellcheck('#!/bin/sh\nset -eu\necho "$1"\n').status, 0);
        const unquoted = shellcheck("#!/bin/sh\necho $1\n");
        assert.notStrictEqual(unquoted.status, 0);
        assert.match(unquoted.out, /SC2086/);
        // Under bash this is fine; the instances run /bin/sh (dash), where [[ is not a builtin.
        const bashism = shellcheck('#!/bin/sh\nif [[ -n "$1" ]]; then echo yes; fi\n');
        assert.notStrictEqual(bashism.status, 0);
        assert.match(bashism.out, /SC3010/);
    });

    it("refuses an unknown step with exit 2, naming the allowed ones", () => {
        const r = spawnSync(process.execPath, ["-r", path.join(ROOT, "tools", "tscache", "register.js"), path.join(ROOT, "tools", "check", "index.ts"), "--only", "lint,spelling"], {
            cwd: ROOT,
            encoding: "utf8",
        });
        assert.strictEqual(r.status, 2, r.stderr);
        assert.match(r.stderr, /--only "lint,spelling" is not valid; allowed: a comma-separated list of format, lint, layers, types, shellcheck/);
    });
});
