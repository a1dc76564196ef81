/**
 * A real-tier suite's binaries from the `npm run tools:real` cache, by name. Unlike
 * realToolsOrSkip (which wants the whole toolchain), a suite asks only for what it runs, so the
 * etcd tier runs as soon as etcd is built. Outside CI a missing binary skips the suite with a
 * message naming it and how to build it; in CI (CI=true) it fails, since .ci/run builds the cache first.
 */
import * as fs from "fs";
import { cacheRoot, toolPaths } from "../../tools/real/pins";

export type RealTools = ReturnType<typeof toolPaths>;
export type ToolName = { [K in keyof RealTools]: RealTools[K] extends string ? K : never }[keyof RealTools];

export function requireTools<K extends ToolName>(ctx: Mocha.Context, names: readonly K[], extra: Record<string, string> = {}): RealTools {
    const tools = toolPaths();
    const wanted: [string, string][] = [...names.map((n): [string, string] => [n, tools[n] as string]), ...Object.entries(extra)];
    const missing = wanted.filter(([, file]) => !fs.existsSync(file));
    if (missing.length > 0) {
        const message = `real binaries not built under ${cacheRoot()} (missing: ${missing.map(([n, file]) => `${n} at ${file}`).join(", ")}): run \`npm run tools:real\``;
        if (process.env.CI === "true") throw new Error(message);
        console.log(`      skipped: ${message}`);
        ctx.skip();
    }
    return tools;
}
