/**
 * `npm run tools:real`: builds the real components at the pinned versions into the
 * version-keyed cache (tools/real/pins.ts cacheRoot(), by default ~/.cache/k8s-aws/), one
 * thing at a time under `nice -n 10`, from the Go module proxy (wrapper modules in
 * tools/real/go/) and PyPI (tools/real/python/). Idempotent: a group whose inputs have not
 * changed is skipped, so a warm run only prints the paths. Each build is measured with
 * /usr/bin/time -v (wall time, peak memory of the largest process) and the figures, the cache
 * size and each tool's own version output are kept in <group>/.built.json and in toolchain.json.
 * A version the proxy refuses is reported with its exact error and nothing else is put in its
 * place; the other groups still build, and the exit status is 0 unless a build failed.
 */
import { spawnSync, SpawnSyncOptions } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_KUBERNETES_MINOR, ETCD_VERSION, KUBERNETES_RELEASES, SUPPORTED_KUBERNETES_MINORS } from "../../config/versions";
import {
    AWSCLI_VERSION,
    CONTROL_PLANE_BINARIES,
    HELM_VERSION,
    KUBERNETES_PROXY_SUBSTITUTES,
    MOTO_VERSION,
    PULUMI_LANGUAGE_NODEJS,
    PULUMI_VERSION,
    cacheRoot,
    dirs,
    kubernetesBuiltVersion,
} from "./pins";

const GO_DIR = path.join(__dirname, "go");
const ROOT = cacheRoot();
const GO_ENV = {
    ...process.env,
    GOCACHE: path.join(ROOT, "go", "build-cache"),
    GOMODCACHE: path.join(ROOT, "go", "mod-cache"),
    GOFLAGS: "-mod=readonly -buildvcs=false",
    GOTOOLCHAIN: "local",
    CGO_ENABLED: "0",
};

interface Measured {
    tool: string;
    seconds: number;
    peakMiB: number;
    cpuSeconds?: number;
}
interface GroupRecord {
    group: string;
    version: string;
    inputsHash: string;
    builtAt: string;
    tools: Record<string, { path: string; seconds: number; cpuSeconds?: number; peakMiB: number; version: string }>;
    sizeMiB: number;
    note?: string;
}
interface Refusal {
    module: string;
    version: string;
    error: string;
    consequence: string;
}

const started = Date.now();
const refusals: Refusal[] = [];
const failures: string[] = [];
const records: GroupRecord[] = [];

function log(message: string): void {
    const t = ((Date.now() - started) / 1000).toFixed(1).padStart(7);
    process.stdout.write(`[tools:real ${t}s] ${message}\n`);
}

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): { status: number; stdout: string; stderr: string } {
    const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...opts });
    return { status: r.status ?? 1, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") + (r.error ? String(r.error) : "") };
}

/** Runs a build command niced and measured; throws with its output when it fails. */
function measured(tool: string, cmd: string, args: string[], opts: SpawnSyncOptions): Measured {
    const timeFile = path.join(ROOT, `.time-${process.pid}`);
    const r = run("nice", ["-n", "10", "/usr/bin/time", "-v", "-o", timeFile, cmd, ...args], opts);
    const report = fs.existsSync(timeFile) ? fs.readFileSync(timeFile, "utf8") : "";
    fs.rmSync(timeFile, { force: true });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
    const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(report);
    const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
    if (!wall || !rss) throw new Error(`could not read /usr/bin/time -v output for ${tool}:\n${report}`);
    const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
    // CPU time (user + system) says what a build costs on an idle machine; wall time depends on the load.
    const cpu = ["User", "System"].map((k) => Number(new RegExp(`${k} time \\(seconds\\): ([\\d.]+)`).exec(report)?.[1] ?? 0));
    return { tool, seconds, cpuSeconds: Math.round(cpu[0] + cpu[1]), peakMiB: Math.round(Number(rss[1]) / 1024) };
}

function hashInputs(parts: string[]): string {
    const h = crypto.createHash("sha256");
    for (const p of parts) h.update(fs.existsSync(p) ? fs.readFileSync(p) : p).update("\0");
    return h.digest("hex");
}

function dirSizeMiB(dir: string): number {
    const r = run("du", ["-sk", dir]);
    return Math.round(Number(r.stdout.split(/\s/)[0]) / 1024);
}

