/**
 * kubeadm configuration (kubeadm.k8s.io/v1beta4) for the control-plane slots
 * and for node pools. Field names follow
 * https://kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta4/;
 * v1beta4 turned every extraArgs map into a list of {name, value}.
 *
 * The rendered files carry the bootstrap token: the wiring delivers them as
 * secret objects onto tmpfs (paths.KUBEADM_INIT_CONFIG / KUBEADM_JOIN_CONFIG),
 * never in user data.
 */
import { stringify } from "yaml";
import { kubeletConfigurationDoc, kubeProxyConfigurationDoc, KubeProxyMode } from "./kubelet";
import { API_SERVER_PORT, AUDIT_LOG_DIR, AUDIT_POLICY, AUTHENTICATION_CONFIG, ENCRYPTION_CONFIG, ETCD_DATA_DIR, ETCD_TUNING, EtcdTuning, KUBERNETES_PKI_DIR, TLS_CIPHER_SUITES } from "./paths";
import { check } from "./shell";

export interface Arg {
    readonly name: string;
    readonly value: string;
}
const args = (pairs: ReadonlyArray<readonly [string, string]>): Arg[] => pairs.map(([name, value]) => ({ name, value }));

export type EtcdTopology =
    | { readonly mode: "stacked"; readonly dataDir?: string; readonly tuning?: EtcdTuning }
    | {
          readonly mode: "external";
          /** https://<member dns>:2379 per member. */
          readonly endpoints: readonly string[];
          readonly caFile?: string;
          readonly certFile?: string;
          readonly keyFile?: string;
      };

export interface KubeadmClusterInputs {
    readonly clusterName: string;
    /** Full patch release, e.g. "1.35.9" (config/versions.ts). */
    readonly kubernetesVersion: string;
    /** The stable API name and port, e.g. "api.prod.k8s.example.net:6443". */
    readonly controlPlaneEndpoint: string;
    /** Extra apiserver certificate SANs (apiServerCertSANs builds the usual list). */
    readonly certSANs: readonly string[];
    readonly podSubnet: string;
    readonly serviceSubnet: string;
    readonly etcd: EtcdTopology;
    /** The cluster's key algorithm, so kubeadm-made leaves match the pre-generated CAs. */
    readonly pki: { readonly algorithm: "ECDSA" | "RSA"; readonly rsaBits: 2048 | 3072 | 4096; readonly leafValidityHours: number };
    readonly kubeProxy?: KubeProxyMode;
    readonly protectKernelDefaults?: boolean;
    readonly audit?: { readonly maxAgeDays: number; readonly maxBackups: number; readonly maxSizeMB: number };
}

export interface ControlPlaneNodeInputs {
    /** The slot's fixed IP (its ENI at device index 1): apiserver and stacked etcd advertise and bind on it. */
    readonly advertiseAddress: string;
    /** false: the default node-role.kubernetes.io/control-plane:NoSchedule taint; true: no taints. */
    readonly schedulable: boolean;
    /**
     * Leave unset: kubeadm then names the node after the hostname, which the
     * slot bootstrap sets to the instance's private DNS name (IMDS
     * local-hostname) on every boot. The AWS cloud controller looks nodes up
     * by that name (or by providerID), and kubeadm passes --hostname-override
     * only when name and hostname differ, so no override is needed.
     */
    readonly nodeName?: string;
}

export interface BootstrapTokenSpec {
    /** [a-z0-9]{6}.[a-z0-9]{16} */
    readonly token: string;
    /** Go duration; "0s" never expires. Replacement slots and pool nodes join with it long after init. */
    readonly ttl: string;
    readonly description?: string;
}

export interface JoinDiscovery {
    /** controlPlaneEndpoint: the stable API name and port. */
    readonly apiServerEndpoint: string;
    readonly token: string;
    /** "sha256:<hex>" of the cluster CA's public key (caCertHash). */
    readonly caCertHashes: readonly string[];
}

const CRI_SOCKET = "unix:///run/containerd/containerd.sock";

/**
 * kubeadm's own API calls during init and control-plane join go to
 * controlPlaneEndpoint, which with several slots is the internal NLB
 * (endpoint.ts). A target registered moments ago is only routed to once it
 * has passed the health check and the registration has propagated, which can
 * take minutes on a new balancer; kubeadm's default per-call timeout (1 m,
 * v1beta4 Timeouts.kubernetesAPICall, kubernetes/kubernetes#122529) would
 * fail the init meanwhile (kubernetes/kubeadm#1168 is this very case on AWS).
 */
const KUBEADM_TIMEOUTS = { kubernetesAPICall: "5m0s" } as const;
const TOKEN_RE = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

