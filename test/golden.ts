/**
 * kops-style golden files: compare text with a checked-in file under
 * test/golden/, print a unified diff on mismatch, and rewrite the file when
 * UPDATE_GOLDEN=1 (`npm run golden:update`).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";

export const GOLDEN_ROOT = path.join(__dirname, "golden");
export const updating = () => process.env.UPDATE_GOLDEN === "1";

function unifiedDiff(expectedFile: string, actual: string): string {
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "golden-")), path.basename(expectedFile));
    fs.writeFileSync(tmp, actual);
    const out = spawnSync("diff", ["-u", expectedFile, tmp], { encoding: "utf8" }).stdout;
    const lines = out.split("\n");
    return lines.length > 80 ? `${lines.slice(0, 80).join("\n")}\n... (${lines.length - 80} more diff lines)` : out;
}

/** Asserts that `actual` equals test/golden/<rel>, or writes it when updating. */
export function assertGolden(rel: string, actual: string): void {
    const file = path.join(GOLDEN_ROOT, rel);
    if (updating()) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, actual);
        return;
    }
    if (!fs.existsSync(file)) {
        throw new Error(`golden file test/golden/${rel} is missing; run \`npm run golden:update\` and review the new file`);
    }
    const expected = fs.readFileSync(file, "utf8");
    if (expected !== actual) {
        throw new Error(`test/golden/${rel} differs (run \`npm run golden:update\` if the change is intended):\n${unifiedDiff(file, actual)}`);
    }
}

/** Every file under test/golden/<dir>, relative to GOLDEN_ROOT. */
export function goldenFilesUnder(dir: string): string[] {
    const root = path.join(GOLDEN_ROOT, dir);
    if (!fs.existsSync(root)) return [];
    return (fs.readdirSync(root, { recursive: true }) as string[])
        .filter((f) => fs.statSync(path.join(root, f)).isFile())
        .map((f) => path.join(dir, f))
        .sort();
}

/** Removes golden files no longer produced (only when updating). */
export function pruneGolden(dir: string, produced: readonly string[]): string[] {
    const stale = goldenFilesUnder(dir).filter((f) => !produced.includes(f));
    if (updating()) for (const f of stale) fs.rmSync(path.join(GOLDEN_ROOT, f));
    return stale;
}
