import { stringify } from "yaml";
import { apiLoadBalancerTls, etcdTlsClientAuth, secretsBucketDeniesInsecureTransport, tlsKeyStrength, tlsCaCertificates, tlsLeafValidity } from "../rules/tls";
import { checkResource, checkStack, expectViolation, expectNone } from "./helper";
import * as f from "./fixtures";

const LISTENER = "aws:lb/listener:Listener";
const TARGET_GROUP = "aws:lb/targetGroup:TargetGroup";
const ELB = "aws:elb/loadBalancer:LoadBalancer";
const LT = "aws:ec2/launchTemplate:LaunchTemplate";

describe("api-lb-tls-only", () => {
    const nlb = { loadBalancerArn: "arn:lb", port: 6443, protocol: "TCP", defaultActions: [{ type: "forward", targetGroupArn: "arn:tg" }] };
    const elbListener = { instancePort: 6443, instanceProtocol: "TCP", lbPort: 443, lbProtocol: "TCP" };
    const cases: [string, string, Record<string, unknown>, RegExp | null][] = [
        ["NLB TCP pass-through", LISTENER, nlb, null],
        ["NLB TLS with a certificate", LISTENER, { ...nlb, protocol: "TLS", certificateArn: "arn:acm" }, null],
        ["target group TCP to 6443", TARGET_GROUP, { port: 6443, protocol: "TCP", healthCheck: { protocol: "HTTPS", path: "/readyz" } }, null],
        ["classic ELB TCP pass-through", ELB, { listeners: [elbListener] }, null],
        ["classic ELB SSL with a certificate", ELB, { listeners: [{ ...elbListener, lbProtocol: "SSL", instanceProtocol: "SSL", sslCertificateId: "arn:acm" }] }, null],
        ["plain HTTP listener", LISTENER, { ...nlb, protocol: "HTTP" }, /uses HTTP/],
        ["listener without protocol", LISTENER, { ...nlb, protocol: undefined }, /sets no protocol/],
        ["TLS listener without certificate", LISTENER, { ...nlb, protocol: "TLS" }, /without a certificateArn/],
        ["HTTP target group", TARGET_GROUP, { port: 6443, protocol: "HTTP" }, /plain HTTP to port 6443/],
        ["classic ELB HTTP listener", ELB, { listeners: [{ ...elbListener, lbProtocol: "HTTP" }] }, /accepts HTTP/],
        ["classic ELB SSL without certificate", ELB, { listeners: [{ ...elbListener, lbProtocol: "SSL" }] }, /without an sslCertificateId/],
        ["classic ELB forwarding HTTP", ELB, { listeners: [{ ...elbListener, instanceProtocol: "HTTP" }] }, /forwards HTTP to the instances/],
    ];
    for (const [title, type, props, expected] of cases) {
        it(title, () => {
            const vs = checkResource(apiLoadBalancerTls, type, props);
            if (expected) expectViolation(vs, expected);
            else expectNone(vs);
        });
    }
});

