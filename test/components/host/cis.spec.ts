/**
 * CIS Kubernetes Benchmark 1.12, control-plane, etcd and worker sections, as
 * kube-bench checks them (aquasecurity/kube-bench@v0.15.6:cfg/cis-1.12/
 * master.yaml, etcd.yaml, controlplane.yaml, node.yaml; kube-bench maps
 * Kubernetes 1.32-1.34 to cis-1.12 there, the newest benchmark published).
 *
 * docs/cis-audit.md has one row per item with a status:
 * - `met`: our rendered configuration sets it; asserted here;
 * - `kept`: kubeadm or the component's default meets it and we do not
 *   override it; asserted here (that nothing we render overrides it);
 * - `host`: a file mode or owner on the instance (kubeadm's, or our scripts',
 *   where the named stub test asserts it); not assertable on rendered config;
 * - `not met` and `n/a`: the row says why.
 * This spec checks that the table lists exactly the benchmark's items, and
 * that every `met`/`kept` row has a check below that passes (and vice versa).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse, parseAllDocuments } from "yaml";
import {
    ANONYMOUS_PATHS,
    KubeadmClusterInputs,
    TLS_CIPHER_SUITES,
    apiServerCertSANs,
    renderAuditPolicy,
    renderAuthenticationConfig,
    renderEncryptionConfig,
    renderEtcdConfig,
    renderKubeadmInit,
    renderKubeadmJoinNode,
} from "../../../components/host";
import { KUBERNETES_RELEASES } from "../../../config/versions";
import { PROJECT_ROOT } from "../../support/paths";

/** The item ids in aquasecurity/kube-bench@v0.15.6:cfg/cis-1.12/{master,etcd,controlplane,node}.yaml, in order. */
const BENCHMARK_IDS = [
    ...Array.from({ length: 21 }, (_, i) => `1.1.${i + 1}`),
    ...Array.from({ length: 30 }, (_, i) => `1.2.${i + 1}`),
    ...Array.from({ length: 7 }, (_, i) => `1.3.${i + 1}`),
    "1.4.1",
    "1.4.2",
    ...Array.from({ length: 7 }, (_, i) => `2.${i + 1}`),
    "3.1.1",
    "3.1.2",
    "3.1.3",
    "3.2.1",
    "3.2.2",
    ...Array.from({ length: 10 }, (_, i) => `4.1.${i + 1}`),
    ...Array.from({ length: 14 }, (_, i) => `4.2.${i + 1}`),
    "4.3.1",
];

/** kube-bench's allow-lists for 1.2.29 (master.yaml) and 4.2.12 (node.yaml) at v0.15.6. */
const APISERVER_ALLOWED_CIPHERS =
    "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256".split(
        ",",
    );
const KUBELET_ALLOWED_CIPHERS =
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384".split(
        ",",
    );

type Doc = Record<string, any>;
const CLUSTER: KubeadmClusterInputs = {
    clusterName: "prod",
    kubernetesVersion: KUBERNETES_RELEASES["1.35"],
    controlPlaneEndpoint: "api.internal.prod.k8s.example.net:6443",
    certSANs: apiServerCertSANs({ apiName: "api.internal.prod.k8s.example.net", slotIps: ["10.30.1.10", "10.30.2.10", "10.30.3.10"] }),
    podSubnet: "100.64.0.0/15",
    serviceSubnet: "10.96.0.0/12",
    etcd: { mode: "stacked" },
    pki: { algorithm: "ECDSA", rsaBits: 2048, leafValidityHours: 8760 },
};
const NODE = { advertiseAddress: "10.30.1.10", schedulable: false };
const TOKEN = { token: "abcdef.0123456789abcdef", ttl: "0s" };

function docs(text: string): Record<string, Doc> {
    return Object.fromEntries(
        parseAllDocuments(text)
            .map((d) => d.toJSON() as Doc)
            .map((o) => [o.kind, o]),
    );
}
const stacked = docs(renderKubeadmInit(CLUSTER, NODE, [TOKEN]));
const external = docs(renderKubeadmInit({ ...CLUSTER, etcd: { mode: "external", endpoints: ["https://etcd-a.prod.internal:2379"] } }, NODE, [TOKEN]));
const nodeJoin = docs(renderKubeadmJoinNode({ apiServerEndpoint: CLUSTER.controlPlaneEndpoint, token: TOKEN.token, caCertHashes: [`sha256:${"ab".repeat(32)}`] }));
const etcdMember = parse(
    renderEtcdConfig({ name: "etcd-a", host: "etcd-a.prod.internal" }, [{ name: "etcd-a", host: "etcd-a.prod.internal" }], {
        clusterToken: "prod-etcd",
        initialClusterState: "new",
        listenIp: "10.30.0.20",
    }),
);

