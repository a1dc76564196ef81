/**
 * Shell-test helpers shared by every spec that checks or runs a script: the
 * one shellcheck invocation, temporary directories, executables (the stubs in
 * stubs.ts), a throwaway PKI made with openssl, free loopback ports, and real
 * etcd processes that are always killed in after().
 */
import { SHELLCHECK_FLAGS } from "../../tools/check/shellcheck";
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export function which(cmd: string): string | undefined {
    const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * The one shellcheck flag set (tools/check/shellcheck.ts SHELLCHECK_FLAGS), the same for the tests and
 * `npm run check`: every script judged as POSIX sh, at every severity down to style.
 */
export const SHELLCHECK_ARGS: readonly string[] = SHELLCHECK_FLAGS;

/** shellcheck's verdict on a script (read from stdin); throws when shellcheck cannot run at all. */
export function shellcheck(script: string): { status: number | null; out: string } {
    const r = spawnSync("shellcheck", [...SHELLCHECK_ARGS, "-"], { input: script, encoding: "utf8" });
    if (r.error) throw new Error(`shellcheck not runnable: ${r.error.message} (apt-get install shellcheck)`);
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Fails with shellcheck's findings unless the script is clean as POSIX sh. */
export function assertShellcheckClean(script: string, name: string): void {
    const r = shellcheck(script);
    assert.strictEqual(r.status, 0, `${name} has shellcheck findings:\n${r.out}`);
}

const tempDirs: string[] = [];

export function tempDir(prefix: string): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), `k8s-aws-${prefix}-`));
    tempDirs.push(d);
    return d;
}

export function removeTempDirs(): void {
    while (tempDirs.length > 0) fs.rmSync(tempDirs.pop()!, { recursive: true, force: true });
}

export function writeExecutable(file: string, text: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: 0o755 });
}

function run(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
    return spawnSync(cmd, args as string[], { encoding: "utf8", cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 30000 });
}

function mustRun(cmd: string, args: readonly string[], cwd: string): void {
    const r = run(cmd, args, { cwd });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
}

/** A CA (EC P-256) in dir/<name>.crt/.key. */
export function makeCa(dir: string, name: string): void {
    mustRun("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "1", "-subj", `/CN=${name}`], dir);
}

/** A leaf signed by ca, valid for server and client auth, with the given SANs. */
export function makeLeaf(dir: string, ca: string, name: string, sans: readonly string[]): void {
    const ext = path.join(dir, `${name}.ext`);
    fs.writeFileSync(ext, `subjectAltName=${sans.join(",")}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
    mustRun("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`], dir);
    mustRun("openssl", ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", `${name}.crt`, "-days", "1", "-extfile", ext], dir);
}

/** Distinct free TCP ports on 127.0.0.1 (all held open until every one is picked). */
export async function freePorts(n: number): Promise<number[]> {
    const servers: net.Server[] = [];
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
        const s = net.createServer();
        await new Promise<void>((resolve, reject) => s.listen(0, "127.0.0.1", resolve).on("error", reject));
        servers.push(s);
        ports.push((s.address() as net.AddressInfo).port);
    }
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    return ports;
}

/** The version ("3.4.23") of the etcd on PATH (or of the binary `etcd`), or undefined when etcd is absent. */
export function etcdVersion(etcd = "etcd"): string | undefined {
    if (etcd === "etcd" && (!which("etcd") || !which("etcdctl"))) return undefined;
    const m = /etcd Version: (\d+\.\d+\.\d+)/.exec(run(etcd, ["--version"]).stdout ?? "");
    return m?.[1];
}

const children: ChildProcess[] = [];

/** Starts `etcd --config-file <config>` (etcd from PATH, or the binary `etcd`) with its output in logFile. */
export function startEtcd(config: string, logFile: string, etcd = "etcd"): ChildProcess {
    const out = fs.openSync(logFile, "a");
    const child = spawn(etcd, ["--config-file", config], { stdio: ["ignore", out, out] });
    fs.closeSync(out);
    children.push(child);
    return child;
}

/** Stops every etcd this process started: SIGTERM, then SIGKILL after 3 s. */
export async function stopAllEtcd(): Promise<void> {
    const live = children.splice(0).filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(
        live.map(
            (c) =>
                new Promise<void>((resolve) => {
                    const kill = setTimeout(() => c.kill("SIGKILL"), 3000);
                    c.once("exit", () => {
                        clearTimeout(kill);
                        resolve();
                    });
                    c.kill("SIGTERM");
                }),
        ),
    );
}

export interface EtcdctlTls {
    cacert: string;
    cert: string;
    key: string;
}

export function etcdctl(endpoints: readonly string[], tls: Partial<EtcdctlTls>, args: readonly string[], timeoutMs = 15000): SpawnSyncReturns<string> {
    const flags = [`--endpoints=${endpoints.join(",")}`, "--dial-timeout=3s", "--command-timeout=5s"];
    if (tls.cacert) flags.push(`--cacert=${tls.cacert}`);
    if (tls.cert) flags.push(`--cert=${tls.cert}`);
    if (tls.key) flags.push(`--key=${tls.key}`);
    return run("etcdctl", [...flags, ...args], { env: { ...process.env, ETCDCTL_API: "3" }, timeoutMs });
}

/** Polls `ok` every 250 ms until it returns true or timeoutMs passes; returns the time taken in ms. */
export async function waitUntil(what: string, timeoutMs: number, ok: () => boolean): Promise<number> {
    const start = Date.now();
    while (Date.now() - start < timeoutMs) {
        if (ok()) return Date.now() - start;
        await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