const yamlDocs = (docs: ReadonlyArray<Record<string, unknown> | undefined>): string =>
    docs
        .filter((d): d is Record<string, unknown> => d !== undefined)
        .map((d) => stringify(d, { lineWidth: 0 }))
        .join("---\n");

/** "sha256:<hex>" of a CA certificate's SubjectPublicKeyInfo: one implementation, with the PKI. */
export { caCertHash } from "../pki/join";

/**
 * The apiserver certificate's extra SANs: the stable API name, the load
 * balancer's DNS name, every slot's fixed IP, loopback. kubeadm adds the
 * node name, advertise address, the first service IP and
 * kubernetes.default.svc.<domain> by itself; they are listed again here so
 * the certificate does not depend on kubeadm defaults.
 */
export function apiServerCertSANs(o: { apiName: string; loadBalancerDnsName?: string; slotIps: readonly string[]; dnsDomain?: string }): string[] {
    const domain = o.dnsDomain ?? "cluster.local";
    const all = [o.apiName, o.loadBalancerDnsName, ...o.slotIps, "127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", `kubernetes.default.svc.${domain}`];
    return [...new Set(all.filter((s): s is string => !!s))];
}

function encryptionAlgorithm(pki: KubeadmClusterInputs["pki"]): string {
    return pki.algorithm === "ECDSA" ? "ECDSA-P256" : `RSA-${pki.rsaBits}`;
}

function controlPlaneRegistration(node: ControlPlaneNodeInputs): Record<string, unknown> {
    check("ipv4", "advertiseAddress", node.advertiseAddress);
    return {
        ...(node.nodeName ? { name: check("dns", "nodeName", node.nodeName) } : {}),
        criSocket: CRI_SOCKET,
        imagePullPolicy: "IfNotPresent",
        // kubelet --cloud-provider=external: registers the node with the
        // node.cloudprovider.kubernetes.io/uninitialized taint until the AWS
        // cloud controller fills in addresses, zone and providerID. node-ip
        // pins the InternalIP to the fixed IP (the CCM checks it against the
        // instance's addresses via alpha.kubernetes.io/provided-node-ip).
        kubeletExtraArgs: args([
            ["cloud-provider", "external"],
            ["node-ip", node.advertiseAddress],
        ]),
        // nil taints = kubeadm's control-plane NoSchedule taint; [] = none (v1beta4 NodeRegistrationOptions.taints).
        ...(node.schedulable ? { taints: [] } : {}),
    };
}

function etcdSection(etcd: EtcdTopology): Record<string, unknown> {
    if (etcd.mode === "external") {
        if (etcd.endpoints.length === 0) throw new Error("external etcd needs at least one endpoint");
        etcd.endpoints.forEach((e) => {
            if (!/^https:\/\/[a-z0-9.-]+:\d+$/.test(e)) throw new Error(`etcd endpoint ${e} is not https://<host>:<port>`);
        });
        return {
            external: {
                endpoints: [...etcd.endpoints],
                caFile: etcd.caFile ?? `${KUBERNETES_PKI_DIR}/etcd/ca.crt`,
                certFile: etcd.certFile ?? `${KUBERNETES_PKI_DIR}/apiserver-etcd-client.crt`,
                keyFile: etcd.keyFile ?? `${KUBERNETES_PKI_DIR}/apiserver-etcd-client.key`,
            },
        };
    }
    const t = etcd.tuning ?? ETCD_TUNING;
    return {
        local: {
            dataDir: check("absPath", "etcd dataDir", etcd.dataDir ?? ETCD_DATA_DIR),
            // Only cluster-wide values: ClusterConfiguration is stored in the
            // kubeadm-config ConfigMap and reused by every joining slot, so
            // per-node flags (listen/advertise URLs, name) must NOT go here.
            // kubeadm derives them from each node's advertiseAddress:
            // listen-client-urls=https://127.0.0.1:2379,https://<ip>:2379,
            // advertise-client-urls / listen-peer-urls /
            // initial-advertise-peer-urls on <ip>, metrics on
            // http://127.0.0.1:2381 (phases/etcd/local.go getEtcdCommand).
            extraArgs: args([
                ["heartbeat-interval", String(t.heartbeatIntervalMs)],
                ["election-timeout", String(t.electionTimeoutMs)],
                ["snapshot-count", String(t.snapshotCount)],
                ["quota-backend-bytes", String(t.quotaBackendBytes)],
            ]),
        },
    };
}

