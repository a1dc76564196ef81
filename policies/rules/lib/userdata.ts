/**
 * User data as the instance receives it: launch templates carry it base64
 * encoded (possibly gzip-compressed), and it may be a MIME multipart of
 * cloud-config, shell scripts and boothooks. This module turns it into parts.
 */
import { gunzipSync } from "zlib";

export type PartKind = "cloud-config" | "shellscript" | "boothook" | "other";

export interface UserDataPart {
    readonly kind: PartKind;
    readonly contentType: string;
    /** The MIME part's filename, if any (cloud-init names scripts after it). */
    readonly filename?: string;
    readonly body: string;
}

const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

function isGzip(b: Buffer): boolean {
    return b.length > 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Text that is printable enough to be a script or YAML (rejects binary noise from a mistaken base64 decode). */
function looksLikeText(s: string): boolean {
    if (s.length === 0) return true;
    const bad = s.split("").filter((c) => {
        const code = c.charCodeAt(0);
        return code < 9 || (code > 13 && code < 32) || c === "\ufffd";
    }).length;
    return bad / s.length < 0.01;
}

/**
 * Plain text from a user data value: kept as is when it already reads as
 * user data, otherwise base64-decoded (and gunzipped when compressed), as EC2
 * and cloud-init do. Returns undefined when it is neither.
 */
export function decodeUserData(raw: string): string | undefined {
    const trimmed = raw.trimStart();
    if (/^(#|Content-Type:|MIME-Version:)/i.test(trimmed)) return raw;
    const compact = raw.replace(/\s+/g, "");
    if (compact.length > 0 && compact.length % 4 === 0 && BASE64_RE.test(compact)) {
        let bytes = Buffer.from(compact, "base64");
        if (isGzip(bytes)) {
            try {
                bytes = gunzipSync(bytes);
            } catch {
                return undefined;
            }
        }
        const text = bytes.toString("utf8");
        return looksLikeText(text) ? text : undefined;
    }
    if (isGzip(Buffer.from(raw, "latin1"))) {
        try {
            return gunzipSync(Buffer.from(raw, "latin1")).toString("utf8");
        } catch {
            return undefined;
        }
    }
    return looksLikeText(raw) ? raw : undefined;
}

interface Headers {
    readonly [name: string]: string;
}

/** RFC 822 headers up to the first blank line; continuation lines are unfolded. */
function splitHeaders(text: string): { headers: Headers; body: string } | undefined {
    const m = /\r?\n\r?\n/.exec(text);
    const head = m ? text.slice(0, m.index) : text;
    const body = m ? text.slice(m.index + m[0].length) : "";
    const lines = head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/);
    const headers: Record<string, string> = {};
    for (const line of lines) {
        const h = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line);
        if (!h) return undefined;
        headers[h[1].toLowerCase()] = h[2].trim();
    }
    return { headers, body };
}

function param(header: string, name: string): string | undefined {
    const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, "i").exec(header);
    return m ? (m[1] ?? m[2]) : undefined;
}

function decodeTransfer(body: string, encoding: string | undefined): string {
    switch ((encoding ?? "").toLowerCase()) {
        case "base64": {
            const bytes = Buffer.from(body.replace(/\s+/g, ""), "base64");
            try {
                return (isGzip(bytes) ? gunzipSync(bytes) : bytes).toString("utf8");
            } catch {
                return "";
            }
        }
        case "quoted-printable":
            return body.replace(/=\r?\n/g, "").replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
        default:
            return body;
    }
}

/** cloud-init decides a part's type from its first line when the MIME type does not say. */
function kindOf(contentType: string, body: string): PartKind {
    const ct = contentType.toLowerCase();
    if (ct === "text/cloud-config") return "cloud-config";
    if (ct === "text/x-shellscript") return "shellscript";
    if (ct === "text/cloud-boothook") return "boothook";
    const first = body.trimStart().split(/\r?\n/, 1)[0] ?? "";
    if (/^#cloud-config\b/.test(first)) return "cloud-config";
    if (/^#cloud-boothook\b/.test(first)) return "boothook";
    if (/^#!/.test(first)) return "shellscript";
    return "other";
}

/** Strips a leading `## template: jinja` line, which cloud-init removes before handling the rest. */
function stripJinjaHeader(body: string): string {
    return body.replace(/^\s*## template:\s*jinja[^\n]*\n/i, "");
}

function parseParts(text: string, depth: number): UserDataPart[] {
    const split = /^\s*(Content-Type|MIME-Version):/i.test(text) ? splitHeaders(text.trimStart()) : undefined;
    const contentType = split?.headers["content-type"] ?? "";
    const boundary = /^multipart\//i.test(contentType) ? param(contentType, "boundary") : undefined;
    if (split && boundary && depth < 5) {
        const escaped = boundary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        const chunks = split.body.split(new RegExp(`^--${escaped}(?:--)?[ \\t]*\\r?$`, "m"));
        const closed = new RegExp(`^--${escaped}--`, "m").test(split.body);
        // chunks[0] is the preamble; after a closing delimiter the last chunk is the epilogue.
        return chunks
            .slice(1, closed ? -1 : undefined)
            .map((c) => c.replace(/^\r?\n/, ""))
            .flatMap((c) => parseParts(c, depth + 1));
    }
    if (split && contentType) {
        const body = stripJinjaHeader(decodeTransfer(split.body, split.headers["content-transfer-encoding"]));
        const disposition = split.headers["content-disposition"] ?? "";
        const filename = param(disposition, "filename") ?? param(contentType, "name");
        return [{ kind: kindOf(contentType.split(";")[0].trim(), body), contentType, filename, body }];
    }
    const body = stripJinjaHeader(text);
    return [{ kind: kindOf("", body), contentType: "", body }];
}

/** The parts of a user data value (base64, gzip and MIME multipart decoded); undefined if it cannot be decoded. */
export function userDataParts(raw: string): UserDataPart[] | undefined {
    const text = decodeUserData(raw);
    return text === undefined ? undefined : parseParts(text, 0);
}
