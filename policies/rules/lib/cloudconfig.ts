/**
 * The parts of cloud-config the policies reason about: write_files (with
 * their encodings decoded), bootcmd, runcmd and mounts.
 */
import { gunzipSync } from "zlib";
import { parse } from "yaml";
import { isRecord, arr, str, bool } from "./resources";

export interface WrittenFile {
    readonly path: string;
    readonly content: string;
    readonly permissions?: string;
    /** `defer: true` files are written late, in cloud-init's final stage. */
    readonly defer: boolean;
}

export interface CloudConfig {
    readonly writeFiles: WrittenFile[];
    /** Each entry is one shell line (list entries are quoted back into one). */
    readonly bootcmd: string[];
    readonly runcmd: string[];
    /** `mounts:` entries: [spec, mount point, fstype, options, ...]. */
    readonly mounts: string[][];
}

/** Quotes an argv element so the shell reads it back as one word: cloud-init runs list commands as argv. */
function shellQuote(arg: string): string {
    return /^[A-Za-z0-9_/.,:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function decodeContent(content: string, encoding: string): string {
    const enc = encoding.toLowerCase();
    let bytes = Buffer.from(content, "utf8");
    if (/(^|\+)(b64|base64)$/.test(enc)) bytes = Buffer.from(content.replace(/\s+/g, ""), "base64");
    if (/^(gz|gzip)(\+|$)/.test(enc)) bytes = gunzipSync(bytes);
    return bytes.toString("utf8");
}

function commandLines(v: unknown): string[] {
    return arr(v).flatMap((c) => {
        if (typeof c === "string") return [c];
        if (Array.isArray(c)) return [c.map((a) => shellQuote(String(a))).join(" ")];
        return [];
    });
}

/** Parses one cloud-config document; throws with a readable message when it is not valid YAML. */
export function parseCloudConfig(body: string): CloudConfig {
    let doc: unknown;
    try {
        doc = parse(body);
    } catch (e) {
        throw new Error(`cloud-config is not valid YAML: ${(e as Error).message.split("\n")[0]}`, { cause: e });
    }
    if (doc === null || doc === undefined) return { writeFiles: [], bootcmd: [], runcmd: [], mounts: [] };
    if (!isRecord(doc)) throw new Error("cloud-config is not a YAML mapping");
    const writeFiles = arr(doc.write_files)
        .filter(isRecord)
        .map((f) => {
            const path = str(f.path) ?? "";
            try {
                return {
                    path,
                    content: decodeContent(str(f.content) ?? "", str(f.encoding) ?? "text/plain"),
                    permissions: str(f.permissions),
                    defer: bool(f.defer) === true,
                };
            } catch {
                throw new Error(`write_files entry ${path} cannot be decoded as ${str(f.encoding)}`);
            }
        });
    const mounts = arr(doc.mounts).map((m) => arr(m).map((x) => (x === null || x === undefined ? "" : String(x))));
    return { writeFiles, bootcmd: commandLines(doc.bootcmd), runcmd: commandLines(doc.runcmd), mounts };
}
