/**
 * The rendered control plane as real processes on 127.0.0.1 (issue 17): the secrets bucket's
 * control-plane objects and a slot's user-data files placed under a temporary root as an
 * instance's units place them; the real kubeadm of the pinned minor, chrooted into that root
 * (`kubeadm --rootfs`, a persistent flag of every kubeadm command:
 * kubernetes@v1.35.8:cmd/kubeadm/app/cmd/cmd.go), turns the slot's kubeadm-init.yaml into
 * certificates, kubeconfigs and static pod manifests; each manifest's own command line is then
 * started with its absolute paths moved under the root and its addresses moved to free ports on
 * 127.0.0.1, nothing else changed.
 */
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import { parse, parseAllDocuments, stringify } from "yaml";
import { decodeUserData } from "../support/userData";
import { EtcdTopology, audienceObjects, controlPlaneExtraObjects, objectKey } from "../../components/secrets/layout";
import { freePorts } from "../support/shell";
import { runStackFixture, unwrapSecrets } from "../support/harness";

export interface Rendered {
    readonly stack: string;
    readonly topology: EtcdTopology;
    /** The first control-plane slot. */
    readonly slot: string;
    /** Every control-plane slot. */
    readonly slots: readonly string[];
    /** Bucket object key -> content, secrets unwrapped. */
    readonly objects: ReadonlyMap<string, string>;
    /** The first slot's user data write_files, path -> content. */
    readonly files: ReadonlyMap<string, string>;
    /** Each slot's user data write_files. */
    readonly slotFiles: ReadonlyMap<string, ReadonlyMap<string, string>>;
    /** External etcd: each member's user data write_files, by member name (/etc/etcd/etcd.yaml and its scripts). */
    readonly etcdFiles: ReadonlyMap<string, ReadonlyMap<string, string>>;
    /** The program's admin kubeconfig output. */
    readonly adminKubeconfig: string;
    readonly outputs: Record<string, any>;
}

/** The stack rendered with the real clock (leaf certificates valid now), its first control-plane slot's material. */
export async function renderStack(stack: string): Promise<Rendered> {
    const run = await runStackFixture(stack, { now: new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000) });
    const outputs = unwrapSecrets(run.run.outputs) as Record<string, any>;
    const objects = new Map<string, string>();
    for (const r of run.ofType("aws:s3/bucketObjectv2:BucketObjectv2")) {
        const i = run.inputs(r);
        objects.set(String(i.key), String(i.content));
    }
    const slots = [...objects.keys()]
        .map((k) => /^control-plane\/slots\/([^/]+)\/kubeadm-init\.yaml$/.exec(k)?.[1])
        .filter((s): s is string => !!s)
        .sort();
    assert.ok(slots.length > 0, `${stack} renders no control-plane slot kubeadm-init.yaml`);
    const slotFiles = new Map<string, Map<string, string>>();
    const etcdFiles = new Map<string, Map<string, string>>();
    for (const lt of run.ofType("aws:ec2/launchTemplate:LaunchTemplate")) {
        const userData = run.inputs(lt).userData;
        if (typeof userData !== "string") continue;
        const text = decodeUserData(userData);
        if (!text.startsWith("#cloud-config")) continue;
        const files = new Map(((parse(text).write_files ?? []) as Array<{ path: string; content: string }>).map((f) => [f.path, f.content]));
        const etcdYaml = files.get("/etc/etcd/etcd.yaml");
        if (etcdYaml) etcdFiles.set(String(parse(etcdYaml).name), files);
        for (const slot of slots.filter((x) => text.includes(`control-plane/slots/${x}/`))) slotFiles.set(slot, files);
    }
    for (const slot of slots) assert.ok(slotFiles.has(slot), `no launch template ships slot ${slot}'s user data`);
    const topology: EtcdTopology = objects.has("control-plane/etcd/ca.key") ? "stacked" : "external";
    return { stack, topology, slot: slots[0], slots, objects, files: slotFiles.get(slots[0])!, slotFiles, etcdFiles, adminKubeconfig: String(outputs.kubeconfig), outputs };
}

/** Writes the control plane's bucket objects (PKI, encryption config, the slot's kubeadm files) and the slot's /etc/kubernetes user-data files under root. */
export function placeControlPlaneFiles(r: Rendered, root: string, slot = r.slot): void {
    const objs = [...audienceObjects({ kind: "control-plane" }, r.topology), ...controlPlaneExtraObjects([slot])];
    for (const o of objs) {
        const content = r.objects.get(objectKey(o));
        assert.ok(content !== undefined, `the render has no bucket object ${objectKey(o)}`);
        writeUnder(root, o.path, content, parseInt(o.mode, 8));
    }
    for (const [p, content] of r.slotFiles.get(slot)!) if (p.startsWith("/etc/kubernetes/")) writeUnder(root, p, content, 0o600);
}