describe("etcd-tls-client-auth", () => {
    const member = (config: object = f.ETCD_CONFIG, unit?: string) => f.launchTemplate(f.b64(f.etcdCloudConfig(config, unit)), "k8s.io/role/etcd");
    const check = (props: Record<string, unknown>) => checkResource(etcdTlsClientAuth, LT, props);
    const client = f.ETCD_CONFIG["client-transport-security"];
    const peer = f.ETCD_CONFIG["peer-transport-security"];
    const { ["advertise-client-urls"]: _dropped, ...noAdvertise } = f.ETCD_CONFIG;

    it("accepts an external member with https and client-cert auth", () => expectNone(check(member())));
    it("accepts a stacked control plane (kubeadm defaults)", () => expectNone(check(f.launchTemplate())));
    it("accepts a stacked control plane also tagged as an etcd member", () => expectNone(check({ ...f.launchTemplate(), tags: { "k8s.io/role/control-plane": "1", "k8s.io/role/etcd": "1" } })));
    it("rejects a plain-text client URL", () =>
        expectViolation(check(member({ ...f.ETCD_CONFIG, "listen-client-urls": "http://0.0.0.0:2379" })), /listen-client-urls has the plain-text URL http:\/\/0\.0\.0\.0:2379/));
    it("rejects an unset advertise URL (etcd defaults to http)", () => expectViolation(check(member(noAdvertise)), /advertise-client-urls is not set, so etcd uses http:/));
    it("rejects a plain-text peer in initial-cluster", () =>
        expectViolation(check(member({ ...f.ETCD_CONFIG, "initial-cluster": "etcd-a=http://10.0.1.10:2380" })), /initial-cluster has the plain-text URL http:\/\/10\.0\.1\.10:2380/));
    it("rejects client connections without client-cert auth", () =>
        expectViolation(check(member({ ...f.ETCD_CONFIG, "client-transport-security": { ...client, "client-cert-auth": false } })), /^etcd .*: client-cert-auth is not true/));
    it("rejects client-cert auth without a trusted CA", () =>
        expectViolation(check(member({ ...f.ETCD_CONFIG, "peer-transport-security": { ...peer, "trusted-ca-file": "" } })), /peer-trusted-ca-file is not set/));
    it("rejects peer auto-TLS", () => expectViolation(check(member({ ...f.ETCD_CONFIG, "peer-transport-security": { ...peer, "auto-tls": true } })), /peer-auto-tls is on/));

    const flags =
        "--name etcd-a --listen-client-urls https://0.0.0.0:2379 --advertise-client-urls https://10.0.1.10:2379 --listen-peer-urls https://0.0.0.0:2380 --initial-advertise-peer-urls https://10.0.1.10:2380 --cert-file=/etc/etcd/pki/server.crt --key-file=/etc/etcd/pki/server.key --trusted-ca-file=/etc/etcd/pki/ca.crt --client-cert-auth --peer-cert-file=/etc/etcd/pki/peer.crt --peer-key-file=/etc/etcd/pki/peer.key --peer-trusted-ca-file=/etc/etcd/pki/ca.crt --peer-client-cert-auth";
    const unit = (args: string) => `[Service]\nExecStart=/usr/local/bin/etcd \\\n  ${args}\n`;
    it("accepts flags in a systemd unit", () => expectNone(check(member(f.ETCD_CONFIG, unit(flags)))));
    it("ignores an `etcd --version` probe in ExecStartPre", () => {
        const probe = "[Service]\nExecStartPre=/bin/sh -c '/usr/local/bin/etcd --version | grep -q 3.6'\nExecStart=/usr/local/bin/etcd --config-file /etc/etcd/etcd.yaml\n";
        expectNone(check(member(f.ETCD_CONFIG, probe)));
    });
    it("rejects a bare --peer-auto-tls flag", () => expectViolation(check(member(f.ETCD_CONFIG, unit(`${flags} --peer-auto-tls`))), /peer-auto-tls is on/));
    it("rejects --client-cert-auth=false", () =>
        expectViolation(check(member(f.ETCD_CONFIG, unit(flags.replace("--client-cert-auth", "--client-cert-auth=false")))), /: client-cert-auth is not true/));
    it("reads ETCD_* variables from an environment file", () => {
        const env = "ETCD_LISTEN_CLIENT_URLS=http://0.0.0.0:2379\n";
        const ud = f.cloudConfig(
            [
                { path: "/etc/default/etcd", content: env },
                { path: f.FETCH, content: f.fetchScript() },
            ],
            [[f.FETCH], "systemctl start etcd"],
        );
        expectViolation(check(f.launchTemplate(f.b64(ud), "k8s.io/role/etcd")), /listen-client-urls has the plain-text URL http:/);
    });
    it("does not read a script's own ETCD_* variables as etcd's environment", () => {
        const setup = "#!/bin/sh\nETCD_VERSION=\necho setting up\n";
        const ud = f.cloudConfig(
            [
                { path: "/usr/local/sbin/setup", content: setup },
                { path: f.FETCH, content: f.fetchScript() },
            ],
            [["/usr/local/sbin/setup"], [f.FETCH]],
        );
        expectNone(check(f.launchTemplate(f.b64(ud))));
    });
    it("rejects a --config-file the user data does not write", () =>
        expectViolation(check(member(f.ETCD_CONFIG, unit("--config-file /etc/etcd/other.yaml"))), /reads --config-file \/etc\/etcd\/other\.yaml/));
    it("rejects an etcd member whose etcd configuration it cannot find", () => {
        const ud = f.cloudConfig([{ path: f.FETCH, content: f.fetchScript() }], [[f.FETCH]]);
        expectViolation(check(f.launchTemplate(f.b64(ud), "k8s.io/role/etcd")), /tagged k8s\.io\/role\/etcd, but its user data configures etcd in no form/);
    });

    const withArgs = (extraArgs: unknown) => ({ ...f.CLUSTER_CONFIGURATION, etcd: { local: { extraArgs } } });
    it("rejects kubeadm extraArgs turning client-cert auth off (v1beta4 list)", () =>
        expectViolation(check(f.launchTemplate(f.b64(f.controlPlaneCloudConfig(withArgs([{ name: "client-cert-auth", value: "false" }]))))), /etcd\.local\.extraArgs sets client-cert-auth=false/));
    it("rejects kubeadm extraArgs with a plain-text URL (v1beta3 map)", () =>
        expectViolation(
            check(f.launchTemplate(f.b64(f.controlPlaneCloudConfig({ ...withArgs({ "listen-client-urls": "http://0.0.0.0:2379" }), apiVersion: "kubeadm.k8s.io/v1beta3" })))),
            /listen-client-urls has the plain-text URL/,
        ));
    it("rejects a plain-text external etcd endpoint", () => {
        const external = {
            ...f.CLUSTER_CONFIGURATION,
            etcd: {
                external: {
                    endpoints: ["http://10.0.1.10:2379"],
                    caFile: "/etc/kubernetes/pki/etcd/ca.crt",
                    certFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt",
                    keyFile: "/etc/kubernetes/pki/apiserver-etcd-client.key",
                },
            },
        };
        expectViolation(check(f.launchTemplate(f.b64(f.controlPlaneCloudConfig(external)))), /etcd\.external endpoint http:\/\/10\.0\.1\.10:2379 is not https/);
    });
    it("skips user data redacted as [secret]", () => expectNone(check({ ...member(), userData: "[secret]" })));
    it("reads kubeadm config from a heredoc in a script", () => {
        const script = `#!/bin/bash\ncat > /etc/kubernetes/kubeadm.yaml <<'EOF'\n${stringify(withArgs([{ name: "auto-tls", value: "true" }]))}EOF\n`;
        const ud = f.cloudConfig(
            [
                { path: f.FETCH, content: f.fetchScript() },
                { path: "/usr/local/sbin/kubeadm-config", content: script },
            ],
            [[f.FETCH], "/usr/local/sbin/kubeadm-config"],
        );
        expectViolation(check(f.launchTemplate(f.b64(ud))), /extraArgs sets auto-tls=true/);
    });
});

