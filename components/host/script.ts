/**
 * The one renderer of on-host scripts. Every script is a real POSIX sh file
 * in this folder (shellcheck reads them as they are: test/components/host/scripts.spec.ts,
 * flags in tools/check/shellcheck.ts); a script is parameterised only by
 * `NAME='value'` assignments, which this renderer puts right after the file's
 * `set -eu` line, never by text substitution inside the script.
 *
 * A value is single-quoted (shq); with `quoting: "when-needed"` a value of
 * only [A-Za-z0-9_./:@%+,-] stays a bare word (node setup's versions and
 * names, which operators and tests read as `NAME=value`). A value of several
 * lines (a file's content, ending in one newline) is a quoted here-document,
 * `NAME=$(cat <<'EOF' ... EOF)`, which keeps it literal; the shell variable
 * holds it without its final newline (`printf '%s\n' "$NAME"` writes it back).
 *
 * A script file is laid out as:
 *
 *     #!/bin/sh
 *     # What it does (comment lines never reach the instance: cloudConfig.ts withoutCommentLines)
 *     # parameters: NAME OTHER_NAME ...
 *     set -eu
 *     ...body...
 *
 * The `# parameters:` line lists the names the renderer must assign, and a
 * render with other names throws, so the script and its TypeScript caller
 * cannot drift apart. An include is the two lines
 *
 *     # shellcheck source=common.sh
 *     . ./common.sh
 *
 * which shellcheck follows (--external-sources --source-path=SCRIPTDIR) and
 * which the renderer replaces by the included file's body. Included, not
 * shipped beside the script: cloud-init writes each `write_files` entry on its
 * own, a script must run with nothing but itself, and one more file per
 * script would cost user data that is close to EC2's 16 KB already. The
 * included file's leading comment block (up to its first blank line) is left
 * out.
 *
 * Files are read relative to this module (`__dirname`), so the render works
 * from the project (ts-node, tools/tscache, `pulumi up`) and from the bench's
 * compiled copy (tools/bench/compile.ts copies every non-TypeScript file).
 */
import * as fs from "fs";
import * as path from "path";
import { shq } from "./shell";

const cache = new Map<string, string>();

/** The text of a script file in this folder, as it is in the repository. */
export function readScriptFile(name: string): string {
    if (!/^[A-Za-z0-9.-]+\.sh$/.test(name)) throw new Error(`not a script file name: ${name}`);
    let text = cache.get(name);
    if (text === undefined) {
        text = fs.readFileSync(path.join(__dirname, name), "utf8");
        cache.set(name, text);
    }
    return text;
}

/** Every script file of this folder (for the shellcheck test and `npm run check`). */
export function scriptFiles(): string[] {
    return fs
        .readdirSync(__dirname)
        .filter((f) => f.endsWith(".sh"))
        .sort()
        .map((f) => path.join(__dirname, f));
}

const INCLUDE_RE = /^# shellcheck source=([A-Za-z0-9.-]+\.sh)\n\. \.\/([A-Za-z0-9.-]+\.sh)$/gm;

/** A file's text for inclusion: without its leading comment block and its final newline. */
export function includedBody(name: string): string {
    const text = readScriptFile(name);
    const blank = text.indexOf("\n\n");
    if (!text.startsWith("#") || blank < 0) throw new Error(`${name}: an included file starts with a comment block and a blank line`);
    const head = text.slice(0, blank).split("\n");
    if (!head.every((l) => l.startsWith("#"))) throw new Error(`${name}: its leading block must be comment lines only`);
    return text.slice(blank + 2).replace(/\n$/, "");
}

/** `text` with each include replaced by the included file's body (one level; included files include nothing). */
export function expandIncludes(text: string, from: string): string {
    return text.replace(INCLUDE_RE, (_all, directive: string, sourced: string) => {
        if (directive !== sourced) throw new Error(`${from}: "# shellcheck source=${directive}" is followed by ". ./${sourced}"`);
        const body = includedBody(sourced);
        if (/^\. /m.test(body)) throw new Error(`${sourced}: an included file includes nothing itself`);
        return body;
    });
}

export type Quoting = "always" | "when-needed";

const BARE_WORD_RE = /^[A-Za-z0-9_./:@%+,-]*$/;

/** One `NAME=value` assignment (see the module comment for the forms). */
export function shAssignment(name: string, value: string, quoting: Quoting = "always"): string {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`not a script parameter name: ${name}`);
    if (value.includes("\n")) {
        if (!value.endsWith("\n") || value.endsWith("\n\n")) throw new Error(`${name}: a value of several lines ends in exactly one newline`);
        if (value.split("\n").includes("EOF")) throw new Error(`${name}: a value of several lines cannot hold a line "EOF"`);
        return `${name}=$(cat <<'EOF'\n${value}EOF\n)`;
    }
    return `${name}=${quoting === "when-needed" && BARE_WORD_RE.test(value) ? value : shq(value)}`;
}

/** The definition of shell function `fn` in a script file, from `fn() {` to the first line that is `}`. */
export function shellFunction(name: string, fn: string): string {
    const m = new RegExp(`^${fn}\\(\\) \\{\\n[\\s\\S]*?\\n\\}$`, "m").exec(readScriptFile(name));
    if (!m) throw new Error(`${name} defines no function ${fn}`);
    return m[0];
}

/** The names a script file declares on its `# parameters:` line (none without one). */
export function declaredParameters(name: string): string[] {
    const m = /^# parameters:(.*)$/m.exec(readScriptFile(name));
    return m
        ? m[1]
              .trim()
              .split(/\s+/)
              .filter((n) => n !== "")
        : [];
}

/**
 * The script `name` with `vars` assigned after its `set -eu` line and its
 * includes expanded. Throws unless `vars` are exactly the declared parameters.
 */
export function renderScript(name: string, vars: ReadonlyArray<readonly [string, string]> = [], quoting: Quoting = "always"): string {
    const text = readScriptFile(name);
    const declared = declaredParameters(name);
    const given = vars.map(([n]) => n);
    const missing = declared.filter((n) => !given.includes(n));
    const extra = given.filter((n) => !declared.includes(n));
    if (missing.length > 0 || extra.length > 0 || new Set(given).size !== given.length) {
        throw new Error(
            `${name}: its parameters are ${declared.join(" ")}; given ${given.join(" ")}${missing.length ? ` (missing ${missing.join(" ")})` : ""}${extra.length ? ` (not declared ${extra.join(" ")})` : ""}`,
        );
    }
    if (!text.startsWith("#!/bin/sh\n")) throw new Error(`${name}: a script starts with #!/bin/sh`);
    const m = /^set -eu$/m.exec(text);
    if (!m) throw new Error(`${name}: no "set -eu" line`);
    const cut = m.index + m[0].length;
    const prelude = vars.map(([n, v]) => `\n${shAssignment(n, v, quoting)}`).join("");
    return expandIncludes(`${text.slice(0, cut)}${prelude}${text.slice(cut)}`, name);
}
