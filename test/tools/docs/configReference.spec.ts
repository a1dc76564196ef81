/**
 * The README's configuration reference is generated from the schema; this
 * fails when someone changes the schema without running `npm run docs`.
 */
import * as assert from "assert";
import * as fs from "fs";
import { README, readmeWithReference, referenceRows } from "../../../tools/docs/configReference";

describe("README configuration reference", () => {
    it("is up to date with config/schema.ts (run `npm run docs`)", () => {
        const readme = fs.readFileSync(README, "utf8");
        assert.strictEqual(readme, readmeWithReference(readme));
    });

    it("lists every top-level key with its default", () => {
        const rows = new Map(referenceRows().map((r) => [r.key, r]));
        for (const key of ["name", "kubernetesVersion", "availabilityZones", "network", "podCidr", "serviceCidr", "adminCidrs", "controlPlane.count", "etcd.topology", "nodePools[].min", "dns.zoneName", "addons.calico", "pki.algorithm", "tags"]) {
            assert.ok(rows.has(key), `missing ${key}`);
        }
        assert.strictEqual(rows.get("controlPlane.count")!.default, "`3`");
        assert.strictEqual(rows.get("name")!.default, "(required)");
    });
});
