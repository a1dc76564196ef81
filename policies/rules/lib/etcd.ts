/**
 * etcd's transport settings as the user data configures them: an etcd config
 * file (--config-file YAML), etcd flags (systemd unit, script, static pod),
 * ETCD_* environment files, or kubeadm's ClusterConfiguration for stacked
 * etcd. Everything is normalised to etcd flag names so one check covers all.
 */
import { parseAllDocuments } from "yaml";
import { Boot, unitCommands } from "./boot";
import { isRecord, arr, str, records } from "./resources";
import { parseScript, programOf, basename } from "./shell";

export type Settings = Map<string, string>;

export interface EtcdMember {
    readonly origin: string;
    readonly settings: Settings;
}

export interface KubeadmCluster {
    readonly origin: string;
    readonly certificatesDir?: string;
    /** Set for stacked etcd (kubeadm runs it as a static pod): the flags that override kubeadm's TLS defaults. */
    readonly localExtraArgs?: Settings;
    readonly external?: { endpoints: string[]; caFile?: string; certFile?: string; keyFile?: string };
}

export interface EtcdFindings {
    readonly members: EtcdMember[];
    readonly kubeadm: KubeadmCluster[];
    readonly problems: string[];
}

const URL_DEFAULTS: Record<string, string> = {
    "listen-client-urls": "http://localhost:2379",
    "advertise-client-urls": "http://localhost:2379",
    "listen-peer-urls": "http://localhost:2380",
    "initial-advertise-peer-urls": "http://localhost:2380",
};
/** Flags that carry client or peer traffic (metrics URLs may stay plain http: they serve no data). */
const TRAFFIC_URLS = [...Object.keys(URL_DEFAULTS), "listen-client-http-urls", "initial-cluster"];
const CONFIG_KEYS = [...Object.keys(URL_DEFAULTS), "client-transport-security", "peer-transport-security", "initial-cluster"];
const BOOL_FLAGS = new Set(["client-cert-auth", "peer-client-cert-auth", "auto-tls", "peer-auto-tls", "strict-reconfig-check", "enable-pprof", "force-new-cluster", "enable-v2", "debug"]);
const TRANSPORT: Record<string, string> = { "cert-file": "cert-file", "key-file": "key-file", "client-cert-auth": "client-cert-auth", "trusted-ca-file": "trusted-ca-file", "auto-tls": "auto-tls" };

const text = (v: unknown) => (v === null || v === undefined ? "" : String(v));

/** etcd flags (`--name=value`, `--name value`, bare booleans) as settings. */
export function flagSettings(args: string[]): Settings {
    const out: Settings = new Map();
    for (let k = 0; k < args.length; k++) {
        const m = /^--?([a-z0-9-]+)(?:=(.*))?$/s.exec(args[k]);
        if (!m) continue;
        if (m[2] !== undefined) out.set(m[1], m[2]);
        else if (BOOL_FLAGS.has(m[1])) out.set(m[1], "true");
        else if (args[k + 1] !== undefined && !args[k + 1].startsWith("-")) out.set(m[1], args[++k]);
    }
    return out;
}

/** An etcd --config-file document as settings named like the flags. */
function configFileSettings(doc: Record<string, unknown>): Settings {
    const out: Settings = new Map();
    for (const [k, v] of Object.entries(doc)) if (!isRecord(v) && !Array.isArray(v)) out.set(k, text(v));
    for (const [section, prefix] of [
        ["client-transport-security", ""],
        ["peer-transport-security", "peer-"],
    ] as const) {
        const sec = doc[section];
        if (!isRecord(sec)) continue;
        for (const [k, flag] of Object.entries(TRANSPORT)) if (sec[k] !== undefined && sec[k] !== null) out.set(prefix + flag, text(sec[k]));
    }
    return out;
}

