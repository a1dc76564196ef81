/**
 * `npm run roll -- --stack <stack> [--only control-plane|pools|<pool>] [--dry-run] [--yes]
 *                 [--outputs <file>] [--kubeconfig <file>]`
 * Our `kops rolling-update cluster`: rolls what `pulumi up` left out of date
 * (plan.ts for the order, execute.ts for the steps). Without --yes it prints
 * the plan and changes nothing; --dry-run also says so and exits.
 * Exit: 0 rolled (or nothing to roll, or a plan printed); 1 the roll cannot
 * start or stopped at a failure; 2 usage (one line per problem).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import { parseArgs } from "util";
import { PROJECT_ROOT, stackNameProblem } from "../offline/stackFile";
import { formatUsageProblem, UsageProblem } from "../offline/usage";
import { formatPlan, planRoll, RollScope } from "./plan";
import { DRAIN_HOOK_NAME, executePlan, Timeouts } from "./execute";
import type { ExpectedCluster } from "../validate/expected";
import { HealthGate, HealthResult, KubePort, AutoScalingPort, Ec2Port } from "./ports";
import { LiveGroup, LiveState, Rollout, rolloutOf, templateVersionKey, TemplateVersionData } from "./state";
import { recordRolledVersion, VersionRecordPort } from "./record";

const USAGE = "usage: npm run roll -- --stack <stack> [--only control-plane|pools|<pool>] [--dry-run] [--yes] [--outputs <file>] [--kubeconfig <file>]";

export interface Io {
    readonly out: (text: string) => void;
    readonly err: (text: string) => void;
}

/** The world the CLI talks to; tests hand in their own (moto, a fake cluster). */
export interface World {
    readonly autoscaling: AutoScalingPort;
    readonly ec2?: Ec2Port;
    /** Undefined when no kubeconfig is at hand (a dry run then plans from AWS alone). */
    readonly kube?: KubePort;
    readonly healthGate?: HealthGate;
    /** Shorter waits for tests; the defaults are execute.ts DEFAULT_TIMEOUTS. */
    readonly timeouts?: Partial<Timeouts>;
    /** The stack's record of the version the control plane runs (record.ts); undefined for outputs without one. */
    readonly record?: VersionRecordPort;
    /** Aborted on the first Ctrl-C (main): the roll stops cleanly (execute.ts ExecutorDeps.signal). */
    readonly signal?: AbortSignal;
}

export interface CliOptions {
    readonly stack: string;
    readonly scope: RollScope;
    readonly dryRun: boolean;
    readonly yes: boolean;
    readonly outputsFile?: string;
    readonly kubeconfigFile?: string;
}

export function parseCli(argv: string[]): { options?: CliOptions; problems: UsageProblem[] } {
    let values;
    try {
        values = parseArgs({
            args: argv,
            options: { stack: { type: "string" }, only: { type: "string" }, "dry-run": { type: "boolean" }, yes: { type: "boolean" }, outputs: { type: "string" }, kubeconfig: { type: "string" } },
        }).values;
    } catch (e) {
        const m = /'(--?[a-z-]+)/.exec((e as Error).message);
        return { problems: [{ option: m?.[1] ?? "arguments", value: argv.join(" "), allowed: `${(e as Error).message.split("\n")[0]}; ${USAGE}` }] };
    }
    const problems: UsageProblem[] = [];
    const stack = values.stack;
    if (stack === undefined) problems.push({ option: "--stack", value: "", allowed: `the name of a deployed stack (${USAGE})` });
    else {
        const p = stackNameProblem(stack);
        if (p) problems.push({ option: "--stack", value: stack, allowed: `a stack name: ${p}` });
    }
    const only = values.only;
    if (only !== undefined && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(only)) problems.push({ option: "--only", value: only, allowed: "control-plane, pools, or a pool's name" });
    if (values["dry-run"] && values.yes) problems.push({ option: "--yes", value: "true", allowed: "not with --dry-run (a dry run changes nothing)" });
    for (const [option, file] of [
        ["--outputs", values.outputs],
        ["--kubeconfig", values.kubeconfig],
    ] as const) {
        if (file !== undefined && !fs.existsSync(file)) problems.push({ option, value: file, allowed: "an existing file" });
    }
    if (problems.length > 0) return { problems };
    const scope: RollScope = only === undefined ? { kind: "all" } : only === "control-plane" ? { kind: "control-plane" } : only === "pools" ? { kind: "pools" } : { kind: "pool", name: only };
    return { problems, options: { stack: stack!, scope, dryRun: values["dry-run"] === true, yes: values.yes === true, outputsFile: values.outputs, kubeconfigFile: values.kubeconfig } };
}

