/**
 * The Kubernetes side of a roll: plain HTTPS calls to the API server with the
 * kubeconfig's credentials (client certificate or token), only the calls the
 * executor makes. Paths and verbs as the API server serves them at the pinned
 * minors: Eviction is policy/v1 (POST .../pods/<name>/eviction; 429 while a
 * PodDisruptionBudget forbids it: https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/).
 */
import * as https from "https";
import { parse, parseDocument } from "yaml";
import type { Eviction, HealthGate, KubePort, PodRef } from "./ports";
import { instanceIdOfProviderId, LiveCluster, LiveNode } from "./state";

export interface KubeCredentials {
    readonly server: string;
    readonly ca: string;
    readonly cert?: string;
    readonly key?: string;
    readonly token?: string;
}

/** The current context's cluster and user from a kubeconfig (inline data, as the stack's kubeconfig output carries). */
export function credentialsFromKubeconfig(text: string): KubeCredentials {
    const k = parse(text);
    const ctxName = k["current-context"];
    const ctx = (k.contexts ?? []).find((c: any) => c.name === ctxName)?.context ?? k.contexts?.[0]?.context;
    const cluster = (k.clusters ?? []).find((c: any) => c.name === ctx?.cluster)?.cluster;
    const user = (k.users ?? []).find((u: any) => u.name === ctx?.user)?.user ?? {};
    if (!cluster?.server || !cluster["certificate-authority-data"]) throw new Error("the kubeconfig has no cluster with server and certificate-authority-data for its current context");
    const b64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, "base64").toString("utf8"));
    return { server: cluster.server, ca: b64(cluster["certificate-authority-data"])!, cert: b64(user["client-certificate-data"]), key: b64(user["client-key-data"]), token: user.token };
}

interface Reply {
    status: number;
    body: string;
}

function call(c: KubeCredentials, method: string, path: string, body?: unknown, contentType = "application/json"): Promise<Reply> {
    const url = new URL(path, c.server);
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
        const req = https.request(
            url,
            {
                method,
                ca: c.ca,
                cert: c.cert,
                key: c.key,
                headers: {
                    Accept: "application/json",
                    ...(c.token ? { Authorization: `Bearer ${c.token}` } : {}),
                    ...(data ? { "Content-Type": contentType, "Content-Length": Buffer.byteLength(data) } : {}),
                },
                timeout: 30_000,
            },
            (res) => {
                let text = "";
                res.setEncoding("utf8");
                res.on("data", (d) => (text += d));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
            },
        );
        req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
        req.on("error", reject);
        if (data) req.write(data);
        req.end();
    });
}

async function json(c: KubeCredentials, method: string, path: string, body?: unknown, contentType?: string): Promise<any> {
    const r = await call(c, method, path, body, contentType);
    if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${path}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body);
}

const isReady = (obj: any) => (obj?.status?.conditions ?? []).some((x: any) => x.type === "Ready" && x.status === "True");

function nodeOf(n: any): LiveNode {
    return {
        name: n.metadata.name,
        instanceId: instanceIdOfProviderId(n.spec?.providerID),
        kubeletVersion: n.status?.nodeInfo?.kubeletVersion ?? "",
        ready: isReady(n),
        unschedulable: n.spec?.unschedulable === true,
    };
}

/**
 * The budget a 429 names: the eviction handler adds a Status cause of type DisruptionBudget whose
 * message starts "The disruption budget <name> ..." (kubernetes/kubernetes
 * pkg/registry/core/pod/storage/eviction.go checkAndDecrement; test/real/rollKube.spec.ts reads it
 * from the pinned kube-apiserver).
 */
function blockingBudget(body: string): string | undefined {
    try {
        const causes = (JSON.parse(body)?.details?.causes ?? []) as { type?: string; reason?: string; message?: string }[];
        const cause = causes.find((x) => (x.type ?? x.reason) === "DisruptionBudget");
        return /^The disruption budget (\S+)/.exec(cause?.message ?? "")?.[1];
    } catch {
        return undefined;
    }
}

const KUBEADM_CONFIG = "/api/v1/namespaces/kube-system/configmaps/kubeadm-config";
const KUBELET_CONFIG = "/api/v1/namespaces/kube-system/configmaps/kubelet-config";
const KUBE_PROXY = "/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy";
const COREDNS = "/apis/apps/v1/namespaces/kube-system/deployments/coredns";

