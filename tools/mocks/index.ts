/**
 * Runs the Pulumi program against mocked providers and records what it
 * registers: type, name, parent, URN and the inputs as the program passed them
 * (secrets kept as `Secret` markers). Used by the offline render and by the
 * tests, so both see exactly what `pulumi up` would send to the engine.
 */
import * as pulumi from "@pulumi/pulumi";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { apiWaiter, WaitForApi } from "../../addons/provider";
import { MockContext, ProviderMock } from "./types";
import { awsMock } from "./aws";
import { tlsMock } from "./tls";
import { randomMock } from "./random";
import { kubernetesMock } from "./kubernetes";
import { stackReferenceMock } from "./stackReference";
import { ssmMock } from "./ssm";

export { MockContext } from "./types";

/** A secret value as the program declared it; printed as "[secret]" in plans. */
export class Secret {
    constructor(readonly value: unknown) {}
    toJSON(): string {
        return "[secret]";
    }
}

export interface RecordedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string | null;
    readonly custom: boolean;
    readonly id: string | null;
    /** Inputs with Outputs resolved; secret values are `Secret` instances. */
    readonly inputs: Record<string, unknown>;
    /**
     * The state the (mocked) provider returned, as the engine would store it: secret
     * outputs as `Secret` instances (the engine encrypts those and nothing else).
     */
    readonly outputs: Record<string, unknown>;
    /** URNs the resource waits for (explicit dependsOn and input dependencies), as the engine would record them. */
    readonly dependencies?: readonly string[];
    /** The `replaceOnChanges` resource option: properties whose change replaces the resource. */
    readonly replaceOnChanges?: readonly string[];
    /** The `ignoreChanges` resource option: inputs whose later changes the engine ignores (the state's value is kept). */
    readonly ignoreChanges?: readonly string[];
}

export interface MockRun {
    readonly resources: RecordedResource[];
    /** Registration failures (a mock rejected a resource, a duplicate URN). */
    readonly errors: Error[];
    /**
     * Settles at the first registration failure. Outputs that depend on a refused resource never
     * resolve under the mock runtime, so a caller awaiting the program races it against this.
     */
    readonly failed: Promise<void>;
}

export interface MockOptions {
    readonly project: string;
    readonly stack: string;
    readonly preview: boolean;
    /** Flat Pulumi config, e.g. { "aws:region": "eu-west-1", "k8s-aws:cluster": "{...}" }. */
    readonly config: Record<string, string>;
    readonly ctx: MockContext;
}

/** `waitForRPCs` is internal to the SDK (not in its typings) but is what `pulumi up` awaits before exiting. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an SDK module without typings
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

/** Waits until every registration and RPC the program started has completed. */
export function settle(): Promise<void> {
    return settings.waitForRPCs();
}

/** The mocked cluster's API answers /readyz at once (the program's only call outside Pulumi). */
const mockApiReady: WaitForApi = async () => undefined;

const PROVIDERS: ProviderMock[] = [awsMock, ssmMock, tlsMock, randomMock, kubernetesMock, stackReferenceMock];

const isRpcSecret = (v: unknown): v is { value: unknown } => typeof v === "object" && v !== null && (v as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig;

/** Turns the runtime's secret wrappers into `Secret` markers, recursively. */
export function markSecrets(value: unknown): unknown {
    if (isRpcSecret(value)) return new Secret(unwrapSecrets(value.value));
    if (Array.isArray(value)) return value.map(markSecrets);
    if (value && typeof value === "object" && value.constructor === Object) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, markSecrets(v)]));
    }
    return value;
}

