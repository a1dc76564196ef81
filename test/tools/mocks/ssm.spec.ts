/**
 * The mocked Parameter Store fails where AWS and the provider fail: an absent name is an error
 * for getParameter (the provider's "couldn't find resource") and an empty answer by path; a
 * parameter AWS would refuse (name, tier, value size) is refused. Rung 1: the facts are AWS's
 * documentation (lib/ssmParameters.ts), the behaviour the provider's source.
 */
import * as assert from "assert";
import * as aws from "@pulumi/aws";
import { runComponents } from "../../support/harness";
import { RegistrationError } from "../../../tools/offline/run";
import { ssmParameterNameProblem } from "../../../lib/ssmParameters";

const RECORD = "/k8s-aws/prod/rolled-kubernetes-version";
const ARN_PREFIX = "arn:aws:ssm:eu-west-1:123456789012:parameter";

/** The invoke's own promise, started under the mocks (the SDK rejects it with the engine's error text). */
async function invoked(call: () => Promise<unknown>): Promise<unknown> {
    let p: Promise<unknown> | undefined;
    await runComponents(() => {
        p = call();
        p.catch(() => undefined);
        return {};
    });
    return p!;
}

describe("mocked SSM Parameter Store", () => {
    it("getParameter on an absent name fails as the provider does; a held one answers its value", async () => {
        const run = await runComponents(() => ({ held: aws.ssm.getParameter({ name: RECORD }).then((r) => r.value) }), { ssmParameters: { [RECORD]: "1.36.4" } });
        assert.strictEqual((await run.outputs(run.result)).held, "1.36.4");
        await assert.rejects(
            invoked(() => aws.ssm.getParameter({ name: "/k8s-aws/other/rolled-kubernetes-version" })),
            /^Error: reading SSM Parameter \(\/k8s-aws\/other\/rolled-kubernetes-version\): couldn't find resource$/,
        );
    });

    it("answers Canonical's public AMI parameters and nothing else under /aws/service", async () => {
        const run = await runComponents(() => ({ ami: aws.ssm.getParameter({ name: "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id" }).then((r) => r.value) }));
        assert.match((await run.outputs(run.result)).ami, /^ami-[0-9a-f]{17}$/);
        await assert.rejects(
            invoked(() => aws.ssm.getParameter({ name: "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-idx" })),
            /couldn't find resource/,
        );
    });

    it("getParametersByPath answers one level, empty when nothing is held, and refuses a path without a leading /", async () => {
        const held = { [RECORD]: "1.35.9", "/k8s-aws/prod/deeper/x": "y", "/k8s-aws/prodx/rolled-kubernetes-version": "1.37.1" };
        const run = await runComponents(
            () => ({
                prod: aws.ssm.getParametersByPath({ path: "/k8s-aws/prod/" }).then((r) => [r.names, r.values]),
                none: aws.ssm.getParametersByPath({ path: "/k8s-aws/dev/" }).then((r) => [r.names, r.values]),
            }),
            { ssmParameters: held },
        );
        const o = await run.outputs(run.result);
        assert.deepStrictEqual(o.prod, [[RECORD], ["1.35.9"]]);
        assert.deepStrictEqual(o.none, [[], []]);
        await assert.rejects(
            invoked(() => aws.ssm.getParametersByPath({ path: "k8s-aws/prod" })),
            /ValidationException/,
        );
    });

    const refused: [string, Record<string, unknown>, RegExp][] = [
        ["a name prefixed with aws", { name: "/aws/k8s/x", type: "String", insecureValue: "1" }, /prefixed with "aws" or "ssm"/],
        ["a name prefixed with ssm, any case", { name: "SSMthing", type: "String", insecureValue: "1" }, /prefixed with "aws" or "ssm"/],
        ["a space in the name", { name: "/k8s-aws/a b", type: "String", insecureValue: "1" }, /only a-zA-Z0-9_.- and \//],
        ["16 levels", { name: `/${Array.from({ length: 16 }, (_, i) => `l${i}`).join("/")}`, type: "String", insecureValue: "1" }, /limited to 15 levels/],
        ["a Standard value over 4096 characters", { name: "/k8s-aws/big", type: "String", insecureValue: "x".repeat(4097) }, /maximum parameter value of 4096/],
        ["an unknown tier", { name: "/k8s-aws/t", type: "String", tier: "Premium", insecureValue: "1" }, /tier "Premium"/],
    ];
    for (const [name, args, re] of refused) {
        it(`refuses a parameter AWS refuses: ${name}`, async () => {
            await assert.rejects(
                runComponents(() => new aws.ssm.Parameter("p", args as unknown as aws.ssm.ParameterArgs)),
                (e: unknown) => e instanceof RegistrationError && re.test(e.message),
            );
        });
    }

    it("accepts the record's name and gives the parameter ARN AWS gives", async () => {
        assert.strictEqual(ssmParameterNameProblem(RECORD, ARN_PREFIX), undefined);
        const run = await runComponents(() => new aws.ssm.Parameter("p", { name: RECORD, type: "String", tier: "Standard", insecureValue: "1.35.9" }).arn);
        assert.strictEqual(await run.outputs(run.result), `${ARN_PREFIX}${RECORD}`);
    });
});