/** An external etcd member as run here: its shipped /etc/etcd/etcd.yaml with paths under its root and addresses on free loopback ports. */
export interface LocalEtcdMember {
    readonly name: string;
    readonly root: string;
    readonly configFile: string;
    readonly endpoint: string;
    readonly config: Record<string, any>;
}

/**
 * Places each external etcd member's certificates (its bucket folder) and its shipped etcd.yaml
 * under root/<member>, with every address the shipped files name (members' DNS names and IPs on
 * the client and peer ports, its own loopback client and metrics ports) moved to free ports on
 * 127.0.0.1 and absolute paths moved under the member's root.
 */
export async function placeEtcdMembers(r: Rendered, dir: string): Promise<LocalEtcdMember[]> {
    const members = r.outputs.etcdMembers as Array<{ name: string; ip: string; dnsName: string }>;
    const ports = await freePorts(3 * members.length);
    const to = new Map<string, string>();
    members.forEach((m, j) => {
        for (const h of [m.dnsName, m.ip]) {
            to.set(`${h}:2379`, `127.0.0.1:${ports[3 * j]}`);
            to.set(`${h}:2380`, `127.0.0.1:${ports[3 * j + 1]}`);
        }
    });
    return members.map((m, i) => {
        const root = path.join(dir, m.name);
        for (const o of audienceObjects({ kind: "etcd", member: m.name }, "external")) writeUnder(root, o.path, r.objects.get(objectKey(o))!, parseInt(o.mode, 8));
        const own = new Map([...to, ["127.0.0.1:2379", `127.0.0.1:${ports[3 * i]}`], ["127.0.0.1:2381", `127.0.0.1:${ports[3 * i + 2]}`]]);
        const move = (v: unknown): any => {
            if (typeof v === "string" && v.startsWith("/")) return path.join(root, v);
            if (typeof v === "string" && v.includes("://")) {
                return [
                    ...new Set(
                        v.split(",").map((item) =>
                            item.replace(/([a-z0-9.-]+):(\d+)/g, (hp) => {
                                const mapped = own.get(hp);
                                if (!mapped) throw new Error(`${hp} in ${m.name}'s etcd.yaml is not an address this test remaps`);
                                return mapped;
                            }),
                        ),
                    ),
                ].join(",");
            }
            if (Array.isArray(v)) return v.map(move);
            if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, move(x)]));
            return v;
        };
        const shipped = parse(r.etcdFiles.get(m.name)!.get("/etc/etcd/etcd.yaml")!);
        const config = move(shipped);
        const configFile = writeUnder(root, "/etc/etcd/etcd.yaml", stringify(config));
        fs.mkdirSync(config["data-dir"], { recursive: true, mode: 0o700 });
        return { name: m.name, root, configFile, endpoint: `https://127.0.0.1:${ports[3 * i]}`, config };
    });
}

export function writeUnder(root: string, p: string, content: string, mode = 0o644): string {
    const file = path.join(root, p);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, content, { mode });
    return file;
}

/**
 * The slot's kubeadm documents with the API port moved to a free one, controlPlaneEndpoint to
 * 127.0.0.1 and (external etcd) etcd.external.endpoints to the local members. Every other field
 * is the rendered one. The advertise address stays the slot's: kubeadm replaces a loopback
 * advertiseAddress by the host's default-route interface address
 * (kubernetes@v1.35.8:cmd/kubeadm/app/util/config/common.go ChooseAPIServerBindAddress ->
 * apimachinery ResolveBindAddress), so it is moved to 127.0.0.1 in what kubeadm writes instead
 * (relocate, localKubeconfigs).
 */
export function localKubeadmConfig(text: string, apiPort: number, etcdEndpoints?: readonly string[]): string {
    const docs = parseAllDocuments(text).map((d) => d.toJSON());
    for (const d of docs) {
        if (d.kind === "InitConfiguration") d.localAPIEndpoint = { ...d.localAPIEndpoint, bindPort: apiPort };
        if (d.kind === "ClusterConfiguration") {
            d.controlPlaneEndpoint = `127.0.0.1:${apiPort}`;
            if (d.etcd?.external) {
                assert.ok(etcdEndpoints, "external etcd needs local endpoints");
                d.etcd.external.endpoints = etcdEndpoints;
            }
        }
    }
    return docs.map((d) => stringify(d)).join("---\n");
}

export function kubeadm(bin: string, root: string, args: readonly string[], timeoutMs = 120_000): string {
    const r = spawnSync(bin, ["--rootfs", root, ...args, "-v=1"], { encoding: "utf8", timeout: timeoutMs });
    assert.strictEqual(r.status, 0, `kubeadm ${args.join(" ")}: ${r.error ?? ""}\n${r.stdout}\n${r.stderr}`);
    return `${r.stdout}\n${r.stderr}`;
}

