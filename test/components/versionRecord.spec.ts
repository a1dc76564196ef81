/**
 * The program's record of the rolled version: created once with the version the cluster runs
 * (else the first deployment's), its value ignored on every later update so that `pulumi up`
 * never writes the templates' version over the roll's, and no other property derived from
 * configuration (an update of one would send the state's value again: components/versionRecord.ts).
 */
import * as assert from "assert";
import { runComponents } from "../support/harness";
import { initialRecordValue, VersionRecord } from "../../components/versionRecord";

describe("VersionRecord", () => {
    const cases: { name: string; running?: { version: unknown; source: string }; value: string }[] = [
        { name: "a first deployment: the wanted version", value: "1.36.4" },
        { name: "a stack deployed before the record: the version judged against (its previous outputs)", running: { version: "1.35.9", source: "the stack's previous outputs" }, value: "1.35.9" },
        { name: "a v-prefixed running version, as written without the v", running: { version: "v1.35.9", source: "x" }, value: "1.35.9" },
        { name: "an unreadable running version: the wanted one (validation has refused it already)", running: { version: "latest", source: "x" }, value: "1.36.4" },
    ];
    for (const c of cases) it(`first value, ${c.name}`, () => assert.strictEqual(initialRecordValue({ wantedVersion: "1.36.4", running: c.running }), c.value));

    it("is one String parameter, Standard tier, named for the cluster, whose value later updates ignore", async () => {
        const run = await runComponents(
            () => new VersionRecord("prod-version-record", { clusterName: "prod", wantedVersion: "1.36.4", running: { version: "1.35.9", source: "s" }, tags: { team: "a" } }),
        );
        const params = run.resources.filter((r) => r.type === "aws:ssm/parameter:Parameter");
        assert.strictEqual(params.length, 1);
        const p = params[0];
        assert.strictEqual(p.name, "prod-version-record-parameter");
        assert.deepStrictEqual(
            { name: p.inputs.name, type: p.inputs.type, tier: p.inputs.tier, dataType: p.inputs.dataType, insecureValue: p.inputs.insecureValue, value: p.inputs.value },
            { name: "/k8s-aws/prod/rolled-kubernetes-version", type: "String", tier: "Standard", dataType: "text", insecureValue: "1.35.9", value: undefined },
        );
        assert.deepStrictEqual(p.ignoreChanges, ["insecureValue"]);
        assert.strictEqual((p.inputs.tags as Record<string, string>)["kubernetes.io/cluster/prod"], "owned");
        assert.strictEqual((p.inputs.tags as Record<string, string>).team, "a");
    });
});
