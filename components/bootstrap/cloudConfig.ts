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

/** Renders the parts as one cloud-config document; two parts writing the same path is a bug and throws. */
export function renderCloudConfig(parts: readonly CloudConfigPart[]): string {
    const files = parts.flatMap((p) => p.writeFiles ?? []);
    const seen = new Set<string>();
    for (const f of files) {
        if (seen.has(f.path)) throw new Error(`two cloud-config parts write ${f.path}`);
        seen.add(f.path);
    }
    const doc = {
        write_files: files.map((f) => ({ path: f.path, owner: f.owner, permissions: f.permissions, content: f.content })),
        runcmd: parts.flatMap((p) => (p.runcmd ?? []).map((argv) => [...argv])),
    };
    return `#cloud-config\n${YAML.stringify(doc, { lineWidth: 0, blockQuote: "literal" })}`;
}
