import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findExecutable } from "../../tools/preflight/index";
import { SYSTEM_TOOLS } from "../../tools/preflight/requirements";

const ROOT = path.resolve(__dirname, "..", "..");
const REGISTER = path.join(ROOT, "tools", "tscache", "register.js");
const PREFLIGHT = path.join(ROOT, "tools", "preflight", "index.ts");

/** Runs the preflight with PATH = one folder holding links to just `commands` (found on this machine's PATH). */
function preflightWith(commands: string[], env: Record<string, string>, dir: string) {
    const bin = fs.mkdtempSync(path.join(dir, "bin-"));
    for (const c of commands) {
        const real = findExecutable(c);
        assert.ok(real, `this test needs ${c} on the machine's PATH (the pretest preflight installs it)`);
        fs.symlinkSync(real, path.join(bin, c));
    }
    return spawnSync(process.execPath, ["-r", REGISTER, PREFLIGHT], { cwd: ROOT, encoding: "utf8", env: { ...process.env, PATH: bin, ...env } });
}

describe("npm test's pretest preflight (tools/preflight)", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-preflight-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const onPath = SYSTEM_TOOLS.filter((t) => !path.isAbsolute(t.command)).map((t) => t.command);

    it("stops before any test with one message naming what is missing and the commands that install it", () => {
        // No shellcheck and no apt-get on PATH; an empty real-tool cache.
        const r = preflightWith(
            onPath.filter((c) => c !== "shellcheck"),
            { K8S_AWS_CACHE: path.join(dir, "empty-cache") },
            dir,
        );
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, /npm test cannot start; this machine lacks:/);
        assert.match(r.stderr, /- shellcheck \(Debian package shellcheck\)/);
        assert.doesNotMatch(r.stderr, /- cloud-init|- openssl|- etcd |- etcdctl/, "only what is missing is listed");
        assert.match(r.stderr, /apt-get install -y --no-install-recommends shellcheck python3 python3-venv\n/);
        assert.match(r.stderr, /- the real-tool cache under .*empty-cache \(missing: kubeadm 1\.35.*\)/);
        assert.match(r.stderr, /- python3: /, "python3 is not on this PATH, and tools:real needs it");
        assert.match(r.stderr, /npm run tools:real/);
        assert.match(r.stderr, /K8S_AWS_SKIP_REAL=1 npm test/);
        assert.equal(r.stdout, "", "nothing ran");
    });

    it("prints nothing and exits 0 when everything is there", () => {
        const r = preflightWith(onPath, { K8S_AWS_SKIP_REAL: "1" }, dir);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stderr + r.stdout, "");
    });

    it("is the one list .ci/run installs from (it no longer keeps its own package list)", () => {
        const ci = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
        assert.match(ci, /tools\/preflight\/index\.ts --install-system/);
        assert.doesNotMatch(ci, /apt-get install/);
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        assert.match(pkg.scripts.pretest, /tools\/preflight\/index\.ts$/);
    });
});
