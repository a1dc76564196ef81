/**
 * `npm run validate -- --stack <stack> | --stack-file <Pulumi.<stack>.yaml>
 *     [--kubeconfig <file>] [--wait <duration>] [--output table|json] [--csr-max-age <duration>] [--aws auto|on|off]`
 * Our `kops validate cluster`: is the deployed cluster what the stack says, and healthy.
 * Exit: 0 healthy; 1 unhealthy (one FAIL line per failure on stderr); 2 usage,
 * configuration or connection error (one line per problem, no stack trace).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { formatUsageProblem, UsageProblem } from "../offline/usage";
import { failureLines, formatJson, formatTable, parseDuration, summaryLine } from "./format";

const USAGE =
    "usage: npm run validate -- --stack <stack> | --stack-file <Pulumi.<stack>.yaml> [--kubeconfig <file>] [--wait <duration>] [--output table|json] [--csr-max-age <duration>] [--aws auto|on|off]";

export interface Io {
    readonly out: (text: string) => void;
    readonly err: (text: string) => void;
}
const PROCESS_IO: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** What the CLI needs from its surroundings; tests replace the environment and the pulumi lookup. */
export interface CliEnv {
    readonly env: NodeJS.ProcessEnv;
    /** `pulumi stack output <name> [--show-secrets] --json --stack <s>`: the parsed value, or an error line. */
    readonly stackOutput: (stack: string, name: string, secret: boolean) => { value?: unknown; error?: string };
}

/** Runs the pulumi CLI from the project folder; `undefined` value when the CLI is not on PATH. */
function pulumiStackOutput(stack: string, name: string, secret: boolean): { value?: unknown; error?: string } {
    const root = path.resolve(__dirname, "..", "..");
    const r = spawnSync("pulumi", ["stack", "output", name, ...(secret ? ["--show-secrets"] : []), "--json", "--stack", stack, "--non-interactive"], { cwd: root, encoding: "utf8", timeout: 120_000 });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") return { error: "ENOENT" };
    // Never echo stdout: it holds the secret. stderr is pulumi's own message.
    if (r.status !== 0) return { error: `pulumi stack output ${name} --stack ${stack} failed: ${(r.stderr || String(r.error ?? "")).trim().split("\n")[0]}` };
    try {
        return { value: JSON.parse(r.stdout) };
    } catch {
        return { error: `pulumi stack output ${name} --stack ${stack} did not print JSON` };
    }
}

const DEFAULT_ENV: CliEnv = { env: process.env, stackOutput: pulumiStackOutput };

interface Parsed {
    readonly stack: string;
    readonly stackFile?: string;
    readonly kubeconfigFile?: string;
    readonly waitMs?: number;
    readonly output: "table" | "json";
    readonly csrMaxAgeMs?: number;
    readonly aws: "auto" | "on" | "off";
}

/** The options, or every problem with them. */
export function parseCliArgs(argv: string[]): { parsed?: Parsed; problems: string[] } {
    let v;
    try {
        v = parseArgs({
            args: argv,
            options: {
                stack: { type: "string" },
                "stack-file": { type: "string" },
                kubeconfig: { type: "string" },
                wait: { type: "string" },
                output: { type: "string" },
                "csr-max-age": { type: "string" },
                aws: { type: "string" },
            },
        }).values;
    } catch (e) {
        return { problems: [(e as Error).message.split("\n")[0], USAGE] };
    }
    const problems: UsageProblem[] = [];
    const stackFile = v["stack-file"];
    const stack = v.stack ?? (stackFile !== undefined ? /^Pulumi\.(.+)\.yaml$/.exec(path.basename(stackFile))?.[1] : undefined);
    if (stack === undefined) {
        if (stackFile !== undefined) problems.push({ option: "--stack-file", value: stackFile, allowed: "a file named Pulumi.<stack>.yaml" });
        else return { problems: [`--stack: (missing) is not valid; allowed: the name of a stacks/Pulumi.<stack>.yaml file`, USAGE] };
    }
    const duration = (option: string, text: string | undefined) => {
        if (text === undefined) return undefined;
        const ms = parseDuration(text);
        if (ms === undefined) problems.push({ option, value: text, allowed: "a duration such as 90s, 10m or 1h30m" });
        return ms;
    };
    const waitMs = duration("--wait", v.wait);
    const csrMaxAgeMs = duration("--csr-max-age", v["csr-max-age"]);
    const output = v.output ?? "table";
    if (output !== "table" && output !== "json") problems.push({ option: "--output", value: output, allowed: "table or json" });
    const aws = v.aws ?? "auto";
    if (!["auto", "on", "off"].includes(aws)) problems.push({ option: "--aws", value: aws, allowed: "auto (when credentials are configured), on or off" });
    if (v.kubeconfig !== undefined && !(fs.existsSync(v.kubeconfig) && fs.statSync(v.kubeconfig).isFile())) {
        problems.push({ option: "--kubeconfig", value: v.kubeconfig, allowed: "an existing kubeconfig file (there is none at that path)" });
    }
    if (problems.length > 0) return { problems: problems.map(formatUsageProblem) };
    return { parsed: { stack: stack!, stackFile, kubeconfigFile: v.kubeconfig, waitMs, output: output as Parsed["output"], csrMaxAgeMs, aws: aws as Parsed["aws"] }, problems: [] };
}

