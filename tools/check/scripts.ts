/**
 * Every shell script the project holds or ships, for `npm run check`'s shellcheck step: the
 * tracked `*.sh` files, and the scripts inside the user data the program renders. The rendered
 * ones are read from the golden user data (`test/golden/<stack>/userdata/*.yaml`, and any other
 * tracked `test/**\/userdata/*.yaml`): test/golden.spec.ts keeps those byte-identical to what the
 * render writes, so checking them checks what instances receive, without a render here.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

// The one shellcheck flag set (tools/check/shellcheck.ts), shared by the tests and `npm run check`.
export { SHELLCHECK_FLAGS } from "./shellcheck";

const SHELL_SHEBANG = /^#!\s*\/(usr\/)?bin\/(env\s+)?(sh|bash|dash)\b/;

export interface Script {
    /** Where the script sits in its document: a write_files path, or `runcmd[i]` / `bootcmd[i]`. */
    readonly where: string;
    readonly text: string;
}

/** Shell scripts a cloud-config document carries: write_files with a shell shebang, and `sh -c` / plain-string commands. */
export function scriptsIn(doc: { write_files?: { path: string; content?: string }[]; runcmd?: unknown[]; bootcmd?: unknown[] }): Script[] {
    const scripts: Script[] = [];
    for (const f of doc.write_files ?? []) {
        if (f.content && SHELL_SHEBANG.test(f.content)) scripts.push({ where: f.path, text: f.content });
    }
    for (const [key, list] of [
        ["runcmd", doc.runcmd],
        ["bootcmd", doc.bootcmd],
    ] as const) {
        (list ?? []).forEach((cmd, n) => {
            if (typeof cmd === "string") scripts.push({ where: `${key}[${n}]`, text: `#!/bin/sh\n${cmd}\n` });
            else if (Array.isArray(cmd) && ["sh", "bash", "/bin/sh", "/bin/bash"].includes(cmd[0]) && cmd[1] === "-c") {
                scripts.push({ where: `${key}[${n}]`, text: `#!/bin/sh\n${cmd[2]}\n` });
            }
        });
    }
    return scripts;
}

function trackedFiles(root: string, ...patterns: string[]): string[] {
    const r = spawnSync("git", ["ls-files", "-z", "--", ...patterns], { cwd: root, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ls-files failed in ${root}: ${r.stderr || r.error?.message}`);
    return r.stdout.split("\0").filter(Boolean).sort();
}

/** Tracked shell files (repository-relative paths). */
export function shellFiles(root: string): string[] {
    return trackedFiles(root, "*.sh");
}

/** The scripts in every tracked rendered user-data document under test/ (cloud-config only; a MIME multipart is not rendered today). */
export function renderedScripts(root: string): { source: string; where: string; text: string }[] {
    return trackedFiles(root, "test/**/userdata/*.yaml").flatMap((source) => {
        const text = fs.readFileSync(path.join(root, source), "utf8");
        if (!text.startsWith("#cloud-config\n")) throw new Error(`${source}: not a cloud-config document; teach tools/check/scripts.ts its format`);
        return scriptsIn(YAML.parse(text)).map((s) => ({ source, ...s }));
    });
}