/** One RBAC object kubeadm keeps in the cluster, as kubeadm writes it. */
export interface KubeadmRbacObject {
    readonly kind: "ClusterRole" | "ClusterRoleBinding" | "Role" | "RoleBinding";
    readonly namespace?: string;
    readonly name: string;
    /** Which kubeadm phase writes it, for the plan's lines. */
    readonly phase: string;
    readonly rules?: readonly { readonly verbs: readonly string[]; readonly apiGroups: readonly string[]; readonly resources: readonly string[]; readonly resourceNames?: readonly string[] }[];
    readonly roleRef?: { readonly apiGroup: "rbac.authorization.k8s.io"; readonly kind: "ClusterRole" | "Role"; readonly name: string };
    readonly subjects?: readonly { readonly kind: "Group" | "User"; readonly name: string; readonly apiGroup: "rbac.authorization.k8s.io" }[];
}

const BOOTSTRAPPERS = "system:bootstrappers:kubeadm:default-node-token";
const group = (name: string) => ({ kind: "Group" as const, name, apiGroup: "rbac.authorization.k8s.io" as const });
const user = (name: string) => ({ kind: "User" as const, name, apiGroup: "rbac.authorization.k8s.io" as const });
const clusterRole = (name: string) => ({ apiGroup: "rbac.authorization.k8s.io" as const, kind: "ClusterRole" as const, name });
const role = (name: string) => ({ apiGroup: "rbac.authorization.k8s.io" as const, kind: "Role" as const, name });

/**
 * The RBAC objects `kubeadm upgrade apply` re-creates (its bootstrap-token and upload-config phases) plus
 * kubeadm:cluster-admins, which Cluster API's EnsureKubeadmPermissions adds before replacing machines
 * (kubernetes-sigs/cluster-api@v1.14.0:controlplane/kubeadm/pkg/workload_cluster_rbac.go, called first in
 * controlplane/kubeadm/reconcilers/kubeadmcontrolplane/update.go updateControlPlane). Every object here is
 * the same at kubeadm v1.35.8, v1.36.4 and v1.37.1 (kubernetes/kubernetes@v<patch>:cmd/kubeadm/app/phases/
 * bootstraptoken/node/tlsbootstrap.go, bootstraptoken/clusterinfo/clusterinfo.go, uploadconfig/uploadconfig.go,
 * kubelet/config.go CreateConfigMap, kubeconfig/kubeconfig.go EnsureAdminClusterRoleBinding; the files are equal
 * across the three tags), and test/real/rollClusterConfig.spec.ts compares them with what each real kubeadm
 * writes. A kubeadm of a future minor that adds one adds it here. The roll only creates those missing, as
 * Cluster API does (an operator's edit of an existing one is kept).
 */
