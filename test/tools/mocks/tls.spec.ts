import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { hashForState } from "../../../tools/mocks/der";
import { tlsMock } from "../../../tools/mocks/tls";
import type { MockContext } from "../../../tools/mocks/types";

const T = {
    key: "tls:index/privateKey:PrivateKey",
    self: "tls:index/selfSignedCert:SelfSignedCert",
    csr: "tls:index/certRequest:CertRequest",
    signed: "tls:index/locallySignedCert:LocallySignedCert",
    getPublicKey: "tls:index/getPublicKey:getPublicKey",
};
const NOW = new Date("2025-01-15T10:30:00Z");
const context = (seed: string | undefined, now = NOW): MockContext => ({ seed, now, region: "eu-west-1", accountId: "123456789012", partition: "aws" });

async function create(type: string, name: string, inputs: Record<string, any>, ctx: MockContext) {
    return tlsMock.resources[type]({ type, name, inputs }, ctx);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tls-mock-"));
let fileCounter = 0;
function file(text: string): string {
    const p = path.join(tmp, `f${fileCounter++}`);
    fs.writeFileSync(p, text, { mode: 0o600 });
    return p;
}
function run(cmd: string, args: string[]): { ok: boolean; out: string } {
    const r = spawnSync(cmd, args, { encoding: "utf8" });
    if (r.error) {
        throw r.error;
    }
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}
function openssl(...args: string[]): string {
    const r = run("openssl", args);
    assert.ok(r.ok, `openssl ${args.join(" ")} failed:\n${r.out}`);
    return r.out;
}
const attime = String(Math.floor(NOW.getTime() / 1000) + 3600);
const hasSshKeygen = run("sh", ["-c", "command -v ssh-keygen"]).ok;

/** CA (self-signed) + CSR + leaf signed by the CA, plus a leaf from a second CA with the same name. */
async function chain(keyArgs: Record<string, any>, ctx: MockContext) {
    const caKey = await create(T.key, "ca-key", keyArgs, ctx);
    const caCert = await create(
        T.self,
        "ca",
        {
            privateKeyPem: caKey.state.privateKeyPem,
            subject: { commonName: "kubernetes-ca", organization: "Acme" },
            validityPeriodHours: 87600,
            isCaCertificate: true,
            allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        },
        ctx,
    );
    const leafKey = await create(T.key, "apiserver-key", keyArgs, ctx);
    const csr = await create(
        T.csr,
        "apiserver-csr",
        {
            privateKeyPem: leafKey.state.privateKeyPem,
            subject: { commonName: "kube-apiserver", organization: "system:masters" },
            dnsNames: ["kubernetes", "kubernetes.default.svc.cluster.local"],
            ipAddresses: ["10.96.0.1", "2001:db8::1"],
        },
        ctx,
    );
    const leafArgs = { certRequestPem: csr.state.certRequestPem, validityPeriodHours: 720, allowedUses: ["digital_signature", "key_encipherment", "server_auth"] };
    const leaf = await create(T.signed, "apiserver", { ...leafArgs, caPrivateKeyPem: caKey.state.privateKeyPem, caCertPem: caCert.state.certPem }, ctx);
    const otherKey = await create(T.key, "other-ca-key", keyArgs, ctx);
    const otherCa = await create(
        T.self,
        "other-ca",
        {
            privateKeyPem: otherKey.state.privateKeyPem,
            subject: { commonName: "kubernetes-ca", organization: "Acme" },
            validityPeriodHours: 87600,
            isCaCertificate: true,
            allowedUses: ["cert_signing"],
        },
        ctx,
    );
    const foreignLeaf = await create(T.signed, "foreign", { ...leafArgs, caPrivateKeyPem: otherKey.state.privateKeyPem, caCertPem: otherCa.state.certPem }, ctx);
    return { caKey, caCert, leafKey, csr, leaf, foreignLeaf };
}

describe("tls mock", function () {
    this.timeout(120_000);
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    for (const [label, keyArgs, pemHeader] of [
        ["RSA 2048", { algorithm: "RSA", rsaBits: 2048 }, "RSA PRIVATE KEY"],
        ["ECDSA P256", { algorithm: "ECDSA", ecdsaCurve: "P256" }, "EC PRIVATE KEY"],
    ] as const) {
        describe(`${label} CA and leaf`, () => {
            let c: Awaited<ReturnType<typeof chain>>;
            before(async () => {
                c = await chain(keyArgs, context(undefined));
            });

            it("produces private keys openssl can read, in the provider's formats", () => {
                for (const key of [c.caKey, c.leafKey]) {
                    assert.ok(key.state.privateKeyPem.startsWith(`-----BEGIN ${pemHeader}-----\n`));
                    assert.ok(key.state.privateKeyPemPkcs8.startsWith("-----BEGIN PRIVATE KEY-----\n"));
                    openssl("pkey", "-in", file(key.state.privateKeyPem), "-noout");
                    const pub = openssl("pkey", "-in", file(key.state.privateKeyPemPkcs8), "-pubout");
                    assert.strictEqual(pub, key.state.publicKeyPem);
                }
                if (label === "RSA 2048") {
                    assert.match(openssl("pkey", "-in", file(c.caKey.state.privateKeyPem), "-noout", "-text"), /Private-Key: \(2048 bit/);
                }
            });

            it("produces a CSR that openssl req -verify accepts, with subject and SANs", () => {
                const out = openssl("req", "-in", file(c.csr.state.certRequestPem), "-verify", "-noout", "-text");
                assert.match(out, /verify OK/);
                assert.match(out, /Subject: O = system:masters, CN = kube-apiserver/);
                assert.match(out, /DNS:kubernetes, DNS:kubernetes\.default\.svc\.cluster\.local, IP Address:10\.96\.0\.1, IP Address:2001:DB8:0:0:0:0:0:1/);
                assert.strictEqual(c.csr.state.keyAlgorithm, keyArgs.algorithm);
            });

            it("issues a leaf that openssl verify accepts against its CA", () => {
                // -check_ss_sig also checks the self-signed CA's own signature.
                const out = openssl("verify", "-check_ss_sig", "-attime", attime, "-CAfile", file(c.caCert.state.certPem), file(c.leaf.state.certPem));
                assert.match(out, /: OK/);
            });

            it("rejects a leaf signed by a different CA", () => {
                const r = run("openssl", ["verify", "-attime", attime, "-CAfile", file(c.caCert.state.certPem), file(c.foreignLeaf.state.certPem)]);
                assert.strictEqual(r.ok, false, r.out);
            });

            it("encodes SANs, CA flag, key usages and validity as requested", () => {
                const ca = openssl("x509", "-in", file(c.caCert.state.certPem), "-noout", "-text");
                const leaf = openssl("x509", "-in", file(c.leaf.state.certPem), "-noout", "-text");
                assert.match(ca, /Basic Constraints: critical\s+CA:TRUE/);
                assert.match(ca, /Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
                assert.doesNotMatch(ca, /Extended Key Usage/);
                assert.match(leaf, /Basic Constraints: critical\s+CA:FALSE/);
                assert.match(leaf, /Key Usage: critical\s+Digital Signature, Key Encipherment/);
                assert.match(leaf, /Extended Key Usage: \s*TLS Web Server Authentication\n/);
                assert.match(leaf, /DNS:kubernetes, DNS:kubernetes\.default\.svc\.cluster\.local, IP Address:10\.96\.0\.1, IP Address:2001:DB8:0:0:0:0:0:1/);
                assert.match(leaf, /Issuer: CN = kubernetes-ca, O = Acme|Issuer: O = Acme, CN = kubernetes-ca/);
                // A CA always gets a subject key id; the leaf's authority key id points at it.
                const ski = /Subject Key Identifier: \s*([0-9A-F:]+)/.exec(ca)?.[1];
                assert.ok(ski);
                assert.match(leaf, new RegExp(`Authority Key Identifier: \\s*(keyid:)?${ski}`));
                for (const [pem, hours] of [
                    [c.caCert.state.certPem, 87600],
                    [c.leaf.state.certPem, 720],
                ] as const) {
                    const dates = openssl("x509", "-in", file(pem), "-noout", "-startdate", "-enddate");
                    const start = Date.parse(/notBefore=(.*)/.exec(dates)![1]);
                    const end = Date.parse(/notAfter=(.*)/.exec(dates)![1]);
                    assert.strictEqual(start, NOW.getTime());
                    assert.strictEqual(end - start, hours * 3_600_000);
                }
            });

            it("returns the provider's computed outputs", () => {
                assert.strictEqual(c.leaf.state.validityStartTime, "2025-01-15T10:30:00Z");
                assert.strictEqual(c.leaf.state.validityEndTime, "2025-02-14T10:30:00Z");
                assert.strictEqual(c.leaf.state.readyForRenewal, false);
                assert.strictEqual(c.leaf.state.caKeyAlgorithm, keyArgs.algorithm);
                assert.strictEqual(c.caCert.state.keyAlgorithm, keyArgs.algorithm);
                const serial = /serial=([0-9A-F]+)/.exec(openssl("x509", "-in", file(c.leaf.state.certPem), "-noout", "-serial"))![1];
                assert.strictEqual(c.leaf.id, BigInt("0x" + serial).toString(10));
                assert.ok(BigInt(c.leaf.id) > 0n && BigInt(c.leaf.id) < 1n << 128n);
            });
        });
    }

    describe("other key types sign verifiable chains with the provider's digests", () => {
        for (const [keyArgs, sigAlg] of [
            [{ algorithm: "ECDSA" }, "ecdsa-with-SHA256"],
            [{ algorithm: "ECDSA", ecdsaCurve: "P384" }, "ecdsa-with-SHA384"],
            [{ algorithm: "ECDSA", ecdsaCurve: "P521" }, "ecdsa-with-SHA512"],
            [{ algorithm: "ED25519" }, "ED25519"],
        ] as const) {
            it(JSON.stringify(keyArgs), async () => {
                const c = await chain(keyArgs, context(undefined));
                openssl("req", "-in", file(c.csr.state.certRequestPem), "-verify", "-noout");
                openssl("verify", "-check_ss_sig", "-attime", attime, "-CAfile", file(c.caCert.state.certPem), file(c.leaf.state.certPem));
                assert.match(openssl("x509", "-in", file(c.leaf.state.certPem), "-noout", "-text"), new RegExp(`Signature Algorithm: ${sigAlg}`));
                assert.strictEqual(run("openssl", ["verify", "-attime", attime, "-CAfile", file(c.caCert.state.certPem), file(c.foreignLeaf.state.certPem)]).ok, false);
            });
        }
    });

    describe("PrivateKey", () => {
        // Seeded so the ID check below is stable (see the hashForState test for the trimming rule).
        const ctx = context("private-key-formats");
        for (const [args, header, sshType] of [
            [{ algorithm: "ECDSA" }, "EC PRIVATE KEY", undefined],
            [{ algorithm: "ECDSA", ecdsaCurve: "P384" }, "EC PRIVATE KEY", "ecdsa-sha2-nistp384"],
            [{ algorithm: "ECDSA", ecdsaCurve: "P521" }, "EC PRIVATE KEY", "ecdsa-sha2-nistp521"],
            [{ algorithm: "ED25519" }, "PRIVATE KEY", "ssh-ed25519"],
            [{ algorithm: "RSA" }, "RSA PRIVATE KEY", "ssh-rsa"],
        ] as const) {
            it(`${JSON.stringify(args)} gives every output in the provider's format`, async () => {
                const { id, state } = await create(T.key, "k", { ...args }, ctx);
                assert.strictEqual(state.rsaBits, 2048);
                assert.strictEqual(state.ecdsaCurve, (args as any).ecdsaCurve ?? "P224");
                assert.ok(state.privateKeyPem.startsWith(`-----BEGIN ${header}-----\n`) && state.privateKeyPem.endsWith("-----\n"));
                openssl("pkey", "-in", file(state.privateKeyPem), "-noout");
                assert.strictEqual(openssl("pkey", "-in", file(state.privateKeyPem), "-pubout"), state.publicKeyPem);
                const spki = crypto.createPublicKey(state.publicKeyPem).export({ format: "der", type: "spki" });
                assert.strictEqual(id, hashForState(spki));
                assert.strictEqual(
                    id,
                    crypto
                        .createHash("sha1")
                        .update(spki.subarray(0, spki.length - /[\t\n\v\f\r ]*$/.exec(spki.toString("latin1"))![0].length))
                        .digest("hex"),
                );
                if (!sshType) {
                    // x/crypto/ssh cannot encode P-224, so the provider leaves these empty.
                    for (const k of ["privateKeyOpenssh", "publicKeyOpenssh", "publicKeyFingerprintMd5", "publicKeyFingerprintSha256"]) {
                        assert.strictEqual(state[k], "");
                    }
                    return;
                }
                assert.ok(state.publicKeyOpenssh.startsWith(`${sshType} `) && state.publicKeyOpenssh.endsWith("\n"));
                assert.match(state.publicKeyFingerprintMd5, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
                assert.match(state.publicKeyFingerprintSha256, /^SHA256:[A-Za-z0-9+/]{43}$/);
                assert.ok(state.privateKeyOpenssh.startsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
                if (hasSshKeygen) {
                    const keyFile = file(state.privateKeyOpenssh);
                    assert.strictEqual(run("ssh-keygen", ["-y", "-f", keyFile]).out.trim(), state.publicKeyOpenssh.trim());
                    assert.ok(run("ssh-keygen", ["-l", "-E", "sha256", "-f", keyFile]).out.includes(state.publicKeyFingerprintSha256));
                    assert.ok(run("ssh-keygen", ["-l", "-E", "md5", "-f", keyFile]).out.includes(`MD5:${state.publicKeyFingerprintMd5}`));
                }
            });
        }

        it("IDs use the provider's hashForState (SHA-1 after Go's strings.TrimSpace)", () => {
            const sha1 = (b: Buffer) => crypto.createHash("sha1").update(b).digest("hex");
            assert.strictEqual(hashForState(Buffer.from("\n\t abc \r\n")), sha1(Buffer.from("abc")));
            assert.strictEqual(hashForState(Buffer.from([0x30, 0x01, 0xc2, 0xa0])), sha1(Buffer.from([0x30, 0x01])));
            assert.strictEqual(hashForState(Buffer.from([0x30, 0xa0])), sha1(Buffer.from([0x30, 0xa0])));
            assert.strictEqual(hashForState(Buffer.alloc(0)), "");
        });

        it("rejects unsupported algorithms, curves and key sizes", async () => {
            await assert.rejects(async () => create(T.key, "k", { algorithm: "DSA" }, ctx), /algorithm value must be one of: \["RSA" "ECDSA" "ED25519"\], got: "DSA"/);
            await assert.rejects(async () => create(T.key, "k", { algorithm: "ECDSA", ecdsaCurve: "P192" }, ctx), /ecdsa_curve value must be one of/);
            await assert.rejects(async () => create(T.key, "k", { algorithm: "RSA", rsaBits: 512 }, ctx), /512-bit keys are insecure/);
        });

        it("getPublicKey derives the same public outputs from PEM or OpenSSH", async () => {
            const { id, state } = await create(T.key, "k", { algorithm: "ED25519" }, ctx);
            for (const inputs of [{ privateKeyPem: state.privateKeyPem }, { privateKeyOpenssh: state.privateKeyOpenssh }]) {
                const out = await tlsMock.calls[T.getPublicKey](inputs, ctx);
                assert.strictEqual(out.id, id);
                assert.strictEqual(out.algorithm, "ED25519");
                for (const k of ["publicKeyPem", "publicKeyOpenssh", "publicKeyFingerprintMd5", "publicKeyFingerprintSha256"]) {
                    assert.strictEqual(out[k], state[k]);
                }
            }
        });
    });

    describe("determinism", () => {
        const pems = (c: Awaited<ReturnType<typeof chain>>) => [
            c.caKey.state.privateKeyPem,
            c.caKey.state.privateKeyOpenssh,
            c.caKey.id,
            c.caCert.state.certPem,
            c.caCert.id,
            c.leafKey.state.privateKeyPem,
            c.csr.state.certRequestPem,
            c.csr.id,
            c.leaf.state.certPem,
            c.leaf.id,
        ];
        for (const keyArgs of [{ algorithm: "ECDSA", ecdsaCurve: "P256" }, { algorithm: "RSA" }, { algorithm: "ED25519" }]) {
            it(`${keyArgs.algorithm}: same seed and clock give byte-identical PEMs`, async () => {
                const a = pems(await chain(keyArgs, context("golden")));
                const b = pems(await chain(keyArgs, context("golden")));
                assert.deepStrictEqual(a, b);
                const other = pems(await chain(keyArgs, context("another-seed")));
                a.forEach((v, i) => assert.notStrictEqual(v, other[i]));
            });
        }

        it("different resource names get different keys under one seed", async () => {
            const ctx = context("golden");
            const a = await create(T.key, "a", { algorithm: "ECDSA", ecdsaCurve: "P256" }, ctx);
            const b = await create(T.key, "b", { algorithm: "ECDSA", ecdsaCurve: "P256" }, ctx);
            assert.notStrictEqual(a.state.privateKeyPem, b.state.privateKeyPem);
        });

        it("without a seed every run is fresh", async () => {
            const a = pems(await chain({ algorithm: "ECDSA", ecdsaCurve: "P256" }, context(undefined)));
            const b = pems(await chain({ algorithm: "ECDSA", ecdsaCurve: "P256" }, context(undefined)));
            a.forEach((v, i) => assert.notStrictEqual(v, b[i]));
        });
    });

    describe("certificate options", () => {
        const ctx = context("options");
        let keyPem: string;
        before(async () => {
            keyPem = (await create(T.key, "k", { algorithm: "ECDSA", ecdsaCurve: "P384" }, ctx)).state.privateKeyPem;
        });
        const selfSigned = (inputs: Record<string, any>) =>
            create(
                T.self,
                "c",
                {
                    privateKeyPem: keyPem,
                    subject: { commonName: "x" },
                    validityPeriodHours: 24,
                    allowedUses: ["digital_signature"],
                    ...inputs,
                },
                ctx,
            );

        it("setSubjectKeyId + setAuthorityKeyId give matching identifiers; maxPathLength sets pathlen", async () => {
            const cert = await selfSigned({ setSubjectKeyId: true, setAuthorityKeyId: true, isCaCertificate: true, maxPathLength: 2, allowedUses: ["cert_signing"] });
            const text = openssl("x509", "-in", file(cert.state.certPem), "-noout", "-text");
            const ski = /Subject Key Identifier: \s*([0-9A-F:]+)/.exec(text)![1];
            assert.match(text, new RegExp(`Authority Key Identifier: \\s*(keyid:)?${ski}`));
            assert.match(text, /CA:TRUE, pathlen:2/);
            assert.match(text, /Signature Algorithm: ecdsa-with-SHA384/);
            assert.strictEqual(cert.state.maxPathLength, 2);
        });

        it("a full subject, URIs and an empty-subject critical SAN", async () => {
            const cert = await selfSigned({
                subject: {
                    commonName: "node-1",
                    organization: "system:nodes",
                    organizationalUnit: "ops",
                    country: "DE",
                    locality: "Berlin",
                    province: "BE",
                    postalCode: "10115",
                    streetAddresses: ["Street 1", "Street 2"],
                    serialNumber: "42",
                },
                uris: ["spiffe://cluster.local/ns/default/sa/x"],
                setSubjectKeyId: true,
            });
            const text = openssl("x509", "-in", file(cert.state.certPem), "-noout", "-text", "-nameopt", "RFC2253");
            assert.match(text, /Subject: serialNumber=42,CN=node-1,OU=ops,O=system:nodes,postalCode=10115,street=Street [12]\+street=Street [12],L=Berlin,ST=BE,C=DE/);
            assert.match(text, /URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/x/);
            assert.doesNotMatch(text, /Authority Key Identifier/);
            const bare = await selfSigned({ subject: undefined, dnsNames: ["only.example"] });
            assert.match(openssl("x509", "-in", file(bare.state.certPem), "-noout", "-text"), /Subject Alternative Name: critical/);
        });

        it("readyForRenewal is true inside the early renewal window", async () => {
            assert.strictEqual((await selfSigned({ validityPeriodHours: 10, earlyRenewalHours: 10 })).state.readyForRenewal, true);
            assert.strictEqual((await selfSigned({ validityPeriodHours: 10, earlyRenewalHours: 9 })).state.readyForRenewal, false);
        });

        it("write-only keys are used but not kept in state", async () => {
            const cert = await create(
                T.self,
                "c",
                {
                    privateKeyPemWo: keyPem,
                    privateKeyPemWoVersion: 1,
                    validityPeriodHours: 1,
                    allowedUses: [],
                },
                ctx,
            );
            assert.ok(cert.state.certPem);
            assert.strictEqual("privateKeyPemWo" in cert.state, false);
        });

        it("rejects invalid inputs the way the provider does", async () => {
            await assert.rejects(async () => selfSigned({ allowedUses: ["certSigning"] }), /allowed_uses\[0\].*snake_case name "cert_signing"/);
            await assert.rejects(async () => selfSigned({ isCaCertificate: true, subject: {} }), /Must contain at least one Distinguished Name/);
            await assert.rejects(async () => selfSigned({ maxPathLength: 1 }), /only CAs are allowed to specify MaxPathLen/);
            await assert.rejects(async () => selfSigned({ setAuthorityKeyId: true }), /Could not determine Authority Key Identifier/);
            await assert.rejects(async () => selfSigned({ ipAddresses: ["10.0.0.300"] }), /Invalid IP address: Failed to parse "10.0.0.300"/);
            await assert.rejects(async () => selfSigned({ privateKeyPem: undefined }), /Exactly one of these attributes must be configured/);
            await assert.rejects(async () => selfSigned({ privateKeyPem: "not a key" }), /Failed to parse private key PEM/);
            await assert.rejects(
                async () =>
                    create(
                        T.signed,
                        "s",
                        {
                            certRequestPem: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
                            caPrivateKeyPem: keyPem,
                            caCertPem: "",
                            validityPeriodHours: 1,
                            allowedUses: [],
                        },
                        ctx,
                    ),
                /Failed to parse certificate request PEM/,
            );
        });

        it("rejects a CA key that does not match the CA certificate", async () => {
            const ca = await selfSigned({ isCaCertificate: true, allowedUses: ["cert_signing"] });
            const otherKey = (await create(T.key, "other", { algorithm: "ECDSA", ecdsaCurve: "P384" }, ctx)).state.privateKeyPem;
            const csr = await create(T.csr, "r", { privateKeyPem: otherKey, subject: { commonName: "y" } }, ctx);
            await assert.rejects(
                async () =>
                    create(
                        T.signed,
                        "s",
                        {
                            certRequestPem: csr.state.certRequestPem,
                            caPrivateKeyPem: otherKey,
                            caCertPem: ca.state.certPem,
                            validityPeriodHours: 1,
                            allowedUses: [],
                        },
                        ctx,
                    ),
                /provided PrivateKey doesn't match parent's PublicKey/,
            );
        });
    });

    it("declares the provider's secret outputs", () => {
        assert.deepStrictEqual(tlsMock.secretOutputs[T.key], ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"]);
        assert.deepStrictEqual(tlsMock.secretOutputs[T.signed], ["caPrivateKeyPem", "caPrivateKeyPemWo"]);
        assert.deepStrictEqual(tlsMock.secretOutputs[T.self], ["privateKeyPem", "privateKeyPemWo"]);
        assert.deepStrictEqual(tlsMock.secretOutputs[T.csr], ["privateKeyPem", "privateKeyPemWo"]);
    });
});
