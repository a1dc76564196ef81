/**
 * The Kubernetes provider, mocked: every `kubernetes:*` object answers with its
 * inputs plus what the API server and the provider compute (uid,
 * resourceVersion, creationTimestamp, generation, the namespace a namespaced
 * object lands in, Pulumi's auto-name when metadata.name is unset), with the
 * id the provider reports (`<namespace>/<name>`, or `<name>` for
 * cluster-scoped kinds). A Helm release answers with the release status Helm
 * records after a first install.
 */
import { MockContext, MockResourceRequest, ProviderMock, ResourceMock } from "./types";
import { seededBytes } from "./deterministic";

const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

/** Kinds without a namespace (the ones the program creates and a few neighbours). */
const CLUSTER_SCOPED = new Set([
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "CSIDriver",
    "CustomResourceDefinition",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "IngressClass",
    "RuntimeClass",
    "VolumeAttachment",
]);

const hex = (ctx: MockContext, label: string, n: number) =>
    seededBytes(ctx, label, Math.ceil(n / 2))
        .toString("hex")
        .slice(0, n);

function uid(ctx: MockContext, label: string): string {
    const h = hex(ctx, label, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `kubernetes:apps/v1:DaemonSet` -> `DaemonSet`. */
export function kindOf(type: string): string {
    return type.slice(type.lastIndexOf(":") + 1);
}

/** Pulumi's Kubernetes auto-naming: the logical name, a dash and 8 lowercase hex digits. */
function autoName(ctx: MockContext, req: MockResourceRequest): string {
    return `${req.name}-${hex(ctx, `${req.type}::${req.name}::name`, 8)}`;
}

const objectMock: ResourceMock = (req, ctx) => {
    const kind = kindOf(req.type);
    const metadata = { ...(req.inputs.metadata ?? {}) } as Record<string, unknown>;
    const name = typeof metadata.name === "string" ? metadata.name : autoName(ctx, req);
    const scoped = CLUSTER_SCOPED.has(kind);
    const namespace = scoped ? undefined : typeof metadata.namespace === "string" ? metadata.namespace : "default";
    const label = `${req.type}::${req.name}`;
    const state: Record<string, unknown> = {
        ...req.inputs,
        metadata: {
            ...metadata,
            name,
            ...(namespace ? { namespace } : {}),
            uid: uid(ctx, label),
            resourceVersion: String(parseInt(hex(ctx, `${label}::rv`, 6), 16)),
            generation: 1,
            creationTimestamp: ctx.now.toISOString().replace(/\.\d{3}Z$/, "Z"),
        },
    };
    if (kind === "Namespace") state.status = { phase: "Active" };
    return { id: namespace ? `${namespace}/${name}` : name, state };
};

const releaseMock: ResourceMock = (req, ctx) => {
    const name = typeof req.inputs.name === "string" ? req.inputs.name : autoName(ctx, req);
    const namespace = typeof req.inputs.namespace === "string" ? req.inputs.namespace : "default";
    return {
        id: name,
        state: {
            ...req.inputs,
            name,
            namespace,
            status: {
                name,
                namespace,
                chart: req.inputs.chart,
                version: req.inputs.version,
                appVersion: req.inputs.version,
                revision: 1,
                status: "deployed",
            },
        },
    };
};

/** Resource types are open-ended (every API kind); the dispatcher asks `resources` by exact token, so answer through a Proxy. */
const resources = new Proxy({} as Record<string, ResourceMock>, {
    get: (_target, token) => {
        if (typeof token !== "string" || !token.startsWith("kubernetes:")) return undefined;
        return token === HELM_RELEASE ? releaseMock : objectMock;
    },
});

export const kubernetesMock: ProviderMock = {
    resources,
    calls: {},
    secretOutputs: {},
};