/** `pulumi stack output --json --show-secrets` of the stack (the kubeconfig is a secret output), or the file given. */
export function readOutputs(o: CliOptions): Record<string, unknown> {
    if (o.outputsFile) return JSON.parse(fs.readFileSync(o.outputsFile, "utf8"));
    const r = spawnSync("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", o.stack], { cwd: PROJECT_ROOT, encoding: "utf8" });
    if (r.error || r.status !== 0) throw new Error(`pulumi stack output --stack ${o.stack} failed: ${(r.error?.message ?? r.stderr).trim()}`);
    return JSON.parse(r.stdout);
}

/** Launch template data of the versions instances run and the latest, for the reasons (best effort: reasons only). */
async function templateData(world: World, live: LiveState, rollout: NonNullable<ReturnType<typeof rolloutOf>>): Promise<Record<string, TemplateVersionData>> {
    const out: Record<string, TemplateVersionData> = {};
    if (!world.ec2) return out;
    for (const g of rollout.groups) {
        const versions = new Set([g.launchTemplateVersion, ...(live.groups[g.groupName]?.instances ?? []).map((i) => i.launchTemplateVersion).filter((x): x is string => !!x)]);
        try {
            const data = await world.ec2.templateVersions(g.launchTemplateId, [...versions]);
            for (const [v, d] of Object.entries(data)) out[templateVersionKey(g.launchTemplateId, v)] = d;
        } catch {
            // A version deleted since: the reason falls back to the version numbers.
        }
    }
    return out;
}

/**
 * The groups as DescribeAutoScalingGroups reports them; for pools also whether a refresh runs and
 * whether the roll's drain hook is on the group, so that a roll stopped mid-refresh is resumed (and
 * its hook removed) even when no instance is left to replace.
 */
export async function readLiveGroups(autoscaling: AutoScalingPort, rollout: Rollout): Promise<LiveGroup[]> {
    const pools = new Set(rollout.groups.filter((g) => g.role === "pool").map((g) => g.groupName));
    const groups = await autoscaling.describeGroups(rollout.groups.map((g) => g.groupName));
    return Promise.all(
        groups.map(async (g) =>
            pools.has(g.groupName)
                ? {
                      ...g,
                      refreshInProgress: (await autoscaling.activeInstanceRefresh(g.groupName)) !== undefined,
                      drainHook: (await autoscaling.describeLifecycleHook(g.groupName, DRAIN_HOOK_NAME)) !== undefined,
                  }
                : g,
        ),
    );
}