function versionOf(bin: string, how: string[] | ((bin: string) => string)): string {
    if (typeof how === "function") return how(bin);
    const r = run(bin, how, { timeout: 60_000 });
    return (r.stdout + r.stderr).trim();
}

/** Reads a wrapper module's go.mod requirement, so a pin that moved without its wrapper is caught. */
function requiredVersion(moduleDir: string, modulePath: string): string | undefined {
    const gomod = fs.readFileSync(path.join(moduleDir, "go.mod"), "utf8");
    const m = new RegExp(`^\\s*(?:require\\s+)?${modulePath.replace(/[.]/g, "\\.")}\\s+(v\\S+)`, "m").exec(gomod);
    return m?.[1];
}

/** The proxy's error in its own words, with the proxy's address written as `$GOPROXY` (our logs and notes name no registry host). */
export function withoutProxyHost(message: string): string {
    return message.replace(/reading https?:\/\/[^/\s]+\//g, "reading $GOPROXY/");
}

/** Asks the proxy for one module version; returns the exact error when it is refused. */
function proxyRefusal(module: string, version: string): string | undefined {
    const r = run("go", ["mod", "download", "-json", `${module}@${version}`], { cwd: GO_DIR, env: GO_ENV });
    if (r.status === 0) return undefined;
    const json = /"Error":\s*"((?:[^"\\]|\\.)*)"/.exec(r.stdout);
    return withoutProxyHost(json ? JSON.parse(`"${json[1]}"`) : (r.stdout + r.stderr).trim());
}

interface GroupSpec {
    group: string;
    version: string;
    dir: string;
    inputs: string[];
    note?: string;
    /** Builds into dir; returns one measurement per tool. */
    build: (dir: string) => Measured[];
    /** The arguments that make each tool print its version, or a function that asks another way. */
    versionArgs: Record<string, string[] | ((bin: string) => string)>;
}

function ensureGroup(spec: GroupSpec): void {
    const dir = path.join(ROOT, spec.dir);
    const stampFile = path.join(dir, ".built.json");
    const inputsHash = hashInputs(spec.inputs);
    if (fs.existsSync(stampFile)) {
        const stamp = JSON.parse(fs.readFileSync(stampFile, "utf8")) as GroupRecord;
        if (stamp.inputsHash === inputsHash && Object.values(stamp.tools).every((t) => fs.existsSync(t.path))) {
            for (const [name, t] of Object.entries(stamp.tools)) log(`cached ${name.padEnd(24)} ${t.path}`);
            records.push(stamp);
            return;
        }
        log(`${spec.group} ${spec.version}: inputs changed, rebuilding`);
    }
    log(`building ${spec.group} ${spec.version} into ${dir}`);
    // Build beside the cache entry and swap it in only when complete: a failed or interrupted
    // build never removes tools that work. (A venv records its own path, so it is built in place.)
    const inPlace = spec.group === "aws-python";
    const work = inPlace ? dir : `${dir}.partial-${process.pid}`;
    fs.rmSync(work, { recursive: true, force: true });
    if (inPlace) fs.rmSync(stampFile, { force: true });
    fs.mkdirSync(work, { recursive: true });
    try {
        const measures = spec.build(work);
        const tools: GroupRecord["tools"] = {};
        for (const m of measures) {
            const rel = m.tool === "aws" || m.tool === "moto_server" ? path.join("venv", "bin", m.tool) : m.tool;
            const version = versionOf(path.join(work, rel), spec.versionArgs[m.tool] ?? ["version"]);
            tools[m.tool] = { path: path.join(dir, rel), seconds: m.seconds, cpuSeconds: m.cpuSeconds, peakMiB: m.peakMiB, version };
            log(`built  ${m.tool.padEnd(24)} ${path.join(dir, rel)} (${m.seconds.toFixed(0)} s wall, ${m.cpuSeconds ?? "?"} s CPU, peak ${m.peakMiB} MiB)`);
        }
        const record: GroupRecord = {
            group: spec.group,
            version: spec.version,
            inputsHash,
            builtAt: new Date().toISOString(),
            tools,
            sizeMiB: dirSizeMiB(work),
            note: spec.note,
        };
        fs.writeFileSync(path.join(work, ".built.json"), `${JSON.stringify(record, null, 2)}\n`);
        if (!inPlace) {
            fs.rmSync(dir, { recursive: true, force: true });
            fs.renameSync(work, dir);
        }
        records.push(record);
    } catch (e) {
        if (!inPlace) fs.rmSync(work, { recursive: true, force: true });
        failures.push(`${spec.group} ${spec.version}: ${(e as Error).message}`);
        log(`FAILED ${spec.group} ${spec.version}: ${(e as Error).message.split("\n").slice(-15).join("\n")}`);
    }
}