export async function main(argv: string[], io: Io = PROCESS_IO, cli: CliEnv = DEFAULT_ENV): Promise<number> {
    const { parsed: a, problems } = parseCliArgs(argv);
    if (!a) {
        for (const p of problems) io.err(`${p}\n`);
        return 2;
    }
    // The configuration loader is imported after the options were checked: a mistake is answered at once.
    const { readStackFile, readStackFileAt, StackFileError } = await import("../offline/stackFile");
    const { ConfigError, formatProblem } = await import("../../config");
    const { expectedFromStack } = await import("./expected");
    const { validateCluster, waitUntilHealthy, ConnectionError, AwsError } = await import("./validate");
    const { awsCredentialsConfigured } = await import("./autoScaling");
    try {
        const stackFile = a.stackFile ? readStackFileAt(a.stackFile) : readStackFile(a.stack);
        if (stackFile.problems.length > 0) throw new ConfigError([...stackFile.problems]);

        let kubeconfig: string;
        let deployedSlots: unknown;
        if (a.kubeconfigFile) {
            kubeconfig = fs.readFileSync(a.kubeconfigFile, "utf8");
        } else {
            const out = cli.stackOutput(a.stack, "kubeconfig", true);
            if (out.error === "ENOENT") {
                io.err(`--kubeconfig: (missing) is not valid; allowed: a kubeconfig file (without it the stack output kubeconfig is read with the pulumi CLI, which is not on PATH)\n${USAGE}\n`);
                return 2;
            }
            if (out.error || typeof out.value !== "string") {
                io.err(`${out.error ?? `the stack ${a.stack} has no kubeconfig output (has \`pulumi up\` run?)`}\n`);
                return 2;
            }
            kubeconfig = out.value;
            deployedSlots = cli.stackOutput(a.stack, "controlPlaneSlots", false).value;
        }
        const expected = expectedFromStack(stackFile.config, { controlPlaneSlots: Array.isArray(deployedSlots) ? deployedSlots : undefined });
        const useAws = a.aws === "on" || (a.aws === "auto" && awsCredentialsConfigured(cli.env, (p) => fs.existsSync(p), os.homedir()));
        // The SDK's notice that its releases after January 2027 need Node 22 (@aws-sdk/core
        // emitWarningIfUnsupportedVersion) is about upgrading the project, not this cluster's health:
        // kept out of the report unless the user asked for it.
        if (useAws) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
        const opts = { kubeconfig, expected, csrMaxAgeMs: a.csrMaxAgeMs, aws: useAws ? { region: expected.region } : undefined };
        const report =
            a.waitMs === undefined
                ? await validateCluster(opts)
                : await waitUntilHealthy(opts, {
                      timeoutMs: a.waitMs,
                      intervalMs: Math.min(10_000, Math.max(1000, a.waitMs / 10)),
                      onProgress: (p) => {
                          const state = p.error
                              ? `cannot connect: ${p.error.message}`
                              : `${p.report!.results.filter((r) => !r.ok).length} check(s) failing, e.g. ${failureLines(p.report!.results)[0]}`;
                          io.err(`waiting (attempt ${p.attempt}, ${Math.round(p.elapsedMs / 1000)}s of ${Math.round(a.waitMs! / 1000)}s): ${state}\n`);
                      },
                  });
        io.out(`${a.output === "json" ? formatJson(a.stack, report) : `${formatTable(report.results)}\n\n${summaryLine(a.stack, report)}`}\n`);
        for (const line of failureLines(report.results)) io.err(`${line}\n`);
        return report.healthy ? 0 : 1;
    } catch (e) {
        if (ConfigError.is(e)) {
            for (const p of e.problems) io.err(`${formatProblem(p)}\n`);
            return 2;
        }
        if (e instanceof StackFileError || e instanceof ConnectionError) {
            io.err(`${e.message}\n`);
            return 2;
        }
        if (e instanceof AwsError) {
            io.err(`${e.message} (--aws off skips AWS)\n`);
            return 2;
        }
        io.err(`internal error (please report): ${e instanceof Error ? e.stack : String(e)}\n`);
        return 3;
    }
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
