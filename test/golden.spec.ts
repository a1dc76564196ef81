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
import { assertRenderMatchesGolden } from "./support/golden";
import { PINNED_NOW, PINNED_SEED } from "./support/harness";

describe("golden renders of every stack", function () {
    this.timeout(120_000);
    for (const stack of listStacks()) {
        it(`${stack} matches test/golden/${stack}/`, async () => {
            const outDir = fs.mkdtempSync(path.join(os.tmpdir(), `golden-${stack}-`));
            const result = await render({ stack, outDir, seed: PINNED_SEED, now: PINNED_NOW });
            assertRenderMatchesGolden(result, stack);
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
