/**
 * Runs the real program (`program.ts`, the same `main` that `pulumi up` runs)
 * under the mock runtime and returns what it registered and exported.
 */
import { installMocks, RecordedResource, MockContext, settle } from "../mocks";
import { StackFile } from "./stackFile";
import { resolveValue } from "./outputs";
import type { PreviousOutputs } from "./previousOutputs";
import { rolledVersionParameterName } from "../../lib/naming";

/** The account the mocked AWS answers as (AWS documentation's example account). */
export const MOCK_ACCOUNT_ID = "123456789012";

export interface RunOptions {
    /** Seed for every random choice (keys, ids, random values); undefined = fresh randomness. */
    readonly seed?: string;
    /** The clock for certificates and timestamps. */
    readonly now?: Date;
    /** Run as a preview (`pulumi preview`) rather than an update. Default true: the render is a dry-run. */
    readonly preview?: boolean;
    /** The stack's outputs from its last deployment (previousOutputs.ts); undefined: a stack never deployed. */
    readonly previousOutputs?: PreviousOutputs;
    /**
     * The value of the stack's SSM record of the version the control plane was rolled to
     * (components/versionRecord.ts), as `npm run roll` left it; undefined: the parameter does not exist.
     */
    readonly rolledVersion?: string;
}

export interface ProgramRun {
    readonly project: string;
    readonly stack: string;
    readonly resources: RecordedResource[];
    /** Stack outputs, secrets as `Secret` markers. */
    readonly outputs: Record<string, unknown>;
}

export class RegistrationError extends Error {
    constructor(readonly errors: Error[]) {
        super(`the program failed to register ${errors.length} resource(s):\n${errors.map((e) => `  ${e.message}`).join("\n")}`);
    }
}

export function mockContext(stack: StackFile, opts: RunOptions): MockContext {
    return {
        seed: opts.seed,
        now: opts.now ?? new Date(),
        region: stack.config["aws:region"] ?? "us-east-1",
        accountId: MOCK_ACCOUNT_ID,
        partition: "aws",
        previousOutputs: opts.previousOutputs,
        ssmParameters: opts.rolledVersion === undefined ? undefined : { [rolledVersionParameterName(clusterNameOf(stack))]: opts.rolledVersion },
    };
}

/** The cluster name the stack file gives (the record is named after it); "" when it has none (the program then reports it). */
function clusterNameOf(stack: StackFile): string {
    try {
        const name = (JSON.parse(stack.config[`${stack.project}:cluster`] ?? "{}") as { name?: unknown }).name;
        return typeof name === "string" ? name : "";
    } catch {
        return "";
    }
}

export async function runStack(stack: StackFile, opts: RunOptions = {}): Promise<ProgramRun> {
    const run = await installMocks({
        project: stack.project,
        stack: stack.stack,
        preview: opts.preview ?? true,
        config: stack.config,
        ctx: mockContext(stack, opts),
    });
    // Imported after the mocks are installed, as `pulumi up` loads it after connecting to the engine.
    const { main } = await import("../../program");
    // A refused registration rejects promises inside the SDK that nobody awaits; they are reported
    // through run.errors, so they must not end the process (Node's default for unhandled rejections).
    const swallow = (reason: unknown) => {
        // The SDK's wording for a failed registration (@pulumi/pulumi runtime/resource.ts); anything else fails as Node would.
        if (reason instanceof Error && reason.message.includes("failed to register new resource")) return;
        throw reason;
    };
    process.on("unhandledRejection", swallow);
    let outputs: Record<string, unknown>;
    try {
        const program = (async () => {
            const out = (await resolveValue(await main())) as Record<string, unknown>;
            await settle();
            return out;
        })();
        // Outputs of a refused resource never resolve: stop at the first refusal, after the registrations in flight.
        const refused = run.failed.then(() => new Promise<never>((_, reject) => setTimeout(() => reject(new RegistrationError(run.errors)), 200)));
        program.catch(() => undefined);
        outputs = await Promise.race([program, refused]);
    } catch (e) {
        // A refused registration also fails the outputs that depend on it: report the refusals, the cause.
        if (run.errors.length > 0) throw new RegistrationError(run.errors);
        throw e;
    } finally {
        setTimeout(() => process.off("unhandledRejection", swallow), 1000).unref();
    }
    if (run.errors.length > 0) throw new RegistrationError(run.errors);
    return { project: stack.project, stack: stack.stack, resources: run.resources, outputs };
}
