/**
 * Small DER and PEM helpers: just what the TLS mock needs beyond @peculiar/asn1-*,
 * i.e. raw TLV walking (to copy exact bytes such as a CA's subject) and a few
 * hand-built structures (SEC1 keys) that node cannot build from a raw scalar.
 */
import * as crypto from "crypto";

export interface Tlv {
    tag: number;
    /** offset of the tag byte */
    start: number;
    /** offset of the first content byte */
    contentStart: number;
    /** offset just after the content */
    end: number;
}

function encodeLength(n: number): Buffer {
    if (n < 0x80) {
        return Buffer.from([n]);
    }
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) {
        bytes.unshift(v & 0xff);
    }
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
    const body = Buffer.concat(content);
    return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

/** Big-endian unsigned magnitude, no leading zeros (empty for 0). */
export function bigToBytes(n: bigint): Buffer {
    if (n < 0n) {
        throw new Error("negative integers are not supported");
    }
    if (n === 0n) {
        return Buffer.alloc(0);
    }
    const hex = n.toString(16);
    return Buffer.from(hex.length % 2 ? "0" + hex : hex, "hex");
}

export function bytesToBig(b: Uint8Array): bigint {
    return b.length === 0 ? 0n : BigInt("0x" + Buffer.from(b).toString("hex"));
}

/** Content bytes of a DER INTEGER holding a non-negative value (two's complement, minimal). */
export function unsignedIntegerContent(n: bigint): Buffer {
    const mag = bigToBytes(n);
    if (mag.length === 0) {
        return Buffer.from([0]);
    }
    return mag[0] & 0x80 ? Buffer.concat([Buffer.from([0]), mag]) : mag;
}

export function derOid(oid: string): Buffer {
    const arcs = oid.split(".").map((a) => BigInt(a));
    const out: number[] = [];
    const push = (v: bigint) => {
        const chunk: number[] = [Number(v & 0x7fn)];
        for (v >>= 7n; v > 0n; v >>= 7n) {
            chunk.unshift(Number(v & 0x7fn) | 0x80);
        }
        out.push(...chunk);
    };
    push(arcs[0] * 40n + arcs[1]);
    arcs.slice(2).forEach(push);
    return tlv(0x06, Buffer.from(out));
}

export function readTlv(buf: Uint8Array, offset: number): Tlv {
    if (offset + 2 > buf.length) {
        throw new Error("truncated DER");
    }
    const tag = buf[offset];
    let len = buf[offset + 1];
    let pos = offset + 2;
    if (len & 0x80) {
        const count = len & 0x7f;
        if (count === 0 || count > 4 || pos + count > buf.length) {
            throw new Error("invalid DER length");
        }
        len = 0;
        for (let i = 0; i < count; i++) {
            len = len * 256 + buf[pos++];
        }
    }
    if (pos + len > buf.length) {
        throw new Error("truncated DER");
    }
    return { tag, start: offset, contentStart: pos, end: pos + len };
}

/** The TLVs directly inside a constructed value. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
    const out: Tlv[] = [];
    for (let pos = parent.contentStart; pos < parent.end;) {
        const child = readTlv(buf, pos);
        out.push(child);
        pos = child.end;
    }
    return out;
}

export function raw(buf: Uint8Array, t: Tlv): Buffer {
    return Buffer.from(buf.subarray(t.start, t.end));
}

export function content(buf: Uint8Array, t: Tlv): Buffer {
    return Buffer.from(buf.subarray(t.contentStart, t.end));
}

/** PEM exactly as Go's pem.EncodeToMemory writes it: 64-column base64 and a trailing newline. */
export function pemEncode(type: string, der: Uint8Array): string {
    const b64 = Buffer.from(der).toString("base64");
    const lines = b64.match(/.{1,64}/g) ?? [];
    return `-----BEGIN ${type}-----\n${lines.join("\n")}${lines.length ? "\n" : ""}-----END ${type}-----\n`;
}

/** First PEM block in the text (like Go's pem.Decode, leading junk is skipped), or undefined. */
export function pemDecode(text: string): { type: string; der: Buffer } | undefined {
    const m = /-----BEGIN ([^\n-]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text ?? "");
    if (!m) {
        return undefined;
    }
    // Go accepts "Key: value" headers before the body; they carry nothing we use.
    const body = m[2].replace(/^([^:\n]+:[^\n]*\r?\n)+\r?\n/, "");
    if (/[^A-Za-z0-9+/=\s]/.test(body)) {
        return undefined;
    }
    return { type: m[1], der: Buffer.from(body.replace(/\s+/g, ""), "base64") };
}

/** Go's strings.TrimSpace over raw bytes (ASCII and UTF-8 encoded Unicode spaces). */
export function goTrimSpace(b: Buffer): Buffer {
    const ascii = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]);
    const unicode = [
        "c285",
        "c2a0",
        "e19a80",
        "e28080",
        "e28081",
        "e28082",
        "e28083",
        "e28084",
        "e28085",
        "e28086",
        "e28087",
        "e28088",
        "e28089",
        "e2808a",
        "e280a8",
        "e280a9",
        "e280af",
        "e2819f",
        "e38080",
    ].map((h) => Buffer.from(h, "hex"));
    let start = 0;
    let end = b.length;
    for (let moved = true; moved && start < end;) {
        moved = false;
        if (ascii.has(b[start])) {
            start++;
            moved = true;
            continue;
        }
        for (const u of unicode) {
            if (end - start >= u.length && b.subarray(start, start + u.length).equals(u)) {
                start += u.length;
                moved = true;
                break;
            }
        }
    }
    for (let moved = true; moved && end > start;) {
        moved = false;
        if (ascii.has(b[end - 1])) {
            end--;
            moved = true;
            continue;
        }
        for (const u of unicode) {
            if (end - start >= u.length && b.subarray(end - u.length, end).equals(u)) {
                end -= u.length;
                moved = true;
                break;
            }
        }
    }
    return b.subarray(start, end);
}

/** The provider's hashForState: hex SHA-1 of the trimmed value ("" for ""). */
export function hashForState(value: Buffer): string {
    if (value.length === 0) {
        return "";
    }
    return crypto.createHash("sha1").update(goTrimSpace(value)).digest("hex");
}
