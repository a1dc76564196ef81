/**
 * The one mock helper every component test goes through: runs a piece of the
 * program under the mocked providers and records each resource's type, name,
 * parent and inputs. Duplicate names fail the run, as they fail `pulumi up`.
 */
import { installMocks, RecordedResource, unwrapSecrets, Secret, MockContext, settle } from "../../tools/mocks";
import { readStackFile } from "../../tools/offline/stackFile";
import { runStack, RunOptions, ProgramRun, RegistrationError, MOCK_ACCOUNT_ID } from "../../tools/offline/run";
import { resolveValue } from "../../tools/offline/outputs";

export { Secret, unwrapSecrets, RecordedResource };

/** Fixed clock and seed for tests that compare bytes. */
export const PINNED_NOW = new Date("2026-01-01T00:00:00Z");
export const PINNED_SEED = "k8s-aws-golden";

export class Recorded {
    constructor(readonly resources: RecordedResource[]) {}

    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The one resource of a type with the given logical name; fails loudly otherwise. */
    named(type: string, name: string): RecordedResource {
        const found = this.resources.filter((r) => r.type === type && r.name === name);
        if (found.length !== 1) {
            const names = this.ofType(type).map((r) => r.name);
            throw new Error(`expected one ${type} named ${name}, found ${found.length} (have: ${names.join(", ") || "none"})`);
        }
        return found[0];
    }

    /** A resource's inputs with secrets unwrapped, for assertions on values. */
    inputs(r: RecordedResource): Record<string, any> {
        return unwrapSecrets(r.inputs);
    }

    /** The URNs a resource waits for. */
    dependsOn(r: RecordedResource): readonly string[] {
        return r.dependencies ?? [];
    }

    childrenOf(parentUrn: string): RecordedResource[] {
        return this.resources.filter((r) => r.parent === parentUrn);
    }
}

export interface ComponentRunOptions {
    readonly region?: string;
    readonly seed?: string;
    readonly now?: Date;
    readonly preview?: boolean;
    /** SSM parameters the mocked account holds (tools/mocks/ssm.ts). */
    readonly ssmParameters?: Readonly<Record<string, string>>;
}

/** Runs `build` (which creates components) under the mocks and waits for every registration. */
export async function runComponents<T>(build: () => T, opts: ComponentRunOptions = {}): Promise<Recorded & { result: T; outputs: (v: unknown) => Promise<any> }> {
    const ctx: MockContext = {
        seed: opts.seed,
        now: opts.now ?? PINNED_NOW,
        region: opts.region ?? "eu-west-1",
        accountId: MOCK_ACCOUNT_ID,
        partition: "aws",
        ssmParameters: opts.ssmParameters,
    };
    const run = await installMocks({ project: "k8s-aws", stack: "test", preview: opts.preview ?? false, config: { "aws:region": ctx.region }, ctx });
    const result = build();
    await resolveValue(result);
    await settle();
    if (run.errors.length > 0) throw new RegistrationError(run.errors);
    return Object.assign(new Recorded(run.resources), { result, outputs: async (v: unknown) => unwrapSecrets(await resolveValue(v)) });
}

/** Runs the whole program for a stack file in `stacks/`, as the offline render does. */
export async function runStackFixture(stack: string, opts: RunOptions = {}): Promise<Recorded & { run: ProgramRun }> {
    const run = await runStack(readStackFile(stack), { seed: PINNED_SEED, now: PINNED_NOW, ...opts });
    return Object.assign(new Recorded(run.resources), { run });
}
