/**
 * The one shellcheck invocation for the project's scripts: POSIX sh, every
 * finding down to style, and `. ./common.sh`-style includes followed
 * relative to the script's own folder (components/host/script.ts explains
 * the include). The tests and `npm run check` use these flags and nothing
 * else. Run directly: `node -r ./tools/tscache/register.js tools/check/shellcheck.ts`
 * checks every script file in components/host/.
 */
import { spawnSync } from "child_process";
import { scriptFiles } from "../../components/host/script";

export const SHELLCHECK_FLAGS: readonly string[] = ["--shell=sh", "--external-sources", "--source-path=SCRIPTDIR", "--severity=style"];

export interface ShellcheckResult {
    /** shellcheck's exit status: 0 = no findings. */
    readonly status: number;
    /** Its findings, as it prints them (gcc format: file:line:col: severity: message [SCxxxx]). */
    readonly output: string;
}

/** Runs shellcheck with SHELLCHECK_FLAGS on files; throws when shellcheck cannot be run at all. */
export function shellcheckFiles(files: readonly string[]): ShellcheckResult {
    const r = spawnSync("shellcheck", [...SHELLCHECK_FLAGS, "--format=gcc", ...files], { encoding: "utf8" });
    if (r.error) throw new Error(`shellcheck cannot be run (apt-get install -y shellcheck): ${r.error.message}`);
    if (r.status === null || r.status > 1) throw new Error(`shellcheck failed (exit ${r.status}): ${r.stderr}`);
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

if (require.main === module) {
    const files = scriptFiles();
    const r = shellcheckFiles(files);
    process.stdout.write(r.output);
    process.stdout.write(`shellcheck ${SHELLCHECK_FLAGS.join(" ")}: ${files.length} script files, ${r.status === 0 ? "no findings" : "findings above"}\n`);
    process.exitCode = r.status;
}
