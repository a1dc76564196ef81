/**
 * kubeadm v1beta4 documents for init, control-plane join and node join, and
 * the apiserver's encryption, authentication and audit files.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments, parse } from "yaml";
import {
    ANONYMOUS_PATHS,
    KubeadmClusterInputs,
    apiServerCertSANs,
    caCertHash,
    renderAuditPolicy,
    renderAuthenticationConfig,
    renderEncryptionConfig,
    renderKubeadmInit,
    renderKubeadmJoinControlPlane,
    renderKubeadmJoinNode,
    renderKubeletSysctls,
} from "../../../components/host";
import { KUBERNETES_RELEASES } from "../../../config/versions";
import { makeCa, removeTempDirs, tempDir } from "../../support/shell";

const TOKEN = "abcdef.0123456789abcdef";
const HASH = `sha256:${"ab".repeat(32)}`;
const CLUSTER: KubeadmClusterInputs = {
    clusterName: "prod",
    kubernetesVersion: KUBERNETES_RELEASES["1.35"],
    controlPlaneEndpoint: "api.prod.k8s.example.net:6443",
    certSANs: apiServerCertSANs({ apiName: "api.prod.k8s.example.net", loadBalancerDnsName: "prod-api-0123.elb.eu-west-1.amazonaws.com", slotIps: ["10.30.1.10", "10.30.2.10", "10.30.3.10"] }),
    podSubnet: "100.64.0.0/15",
    serviceSubnet: "10.96.0.0/12",
    etcd: { mode: "stacked" },
    pki: { algorithm: "ECDSA", rsaBits: 2048, leafValidityHours: 8760 },
};
const NODE = { advertiseAddress: "10.30.1.10", schedulable: false };

type Doc = Record<string, any>;
function docs(yamlText: string): Record<string, Doc> {
    const out: Record<string, Doc> = {};
    for (const d of parseAllDocuments(yamlText)) {
        assert.deepStrictEqual(d.errors, []);
        const o = d.toJSON() as Doc;
        assert.ok(!out[o.kind], `duplicate ${o.kind}`);
        out[o.kind] = o;
    }
    return out;
}
const arg = (list: Array<{ name: string; value: string }>, name: string) => list.filter((a) => a.name === name).map((a) => a.value);

describe("controlplane/kubeadm: init", () => {
    const d = docs(renderKubeadmInit(CLUSTER, NODE, [{ token: TOKEN, ttl: "0s" }]));
    const cc = d.ClusterConfiguration;

    it("renders Init, Cluster, Kubelet and KubeProxy configurations in their API versions", () => {
        assert.deepStrictEqual(Object.keys(d).sort(), ["ClusterConfiguration", "InitConfiguration", "KubeProxyConfiguration", "KubeletConfiguration"]);
        assert.strictEqual(d.InitConfiguration.apiVersion, "kubeadm.k8s.io/v1beta4");
        assert.strictEqual(cc.apiVersion, "kubeadm.k8s.io/v1beta4");
        assert.strictEqual(d.KubeletConfiguration.apiVersion, "kubelet.config.k8s.io/v1beta1");
        assert.strictEqual(d.KubeProxyConfiguration.apiVersion, "kubeproxy.config.k8s.io/v1alpha1");
    });

    it("pins version, endpoint, networks and the PKI algorithm", () => {
        assert.strictEqual(cc.kubernetesVersion, "v1.35.9");
        assert.strictEqual(cc.controlPlaneEndpoint, "api.prod.k8s.example.net:6443");
        assert.deepStrictEqual(cc.networking, { podSubnet: "100.64.0.0/15", serviceSubnet: "10.96.0.0/12", dnsDomain: "cluster.local" });
        assert.strictEqual(cc.encryptionAlgorithm, "ECDSA-P256");
        assert.strictEqual(cc.certificateValidityPeriod, "8760h0m0s");
        assert.strictEqual(
            docs(renderKubeadmInit({ ...CLUSTER, pki: { algorithm: "RSA", rsaBits: 3072, leafValidityHours: 24 } }, NODE, [{ token: TOKEN, ttl: "0s" }])).ClusterConfiguration.encryptionAlgorithm,
            "RSA-3072",
        );
    });

    it("advertises and binds the apiserver on the slot's fixed IP, skips upload-certs", () => {
        assert.deepStrictEqual(d.InitConfiguration.localAPIEndpoint, { advertiseAddress: "10.30.1.10", bindPort: 6443 });
        assert.deepStrictEqual(d.InitConfiguration.skipPhases, ["upload-certs"]);
        assert.strictEqual(d.InitConfiguration.certificateKey, undefined);
        assert.deepStrictEqual(d.InitConfiguration.bootstrapTokens[0].token, TOKEN);
        assert.deepStrictEqual(d.InitConfiguration.bootstrapTokens[0].ttl, "0s");
    });

    it("registers the kubelet for the external cloud controller, named by hostname", () => {
        const nr = d.InitConfiguration.nodeRegistration;
        assert.deepStrictEqual(arg(nr.kubeletExtraArgs, "cloud-provider"), ["external"]);
        assert.deepStrictEqual(arg(nr.kubeletExtraArgs, "node-ip"), ["10.30.1.10"]);
        assert.strictEqual(nr.name, undefined);
        assert.strictEqual(nr.criSocket, "unix:///run/containerd/containerd.sock");
    });

    const taintCases: Array<[string, boolean, unknown]> = [
        ["keeps kubeadm's control-plane taint (taints unset) when not schedulable", false, undefined],
        ["registers no taints when schedulable (single-node dev)", true, []],
    ];
    for (const [name, schedulable, taints] of taintCases) {
        it(name, () => {
            assert.deepStrictEqual(docs(renderKubeadmInit(CLUSTER, { ...NODE, schedulable }, [{ token: TOKEN, ttl: "0s" }])).InitConfiguration.nodeRegistration.taints, taints);
        });
    }

    it("gives kubeadm's own API calls five minutes, so init and join outlast a new internal balancer's target registration", () => {
        assert.deepStrictEqual(d.InitConfiguration.timeouts, { kubernetesAPICall: "5m0s" });
        const join = docs(renderKubeadmJoinControlPlane({ apiServerEndpoint: "api.internal.prod.k8s.example.net:6443", token: TOKEN, caCertHashes: [HASH] }, NODE));
        assert.deepStrictEqual(join.JoinConfiguration.timeouts, { kubernetesAPICall: "5m0s" });
    });

    it("hardens the apiserver: profiling off, Node,RBAC, audit, encryption, anonymous only via the authentication config", () => {
        const a = cc.apiServer.extraArgs;
        assert.ok(
            a.every((x: any) => Object.keys(x).sort().join() === "name,value"),
            "extraArgs must be v1beta4 {name, value} items",
        );
        assert.deepStrictEqual(arg(a, "profiling"), ["false"]);
        assert.deepStrictEqual(arg(a, "authorization-mode"), ["Node,RBAC"]);
        assert.deepStrictEqual(arg(a, "authentication-config"), ["/etc/kubernetes/apiserver/authentication-config.yaml"]);
        assert.deepStrictEqual(arg(a, "anonymous-auth"), [], "--anonymous-auth conflicts with an anonymous block in --authentication-config");
        assert.deepStrictEqual(arg(a, "audit-policy-file"), ["/etc/kubernetes/apiserver/audit-policy.yaml"]);
        assert.deepStrictEqual(arg(a, "audit-log-path"), ["/var/log/kubernetes/audit/audit.log"]);
        assert.deepStrictEqual([arg(a, "audit-log-maxage"), arg(a, "audit-log-maxbackup"), arg(a, "audit-log-maxsize")], [["30"], ["10"], ["100"]]);
        assert.deepStrictEqual(arg(a, "encryption-provider-config"), ["/etc/kubernetes/pki/encryption-config.yaml"]);
        const mounts = cc.apiServer.extraVolumes.map((v: any) => [v.hostPath, v.mountPath, v.readOnly]);
        assert.deepStrictEqual(mounts, [
            ["/etc/kubernetes/apiserver", "/etc/kubernetes/apiserver", true],
            ["/var/log/kubernetes/audit", "/var/log/kubernetes/audit", false],
        ]);
        assert.ok(cc.apiServer.certSANs.includes("prod-api-0123.elb.eu-west-1.amazonaws.com"));
        assert.ok(cc.apiServer.certSANs.includes("10.30.3.10") && cc.apiServer.certSANs.includes("127.0.0.1"));
    });

    it("binds controller-manager and scheduler to loopback, leader-elected, no profiling; KCM runs no cloud loops", () => {
        for (const c of [cc.controllerManager, cc.scheduler]) {
            assert.deepStrictEqual(arg(c.extraArgs, "bind-address"), ["127.0.0.1"]);
            assert.deepStrictEqual(arg(c.extraArgs, "leader-elect"), ["true"]);
            assert.deepStrictEqual(arg(c.extraArgs, "profiling"), ["false"]);
        }
        assert.deepStrictEqual(arg(cc.controllerManager.extraArgs, "cloud-provider"), ["external"]);
    });

    it("stacked etcd: data on the slot volume, only cluster-wide flags", () => {
        assert.strictEqual(cc.etcd.local.dataDir, "/var/lib/etcd/data");
        const names = cc.etcd.local.extraArgs.map((x: any) => x.name).sort();
        assert.deepStrictEqual(names, ["election-timeout", "heartbeat-interval", "quota-backend-bytes", "snapshot-count"]);
        assert.deepStrictEqual(arg(cc.etcd.local.extraArgs, "heartbeat-interval"), ["100"]);
        assert.deepStrictEqual(arg(cc.etcd.local.extraArgs, "election-timeout"), ["1000"]);
    });

    it("external etcd: the members' endpoints and the apiserver's etcd client certificate", () => {
        const ext = docs(
            renderKubeadmInit({ ...CLUSTER, etcd: { mode: "external", endpoints: ["https://etcd-a.prod.internal:2379", "https://etcd-b.prod.internal:2379"] } }, NODE, [{ token: TOKEN, ttl: "0s" }]),
        );
        assert.deepStrictEqual(ext.ClusterConfiguration.etcd, {
            external: {
                endpoints: ["https://etcd-a.prod.internal:2379", "https://etcd-b.prod.internal:2379"],
                caFile: "/etc/kubernetes/pki/etcd/ca.crt",
                certFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt",
                keyFile: "/etc/kubernetes/pki/apiserver-etcd-client.key",
            },
        });
    });

    it("hardens the kubelet", () => {
        const k = d.KubeletConfiguration;
        assert.deepStrictEqual(k.authentication.anonymous, { enabled: false });
        assert.deepStrictEqual(k.authentication.webhook, { enabled: true });
        assert.strictEqual(k.authorization.mode, "Webhook");
        assert.strictEqual(k.readOnlyPort, 0);
        assert.strictEqual(k.rotateCertificates, true);
        assert.strictEqual(k.serverTLSBootstrap, true);
        assert.strictEqual(k.cgroupDriver, "systemd");
        assert.strictEqual(k.protectKernelDefaults, true);
        assert.match(renderKubeletSysctls(), /^vm\.overcommit_memory = 1$/m);
        assert.match(renderKubeletSysctls(), /^kernel\.keys\.root_maxbytes = 25000000$/m);
    });

    it("kube-proxy: iptables by default, nftables on request, or disabled in ClusterConfiguration", () => {
        assert.strictEqual(d.KubeProxyConfiguration.mode, "iptables");
        assert.strictEqual(docs(renderKubeadmInit({ ...CLUSTER, kubeProxy: "nftables" }, NODE, [{ token: TOKEN, ttl: "0s" }])).KubeProxyConfiguration.mode, "nftables");
        const off = docs(renderKubeadmInit({ ...CLUSTER, kubeProxy: "disabled" }, NODE, [{ token: TOKEN, ttl: "0s" }]));
        assert.strictEqual(off.KubeProxyConfiguration, undefined);
        assert.deepStrictEqual(off.ClusterConfiguration.proxy, { disabled: true });
    });

    const invalid: Array<[string, () => string]> = [
        ["a minor without patch", () => renderKubeadmInit({ ...CLUSTER, kubernetesVersion: "1.35" }, NODE, [{ token: TOKEN, ttl: "0s" }])],
        ["an endpoint without port", () => renderKubeadmInit({ ...CLUSTER, controlPlaneEndpoint: "api.prod" }, NODE, [{ token: TOKEN, ttl: "0s" }])],
        ["a malformed token", () => renderKubeadmInit(CLUSTER, NODE, [{ token: "nope", ttl: "0s" }])],
        ["no token", () => renderKubeadmInit(CLUSTER, NODE, [])],
        ["an advertise address that is not an IP", () => renderKubeadmInit(CLUSTER, { ...NODE, advertiseAddress: "api" }, [{ token: TOKEN, ttl: "0s" }])],
        ["external etcd over http", () => renderKubeadmInit({ ...CLUSTER, etcd: { mode: "external", endpoints: ["http://etcd-a:2379"] } }, NODE, [{ token: TOKEN, ttl: "0s" }])],
    ];
    for (const [name, render] of invalid) it(`rejects ${name}`, () => assert.throws(render));
});

describe("controlplane/kubeadm: joins", () => {
    const discovery = { apiServerEndpoint: "api.prod.k8s.example.net:6443", token: TOKEN, caCertHashes: [HASH] };

    it("control-plane join: local endpoint on the fixed IP, bootstrap-token discovery, no certificateKey", () => {
        const j = docs(renderKubeadmJoinControlPlane(discovery, { advertiseAddress: "10.30.2.10", schedulable: false })).JoinConfiguration;
        assert.strictEqual(j.apiVersion, "kubeadm.k8s.io/v1beta4");
        assert.deepStrictEqual(j.controlPlane, { localAPIEndpoint: { advertiseAddress: "10.30.2.10", bindPort: 6443 } });
        assert.deepStrictEqual(j.discovery, { bootstrapToken: discovery });
        assert.deepStrictEqual(arg(j.nodeRegistration.kubeletExtraArgs, "cloud-provider"), ["external"]);
    });

    it("node join: pool labels and taints, no control plane", () => {
        const j = docs(renderKubeadmJoinNode(discovery, { labels: { workload: "batch" }, taints: [{ key: "workload", value: "batch", effect: "NoSchedule" }] })).JoinConfiguration;
        assert.strictEqual(j.controlPlane, undefined);
        assert.deepStrictEqual(arg(j.nodeRegistration.kubeletExtraArgs, "node-labels"), ["workload=batch"]);
        assert.deepStrictEqual(j.nodeRegistration.taints, [{ key: "workload", value: "batch", effect: "NoSchedule" }]);
    });

    it("rejects discovery without a CA pin", () => {
        assert.throws(() => renderKubeadmJoinNode({ ...discovery, caCertHashes: [] }));
    });

    it("caCertHash matches openssl's SPKI digest (what kubeadm's docs compute)", () => {
        const dir = tempDir("cahash");
        makeCa(dir, "ca");
        const pem = fs.readFileSync(path.join(dir, "ca.crt"), "utf8");
        const r = spawnSync("sh", ["-c", "openssl x509 -pubkey -noout -in ca.crt | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex | sed 's/^.* //'"], { cwd: dir, encoding: "utf8" });
        assert.strictEqual(caCertHash(pem), `sha256:${r.stdout.trim()}`);
    });
    after(removeTempDirs);
});

describe("controlplane/kubeadm: apiserver files", () => {
    const key32 = Buffer.alloc(32, 7).toString("base64");

    it("encrypts Secrets with secretbox and keeps identity for reading old data", () => {
        const c = parse(renderEncryptionConfig({ name: "key-2026", secret: key32 }));
        assert.strictEqual(c.apiVersion, "apiserver.config.k8s.io/v1");
        assert.strictEqual(c.kind, "EncryptionConfiguration");
        assert.deepStrictEqual(c.resources, [{ resources: ["secrets"], providers: [{ secretbox: { keys: [{ name: "key-2026", secret: key32 }] } }, { identity: {} }] }]);
    });

    it("rotates: the new key first, older keys after it; aescbc on request", () => {
        const c = parse(renderEncryptionConfig({ name: "new", secret: key32 }, { provider: "aescbc", previousKeys: [{ name: "old", secret: Buffer.alloc(16, 1).toString("base64") }] }));
        assert.deepStrictEqual(
            c.resources[0].providers[0].aescbc.keys.map((k: any) => k.name),
            ["new", "old"],
        );
    });

    it("rejects keys of the wrong size", () => {
        assert.throws(() => renderEncryptionConfig({ name: "k", secret: Buffer.alloc(16).toString("base64") }), /secretbox needs 32/);
    });

    it("allows anonymous requests only to health checks and kubeadm discovery", () => {
        const a = parse(renderAuthenticationConfig());
        assert.strictEqual(a.apiVersion, "apiserver.config.k8s.io/v1");
        assert.strictEqual(a.kind, "AuthenticationConfiguration");
        assert.deepStrictEqual(a.anonymous, { enabled: true, conditions: ANONYMOUS_PATHS.map((path) => ({ path })) });
        assert.ok(ANONYMOUS_PATHS.includes("/api/v1/namespaces/kube-public/configmaps/cluster-info"));
    });

    it("audits Secrets at Metadata level only, changes with their request", () => {
        const p = parse(renderAuditPolicy());
        assert.strictEqual(p.apiVersion, "audit.k8s.io/v1");
        const secretRule = p.rules.findIndex((r: any) => r.resources?.some((g: any) => g.resources.includes("secrets")));
        const requestRule = p.rules.findIndex((r: any) => r.level === "Request");
        assert.strictEqual(p.rules[secretRule].level, "Metadata");
        assert.ok(secretRule < requestRule, "the Secrets rule must come before the Request rule (first match wins)");
    });
});