function goBuild(moduleDir: string, outDir: string, tool: string, pkg: string, ldflags: string[]): Measured {
    return measured(tool, "go", ["build", "-p", "2", "-trimpath", "-ldflags", ["-s", "-w", ...ldflags].join(" "), "-o", path.join(outDir, tool), pkg], {
        cwd: moduleDir,
        env: GO_ENV,
    });
}

function goInputs(moduleDir: string, extra: string[] = []): string[] {
    const files = fs
        .readdirSync(moduleDir)
        .filter((f) => /^(go\.mod|go\.sum|.*\.go)$/.test(f))
        .map((f) => path.join(moduleDir, f));
    return [...files, run("go", ["version"]).stdout.trim(), ...extra];
}

function kubernetesGroup(minor: keyof typeof KUBERNETES_RELEASES, binaries: readonly string[]): GroupSpec | undefined {
    const pinned = KUBERNETES_RELEASES[minor];
    const version = kubernetesBuiltVersion(minor);
    const moduleDir = path.join(GO_DIR, `kubernetes-${minor}`);
    const required = requiredVersion(moduleDir, "k8s.io/kubernetes");
    if (required !== `v${version}`) {
        failures.push(
            `${moduleDir}/go.mod requires k8s.io/kubernetes ${required}, but v${version} is to be built: run tools/real/gomod-kubernetes.sh ${version}${binaries.length === 1 ? " kubeadm-only" : ""}`,
        );
        return undefined;
    }
    const substitute = KUBERNETES_PROXY_SUBSTITUTES[pinned];
    if (substitute) {
        refusals.push({
            module: "k8s.io/kubernetes",
            version: `v${pinned}`,
            error: substitute.error,
            consequence: `built v${substitute.built}, the nearest ${minor} patch the proxy serves (cache ${binaries.length === 1 ? dirs.kubeadm(version) : dirs.kubernetes(version)})`,
        });
    }
    const [major, minorNumber] = version.split(".");
    return {
        group: binaries.length === 1 ? "kubeadm" : "kubernetes",
        version,
        dir: binaries.length === 1 ? dirs.kubeadm(version) : dirs.kubernetes(version),
        inputs: goInputs(moduleDir, [...binaries]),
        note: substitute ? `pinned ${pinned} is refused by the Go module proxy; ${version} built instead` : undefined,
        build: (out) => {
            // The release's own build stamps these (kubernetes@v1.35.8:hack/lib/version.sh, add_ldflag); it sets
            // gitCommit/gitTreeState only when the commit is known, which the module proxy does not tell.
            const info = JSON.parse(run("go", ["list", "-m", "-json", "k8s.io/kubernetes"], { cwd: moduleDir, env: GO_ENV }).stdout) as { Time: string };
            const stamp = { gitVersion: `v${version}`, gitMajor: major, gitMinor: minorNumber, buildDate: info.Time.replace(/\.\d+Z$/, "Z") };
            const ldflags = Object.entries(stamp).flatMap(([k, v]) => [`-X k8s.io/component-base/version.${k}=${v}`, `-X k8s.io/client-go/pkg/version.${k}=${v}`]);
            return binaries.map((b) => goBuild(moduleDir, out, b, `k8s.io/kubernetes/cmd/${b}`, ldflags));
        },
        versionArgs: Object.fromEntries(binaries.map((b) => [b, b === "kubeadm" ? ["version", "-o", "short"] : ["--version"]])),
    };
}

