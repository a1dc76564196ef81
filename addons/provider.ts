/**
 * The Kubernetes provider every addon is applied through: built from the
 * cluster's generated admin kubeconfig, and created only once the API server
 * answers. During `pulumi up` the kubeconfig is released to the provider only
 * after `GET https://<api>/readyz` returned 200 over TLS verified against the
 * cluster CA; a preview never waits (there is no cluster to ask yet).
 */
import * as https from "https";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface WaitForApiOptions {
    /** The API server URL, e.g. `https://api.prod.example.com:6443`. */
    readonly url: string;
    /** The cluster CA (PEM): the only CA the API server's certificate may chain to. */
    readonly caPem: string;
    /** Pause between attempts. Default 10 s. */
    readonly intervalMs?: number;
    /** Give up after this long. Default 20 min. */
    readonly timeoutMs?: number;
    /** Per-request timeout. Default 5 s. */
    readonly requestTimeoutMs?: number;
    /** Progress messages. Default: pulumi.log.info. */
    readonly log?: (message: string) => void;
}

/** Resolves once the API is ready; rejects with a message naming the URL, the bound and the last answer. */
export type WaitForApi = (options: WaitForApiOptions) => Promise<void>;

export const DEFAULT_WAIT_INTERVAL_MS = 10_000;
export const DEFAULT_WAIT_TIMEOUT_MS = 20 * 60_000;

interface ProbeResult {
    readonly ok: boolean;
    /** What the server (or the network) said, for the log and the final error. */
    readonly detail: string;
    /** A certificate that does not verify against the cluster CA: retrying cannot help, and must not be trusted. */
    readonly untrusted?: boolean;
}

/** OpenSSL/Node verification errors: the server is not who the cluster CA says it is. */
const TLS_VERIFY_ERRORS = new Set([
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "CERT_SIGNATURE_FAILURE",
    "CERT_UNTRUSTED",
    "CERT_REJECTED",
    "ERR_TLS_CERT_ALTNAME_INVALID",
    "CERT_HAS_EXPIRED",
    "CERT_NOT_YET_VALID",
    "INVALID_CA",
]);

/** The `/readyz` URL of an API server URL (any path on it is replaced). */
export function readyzUrl(apiUrl: string): string {
    const u = new URL(apiUrl);
    if (u.protocol !== "https:") throw new Error(`the API URL must be https: ${apiUrl}`);
    u.pathname = "/readyz";
    u.search = "";
    return u.toString();
}

function probe(url: string, caPem: string, timeoutMs: number): Promise<ProbeResult> {
    return new Promise((resolve) => {
        // ca replaces Node's default trust store: only the cluster CA is trusted. rejectUnauthorized is the default (true).
        const req = https.get(url, { ca: caPem, timeout: timeoutMs, headers: { accept: "text/plain" } }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (body = (body + chunk).slice(0, 512)));
            res.on("end", () => resolve({ ok: res.statusCode === 200, detail: `HTTP ${res.statusCode}${body.trim() ? `: ${body.trim().split("\n").slice(-1)[0]}` : ""}` }));
        });
        req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on("error", (err: NodeJS.ErrnoException) => {
            const code = err.code ?? "";
            resolve({ ok: false, detail: code ? `${code}: ${err.message}` : err.message, untrusted: TLS_VERIFY_ERRORS.has(code) });
        });
    });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `/readyz` until it returns 200, every `intervalMs` up to `timeoutMs`.
 * Connection errors and non-200 answers are retried; a certificate that does
 * not verify against the cluster CA fails at once.
 */
export const waitForApiReady: WaitForApi = async (options) => {
    const url = readyzUrl(options.url);
    const interval = options.intervalMs ?? DEFAULT_WAIT_INTERVAL_MS;
    const timeout = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    const log = options.log ?? ((m: string) => pulumi.log.info(m));
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
        const result = await probe(url, options.caPem, options.requestTimeoutMs ?? 5_000);
        const elapsed = Math.round((Date.now() - started) / 1000);
        if (result.ok) {
            log(`Kubernetes API ${url} is ready (attempt ${attempt}, ${elapsed}s)`);
            return;
        }
        if (result.untrusted) {
            throw new Error(`Kubernetes API ${url} presented a certificate that does not verify against the cluster CA (${result.detail}); refusing to use it`);
        }
        const left = timeout - (Date.now() - started);
        if (left <= 0) {
            throw new Error(`Kubernetes API ${url} was not ready after ${attempt} attempts in ${elapsed}s (limit ${Math.round(timeout / 1000)}s); last answer: ${result.detail}`);
        }
        log(`waiting for Kubernetes API ${url} (attempt ${attempt}, ${elapsed}s): ${result.detail}`);
        await sleep(Math.min(interval, left));
    }
};

/**
 * The wait used when no component passes its own. The offline render and the
 * tests run the program against mocked providers, with no cluster to answer:
 * tools/mocks replaces this with its stand-in for the Kubernetes API, as it
 * stands in for AWS.
 */
export const apiWaiter: { current: WaitForApi } = { current: waitForApiReady };

export interface ClusterProviderArgs {
    readonly clusterName: string;
    /** The generated admin kubeconfig (secret). */
    readonly kubeconfig: pulumi.Input<string>;
    /** The API server URL the kubeconfig points at. */
    readonly apiUrl: pulumi.Input<string>;
    readonly caCertPem: pulumi.Input<string>;
    /** Outputs the wait starts after (e.g. the control-plane instances' ids), so it does not start before they exist. */
    readonly after?: readonly pulumi.Input<unknown>[];
    /** Injected for tests; default apiWaiter.current (waitForApiReady). */
    readonly waitForApi?: WaitForApi;
    readonly waitIntervalMs?: number;
    readonly waitTimeoutMs?: number;
}

/** The kubeconfig, released only once the API answers (on `up`; at once on preview). Stays secret. */
export function readyKubeconfig(args: ClusterProviderArgs): pulumi.Output<string> {
    const wait = args.waitForApi ?? apiWaiter.current;
    return pulumi.secret(
        pulumi.all([args.kubeconfig, args.apiUrl, args.caCertPem, pulumi.all([...(args.after ?? [])])]).apply(async ([kubeconfig, url, caPem]) => {
            if (!pulumi.runtime.isDryRun()) {
                await wait({ url, caPem, intervalMs: args.waitIntervalMs, timeoutMs: args.waitTimeoutMs });
            }
            return kubeconfig;
        }),
    );
}

/**
 * The provider: server-side apply (field ownership shared cleanly with the
 * operators that also write these objects); deleteUnreachable so that
 * destroying the cluster does not strand its objects in the state once the
 * control plane is gone; clusterIdentifier so that a rotated admin
 * certificate (a new kubeconfig) updates the provider instead of replacing
 * every object applied through it.
 */
export function clusterProvider(name: string, args: ClusterProviderArgs, opts: pulumi.CustomResourceOptions): k8s.Provider {
    return new k8s.Provider(name, { kubeconfig: readyKubeconfig(args), enableServerSideApply: true, deleteUnreachable: true, clusterIdentifier: args.clusterName }, opts);
}
