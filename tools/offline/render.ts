/**
 * The offline render: run the program for a stack under the mocks, write the
 * contract's files (plan.json, policy-report.json, userdata/, manifests/),
 * and run the policy pack over the plan.
 */
import * as fs from "fs";
import * as path from "path";
import { readStackFile, readStackFileAt, PROJECT_ROOT, StackFile } from "./stackFile";
import { defaultOutDir, prepareOutDir, usageProblems } from "./outDir";
import { UsageError } from "./usage";
import { ConfigError, ConfigProblem } from "../../config";
import { runStack, RunOptions } from "./run";
import { buildPlan, userDataFiles, manifestFiles, policyDocumentFiles, Plan } from "./plan";
import { runPolicies, PolicyReport } from "../../policies/offline";
import { loadPolicyConfig } from "../../policies/packconfig";
import { allPolicies } from "../../policies/rules";
import { CostEstimate, estimateStackCost, rememberCost } from "../cost";
import { architectureFiles } from "./architecture";

export interface RenderOptions extends RunOptions {
    readonly stack: string;
    /** Read the stack file from this path instead of stacks/Pulumi.<stack>.yaml. */
    readonly stackFile?: string;
    /**
     * Output folder; replaced on each run, but only when new, empty or written
     * by an earlier render (outDir.ts). Default out/<stack>.
     */
    readonly outDir?: string;
    /** Policy pack config (the JSON `pulumi preview --policy-pack-config` takes). Default: policies/config/<stack>.json when present. */
    readonly policyConfigFile?: string;
}

export interface RenderResult {
    readonly outDir: string;
    readonly plan: Plan;
    readonly report: PolicyReport;
    readonly files: string[];
    /** The monthly cost estimate written to cost.json (null when the region has no prices). An addition to the contract. */
    readonly cost: CostEstimate | null;
}

/** cost.json: the estimate, or why there is none. Never fails the render. */
function costOf(plan: Plan, config: Record<string, string>, project: string): { cost: CostEstimate | null; doc: unknown } {
    const region = config["aws:region"];
    try {
        const { estimate, reason } = estimateStackCost(plan, { region, clusterConfig: config[`${project}:cluster`] });
        rememberCost(plan, estimate, reason);
        return { cost: estimate, doc: estimate ?? { schema: "k8s-aws/cost/v1", stack: plan.stack, region: region ?? null, monthlyTotal: null, reason } };
    } catch (e) {
        const reason = `cost estimate failed: ${(e as Error).message}`;
        rememberCost(plan, null, reason);
        return { cost: null, doc: { schema: "k8s-aws/cost/v1", stack: plan.stack, region: region ?? null, monthlyTotal: null, reason } };
    }
}

export function defaultPolicyConfigFile(stack: string): string | undefined {
    const file = path.join(PROJECT_ROOT, "policies", "config", `${stack}.json`);
    return fs.existsSync(file) ? file : undefined;
}

/** Runs the stack's program; a stack file's own problems and the program's are reported together. */
async function runChecked(stackFile: StackFile, opts: RenderOptions) {
    const stackProblems = stackFile.problems;
    const merge = (more: readonly ConfigProblem[]) => [...stackProblems, ...more.filter((p) => !stackProblems.some((s) => s.key === p.key))];
    let run;
    try {
        run = await runStack(stackFile, {
            seed: opts.seed ?? `${stackFile.project}/${stackFile.stack}`,
            now: opts.now,
            preview: opts.preview,
            previousOutputs: opts.previousOutputs,
            rolledVersion: opts.rolledVersion,
        });
    } catch (e) {
        if (ConfigError.is(e) && stackProblems.length > 0) throw new ConfigError(merge(e.problems));
        throw e;
    }
    if (stackProblems.length > 0) throw new ConfigError(merge([]));
    return run;
}

export async function render(opts: RenderOptions): Promise<RenderResult> {
    const usage = usageProblems(opts.stack, opts.outDir);
    if (usage.length > 0) throw new UsageError(usage);
    const outDir = path.resolve(opts.outDir ?? defaultOutDir(opts.stack));
    const stackFile = opts.stackFile ? readStackFileAt(opts.stackFile) : readStackFile(opts.stack);
    // Checked before the program runs: an unusable policy config is a usage mistake (exit 2), not a crash after the work.
    const configFile = opts.policyConfigFile ?? defaultPolicyConfigFile(opts.stack);
    const policyConfig = configFile ? loadPolicyConfig(configFile, allPolicies) : undefined;
    const run = await runChecked(stackFile, opts);
    const plan = buildPlan(run);
    const report = runPolicies(plan, policyConfig);
    const { cost, doc: costDoc } = costOf(plan, stackFile.config, stackFile.project);

    prepareOutDir(outDir, PROJECT_ROOT);
    const files: string[] = [];
    const write = (rel: string, text: string) => {
        const file = path.join(outDir, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
        files.push(rel);
    };
    write("plan.json", `${JSON.stringify(plan, null, 2)}\n`);
    write("policy-report.json", `${JSON.stringify(report, null, 2)}\n`);
    // Not in the contract's list (which allows additions): the monthly cost estimate (tools/cost).
    write("cost.json", `${JSON.stringify(costDoc, null, 2)}\n`);
    fs.mkdirSync(path.join(outDir, "userdata"), { recursive: true });
    fs.mkdirSync(path.join(outDir, "manifests"), { recursive: true });
    for (const [name, text] of userDataFiles(run.resources)) write(path.join("userdata", `${name}.yaml`), text);
    for (const [name, text] of manifestFiles(run.resources)) write(path.join("manifests", `${name}.yaml`), text);
    // Not in the contract's list (which allows additions): policy documents as files, for review.
    for (const [name, text] of policyDocumentFiles(run.resources)) write(path.join("iam", `${name}.json`), text);
    // Not in the contract's list (which allows additions): the architecture picture drawn from the plan (architecture.ts).
    for (const [rel, text] of await architectureFiles(plan)) write(rel, text);
    return { outDir, plan, report, files, cost };
}
