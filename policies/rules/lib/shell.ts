/**
 * Just enough of a POSIX shell to follow boot scripts: words, quotes,
 * variables, pipelines, redirections, here-documents, `for` loops over word
 * lists, functions and calls to other scripts. It answers "which commands run,
 * in which order, with which arguments" so that policies can check that a
 * tmpfs is mounted before anything writes key material. What it cannot know
 * (command substitutions, unset variables) becomes UNKNOWN, never a guess.
 */

import { skipSpan, rawCommands, RawCommand } from "./shellwords";

/** Stands for text the analysis cannot know; a path containing it is "somewhere unknown". */
export const UNKNOWN = "\u0000";

export interface Redirect {
    readonly op: string;
    readonly target: string;
}

export interface Command {
    readonly argv: string[];
    readonly redirects: Redirect[];
    /** Standard input from a here-document, if any. */
    readonly heredoc?: string;
}

export type Pipeline = Command[];

export interface ParseOptions {
    /** Variables already set (a sourced script shares its caller's). */
    readonly vars?: Map<string, string>;
    /** Returns the text of a script the command runs (a written file, `sh -c`), to be followed inline. */
    readonly inline?: (argv: string[]) => string | undefined;
}

/** Expands one word as the shell would: quotes removed, variables substituted, the unknowable marked UNKNOWN. */
export function expandWord(raw: string, vars: Map<string, string>): string {
    let out = "";
    let i = 0;
    let dq = false;
    while (i < raw.length) {
        const c = raw[i];
        if (c === "'" && !dq) {
            const end = raw.indexOf("'", i + 1);
            out += raw.slice(i + 1, end < 0 ? raw.length : end);
            i = end < 0 ? raw.length : end + 1;
        } else if (c === '"') {
            dq = !dq;
            i++;
        } else if (c === "\\") {
            // Inside double quotes a backslash only escapes $ ` " \ and stays otherwise.
            const next = raw[i + 1] ?? "";
            out += dq && !'$`"\\'.includes(next) ? `\\${next}` : next;
            i += 2;
        } else if (c === "`" || (c === "$" && raw[i + 1] === "(")) {
            out += UNKNOWN;
            i = skipSpan(raw, c === "$" ? i + 1 : i);
        } else if (c === "$" && raw[i + 1] === "{") {
            const end = raw.indexOf("}", i);
            const inner = raw.slice(i + 2, end < 0 ? raw.length : end);
            const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::?[-=](.*))?$/.exec(inner);
            if (!m) out += UNKNOWN;
            else out += vars.get(m[1]) ?? (m[2] !== undefined ? expandWord(m[2], vars) : UNKNOWN);
            i = end < 0 ? raw.length : end + 1;
        } else if (c === "$" && /[A-Za-z_]/.test(raw[i + 1] ?? "")) {
            const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(raw.slice(i + 1))!;
            out += vars.get(m[0]) ?? UNKNOWN;
            i += 1 + m[0].length;
        } else if (c === "$" && /[0-9@*#?$!-]/.test(raw[i + 1] ?? "")) {
            out += UNKNOWN;
            i += 2;
        } else {
            out += c;
            i++;
        }
    }
    return out;
}

const ASSIGN_RE = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
const KEYWORDS = new Set(["if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"]);
const ENDERS = new Set(["fi", "done", "esac", "}"]);

/** The command's first word past `then`/`do`/`{`-style keywords. */
function head(raw: RawCommand): string {
    return raw.words.find((w) => !KEYWORDS.has(w)) ?? "";
}

/**
 * Index just past the block that opens at `start`: a loop (opened by for/while/until,
 * closed by a command starting with `done`) or a function body (braces).
 */
function blockEnd(raws: RawCommand[], start: number, loop: boolean): number {
    let depth = 0;
    for (let i = start; i < raws.length; i++) {
        const first = head(raws[i]);
        if (loop ? /^(for|while|until)$/.test(first) : raws[i].words.includes("{")) depth++;
        if ((loop ? raws[i].words[0] === "done" : raws[i].words[0] === "}") && --depth === 0) return i + 1;
    }
    return raws.length;
}

