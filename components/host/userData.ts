/**
 * The one encoder of launch-template user data: gzip, then base64, refusing
 * what EC2 would refuse. EC2 takes at most 16 KB of raw user data, before base64
 * (lib/awsLimits.ts USER_DATA_LIMIT_BYTES); the cloud-configs are larger than that
 * as text (a node pool's is about 18 KB, a control-plane slot's about 35 KB),
 * and cloud-init decompresses gzip user data itself. Pure.
 */
import { gzipSync, gunzipSync } from "zlib";
import { USER_DATA_LIMIT_BYTES } from "../../lib/awsLimits";

export { USER_DATA_LIMIT_BYTES };

/** The share of EC2's limit the shipped stacks keep free, so a release that grows the scripts fails a test before it fails on AWS. */
export const USER_DATA_HEADROOM = 0.1;

/**
 * base64(gzip(text)) for a launch template; throws when the compressed bytes exceed EC2's limit.
 * Node writes gzip's header without a timestamp (mtime 0), so equal text encodes equally.
 */
export function encodeUserData(cloudConfig: string, what = "user data"): string {
    const gz = gzipSync(Buffer.from(cloudConfig, "utf8"), { level: 9 });
    if (gz.length > USER_DATA_LIMIT_BYTES) {
        throw new Error(`${what} is ${gz.length} bytes gzip-compressed; EC2 accepts at most ${USER_DATA_LIMIT_BYTES} bytes of user data`);
    }
    return gz.toString("base64");
}

/** The raw bytes EC2 receives for base64 user data (what its 16 KB limit counts). */
export function userDataBytes(base64: string): number {
    return Buffer.from(base64, "base64").length;
}

/** The text of base64 user data, gunzipped when compressed (as cloud-init reads it). */
export function decodeUserData(base64: string): string {
    const bytes = Buffer.from(base64, "base64");
    return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString("utf8");
}
