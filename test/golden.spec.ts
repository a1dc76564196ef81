/**
 * Golden tests, kops style: each stack in stacks/ is rendered with pinned
 * keys, seed and clock, and its plan plus every large blob (user data, IAM
 * and bucket policies, manifests) is compared with test/golden/<stack>/.
 * Regenerate with `npm run golden:update` and review the diff.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { render } from "../tools/offline/render";
import { listStacks } from "../tools/offline/stackFile";
import { Plan } from "../tools/offline/plan";
import { assertGolden, pruneGolden } from "./golden";
import { PINNED_NOW, PINNED_SEED } from "./harness";

/** Large blobs live in their own golden files; the plan points at them instead of repeating them. */
function planForGolden(plan: Plan, files: readonly string[]): Plan {
    const has = (f: string) => files.includes(f);
    return {
        ...plan,
        resources: plan.resources.map((r) => {
            const inputs = { ...r.inputs };
            const ltName = typeof inputs.name === "string" ? inputs.name : r.name;
            if (typeof inputs.userData === "string" && has(`userdata/${ltName}.yaml`)) inputs.userData = `(see userdata/${ltName}.yaml)`;
            for (const prop of ["policy", "assumeRolePolicy"]) {
                if (typeof inputs[prop] === "string" && has(`iam/${r.name}.json`)) inputs[prop] = `(see iam/${r.name}.json)`;
            }
            return { ...r, inputs };
        }),
    };
}

describe("golden renders of every stack", function () {
    this.timeout(120_000);
    for (const stack of listStacks()) {
        it(`${stack} matches test/golden/${stack}/`, async () => {
            const outDir = fs.mkdtempSync(path.join(os.tmpdir(), `golden-${stack}-`));
            const result = await render({ stack, outDir, seed: PINNED_SEED, now: PINNED_NOW });
            const produced: string[] = [];
            const check = (rel: string, text: string) => {
                produced.push(path.join(stack, rel));
                assertGolden(path.join(stack, rel), text);
            };
            check("plan.json", `${JSON.stringify(planForGolden(result.plan, result.files), null, 2)}\n`);
            for (const rel of result.files.filter((f) => f !== "plan.json")) {
                check(rel, fs.readFileSync(path.join(outDir, rel), "utf8"));
            }
            const stale = pruneGolden(stack, produced);
            assert.deepStrictEqual(stale, [], `golden files no longer produced: ${stale.join(", ")} (run npm run golden:update)`);
        });
    }
});

describe("render determinism", () => {
    it("renders the same stack twice to identical bytes with the same seed and clock", async function () {
        this.timeout(120_000);
        const a = await render({ stack: "prod", outDir: fs.mkdtempSync(path.join(os.tmpdir(), "det-a-")), seed: PINNED_SEED, now: PINNED_NOW });
        const b = await render({ stack: "prod", outDir: fs.mkdtempSync(path.join(os.tmpdir(), "det-b-")), seed: PINNED_SEED, now: PINNED_NOW });
        assert.deepStrictEqual(a.files, b.files);
        for (const f of a.files) {
            assert.strictEqual(fs.readFileSync(path.join(a.outDir, f), "utf8"), fs.readFileSync(path.join(b.outDir, f), "utf8"), f);
        }
    });
});
