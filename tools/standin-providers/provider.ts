/**
 * TEST INFRASTRUCTURE ONLY — users get the real pulumi-resource-aws, -tls, -random and
 * -kubernetes plugins. These stand-in plugins let the real Pulumi engine (`pulumi preview`,
 * `pulumi up`, `pulumi destroy`) run the program here, where the real provider builds cannot
 * be had. They are gRPC resource providers served by @pulumi/pulumi's provider API
 * (`@pulumi/pulumi/provider` main), and they answer through the SAME mocks as the offline
 * render (tools/mocks/): the same ids, ARNs, real keys and certificates, and the AWS limits of
 * tools/mocks/awsLimits.ts, so a resource AWS would refuse fails `pulumi up` here too.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as provider from "@pulumi/pulumi/provider";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { MockContext, ProviderMock } from "../mocks/types";
import { unwrapSecrets } from "../mocks";
import { MOCK_ACCOUNT_ID } from "../offline/run";

/** The engine's marker for a value not known during a preview (sdk/go/common/resource/plugin/rpc.go UnknownStringValue). */
export const UNKNOWN = rpc.unknownValue;

export function containsUnknowns(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(containsUnknowns);
    if (value && typeof value === "object") return Object.values(value).some(containsUnknowns);
    return false;
}

