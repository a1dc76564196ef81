/**
 * The render replaces its output folder, so it must never delete anything it
 * did not write. Each dangerous --out/--stack value runs the real CLI inside a
 * throwaway copy of the project (in a folder of its own, so `..` is inside the
 * sandbox too), and every file of the sandbox is compared before and after.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { RENDER_MARKER } from "../../../tools/offline/outDir";
import { PROJECT_ROOT } from "../../support/paths";

const ROOT = PROJECT_ROOT;
/** Not copied: dependencies are linked (a link is what the sandbox checks, not its target), and outputs are not sources. */
const SKIP = new Set([".git", "node_modules", "out"]);

function copyProject(from: string, to: string): void {
    fs.mkdirSync(to, { recursive: true });
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
        const src = path.join(from, entry.name);
        const dst = path.join(to, entry.name);
        if (entry.name === "node_modules") fs.symlinkSync(fs.realpathSync(src), dst);
        else if (SKIP.has(entry.name)) continue;
        else if (entry.isDirectory()) copyProject(src, dst);
        else if (entry.isFile()) fs.copyFileSync(src, dst);
    }
}

/** Every path under `dir` (links not followed) with what it is: a file's hash, a link's target, or a folder. */
function snapshot(dir: string, rel = "", into = new Map<string, string>()): Map<string, string> {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
        const r = path.join(rel, entry.name);
        const abs = path.join(dir, r);
        if (entry.isSymbolicLink()) into.set(r, `link ${fs.readlinkSync(abs)}`);
        else if (entry.isDirectory()) {
            into.set(r, "dir");
            snapshot(dir, r, into);
        } else into.set(r, crypto.createHash("sha256").update(fs.readFileSync(abs)).digest("hex"));
    }
    return into;
}

/** What changed between two snapshots, outside `allowed` (a folder, relative to the sandbox). */
function changesOutside(before: Map<string, string>, after: Map<string, string>, allowed?: string): string[] {
    const inside = (p: string) => allowed !== undefined && (p === allowed || p.startsWith(`${allowed}${path.sep}`));
    const out: string[] = [];
    for (const [p, v] of before) if (!inside(p) && after.get(p) !== v) out.push(after.has(p) ? `changed ${p}` : `deleted ${p}`);
    for (const p of after.keys()) if (!inside(p) && !before.has(p)) out.push(`created ${p}`);
    return out;
}

