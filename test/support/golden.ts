/**
 * kops-style golden files: compare text with a checked-in file (under
 * test/golden/ for the deployable stacks, under test/cases/<case>/expected/
 * for the golden cases), print a unified diff on mismatch, and rewrite the
 * file when UPDATE_GOLDEN=1 (`npm run golden:update`).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import type { Plan } from "../../tools/offline/plan";
import type { RenderResult } from "../../tools/offline/render";
import { PROJECT_ROOT, TEST_ROOT } from "./paths";

export const GOLDEN_ROOT = path.join(TEST_ROOT, "golden");
export const updating = () => process.env.UPDATE_GOLDEN === "1";

const shown = (file: string) => path.relative(PROJECT_ROOT, file);

function unifiedDiff(expectedFile: string, actual: string): string {
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "golden-")), path.basename(expectedFile));
    fs.writeFileSync(tmp, actual);
    const out = spawnSync("diff", ["-u", expectedFile, tmp], { encoding: "utf8" }).stdout;
    const lines = out.split("\n");
    return lines.length > 80 ? `${lines.slice(0, 80).join("\n")}\n... (${lines.length - 80} more diff lines)` : out;
}

/** Asserts that `actual` equals <root>/<rel> (root: test/golden/), or writes it when updating. */
export function assertGolden(rel: string, actual: string, root = GOLDEN_ROOT): void {
    const file = path.join(root, rel);
    if (updating()) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, actual);
        return;
    }
    if (!fs.existsSync(file)) {
        throw new Error(`golden file ${shown(file)} is missing; run \`npm run golden:update\` and review the new file`);
    }
    const expected = fs.readFileSync(file, "utf8");
    if (expected !== actual) {
        throw new Error(`${shown(file)} differs (run \`npm run golden:update\` if the change is intended):\n${unifiedDiff(file, actual)}`);
    }
}

/** Every file under <root>/<dir>, relative to root. */
export function goldenFilesUnder(dir: string, root = GOLDEN_ROOT): string[] {
    const base = path.join(root, dir);
    if (!fs.existsSync(base)) return [];
    return (fs.readdirSync(base, { recursive: true }) as string[])
        .filter((f) => fs.statSync(path.join(base, f)).isFile())
        .map((f) => path.join(dir, f))
        .sort();
}

/** Removes golden files no longer produced (only when updating). */
export function pruneGolden(dir: string, produced: readonly string[], root = GOLDEN_ROOT): string[] {
    const stale = goldenFilesUnder(dir, root).filter((f) => !produced.includes(f));
    if (updating()) for (const f of stale) fs.rmSync(path.join(root, f));
    return stale;
}

/** Large blobs live in their own golden files; the plan points at them instead of repeating them. */
export function planForGolden(plan: Plan, files: readonly string[]): Plan {
    const has = (f: string) => files.includes(f);
    return {
        ...plan,
        resources: plan.resources.map((r) => {
            const inputs = { ...r.inputs };
            const ltName = typeof inputs.name === "string" ? inputs.name : r.name;
            if (typeof inputs.userData === "string" && has(`userdata/${ltName}.yaml`)) inputs.userData = `(see userdata/${ltName}.yaml)`;
            for (const prop of ["policy", "assumeRolePolicy"]) {
                if (typeof inputs[prop] === "string" && has(`iam/${r.name}.json`)) inputs[prop] = `(see iam/${r.name}.json)`;
            }
            return { ...r, inputs };
        }),
    };
}

/**
 * Compares a render (its plan and every file it wrote) with the golden files
 * under <root>/<dir>, and fails on golden files the render no longer writes.
 */
export function assertRenderMatchesGolden(result: RenderResult, dir: string, root = GOLDEN_ROOT): void {
    const produced: string[] = [];
    const check = (rel: string, text: string) => {
        produced.push(path.join(dir, rel));
        assertGolden(path.join(dir, rel), text, root);
    };
    check("plan.json", `${JSON.stringify(planForGolden(result.plan, result.files), null, 2)}\n`);
    for (const rel of result.files.filter((f) => f !== "plan.json")) {
        check(rel, fs.readFileSync(path.join(result.outDir, rel), "utf8"));
    }
    const stale = pruneGolden(dir, produced, root);
    assert.deepStrictEqual(stale, [], `golden files no longer produced: ${stale.join(", ")} (run npm run golden:update)`);
}