describe("secrets-bucket-deny-insecure-transport", () => {
    const policyWith = (statements: object[]) => ({ bucket: "prod-secrets-0a1b2c3", policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) });
    it("accepts the secrets bucket denying non-TLS requests", () => expectNone(checkStack(secretsBucketDeniesInsecureTransport, f.secretsBucket())));
    it("rejects a policy without the TLS deny", () =>
        expectViolation(checkStack(secretsBucketDeniesInsecureTransport, f.secretsBucket({ policy: policyWith([f.ROLE_READ]) })), /bucket prod-secrets does not deny requests made without TLS/));
    it("rejects a TLS deny limited to one action", () =>
        expectViolation(
            checkStack(secretsBucketDeniesInsecureTransport, f.secretsBucket({ policy: policyWith([{ ...f.DENY_INSECURE, Action: "s3:GetObject" }]) })),
            /does not deny requests made without TLS/,
        ));
    it("rejects a bucket with no policy at all", () => expectViolation(checkStack(secretsBucketDeniesInsecureTransport, f.secretsBucket({ policy: null })), /does not deny requests made without TLS/));
    it("rejects a policy that is not JSON", () =>
        expectViolation(checkStack(secretsBucketDeniesInsecureTransport, f.secretsBucket({ policy: { bucket: "prod-secrets-0a1b2c3", policy: "{not json" } })), /not a valid policy document/));
    it("ignores buckets that hold no secrets", () => expectNone(checkStack(secretsBucketDeniesInsecureTransport, [{ type: "aws:s3/bucket:Bucket", name: "prod-oidc", props: {} }])));
    it("follows sensitiveBucketPattern", () =>
        expectViolation(checkStack(secretsBucketDeniesInsecureTransport, [{ type: "aws:s3/bucket:Bucket", name: "prod-oidc", props: {} }], { sensitiveBucketPattern: "oidc" }), /prod-oidc/));
});

