/**
 * `npm run render -- --stack <stack> [--out <dir>] [--policy-config <file>] [--seed <text>]`
 * Our `kops update cluster` dry-run; contract: ../shared/contracts/render.md.
 * Exit: 0 rendered, no mandatory violation; 1 rendered with mandatory
 * violations; 2 invalid configuration or usage (one line per problem).
 */
import { parseArgs } from "util";
import * as path from "path";
import { stackNameProblem } from "./offline/stackFile";
import { usageProblems } from "./offline/outDir";
import { formatUsageProblem } from "./offline/usage";

const USAGE =
    "usage: npm run render -- --stack <stack> | --stack-file <Pulumi.<stack>.yaml> [--out <dir>] [--policy-config <file>] [--seed <text>] [--previous-outputs <file>] [--rolled-version <x.y.z>]";

/** Where the CLI writes; a test passes its own to read the lines without a child process. */
export interface Io {
    readonly out: (text: string) => void;
    readonly err: (text: string) => void;
}

const PROCESS_IO: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export async function main(argv: string[], io: Io = PROCESS_IO): Promise<number> {
    let args;
    try {
        args = parseArgs({
            args: argv,
            options: {
                stack: { type: "string" },
                "stack-file": { type: "string" },
                out: { type: "string" },
                "policy-config": { type: "string" },
                seed: { type: "string" },
                "previous-outputs": { type: "string" },
                "rolled-version": { type: "string" },
            },
        }).values;
    } catch (e) {
        io.err(`${(e as Error).message}\n${USAGE}\n`);
        return 2;
    }
    const stackFile = args["stack-file"];
    const fromFile = stackFile !== undefined ? /^Pulumi\.(.+)\.yaml$/.exec(path.basename(stackFile))?.[1] : undefined;
    const stack = args.stack ?? fromFile;
    if (stack === undefined) {
        io.err(
            stackFile !== undefined
                ? `--stack-file: ${JSON.stringify(stackFile)} is not valid; allowed: a file named Pulumi.<stack>.yaml\n`
                : `--stack: (missing) is not valid; allowed: the name of a stacks/Pulumi.<stack>.yaml file\n${USAGE}\n`,
        );
        return 2;
    }
    const nameProblem = args.stack === undefined ? stackNameProblem(stack) : undefined;
    if (nameProblem) {
        io.err(`--stack-file: ${JSON.stringify(stackFile)} is not valid; allowed: a file named Pulumi.<stack>.yaml, <stack> ${nameProblem}\n`);
        return 2;
    }
    // The program and its providers load only after the options were checked: a mistake is answered at once.
    const usage = usageProblems(stack, args.out);
    if (usage.length > 0) {
        for (const p of usage) io.err(`${formatUsageProblem(p)}\n`);
        return 2;
    }
    const { render } = await import("./offline/render");
    const { formatSummary } = await import("./offline/summary");
    const { reportFailure } = await import("./offline/failure");
    const { readPreviousOutputs } = await import("./offline/previousOutputs");
    try {
        const previousFile = args["previous-outputs"];
        const previousOutputs = previousFile === undefined ? undefined : readPreviousOutputs(previousFile);
        const result = await render({ stack, stackFile, outDir: args.out, policyConfigFile: args["policy-config"], seed: args.seed, previousOutputs, rolledVersion: args["rolled-version"] });
        io.out(`${formatSummary(result.plan, result.report, previousOutputs?.values)}\n`);
        io.out(`Wrote ${result.files.length} files to ${path.relative(process.cwd(), result.outDir) || "."}\n`);
        if (result.report.summary.mandatory > 0) {
            io.err(`${result.report.summary.mandatory} mandatory policy violation(s):\n`);
            for (const v of result.report.violations.filter((x: { enforcementLevel: string }) => x.enforcementLevel === "mandatory")) {
                io.err(`  ${v.policy}: ${v.message}\n`);
            }
            return 1;
        }
        return 0;
    } catch (e) {
        return reportFailure(e, io.err);
    }
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
