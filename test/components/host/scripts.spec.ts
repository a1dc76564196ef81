/**
 * The on-host scripts as files: every components/host/*.sh passes shellcheck
 * as it is in the repository (one flag set, tools/check/shellcheck.ts), and
 * the one renderer (components/host/script.ts) assigns exactly the declared
 * parameters and expands includes.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { renderContainerdConfig, renderContainerdUnit } from "../../../components/host/containerd";
import { renderNodeSetupScript } from "../../../components/host/nodeSetup";
import { declaredParameters, includedBody, renderScript, scriptFiles, shAssignment } from "../../../components/host/script";
import { SHELLCHECK_FLAGS, shellcheckFiles } from "../../../tools/check/shellcheck";
import { PROJECT_ROOT } from "../../support/paths";

const HOST_DIR = path.join(PROJECT_ROOT, "components", "host");

describe("on-host script files", () => {
    it("are the components/host/*.sh files, common.sh among them", () => {
        const names = scriptFiles().map((f) => path.basename(f));
        assert.ok(names.includes("common.sh"), names.join(" "));
        assert.ok(names.length >= 9, names.join(" "));
        for (const f of scriptFiles()) assert.strictEqual(path.dirname(f), HOST_DIR);
    });

    it(`pass shellcheck ${SHELLCHECK_FLAGS.join(" ")} as they are in the repository`, function () {
        this.timeout(60_000);
        const r = shellcheckFiles(scriptFiles());
        assert.strictEqual(r.status, 0, r.output);
    });

    it("the same flags flag a broken script, and follow the include from another working directory", function () {
        this.timeout(30_000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-sc-"));
        try {
            fs.writeFileSync(path.join(dir, "lib.sh"), '#!/bin/sh\n# a library\n\nsay() { echo "$1"; }\n');
            fs.writeFileSync(path.join(dir, "good.sh"), "#!/bin/sh\nset -eu\n# shellcheck source=lib.sh\n. ./lib.sh\nsay hi\n");
            fs.writeFileSync(path.join(dir, "bad.sh"), "#!/bin/sh\nset -eu\n# shellcheck source=lib.sh\n. ./lib.sh\nrm -rf $1/x\n");
            assert.strictEqual(shellcheckFiles([path.join(dir, "good.sh")]).status, 0);
            const bad = shellcheckFiles([path.join(dir, "bad.sh")]);
            assert.notStrictEqual(bad.status, 0);
            assert.match(bad.output, /SC2086/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("every script that is not only included declares its parameters and starts with #!/bin/sh and set -eu", () => {
        const texts = scriptFiles().map((f) => [path.basename(f), fs.readFileSync(f, "utf8")] as const);
        const included = new Set(texts.flatMap(([, t]) => [...t.matchAll(/^\. \.\/(\S+\.sh)$/gm)].map((m) => m[1])));
        assert.ok(included.has("common.sh"));
        for (const [name, text] of texts) {
            assert.ok(text.startsWith("#!/bin/sh\n"), `${name} starts with #!/bin/sh`);
            if (included.has(name)) {
                assert.doesNotMatch(text, /^# parameters:/m, `${name} is included: the including script declares the parameters`);
                continue;
            }
            assert.match(text, /^set -eu$/m, name);
            assert.ok(declaredParameters(name).length > 0, `${name} declares its parameters`);
        }
    });
});

describe("no shell script inside TypeScript", () => {
    it('no components/ module holds a script text or a ${"$"} escape: the scripts are the .sh files', () => {
        const ts: string[] = [];
        const walk = (dir: string) => {
            for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
                const p = path.join(dir, e.name);
                if (e.isDirectory()) walk(p);
                else if (e.name.endsWith(".ts")) ts.push(p);
            }
        };
        walk(path.join(PROJECT_ROOT, "components"));
        // script.ts, the renderer, checks that each file starts with the shebang.
        const offenders = ts
            .filter((f) => path.basename(f) !== "script.ts")
            .filter((f) => {
                const text = fs.readFileSync(f, "utf8");
                return text.includes('${"$"}') || /["'`]#!\/bin\/sh\b/.test(text) || /String\.raw`/.test(text);
            });
        assert.deepStrictEqual(
            offenders.map((f) => path.relative(HOST_DIR, f)),
            [],
        );
    });
});

describe("renderScript", () => {
    const vars = declaredParameters("leafCerts.sh").map((n) => [n, `value of ${n}`] as const);

    it("puts NAME='value' lines right after set -eu, shell-quoted", () => {
        const quoted = vars.map(([n], i) => [n, i === 0 ? "it's $HOME `x`" : "v"] as const);
        const text = renderScript("leafCerts.sh", quoted);
        const lines = text.split("\n");
        const at = lines.indexOf("set -eu");
        assert.deepStrictEqual(
            lines.slice(at + 1, at + 1 + vars.length),
            quoted.map(([n, v]) => `${n}='${v.replace(/'/g, `'"'"'`)}'`),
        );
    });

    it("replaces an include with the included file's body (its comment block left out)", () => {
        const text = renderScript("leafCerts.sh", vars);
        assert.ok(text.includes(includedBody("common.sh")));
        assert.ok(!text.includes(". ./common.sh"));
        assert.ok(!text.includes("# shellcheck source="));
        assert.ok(!includedBody("common.sh").startsWith("#"));
    });

    it("refuses parameters other than the declared ones, naming them", () => {
        assert.throws(() => renderScript("leafCerts.sh", vars.slice(1)), new RegExp(`missing ${vars[0][0]}`));
        assert.throws(() => renderScript("leafCerts.sh", [...vars, ["EXTRA", "x"]]), /not declared EXTRA/);
        assert.throws(() => renderScript("../x.sh", []), /not a script file name/);
    });

    it("hands values of several lines and awkward characters to dash unchanged", () => {
        const awkward = "a 'quoted' $HOME `date` $(id) \\ back\\slash\n) unbalanced\n\"double\" # not a comment\n";
        const prelude = [shAssignment("TEXT", awkward), shAssignment("WORD", "it's $x", "when-needed"), shAssignment("BARE", "1.35.9-1.1", "when-needed")].join("\n");
        assert.match(prelude, /^BARE=1\.35\.9-1\.1$/m);
        const r = spawnSync("dash", ["-c", `${prelude}\nprintf '%s\\n' "$TEXT"; printf '%s|%s' "$WORD" "$BARE"`], { encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout, `${awkward}it's $x|1.35.9-1.1`);
        assert.throws(() => shAssignment("TEXT", "a\nEOF\nb\n"), /line "EOF"/);
        assert.throws(() => shAssignment("TEXT", "a\nb"), /exactly one newline/);
    });

    it("node setup's prelude gives dash containerd's config and unit exactly as containerd.ts renders them", () => {
        const script = renderNodeSetupScript({ kubernetesMinor: "1.35", kubernetesVersion: "1.35.9", arch: "amd64" });
        const prelude = script.slice(0, script.indexOf('\nROOT="${K8S_AWS_ROOT:-}"'));
        const r = spawnSync("dash", ["-c", `${prelude}\nprintf '%s\\n' "$CONTAINERD_CONFIG_TOML" "$CONTAINERD_SERVICE_UNIT"`], { encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout, `${renderContainerdConfig()}${renderContainerdUnit()}`);
    });
});