export async function run(o: CliOptions, outputs: Record<string, unknown>, world: World, io: Io): Promise<number> {
    const rollout = rolloutOf(outputs);
    if (!rollout) {
        io.err(`--stack: ${JSON.stringify(o.stack)} is not valid; allowed: a stack deployed by this version of the program (its outputs carry no rollout: run pulumi up first)\n`);
        return 2;
    }
    const groups = await readLiveGroups(world.autoscaling, rollout);
    const live: LiveState = { groups: Object.fromEntries(groups.map((g) => [g.groupName, g])), cluster: world.kube ? await world.kube.cluster() : undefined };
    const plan = planRoll(rollout, { ...live, templateVersions: await templateData(world, live, rollout) }, o.scope);
    for (const line of formatPlan(o.stack, plan)) io.out(`${line}\n`);
    if (!world.kube) io.out("  (no kubeconfig: planned from AWS alone; the cluster-wide configuration and kube-proxy steps need the cluster)\n");
    if (plan.problems.length > 0) return 1;
    if (plan.steps.length === 0) return await recordStep(o, rollout, live, world, io, o.dryRun || !o.yes);
    if (o.dryRun) return 0;
    if (!o.yes) {
        io.out(`Nothing changed. Run again with --yes to roll.\n`);
        return 0;
    }
    if (!world.kube || !world.healthGate) {
        io.err("--kubeconfig: (missing) is not valid; allowed: a kubeconfig for the cluster (the stack's kubeconfig output, or KUBECONFIG): a roll drains nodes and waits for them\n");
        return 2;
    }
    const result = await executePlan(plan, {
        autoscaling: world.autoscaling,
        kube: world.kube,
        healthGate: world.healthGate,
        timeouts: world.timeouts,
        signal: world.signal,
        progress: (l) => io.out(`${l}\n`),
    });
    if (result.failed) {
        io.err(`roll stopped at ${result.failed.step}: ${result.failed.message}\n`);
        if (result.notStarted.length > 0) io.err(`not started (untouched): ${result.notStarted.join(", ")}\n`);
        io.err(`fix the cause, then run the same command again: it resumes from what the cluster runs now\n`);
        return 1;
    }
    io.out(`roll ${o.stack}: done (${result.done.length} step(s))\n`);
    const after = await world.autoscaling.describeGroups(rollout.groups.map((g) => g.groupName));
    return await recordStep(o, rollout, { groups: Object.fromEntries(after.map((g) => [g.groupName, g])), cluster: await world.kube.cluster() }, world, io, false);
}

/** Moves the record once the live state shows the whole control plane on the new version (record.ts). */
async function recordStep(o: CliOptions, rollout: Rollout, live: LiveState, world: World, io: Io, dryRun: boolean): Promise<number> {
    if (!world.record || !rollout.versionRecord) return 0;
    try {
        for (const line of await recordRolledVersion(rollout, live, world.record, o.stack, dryRun)) io.out(`${line}\n`);
        return 0;
    } catch (e) {
        io.err(
            `recording the version in ${rollout.versionRecord} failed: ${(e as Error).message}; the cluster is rolled: fix the cause (the roll needs ssm:GetParameter and ssm:PutParameter on it), then run the same command again\n`,
        );
        return 1;
    }
}

/** What the gate is built from; tests hand in their own validateCluster. */
export interface GateDeps {
    readonly validateCluster?: (opts: { kubeconfig: string; expected: ExpectedCluster }) => Promise<HealthResult>;
    /** Where stacks/ is (default: this project). */
    readonly root?: string;
}

/**
 * The health gate between steps: `npm run validate`'s own checks (issue 20), against the counts the
 * stack file configures and the slots the stack outputs name. When the stack file cannot be read
 * (a roll driven by --outputs alone), the gate is `fallback` (/readyz and every node Ready), and it says so.
 * An API server that does not answer is an unhealthy pass, not the end of the roll: while a slot is
 * replaced the endpoint may drop a connection, and the gate is polled until healthyMs. Refused
 * credentials or an unusable kubeconfig end the roll (no amount of waiting fixes them).
 */