function apiServerSection(c: KubeadmClusterInputs): Record<string, unknown> {
    const audit = c.audit ?? { maxAgeDays: 30, maxBackups: 10, maxSizeMB: 100 };
    return {
        certSANs: [...new Set(c.certSANs)],
        extraArgs: args([
            ["authorization-mode", "Node,RBAC"],
            ["authentication-config", AUTHENTICATION_CONFIG],
            ["profiling", "false"],
            ["audit-policy-file", AUDIT_POLICY],
            ["audit-log-path", `${AUDIT_LOG_DIR}/audit.log`],
            ["audit-log-maxage", String(audit.maxAgeDays)],
            ["audit-log-maxbackup", String(audit.maxBackups)],
            ["audit-log-maxsize", String(audit.maxSizeMB)],
            // Lives in the pki dir, which kubeadm mounts read-only already.
            ["encryption-provider-config", ENCRYPTION_CONFIG],
            // CIS 1.2.29 (docs/cis-audit.md).
            ["tls-min-version", "VersionTLS12"],
            ["tls-cipher-suites", TLS_CIPHER_SUITES.join(",")],
            // CIS 1.2.3 and 1.2.14. This list replaces kubeadm's own default
            // (--enable-admission-plugins=NodeRestriction), so NodeRestriction is
            // listed again; the plugins enabled by default (NamespaceLifecycle,
            // ServiceAccount, ...: CIS 1.2.12, 1.2.13) stay on, none is disabled.
            ["enable-admission-plugins", "NodeRestriction,DenyServiceExternalIPs"],
            // CIS 1.2.5: kubelets' serving certificates come from CSRs signed by the
            // cluster CA (KubeletConfiguration serverTLSBootstrap), so the apiserver
            // can verify them when it dials a kubelet (logs, exec, port-forward).
            ["kubelet-certificate-authority", `${KUBERNETES_PKI_DIR}/ca.crt`],
            // CIS 1.2.30: projected service-account tokens expire when they say
            // (1 h for kubelet-mounted ones), not a year later; client-go reloads them.
            ["service-account-extend-token-expiration", "false"],
        ]),
        extraVolumes: [
            { name: "apiserver-config", hostPath: AUTHENTICATION_CONFIG.replace(/\/[^/]+$/, ""), mountPath: AUTHENTICATION_CONFIG.replace(/\/[^/]+$/, ""), readOnly: true, pathType: "Directory" },
            { name: "audit-log", hostPath: AUDIT_LOG_DIR, mountPath: AUDIT_LOG_DIR, readOnly: false, pathType: "DirectoryOrCreate" },
        ],
    };
}

/** The ClusterConfiguration document shared by every control-plane slot. */
export function clusterConfigurationDoc(c: KubeadmClusterInputs): Record<string, unknown> {
    check("label", "clusterName", c.clusterName);
    if (!/^1\.\d+\.\d+$/.test(c.kubernetesVersion)) throw new Error(`kubernetesVersion ${c.kubernetesVersion} is not a full patch release such as 1.35.9`);
    if (!/^[a-z0-9.-]+:\d+$/.test(c.controlPlaneEndpoint)) throw new Error(`controlPlaneEndpoint ${c.controlPlaneEndpoint} is not <name>:<port>`);
    const kubeProxy = c.kubeProxy ?? "iptables";
    return {
        apiVersion: "kubeadm.k8s.io/v1beta4",
        kind: "ClusterConfiguration",
        clusterName: c.clusterName,
        kubernetesVersion: `v${c.kubernetesVersion}`,
        controlPlaneEndpoint: c.controlPlaneEndpoint,
        certificatesDir: KUBERNETES_PKI_DIR,
        encryptionAlgorithm: encryptionAlgorithm(c.pki),
        certificateValidityPeriod: `${c.pki.leafValidityHours}h0m0s`,
        networking: { podSubnet: c.podSubnet, serviceSubnet: c.serviceSubnet, dnsDomain: "cluster.local" },
        etcd: etcdSection(c.etcd),
        apiServer: apiServerSection(c),
        controllerManager: {
            extraArgs: args([
                ["cloud-provider", "external"],
                ["bind-address", "127.0.0.1"],
                ["leader-elect", "true"],
                ["profiling", "false"],
                ["use-service-account-credentials", "true"],
                ["terminated-pod-gc-threshold", "1000"],
            ]),
        },
        scheduler: {
            extraArgs: args([
                ["bind-address", "127.0.0.1"],
                ["leader-elect", "true"],
                ["profiling", "false"],
            ]),
        },
        ...(kubeProxy === "disabled" ? { proxy: { disabled: true } } : {}),
    };
}

/**
 * `kubeadm init --config`: InitConfiguration + ClusterConfiguration +
 * KubeletConfiguration (+ KubeProxyConfiguration). skipPhases drops
 * "upload-certs" (the phase that would put the control-plane keys into the
 * kubeadm-certs Secret): every slot already gets the CAs and the SA key from
 * the secrets bucket, so no certificateKey is ever used.
 */
