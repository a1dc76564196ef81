/**
 * `npm run render -- --stack <stack> [--out <dir>] [--policy-config <file>] [--seed <text>]`
 * Our `kops update cluster` dry-run; contract: ../shared/contracts/render.md.
 * Exit: 0 rendered, no mandatory violation; 1 rendered with mandatory
 * violations; 2 invalid configuration or usage (one line per problem).
 */
import { parseArgs } from "util";
import * as path from "path";
import { render } from "./offline/render";
import { formatSummary } from "./offline/summary";
import { reportFailure } from "./offline/failure";

const USAGE = "usage: npm run render -- --stack <stack> | --stack-file <Pulumi.<stack>.yaml> [--out <dir>] [--policy-config <file>] [--seed <text>]";

async function main(argv: string[]): Promise<number> {
    let args;
    try {
        args = parseArgs({ args: argv, options: { stack: { type: "string" }, "stack-file": { type: "string" }, out: { type: "string" }, "policy-config": { type: "string" }, seed: { type: "string" } } }).values;
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
        return 2;
    }
    const stackFile = args["stack-file"];
    const stack = args.stack ?? (stackFile ? /^Pulumi\.(.+)\.yaml$/.exec(path.basename(stackFile))?.[1] : undefined);
    if (!stack) {
        process.stderr.write(`--stack: missing; allowed: the name of a stacks/Pulumi.<stack>.yaml file\n${USAGE}\n`);
        return 2;
    }
    try {
        const result = await render({ stack, stackFile, outDir: args.out, policyConfigFile: args["policy-config"], seed: args.seed });
        process.stdout.write(`${formatSummary(result.plan, result.report)}\n`);
        process.stdout.write(`Wrote ${result.files.length} files to ${path.relative(process.cwd(), result.outDir) || "."}\n`);
        if (result.report.summary.mandatory > 0) {
            process.stderr.write(`${result.report.summary.mandatory} mandatory policy violation(s):\n`);
            for (const v of result.report.violations.filter((x: { enforcementLevel: string }) => x.enforcementLevel === "mandatory")) {
                process.stderr.write(`  ${v.policy}: ${v.message}\n`);
            }
            return 1;
        }
        return 0;
    } catch (e) {
        return reportFailure(e);
    }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
