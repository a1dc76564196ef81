/**
 * Files kube-apiserver reads besides its flags: the EncryptionConfiguration
 * for secrets at rest (a secret itself: delivered by the secrets unit onto
 * tmpfs, never in user data), the AuthenticationConfiguration that limits
 * anonymous requests to the endpoints bootstrap needs, and the audit policy.
 */
import { stringify } from "yaml";

export type EncryptionProvider = "secretbox" | "aescbc";

export interface EncryptionKey {
    /** Key name as it appears in the configuration (and in the stored data's prefix). */
    readonly name: string;
    /** Base64 of the raw key: 32 bytes for secretbox; 16, 24 or 32 for aescbc. */
    readonly secret: string;
}

export interface EncryptionConfigOptions {
    /**
     * secretbox (XSalsa20-Poly1305) is the default: rated "strongest" of the
     * local providers in https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/
     * (aescbc is "not recommended" there for padding-oracle reasons, but kept for FIPS-minded users).
     */
    readonly provider?: EncryptionProvider;
    /** Older keys, still accepted for reading during a rotation; the new key encrypts. */
    readonly previousKeys?: readonly EncryptionKey[];
}

function checkKey(provider: EncryptionProvider, key: EncryptionKey): EncryptionKey {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(key.name)) throw new Error(`encryption key name ${JSON.stringify(key.name)} is not a DNS label`);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key.secret)) throw new Error(`encryption key ${key.name} is not base64`);
    const bytes = Buffer.from(key.secret, "base64").length;
    const allowed = provider === "secretbox" ? [32] : [16, 24, 32];
    if (!allowed.includes(bytes)) throw new Error(`encryption key ${key.name} has ${bytes} bytes; ${provider} needs ${allowed.join(" or ")}`);
    return key;
}

/**
 * An apiserver.config.k8s.io/v1 EncryptionConfiguration that encrypts
 * Secrets with `key`, falling back to `identity` so Secrets written before
 * encryption was enabled stay readable.
 */
export function renderEncryptionConfig(key: EncryptionKey, opts: EncryptionConfigOptions = {}): string {
    const provider = opts.provider ?? "secretbox";
    const keys = [key, ...(opts.previousKeys ?? [])].map((k) => checkKey(provider, k));
    const names = new Set(keys.map((k) => k.name));
    if (names.size !== keys.length) throw new Error("encryption key names must be unique");
    return stringify({
        apiVersion: "apiserver.config.k8s.io/v1",
        kind: "EncryptionConfiguration",
        resources: [
            {
                resources: ["secrets"],
                providers: [{ [provider]: { keys: keys.map((k) => ({ name: k.name, secret: k.secret })) } }, { identity: {} }],
            },
        ],
    });
}

/**
 * Paths an unauthenticated client may reach. kubeadm relies on them: the
 * kubelet's and kubeadm's own probes of kube-apiserver hit /livez, /readyz
 * and /healthz without credentials, and `kubeadm join` bootstrap-token
 * discovery reads the kube-public/cluster-info ConfigMap anonymously (kubeadm
 * binds it to system:anonymous; with anonymous auth off, join loops on
 * "Unauthorized": kubernetes/kubeadm#663, Azure/aks-flex#61).
 */
export const ANONYMOUS_PATHS = ["/livez", "/readyz", "/healthz", "/api/v1/namespaces/kube-public/configmaps/cluster-info"] as const;

/**
 * apiserver.config.k8s.io/v1 AuthenticationConfiguration (structured
 * authentication configuration, GA in 1.34, KEP-3331) whose `anonymous`
 * block (KEP-4633, GA in 1.34) allows anonymous requests only on
 * ANONYMOUS_PATHS. This is CIS 1.2.1's "restrict anonymous requests" option
 * that does not break bootstrap. kube-apiserver rejects --anonymous-auth
 * together with an anonymous block in this file, so that flag is not set.
 * Valid for every pinned minor (1.35-1.37).
 */
export function renderAuthenticationConfig(): string {
    return stringify({
        apiVersion: "apiserver.config.k8s.io/v1",
        kind: "AuthenticationConfiguration",
        anonymous: { enabled: true, conditions: ANONYMOUS_PATHS.map((path) => ({ path })) },
    });
}

/**
 * An audit.k8s.io/v1 Policy: no health or metrics noise, never the bodies of
 * Secrets, ConfigMaps or token requests (metadata only), request bodies for
 * every change, metadata for everything else.
 */
export function renderAuditPolicy(): string {
    return stringify({
        apiVersion: "audit.k8s.io/v1",
        kind: "Policy",
        omitStages: ["RequestReceived"],
        rules: [
            { level: "None", nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version", "/metrics"] },
            { level: "None", users: ["system:kube-proxy"], verbs: ["watch"], resources: [{ group: "", resources: ["endpoints", "services", "services/status"] }] },
            { level: "None", userGroups: ["system:nodes"], verbs: ["get"], resources: [{ group: "", resources: ["nodes", "nodes/status"] }] },
            { level: "None", verbs: ["get", "update"], resources: [{ group: "coordination.k8s.io", resources: ["leases"] }] },
            {
                level: "Metadata",
                resources: [
                    { group: "", resources: ["secrets", "configmaps", "serviceaccounts/token"] },
                    { group: "authentication.k8s.io", resources: ["tokenreviews"] },
                    { group: "authorization.k8s.io", resources: ["subjectaccessreviews", "selfsubjectaccessreviews"] },
                ],
            },
            { level: "Request", verbs: ["create", "update", "patch", "delete", "deletecollection"] },
            { level: "Metadata" },
        ],
    });
}