export const KUBEADM_RBAC: readonly KubeadmRbacObject[] = [
    { kind: "ClusterRoleBinding", name: "kubeadm:kubelet-bootstrap", phase: "bootstrap-token", roleRef: clusterRole("system:node-bootstrapper"), subjects: [group(BOOTSTRAPPERS)] },
    { kind: "ClusterRole", name: "kubeadm:get-nodes", phase: "bootstrap-token", rules: [{ verbs: ["get"], apiGroups: [""], resources: ["nodes"] }] },
    { kind: "ClusterRoleBinding", name: "kubeadm:get-nodes", phase: "bootstrap-token", roleRef: clusterRole("kubeadm:get-nodes"), subjects: [group(BOOTSTRAPPERS)] },
    {
        kind: "ClusterRoleBinding",
        name: "kubeadm:node-autoapprove-bootstrap",
        phase: "bootstrap-token",
        roleRef: clusterRole("system:certificates.k8s.io:certificatesigningrequests:nodeclient"),
        subjects: [group(BOOTSTRAPPERS)],
    },
    {
        kind: "ClusterRoleBinding",
        name: "kubeadm:node-autoapprove-certificate-rotation",
        phase: "bootstrap-token",
        roleRef: clusterRole("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient"),
        subjects: [group("system:nodes")],
    },
    {
        kind: "ClusterRoleBinding",
        name: "kubeadm:apiserver-kubelet-client",
        phase: "bootstrap-token",
        roleRef: clusterRole("system:kubelet-api-admin"),
        subjects: [user("kube-apiserver-kubelet-client")],
    },
    {
        kind: "Role",
        namespace: "kube-public",
        name: "kubeadm:bootstrap-signer-clusterinfo",
        phase: "bootstrap-token",
        rules: [{ verbs: ["get"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["cluster-info"] }],
    },
    {
        kind: "RoleBinding",
        namespace: "kube-public",
        name: "kubeadm:bootstrap-signer-clusterinfo",
        phase: "bootstrap-token",
        roleRef: role("kubeadm:bootstrap-signer-clusterinfo"),
        subjects: [user("system:anonymous")],
    },
    {
        kind: "Role",
        namespace: "kube-system",
        name: "kubeadm:nodes-kubeadm-config",
        phase: "upload-config kubeadm",
        rules: [{ verbs: ["get"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["kubeadm-config"] }],
    },
    {
        kind: "RoleBinding",
        namespace: "kube-system",
        name: "kubeadm:nodes-kubeadm-config",
        phase: "upload-config kubeadm",
        roleRef: role("kubeadm:nodes-kubeadm-config"),
        subjects: [group(BOOTSTRAPPERS), group("system:nodes")],
    },
    {
        kind: "Role",
        namespace: "kube-system",
        name: "kubeadm:kubelet-config",
        phase: "upload-config kubelet",
        rules: [{ verbs: ["get"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["kubelet-config"] }],
    },
    {
        kind: "RoleBinding",
        namespace: "kube-system",
        name: "kubeadm:kubelet-config",
        phase: "upload-config kubelet",
        roleRef: role("kubeadm:kubelet-config"),
        subjects: [group("system:nodes"), group(BOOTSTRAPPERS)],
    },
    { kind: "ClusterRoleBinding", name: "kubeadm:cluster-admins", phase: "init (admin.conf)", roleRef: clusterRole("cluster-admin"), subjects: [group("kubeadm:cluster-admins")] },
];

/** `ClusterRoleBinding kubeadm:get-nodes`, `Role kube-public/kubeadm:bootstrap-signer-clusterinfo`. */
export const rbacKey = (o: Pick<KubeadmRbacObject, "kind" | "namespace" | "name">) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ""}${o.name}`;

function rbacPath(o: KubeadmRbacObject, named = true): string {
    const plural = `${o.kind.toLowerCase()}s`;
    const base = `/apis/rbac.authorization.k8s.io/v1${o.namespace ? `/namespaces/${o.namespace}` : ""}/${plural}`;
    return named ? `${base}/${encodeURIComponent(o.name)}` : base;
}

/** The object as the API takes it. */
export function rbacManifest(o: KubeadmRbacObject): Record<string, unknown> {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: o.kind,
        metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) },
        ...(o.rules ? { rules: o.rules } : {}),
        ...(o.roleRef ? { roleRef: o.roleRef } : {}),
        ...(o.subjects ? { subjects: o.subjects } : {}),
    };
}

/**
 * What evicting a pod loses, by kubectl drain's own filters (kubernetes/kubectl@v0.35.7, the newest tag of
 * the 1.35 line the mirror holds, pkg/drain/filters.go: unreplicatedFilter, no controller ownerReference
 * (metav1.GetControllerOf); localStorageFilter, an emptyDir volume). A finished pod (Succeeded or Failed)
 * loses nothing, as both filters say.
 */
function podLosses(p: any): string[] {
    if (p.status?.phase === "Succeeded" || p.status?.phase === "Failed") return [];
    const out: string[] = [];
    if (!(p.metadata.ownerReferences ?? []).some((o: any) => o.controller === true)) out.push("no controller recreates it");
    const emptyDirs = ((p.spec?.volumes ?? []) as any[]).filter((v) => v.emptyDir !== undefined).map((v) => v.name as string);
    if (emptyDirs.length > 0) out.push(`its emptyDir data (${emptyDirs.join(", ")}) is deleted`);
    return out;
}

export function kubePort(c: KubeCredentials): KubePort {
    const nodes = async () => ((await json(c, "GET", "/api/v1/nodes")).items as any[]).map(nodeOf);
    return {
        nodes,
        async cluster(): Promise<LiveCluster> {
            const version = (await json(c, "GET", "/version")).gitVersion as string;
            const cm = await call(c, "GET", KUBEADM_CONFIG);
            const kubeadm = cm.status === 200 ? parse(JSON.parse(cm.body).data?.ClusterConfiguration ?? "")?.kubernetesVersion : undefined;
            const ds = await call(c, "GET", KUBE_PROXY);
            const proxy = ds.status === 200 ? (JSON.parse(ds.body).spec.template.spec.containers as any[]).find((x) => x.name === "kube-proxy")?.image : undefined;
            const dns = await call(c, "GET", COREDNS);
            const coreDns = dns.status === 200 ? (JSON.parse(dns.body).spec.template.spec.containers as any[]).find((x) => x.name === "coredns")?.image : undefined;
            const missingKubeadmRbac: string[] = [];
            for (const o of KUBEADM_RBAC) {
                const r = await call(c, "GET", rbacPath(o));
                if (r.status === 404) missingKubeadmRbac.push(rbacKey(o));
                else if (r.status !== 200) throw new Error(`GET ${rbacPath(o)}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
            }
            const kubeletConfig = await call(c, "GET", KUBELET_CONFIG);
            if (kubeletConfig.status !== 200 && kubeletConfig.status !== 404) throw new Error(`GET ${KUBELET_CONFIG}: HTTP ${kubeletConfig.status}: ${kubeletConfig.body.slice(0, 300)}`);
            return {
                apiServerVersion: version,
                kubeadmKubernetesVersion: kubeadm,
                kubeProxyImage: proxy,
                coreDnsImage: coreDns,
                missingKubeadmRbac,
                kubeletConfigPresent: kubeletConfig.status === 200,
                nodes: await nodes(),
            };
        },
        async cordon(name) {
            await json(c, "PATCH", `/api/v1/nodes/${encodeURIComponent(name)}`, { spec: { unschedulable: true } }, "application/merge-patch+json");
        },
        async podsOn(name): Promise<PodRef[]> {
            const pods = (await json(c, "GET", `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${name}`)}`)).items as any[];
            // As `kubectl drain --ignore-daemonsets`: DaemonSet pods would come straight back, mirror pods are the kubelet's static pods.
            return pods.map((p) => ({
                namespace: p.metadata.namespace,
                name: p.metadata.name,
                skip: (p.metadata.ownerReferences ?? []).some((o: any) => o.kind === "DaemonSet") || p.metadata.annotations?.["kubernetes.io/config.mirror"] !== undefined,
                loses: podLosses(p),
            }));
        },
        async evict(namespace, name): Promise<Eviction> {
            const r = await call(c, "POST", `/api/v1/namespaces/${namespace}/pods/${name}/eviction`, { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace } });
            if (r.status === 201 || r.status === 200) return { result: "evicted" };
            if (r.status === 404) return { result: "gone" };
            if (r.status === 429) return { result: "blocked", budget: blockingBudget(r.body) };
            throw new Error(`evicting ${namespace}/${name}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
        },
        async etcdMemberHealthy(nodeName) {
            // The stacked member is kubeadm's static pod etcd-<node>; its readiness probe is etcd's own /readyz.
            const r = await call(c, "GET", `/api/v1/namespaces/kube-system/pods/etcd-${encodeURIComponent(nodeName)}`);
            return r.status === 200 && isReady(JSON.parse(r.body));
        },
        async setKubeadmKubernetesVersion(version) {
            const cm = await json(c, "GET", KUBEADM_CONFIG);
            // Only kubernetesVersion changes; the rest of the document stays as kubeadm wrote it.
            const doc = parseDocument(cm.data.ClusterConfiguration);
            doc.set("kubernetesVersion", version);
            cm.data.ClusterConfiguration = doc.toString();
            // PUT with the read resourceVersion: a concurrent change fails (409) instead of being overwritten.
            await json(c, "PUT", KUBEADM_CONFIG, cm);
        },
        async setKubeProxyImage(image) {
            await json(c, "PATCH", KUBE_PROXY, { spec: { template: { spec: { containers: [{ name: "kube-proxy", image }] } } } }, "application/strategic-merge-patch+json");
        },
        async createKubeadmRbac(keys) {
            for (const key of keys) {
                const o = KUBEADM_RBAC.find((x) => rbacKey(x) === key);
                if (!o) throw new Error(`internal: ${key} is not one of kubeadm's RBAC objects`);
                const r = await call(c, "POST", rbacPath(o, false), rbacManifest(o));
                // 409: created meanwhile (another roll, a kubeadm run): kept as it is, as Cluster API's EnsureResource does.
                if (r.status !== 201 && r.status !== 409) throw new Error(`creating ${key}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
            }
        },
        async setCoreDnsImage(image) {
            // As Cluster API's patchCoreDNSDeploymentImage (workload_cluster_coredns.go): only the coredns container's image.
            await json(c, "PATCH", COREDNS, { spec: { template: { spec: { containers: [{ name: "coredns", image }] } } } }, "application/strategic-merge-patch+json");
        },
    };
}

/**
 * The fallback gate, when the stack file cannot be read for `npm run validate`'s validateCluster (issue 20)
 * (same result shape): the API server's /readyz (which includes its etcd check)
 * and every node Ready.
 */
export function readinessGate(c: KubeCredentials, port: KubePort = kubePort(c)): HealthGate {
    return async () => {
        const readyz = await call(c, "GET", "/readyz").catch((e: Error) => ({ status: 0, body: e.message }));
        const nodes = await port.nodes().catch(() => [] as LiveNode[]);
        const results = [
            { check: "apiserver-readyz", where: c.server, ok: readyz.status === 200, message: readyz.status === 200 ? "ok" : `HTTP ${readyz.status}: ${readyz.body.slice(0, 200)}` },
            ...nodes.map((n) => ({ check: "node-ready", where: n.name, ok: n.ready, message: n.ready ? "Ready" : "not Ready" })),
        ];
        return { healthy: results.every((r) => r.ok) && nodes.length > 0, results };
    };
}