/** The static pod manifest's first container command. */
export function manifestCommand(root: string, name: string): string[] {
    const pod = parse(fs.readFileSync(path.join(root, "etc/kubernetes/manifests", `${name}.yaml`), "utf8"));
    const command = pod.spec.containers[0].command as string[];
    assert.ok(Array.isArray(command) && command[0] === name, `${name}.yaml runs ${command?.[0]}`);
    return command;
}

/** The advertise address of a slot's kubeadm InitConfiguration. */
export function advertiseAddress(text: string): string {
    const init = parseAllDocuments(text)
        .map((d) => d.toJSON())
        .find((d) => d.kind === "InitConfiguration");
    return String(init.localAPIEndpoint.advertiseAddress);
}

/**
 * A command line with absolute paths moved under root and addresses remapped: host:port pairs in
 * `to` ("host:port" -> "127.0.0.1:port"), and any other use of a host in `hosts` (the slot's
 * advertise address) moved to 127.0.0.1 on the same port. A list flag that becomes two equal
 * entries is deduplicated (kubeadm's stacked etcd listens on 127.0.0.1 and the advertise address).
 */
export function relocate(command: readonly string[], root: string, to: ReadonlyMap<string, string>, hosts: ReadonlySet<string> = new Set()): string[] {
    return command.slice(1).map((arg) => {
        const m = /^(--[^=]+)=(.*)$/.exec(arg);
        if (!m) return arg;
        const items = m[2].split(",").map((v) => {
            if (v.startsWith("/")) return path.join(root, v);
            if (hosts.has(v)) return "127.0.0.1";
            return v.replace(/(\d+\.\d+\.\d+\.\d+|localhost):(\d+)/g, (hp, h: string, port: string) => {
                const mapped = to.get(hp) ?? (hosts.has(h) ? (to.get(`127.0.0.1:${port}`) ?? `127.0.0.1:${port}`) : undefined);
                return mapped ?? hp;
            });
        });
        return `${m[1]}=${[...new Set(items)].join(",")}`;
    });
}

/** Points the kubeconfigs kubeadm wrote (controller-manager.conf, scheduler.conf, ...) at 127.0.0.1 instead of the advertise address. */
export function localKubeconfigs(root: string, advertise: string): void {
    const dir = path.join(root, "etc/kubernetes");
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".conf"))) {
        const file = path.join(dir, f);
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").split(`server: https://${advertise}:`).join("server: https://127.0.0.1:"));
    }
}

export function flag(args: readonly string[], name: string): string | undefined {
    const hit = args.find((a) => a.startsWith(`--${name}=`));
    return hit?.slice(name.length + 3);
}

const children = new Set<ChildProcess>();

export function startProcess(bin: string, args: readonly string[], log: string): ChildProcess {
    const out = fs.openSync(log, "a");
    const child = spawn(bin, args as string[], { stdio: ["ignore", out, out] });
    fs.closeSync(out);
    children.add(child);
    child.once("exit", () => children.delete(child));
    return child;
}

export const isUp = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;

/** SIGTERM every child still running, SIGKILL after 5 s. */
export async function stopAll(): Promise<void> {
    await Promise.all(
        [...children].filter(isUp).map(
            (c) =>
                new Promise<void>((resolve) => {
                    const kill = setTimeout(() => c.kill("SIGKILL"), 5000);
                    c.once("exit", () => {
                        clearTimeout(kill);
                        resolve();
                    });
                    c.kill("SIGTERM");
                }),
        ),
    );
}

export async function killAndWait(c: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (!isUp(c)) return;
    await new Promise<void>((resolve) => {
        c.once("exit", () => resolve());
        c.kill(signal);
    });
}

export interface Credentials {
    readonly ca: string;
    readonly cert?: string;
    readonly key?: string;
    readonly token?: string;
}
export interface Reply {
    readonly status: number;
    readonly body: string;
    readonly json?: any;
}

/** One HTTPS request to the apiserver, bounded; status 0 when the connection failed. */
export function request(base: string, creds: Credentials, method: string, p: string, body?: unknown, timeoutMs = 15_000, contentType = "application/json"): Promise<Reply> {
    const u = new URL(p, base);
    const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    return new Promise((resolve) => {
        const req = https.request(
            {
                host: u.hostname,
                port: u.port,
                path: `${u.pathname}${u.search}`,
                method,
                ca: creds.ca,
                cert: creds.cert,
                key: creds.key,
                timeout: timeoutMs,
                headers: { Accept: "application/json", ...(data ? { "Content-Type": contentType } : {}), ...(creds.token ? { Authorization: `Bearer ${creds.token}` } : {}) },
            },
            (res) => {
                let text = "";
                res.on("data", (c) => (text += c));
                res.on("end", () => {
                    let json: any;
                    try {
                        json = JSON.parse(text);
                    } catch {
                        json = undefined;
                    }
                    resolve({ status: res.statusCode ?? 0, body: text, json });
                });
            },
        );
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", (e) => resolve({ status: 0, body: String(e) }));
        if (data) req.write(data);
        req.end();
    });
}

