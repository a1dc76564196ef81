/**
 * The record's SSM calls against moto's Parameter Store (rung 3 for the calls, with the real
 * SDK client and the real aws CLI; AWS itself is rung 4, not available): the roll's read answers
 * undefined for a missing name (ParameterNotFound), its write overwrites the parameter the
 * program created and leaves its type and tier; a create over an existing name is refused
 * (why the roll never creates it); and the program's read, GetParametersByPath on the cluster's
 * path, answers an empty list when nothing is recorded and the record when it is.
 */
import * as assert from "assert";
import * as path from "path";
import { ParameterAlreadyExists, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { removeTempDirs, tempDir } from "../support/shell";
import { Moto, startMoto } from "./moto";
import { ssmVersionRecord } from "../../tools/roll/recordSsm";
import { rolledVersionParameterName, ssmParameterPath } from "../../lib/naming";

const REGION = "eu-west-1";
const NAME = rolledVersionParameterName("prod");

describe("the version record on moto's Parameter Store", function () {
    this.timeout(120_000);
    let moto: Moto;
    const saved: Record<string, string | undefined> = {};
    const base = tempDir("record-ssm-");
    before(async function () {
        moto = await startMoto(this, path.join(base, "moto"), REGION);
        for (const k of ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED"]) {
            saved[k] = process.env[k];
            process.env[k] = moto.env[k];
        }
    });
    after(async () => {
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
        await moto?.stop();
        removeTempDirs();
    });

    it("before the program created it: the roll reads nothing, and the program's read by path is empty", async () => {
        assert.strictEqual(await ssmVersionRecord(REGION, NAME).read(), undefined);
        const byPath = moto.awsJson(["ssm", "get-parameters-by-path", "--path", ssmParameterPath("prod")]);
        assert.deepStrictEqual(byPath.Parameters, []);
    });

    it("the program's create, then the roll's overwrite: the value moves, type and tier stay, a second create is refused", async () => {
        // What the provider's create sends for components/versionRecord.ts (PutParameter without Overwrite).
        const created = moto.awsJson(["ssm", "put-parameter", "--name", NAME, "--type", "String", "--tier", "Standard", "--data-type", "text", "--value", "1.35.9"]);
        assert.strictEqual(created.Version, 1);
        const record = ssmVersionRecord(REGION, NAME);
        assert.strictEqual(await record.read(), "1.35.9");
        await record.write("1.36.4");
        assert.strictEqual(await record.read(), "1.36.4");
        const got = moto.awsJson(["ssm", "get-parameter", "--name", NAME]).Parameter;
        assert.deepStrictEqual({ value: got.Value, type: got.Type, version: got.Version }, { value: "1.36.4", type: "String", version: 2 });
        const described = moto.awsJson(["ssm", "describe-parameters", "--parameter-filters", `Key=Name,Values=${NAME}`]).Parameters[0];
        assert.strictEqual(described.Tier, "Standard");
        const byPath = moto.awsJson(["ssm", "get-parameters-by-path", "--path", ssmParameterPath("prod")]);
        assert.deepStrictEqual(
            byPath.Parameters.map((p: { Name: string; Value: string }) => [p.Name, p.Value]),
            [[NAME, "1.36.4"]],
        );
        const ssm = new SSMClient({ region: REGION });
        await assert.rejects(ssm.send(new PutParameterCommand({ Name: NAME, Value: "1.35.9", Type: "String" })), (e: unknown) => e instanceof ParameterAlreadyExists);
    });
});
