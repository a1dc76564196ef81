/**
 * `npm run check`: everything a change must pass before review, in one command, each step
 * reported on its own and all of them run (one failing step does not hide another's findings):
 *
 * - format:     prettier --check (`npm run format` rewrites)
 * - lint:       eslint (eslint.config.mjs)
 * - layers:     dependency-cruiser: import layers and cycles (.dependency-cruiser.cjs)
 * - types:      tsc over the program and the policy pack (strict, unused locals and parameters)
 * - shellcheck: every tracked *.sh and every script in the rendered user data (tools/check/scripts.ts),
 *               with the one flag set SHELLCHECK_FLAGS
 *
 * `--only <step>[,<step>]` runs a subset. Exit 0 when every step passed, 1 otherwise, 2 on bad usage.
 * Steps run one after another, not in parallel: CI and the dev machines have two cores.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderedScripts, shellFiles, SHELLCHECK_FLAGS } from "./scripts";

const ROOT = path.resolve(__dirname, "..", "..");
const BIN = path.join(ROOT, "node_modules", ".bin");

interface Outcome {
    readonly ok: boolean;
    /** What to print under the step's heading (the tool's own findings). */
    readonly output: string;
}

function run(command: string, args: readonly string[], cwd = ROOT): Outcome {
    const r = spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.error) return { ok: false, output: `${command} could not run: ${r.error.message}` };
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trimEnd() };
}

const tool = (name: string) => path.join(BIN, name);

/** The directories and top-level files of ours that dependency-cruiser reads (it follows imports from there). */
export const CRUISED = ["index.ts", "program.ts", "lib", "config", "components", "addons", "tools", "test", "policies"];

function shellcheckStep(): Outcome {
    const files = shellFiles(ROOT);
    const rendered = renderedScripts(ROOT);
    // The rendered scripts go to temporary files named after their golden document and place, so
    // shellcheck's findings say where each script comes from.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-check-"));
    try {
        const written = rendered.map((s, i) => {
            const name = `${String(i).padStart(3, "0")}__${s.source.replace(/\//g, "__")}__${s.where.replace(/[^A-Za-z0-9_.-]+/g, "_")}.sh`;
            fs.writeFileSync(path.join(dir, name), s.text);
            return path.join(dir, name);
        });
        const all = [...files, ...written];
        if (all.length === 0) return { ok: false, output: "no shell script found (git ls-files '*.sh' and test/**/userdata/*.yaml are both empty)" };
        const r = run("shellcheck", [...SHELLCHECK_FLAGS, ...all]);
        const summary = `${files.length} shell files, ${rendered.length} scripts from ${new Set(rendered.map((s) => s.source)).size} rendered user-data documents (shellcheck ${SHELLCHECK_FLAGS.join(" ")})`;
        return { ok: r.ok, output: r.ok ? summary : `${r.output.split(dir + path.sep).join("<rendered>/")}\n${summary}` };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export const STEPS: Record<string, () => Outcome> = {
    format: () => run(tool("prettier"), ["--check", "--log-level", "warn", "."]),
    lint: () => run(tool("eslint"), ["--max-warnings", "0", "."]),
    layers: () => run(tool("depcruise"), ["--config", ".dependency-cruiser.cjs", "--output-type", "err", ...CRUISED]),
    types: () => {
        const program = run(tool("tsc"), ["--noEmit", "-p", "tsconfig.json"]);
        const pack = run(tool("tsc"), ["--noEmit", "-p", "tsconfig.json"], path.join(ROOT, "policies"));
        return { ok: program.ok && pack.ok, output: [program.output && `program:\n${program.output}`, pack.output && `policies/:\n${pack.output}`].filter(Boolean).join("\n") };
    },
    shellcheck: shellcheckStep,
};

function main(argv: string[]): number {
    let names = Object.keys(STEPS);
    const only = argv.indexOf("--only");
    if (only >= 0) {
        names = (argv[only + 1] ?? "").split(",").filter(Boolean);
        const unknown = names.filter((n) => !(n in STEPS));
        if (names.length === 0 || unknown.length > 0) {
            process.stderr.write(`check: --only ${JSON.stringify(argv[only + 1] ?? "")} is not valid; allowed: a comma-separated list of ${Object.keys(STEPS).join(", ")}\n`);
            return 2;
        }
    } else if (argv.length > 0) {
        process.stderr.write(`check: unknown arguments ${JSON.stringify(argv.join(" "))}; allowed: --only <step>[,<step>] (${Object.keys(STEPS).join(", ")})\n`);
        return 2;
    }
    const failed: string[] = [];
    for (const name of names) {
        const started = Date.now();
        const outcome = STEPS[name]();
        const took = ((Date.now() - started) / 1000).toFixed(1);
        process.stdout.write(`== ${name}: ${outcome.ok ? "ok" : "FAILED"} (${took} s)\n`);
        if (outcome.output) process.stdout.write(`${outcome.output}\n`);
        if (!outcome.ok) failed.push(name);
    }
    if (failed.length > 0) {
        process.stdout.write(`check failed: ${failed.join(", ")}${failed.includes("format") ? " (npm run format rewrites the files)" : ""}\n`);
        return 1;
    }
    process.stdout.write("check passed\n");
    return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
