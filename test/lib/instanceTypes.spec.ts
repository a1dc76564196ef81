/**
 * lib/instanceTypes.ts: the instance-type list is EC2's (from the pinned
 * @aws-sdk/client-ec2), suggestions for a mistyped name are the ones a user
 * meant, and the architecture rule agrees with AWS's own list of Graviton
 * families.
 */
import * as assert from "assert";
import { _InstanceType } from "@aws-sdk/client-ec2";
import { architectureOf, closestInstanceTypes, EC2_INSTANCE_TYPES, familyOf, isKnownInstanceType, needsDedicatedHost } from "../../lib/instanceTypes";

describe("lib/instanceTypes", () => {
    it("knows exactly the SDK's instance types", () => {
        assert.deepStrictEqual([...EC2_INSTANCE_TYPES].sort(), Object.values(_InstanceType).sort());
        assert.ok(EC2_INSTANCE_TYPES.length > 1000, `${EC2_INSTANCE_TYPES.length} types`);
        for (const t of ["t3.medium", "m7i.large", "m7i.xlarge", "m6i.large", "m7a.xlarge", "c7i.2xlarge", "m8g.large", "u-6tb1.metal"]) assert.ok(isKnownInstanceType(t), t);
        for (const t of ["m7i.huge", "m7z.large", "t3.Medium", "m7i", "large", ""]) assert.ok(!isKnownInstanceType(t), t);
    });

    const suggestions: [string, string[]][] = [
        ["m7i.huge", ["m7i.large", "m7i.xlarge", "m7i.2xlarge"]],
        ["m7z.large", ["m7a.large", "m7g.large", "m7i.large"]],
        ["t3.mediun", ["t3.medium", "t3.micro", "t3.large"]],
        ["c7gn.16xl", ["c7gn.16xlarge", "c7gn.metal", "c7gn.12xlarge"]],
    ];
    for (const [typed, closest] of suggestions) {
        it(`suggests ${closest.join(", ")} for ${typed}`, () => assert.deepStrictEqual(closestInstanceTypes(typed), closest));
    }

    it("calls arm64 every Graviton family AWS lists, and x86_64 the Intel and AMD families", () => {
        // aws/aws-graviton-getting-started@83d74f4cd59be0db948a23fef62e34b8926546fa:README.md, the "Instances" row of
        // Graviton2, 3, 4 and 5; a1 is the first Graviton.
        const graviton = [
            "m6g",
            "m6gd",
            "c6g",
            "c6gd",
            "c6gn",
            "r6g",
            "r6gd",
            "t4g",
            "x2gd",
            "g5g",
            "i4g",
            "im4gn",
            "is4gen",
            "c7g",
            "c7gd",
            "c7gn",
            "m7g",
            "m7gd",
            "r7g",
            "r7gd",
            "hpc7g",
            "c8g",
            "m8g",
            "r8g",
            "x8g",
            "i8g",
            "m9g",
            "m9gd",
            "a1",
        ];
        const families = new Set(EC2_INSTANCE_TYPES.map(familyOf));
        for (const f of graviton) {
            assert.ok(families.has(f), `${f} is in the SDK list`);
            assert.strictEqual(architectureOf(`${f}.large`), "arm64", f);
        }
        for (const f of ["t3", "t3a", "m5", "m6i", "m6a", "m7i", "m7i-flex", "m7a", "c7i", "g4dn", "g4ad", "p5", "u7i-12tb", "inf2", "trn1", "mac1"]) {
            assert.ok(families.has(f), `${f} is in the SDK list`);
            assert.strictEqual(architectureOf(`${f}.large`), "x86_64", f);
        }
    });

    it("singles out the Mac families, which need a Dedicated Host", () => {
        assert.ok(needsDedicatedHost("mac2-m2pro.metal") && needsDedicatedHost("mac1.metal"));
        assert.ok(!needsDedicatedHost("m7i.metal-24xl") && !needsDedicatedHost("m7i.large"));
    });
});