function groups(): GroupSpec[] {
    const specs: (GroupSpec | undefined)[] = [];
    const etcdDir = path.join(GO_DIR, "etcd");
    if (requiredVersion(etcdDir, "go.etcd.io/etcd/server/v3") !== `v${ETCD_VERSION}`) {
        failures.push(`tools/real/go/etcd/go.mod does not require go.etcd.io/etcd/server/v3 v${ETCD_VERSION} (config/versions.ts ETCD_VERSION)`);
    } else {
        specs.push({
            group: "etcd",
            version: ETCD_VERSION,
            dir: dirs.etcd(ETCD_VERSION),
            inputs: goInputs(etcdDir),
            build: (out) => [
                goBuild(etcdDir, out, "etcd", ".", []),
                goBuild(etcdDir, out, "etcdctl", "go.etcd.io/etcd/etcdctl/v3", []),
                goBuild(etcdDir, out, "etcdutl", "go.etcd.io/etcd/etcdutl/v3", []),
            ],
            versionArgs: { etcd: ["--version"], etcdctl: ["version"], etcdutl: ["version"] },
        });
    }
    specs.push(kubernetesGroup(DEFAULT_KUBERNETES_MINOR, CONTROL_PLANE_BINARIES));
    for (const minor of SUPPORTED_KUBERNETES_MINORS.filter((m) => m !== DEFAULT_KUBERNETES_MINOR)) specs.push(kubernetesGroup(minor, ["kubeadm"]));

    const helmDir = path.join(GO_DIR, "helm");
    if (requiredVersion(helmDir, "helm.sh/helm/v4") !== `v${HELM_VERSION}`) {
        failures.push(`tools/real/go/helm/go.mod does not require helm.sh/helm/v4 v${HELM_VERSION} (tools/real/pins.ts HELM_VERSION)`);
    } else {
        specs.push({
            group: "helm",
            version: HELM_VERSION,
            dir: dirs.helm(HELM_VERSION),
            inputs: goInputs(helmDir),
            // helm@v4.3.2:Makefile stamps the version and, for a tagged build, an empty metadata.
            build: (out) => [
                goBuild(helmDir, out, "helm", "helm.sh/helm/v4/cmd/helm", [`-X helm.sh/helm/v4/internal/version.version=v${HELM_VERSION}`, "-X helm.sh/helm/v4/internal/version.metadata="]),
            ],
            versionArgs: { helm: ["version"] },
        });
    }

    const pulumiDir = path.join(GO_DIR, "pulumi");
    if (requiredVersion(pulumiDir, "github.com/pulumi/pulumi/pkg/v3") !== `v${PULUMI_VERSION}` || requiredVersion(pulumiDir, "github.com/pulumi/pulumi/sdk/v3") !== `v${PULUMI_VERSION}`) {
        failures.push(`tools/real/go/pulumi/go.mod does not require pkg/v3 and sdk/v3 at v${PULUMI_VERSION} (package.json @pulumi/pulumi)`);
    } else {
        specs.push({
            group: "pulumi",
            version: PULUMI_VERSION,
            dir: dirs.pulumi(PULUMI_VERSION),
            inputs: goInputs(pulumiDir),
            // pulumi/pulumi@v3.248.0:Makefile (bin/pulumi) stamps the version with this -X flag, no build tags.
            build: (out) => [goBuild(pulumiDir, out, "pulumi", "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi", [`-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_VERSION}`])],
            versionArgs: { pulumi: ["version"] },
        });
    }

    const pyDir = path.join(__dirname, "python");
    specs.push({
        group: "aws-python",
        version: `moto ${MOTO_VERSION}, awscli ${AWSCLI_VERSION}`,
        dir: dirs.python(),
        inputs: [path.join(pyDir, "requirements.lock"), run("python3", ["--version"]).stdout.trim()],
        build: (out) => {
            const venv = path.join(out, "venv");
            const create = measured("venv", "python3", ["-m", "venv", venv], { env: process.env });
            const install = measured("pip", path.join(venv, "bin", "pip"), ["install", "--no-input", "--disable-pip-version-check", "-r", path.join(pyDir, "requirements.lock")], { env: process.env });
            const seconds = create.seconds + install.seconds;
            const cpuSeconds = (create.cpuSeconds ?? 0) + (install.cpuSeconds ?? 0);
            const peakMiB = Math.max(create.peakMiB, install.peakMiB);
            // One install makes both commands; the figures are the install's, given once.
            return [
                { tool: "aws", seconds, cpuSeconds, peakMiB },
                { tool: "moto_server", seconds: 0, cpuSeconds: 0, peakMiB: 0 },
            ];
        },
        versionArgs: {
            aws: ["--version"],
            // moto_server has no --version; the package in the same venv says it.
            moto_server: (bin) => `moto ${run(path.join(path.dirname(bin), "python"), ["-c", "import moto; print(moto.__version__)"]).stdout.trim()}`,
        },
    });
    return specs.filter((s): s is GroupSpec => s !== undefined);
}

