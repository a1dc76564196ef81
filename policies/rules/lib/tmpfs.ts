/**
 * Follows a boot sequence and checks that key material only ever lands on a
 * tmpfs: each secrets directory gets a private tmpfs before anything writes
 * into it, and secrets fetched at boot (S3, Secrets Manager, SSM, KMS) or key
 * files written at boot go nowhere else. Keys on a tmpfs vanish at power-off
 * and never reach an EBS snapshot or AMI.
 */
import { Boot } from "./boot";
import { Command, Pipeline, UNKNOWN, programOf } from "./shell";

export interface TmpfsOptions {
    /** Directories that must be tmpfs-mounted whether or not the user data mentions them. */
    readonly required: string[];
    /** Every directory that counts as a secrets directory. */
    readonly secretsDirs: string[];
    /** An S3 URL matching this is a secret being fetched. */
    readonly secretSource: RegExp;
    /** Where kubeadm writes certificates and keys (ClusterConfiguration.certificatesDir). */
    readonly kubeadmCertDir: string;
}

const KEY_FILE_RE = /(\.key|[-_.]key\.pem|^key\.pem|\.p12|\.pfx|\.jks)$/;
/** Programs whose path arguments are read or only created as directories, never written with content. */
const NON_WRITERS = new Set([
    "mkdir",
    "mount",
    "umount",
    "mountpoint",
    "chmod",
    "chown",
    "chgrp",
    "test",
    "[",
    "[[",
    "echo",
    "printf",
    "ls",
    "stat",
    "findmnt",
    "logger",
    "true",
    "false",
    ":",
    "sleep",
    "systemctl",
    "cat",
    "grep",
    "head",
    "tail",
    "wc",
    "sha256sum",
    "md5sum",
    "diff",
    "readlink",
    "realpath",
    "dirname",
    "basename",
]);
/** AWS CLI options that take a value, so that positional arguments can be told apart. */
const AWS_VALUE_OPTS = new Set([
    "--region",
    "--profile",
    "--endpoint-url",
    "--exclude",
    "--include",
    "--sse",
    "--sse-kms-key-id",
    "--acl",
    "--storage-class",
    "--content-type",
    "--cache-control",
    "--metadata",
    "--query",
    "--output",
    "--version-id",
    "--bucket",
    "--key",
    "--secret-id",
    "--name",
    "--names",
    "--ciphertext-blob",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "--expected-size",
]);

export function normalizePath(p: string): string {
    const n = p.replace(/\/+/g, "/");
    return n.length > 1 ? n.replace(/\/$/, "") : n;
}

export function isUnder(path: string, dir: string): boolean {
    const p = normalizePath(path);
    return p === dir || p.startsWith(`${dir}/`);
}

const show = (s: string) => s.split(UNKNOWN).join("<unknown>");

function optValue(args: string[], names: string[]): string | undefined {
    for (let k = 0; k < args.length; k++) {
        const eq = names.find((n) => args[k].startsWith(`${n}=`));
        if (eq) return args[k].slice(eq.length + 1);
        if (names.includes(args[k])) return args[k + 1];
    }
    return undefined;
}

function awsPositionals(args: string[]): string[] {
    const out: string[] = [];
    for (let k = 0; k < args.length; k++) {
        if (AWS_VALUE_OPTS.has(args[k])) k++;
        else if (!args[k].startsWith("-")) out.push(args[k]);
    }
    return out;
}

/** A tmpfs mount a command performs: `mount -t tmpfs -o mode=0700 tmpfs <dir>`. */
export function tmpfsMount(cmd: Command): { target: string; options: string[] } | undefined {
    const { name, args } = programOf(cmd.argv);
    if (name !== "mount") return undefined;
    let type: string | undefined;
    const options: string[] = [];
    const positionals: string[] = [];
    for (let k = 0; k < args.length; k++) {
        const a = args[k];
        if (a === "-t" || a === "--types") type = args[++k];
        else if (a.startsWith("--types=")) type = a.slice(8);
        else if (/^-t./.test(a)) type = a.slice(2);
        else if (a === "-o" || a === "--options") options.push(...(args[++k] ?? "").split(","));
        else if (a.startsWith("--options=")) options.push(...a.slice(10).split(","));
        else if (/^-o./.test(a)) options.push(...a.slice(2).split(","));
        else if (!a.startsWith("-")) positionals.push(a);
    }
    const target = positionals[positionals.length - 1];
    return type === "tmpfs" && target ? { target: normalizePath(target), options } : undefined;
}

/** Whether tmpfs options keep the directory private to root (tmpfs defaults to mode 1777: world-writable). */
export function privateMode(options: string[]): boolean {
    const mode = options.map((o) => /^mode=([0-7]{3,4})$/.exec(o)?.[1]).find((m) => m !== undefined);
    return mode !== undefined && (parseInt(mode, 8) & 0o077) === 0;
}

/** Paths a command writes: redirections, tee, and the path arguments of anything that is not a pure reader. */
function writtenPaths(cmd: Command): string[] {
    const { name, args } = programOf(cmd.argv);
    const out = cmd.redirects.filter((r) => r.op === ">" || r.op === ">>" || r.op === "&>").map((r) => r.target);
    if (name === "tee") out.push(...args.filter((a) => !a.startsWith("-")));
    const dirOnly = name === "install" && args.includes("-d");
    if (!NON_WRITERS.has(name) && !dirOnly) out.push(...args.map((a) => a.replace(/^--?[A-Za-z-]+=/, "")).filter((a) => a.startsWith("/")));
    return out;
}

