/**
 * The real Pulumi engine (the CLI built by `npm run tools:real`) running the program against the
 * stand-in provider plugins (tools/standin-providers/, TEST INFRASTRUCTURE ONLY).
 *
 * The Node.js language host (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
 * cannot be built: the Go module proxy refuses it (see ~/.cache/k8s-aws/refused.json). The CLI
 * runs a program without a language host when a client serves the LanguageRuntime itself
 * (`pulumi preview --client=<address>`): that is the Automation API's inline program, which this
 * tier uses. The engine, the state backend, the plugin loading, the provider gRPC protocol and
 * the analyzer are the real ones; the program runs in this process under @pulumi/pulumi's
 * automation language server instead of a pulumi-language-nodejs child process.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { cacheRoot, dirs, PULUMI_VERSION } from "../../tools/real/pins";

export const ROOT = path.join(__dirname, "..", "..");
export const STANDIN_BIN = path.join(ROOT, "tools", "standin-providers", "bin");

export function pulumiCliPath(): string {
    return path.join(cacheRoot(), dirs.pulumi(PULUMI_VERSION), "pulumi");
}

/** The CLI path, or skips the calling suite (outside CI only) when it is not built. */
export function pulumiCliOrSkip(ctx: Mocha.Context): string {
    const cli = pulumiCliPath();
    if (fs.existsSync(cli)) return cli;
    const message = `the Pulumi CLI ${PULUMI_VERSION} is not built at ${cli}: run \`npm run tools:real\``;
    if (process.env.CI === "true") throw new Error(message);
    console.log(`      skipped: ${message}`);
    ctx.skip();
    throw new Error("unreachable: ctx.skip() throws");
}

export interface EngineStack {
    readonly stack: Stack;
    readonly home: string;
    readonly env: Record<string, string>;
    cleanup(): void;
}

/**
 * `pulumi login --local` into a fresh temp folder (PULUMI_HOME and a file:// backend there),
 * `pulumi stack init <stack>` and the stack's configuration copied from the given stack file.
 * PATH puts the CLI first and the stand-in plugins next; ambient plugins are how the engine finds them.
 */
export async function initStack(cli: string, stackName: string, stackFile: string, program: PulumiFn): Promise<EngineStack> {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-engine-"));
    const backend = path.join(home, "backend");
    const work = path.join(home, "project");
    fs.mkdirSync(backend);
    fs.mkdirSync(work);
    const env: Record<string, string> = {
        PATH: [path.dirname(cli), STANDIN_BIN, process.env.PATH ?? ""].join(path.delimiter),
        PULUMI_HOME: path.join(home, "pulumi-home"),
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: "engine-tier-test-passphrase",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        // What the stand-in AWS account holds outside Pulumi's state (tools/standin-providers/provider.ts).
        K8S_AWS_STANDIN_WORLD: path.join(home, "world"),
    };
    // The CLI is found on PATH by the Automation API; the plugins inherit the same environment.
    Object.assign(process.env, env);
    const stack = await LocalWorkspace.createStack({ stackName, projectName: "k8s-aws", program }, { workDir: work, envVars: env, projectSettings: { name: "k8s-aws", runtime: "nodejs" } });
    // `pulumi stack init` wrote the passphrase salt into the stack file; keep it above the copied config.
    const settingsFile = path.join(work, `Pulumi.${stackName}.yaml`);
    const salt = fs
        .readFileSync(settingsFile, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("encryptionsalt:"));
    fs.writeFileSync(settingsFile, [...salt, fs.readFileSync(stackFile, "utf8")].join("\n"));
    return { stack, home, env, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) };
}
