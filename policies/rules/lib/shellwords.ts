/**
 * The shell's lexer: splits a script into simple commands (words still
 * quoted, as the shell sees them before expansion), with their redirections,
 * here-document bodies and whether they read a pipe. shell.ts expands and
 * follows them.
 */

type Tok = { w: string } | { op: string; body?: string };

const OPS = ["&&", "||", ";;", ">>", "&>", ">&", "<<-", "<<", ";", "|", "&", ">", "<", "(", ")", "\n"];

/** Reads a quoted or substituted span starting at s[i]; returns the index after it. */
export function skipSpan(s: string, i: number): number {
    const c = s[i];
    if (c === "'") {
        const end = s.indexOf("'", i + 1);
        return end < 0 ? s.length : end + 1;
    }
    if (c === '"' || c === "`") {
        let j = i + 1;
        while (j < s.length && s[j] !== c) j = s[j] === "\\" ? j + 2 : s[j] === "$" && s[j + 1] === "(" ? skipSpan(s, j + 1) : j + 1;
        return j + 1;
    }
    // "(" after "$": a command substitution or arithmetic, balanced.
    let depth = 0;
    let j = i;
    while (j < s.length) {
        if (s[j] === "'" || s[j] === '"' || s[j] === "`") {
            j = skipSpan(s, j);
            continue;
        }
        if (s[j] === "(") depth++;
        if (s[j] === ")" && --depth === 0) return j + 1;
        j++;
    }
    return j;
}

function tokenize(src: string): Tok[] {
    const s = src.replace(/\\\r?\n/g, "");
    const toks: Tok[] = [];
    const pending: { delim: string; strip: boolean; tok: { op: string; body?: string } }[] = [];
    let word: string | undefined;
    const flush = () => {
        if (word !== undefined) toks.push({ w: word });
        word = undefined;
    };
    let i = 0;
    while (i < s.length) {
        const c = s[i];
        if (c === "#" && word === undefined) {
            while (i < s.length && s[i] !== "\n") i++;
            continue;
        }
        if (c === " " || c === "\t" || c === "\r") {
            flush();
            i++;
            continue;
        }
        if (c === "'" || c === '"' || c === "`" || (c === "$" && s[i + 1] === "(")) {
            const end = skipSpan(s, c === "$" ? i + 1 : i);
            word = (word ?? "") + s.slice(i, end);
            i = end;
            continue;
        }
        if (c === "\\") {
            word = (word ?? "") + s.slice(i, i + 2);
            i += 2;
            continue;
        }
        if (c === "(" && s[i + 1] === ")" && word !== undefined) {
            word += "()"; // a function definition: `name() {`
            i += 2;
            continue;
        }
        const op = OPS.find((o) => s.startsWith(o, i));
        if (!op) {
            word = (word ?? "") + c;
            i++;
            continue;
        }
        // `2>` and `2>>`: a file-descriptor prefix belongs to the redirection, not to the words.
        if ((op === ">" || op === ">>" || op === ">&") && word !== undefined && /^\d+$/.test(word)) word = undefined;
        flush();
        i += op.length;
        const tok: { op: string; body?: string } = { op };
        toks.push(tok);
        if (op === "<<" || op === "<<-") {
            while (s[i] === " " || s[i] === "\t") i++;
            const m = /^(['"]?)([A-Za-z0-9_.-]+)\1/.exec(s.slice(i));
            if (m) {
                pending.push({ delim: m[2], strip: op === "<<-", tok });
                i += m[0].length;
            }
        }
        if (op === "\n") {
            for (const h of pending.splice(0)) {
                const lines: string[] = [];
                while (i < s.length) {
                    const eol = s.indexOf("\n", i) < 0 ? s.length : s.indexOf("\n", i);
                    const line = s.slice(i, eol);
                    i = eol + 1;
                    if ((h.strip ? line.replace(/^\t+/, "") : line) === h.delim) break;
                    lines.push(line);
                }
                h.tok.body = lines.join("\n");
            }
        }
    }
    flush();
    return toks;
}

export interface RawCommand {
    readonly words: string[];
    readonly redirects: { op: string; raw: string }[];
    readonly heredoc?: string;
    /** Whether it starts a new pipeline (false: it reads the previous command's output). */
    readonly piped: boolean;
}

const SEPARATORS = new Set(["&&", "||", ";;", ";", "&", "(", ")", "\n"]);

function commands(toks: Tok[]): RawCommand[] {
    const out: RawCommand[] = [];
    let cur: { words: string[]; redirects: { op: string; raw: string }[]; heredoc?: string; piped: boolean } = { words: [], redirects: [], piped: false };
    const end = (piped: boolean) => {
        if (cur.words.length > 0) out.push(cur);
        cur = { words: [], redirects: [], piped };
    };
    for (let i = 0; i < toks.length; i++) {
        const t = toks[i];
        if ("w" in t) cur.words.push(t.w);
        else if (t.op === "|") end(true);
        else if (SEPARATORS.has(t.op)) end(false);
        else if (t.op === "<<" || t.op === "<<-") cur.heredoc = t.body ?? "";
        else {
            const next = toks[i + 1];
            if (next && "w" in next) {
                cur.redirects.push({ op: t.op, raw: next.w });
                i++;
            }
        }
    }
    end(false);
    return out;
}

/** The simple commands of a script, in order. */
export function rawCommands(script: string): RawCommand[] {
    return commands(tokenize(script));
}