/** Files a command creates by name (the destination, not its sources): checked for key-like names. */
function createdFiles(cmd: Command): string[] {
    const { name, args } = programOf(cmd.argv);
    const out = cmd.redirects.filter((r) => r.op === ">" || r.op === ">>" || r.op === "&>").map((r) => r.target);
    if (name === "tee") out.push(...args.filter((a) => !a.startsWith("-")));
    const opt = optValue(args, ["-out", "-keyout", "-o", "-O", "--output", "--out", "-f"]);
    if (opt && /^(openssl|ssh-keygen|curl|wget|cfssl|cfssljson)$/.test(name)) out.push(opt);
    if (/^(cp|mv|install)$/.test(name) && !args.includes("-d")) out.push(...args.filter((a) => !a.startsWith("-")).slice(-1));
    return out;
}

/** Where a pipeline stores secrets it fetches, with what it fetched. */
function fetchedSecrets(pipeline: Pipeline, secretSource: RegExp): { what: string; dest: string }[] {
    const out: { what: string; dest: string }[] = [];
    const stdoutDests = pipeline.flatMap(createdFiles);
    for (const cmd of pipeline) {
        const { name, args } = programOf(cmd.argv);
        if (name !== "aws") continue;
        const [service, op, ...rest] = awsPositionals(args);
        if (service === "s3" && /^(cp|mv|sync)$/.test(op ?? "")) {
            const [src, dest] = rest;
            if (!src?.startsWith("s3://") || !secretSource.test(src) || dest === undefined) continue;
            if (dest === "-") stdoutDests.forEach((d) => out.push({ what: src, dest: d }));
            else out.push({ what: src, dest });
        } else if (service === "s3api" && op === "get-object") {
            const what = `s3://${optValue(args, ["--bucket"]) ?? "?"}/${optValue(args, ["--key"]) ?? "?"}`;
            if (secretSource.test(what) && rest.length > 0) out.push({ what, dest: rest[rest.length - 1] });
        } else if (
            (service === "secretsmanager" && op === "get-secret-value") ||
            (service === "ssm" && /^get-parameters?$/.test(op ?? "") && args.includes("--with-decryption")) ||
            (service === "kms" && op === "decrypt")
        ) {
            stdoutDests.forEach((d) => out.push({ what: `aws ${service} ${op}`, dest: d }));
        }
    }
    return out;
}

/** Problems with how a boot sequence stores key material; empty when every secret stays on a private tmpfs. */
export function tmpfsProblems(boot: Boot, opts: TmpfsOptions): string[] {
    const dirs = opts.secretsDirs.map(normalizePath);
    const mounted = new Map<string, string[]>();
    const early = new Map<string, string>();
    const written = new Set<string>();
    const problems: string[] = [];
    const outside = (p: string) => !dirs.some((d) => isUnder(p, d));
    const write = (path: string, what: string) => {
        for (const d of dirs.filter((d) => isUnder(path, d))) {
            written.add(d);
            if (!mounted.has(d) && !early.has(d)) early.set(d, what);
        }
    };
    const mount = (target: string, options: string[]) => {
        if (dirs.includes(target) && !mounted.has(target)) mounted.set(target, options);
    };
    for (const step of boot.steps) {
        if (step.kind === "file") {
            write(step.file.path, `write_files ${step.file.path}`);
            if (KEY_FILE_RE.test(step.file.path) && outside(step.file.path)) problems.push(`write_files puts key material at ${step.file.path}, outside the tmpfs secrets directories`);
        } else if (step.kind === "mount") {
            if (step.fstype === "tmpfs") mount(normalizePath(step.target), step.options);
        } else {
            for (const cmd of step.pipeline) {
                const m = tmpfsMount(cmd);
                if (m) {
                    mount(m.target, m.options);
                    continue;
                }
                const text = show(cmd.argv.join(" "));
                writtenPaths(cmd).forEach((p) => write(p, `\`${text}\` (${step.origin})`));
                const { name, args } = programOf(cmd.argv);
                if (name === "kubeadm" && /^(init|join)$/.test(args[0] ?? "")) write(opts.kubeadmCertDir, `\`${text}\` (${step.origin})`);
                for (const f of createdFiles(cmd)) {
                    if (KEY_FILE_RE.test(f) && outside(f)) problems.push(`\`${text}\` (${step.origin}) writes key material to ${show(f)}, outside the tmpfs secrets directories`);
                }
            }
            for (const s of fetchedSecrets(step.pipeline, opts.secretSource)) {
                if (outside(s.dest)) problems.push(`${show(s.what)} is fetched to ${show(s.dest)} (${step.origin}), not into a tmpfs secrets directory`);
            }
        }
    }
    for (const d of dirs.filter((d) => opts.required.map(normalizePath).includes(d) || written.has(d))) {
        const options = mounted.get(d);
        if (!options) problems.push(`never mounts a tmpfs on ${d}`);
        else if (!privateMode(options)) problems.push(`the tmpfs on ${d} is not private (options "${options.join(",")}"); mount it with mode=0700`);
        if (early.has(d)) problems.push(`${early.get(d)} writes into ${d} before the tmpfs is mounted there`);
    }
    if (outside(opts.kubeadmCertDir)) problems.push(`kubeadm certificatesDir ${opts.kubeadmCertDir} is outside the tmpfs secrets directories`);
    return problems;
}
