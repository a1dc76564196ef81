/**
 * What an instance does with its user data, in cloud-init's order:
 * boothooks, bootcmd (init stage, before write_files), write_files, mounts,
 * deferred write_files, then the user scripts (shell parts and runcmd, run in
 * the order of their file names in /var/lib/cloud/instance/scripts).
 * Scripts written by write_files, functions, `sh -c` and systemd units
 * started by systemctl are followed inline where they are called.
 */
import { userDataParts, UserDataPart } from "./userdata";
import { parseCloudConfig, WrittenFile } from "./cloudconfig";
import { parseScript, Pipeline, programOf } from "./shell";

export type BootStep =
    | { readonly kind: "file"; readonly file: WrittenFile }
    | { readonly kind: "mount"; readonly target: string; readonly fstype: string; readonly options: string[] }
    | { readonly kind: "run"; readonly origin: string; readonly pipeline: Pipeline };

export interface Boot {
    readonly parts: UserDataPart[];
    readonly files: WrittenFile[];
    readonly steps: BootStep[];
    /** Every decoded text the instance receives (parts and file contents), for key-material scans. */
    readonly texts: string[];
}

/** User data the policies cannot read: undecodable, or a cloud-config that is not valid YAML. */
export class UserDataError extends Error {}

const SHELLS = /^(bash|sh|dash|ash|zsh|source|\.)$/;

/** The commands a systemd unit runs when started: its Exec* lines, with systemd's prefixes removed. */
export function unitCommands(unit: string): string {
    return unit
        .replace(/\\\r?\n/g, " ")
        .split(/\r?\n/)
        .map((l) => /^\s*Exec(?:StartPre|Start|StartPost)\s*=\s*[-@+!:]*(.*)$/.exec(l)?.[1])
        .filter((l): l is string => l !== undefined)
        .join("\n");
}

function inliner(files: WrittenFile[]): (argv: string[]) => string | undefined {
    const byPath = new Map(files.map((f) => [f.path, f.content]));
    return (argv) => {
        const { name, args } = programOf(argv);
        if (SHELLS.test(name)) {
            const c = args.indexOf("-c");
            if (c >= 0) return args[c + 1];
            const script = args.find((a) => !a.startsWith("-"));
            return script === undefined ? undefined : byPath.get(script);
        }
        if (name === "systemctl") {
            const starts = /^(start|restart|reload-or-restart|try-restart)$/.test(args.find((a) => !a.startsWith("-")) ?? "") || (args[0] === "enable" && args.includes("--now"));
            if (!starts) return undefined;
            const units = args
                .filter((a) => !a.startsWith("-"))
                .slice(1)
                .map((u) => (u.includes(".") ? u : `${u}.service`));
            const bodies = units.flatMap((u) => files.filter((f) => f.path.endsWith(`/${u}`)).map((f) => unitCommands(f.content)));
            return bodies.length > 0 ? bodies.join("\n") : undefined;
        }
        const path = argv[0] ?? "";
        return path.startsWith("/") ? byPath.get(path) : undefined;
    };
}

/** Reads user data (base64/gzip/MIME decoded) into the ordered steps the instance performs. */
export function readBoot(userData: string): Boot {
    const parts = userDataParts(userData);
    if (!parts) throw new UserDataError("user data is neither text nor base64 of text");
    const configs = parts
        .filter((p) => p.kind === "cloud-config")
        .map((p) => {
            try {
                return parseCloudConfig(p.body);
            } catch (e) {
                throw new UserDataError((e as Error).message);
            }
        });
    // cloud-init merges cloud-config parts; concatenating their lists keeps every entry visible to the checks.
    const files = configs.flatMap((c) => c.writeFiles);
    const inline = inliner(files);
    const script = (origin: string, text: string): BootStep[] => parseScript(text, { inline }).map((pipeline) => ({ kind: "run", origin, pipeline }));

    const steps: BootStep[] = [];
    parts.filter((p) => p.kind === "boothook").forEach((p) => steps.push(...script("boothook", p.body)));
    steps.push(...script("bootcmd", configs.flatMap((c) => c.bootcmd).join("\n")));
    files.filter((f) => !f.defer).forEach((file) => steps.push({ kind: "file", file }));
    for (const m of configs.flatMap((c) => c.mounts)) {
        steps.push({ kind: "mount", target: m[1] ?? "", fstype: m[2] ?? "auto", options: (m[3] ?? "defaults").split(",") });
    }
    files.filter((f) => f.defer).forEach((file) => steps.push({ kind: "file", file }));
    const userScripts = parts.filter((p) => p.kind === "shellscript").map((p, i) => ({ name: p.filename ?? `part-${String(i + 1).padStart(3, "0")}`, text: p.body }));
    userScripts.push({ name: "runcmd", text: configs.flatMap((c) => c.runcmd).join("\n") });
    userScripts.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    userScripts.forEach((s) => steps.push(...script(s.name, s.text)));

    return { parts, files, steps, texts: [...parts.map((p) => p.body), ...files.map((f) => f.content)] };
}