export async function healthGateFor(stack: string, outputs: Record<string, unknown>, kubeconfig: string, fallback: HealthGate, io: Io, deps: GateDeps = {}): Promise<HealthGate> {
    const { readStackFile } = await import("../offline/stackFile");
    const { expectedFromStack } = await import("../validate/expected");
    const { ConnectionError } = await import("../validate/kubeApi");
    const validate = deps.validateCluster ?? (await import("../validate/validate")).validateCluster;
    let expected: ExpectedCluster;
    try {
        const file = deps.root ? readStackFile(stack, deps.root) : readStackFile(stack);
        if (file.problems.length > 0) throw new Error(file.problems.map((p) => String((p as { message?: string }).message ?? p)).join("; "));
        const slots = Array.isArray(outputs.controlPlaneSlots) ? (outputs.controlPlaneSlots as any[]) : undefined;
        expected = expectedFromStack(file.config, { controlPlaneSlots: slots });
    } catch (e) {
        io.err(`roll: health gate without the stack file (${(e as Error).message}): /readyz and every node Ready only\n`);
        return fallback;
    }
    return async () => {
        try {
            return await validate({ kubeconfig, expected });
        } catch (e) {
            if (!(e instanceof ConnectionError) || /refused the kubeconfig's credentials|^kubeconfig:/.test(e.message)) throw e;
            return { healthy: false, results: [{ check: "api reachable", where: "kube-apiserver", ok: false, message: e.message }] };
        }
    };
}

const PROCESS_IO: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export async function main(argv: string[], io: Io = PROCESS_IO): Promise<number> {
    const { options, problems } = parseCli(argv);
    if (!options) {
        for (const p of problems) io.err(`${formatUsageProblem(p)}\n`);
        return 2;
    }
    try {
        const outputs = readOutputs(options);
        const region = typeof outputs.region === "string" ? outputs.region : undefined;
        if (!region) {
            io.err(`--outputs: ${JSON.stringify(options.outputsFile ?? options.stack)} is not valid; allowed: the stack's outputs, with its region\n`);
            return 2;
        }
        const { autoScalingPort, ec2Port } = await import("./aws");
        const { credentialsFromKubeconfig, kubePort, readinessGate } = await import("./kube");
        const kubeconfigText = options.kubeconfigFile
            ? fs.readFileSync(options.kubeconfigFile, "utf8")
            : process.env.KUBECONFIG && fs.existsSync(process.env.KUBECONFIG)
              ? fs.readFileSync(process.env.KUBECONFIG, "utf8")
              : typeof outputs.kubeconfig === "string" && outputs.kubeconfig !== "[secret]"
                ? outputs.kubeconfig
                : undefined;
        const creds = kubeconfigText ? credentialsFromKubeconfig(kubeconfigText) : undefined;
        const kube = creds ? kubePort(creds) : undefined;
        const healthGate = kubeconfigText && creds && kube ? await healthGateFor(options.stack, outputs, kubeconfigText, readinessGate(creds, kube), io) : undefined;
        const { ssmVersionRecord } = await import("./recordSsm");
        const recordName = rolloutOf(outputs)?.versionRecord;
        const record = recordName ? ssmVersionRecord(region, recordName) : undefined;
        return await run(options, outputs, { autoscaling: autoScalingPort(region), ec2: ec2Port(region), kube, healthGate, record, signal: interruptOnCtrlC(io) }, io);
    } catch (e) {
        io.err(`roll failed: ${(e as Error).message}\n`);
        return 1;
    }
}

/**
 * The first Ctrl-C (SIGINT or SIGTERM) asks the roll to stop cleanly: no new step, a pool's refresh cancelled, the
 * instances it already took drained and completed, the drain hook removed. A second one exits at once, leaving the
 * hook's heartbeat timeout (DefaultResult CONTINUE) to release held instances undrained; a re-run resumes.
 */
function interruptOnCtrlC(io: Io): AbortSignal {
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
        if (controller.signal.aborted) {
            io.err(`${signal} again: exiting now; a pool refresh may still run and its drain hook stay until its heartbeat timeout: run the same command again to resume and clean up\n`);
            process.exit(130);
        }
        io.err(`${signal}: stopping at the next poll (cancelling a running pool refresh and finishing the drains it started); press Ctrl-C again to exit at once\n`);
        controller.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    return controller.signal;
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
