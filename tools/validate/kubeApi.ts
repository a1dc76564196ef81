/**
 * Read access to the Kubernetes API with the program's admin kubeconfig (a
 * client certificate, or a token, and the cluster CA inline).
 *
 * Why node:https rather than @kubernetes/client-node: its 2.x line needs
 * Node >= 22.19 (it depends on undici 8, whose package.json says
 * `engines.node >=22.19.0`), and we run on Node 20 (package.json engines);
 * 1.x is ESM only (`"type": "module"`), which our CommonJS tooling loads only
 * through require(esm), and brings openid-client, ws, tar-fs, socks and
 * @types/node 24 for what here is a handful of GETs. The kubeconfig fields
 * read are the documented ones
 * (https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/), and the
 * connection fails closed: the server must prove itself with the
 * kubeconfig's CA.
 */
import * as https from "https";
import { parse } from "yaml";

/** The API could not be asked (unreachable, refused credentials, unusable kubeconfig): exit 2, not "unhealthy". */
export class ConnectionError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ConnectionError";
    }
}

/** The API answered, but not with the object: a 5xx, a timeout behind a failing etcd. The cluster is unhealthy, not unreachable. */
export class ApiReadError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ApiReadError";
    }
}

export interface KubeTarget {
    readonly server: string;
    readonly ca?: Buffer;
    readonly cert?: Buffer;
    readonly key?: Buffer;
    readonly token?: string;
    /** tls-server-name of the cluster entry, when the certificate names another host than the URL. */
    readonly serverName?: string;
}

export interface KubeReply {
    readonly status: number;
    readonly body: string;
}

const b64 = (s: unknown): Buffer | undefined => (typeof s === "string" && s.length > 0 ? Buffer.from(s, "base64") : undefined);

/**
 * The current context's cluster and user. Only inline data is accepted: the
 * program's kubeconfig output carries its certificates inline, and a path in
 * a kubeconfig handed over as text would resolve against an unknown folder.
 * Errors name the field, never its value (it may be a key).
 */
export function kubeTargetFromKubeconfig(text: string): KubeTarget {
    let doc: any;
    try {
        doc = parse(text);
    } catch {
        throw new ConnectionError("kubeconfig: not valid YAML");
    }
    if (!doc || typeof doc !== "object") throw new ConnectionError("kubeconfig: not a kubeconfig (expected a mapping with clusters, users and contexts)");
    const named = (list: unknown, name: unknown) => (Array.isArray(list) ? list.find((e) => e && e.name === name) : undefined);
    const contextName = doc["current-context"] ?? (Array.isArray(doc.contexts) && doc.contexts.length === 1 ? doc.contexts[0].name : undefined);
    const context = named(doc.contexts, contextName)?.context;
    if (!context) throw new ConnectionError(`kubeconfig: current-context ${JSON.stringify(contextName ?? null)} names no context`);
    const cluster = named(doc.clusters, context.cluster)?.cluster;
    const user = named(doc.users, context.user)?.user ?? {};
    if (!cluster?.server) throw new ConnectionError(`kubeconfig: context ${JSON.stringify(contextName)} has no cluster with a server`);
    if (!/^https:\/\//.test(cluster.server)) throw new ConnectionError(`kubeconfig: server ${JSON.stringify(cluster.server)} is not valid; allowed: an https:// URL`);
    for (const [field, holder] of [
        ["certificate-authority", cluster],
        ["client-certificate", user],
        ["client-key", user],
    ] as const) {
        if (holder[field] && !holder[`${field}-data`])
            throw new ConnectionError(`kubeconfig: ${field} (a file path) is not supported; allowed: ${field}-data, as the stack's kubeconfig output has it`);
    }
    if (user.exec || user["auth-provider"]) throw new ConnectionError("kubeconfig: exec and auth-provider users are not supported; allowed: a client certificate or a token");
    return {
        server: String(cluster.server).replace(/\/+$/, ""),
        ca: b64(cluster["certificate-authority-data"]),
        cert: b64(user["client-certificate-data"]),
        key: b64(user["client-key-data"]),
        token: typeof user.token === "string" ? user.token : undefined,
        serverName: typeof cluster["tls-server-name"] === "string" ? cluster["tls-server-name"] : undefined,
    };
}

export class KubeClient {
    constructor(
        private readonly target: KubeTarget,
        private readonly timeoutMs = 10_000,
    ) {}

    /** Where the API is (for messages): the server URL, never credentials. */
    get server(): string {
        return this.target.server;
    }

    request(path: string): Promise<KubeReply> {
        const t = this.target;
        const url = new URL(t.server + path);
        return new Promise((resolve, reject) => {
            const req = https.request(
                {
                    method: "GET",
                    host: url.hostname,
                    port: url.port || 443,
                    path: url.pathname + url.search,
                    ca: t.ca,
                    cert: t.cert,
                    key: t.key,
                    servername: t.serverName,
                    headers: { Accept: "application/json", ...(t.token ? { Authorization: `Bearer ${t.token}` } : {}) },
                    timeout: this.timeoutMs,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
                    res.on("error", reject);
                },
            );
            req.on("timeout", () => req.destroy(new Error(`no answer within ${this.timeoutMs / 1000} s`)));
            req.on("error", (e) => reject(new ConnectionError(`cannot reach the Kubernetes API at ${t.server}: ${(e as Error).message}`)));
            req.end();
        });
    }

    /** GET a JSON object; undefined for 404; ConnectionError when the API refuses us (401/403) or fails. */
    async get<T = any>(path: string): Promise<T | undefined> {
        const r = await this.request(path);
        if (r.status === 404) return undefined;
        if (r.status === 401 || r.status === 403) throw new ConnectionError(`the Kubernetes API at ${this.server} refused the kubeconfig's credentials for GET ${path} (HTTP ${r.status})`);
        if (r.status !== 200) {
            let reason = r.body.slice(0, 200);
            try {
                reason = JSON.parse(r.body).message ?? reason;
            } catch {
                /* not a Status object: the text itself */
            }
            throw new ApiReadError(`HTTP ${r.status}: ${reason}`);
        }
        try {
            return JSON.parse(r.body) as T;
        } catch {
            throw new ApiReadError("the answer is not JSON");
        }
    }

    /** The items of a list (all pages). */
    async list<T = any>(path: string): Promise<T[]> {
        const items: T[] = [];
        let cont: string | undefined;
        do {
            const sep = path.includes("?") ? "&" : "?";
            const page = await this.get<{ items?: T[]; metadata?: { continue?: string } }>(`${path}${sep}limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`);
            items.push(...(page?.items ?? []));
            cont = page?.metadata?.continue || undefined;
        } while (cont);
        return items;
    }
}