describe("the render never deletes what it did not write", function () {
    this.timeout(300_000);
    let sandbox: string;
    let project: string;

    function renderIn(args: string[]) {
        return spawnSync(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", path.join(project, "tools", "render.ts"), ...args], {
            cwd: project,
            encoding: "utf8",
            timeout: 120_000,
        });
    }

    before(() => {
        sandbox = fs.mkdtempSync(path.join(os.tmpdir(), "render-safety-"));
        project = path.join(sandbox, "project");
        copyProject(ROOT, project);
        fs.writeFileSync(path.join(sandbox, "precious.txt"), "a file beside the project\n");
        fs.mkdirSync(path.join(sandbox, "notes"));
        fs.writeFileSync(path.join(sandbox, "notes", "todo.txt"), "a folder of someone's files\n");
        fs.symlinkSync(project, path.join(sandbox, "link-to-project"));
    });

    after(() => fs.rmSync(sandbox, { recursive: true, force: true }));

    const refused: { name: string; args: () => string[]; line: RegExp }[] = [
        { name: `--out ""`, args: () => ["--stack", "dev", "--out", ""], line: /^--out: "" is not valid; allowed: a folder path/m },
        { name: "--out .", args: () => ["--stack", "dev", "--out", "."], line: /^--out: "\." is not valid; allowed: a folder that is neither the project/m },
        { name: "--out ..", args: () => ["--stack", "dev", "--out", ".."], line: /^--out: "\.\." is not valid; allowed: a folder that is neither the project/m },
        { name: "--out /", args: () => ["--stack", "dev", "--out", "/"], line: /^--out: "\/" is not valid; allowed: a folder that is neither the project/m },
        { name: "--out stacks", args: () => ["--stack", "dev", "--out", "stacks"], line: /^--out: "stacks" is not valid; allowed: a new or empty folder, or one an earlier render wrote/m },
        { name: "--out ../notes (someone's folder)", args: () => ["--stack", "dev", "--out", "../notes"], line: /^--out: "\.\.\/notes" is not valid; allowed: a new or empty folder/m },
        {
            name: "--out a symlink to the project",
            args: () => ["--stack", "dev", "--out", path.join(sandbox, "link-to-project")],
            line: /^--out: .* is not valid; allowed: a folder that is neither the project/m,
        },
        {
            name: "--out a symlink's parent path",
            args: () => ["--stack", "dev", "--out", path.join(sandbox, "link-to-project", "stacks", "..")],
            line: /^--out: .* is not valid; allowed: a folder that is neither the project/m,
        },
        { name: "--out a stack file", args: () => ["--stack", "dev", "--out", "stacks/Pulumi.dev.yaml"], line: /^--out: "stacks\/Pulumi\.dev\.yaml" is not valid; allowed: a folder; this is a file/m },
        {
            name: "--stack .. with --stack-file",
            args: () => ["--stack", "..", "--stack-file", "stacks/Pulumi.dev.yaml"],
            line: /^--stack: "\.\." is not valid; allowed: a stack name that is not only dots/m,
        },
        {
            name: "--stack . with --stack-file",
            args: () => ["--stack", ".", "--stack-file", "stacks/Pulumi.dev.yaml"],
            line: /^--stack: "\." is not valid; allowed: a stack name that is not only dots/m,
        },
        { name: "--stack ../..", args: () => ["--stack", "../.."], line: /^--stack: "\.\.\/\.\." is not valid; allowed: a stack name: 1-100 letters, digits/m },
        { name: "--stack ''", args: () => ["--stack", "", "--stack-file", "stacks/Pulumi.dev.yaml"], line: /^--stack: "" is not valid; allowed: a stack name/m },
        {
            name: "--stack-file named Pulumi...yaml",
            args: () => ["--stack-file", "../Pulumi...yaml"],
            line: /^--stack-file: "\.\.\/Pulumi\.\.\.yaml" is not valid; allowed: a file named Pulumi.<stack>.yaml, <stack> a stack name that is not only dots/m,
        },
    ];

    for (const c of refused) {
        it(`refuses ${c.name} (exit 2, one line) and changes nothing`, () => {
            const before = snapshot(sandbox);
            const out = renderIn(c.args());
            assert.strictEqual(out.status, 2, `${out.stdout}\n${out.stderr}`);
            assert.match(out.stderr, c.line);
            assert.doesNotMatch(out.stderr, /\bat .*\.ts:\d+/, "no stack trace");
            assert.deepStrictEqual(changesOutside(before, snapshot(sandbox)), []);
        });
    }

    it("writes a new folder, replaces it on the next run (it carries the marker), and touches nothing else", () => {
        // The default folder out/dev, and out/ which holds it.
        const rel = path.join("project", "out");
        const first = snapshot(sandbox);
        const a = renderIn(["--stack", "dev"]);
        assert.strictEqual(a.status, 0, a.stderr);
        assert.deepStrictEqual(fs.readdirSync(path.join(sandbox, rel)), ["dev"]);
        const outDir = path.join(sandbox, rel, "dev");
        assert.ok(fs.existsSync(path.join(outDir, RENDER_MARKER)), "the render marks its folder");
        assert.deepStrictEqual(changesOutside(first, snapshot(sandbox), rel), []);
        fs.writeFileSync(path.join(outDir, "stale.txt"), "left from an older render\n");
        const b = renderIn(["--stack", "dev"]);
        assert.strictEqual(b.status, 0, b.stderr);
        assert.ok(!fs.existsSync(path.join(outDir, "stale.txt")), "the folder is replaced, not merged");
        assert.ok(fs.existsSync(path.join(outDir, "plan.json")));
        assert.deepStrictEqual(changesOutside(first, snapshot(sandbox), rel), []);
    });

    it("refuses an output folder whose marker was removed, keeping its files", () => {
        const outDir = path.join(sandbox, "kept");
        fs.mkdirSync(outDir);
        fs.writeFileSync(path.join(outDir, "plan.json"), "{}\n");
        const before = snapshot(sandbox);
        const out = renderIn(["--stack", "dev", "--out", outDir]);
        assert.strictEqual(out.status, 2, out.stderr);
        assert.match(out.stderr, /holds 1 entry the render did not write/);
        assert.deepStrictEqual(changesOutside(before, snapshot(sandbox)), []);
    });
});