const isSecret = (v: unknown): boolean => typeof v === "object" && v !== null && (v as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig;

const asSecret = (value: unknown) => ({ [rpc.specialSigKey]: rpc.specialSecretSig, value });

/** `urn:pulumi:<stack>::<project>::<qualified type>::<name>` -> type (last `$` segment) and name. */
export function parseUrn(urn: string): { type: string; name: string } {
    const parts = urn.split("::");
    const qualified = parts[2];
    return { type: qualified.slice(qualified.lastIndexOf("$") + 1), name: parts.slice(3).join("::") };
}

function sameValue(a: unknown, b: unknown): boolean {
    return JSON.stringify(unwrapSecrets(a)) === JSON.stringify(unwrapSecrets(b));
}

export interface StandInOptions {
    /** The plugin version the program's SDK package requests (its package.json version). */
    readonly version: string;
    readonly mock: ProviderMock;
    /** Provider configuration the engine sent with Configure (e.g. `aws:region`), read per request. */
    readonly config: () => Record<string, string>;
}

/**
 * What data sources read is a fact of the (stand-in) world, the same on every run, as an AMI id or
 * an SSM parameter is in a real region between two `pulumi up`s: invokes draw from this fixed seed.
 */
export const WORLD_SEED = "k8s-aws stand-in world";

/**
 * The account's side of what the program creates and later reads back through a data source: the SSM
 * parameters (the roll's version record, config/rolled.ts). On AWS the parameter lives in the account, not
 * in Pulumi's state, and anyone with ssm:PutParameter (npm run roll) changes it between two `pulumi up`s;
 * so the stand-in world keeps it in a file the tests may write too, `$K8S_AWS_STANDIN_WORLD/ssm-parameters.json`
 * (test/engine/engine.ts sets the folder). Without that variable the world holds no parameter, as before.
 */
const SSM_PARAMETER = "aws:ssm/parameter:Parameter";

export function worldParametersFile(dir = process.env.K8S_AWS_STANDIN_WORLD): string | undefined {
    return dir ? path.join(dir, "ssm-parameters.json") : undefined;
}

function worldParameters(): Record<string, string> {
    const file = worldParametersFile();
    if (!file || !fs.existsSync(file)) return {};
    return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
}

function setWorldParameter(name: string, value: string | undefined): void {
    const file = worldParametersFile();
    if (!file) return;
    const all = worldParameters();
    if (value === undefined) delete all[name];
    else all[name] = value;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
}

/**
 * The provider context: the stack's region from the provider configuration, the mocks' account.
 * Resources get no seed (fresh keys and ids, as the real providers make); invokes get WORLD_SEED
 * and read the world's parameters.
 */
function contextFrom(config: Record<string, string>, seed?: string): MockContext {
    return {
        seed,
        now: new Date(),
        region: config["aws:region"] ?? config["region"] ?? "us-east-1",
        accountId: MOCK_ACCOUNT_ID,
        partition: "aws",
        ssmParameters: seed === undefined ? undefined : worldParameters(),
    };
}

/** A component with no children and no outputs: what the mocks make of a multi-language component. */
class EmptyComponent extends pulumi.ComponentResource {
    constructor(type: string, name: string, opts: pulumi.ComponentResourceOptions) {
        super(type, name, {}, opts);
        this.registerOutputs({});
    }
}

export function standInProvider(opts: StandInOptions): provider.Provider {
    const { mock } = opts;
    const resourceMock = (type: string) => {
        const m = mock.resources[type];
        if (!m) throw new Error(`stand-in provider: no mock for resource type ${type}; add one under tools/mocks/`);
        return m;
    };
    /** Runs the shared mock and marks secret the outputs the real provider marks, and those whose input was secret. */
    const answer = async (urn: string, inputs: Record<string, unknown>) => {
        const { type, name } = parseUrn(urn);
        const result = await resourceMock(type)({ type, name, inputs: unwrapSecrets(inputs) }, contextFrom(opts.config()));
        const secret = new Set([...Object.keys(inputs).filter((k) => isSecret(inputs[k])), ...(mock.secretOutputs[type] ?? [])]);
        const outs = Object.fromEntries(Object.entries(result.state).map(([k, v]) => [k, secret.has(k) && v !== undefined ? asSecret(v) : v]));
        return { id: result.id, outs };
    };
    return {
        version: opts.version,
        async check(urn, _olds, news) {
            resourceMock(parseUrn(urn).type);
            return { inputs: news };
        },
        async diff(_id, _urn, olds, news) {
            // olds are the old INPUTS here (main.ts hands Diff the request's old_inputs, as the real
            // providers compare them), so a computed output never reads as a change.
            const changed = Object.keys(news).filter((k) => containsUnknowns(news[k]) || !sameValue(olds[k], news[k]));
            return { changes: changed.length > 0, replaces: [] };
        },
        async create(urn, inputs) {
            const isParameter = parseUrn(urn).type === SSM_PARAMETER;
            const plain = unwrapSecrets(inputs) as Record<string, unknown>;
            // The provider creates with PutParameter, Overwrite false unless told: a name the account already holds is
            // refused (ParameterAlreadyExists, with AWS's words as moto 5.2.5 moto/ssm/exceptions.py repeats them).
            if (isParameter && plain.overwrite !== true && worldParameters()[String(plain.name)] !== undefined) {
                throw new Error(
                    `creating SSM Parameter (${String(plain.name)}): ParameterAlreadyExists: The parameter already exists. To overwrite this value, set the overwrite option in the request to true.`,
                );
            }
            const created = await answer(urn, inputs);
            if (isParameter) setWorldParameter(String(plain.name), String(plain.value ?? plain.insecureValue));
            return created;
        },
        async update(_id, urn, olds, news) {
            const { outs } = await answer(urn, news);
            // The provider's update of a parameter is a PutParameter with Overwrite, of the value it was given.
            if (parseUrn(urn).type === SSM_PARAMETER) {
                const plain = unwrapSecrets(news) as Record<string, unknown>;
                setWorldParameter(String(plain.name), String(plain.value ?? plain.insecureValue));
            }
            return { outs: { ...olds, ...outs } };
        },
        async delete(id, urn) {
            // Only the world's parameters live outside the engine's state (see SSM_PARAMETER above); the id is the name.
            if (parseUrn(urn).type === SSM_PARAMETER) setWorldParameter(id, undefined);
        },
        async construct(name, type, _inputs, options) {
            // A multi-language component (kubernetes:helm.sh/v4:Chart): the real provider expands the
            // chart into objects; the mocks register it with no children and no state
            // (tools/mocks/index.ts), so the stand-in does the same and the engine sees what the render sees.
            const component = new EmptyComponent(type, name, options);
            return { urn: component.urn, state: {} };
        },
        async invoke(token, inputs) {
            const call = mock.calls[token];
            if (!call) throw new Error(`stand-in provider: no mock for function ${token}; add one under tools/mocks/`);
            return { outputs: await call(unwrapSecrets(inputs), contextFrom(opts.config(), WORLD_SEED)) };
        },
    };
}
