/**
 * The real tools built by `npm run tools:real`, for the test tiers that run them. Outside CI a
 * machine without the cache skips those tiers with a message saying how to build it; in CI
 * (CI=true) a missing tool is a failure, because .ci/run builds the cache before the tests.
 */
import * as fs from "fs";
import * as path from "path";
import { cacheRoot, toolPaths } from "../../tools/real/pins";

export type RealTools = ReturnType<typeof toolPaths>;

const BUILD_HINT = "run `npm run tools:real` (a cold build takes about half an hour on 2 cores)";

/** Every tool path that must exist, flattened with a readable name. */
function requiredFiles(tools: RealTools): [string, string][] {
    const files: [string, string][] = Object.entries(tools.kubeadmByMinor).map(([minor, k]) => [`kubeadm ${minor}`, k.path]);
    for (const [name, value] of Object.entries(tools)) if (typeof value === "string" && value.startsWith("/")) files.push([name, value]);
    return files;
}

/** Tool paths, or skips the calling suite (outside CI only) when any of them is not built. */
export function realToolsOrSkip(ctx: Mocha.Context): RealTools {
    const tools = toolPaths();
    const missing = requiredFiles(tools).filter(([, file]) => !fs.existsSync(file));
    if (missing.length === 0) return tools;
    const message = `real toolchain not built under ${cacheRoot()} (missing: ${missing.map(([n]) => n).join(", ")}): ${BUILD_HINT}`;
    if (process.env.CI === "true") throw new Error(message);
    console.log(`      skipped: ${message}`);
    ctx.skip();
    throw new Error("unreachable: ctx.skip() throws");
}

/** The manifest `npm run tools:real` writes: what was built, what the proxy refused. */
export function toolchainManifest(): { refused: { module: string; version: string; error: string }[] } {
    return JSON.parse(fs.readFileSync(path.join(cacheRoot(), "toolchain.json"), "utf8"));
}