/** ETCD_* variables from an environment file or systemd `Environment=` lines. */
function envSettings(content: string): Settings {
    const out: Settings = new Map();
    const re = /(?:^|[\s"'])ETCD_([A-Z0-9_]+)=("[^"]*"|'[^']*'|[^\s"']*)/gm;
    for (const m of content.matchAll(re)) out.set(m[1].toLowerCase().replace(/_/g, "-"), m[2].replace(/^["']|["']$/g, ""));
    return out;
}

function argsMap(v: unknown): Settings {
    if (Array.isArray(v)) return new Map(records(v).map((a) => [text(a.name), text(a.value)]));
    return isRecord(v) ? new Map(Object.entries(v).map(([k, x]) => [k, text(x)])) : new Map();
}

function yamlDocs(content: string): Record<string, unknown>[] {
    try {
        return parseAllDocuments(content)
            .flatMap((d) => (Array.isArray(d) ? [] : [d.toJS() as unknown]))
            .filter(isRecord);
    } catch {
        return [];
    }
}

/** Finds every etcd member configuration and kubeadm ClusterConfiguration in a boot sequence. */
export function findEtcd(boot: Boot): EtcdFindings {
    const members: EtcdMember[] = [];
    const kubeadm: KubeadmCluster[] = [];
    const problems: string[] = [];
    const configFiles = new Map<string, Settings>();
    const env: Settings = new Map();
    const heredocs = boot.steps.flatMap((s) =>
        s.kind === "run" ? s.pipeline.filter((c) => c.heredoc !== undefined).map((c) => ({ path: c.redirects[0]?.target ?? "heredoc", content: c.heredoc! })) : [],
    );
    const commands: { origin: string; args: string[] }[] = [];
    for (const f of [...boot.files, ...heredocs]) {
        // A script's own variables are not etcd's environment: only env files and units count.
        if (!f.content.startsWith("#!")) for (const [k, v] of envSettings(f.content)) env.set(k, v);
        for (const doc of yamlDocs(f.content)) {
            if (CONFIG_KEYS.some((k) => k in doc)) configFiles.set(f.path, configFileSettings(doc));
            if (doc.kind === "ClusterConfiguration" && /^kubeadm\.k8s\.io\//.test(text(doc.apiVersion))) {
                const etcd = isRecord(doc.etcd) ? doc.etcd : {};
                const ext = isRecord(etcd.external) ? etcd.external : undefined;
                kubeadm.push({
                    origin: f.path,
                    certificatesDir: str(doc.certificatesDir),
                    // Without etcd.external kubeadm runs stacked (local) etcd, with or without an etcd.local section.
                    localExtraArgs: ext ? undefined : argsMap(isRecord(etcd.local) ? etcd.local.extraArgs : undefined),
                    external: ext && { endpoints: arr(ext.endpoints).map(text), caFile: str(ext.caFile), certFile: str(ext.certFile), keyFile: str(ext.keyFile) },
                });
            }
            if (doc.kind === "Pod") {
                for (const c of records((isRecord(doc.spec) ? doc.spec : {}).containers)) {
                    const argv = [...arr(c.command), ...arr(c.args)].map(text);
                    if (basename(argv[0] ?? "") === "etcd") commands.push({ origin: f.path, args: argv.slice(1) });
                }
            }
        }
        // Units are searched even when no script starts them: systemd may start them on its own.
        if (/^\s*\[Service\]/m.test(f.content)) {
            for (const p of parseScript(unitCommands(f.content))) for (const c of p) if (programOf(c.argv).name === "etcd") commands.push({ origin: f.path, args: programOf(c.argv).args });
        }
    }
    for (const s of boot.steps) {
        if (s.kind !== "run") continue;
        for (const c of s.pipeline) if (programOf(c.argv).name === "etcd") commands.push({ origin: s.origin, args: programOf(c.argv).args });
    }
    for (const c of commands.filter((c) => !c.args.some((a) => /^--?(version|help|h)$/.test(a)))) {
        // etcd ignores every other flag and variable when it is given a config file.
        const settings = new Map([...env, ...flagSettings(c.args)]);
        const file = settings.get("config-file");
        if (file === undefined) members.push({ origin: c.origin, settings });
        else if (configFiles.has(file)) members.push({ origin: file, settings: configFiles.get(file)! });
        else problems.push(`etcd in ${c.origin} reads --config-file ${file}, which the user data does not write`);
    }
    if (commands.length === 0) {
        for (const [origin, settings] of configFiles) members.push({ origin, settings });
        if (configFiles.size === 0 && env.size > 0) members.push({ origin: "ETCD_* environment", settings: env });
    }
    return { members, kubeadm, problems };
}

const isTrue = (v: string | undefined) => v?.toLowerCase() === "true";
const plainUrls = (v: string) =>
    v
        .split(",")
        .map((u) => u.trim().replace(/^[^=]*=(?=[a-z]+:\/\/)/, ""))
        .filter((u) => u && !/^(https|unixs):\/\//.test(u));

/** What is wrong with an etcd member's transport settings: plain-text URLs, missing client-cert auth, auto-TLS. */
export function memberProblems(settings: Settings): string[] {
    const out: string[] = [];
    for (const [key, def] of Object.entries(URL_DEFAULTS)) {
        const v = settings.get(key);
        if (v === undefined || v === "") out.push(`${key} is not set, so etcd uses ${def}`);
        else plainUrls(v).forEach((u) => out.push(`${key} has the plain-text URL ${u}`));
    }
    for (const key of ["initial-cluster", "listen-client-http-urls"]) plainUrls(settings.get(key) ?? "").forEach((u) => out.push(`${key} has the plain-text URL ${u}`));
    for (const [prefix, what] of [
        ["", "client"],
        ["peer-", "peer"],
    ] as const) {
        if (!isTrue(settings.get(`${prefix}client-cert-auth`))) out.push(`${prefix}client-cert-auth is not true: ${what} connections are not authenticated by certificate`);
        for (const f of ["trusted-ca-file", "cert-file", "key-file"]) if (!settings.get(prefix + f)) out.push(`${prefix}${f} is not set`);
        if (isTrue(settings.get(`${prefix}auto-tls`))) out.push(`${prefix}auto-tls is on: ${what} TLS would use unverifiable self-signed certificates`);
    }
    return out;
}

/** What is wrong with kubeadm's etcd section: extraArgs that weaken kubeadm's TLS defaults, or a plain external etcd. */
export function kubeadmProblems(k: KubeadmCluster): string[] {
    const out: string[] = [];
    for (const [name, value] of k.localExtraArgs ?? new Map<string, string>()) {
        if (/^(peer-)?client-cert-auth$/.test(name) && !isTrue(value)) out.push(`etcd.local.extraArgs sets ${name}=${value}`);
        if (/^(peer-)?auto-tls$/.test(name) && isTrue(value)) out.push(`etcd.local.extraArgs sets ${name}=${value}`);
        if (TRAFFIC_URLS.includes(name)) plainUrls(value).forEach((u) => out.push(`etcd.local.extraArgs ${name} has the plain-text URL ${u}`));
    }
    if (k.external) {
        k.external.endpoints.filter((e) => !e.startsWith("https://")).forEach((e) => out.push(`etcd.external endpoint ${e} is not https`));
        for (const f of ["caFile", "certFile", "keyFile"] as const) if (!k.external[f]) out.push(`etcd.external.${f} is not set`);
    }
    return out;
}