/** Every value the given component's extraArgs give a flag, across both topologies. */
function flag(component: "apiServer" | "controllerManager" | "scheduler", name: string): string[] {
    return [stacked, external].flatMap((d) => (d.ClusterConfiguration[component].extraArgs as Array<{ name: string; value: string }>).filter((a) => a.name === name).map((a) => a.value));
}
const apiserver = (name: string) => flag("apiServer", name);
const admissionPlugins = () => apiserver("enable-admission-plugins").flatMap((v) => v.split(","));
const kubelet = () => [stacked.KubeletConfiguration];
const notOverridden =
    (component: "apiServer" | "controllerManager" | "scheduler", ...names: string[]) =>
    () => {
        for (const n of names) assert.deepStrictEqual(flag(component, n), [], `${component} --${n} must stay kubeadm's`);
    };
const every = (values: string[], expected: string) => {
    assert.ok(values.length > 0, "not set");
    for (const v of values) assert.strictEqual(v, expected);
};

/** One check per `met` / `kept` row of docs/cis-audit.md. */
const CHECKS: Record<string, () => void> = {
    "1.2.1": () => {
        assert.deepStrictEqual(apiserver("anonymous-auth"), []);
        every(apiserver("authentication-config"), "/etc/kubernetes/apiserver/authentication-config.yaml");
        const anon = parse(renderAuthenticationConfig()).anonymous;
        assert.deepStrictEqual(
            anon.conditions.map((c: { path: string }) => c.path),
            [...ANONYMOUS_PATHS],
        );
    },
    "1.2.2": notOverridden("apiServer", "token-auth-file"),
    "1.2.3": () => assert.ok(admissionPlugins().includes("DenyServiceExternalIPs")),
    "1.2.4": notOverridden("apiServer", "kubelet-client-certificate", "kubelet-client-key"),
    "1.2.5": () => every(apiserver("kubelet-certificate-authority"), "/etc/kubernetes/pki/ca.crt"),
    "1.2.6": () => every(apiserver("authorization-mode"), "Node,RBAC"),
    "1.2.7": () => apiserver("authorization-mode").forEach((m) => assert.ok(m.split(",").includes("Node"))),
    "1.2.8": () => apiserver("authorization-mode").forEach((m) => assert.ok(m.split(",").includes("RBAC"))),
    "1.2.10": () => assert.ok(!admissionPlugins().includes("AlwaysAdmit")),
    "1.2.12": () => assert.ok(!apiserver("disable-admission-plugins").join(",").includes("ServiceAccount")),
    "1.2.13": () => assert.ok(!apiserver("disable-admission-plugins").join(",").includes("NamespaceLifecycle")),
    "1.2.14": () => assert.ok(admissionPlugins().includes("NodeRestriction"), "our list replaces kubeadm's, so it must name NodeRestriction"),
    "1.2.15": () => every(apiserver("profiling"), "false"),
    "1.2.16": () => every(apiserver("audit-log-path"), "/var/log/kubernetes/audit/audit.log"),
    "1.2.17": () => apiserver("audit-log-maxage").forEach((v) => assert.ok(Number(v) >= 30)),
    "1.2.18": () => apiserver("audit-log-maxbackup").forEach((v) => assert.ok(Number(v) >= 10)),
    "1.2.19": () => apiserver("audit-log-maxsize").forEach((v) => assert.ok(Number(v) >= 100)),
    "1.2.20": notOverridden("apiServer", "request-timeout"),
    "1.2.21": notOverridden("apiServer", "service-account-lookup"),
    "1.2.22": notOverridden("apiServer", "service-account-key-file"),
    "1.2.23": () => {
        notOverridden("apiServer", "etcd-certfile", "etcd-keyfile")();
        assert.deepStrictEqual(
            [external.ClusterConfiguration.etcd.external.certFile, external.ClusterConfiguration.etcd.external.keyFile],
            ["/etc/kubernetes/pki/apiserver-etcd-client.crt", "/etc/kubernetes/pki/apiserver-etcd-client.key"],
        );
    },
    "1.2.24": notOverridden("apiServer", "tls-cert-file", "tls-private-key-file"),
    "1.2.25": notOverridden("apiServer", "client-ca-file"),
    "1.2.26": () => {
        notOverridden("apiServer", "etcd-cafile")();
        assert.strictEqual(external.ClusterConfiguration.etcd.external.caFile, "/etc/kubernetes/pki/etcd/ca.crt");
    },
    "1.2.27": () => every(apiserver("encryption-provider-config"), "/etc/kubernetes/pki/encryption-config.yaml"),
    "1.2.28": () => {
        const cfg = parse(renderEncryptionConfig({ name: "k1", secret: Buffer.alloc(32, 7).toString("base64") }));
        const secrets = cfg.resources.find((r: { resources: string[] }) => r.resources.includes("secrets"));
        assert.ok(secrets.providers[0].secretbox || secrets.providers[0].aescbc, "the first provider (the one that writes) encrypts");
    },
    "1.2.29": () => {
        every(apiserver("tls-min-version"), "VersionTLS12");
        for (const list of apiserver("tls-cipher-suites")) list.split(",").forEach((c) => assert.ok(APISERVER_ALLOWED_CIPHERS.includes(c), c));
        assert.ok(apiserver("tls-cipher-suites").length > 0);
    },
    "1.2.30": () => every(apiserver("service-account-extend-token-expiration"), "false"),
    "1.3.1": () => flag("controllerManager", "terminated-pod-gc-threshold").forEach((v) => assert.ok(Number(v) > 0 && Number(v) <= 12500)),
    "1.3.2": () => every(flag("controllerManager", "profiling"), "false"),
    "1.3.3": () => every(flag("controllerManager", "use-service-account-credentials"), "true"),
    "1.3.4": notOverridden("controllerManager", "service-account-private-key-file"),
    "1.3.5": notOverridden("controllerManager", "root-ca-file"),
    "1.3.6": () => assert.ok(!flag("controllerManager", "feature-gates").join(",").includes("RotateKubeletServerCertificate=false")),
    "1.3.7": () => every(flag("controllerManager", "bind-address"), "127.0.0.1"),
    "1.4.1": () => every(flag("scheduler", "profiling"), "false"),
    "1.4.2": () => every(flag("scheduler", "bind-address"), "127.0.0.1"),
    // etcd: stacked members are kubeadm's (its etcd flags are not overridden); external members are ours.
    "2.1": () => {
        assert.deepStrictEqual(
            stacked.ClusterConfiguration.etcd.local.extraArgs.filter((a: { name: string }) => /file|auth|tls/.test(a.name)),
            [],
        );
        assert.ok(etcdMember["client-transport-security"]["cert-file"] && etcdMember["client-transport-security"]["key-file"]);
    },
    "2.2": () => assert.strictEqual(etcdMember["client-transport-security"]["client-cert-auth"], true),
    "2.3": () => assert.strictEqual(etcdMember["client-transport-security"]["auto-tls"], false),
    "2.4": () => assert.ok(etcdMember["peer-transport-security"]["cert-file"] && etcdMember["peer-transport-security"]["key-file"]),
    "2.5": () => assert.strictEqual(etcdMember["peer-transport-security"]["client-cert-auth"], true),
    "2.6": () => assert.strictEqual(etcdMember["peer-transport-security"]["auto-tls"], false),
    "2.7": () => {
        assert.notStrictEqual(etcdMember["client-transport-security"]["trusted-ca-file"], "/etc/kubernetes/pki/ca.crt");
        assert.strictEqual(external.ClusterConfiguration.etcd.external.caFile, "/etc/kubernetes/pki/etcd/ca.crt");
    },
    "3.2.1": () => {
        every(apiserver("audit-policy-file"), "/etc/kubernetes/apiserver/audit-policy.yaml");
        assert.ok(parse(renderAuditPolicy()).rules.length > 0);
    },
    "3.2.2": () => {
        const rules = parse(renderAuditPolicy()).rules as Array<{ level: string; resources?: Array<{ resources: string[] }>; verbs?: string[] }>;
        const secretsRule = rules.find((r) => r.resources?.some((g) => g.resources.includes("secrets")));
        assert.strictEqual(secretsRule?.level, "Metadata", "Secrets are logged, never their bodies");
        assert.ok(
            rules.some((r) => r.level === "Request" && r.verbs?.includes("delete")),
            "changes are logged with their requests",
        );
        assert.strictEqual(rules.at(-1)?.level, "Metadata", "everything else at Metadata, nothing dropped silently");
    },
    "4.2.1": () => kubelet().forEach((k) => assert.strictEqual(k.authentication.anonymous.enabled, false)),
    "4.2.2": () => kubelet().forEach((k) => assert.strictEqual(k.authorization.mode, "Webhook")),
    "4.2.3": () => kubelet().forEach((k) => assert.strictEqual(k.authentication.x509.clientCAFile, "/etc/kubernetes/pki/ca.crt")),
    "4.2.4": () => kubelet().forEach((k) => assert.strictEqual(k.readOnlyPort, 0)),
    "4.2.5": () => kubelet().forEach((k) => assert.ok(/^[1-9]\d*[hm]/.test(k.streamingConnectionIdleTimeout), k.streamingConnectionIdleTimeout)),
    "4.2.6": () => kubelet().forEach((k) => assert.strictEqual(k.makeIPTablesUtilChains, true)),
    "4.2.7": () => {
        const extra = [stacked.InitConfiguration.nodeRegistration, nodeJoin.JoinConfiguration.nodeRegistration].flatMap((n) => n.kubeletExtraArgs.map((a: { name: string }) => a.name));
        assert.ok(!extra.includes("hostname-override"), extra.join(","));
        assert.strictEqual(stacked.InitConfiguration.nodeRegistration.name, undefined);
    },
    "4.2.8": () => kubelet().forEach((k) => assert.ok(k.eventRecordQPS > 0)),
    "4.2.9": () => kubelet().forEach((k) => assert.strictEqual(k.serverTLSBootstrap, true)),
    "4.2.10": () => kubelet().forEach((k) => assert.strictEqual(k.rotateCertificates, true)),
    "4.2.11": () =>
        kubelet().forEach((k) => {
            assert.strictEqual(k.serverTLSBootstrap, true);
            assert.strictEqual(k.featureGates?.RotateKubeletServerCertificate, undefined, "left at its default (on)");
        }),
    "4.2.12": () =>
        kubelet().forEach((k) => {
            assert.strictEqual(k.tlsMinVersion, "VersionTLS12");
            assert.ok(k.tlsCipherSuites.length > 0);
            k.tlsCipherSuites.forEach((c: string) => assert.ok(KUBELET_ALLOWED_CIPHERS.includes(c), c));
        }),
    "4.2.13": () => kubelet().forEach((k) => assert.ok(k.podPidsLimit > 0)),
    "4.2.14": () => kubelet().forEach((k) => assert.strictEqual(k.seccompDefault, true)),
    "4.3.1": () => assert.match(stacked.KubeProxyConfiguration.metricsBindAddress, /^127\.0\.0\.1:/),
};

