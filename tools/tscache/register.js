// @ts-check
/**
 * A require hook for the project's TypeScript with a disk cache: `node -r ./tools/tscache/register.js tools/render.ts`.
 *
 * Why: ts-node (transpile-only) loads the TypeScript compiler (about 1 s on 2 cores) and transpiles
 * every file again in every process, which was about 3 s of each `npm run render`. This hook does the
 * same per-file transpilation (TypeScript's own `transpileModule` with the root tsconfig.json, which is
 * what ts-node's transpile-only mode does) but keeps each output under node_modules/.cache/k8s-aws-ts/,
 * keyed by a SHA-256 of the TypeScript version, tsconfig.json, the file's path and its text. A warm run
 * never loads the compiler: it reads and hashes the sources and runs the cached JavaScript. An edited
 * file misses the cache and is transpiled again; stale entries are never read (their key cannot match).
 *
 * `pulumi up` does not use this: Pulumi.yaml (runtime nodejs, typescript: true) runs the program with
 * Pulumi's own ts-node, as Pulumi expects. Written as JavaScript because it must run before any
 * TypeScript can be loaded.
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..", "..");
const CACHE_DIR = process.env.K8S_AWS_TS_CACHE ?? path.join(ROOT, "node_modules", ".cache", "k8s-aws-ts");
const TSCONFIG = path.join(ROOT, "tsconfig.json");
const TS_VERSION = JSON.parse(fs.readFileSync(require.resolve("typescript/package.json"), "utf8")).version;
const KEY_PREFIX = `${TS_VERSION}\0${fs.readFileSync(TSCONFIG, "utf8")}\0`;

/** @type {null | { ts: typeof import("typescript"), options: import("typescript").CompilerOptions }} */
let compiler = null;

/** Loads the compiler and the root tsconfig.json only when a file is not in the cache. */
function loadCompiler() {
    if (compiler) return compiler;
    const ts = require("typescript");
    const { config, error } = ts.readConfigFile(TSCONFIG, ts.sys.readFile);
    if (error) throw new Error(`tsconfig.json: ${ts.flattenDiagnosticMessageText(error.messageText, "\n")}`);
    const parsed = ts.convertCompilerOptionsFromJson(config.compilerOptions ?? {}, ROOT);
    if (parsed.errors.length > 0) throw new Error(`tsconfig.json: ${parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("; ")}`);
    // Inline source maps, so that with source-map support on (below) stack traces name the .ts line.
    compiler = { ts, options: { ...parsed.options, sourceMap: false, inlineSourceMap: true, inlineSources: false, declaration: false, noEmit: false, outDir: undefined } };
    return compiler;
}

/**
 * The JavaScript for one TypeScript file, from the cache or transpiled now (and cached).
 * @param {string} file absolute path
 * @param {string} source the file's text
 */
function javascriptFor(file, source) {
    const key = crypto.createHash("sha256").update(KEY_PREFIX).update(file).update("\0").update(source).digest("hex");
    const cached = path.join(CACHE_DIR, key.slice(0, 2), `${key}.js`);
    try {
        return fs.readFileSync(cached, "utf8");
    } catch {
        // not cached yet
    }
    const { ts, options } = loadCompiler();
    const out = ts.transpileModule(source, { compilerOptions: options, fileName: file, reportDiagnostics: false });
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    // Write then rename: parallel processes (mocha, several renders) never read a half-written entry.
    const tmp = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, out.outputText);
    fs.renameSync(tmp, cached);
    return out.outputText;
}

// Stack traces name .ts lines only with Node's source-map support on, which also makes Node read the
// .map file of every SDK module it loads: ~0.15 s of CPU per render (measured: @pulumi/aws +
// @pulumi/kubernetes load 0.75-0.81 s off, 0.90-0.99 s on). So it is opt-in for debugging:
// K8S_AWS_SOURCE_MAPS=1 (or node --enable-source-maps). Users never see stack traces for their mistakes.
if (process.env.K8S_AWS_SOURCE_MAPS === "1") process.setSourceMapsEnabled(true);

/** @type {any} */
const extensions = require("module")._extensions;
extensions[".ts"] = function loadTypeScript(/** @type {any} */ module, /** @type {string} */ filename) {
    if (filename.endsWith(".d.ts") || filename.includes(`${path.sep}node_modules${path.sep}`)) {
        throw new Error(`${filename}: only the project's own TypeScript is loaded by tools/tscache/register.js`);
    }
    module._compile(javascriptFor(filename, fs.readFileSync(filename, "utf8")), filename);
};

module.exports = { CACHE_DIR, javascriptFor };
