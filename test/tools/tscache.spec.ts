import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const REGISTER = path.resolve(__dirname, "..", "..", "tools", "tscache", "register.js");

/** Runs a TypeScript file under the caching hook with its own cache folder; prints its stdout. */
function run(file: string, cache: string): string {
    const r = spawnSync(process.execPath, ["-r", REGISTER, file], { encoding: "utf8", env: { ...process.env, K8S_AWS_TS_CACHE: cache } });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
}

describe("tools/tscache/register.js (the hook `npm run render` uses)", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-tscache-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const program = (value: number) =>
        `enum Answer { Value = ${value} }\nconst loaded: boolean = Object.keys(require.cache).some((f) => f.endsWith("typescript/lib/typescript.js"));\nconsole.log(Answer.Value, loaded ? "compiler-loaded" : "from-cache");\n`;

    it("transpiles on a miss, then runs from the cache without loading the compiler, and transpiles an edited file again", () => {
        const file = path.join(dir, "program.ts");
        const cache = path.join(dir, "cache");
        fs.writeFileSync(file, program(1));
        assert.equal(run(file, cache), "1 compiler-loaded");
        assert.equal(run(file, cache), "1 from-cache");
        fs.writeFileSync(file, program(2));
        assert.equal(run(file, cache), "2 compiler-loaded", "an edited file must never run stale cached JavaScript");
        assert.equal(run(file, cache), "2 from-cache");
    });

    it("names the TypeScript line in a stack trace with K8S_AWS_SOURCE_MAPS=1 (inline source maps, as under ts-node)", () => {
        const file = path.join(dir, "throws.ts");
        fs.writeFileSync(file, 'type T = { a: number };\n\nconst t: T = { a: 1 };\nif (t.a === 1) throw new Error("boom");\n');
        const r = spawnSync(process.execPath, ["-r", REGISTER, file], { encoding: "utf8", env: { ...process.env, K8S_AWS_TS_CACHE: path.join(dir, "cache"), K8S_AWS_SOURCE_MAPS: "1" } });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /throws\.ts:4:/);
    });
});
