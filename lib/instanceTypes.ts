/**
 * Facts about EC2 instance types: which names exist, their family and CPU
 * architecture, and the known names closest to a mistyped one.
 *
 * The list is EC2's own: the `_InstanceType` enumeration of the API model as
 * shipped in @aws-sdk/client-ec2, pinned exactly in package.json
 * (@aws-sdk/client-ec2@3.1178.0: dist-types/models/enums.d.ts, `export declare
 * const _InstanceType`, 1,437 names). A new type reaches this program with an
 * SDK upgrade, not by hand.
 */
import { distance } from "fastest-levenshtein";
import * as fs from "fs";
import * as path from "path";

const SDK_PACKAGE_JSON = require.resolve("@aws-sdk/client-ec2/package.json");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SDK_VERSION: string = require(SDK_PACKAGE_JSON).version;

/**
 * The enumeration's values, read from the SDK's own module file
 * (@aws-sdk/client-ec2@3.1178.0:dist-es/models/enums.js, `export const
 * _InstanceType = { a1_2xlarge: "a1.2xlarge", ... };`) instead of loading the
 * whole EC2 client, which cost every render about 0.2 s of CPU for this one
 * object (issue 23). test/lib/instanceTypes.spec.ts checks the result against the
 * client's own `_InstanceType` export, so an SDK upgrade that changes the file's
 * layout fails that test and this throws rather than reading a partial list.
 */
function sdkInstanceTypes(): string[] {
    const file = path.join(path.dirname(SDK_PACKAGE_JSON), "dist-es", "models", "enums.js");
    const text = fs.readFileSync(file, "utf8");
    const body = /^export const _InstanceType = \{\n([\s\S]*?)^\};$/m.exec(text)?.[1];
    const entries = body?.split("\n").filter((l) => l.trim() !== "") ?? [];
    const values = entries.map((l) => /^\s+[A-Za-z0-9_$]+: "([^"]+)",?$/.exec(l)?.[1]);
    if (entries.length < 1000 || values.some((v) => v === undefined)) {
        throw new Error(
            `${file}: the _InstanceType enumeration of @aws-sdk/client-ec2 ${SDK_VERSION} is not laid out as lib/instanceTypes.ts expects (export const _InstanceType = { key: "value", ... };)`,
        );
    }
    return values as string[];
}

export const EC2_INSTANCE_TYPES: readonly string[] = sdkInstanceTypes().sort();
const KNOWN = new Set(EC2_INSTANCE_TYPES);
/** Where the list comes from, for messages. */
export const INSTANCE_TYPE_SOURCE = `the list in @aws-sdk/client-ec2 ${SDK_VERSION}`;

export function isKnownInstanceType(instanceType: string): boolean {
    return KNOWN.has(instanceType);
}

/** `m7i` of `m7i.large`, `mac2-m2` of `mac2-m2.metal`. */
export function familyOf(instanceType: string): string {
    return instanceType.split(".")[0];
}

/**
 * Arm families outside the Graviton naming rule below: a1 (first Graviton),
 * the Apple-silicon Macs (mac2, mac2-m2, mac-m4, ...; mac1 is Intel) and
 * p6e-gb200 (NVIDIA Grace CPUs).
 */
const OTHER_ARM_FAMILIES = /^(a1|mac2(-.*)?|mac-m\d.*|p6e-gb\d+)$/;

/**
 * The CPU architecture, by EC2's naming convention: the letter after the
 * generation digit is the processor family, `g` for AWS Graviton (t4g, m7g,
 * c7gn, r8gd, im4gn, is4gen); see "Amazon EC2 instance type naming
 * conventions" in the Amazon EC2 Instance Types guide (the page the EC2 API
 * reference points to for `InstanceFamily`). The SDK's list carries no
 * architecture, so test/lib/instanceTypes.spec.ts holds this rule against AWS's
 * published list of Graviton families.
 */
export function architectureOf(instanceType: string): "arm64" | "x86_64" {
    const family = familyOf(instanceType);
    return /^[a-z]+\d+g[a-z]*$/.test(family) || OTHER_ARM_FAMILIES.test(family) ? "arm64" : "x86_64";
}

/** Mac instances run macOS on Dedicated Hosts only; this program runs Ubuntu on shared tenancy. */
export function needsDedicatedHost(instanceType: string): boolean {
    return /^mac/.test(familyOf(instanceType));
}

/**
 * The known names closest to `instanceType`: sizes of the same family first
 * (m7i.huge -> m7i.large, ...), then the fewest edits (m7z.large -> m7a.large).
 */
export function closestInstanceTypes(instanceType: string, count = 3): string[] {
    const family = familyOf(instanceType);
    return EC2_INSTANCE_TYPES.map((t) => ({ t, same: familyOf(t) === family ? 0 : 1, d: distance(instanceType, t) }))
        .sort((x, y) => x.same - y.same || x.d - y.d || x.t.localeCompare(y.t))
        .slice(0, count)
        .map((x) => x.t);
}