/**
 * One build at a time per cache: a second `npm run tools:real` (another worktree, CI) waits
 * for the first instead of building the same folders under it. A lock left by a dead process is taken over.
 */
function lockCache(): void {
    const lock = path.join(ROOT, ".lock");
    for (let waited = 0; ; waited++) {
        try {
            fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
            const release = () => fs.rmSync(lock, { force: true });
            process.on("exit", release);
            for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130));
            return;
        } catch {
            const holder = Number(fs.existsSync(lock) ? fs.readFileSync(lock, "utf8") : 0);
            let alive: boolean;
            try {
                process.kill(holder, 0);
                alive = holder > 0;
            } catch {
                alive = false;
            }
            if (!alive) {
                fs.rmSync(lock, { force: true });
                continue;
            }
            if (waited % 12 === 0) log(`waiting for the build running as pid ${holder} (${lock})`);
            spawnSync("sleep", ["5"]);
        }
    }
}

function main(): void {
    fs.mkdirSync(ROOT, { recursive: true });
    lockCache();
    if (!fs.existsSync("/usr/bin/time")) {
        process.stderr.write("tools:real needs /usr/bin/time (Debian package `time`): apt-get install -y time\n");
        process.exit(2);
    }
    log(`cache ${ROOT}; ${run("go", ["version"]).stdout.trim()}; ${run("python3", ["--version"]).stdout.trim()}`);
    const specs = groups();
    for (const spec of specs) ensureGroup(spec);

    // Not buildable: say so with the proxy's own words, every run, and substitute nothing.
    const cachedRefusals = path.join(ROOT, "refused.json");
    const probeKey = `${PULUMI_LANGUAGE_NODEJS.module}@${PULUMI_LANGUAGE_NODEJS.version}`;
    const previous = fs.existsSync(cachedRefusals) ? (JSON.parse(fs.readFileSync(cachedRefusals, "utf8")) as Record<string, string | null>) : {};
    const cachedError = previous[probeKey];
    const langError = probeKey in previous ? (cachedError ? withoutProxyHost(cachedError) : undefined) : proxyRefusal(PULUMI_LANGUAGE_NODEJS.module, PULUMI_LANGUAGE_NODEJS.version);
    fs.writeFileSync(cachedRefusals, `${JSON.stringify({ ...previous, [probeKey]: langError ?? null }, null, 2)}\n`);
    if (langError) {
        refusals.push({ ...PULUMI_LANGUAGE_NODEJS, error: langError, consequence: "not built; nothing substituted (pulumi-language-nodejs is absent)" });
    } else {
        failures.push(`${probeKey} is now served by the proxy: add it to tools/real/go/pulumi/go.mod and build it`);
    }

    const manifest = {
        cache: ROOT,
        builtBy: "npm run tools:real",
        groups: records,
        refused: refusals,
        failures,
    };
    fs.writeFileSync(path.join(ROOT, "toolchain.json"), `${JSON.stringify(manifest, null, 2)}\n`);

    log("summary (cold build figures as measured when each group was built):");
    for (const r of records) {
        for (const [name, t] of Object.entries(r.tools)) {
            log(
                `  ${name.padEnd(24)} ${r.version.padEnd(28)} ${t.seconds.toFixed(0).padStart(5)} s wall ${String(t.cpuSeconds ?? "?").padStart(5)} s CPU ${String(t.peakMiB).padStart(6)} MiB  ${t.path}`,
            );
        }
        log(`  ${"".padEnd(24)} cache ${r.sizeMiB} MiB${r.note ? `; ${r.note}` : ""}`);
    }
    for (const r of refusals) log(`refused by the Go module proxy: ${r.module}@${r.version}: ${r.error.replace(/\n\s*/g, " ")} -> ${r.consequence}`);
    for (const f of failures) log(`FAILED: ${f.split("\n")[0]}`);
    log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s; manifest ${path.join(ROOT, "toolchain.json")}`);
    process.exit(failures.length > 0 ? 1 : 0);
}

main();