/** What serverSideApplier returns: applies one object; dryRun=All unless dryRun is false. */
export type ServerSideApply = (o: any, dryRun?: boolean) => Promise<Reply>;

/**
 * Server-side apply (PATCH, application/apply-patch+yaml) with fieldValidation=Strict, as the
 * apiserver itself judges an object: its schema, unknown and duplicate fields, and its validation.
 * Each kind's resource comes from the apiserver's own discovery (read once here).
 */
export async function serverSideApplier(api: string, creds: Credentials): Promise<ServerSideApply> {
    const resources = new Map<string, { plural: string; namespaced: boolean }>();
    const groups = (await request(api, creds, "GET", "/apis")).json.groups as Array<{ versions: Array<{ groupVersion: string }> }>;
    for (const gv of ["v1", ...groups.flatMap((g) => g.versions.map((v) => v.groupVersion))]) {
        const list = (await request(api, creds, "GET", gv === "v1" ? "/api/v1" : `/apis/${gv}`)).json;
        for (const r of list.resources as Array<{ name: string; kind: string; namespaced: boolean }>)
            if (!r.name.includes("/")) resources.set(`${gv}/${r.kind}`, { plural: r.name, namespaced: r.namespaced });
    }
    return async (o, dryRun = true) => {
        const res = resources.get(`${o.apiVersion}/${o.kind}`);
        if (!res) return { status: -1, body: `the apiserver serves no ${o.apiVersion} ${o.kind}` };
        const base = o.apiVersion === "v1" ? "/api/v1" : `/apis/${o.apiVersion}`;
        const ns = res.namespaced ? `/namespaces/${o.metadata.namespace ?? "default"}` : "";
        const q = `fieldManager=k8s-aws-test&fieldValidation=Strict&force=true${dryRun ? "&dryRun=All" : ""}`;
        return request(api, creds, "PATCH", `${base}${ns}/${res.plural}/${o.metadata.name}?${q}`, JSON.stringify(o), 30_000, "application/apply-patch+yaml");
    };
}

/** The admin kubeconfig's credentials (first cluster/user), and its server. */
export function kubeconfigCredentials(text: string): Credentials & { server: string } {
    const k = parse(text);
    const b64 = (s: string) => Buffer.from(s, "base64").toString("utf8");
    return {
        server: k.clusters[0].cluster.server,
        ca: b64(k.clusters[0].cluster["certificate-authority-data"]),
        cert: b64(k.users[0].user["client-certificate-data"]),
        key: b64(k.users[0].user["client-key-data"]),
    };
}

/**
 * What `kubeadm init` does before its first API call (kubernetes@v1.35.8:cmd/kubeadm/app/phases/kubeconfig/kubeconfig.go
 * EnsureAdminClusterRoleBindingImpl): with super-admin.conf (system:masters), bind the admin.conf group
 * kubeadm:cluster-admins (the program's admin kubeconfig's group, components/pki/certs.ts) to cluster-admin.
 * Done here through the API because kubeadm dials the slot's advertise address for it
 * (EnsureAdminClusterRoleBinding points the kubeconfig at LocalAPIEndpoint), which is not on this machine.
 * Then the bootstrap-token phase runs with --kubeconfig super-admin.conf (not the default path, so kubeadm
 * uses the file as is).
 */
export async function bindClusterAdmins(api: string, superAdmin: Credentials): Promise<void> {
    const r = await request(api, superAdmin, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "kubeadm:cluster-admins" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "kubeadm:cluster-admins" }],
    });
    assert.ok(r.status === 201 || r.status === 409, `ClusterRoleBinding kubeadm:cluster-admins: ${r.status} ${r.body}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Thrown by an until() probe to stop waiting at once (a process it waits for has exited). */
export class Fatal extends Error {}

export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 250): Promise<{ value: T; ms: number }> {
    const t0 = Date.now();
    let last: unknown;
    while (Date.now() - t0 < timeoutMs) {
        try {
            const v = await probe();
            if (v !== undefined) return { value: v, ms: Date.now() - t0 };
        } catch (e) {
            if (e instanceof Fatal) throw e;
            last = e;
        }
        await sleep(everyMs);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`);
}

export { freePorts };
