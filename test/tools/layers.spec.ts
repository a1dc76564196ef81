/**
 * The import-layer rules (.dependency-cruiser.cjs, run by `npm run check`) fire on the imports
 * they forbid: dependency-cruiser itself judges small trees written to a temporary folder, each
 * with one deliberately bad import, among them the config -> components cycle this project once had.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const DEPCRUISE = path.join(ROOT, "node_modules", ".bin", "depcruise");
const CONFIG = path.join(ROOT, ".dependency-cruiser.cjs");

/** A file of the tree: its path, and the relative modules it imports. */
type Tree = Record<string, string[]>;

/** The rules dependency-cruiser reports for the tree, as "rule: from -> to", sorted. */
function violations(tree: Tree, dir: string): string[] {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "commonjs", moduleResolution: "node", strict: true } }));
    for (const [file, imports] of Object.entries(tree)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        const body = imports.map((m, i) => `import * as m${i} from "${m}";\nexport const use${i} = m${i};\n`).join("");
        fs.writeFileSync(path.join(dir, file), `${body}export const here = ${JSON.stringify(file)};\n`);
    }
    const roots = [...new Set(Object.keys(tree).map((f) => f.split("/")[0]))];
    const r = spawnSync(DEPCRUISE, ["--config", CONFIG, "--output-type", "json", ...roots], { cwd: dir, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
    assert.ok(!r.error, `dependency-cruiser did not run: ${r.error}`);
    const result = JSON.parse(r.stdout) as { summary: { violations: { from: string; to: string; rule: { name: string } }[]; totalCruised: number } };
    assert.strictEqual(result.summary.totalCruised, Object.keys(tree).length, "every file of the tree was read");
    return [...new Set(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`))].sort();
}

describe("import layers (.dependency-cruiser.cjs)", function () {
    this.timeout(60_000);
    let tmp: string;
    before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-layers-"))));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("accepts imports that run down the layers", () => {
        const tree: Tree = {
            "lib/naming.ts": [],
            "config/index.ts": ["./rules"],
            "config/rules.ts": ["../lib/naming"],
            "components/nodepools/labels.ts": ["../../config", "../../lib/naming"],
            "addons/index.ts": ["../config", "../components/nodepools/labels"],
            "program.ts": ["./config", "./components/nodepools/labels", "./addons"],
            "tools/render.ts": ["../program", "../policies/offline"],
            "test/config.spec.ts": ["../config", "../tools/render"],
            "policies/offline.ts": ["./rules/tls"],
            "policies/rules/tls.ts": [],
        };
        assert.deepStrictEqual(violations(tree, path.join(tmp, "good")), []);
    });

    it("refuses the cycle config/rules.ts -> components/nodepools/labels.ts -> config/index.ts, by layer and as a cycle", () => {
        const tree: Tree = {
            "config/index.ts": ["./rules"],
            "config/rules.ts": ["../components/nodepools/labels"],
            "components/nodepools/labels.ts": ["../../config"],
        };
        const found = violations(tree, path.join(tmp, "cycle"));
        assert.ok(found.includes("config-imports-only-lib: config/rules.ts -> components/nodepools/labels.ts"), found.join("\n"));
        assert.ok(
            found.some((v) => v.startsWith("no-circular: ")),
            found.join("\n"),
        );
    });

    it("refuses a cycle inside one layer", () => {
        const found = violations({ "components/a.ts": ["./b"], "components/b.ts": ["./a"] }, path.join(tmp, "same-layer"));
        assert.deepStrictEqual(found, ["no-circular: components/a.ts -> components/b.ts"]);
    });

    const backEdges: { name: string; tree: Tree; rule: string }[] = [
        { name: "lib/ importing config/", tree: { "lib/naming.ts": ["../config/versions"], "config/versions.ts": [] }, rule: "lib-imports-nothing-of-ours: lib/naming.ts -> config/versions.ts" },
        { name: "lib/ importing components/", tree: { "lib/tags.ts": ["../components/naming"], "components/naming.ts": [] }, rule: "lib-imports-nothing-of-ours: lib/tags.ts -> components/naming.ts" },
        { name: "config/ importing addons/", tree: { "config/rules.ts": ["../addons/versions"], "addons/versions.ts": [] }, rule: "config-imports-only-lib: config/rules.ts -> addons/versions.ts" },
        {
            name: "config/ importing tools/",
            tree: { "config/index.ts": ["../tools/offline/stackFile"], "tools/offline/stackFile.ts": [] },
            rule: "config-imports-only-lib: config/index.ts -> tools/offline/stackFile.ts",
        },
        {
            name: "a component importing the mocks",
            tree: { "components/pki/certs.ts": ["../../tools/mocks/tls"], "tools/mocks/tls.ts": [] },
            rule: "program-never-imports-tools-or-tests: components/pki/certs.ts -> tools/mocks/tls.ts",
        },
        {
            name: "an addon importing test fixtures",
            tree: { "addons/calico.ts": ["../test/fixtures"], "test/fixtures.ts": [] },
            rule: "program-never-imports-tools-or-tests: addons/calico.ts -> test/fixtures.ts",
        },
        {
            name: "a component importing program.ts",
            tree: { "components/cluster.ts": ["../program"], "program.ts": [] },
            rule: "components-do-not-import-program: components/cluster.ts -> program.ts",
        },
        {
            name: "the policy pack importing the program's CIDR helpers",
            tree: { "policies/rules/cluster.ts": ["../../lib/cidr"], "lib/cidr.ts": [] },
            rule: "policy-pack-stands-alone: policies/rules/cluster.ts -> lib/cidr.ts",
        },
    ];
    // One tree holding every back edge (one dependency-cruiser run, about 3 s on two cores): each edge
    // must be reported under its rule, and nothing else.
    let found: string[] = [];
    before(() => (found = violations(Object.assign({}, ...backEdges.map((c) => c.tree)) as Tree, path.join(tmp, "back-edges"))));
    for (const c of backEdges) {
        it(`refuses ${c.name}`, () => assert.ok(found.includes(c.rule), `expected "${c.rule}" among:\n${found.join("\n")}`));
    }
    it("reports nothing but those back edges", () => assert.deepStrictEqual(found, backEdges.map((c) => c.rule).sort()));
});
