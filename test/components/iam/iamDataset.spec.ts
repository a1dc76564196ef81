/**
 * Every IAM, bucket and key policy document the program renders, for every
 * stack in stacks/, names only actions and condition keys that exist in the
 * kept IAM dataset, with condition keys that apply to their actions and
 * resources of the types the actions act on. The checker is shown to refuse
 * made-up names first, so a pass means something.
 */
import * as assert from "assert";
import { listStacks } from "../../../tools/offline/stackFile";
import { policyDocumentFiles } from "../../../tools/offline/plan";
import { runStackFixture } from "../../support/harness";
import { datasetProblems } from "../../support/iamDataset";

const BUCKET = "arn:aws:s3:::demo-secrets-0123";
const doc = (st: Record<string, unknown>) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", ...st }] });

describe("IAM dataset check", () => {
    const cases: { name: string; statement: Record<string, unknown>; problem?: RegExp }[] = [
        { name: "a real action on its resource type", statement: { Action: "s3:GetObject", Resource: `${BUCKET}/nodes/*` } },
        { name: "a wildcard over real actions", statement: { Action: "s3:Get*", Resource: `${BUCKET}/*` } },
        {
            name: "a tag condition EC2 carries for AttachVolume",
            statement: { Action: "ec2:AttachVolume", Resource: "arn:aws:ec2:eu-west-1:*:volume/*", Condition: { StringEquals: { "aws:ResourceTag/k8s.io/slot": "a" } } },
        },
        { name: "s3:prefix on ListBucket", statement: { Action: "s3:ListBucket", Resource: BUCKET, Condition: { StringLike: { "s3:prefix": "backups/*" } } } },
        { name: "a made-up action", statement: { Action: "ec2:AttachVolumes", Resource: "*" }, problem: /action ec2:AttachVolumes is not in the IAM dataset/ },
        { name: "a made-up service", statement: { Action: "ec3:AttachVolume", Resource: "*" }, problem: /action ec3:AttachVolume is not in the IAM dataset/ },
        { name: "a wildcard that matches nothing", statement: { Action: "s3:Fetch*", Resource: "*" }, problem: /action s3:Fetch\* is not in the IAM dataset/ },
        {
            name: "a made-up condition key",
            statement: { Action: "s3:ListBucket", Resource: BUCKET, Condition: { StringLike: { "s3:path": "x" } } },
            problem: /condition key s3:path .* not in the IAM dataset/,
        },
        {
            name: "a condition key the action never carries",
            statement: { Action: "s3:GetObject", Resource: `${BUCKET}/*`, Condition: { StringLike: { "s3:prefix": "x" } } },
            problem: /s3:prefix does not apply to s3:GetObject/,
        },
        { name: "an object ARN for a bucket action", statement: { Action: "s3:ListBucket", Resource: `${BUCKET}/*` }, problem: /ListBucket acts on none/ },
        { name: "a misspelt resource type", statement: { Action: "ec2:AttachVolume", Resource: "arn:aws:ec2:eu-west-1:*:volumes/*" }, problem: /resource .*volumes.* is of no type/ },
    ];
    for (const c of cases) {
        it(`${c.problem ? "refuses" : "accepts"} ${c.name}`, async () => {
            const problems = await datasetProblems(doc(c.statement));
            if (c.problem)
                assert.ok(
                    problems.some((p) => c.problem!.test(p)),
                    problems.join("\n") || "no problem found",
                );
            else assert.deepStrictEqual(problems, []);
        });
    }
});

describe("every stack's rendered IAM is in the IAM dataset", function () {
    this.timeout(120_000);
    for (const stack of listStacks()) {
        it(`${stack}: every action and condition key exists and applies`, async () => {
            const run = await runStackFixture(stack);
            const files = policyDocumentFiles(run.resources);
            assert.ok(files.size >= 10, `${stack} renders ${files.size} policy documents`);
            const problems: string[] = [];
            for (const [name, text] of files) {
                for (const p of await datasetProblems(JSON.parse(text))) problems.push(`${name}: ${p}`);
            }
            assert.deepStrictEqual(problems, []);
        });
    }
});
