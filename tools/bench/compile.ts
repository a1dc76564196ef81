/**
 * A compiled copy of the project for the benchmark: every .ts file
 * transpiled to .js (the same per-file transpilation ts-node's
 * transpile-only mode does, done once ahead of time) in a temporary folder,
 * with the other files copied and node_modules linked. Running
 * `node <copy>/tools/render.js` then measures the render without
 * ts-node's start-up and on-the-fly compilation.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";

const SKIP = new Set(["node_modules", ".git", "out", "bin"]);

export interface CompiledCopy {
    readonly root: string;
    readonly files: number;
    readonly ms: number;
}

function compilerOptions(projectRoot: string): ts.CompilerOptions {
    const file = path.join(projectRoot, "tsconfig.json");
    const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
    if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
    const parsed = ts.convertCompilerOptionsFromJson(config.compilerOptions ?? {}, projectRoot);
    return { ...parsed.options, sourceMap: false, inlineSourceMap: false, declaration: false, noEmit: false, outDir: undefined };
}

/** Copies `projectRoot` to a new temporary folder, transpiling TypeScript; node_modules (program and policy pack) are symlinked. */
export function compileProject(projectRoot: string, dest = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-bench-build-"))): CompiledCopy {
    const t0 = performance.now();
    const options = compilerOptions(projectRoot);
    let files = 0;
    const walk = (rel: string) => {
        for (const entry of fs.readdirSync(path.join(projectRoot, rel), { withFileTypes: true })) {
            const from = path.join(projectRoot, rel, entry.name);
            const to = path.join(dest, rel, entry.name);
            if (entry.isDirectory()) {
                if (SKIP.has(entry.name)) continue;
                fs.mkdirSync(to, { recursive: true });
                walk(path.join(rel, entry.name));
            } else if (entry.isFile()) {
                if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
                    const out = ts.transpileModule(fs.readFileSync(from, "utf8"), { compilerOptions: options, fileName: from });
                    fs.writeFileSync(to.replace(/\.ts$/, ".js"), out.outputText);
                    files++;
                } else {
                    fs.copyFileSync(from, to);
                }
            }
        }
    };
    walk(".");
    for (const nm of ["node_modules", path.join("policies", "node_modules")]) {
        const real = path.join(projectRoot, nm);
        if (fs.existsSync(real) && !fs.existsSync(path.join(dest, nm))) fs.symlinkSync(real, path.join(dest, nm), "dir");
    }
    return { root: dest, files, ms: performance.now() - t0 };
}
