/**
 * AWS Systems Manager Parameter Store, mocked: the parameters the mocked account holds are
 * Canonical's public AMI parameters (any `/aws/service/canonical/...ami-id`) and those the caller
 * hands in (`ctx.ssmParameters`, e.g. the roll's record from `npm run render -- --rolled-version`).
 * Every other name is absent, and is answered as AWS and the provider answer an absent name:
 * - getParameter fails: AWS answers ParameterNotFound, which the provider turns into
 *   "reading SSM Parameter (<name>): couldn't find resource" (hashicorp/terraform-provider-aws
 *   internal/service/ssm/parameter_data_source.go dataParameterRead, find.go findParameterByName);
 * - getParametersByPath answers empty lists (parameters_by_path_data_source.go).
 * A Parameter resource is refused for a name, type, tier or value AWS refuses (lib/ssmParameters.ts).
 */
import { MockContext, ProviderMock, CallMock, ResourceMock } from "./types";
import { seededBytes } from "./deterministic";
import { ssmParameterNameProblem, SSM_PARAMETER_MAX_LEVELS, SSM_STANDARD_VALUE_MAX } from "../../lib/ssmParameters";

const CANONICAL_AMI = /^\/aws\/service\/canonical\/ubuntu\/server\/[0-9.]+\/stable\/current\/(amd64|arm64)\/hvm\/ebs-gp[23]\/ami-id$/;

const arnPrefix = (ctx: MockContext) => `arn:${ctx.partition}:ssm:${ctx.region}:${ctx.accountId}:parameter`;
const arnOf = (ctx: MockContext, name: string) => `${arnPrefix(ctx)}${name.startsWith("/") ? "" : "/"}${name}`;

/** The parameters the mocked account holds under a name, with their value; undefined when absent. */
function valueOf(ctx: MockContext, name: string): string | undefined {
    if (CANONICAL_AMI.test(name)) return `ami-${seededBytes(ctx, `ssm:${name}`, 9).toString("hex").slice(0, 17)}`;
    return ctx.ssmParameters?.[name];
}

/** An invoke failure as the engine hands it to the SDK: a gRPC error whose text is in `details` (world.ts does the same). */
function invokeError(text: string): never {
    throw Object.assign(new Error(text), { code: 2 /* grpc UNKNOWN */, details: text });
}

const getParameter: CallMock = (inputs, ctx) => {
    const name = String(inputs.name);
    const value = valueOf(ctx, name);
    if (value === undefined) invokeError(`reading SSM Parameter (${name}): couldn't find resource`);
    return { id: name, name, type: "String", version: 1, arn: arnOf(ctx, name), value, insecureValue: value, withDecryption: inputs.withDecryption ?? true };
};

/** GetParametersByPath: the path is a hierarchy (begins with /, at most 15 levels); non-recursive reads one level. */
const getParametersByPath: CallMock = (inputs, ctx) => {
    const path = String(inputs.path);
    const levels = path.replace(/^\/|\/$/g, "").split("/");
    if (!path.startsWith("/") || levels.length > SSM_PARAMETER_MAX_LEVELS) {
        invokeError(`getting SSM parameters by path (${path}): ValidationException: a path begins with / and has at most ${SSM_PARAMETER_MAX_LEVELS} levels`);
    }
    const prefix = path.endsWith("/") ? path : `${path}/`;
    const names = Object.keys(ctx.ssmParameters ?? {})
        .filter((n) => n.startsWith(prefix) && (inputs.recursive === true || !n.slice(prefix.length).includes("/")))
        .sort();
    return {
        id: path,
        path,
        recursive: inputs.recursive ?? false,
        withDecryption: inputs.withDecryption ?? true,
        names,
        values: names.map((n) => ctx.ssmParameters![n]),
        types: names.map(() => "String"),
        arns: names.map((n) => arnOf(ctx, n)),
    };
};

const TYPES = ["String", "StringList", "SecureString"];
const TIERS = ["Standard", "Advanced", "Intelligent-Tiering"];

const parameter: ResourceMock = (req, ctx) => {
    const name = String(req.inputs.name ?? "");
    const value = req.inputs.value ?? req.inputs.insecureValue;
    const nameProblem = ssmParameterNameProblem(name, arnPrefix(ctx));
    if (nameProblem) throw new Error(`creating SSM Parameter (${name}): ValidationException: ${nameProblem}`);
    if (!TYPES.includes(req.inputs.type)) throw new Error(`creating SSM Parameter (${name}): type ${JSON.stringify(req.inputs.type)} is not one of ${TYPES.join(", ")}`);
    const tier = req.inputs.tier ?? "Standard";
    if (!TIERS.includes(tier)) throw new Error(`creating SSM Parameter (${name}): tier ${JSON.stringify(tier)} is not one of ${TIERS.join(", ")}`);
    if (typeof value !== "string" || value.length === 0) throw new Error(`creating SSM Parameter (${name}): a value is required`);
    if (tier === "Standard" && value.length > SSM_STANDARD_VALUE_MAX) {
        throw new Error(`creating SSM Parameter (${name}): ValidationException: Standard tier parameters support a maximum parameter value of ${SSM_STANDARD_VALUE_MAX} characters`);
    }
    const state: Record<string, unknown> = { ...req.inputs, arn: arnOf(ctx, name), tier, version: 1, dataType: req.inputs.dataType ?? "text" };
    if (state.tags !== undefined) state.tagsAll = state.tags;
    return { id: name, state };
};

export const ssmMock: ProviderMock = {
    resources: { "aws:ssm/parameter:Parameter": parameter },
    calls: { "aws:ssm/getParameter:getParameter": getParameter, "aws:ssm/getParametersByPath:getParametersByPath": getParametersByPath },
    secretOutputs: { "aws:ssm/parameter:Parameter": ["value"] },
};