interface Row {
    id: string;
    status: string;
    how: string;
    where: string;
}

function auditTable(): Row[] {
    const text = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "cis-audit.md"), "utf8");
    return text
        .split("\n")
        .filter((l) => /^\| \d+(\.\d+)+ \|/.test(l))
        .map((l) => {
            const cells = l
                .split("|")
                .slice(1, -1)
                .map((c) => c.trim());
            assert.strictEqual(cells.length, 5, l);
            return { id: cells[0], status: cells[2], how: cells[3], where: cells[4] };
        });
}

describe("CIS Kubernetes Benchmark 1.12 (docs/cis-audit.md)", () => {
    const rows = auditTable();

    it("lists every control-plane, etcd, policy-of-authentication and worker item kube-bench checks, once, in order", () => {
        assert.deepStrictEqual(
            rows.map((r) => r.id),
            BENCHMARK_IDS,
        );
    });

    it("gives every item a known status and a reason; `not met` and `n/a` rows say why", () => {
        for (const r of rows) {
            assert.ok(["met", "kept", "host", "not met", "n/a"].includes(r.status), `${r.id}: ${r.status}`);
            assert.ok(r.how.length > 5, `${r.id} needs a how / why`);
            if (r.status === "met") assert.ok(r.where.length > 0, `${r.id} needs a place in code`);
        }
    });

    it("has a check for exactly the `met` and `kept` rows", () => {
        const claimed = rows.filter((r) => r.status === "met" || r.status === "kept").map((r) => r.id);
        assert.deepStrictEqual(
            claimed,
            Object.keys(CHECKS).sort((a, b) => BENCHMARK_IDS.indexOf(a) - BENCHMARK_IDS.indexOf(b)),
        );
    });

    for (const [id, check] of Object.entries(CHECKS)) it(`${id} holds in the rendered configuration`, check);

    it("uses the same strong cipher suites for the apiserver and the kubelets", () => {
        assert.deepStrictEqual(stacked.KubeletConfiguration.tlsCipherSuites, [...TLS_CIPHER_SUITES]);
        every(apiserver("tls-cipher-suites"), TLS_CIPHER_SUITES.join(","));
    });
});
