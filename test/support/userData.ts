/**
 * A launch template's user data as the instance reads it: EC2 hands over the
 * base64-decoded bytes, and cloud-init gunzips them when they are gzip
 * (cloud-init 22.4.2, the Debian package the tests use:
 * cloudinit/user_data.py convert_string -> util.decomp_gzip). Kept apart from
 * the program's own encoder (components/bootstrap/userData.ts), so the
 * program is not its own witness; every test that reads user data uses this one.
 */
import { gunzipSync, gzipSync } from "zlib";

export interface DecodedUserData {
    readonly text: string;
    /** Whether the bytes were gzip (gzip's magic 1f 8b, RFC 1952 section 2.3.1). */
    readonly gzipped: boolean;
    /** Size of the bytes EC2 stores (after base64 decoding), the figure its 16 KB limit counts. */
    readonly bytes: number;
}

const isGzip = (raw: Buffer) => raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;

export function readUserData(userData: unknown): DecodedUserData {
    if (typeof userData !== "string") throw new Error(`user data is not a plain string: ${JSON.stringify(userData)}`);
    const raw = Buffer.from(userData, "base64");
    const gzipped = isGzip(raw);
    return { text: (gzipped ? gunzipSync(raw) : raw).toString("utf8"), gzipped, bytes: raw.length };
}

/** The text cloud-init reads from a launch template's base64 user data. */
export function decodeUserData(userData: unknown): string {
    return readUserData(userData).text;
}

/** `text` encoded as `original` was (gzip or not, then base64): for tests that edit user data in place. */
export function reencodeUserDataLike(original: unknown, text: string): string {
    const out = Buffer.from(text, "utf8");
    return (readUserData(original).gzipped ? gzipSync(out) : out).toString("base64");
}