describe("tls-key-strength", () => {
    const KEY = "tls:index/privateKey:PrivateKey";
    const cases: [Record<string, unknown>, RegExp | null, Record<string, unknown>?][] = [
        [{ algorithm: "ECDSA", ecdsaCurve: "P256" }, null],
        [{ algorithm: "ECDSA", ecdsaCurve: "P521" }, null],
        [{ algorithm: "ED25519" }, null],
        [{ algorithm: "RSA" }, null],
        [{ algorithm: "RSA", rsaBits: 4096 }, null],
        [{ algorithm: "ECDSA" }, /curve P224/],
        [{ algorithm: "ECDSA", ecdsaCurve: "P224" }, /curve P224/],
        [{ algorithm: "RSA", rsaBits: 1024 }, /RSA key of 1024 bits; at least 2048/],
        [{ algorithm: "RSA", rsaBits: 2048 }, /at least 3072/, { minRsaBits: 3072 }],
        [{ algorithm: "ECDSA", ecdsaCurve: "P256" }, /use one of P384/, { allowedEcdsaCurves: ["P384"] }],
    ];
    for (const [props, expected, config] of cases) {
        it(`${JSON.stringify(props)}${config ? ` with ${JSON.stringify(config)}` : ""}`, () => {
            const vs = checkResource(tlsKeyStrength, KEY, props, config);
            if (expected) expectViolation(vs, expected);
            else expectNone(vs);
        });
    }
});

const SELF = "tls:index/selfSignedCert:SelfSignedCert";
const LOCAL = "tls:index/locallySignedCert:LocallySignedCert";
const CA = { isCaCertificate: true, allowedUses: ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"], validityPeriodHours: 87600, privateKeyPem: "[secret]" };
const LEAF = {
    isCaCertificate: false,
    allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
    validityPeriodHours: 8760,
    certRequestPem: "csr",
    caCertPem: "ca",
    caPrivateKeyPem: "[secret]",
};

describe("tls-ca-certificates", () => {
    it("accepts a CA with cert_signing", () => expectNone(checkResource(tlsCaCertificates, SELF, CA)));
    it("accepts a leaf without cert_signing", () => expectNone(checkResource(tlsCaCertificates, LOCAL, LEAF)));
    it("rejects a CA that cannot sign", () => expectViolation(checkResource(tlsCaCertificates, SELF, { ...CA, allowedUses: ["digital_signature"] }), /CA certificate without "cert_signing"/));
    it("rejects cert_signing on a non-CA", () => expectViolation(checkResource(tlsCaCertificates, LOCAL, { ...LEAF, allowedUses: ["cert_signing"] }), /not a CA/));
    it("rejects a self-signed leaf", () =>
        expectViolation(checkResource(tlsCaCertificates, SELF, { ...CA, isCaCertificate: false, allowedUses: ["server_auth"] }), /self-signed certificate that is not a CA/));
    it("allows a self-signed leaf when configured", () =>
        expectNone(checkResource(tlsCaCertificates, SELF, { ...CA, isCaCertificate: false, allowedUses: ["server_auth"] }, { allowSelfSignedLeaf: true })));
});

describe("tls-leaf-validity", () => {
    it("accepts a one-year leaf", () => expectNone(checkResource(tlsLeafValidity, LOCAL, LEAF)));
    it("accepts a ten-year CA", () => expectNone(checkResource(tlsLeafValidity, SELF, CA)));
    it("rejects a leaf longer than the default 8760h", () => expectViolation(checkResource(tlsLeafValidity, LOCAL, { ...LEAF, validityPeriodHours: 8761 }), /valid for 8761h; at most 8760h/));
    it("honours maxLeafValidityHours", () => expectViolation(checkResource(tlsLeafValidity, LOCAL, LEAF, { maxLeafValidityHours: 720 }), /at most 720h/));
    it("rejects a leaf with no validity", () => expectViolation(checkResource(tlsLeafValidity, LOCAL, { ...LEAF, validityPeriodHours: undefined }), /sets no validityPeriodHours/));
});

describe("secrets-bucket-deny-insecure-transport: a user's second bucket policy", () => {
    it("catches a second policy for our bucket without the TLS deny (it replaces ours when applied last)", () => {
        const theirs = { type: "aws:s3/bucketPolicy:BucketPolicy", name: "user-policy", props: { bucket: "prod-secrets-0a1b2c3", policy: JSON.stringify({ Statement: [f.ROLE_READ] }) } };
        expectViolation(checkStack(secretsBucketDeniesInsecureTransport, [...f.secretsBucket(), theirs]), /does not deny requests made without TLS .* in every one of its 2 bucket policies/);
    });
});