export function renderKubeadmInit(cluster: KubeadmClusterInputs, node: ControlPlaneNodeInputs, tokens: readonly BootstrapTokenSpec[]): string {
    if (tokens.length === 0) throw new Error("kubeadm init needs at least one bootstrap token for later joins");
    const init = {
        apiVersion: "kubeadm.k8s.io/v1beta4",
        kind: "InitConfiguration",
        bootstrapTokens: tokens.map((t) => {
            if (!TOKEN_RE.test(t.token)) throw new Error("bootstrap token must match [a-z0-9]{6}.[a-z0-9]{16}");
            if (!/^\d+(h|m|s)(\d+m)?(\d+s)?$/.test(t.ttl)) throw new Error(`bootstrap token ttl ${t.ttl} is not a Go duration`);
            return {
                token: t.token,
                ttl: t.ttl,
                description: t.description ?? "k8s-aws: control-plane and node-pool joins",
                usages: ["signing", "authentication"],
                groups: ["system:bootstrappers:kubeadm:default-node-token"],
            };
        }),
        nodeRegistration: controlPlaneRegistration(node),
        localAPIEndpoint: { advertiseAddress: node.advertiseAddress, bindPort: API_SERVER_PORT },
        skipPhases: ["upload-certs"],
        timeouts: { ...KUBEADM_TIMEOUTS },
    };
    return yamlDocs([
        init,
        clusterConfigurationDoc(cluster),
        kubeletConfigurationDoc({ protectKernelDefaults: cluster.protectKernelDefaults ?? true }),
        kubeProxyConfigurationDoc(cluster.kubeProxy ?? "iptables"),
    ]);
}

function discoverySection(d: JoinDiscovery): Record<string, unknown> {
    if (!TOKEN_RE.test(d.token)) throw new Error("bootstrap token must match [a-z0-9]{6}.[a-z0-9]{16}");
    if (d.caCertHashes.length === 0 || d.caCertHashes.some((h) => !/^sha256:[0-9a-f]{64}$/.test(h))) {
        throw new Error("caCertHashes must be non-empty sha256:<64 hex> values (caCertHash)");
    }
    return { bootstrapToken: { apiServerEndpoint: d.apiServerEndpoint, token: d.token, caCertHashes: [...d.caCertHashes] } };
}

/**
 * `kubeadm join --config` for a control-plane slot: JoinConfiguration with
 * controlPlane.localAPIEndpoint on the slot's fixed IP and no
 * certificateKey (certificates are already on the node, so the
 * download-certs phase does nothing). The cluster-wide configuration comes
 * from the cluster's kubeadm-config ConfigMap.
 */
export function renderKubeadmJoinControlPlane(discovery: JoinDiscovery, node: ControlPlaneNodeInputs): string {
    return yamlDocs([
        {
            apiVersion: "kubeadm.k8s.io/v1beta4",
            kind: "JoinConfiguration",
            caCertPath: `${KUBERNETES_PKI_DIR}/ca.crt`,
            discovery: discoverySection(discovery),
            nodeRegistration: controlPlaneRegistration(node),
            controlPlane: { localAPIEndpoint: { advertiseAddress: node.advertiseAddress, bindPort: API_SERVER_PORT } },
            timeouts: { ...KUBEADM_TIMEOUTS },
        },
    ]);
}

export interface WorkerNodeInputs {
    /** Pool labels (kubelet --node-labels; NodeRestriction rejects kubernetes.io/k8s.io prefixes except the allowed ones). */
    readonly labels?: Readonly<Record<string, string>>;
    readonly taints?: ReadonlyArray<{ readonly key: string; readonly value?: string; readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute" }>;
}

/** `kubeadm join --config` for a node-pool instance. */
export function renderKubeadmJoinNode(discovery: JoinDiscovery, node: WorkerNodeInputs = {}): string {
    const labels = Object.entries(node.labels ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`);
    const extra: Array<[string, string]> = [["cloud-provider", "external"]];
    if (labels.length > 0) extra.push(["node-labels", labels.join(",")]);
    return yamlDocs([
        {
            apiVersion: "kubeadm.k8s.io/v1beta4",
            kind: "JoinConfiguration",
            caCertPath: `${KUBERNETES_PKI_DIR}/ca.crt`,
            discovery: discoverySection(discovery),
            nodeRegistration: {
                criSocket: CRI_SOCKET,
                imagePullPolicy: "IfNotPresent",
                kubeletExtraArgs: args(extra),
                taints: (node.taints ?? []).map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect })),
            },
        },
    ]);
}
