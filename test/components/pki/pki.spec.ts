/**
 * The cluster PKI: certificates from a mocked run (real keys and X.509 from the
 * TLS mock) checked with the real `openssl` (chain, SANs, key usage, CA flag,
 * validity, key/cert pairs), the discovery CA hash against openssl's, the
 * bootstrap token's format, the admin kubeconfig, and secretness of every key,
 * token and kubeconfig.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync, spawnSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import {
    Pki,
    ADMIN_GROUP,
    ADMIN_USER,
    BOOTSTRAP_TOKEN_RE,
    CA_USES,
    EtcdMemberIdentity,
    apiServerUrl,
    bootstrapToken,
    caCertHash,
    etcdMemberCerts,
    privateKeyArgs,
    renderKubeconfig,
} from "../../../components/pki";
import { BOOTSTRAP_TOKEN_FILE, CA_HASH_FILE } from "../../../components/secrets";
import { runComponents, runStackFixture, Secret, Recorded, PINNED_NOW } from "../../support/harness";
import { clusterConfig } from "../../support/fixtures";

const T = {
    pki: "k8s-aws:pki:Pki",
    key: "tls:index/privateKey:PrivateKey",
    selfSigned: "tls:index/selfSignedCert:SelfSignedCert",
    csr: "tls:index/certRequest:CertRequest",
    signed: "tls:index/locallySignedCert:LocallySignedCert",
    randomPassword: "random:index/randomPassword:RandomPassword",
    randomString: "random:index/randomString:RandomString",
};

const NAME = "demo-pki";
const ENDPOINT = "api.demo.k8s.example.com";
const MEMBERS: EtcdMemberIdentity[] = [
    { name: "etcd-a", dnsName: "etcd-a.demo.k8s.example.com", ip: "10.0.0.10" },
    { name: "etcd-b", dnsName: "etcd-b.demo.k8s.example.com", ip: "10.0.32.10" },
    { name: "etcd-c", dnsName: "etcd-c.demo.k8s.example.com", ip: "10.0.64.10" },
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-pki-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let fileNo = 0;
/** Writes text to a fresh temp file and returns its path. */
function file(text: string, hint = "pem"): string {
    const p = path.join(tmp, `${fileNo++}-${hint}`);
    fs.writeFileSync(p, text);
    return p;
}
const openssl = (args: string[], input?: string) => execFileSync("openssl", args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
const opensslOk = (args: string[]) => spawnSync("openssl", args, { encoding: "utf8" });
const x509Text = (pem: string) => openssl(["x509", "-noout", "-text", "-in", file(pem)]);
const ext = (pem: string, name: string) => openssl(["x509", "-noout", "-ext", name, "-in", file(pem)]);
/** The mocked runs issue at the harness's pinned clock; openssl checks validity one minute later, not at today's date. */
const AT_TIME = String(Math.floor(PINNED_NOW.getTime() / 1000) + 60);
/** openssl verify of a leaf against one CA: `true` when it prints OK and exits 0. */
function verifies(caPem: string, certPem: string, purpose?: string): boolean {
    const r = opensslOk(["verify", "-x509_strict", "-attime", AT_TIME, ...(purpose ? ["-purpose", purpose] : []), "-CAfile", file(caPem), file(certPem)]);
    return r.status === 0 && /: OK\s*$/.test(r.stdout);
}
/** The SubjectPublicKeyInfo (PEM) of a certificate and of a private key, per openssl. */
const certPub = (pem: string) => openssl(["x509", "-noout", "-pubkey", "-in", file(pem)]);
const keyPub = (pem: string) => openssl(["pkey", "-pubout", "-in", file(pem)]);
const validityHours = (pem: string) => {
    const c = new crypto.X509Certificate(pem);
    return (Date.parse(c.validTo) - Date.parse(c.validFrom)) / 3_600_000;
};

const isSecret = (o: pulumi.Output<unknown>) => (o as any).isSecret as Promise<boolean>;
const value = <T>(o: pulumi.Output<T>) => (o as any).promise() as Promise<T>;

describe("pki (pure)", () => {
    it("picks ECDSA P-256 or RSA of the configured size", () => {
        assert.deepStrictEqual(privateKeyArgs({ algorithm: "ECDSA", rsaBits: 4096 }), { algorithm: "ECDSA", ecdsaCurve: "P256" });
        assert.deepStrictEqual(privateKeyArgs({ algorithm: "RSA", rsaBits: 3072 }), { algorithm: "RSA", rsaBits: 3072 });
    });

    it("gives CAs signing, CRL signing, digital signature and key encipherment", () => {
        assert.deepStrictEqual([...CA_USES].sort(), ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"]);
    });

    it("builds etcd member SANs from the member's stable DNS name and fixed IP, plus loopback", () => {
        const { server, peer } = etcdMemberCerts(MEMBERS[0]);
        for (const spec of [server, peer]) {
            assert.deepStrictEqual(spec.dnsNames, ["etcd-a.demo.k8s.example.com", "localhost"]);
            assert.deepStrictEqual(spec.ipAddresses, ["10.0.0.10", "127.0.0.1", "::1"]);
        }
        for (const spec of [server, peer]) assert.ok(spec.uses.includes("server_auth") && spec.uses.includes("client_auth"));
    });

    it("turns an endpoint into an https URL on 6443 unless it names a port", () => {
        assert.strictEqual(apiServerUrl("api.demo.example.com"), "https://api.demo.example.com:6443");
        assert.strictEqual(apiServerUrl("api.demo.example.com:443"), "https://api.demo.example.com:443");
        assert.strictEqual(apiServerUrl("203.0.113.7"), "https://203.0.113.7:6443");
        assert.strictEqual(apiServerUrl("2001:db8::1"), "https://[2001:db8::1]:6443");
        assert.strictEqual(apiServerUrl("[2001:db8::1]:8443"), "https://[2001:db8::1]:8443");
        assert.strictEqual(apiServerUrl("https://api.example.com:6443/"), "https://api.example.com:6443");
        assert.throws(() => apiServerUrl("http://api.example.com"), /https/);
        assert.throws(() => apiServerUrl(" "), /empty/);
    });

    it("renders a kubeconfig with one cluster, user and current context", () => {
        const yaml = renderKubeconfig({ clusterName: "demo", server: "https://api:6443", caCertPem: "CA", clientCertPem: "CERT", clientKeyPem: "KEY" });
        const k = parse(yaml);
        assert.strictEqual(k.kind, "Config");
        assert.strictEqual(k["current-context"], "kubernetes-admin@demo");
        assert.deepStrictEqual(k.contexts, [{ name: "kubernetes-admin@demo", context: { cluster: "demo", user: "kubernetes-admin" } }]);
        assert.strictEqual(k.clusters[0].cluster.server, "https://api:6443");
        const b = (s: string) => Buffer.from(s, "base64").toString("utf8");
        assert.strictEqual(b(k.clusters[0].cluster["certificate-authority-data"]), "CA");
        assert.strictEqual(b(k.users[0].user["client-certificate-data"]), "CERT");
        assert.strictEqual(b(k.users[0].user["client-key-data"]), "KEY");
    });

    it("accepts only kubeadm-format bootstrap tokens", () => {
        assert.strictEqual(bootstrapToken("abc123", "0123456789abcdef"), "abc123.0123456789abcdef");
        assert.throws(() => bootstrapToken("ABC123", "0123456789abcdef"), /format/);
        assert.throws(() => bootstrapToken("abc12", "0123456789abcdef"), /format/);
        assert.throws(() => bootstrapToken("abc123", "0123456789abcde_"), /format/);
    });

    for (const [alg, newkey] of [
        ["ECDSA", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]],
        ["RSA", ["-newkey", "rsa:2048"]],
    ] as const) {
        it(`computes the discovery CA hash as openssl does (${alg} CA made by openssl)`, () => {
            const cert = path.join(tmp, `hash-${alg}.crt`);
            openssl(["req", "-x509", ...newkey, "-nodes", "-subj", "/CN=kubernetes", "-days", "1", "-keyout", path.join(tmp, `hash-${alg}.key`), "-out", cert]);
            assert.strictEqual(caCertHash(fs.readFileSync(cert, "utf8")), opensslCaHash(fs.readFileSync(cert, "utf8")));
        });
    }
});

/** `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum`, as kubeadm documents it. */
function opensslCaHash(caPem: string): string {
    const pub = openssl(["x509", "-pubkey", "-noout", "-in", file(caPem)]);
    const der = execFileSync("openssl", ["pkey", "-pubin", "-outform", "der"], { input: pub });
    const sum = execFileSync("sha256sum", [], { input: der, encoding: "utf8" }).split(/\s+/)[0];
    return `sha256:${sum}`;
}

interface Material {
    ca: string;
    caKey: string;
    frontProxyCa: string;
    frontProxyCaKey: string;
    etcdCa: string;
    etcdCaKey: string;
    saKey: string;
    saPub: string;
    admin: string;
    adminKey: string;
    etcdClient: string;
    etcdClientKey: string;
    members: Record<string, { server: string; serverKey: string; peer: string; peerKey: string }>;
    token: string;
    hash: string;
    kubeconfig: string;
}

async function material(pki: Pki): Promise<Material> {
    const members: Material["members"] = {};
    for (const [m, c] of Object.entries(pki.etcdMembers)) {
        members[m] = { server: await value(c.server.certPem), serverKey: await value(c.server.keyPem), peer: await value(c.peer.certPem), peerKey: await value(c.peer.keyPem) };
    }
    return {
        ca: await value(pki.clusterCa.certPem),
        caKey: await value(pki.clusterCa.keyPem),
        frontProxyCa: await value(pki.frontProxyCa.certPem),
        frontProxyCaKey: await value(pki.frontProxyCa.keyPem),
        etcdCa: await value(pki.etcdCa.certPem),
        etcdCaKey: await value(pki.etcdCa.keyPem),
        saKey: await value(pki.serviceAccount.keyPem),
        saPub: await value(pki.serviceAccount.publicKeyPem),
        admin: await value(pki.admin.certPem),
        adminKey: await value(pki.admin.keyPem),
        etcdClient: await value(pki.apiserverEtcdClient.certPem),
        etcdClientKey: await value(pki.apiserverEtcdClient.keyPem),
        members,
        token: await value(pki.bootstrapToken),
        hash: await value(pki.caCertHash),
        kubeconfig: await value(pki.adminKubeconfig),
    };
}

function buildPki(overrides: Record<string, unknown>, etcdMembers?: EtcdMemberIdentity[]) {
    const config = clusterConfig(overrides);
    return runComponents(() => new Pki(NAME, { clusterName: config.name, settings: config.pki, etcdTopology: config.etcd.topology, etcdMembers, apiEndpoint: pulumi.output(ENDPOINT) }));
}

describe("Pki (mocked run: ECDSA, external etcd)", () => {
    let run: Recorded & { result: Pki };
    let m: Material;
    const config = clusterConfig({ etcd: { topology: "external" } });
    before(async () => {
        run = await buildPki({ etcd: { topology: "external" } }, MEMBERS);
        m = await material(run.result);
    });

    it("is a k8s-aws:pki:Pki whose children are named <name>-<role>", () => {
        const [component] = run.ofType(T.pki);
        assert.strictEqual(component.name, NAME);
        const children = run.childrenOf(component.urn);
        assert.ok(children.length > 0);
        for (const c of children) assert.ok(c.name.startsWith(`${NAME}-`), c.name);
        assert.deepStrictEqual(
            run.resources.filter((r) => r.type !== T.pki && r.parent !== component.urn),
            [],
        );
    });

    it("makes three self-signed CAs with the CA flag, signing and CRL-signing usages and the CA validity", () => {
        for (const [pem, cn] of [
            [m.ca, "kubernetes"],
            [m.frontProxyCa, "front-proxy-ca"],
            [m.etcdCa, "etcd-ca"],
        ]) {
            assert.match(ext(pem, "basicConstraints"), /critical\s+CA:TRUE/);
            const ku = ext(pem, "keyUsage");
            for (const u of ["Digital Signature", "Key Encipherment", "Certificate Sign", "CRL Sign"]) assert.ok(ku.includes(u), `${cn}: ${ku}`);
            assert.match(openssl(["x509", "-noout", "-subject", "-in", file(pem)]), new RegExp(`CN ?= ?${cn}\\s*$`));
            assert.ok(verifies(pem, pem), `${cn} verifies against itself`);
            assert.strictEqual(validityHours(pem), config.pki.caValidityHours);
        }
    });

    it("keeps each CA's key paired with its certificate, ECDSA P-256 throughout", () => {
        const pairs = [
            [m.ca, m.caKey],
            [m.frontProxyCa, m.frontProxyCaKey],
            [m.etcdCa, m.etcdCaKey],
            [m.admin, m.adminKey],
            [m.etcdClient, m.etcdClientKey],
        ];
        for (const mem of Object.values(m.members)) pairs.push([mem.server, mem.serverKey], [mem.peer, mem.peerKey]);
        for (const [cert, key] of pairs) {
            assert.strictEqual(certPub(cert), keyPub(key));
            assert.match(x509Text(cert), /ASN1 OID: prime256v1/);
        }
        assert.strictEqual(keyPub(m.saKey), m.saPub.replace(/\r\n/g, "\n"));
    });

    it("issues the admin certificate from the cluster CA: CN kubernetes-admin, O kubeadm:cluster-admins, client auth only", () => {
        assert.strictEqual(ADMIN_USER, "kubernetes-admin");
        assert.strictEqual(ADMIN_GROUP, "kubeadm:cluster-admins");
        assert.ok(verifies(m.ca, m.admin, "sslclient"));
        assert.ok(!verifies(m.frontProxyCa, m.admin) && !verifies(m.etcdCa, m.admin), "signed by the cluster CA only");
        const subject = openssl(["x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", file(m.admin)]);
        assert.match(subject, /CN=kubernetes-admin/);
        assert.match(subject, /O=kubeadm:cluster-admins/);
        assert.match(ext(m.admin, "extendedKeyUsage"), /TLS Web Client Authentication\s*$/);
        assert.match(ext(m.admin, "basicConstraints"), /CA:FALSE/);
        assert.strictEqual(validityHours(m.admin), config.pki.leafValidityHours);
    });

    it("issues the apiserver-etcd-client certificate from the etcd CA for client auth", () => {
        assert.ok(verifies(m.etcdCa, m.etcdClient, "sslclient"));
        assert.ok(!verifies(m.ca, m.etcdClient));
        assert.match(openssl(["x509", "-noout", "-subject", "-in", file(m.etcdClient)]), /CN ?= ?kube-apiserver-etcd-client/);
        assert.doesNotMatch(ext(m.etcdClient, "extendedKeyUsage"), /Server/);
    });

    it("issues each etcd member server and peer certificates from the etcd CA with its DNS name, IP and loopback as SANs", () => {
        assert.deepStrictEqual(
            Object.keys(m.members).sort(),
            MEMBERS.map((x) => x.name),
        );
        for (const member of MEMBERS) {
            const c = m.members[member.name];
            for (const [kind, pem] of [
                ["server", c.server],
                ["peer", c.peer],
            ] as const) {
                assert.ok(verifies(m.etcdCa, pem, "sslserver"), `${member.name} ${kind} as server`);
                assert.ok(verifies(m.etcdCa, pem, "sslclient"), `${member.name} ${kind} as client`);
                assert.ok(!verifies(m.ca, pem), `${member.name} ${kind} not from the cluster CA`);
                const san = ext(pem, "subjectAltName");
                assert.ok(san.includes(`DNS:${member.dnsName}`) && san.includes(`IP Address:${member.ip}`), `${member.name} ${kind}: ${san}`);
                for (const other of MEMBERS.filter((o) => o !== member)) assert.ok(!san.includes(other.dnsName) && !san.includes(`IP Address:${other.ip}\n`));
                assert.match(ext(pem, "extendedKeyUsage"), /TLS Web Server Authentication, TLS Web Client Authentication/);
                assert.strictEqual(validityHours(pem), config.pki.leafValidityHours);
                // openssl's own host and IP checks, as a TLS client would do them
                assert.strictEqual(opensslOk(["x509", "-noout", "-checkhost", member.dnsName, "-in", file(pem)]).stdout.includes("does match"), true);
                assert.strictEqual(opensslOk(["x509", "-noout", "-checkip", member.ip, "-in", file(pem)]).stdout.includes("does match"), true);
                // loopback, for the member's own tooling (and members on 127.0.0.1 in test/real/etcd.spec.ts)
                assert.strictEqual(opensslOk(["x509", "-noout", "-checkip", "127.0.0.1", "-in", file(pem)]).stdout.includes("does match"), true, `${member.name} ${kind}: ${san}`);
            }
        }
    });

    it("computes the discovery CA hash that openssl computes for the cluster CA", () => {
        assert.match(m.hash, /^sha256:[0-9a-f]{64}$/);
        assert.strictEqual(m.hash, opensslCaHash(m.ca));
    });

    it("makes a bootstrap token in kubeadm's format from lowercase-and-digit random passwords whose ids carry nothing", () => {
        assert.match(m.token, BOOTSTRAP_TOKEN_RE);
        // A RandomString's id is its value (plain text in state); a RandomPassword's is "none".
        assert.deepStrictEqual(run.ofType(T.randomString), []);
        const passwords = run.ofType(T.randomPassword).filter((r) => /-token-(id|secret)$/.test(r.name));
        assert.deepStrictEqual(
            passwords.map((r) => r.id),
            ["none", "none"],
        );
        const parts = passwords.map((r) => run.inputs(r));
        assert.deepStrictEqual(
            parts.map((p) => p.length).sort((a, b) => a - b),
            [6, 16],
        );
        for (const p of parts) assert.deepStrictEqual([p.lower, p.upper, p.numeric, p.special], [true, false, true, false]);
    });

    it("renders the admin kubeconfig against the API endpoint with the cluster CA and the admin key pair", () => {
        const k = parse(m.kubeconfig);
        const b = (s: string) => Buffer.from(s, "base64").toString("utf8");
        assert.strictEqual(k.clusters[0].name, "demo");
        assert.strictEqual(k.clusters[0].cluster.server, `https://${ENDPOINT}:6443`);
        assert.strictEqual(b(k.clusters[0].cluster["certificate-authority-data"]), m.ca);
        assert.strictEqual(b(k.users[0].user["client-certificate-data"]), m.admin);
        assert.strictEqual(b(k.users[0].user["client-key-data"]), m.adminKey);
        assert.ok(verifies(b(k.clusters[0].cluster["certificate-authority-data"]), b(k.users[0].user["client-certificate-data"]), "sslclient"));
    });

    it("keeps every private key, the token and the kubeconfig secret, and certificates plain", async () => {
        const p = run.result;
        const secrets = [
            p.clusterCa.keyPem,
            p.frontProxyCa.keyPem,
            p.etcdCa.keyPem,
            p.serviceAccount.keyPem,
            p.admin.keyPem,
            p.apiserverEtcdClient.keyPem,
            ...Object.values(p.etcdMembers).flatMap((c) => [c.server.keyPem, c.peer.keyPem]),
            p.bootstrapToken,
            p.adminKubeconfig,
        ];
        for (const o of secrets) assert.strictEqual(await isSecret(o), true);
        for (const o of [p.clusterCa.certPem, p.etcdCa.certPem, p.admin.certPem, p.caCertHash, p.serviceAccount.publicKeyPem]) assert.strictEqual(await isSecret(o), false);
        // What the bucket stores: secret where the layout says so.
        assert.strictEqual(await isSecret(p.contents.nodes[BOOTSTRAP_TOKEN_FILE]), true);
        assert.strictEqual(await isSecret(p.contents.nodes[CA_HASH_FILE]), false);
        assert.strictEqual(await isSecret(p.contents.controlPlane["ca.key"]), true);
    });

    it("passes private keys to the TLS provider only as secrets", () => {
        for (const r of [...run.ofType(T.selfSigned), ...run.ofType(T.csr)]) assert.ok(r.inputs.privateKeyPem instanceof Secret, r.name);
        for (const r of run.ofType(T.signed)) assert.ok(r.inputs.caPrivateKeyPem instanceof Secret, r.name);
        const plain = JSON.stringify(run.resources.map((r) => r.inputs));
        assert.doesNotMatch(plain, /PRIVATE KEY/);
        assert.ok(!plain.includes(m.token.split(".")[1]));
    });
});

describe("Pki (mocked run: RSA, stacked etcd)", () => {
    let run: Recorded & { result: Pki };
    before(async () => {
        run = await buildPki({ pki: { algorithm: "RSA", rsaBits: 2048, caValidityHours: 48, leafValidityHours: 24 } });
    });

    it("uses RSA keys of the configured size and the configured validity", async () => {
        for (const r of run.ofType(T.key)) assert.deepStrictEqual([run.inputs(r).algorithm, run.inputs(r).rsaBits], ["RSA", 2048]);
        const ca = await value(run.result.clusterCa.certPem);
        const admin = await value(run.result.admin.certPem);
        assert.match(x509Text(ca), /Public-Key: \(2048 bit\)/);
        assert.strictEqual(validityHours(ca), 48);
        assert.strictEqual(validityHours(admin), 24);
        assert.ok(verifies(ca, admin, "sslclient"));
        assert.strictEqual(await value(run.result.caCertHash), opensslCaHash(ca));
    });

    it("issues no etcd member certificates and hands the control plane the etcd CA key", () => {
        assert.deepStrictEqual(Object.keys(run.result.etcdMembers), []);
        assert.deepStrictEqual(Object.keys(run.result.contents.etcd), []);
        assert.ok("etcd/ca.key" in run.result.contents.controlPlane);
        assert.ok(!run.resources.some((r) => /-etcd-etcd-/.test(r.name)));
    });
});

describe("Pki (argument checks)", () => {
    it("needs member identities for external etcd", async () => {
        await assert.rejects(buildPki({ etcd: { topology: "external" } }, []), /etcdMembers/);
    });
});

describe("certificate renewal", function () {
    this.timeout(60_000);
    it("re-issues leaf certificates in the last twelfth of their validity, never the CAs", async () => {
        const run = await runStackFixture("staging");
        const leaves = run.ofType("tls:index/locallySignedCert:LocallySignedCert");
        assert.ok(leaves.length > 0);
        for (const r of leaves) assert.strictEqual(run.inputs(r).earlyRenewalHours, 730, r.name);
        for (const r of run.ofType("tls:index/selfSignedCert:SelfSignedCert")) assert.ok(!run.inputs(r).earlyRenewalHours, r.name);
    });
});