function walk(raws: RawCommand[], vars: Map<string, string>, opts: ParseOptions, depth: number, fns: Map<string, RawCommand[]>): Pipeline[] {
    const out: Pipeline[] = [];
    let i = 0;
    while (i < raws.length) {
        const raw = raws[i];
        let words = raw.words;
        while (words.length > 0 && KEYWORDS.has(words[0])) words = words.slice(1);
        if (words.length > 0 && (words[0].endsWith("()") || words[0] === "function")) {
            // A function definition: remember the body (to the matching `}`), run it where it is called.
            const name = words[0] === "function" ? (words[1] ?? "") : words[0].slice(0, -2);
            const end = blockEnd(raws, i, false);
            const brace = raw.words.indexOf("{");
            const rest = brace >= 0 ? [{ ...raw, words: raw.words.slice(brace + 1) }] : [];
            fns.set(name, [...rest, ...raws.slice(i + 1, end)]);
            i = end;
            continue;
        }
        if (words[0] === "for" && words[2] === "in") {
            const end = blockEnd(raws, i, true);
            const list = words.slice(3).filter((w) => w !== "do");
            const body = raws.slice(i + 1, end);
            const inline = raw.words.indexOf("do");
            if (inline >= 0) body.unshift({ ...raw, words: raw.words.slice(inline + 1) });
            const values = list.flatMap((w) => (/['"]/.test(w) ? [expandWord(w, vars)] : expandWord(w, vars).split(/\s+/).filter(Boolean)));
            for (const v of values.length > 0 ? values : [UNKNOWN]) {
                vars.set(words[1], v);
                out.push(...walk(body, vars, opts, depth, fns));
            }
            i = end;
            continue;
        }
        i++;
        if (words.length === 0 || ENDERS.has(words[0])) continue;
        const argv = words.map((w) => expandWord(w, vars));
        const assigns = argv.filter((a, k) => ASSIGN_RE.test(a) && ASSIGN_RE.test(words[k]));
        if (assigns.length === argv.length || /^(export|readonly|local|declare|typeset)$/.test(argv[0])) {
            for (const a of argv) {
                const m = ASSIGN_RE.exec(a);
                if (m) vars.set(m[1], m[2]);
            }
            continue;
        }
        // Leading `VAR=value cmd` assignments only affect that command's environment.
        const firstArg = argv.findIndex((a) => !ASSIGN_RE.test(a));
        const cmd: Command = {
            argv: argv.slice(firstArg),
            redirects: raw.redirects.map((r) => ({ op: r.op, target: expandWord(r.raw, vars) })),
            heredoc: raw.heredoc === undefined ? undefined : expandWord(`"${raw.heredoc.replace(/"/g, '\\"')}"`, vars),
        };
        const fn = fns.get(cmd.argv[0]);
        const script = fn ? undefined : opts.inline?.(cmd.argv);
        if (fn && depth < 8) out.push(...walk(fn, vars, opts, depth + 1, fns));
        else if (script !== undefined && depth < 8) out.push(...walk(rawCommands(script), new Map(vars), opts, depth + 1, new Map(fns)));
        else if (raw.piped && out.length > 0) out[out.length - 1].push(cmd);
        else out.push([cmd]);
    }
    return out;
}

/** The pipelines a script runs, in order, with loops unrolled, functions and called scripts followed. */
export function parseScript(text: string, opts: ParseOptions = {}): Pipeline[] {
    return walk(rawCommands(text), opts.vars ?? new Map(), opts, 0, new Map());
}

/** The program a command runs: its basename, past `sudo`, `env` and `exec` wrappers. */
export function programOf(argv: string[]): { name: string; args: string[] } {
    let k = 0;
    while (k < argv.length && /^(sudo|exec|env|nohup|command|timeout)$/.test(basename(argv[k]))) {
        k++;
        while (k < argv.length && (argv[k].startsWith("-") || ASSIGN_RE.test(argv[k]) || /^\d+[smh]?$/.test(argv[k]))) k++;
    }
    return { name: basename(argv[k] ?? ""), args: argv.slice(k + 1) };
}

export function basename(p: string): string {
    return p.slice(p.lastIndexOf("/") + 1);
}
