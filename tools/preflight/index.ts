/**
 * `pretest`: makes sure `npm test` can run on this machine before anything runs.
 *
 * - Everything present (the usual case): prints nothing and exits 0 in well under a second
 *   (PATH look-ups and file existence checks only; no process is started).
 * - Debian packages missing, running as root with apt-get: installs them, with apt's own output.
 * - Real-tool cache (tools/real/pins.ts toolPaths()) incomplete and Go present: runs
 *   `npm run tools:real`, whose log shows each build (cold: about 30-45 min on 2 cores);
 *   K8S_AWS_SKIP_REAL=1 skips this and the real tiers skip themselves.
 * - Otherwise: one message naming exactly what is missing and the commands that install it,
 *   and exit 1 before any test runs.
 * `--install-system` (used by .ci/run): only the Debian packages, installing when it can.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cacheRoot, toolPaths } from "../real/pins";
import { EXTRA_GO_DIR, REAL_BUILD_TOOLS, SKIP_REAL_ENV, SYSTEM_TOOLS, SystemTool } from "./requirements";

const REPO = path.resolve(__dirname, "..", "..");

function say(text: string): void {
    process.stderr.write(`preflight: ${text}\n`);
}

/** The executable's path when `command` is on PATH (or is an existing absolute path), without starting a process. */
export function findExecutable(command: string, searchPath = process.env.PATH ?? ""): string | undefined {
    const candidates = path.isAbsolute(command)
        ? [command]
        : searchPath
              .split(path.delimiter)
              .filter(Boolean)
              .map((dir) => path.join(dir, command));
    return candidates.find((file) => {
        try {
            fs.accessSync(file, fs.constants.X_OK);
            return fs.statSync(file).isFile();
        } catch {
            return false;
        }
    });
}

function missingSystemTools(): SystemTool[] {
    return SYSTEM_TOOLS.filter((t) => findExecutable(t.command) === undefined);
}

/** Names of the real tools not yet in the cache. */
function missingRealTools(): string[] {
    const tools = toolPaths();
    const files: [string, string][] = Object.entries(tools.kubeadmByMinor).map(([minor, k]) => [`kubeadm ${minor}`, k.path]);
    for (const [name, value] of Object.entries(tools)) if (typeof value === "string" && path.isAbsolute(value)) files.push([name, value]);
    return files.filter(([, file]) => !fs.existsSync(file)).map(([name]) => name);
}

/**
 * Pids of `npm run tools:real` builds running now: build.ts keeps `<cache>/.time-<pid>` while a build
 * step runs and empties a group's folder before building it, so a second build must never start beside one.
 */
function runningRealBuilds(): number[] {
    let names: string[];
    try {
        names = fs.readdirSync(cacheRoot());
    } catch {
        return [];
    }
    return names
        .map((n) => /^\.time-(\d+)$/.exec(n)?.[1])
        .filter((pid): pid is string => pid !== undefined)
        .map(Number)
        .filter((pid) => {
            try {
                process.kill(pid, 0);
                return true;
            } catch {
                return false;
            }
        });
}

const isRoot = () => process.getuid?.() === 0;
const debianPackages = (tools: readonly SystemTool[]) => [...new Set(tools.map((t) => t.debianPackage))];
const aptCommand = (packages: string[]) => {
    const sudo = isRoot() ? "" : "sudo ";
    return `${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${packages.join(" ")}`;
};

/** Installs the Debian packages through apt-get when running as root with apt-get on PATH; true when it ran and succeeded. */
function installSystemPackages(tools: readonly SystemTool[]): boolean {
    const apt = findExecutable("apt-get");
    if (!isRoot() || apt === undefined) return false;
    const packages = debianPackages(tools);
    say(`installing Debian packages for the tests: ${packages.join(" ")} (apt-get, as root)`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    for (const args of [["update"], ["install", "-y", "--no-install-recommends", ...packages]]) {
        const r = spawnSync(apt, args, { stdio: ["ignore", "inherit", "inherit"], env });
        if (r.status !== 0) {
            say(`apt-get ${args[0]} failed (exit ${r.status ?? r.signal})`);
            return false;
        }
    }
    return missingSystemTools().length === 0;
}

function main(argv: string[]): number {
    const systemOnly = argv.includes("--install-system");
    const problems: string[] = [];
    const commands: string[] = [];

    let missing = missingSystemTools();
    if (missing.length > 0 && installSystemPackages(missing)) missing = [];
    const aptPackages = debianPackages(missing);
    for (const t of missing) problems.push(`${t.command} (Debian package ${t.debianPackage}): ${t.usedBy}`);

    if (!systemOnly && process.env[SKIP_REAL_ENV] !== "1") {
        const realMissing = missingRealTools();
        if (realMissing.length > 0) {
            const searchPath = [process.env.PATH ?? "", EXTRA_GO_DIR].join(path.delimiter);
            const buildMissing = REAL_BUILD_TOOLS.filter((t) => findExecutable(t.command, searchPath) === undefined);
            const running = runningRealBuilds();
            if (running.length > 0) {
                problems.push(
                    `the real-tool cache under ${cacheRoot()} (missing: ${realMissing.join(", ")}): a \`npm run tools:real\` build is running now (pid ${running.join(", ")}); starting another would empty the folders it builds into`,
                );
                commands.push(`wait for pid ${running.join(", ")} to finish, then npm test again (or ${SKIP_REAL_ENV}=1 npm test: the real tiers skip)`);
            } else if (buildMissing.length === 0 && missing.length === 0) {
                say(`the real-tool cache under ${cacheRoot()} lacks ${realMissing.join(", ")}: building it now with \`npm run tools:real\``);
                say(`(cold: about 30-45 min on 2 cores, once; ${SKIP_REAL_ENV}=1 npm test runs the suite without it, the real tiers then skip)`);
                const r = spawnSync("npm", ["run", "--silent", "tools:real"], { cwd: REPO, stdio: "inherit", env: { ...process.env, PATH: searchPath } });
                if (r.status !== 0) {
                    problems.push(`the real-tool cache: \`npm run tools:real\` failed (exit ${r.status ?? r.signal}); its log above says which build`);
                    commands.push("npm run tools:real");
                }
            } else {
                problems.push(`the real-tool cache under ${cacheRoot()} (missing: ${realMissing.join(", ")}), built by \`npm run tools:real\``);
                for (const t of buildMissing) {
                    problems.push(`${t.command}: ${t.what}${t.debianPackages.length > 0 ? ` (Debian packages ${t.debianPackages.join(" ")})` : ""}`);
                    aptPackages.push(...t.debianPackages);
                }
                commands.push(`npm run tools:real    # after the above${buildMissing.length > 0 ? ` and ${buildMissing.map((t) => t.command).join(", ")}` : ""}; cold: about 30-45 min on 2 cores`);
                commands.push(`(or run the suite without the real tiers, which then skip: ${SKIP_REAL_ENV}=1 npm test)`);
            }
        }
    }

    if (problems.length === 0) return 0;
    if (aptPackages.length > 0) commands.unshift(aptCommand(aptPackages));
    process.stderr.write(
        [`preflight: ${systemOnly ? "the tests need" : "npm test cannot start; this machine lacks"}:`, ...problems.map((p) => `  - ${p}`), "Install with:", ...commands.map((c) => `  ${c}`), ""].join(
            "\n",
        ),
    );
    return 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
