/**
 * The stand-in AWS account's parameters (tools/standin-providers/provider.ts): what the program
 * creates stays in the account, data sources read it, a second create of the same name is refused
 * as PutParameter refuses it, and a delete removes it (rung 1: our model of SSM; the real engine
 * drives the same calls in test/engine/preview.spec.ts, moto's SSM answers the same in test/real/recordSsm.spec.ts).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { standInProvider, worldParametersFile } from "../../../tools/standin-providers/provider";
import { ssmMock } from "../../../tools/mocks/ssm";

const URN = "urn:pulumi:dev::k8s-aws::k8s-aws:cluster:VersionRecord$aws:ssm/parameter:Parameter::dev-record";
const NAME = "/k8s-aws/dev/rolled-kubernetes-version";
const INPUTS = { name: NAME, type: "String", tier: "Standard", insecureValue: "1.35.9" };
const BY_PATH = "aws:ssm/getParametersByPath:getParametersByPath";

describe("stand-in providers: the account's SSM parameters", () => {
    let dir: string;
    let saved: string | undefined;
    const provider = standInProvider({ version: "0.0.0", mock: ssmMock, config: () => ({ "aws:region": "eu-west-1" }) });

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-standin-world-"));
        saved = process.env.K8S_AWS_STANDIN_WORLD;
        process.env.K8S_AWS_STANDIN_WORLD = dir;
    });
    afterEach(() => {
        if (saved === undefined) delete process.env.K8S_AWS_STANDIN_WORLD;
        else process.env.K8S_AWS_STANDIN_WORLD = saved;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("keeps a created parameter for data sources, refuses creating it again, and forgets it on delete", async () => {
        const created = await provider.create!(URN, INPUTS);
        assert.strictEqual(created.id, NAME);
        const read = (await provider.invoke!(BY_PATH, { path: "/k8s-aws/dev" })).outputs as { names: string[]; values: string[] };
        assert.deepStrictEqual([read.names, read.values], [[NAME], ["1.35.9"]]);
        await assert.rejects(provider.create!(URN, { ...INPUTS, insecureValue: "1.36.4" }), /ParameterAlreadyExists: The parameter already exists/);
        assert.deepStrictEqual(JSON.parse(fs.readFileSync(worldParametersFile(dir)!, "utf8")), { [NAME]: "1.35.9" }, "the refused create changed nothing");
        await provider.delete!(NAME, URN, created.outs);
        const after = (await provider.invoke!(BY_PATH, { path: "/k8s-aws/dev" })).outputs as { names: string[] };
        assert.deepStrictEqual(after.names, []);
    });
});