/** Plain values with every secret unwrapped (runtime wrappers and `Secret` markers alike). */
export function unwrapSecrets(value: unknown): any {
    if (value instanceof Secret) return unwrapSecrets(value.value);
    if (isRpcSecret(value)) return unwrapSecrets(value.value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value && typeof value === "object" && value.constructor === Object) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

const asSecret = (value: unknown) => ({ [rpc.specialSigKey]: rpc.specialSecretSig, value });

function lookup<T>(kind: "resources" | "calls", token: string): T | undefined {
    for (const p of PROVIDERS) {
        const found = (p[kind] as Record<string, T>)[token];
        if (found) return found;
    }
    return undefined;
}

/**
 * Installs the mocks and config for one run. Resources whose type no mock
 * knows fail the run: an unmocked resource would otherwise pass unchecked.
 */
export async function installMocks(opts: MockOptions): Promise<MockRun> {
    let signal = () => {};
    const run: MockRun = { resources: [], errors: [], failed: new Promise<void>((resolve) => (signal = resolve)) };
    const errors = run.errors;
    errors.push = (...items: Error[]) => {
        const n = Array.prototype.push.apply(errors, items);
        signal();
        return n;
    };
    const mocks: pulumi.runtime.Mocks = {
        newResource: async (args) => {
            const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
            if (!args.custom) return { id: undefined, state: {} };
            // A provider's state is its inputs, secrets kept secret (as the engine stores them).
            if (args.type.startsWith("pulumi:providers:")) return { id: `${args.name}_id`, state: args.inputs };
            const mock = lookup<ProviderMock["resources"][string]>("resources", args.type);
            if (!mock) throw new Error(`no mock for resource type ${args.type} (${args.name}); add one under tools/mocks/`);
            const result = await mock({ type: args.type, name: args.name, inputs }, opts.ctx);
            // Secretness flows from inputs to the same-named outputs (as the engine does) and from the provider's schema.
            const secretProps = new Set([...Object.keys(args.inputs).filter((k) => isRpcSecret(args.inputs[k])), ...PROVIDERS.flatMap((p) => p.secretOutputs[args.type] ?? [])]);
            const state = Object.fromEntries(Object.entries(result.state).map(([k, v]) => [k, secretProps.has(k) && v !== undefined ? asSecret(v) : v]));
            return { id: result.id, state };
        },
        call: async (args) => {
            const mock = lookup<ProviderMock["calls"][string]>("calls", args.token);
            if (!mock) throw new Error(`no mock for function ${args.token}; add one under tools/mocks/`);
            return mock(unwrapSecrets(args.inputs), opts.ctx);
        },
    };
    apiWaiter.current = mockApiReady;
    pulumi.runtime.setAllConfig(opts.config);
    // "organization": the organization a DIY (file or object store) backend reports, as `pulumi up` against one would.
    await pulumi.runtime.setMocks(mocks, opts.project, opts.stack, opts.preview, "organization");
    recordRegistrations(run);
    return run;
}

/**
 * Wraps the mock monitor to capture each registration's parent, URN and
 * inputs, and reject duplicate URNs. The mock runtime's own URNs keep only the
 * nearest parent's type; the engine's carry the whole chain of parent
 * component types (`urn:pulumi:<stack>::<project>::A$B$type::name`, the root
 * stack left out), and that is what users pass to `pulumi up --replace`, so
 * that is what is recorded and checked for duplicates.
 */
function recordRegistrations(run: MockRun): void {
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    const seen = new Set<string>();
    /** mock URN -> the engine's URN and qualified type chain. */
    const known = new Map<string, { urn: string; chain: string }>();
    const prefix = `urn:pulumi:${pulumi.runtime.getStack()}::${pulumi.runtime.getProject()}::`;
    monitor.registerResource = (req: any, callback: (err: any, resp: any) => void) => {
        const type: string = req.getType();
        const name: string = req.getName();
        const mockParent: string = req.getParent();
        const parent = mockParent ? known.get(mockParent) : undefined;
        const chain = parent ? `${parent.chain}$${type}` : type;
        const urn = `${prefix}${chain}::${name}`;
        if (seen.has(urn)) {
            const err = new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`);
            run.errors.push(err);
            callback(err, undefined);
            return;
        }
        seen.add(urn);
        known.set(monitor.newUrn(mockParent, type, name) as string, { urn, chain });
        const inputs = markSecrets(rpc.deserializeProperties(req.getObject())) as Record<string, unknown>;
        const dependencies = (req.getDependenciesList() as string[]).map((d) => known.get(d)?.urn ?? d);
        register(req, (err: any, resp: any) => {
            if (err) {
                run.errors.push(err instanceof Error ? err : new Error(String(err)));
            } else {
                const state = resp.getObject() ? rpc.deserializeProperties(resp.getObject()) : {};
                const outputs = markSecrets(state) as Record<string, unknown>;
                // The engine also encrypts the outputs a registration names in additionalSecretOutputs.
                for (const k of req.getAdditionalsecretoutputsList() as string[]) {
                    if (outputs[k] !== undefined && !(outputs[k] instanceof Secret)) outputs[k] = new Secret(outputs[k]);
                }
                run.resources.push({
                    urn,
                    type,
                    name,
                    parent: parent?.urn ?? null,
                    custom: req.getCustom(),
                    id: resp.getId() || null,
                    inputs,
                    outputs,
                    dependencies,
                    replaceOnChanges: req.getReplaceonchangesList() as string[],
                    ignoreChanges: req.getIgnorechangesList() as string[],
                });
            }
            callback(err, resp);
        });
    };
}
