/**
 * `kops validate cluster` for this program: read the cluster through its
 * admin kubeconfig (and its Auto Scaling groups through AWS when asked), and
 * judge it against what the stack configuration says it should be.
 * The library entry: the CLI (cli.ts) and `roll` call validateCluster and
 * waitUntilHealthy.
 */
import { clusterGroups, AwsAccess } from "./autoScaling";
import { allChecks, CheckResult, ClusterSnapshot, LEADER_LEASES } from "./checks";
import type { ExpectedCluster } from "./expected";
import { ApiReadError, ConnectionError, KubeClient, kubeTargetFromKubeconfig } from "./kubeApi";

export type { CheckResult } from "./checks";
export type { ExpectedCluster } from "./expected";
export { expectedFromStack } from "./expected";
export { ConnectionError } from "./kubeApi";

/** AWS could not be asked (no or refused credentials, unreachable endpoint): exit 2 like a connection error. */
export class AwsError extends Error {
    constructor(message: string) {
        super(`AWS: ${message}`);
        this.name = "AwsError";
    }
}

export interface ValidationReport {
    readonly healthy: boolean;
    readonly results: CheckResult[];
}

/** How long a kubelet serving CSR may wait for approval before it counts as a failure. */
export const DEFAULT_CSR_MAX_AGE_MS = 5 * 60_000;

export interface ValidateOptions {
    /** The admin kubeconfig, as YAML text (the stack output `kubeconfig`). Never printed. */
    readonly kubeconfig: string;
    readonly expected: ExpectedCluster;
    /** The clock the ages are measured with. Default: now. */
    readonly now?: Date;
    /** Ask AWS for the cluster's Auto Scaling groups; omitted: the configuration's counts only. */
    readonly aws?: AwsAccess;
    /** Default DEFAULT_CSR_MAX_AGE_MS. */
    readonly csrMaxAgeMs?: number;
    /** Per-request timeout. Default 10 s. */
    readonly requestTimeoutMs?: number;
}

async function snapshot(api: KubeClient, opts: ValidateOptions): Promise<ClusterSnapshot> {
    const e = opts.expected;
    // /readyz first: an unreachable API or refused credentials end here with a ConnectionError.
    const readyz = await api.request("/readyz?verbose");
    if (readyz.status === 401 || readyz.status === 403) throw new ConnectionError(`the Kubernetes API at ${api.server} refused the kubeconfig's credentials (HTTP ${readyz.status})`);
    // An apiserver that is not ready (etcd failing) can still answer from its watch cache:
    // resourceVersion=0 asks for that (any age) instead of a read through etcd
    // (https://kubernetes.io/docs/reference/using-api/api-concepts/#semantics-for-get-and-list).
    const rv = readyz.status === 200 ? "" : "resourceVersion=0";
    const q = (p: string) => (rv ? `${p}${p.includes("?") ? "&" : "?"}${rv}` : p);
    const readErrors: CheckResult[] = [];
    // A read the API fails (5xx, no answer in time) is a failure row and leaves its checks out; refused credentials still end the run.
    const tolerant = async <T>(what: string, read: Promise<T>): Promise<T | undefined> => {
        try {
            return await read;
        } catch (err) {
            if (err instanceof ApiReadError || (err instanceof ConnectionError && !/refused the kubeconfig's credentials/.test(err.message))) {
                readErrors.push({ check: "api read", where: what, ok: false, message: `the API could not list them: ${err.message}` });
                return undefined;
            }
            throw err;
        }
    };
    const path = (kind: "DaemonSet" | "Deployment", ns: string, name: string) => `/apis/apps/v1/namespaces/${ns}/${kind === "DaemonSet" ? "daemonsets" : "deployments"}/${name}`;
    const [nodes, pods, workloads, csrs, leases, groups] = await Promise.all([
        tolerant("nodes", api.list(q("/api/v1/nodes"))),
        tolerant(
            "system pods",
            Promise.all(e.systemNamespaces.map((ns) => api.list(q(`/api/v1/namespaces/${ns}/pods`)))).then((p) => p.flat()),
        ),
        tolerant(
            "system workloads",
            Promise.all(e.workloads.map(async (w) => [`${w.namespace}/${w.name}`, await api.get(q(path(w.kind, w.namespace, w.name)))] as const)).then((l) => new Map(l)),
        ),
        tolerant("certificate signing requests", api.list(q("/apis/certificates.k8s.io/v1/certificatesigningrequests"))),
        tolerant(
            "leader leases",
            Promise.all(LEADER_LEASES.map(async (l) => [l, await api.get(q(`/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${l}`))] as const)).then((l) => new Map(l)),
        ),
        opts.aws
            ? clusterGroups(opts.aws, e.clusterTag).catch((err: Error) =>
                  Promise.reject(new AwsError(`cannot read the cluster's Auto Scaling groups: ${err.name}: ${String(err.message).split("\n")[0]}`)),
              )
            : Promise.resolve(undefined),
    ]);
    return { readyz, nodes, pods, workloads, csrs, leases, groups, readErrors };
}

/**
 * One validation pass. Rejects with ConnectionError when the API cannot be asked
 * (unreachable, credentials refused, unusable kubeconfig); an AWS error rejects as itself.
 */
export async function validateCluster(opts: ValidateOptions): Promise<ValidationReport> {
    const api = new KubeClient(kubeTargetFromKubeconfig(opts.kubeconfig), opts.requestTimeoutMs);
    const snap = await snapshot(api, opts);
    const results = allChecks(opts.expected, snap, { now: opts.now ?? new Date(), csrMaxAgeMs: opts.csrMaxAgeMs ?? DEFAULT_CSR_MAX_AGE_MS });
    return { healthy: results.every((r) => r.ok), results };
}

export interface WaitOptions {
    readonly timeoutMs: number;
    /** Between passes. Default 10 s. */
    readonly intervalMs?: number;
    /** Called after each pass that is not yet healthy (or could not connect), with how long is left. */
    readonly onProgress?: (p: { readonly attempt: number; readonly elapsedMs: number; readonly report?: ValidationReport; readonly error?: Error }) => void;
}

/**
 * Validates until healthy or the timeout. A connection error during the wait counts as
 * "not yet" (an API behind a rolling control plane drops connections); after the timeout
 * the last report is returned, or the last connection error thrown when no pass got through.
 */
export async function waitUntilHealthy(opts: Omit<ValidateOptions, "now">, wait: WaitOptions): Promise<ValidationReport> {
    const start = Date.now();
    const interval = wait.intervalMs ?? 10_000;
    let last: ValidationReport | undefined;
    let lastError: Error | undefined;
    for (let attempt = 1; ; attempt++) {
        try {
            last = await validateCluster(opts);
            lastError = undefined;
            if (last.healthy) return last;
        } catch (e) {
            if (!(e instanceof ConnectionError) && !(e instanceof AwsError)) throw e;
            lastError = e;
        }
        const elapsedMs = Date.now() - start;
        wait.onProgress?.({ attempt, elapsedMs, report: lastError ? undefined : last, error: lastError });
        if (elapsedMs + interval > wait.timeoutMs) break;
        await new Promise((r) => setTimeout(r, interval));
    }
    if (lastError) throw lastError;
    return last!;
}
