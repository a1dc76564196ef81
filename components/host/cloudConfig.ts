/**
 * Assembles a launch template's user data: one `#cloud-config` document from
 * parts (each concern renders its own write_files and runcmd entries), in the
 * order the parts are given. Pure; the launch templates encode it (userData.ts).
 */
import * as YAML from "yaml";
import { CloudConfigFile } from "./secretsDelivery";

export type { CloudConfigFile };

export interface CloudConfigPart {
    readonly writeFiles?: readonly CloudConfigFile[];
    /** argv lists, run in order after every file is written. */
    readonly runcmd?: readonly (readonly string[])[];
}

/**
 * A script as the instance receives it: without its whole-line comments. EC2 takes at most
 * 16 KB of user data (lib/awsLimits.ts) and the commented source is in this repository, so
 * the instance gets only what runs. The first line (`#!`), shellcheck directives and any
 * `#` not followed by a space or the line's end (`#!` inside a here-document, `#cloud-config`)
 * are kept; comments after code on the same line are kept too (a `#` there may be data).
 */
export function withoutCommentLines(script: string): string {
    const [first, ...rest] = script.split("\n");
    return [first, ...rest.filter((line) => !/^\s*#( |$)/.test(line) || /^\s*# shellcheck /.test(line))].join("\n");
}

/** Renders the parts as one cloud-config document; two parts writing the same path is a bug and throws. */
export function renderCloudConfig(parts: readonly CloudConfigPart[]): string {
    const files = parts.flatMap((p) => p.writeFiles ?? []);
    const seen = new Set<string>();
    for (const f of files) {
        if (seen.has(f.path)) throw new Error(`two cloud-config parts write ${f.path}`);
        seen.add(f.path);
    }
    const doc = {
        write_files: files.map((f) => ({ path: f.path, owner: f.owner, permissions: f.permissions, content: f.content.startsWith("#!") ? withoutCommentLines(f.content) : f.content })),
        runcmd: parts.flatMap((p) => (p.runcmd ?? []).map((argv) => [...argv])),
    };
    return `#cloud-config\n${YAML.stringify(doc, { lineWidth: 0, blockQuote: "literal" })}`;
}
