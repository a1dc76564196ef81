/**
 * `npm run policy -- --plan <plan.json> [--config <policy-config.json>]`:
 * prints the policy-report.json document for a plan on stdout. Exit status:
 * 0 no mandatory violation, 1 some, 2 unusable input (one line per problem on
 * stderr, no stack trace). The main project calls `main` from its own script.
 */
import { readFileSync } from "fs";
import { parsePlan, runPolicies, PlanError, ConfigError } from "./offline";
import { loadPolicyConfig, PolicyConfigFileError } from "./packconfig";
import { allPolicies } from "./rules";

export interface Io {
    out(text: string): void;
    err(text: string): void;
}

const processIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

const USAGE = "usage: npm run policy -- --plan <plan.json> [--config <policy-config.json>]";

/** Thrown for a usage or input mistake: its lines go to stderr, the exit status is 2. */
class UsageError extends Error {
    constructor(readonly lines: string[]) {
        super(lines.join("\n"));
    }
}

function parseArgs(argv: string[]): { plan: string; config?: string } | "help" {
    const opts: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "-h" || a === "--help") return "help";
        const m = /^--(plan|config)(?:=(.*))?$/.exec(a);
        if (!m) throw new UsageError([`unknown argument "${a}"; ${USAGE}`]);
        const value = m[2] ?? argv[++i];
        if (value === undefined || value === "") throw new UsageError([`--${m[1]} needs a file path; ${USAGE}`]);
        opts[m[1]] = value;
    }
    if (!opts.plan) throw new UsageError([`--plan is required; ${USAGE}`]);
    return { plan: opts.plan, config: opts.config };
}

function readJson(path: string, what: string): unknown {
    let text: string;
    try {
        text = readFileSync(path, "utf8");
    } catch (e) {
        throw new UsageError([`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
    }
    try {
        return JSON.parse(text);
    } catch (e) {
        throw new UsageError([`${what} ${path} is not valid JSON: ${(e as Error).message}`]);
    }
}

/** Runs the CLI with the arguments after `--`; returns the exit status. */
export function main(argv: string[], io: Io = processIo): number {
    try {
        const args = parseArgs(argv);
        if (args === "help") {
            io.out(`${USAGE}\n`);
            return 0;
        }
        const config = args.config === undefined ? {} : loadPolicyConfig(args.config, allPolicies);
        const plan = parsePlan(readJson(args.plan, "plan"));
        const report = runPolicies(plan, config);
        io.out(`${JSON.stringify(report, null, 2)}\n`);
        if (report.summary.mandatory > 0) io.err(`${report.summary.mandatory} mandatory and ${report.summary.advisory} advisory policy violation(s)\n`);
        return report.summary.mandatory > 0 ? 1 : 0;
    } catch (e) {
        const lines =
            e instanceof UsageError || e instanceof PolicyConfigFileError
                ? e.lines
                : e instanceof PlanError || e instanceof ConfigError
                  ? e.problems
                  : [`policy check failed: ${String((e as Error)?.message ?? e).split("\n")[0]}`];
        lines.forEach((l) => io.err(`${l}\n`));
        return 2;
    }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
