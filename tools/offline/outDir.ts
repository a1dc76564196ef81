/**
 * The render's output folder: replaced on each run, so the render must never
 * delete anything it did not write. A folder is the render's own only when it
 * carries the marker file an earlier render left; otherwise it must be new or
 * empty. The project, and any folder that holds it, is never an output folder.
 */
import * as fs from "fs";
import * as path from "path";
import { UsageError, UsageProblem } from "./usage";
import { PROJECT_ROOT, stackNameProblem } from "./stackFile";

/** Written into every output folder; its presence is what lets a later render replace the folder. */
export const RENDER_MARKER = ".k8s-aws-render";

const MARKER_TEXT =
    "This folder was written by `npm run render` (k8s-aws). The next render into it deletes and rewrites everything here.\n" + "Delete this file to keep the render from ever replacing the folder.\n";

/** The path with every existing part's symlinks resolved, so `a/link/..` and links to the project are seen for what they are. */
function realPathOf(p: string): string {
    const abs = path.resolve(p);
    let existing = abs;
    const rest: string[] = [];
    while (!fs.existsSync(existing)) {
        rest.unshift(path.basename(existing));
        const parent = path.dirname(existing);
        if (parent === existing) break;
        existing = parent;
    }
    return path.join(fs.realpathSync(existing), ...rest);
}

function isSameOrAncestor(folder: string, of: string): boolean {
    const rel = path.relative(folder, of);
    return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Why the render may not write (and so replace) `outDir`, or undefined when it
 * may: `option`/`given` name what the user typed, for the message.
 */
export function outDirProblem(outDir: string, projectRoot: string, option: string, given: string): UsageProblem | undefined {
    const problem = (allowed: string): UsageProblem => ({ option, value: given, allowed });
    if (outDir.trim() === "") return problem("a folder path (the render replaces that folder); default: out/<stack>");
    const real = realPathOf(outDir);
    if (isSameOrAncestor(real, realPathOf(projectRoot))) {
        return problem(`a folder that is neither the project (${projectRoot}) nor a folder holding it: the render replaces its output folder`);
    }
    if (!fs.existsSync(real)) return undefined;
    if (!fs.statSync(real).isDirectory()) return problem("a folder; this is a file");
    const entries = fs.readdirSync(real);
    if (entries.length === 0 || entries.includes(RENDER_MARKER)) return undefined;
    return problem(
        `a new or empty folder, or one an earlier render wrote (it holds ${RENDER_MARKER}); this one holds ${entries.length} entr${entries.length === 1 ? "y" : "ies"} the render did not write, which it would delete`,
    );
}

/**
 * Empties the output folder (checking again: it may have changed while the
 * program ran) and marks it as the render's own. Entries are removed one by
 * one inside the real folder, so a symlinked output folder keeps its link and
 * a symlink inside is removed, not followed.
 */
export function prepareOutDir(outDir: string, projectRoot: string): void {
    const problem = outDirProblem(outDir, projectRoot, "--out", outDir);
    if (problem) throw new UsageError([problem]);
    const real = realPathOf(outDir);
    fs.mkdirSync(real, { recursive: true });
    for (const entry of fs.readdirSync(real)) {
        if (entry !== RENDER_MARKER) fs.rmSync(path.join(real, entry), { recursive: true, force: true });
    }
    fs.writeFileSync(path.join(real, RENDER_MARKER), MARKER_TEXT);
}

/** Every reason the stack name and output folder are unusable, all at once. */
export function usageProblems(stack: string, out: string | undefined): UsageProblem[] {
    const problems: UsageProblem[] = [];
    const nameProblem = stackNameProblem(stack);
    if (nameProblem) problems.push({ option: "--stack", value: stack, allowed: nameProblem });
    if (out !== undefined) {
        const p = outDirProblem(out, PROJECT_ROOT, "--out", out);
        if (p) problems.push(p);
    } else if (!nameProblem) {
        const p = outDirProblem(defaultOutDir(stack), PROJECT_ROOT, "--stack", stack);
        if (p) problems.push({ ...p, allowed: `${p.allowed} (the default output folder is ${path.relative(PROJECT_ROOT, defaultOutDir(stack))}; pass --out to choose another)` });
    }
    return problems;
}

export function defaultOutDir(stack: string): string {
    return path.join(PROJECT_ROOT, "out", stack);
}
