/**
 * Mock of the @pulumi/tls 5.6.1 provider (terraform-provider-tls): real keys, CSRs and
 * certificates built from the resource arguments, with the provider's defaults, IDs,
 * validation errors and Go crypto/x509 quirks. Deterministic when ctx.seed is set.
 */
import * as crypto from "crypto";
import { hashForState, pemEncode } from "./der";
import { resourceLabel, seededStream } from "./deterministic";
import { ALGORITHMS, Algorithm, CURVE_NAMES, CurveName, describeKey, generateKey, parsePrivateKeyPem, spkiDer, subjectKeyId } from "./keys";
import { parseSshPrivateKey, sshPrivateKeyPem, sshPublic } from "./openssh";
import { encodeName, fieldsFromName, fieldsFromSubject, isEmptyName, NameFields, parseIp, SubjectInput, to4 } from "./names";
import { AltNames, createCertificate, createCertificateRequest, parseCertificate, parseCertificateRequest } from "./x509";
import type { MockContext, MockResourceRequest, MockResourceResult, ProviderMock } from "./types";

const TOKENS = {
    privateKey: "tls:index/privateKey:PrivateKey",
    selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
    certRequest: "tls:index/certRequest:CertRequest",
    locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
    getPublicKey: "tls:index/getPublicKey:getPublicKey",
} as const;

/** allowed_uses -> x509.KeyUsage bits (Go's KeyUsage constants). */
const KEY_USAGES: Record<string, number> = {
    digital_signature: 1 << 0,
    content_commitment: 1 << 1,
    key_encipherment: 1 << 2,
    data_encipherment: 1 << 3,
    key_agreement: 1 << 4,
    cert_signing: 1 << 5,
    crl_signing: 1 << 6,
    encipher_only: 1 << 7,
    decipher_only: 1 << 8,
};
/** allowed_uses -> extended key usage OIDs (Go's oidExtKeyUsage table). */
const EXT_KEY_USAGES: Record<string, string> = {
    any_extended: "2.5.29.37.0",
    server_auth: "1.3.6.1.5.5.7.3.1",
    client_auth: "1.3.6.1.5.5.7.3.2",
    code_signing: "1.3.6.1.5.5.7.3.3",
    email_protection: "1.3.6.1.5.5.7.3.4",
    ipsec_end_system: "1.3.6.1.5.5.7.3.5",
    ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
    ipsec_user: "1.3.6.1.5.5.7.3.7",
    timestamping: "1.3.6.1.5.5.7.3.8",
    ocsp_signing: "1.3.6.1.5.5.7.3.9",
    microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
    netscape_server_gated_crypto: "2.16.840.1.113730.4.1",
    microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
    microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};
const SUPPORTED_USES = [...Object.keys(KEY_USAGES), ...Object.keys(EXT_KEY_USAGES)].sort();

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
const list = (values: readonly string[]) => `[${values.map((v) => JSON.stringify(v)).join(" ")}]`;

function oneOf<T extends string>(attr: string, value: unknown, allowed: readonly T[]): T {
    if (typeof value !== "string" || !allowed.includes(value as T)) {
        throw new Error(`Invalid Attribute Value Match: Attribute ${snake(attr)} value must be one of: ${list(allowed)}, got: ${JSON.stringify(value)}`);
    }
    return value as T;
}

function int(inputs: Record<string, any>, attr: string, def: number | undefined, min: number): number {
    const v = inputs[attr] ?? def;
    if (v === undefined) {
        throw new Error(`Missing required argument: The argument "${snake(attr)}" is required, but no definition was found.`);
    }
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
        throw new Error(`Invalid Attribute Value: Attribute ${snake(attr)} value must be at least ${min}, got: ${JSON.stringify(v)}`);
    }
    return v;
}

const bool = (inputs: Record<string, any>, attr: string) => inputs[attr] ?? false;
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** Exactly one of `attr` / `attr`Wo; write-only values are used but never stored in state. */
function writeOnlyPair(inputs: Record<string, any>, attr: string): { value: string; state: Record<string, any> } {
    const wo = `${attr}Wo`;
    const plain = inputs[attr];
    const writeOnly = inputs[wo];
    if ((plain === undefined || plain === null) === (writeOnly === undefined || writeOnly === null)) {
        throw new Error(`Invalid Attribute Combination: Exactly one of these attributes must be configured: [${snake(attr)},${snake(wo)}]`);
    }
    if (writeOnly !== undefined && writeOnly !== null && inputs[`${wo}Version`] === undefined) {
        throw new Error(`Invalid Attribute Combination: Attribute "${snake(wo)}_version" must be specified when "${snake(wo)}" is specified`);
    }
    const state = { ...inputs };
    delete state[wo];
    return { value: plain ?? writeOnly, state };
}

/** Runs fn, prefixing any error the way the provider's diagnostics read. */
function withContext<T>(prefix: string, fn: () => T): T {
    try {
        return fn();
    } catch (e) {
        throw new Error(`${prefix}: ${(e as Error).message}`, { cause: e });
    }
}

function parseKey(attr: string, pem: string) {
    return withContext(`Failed to parse ${attr === "caPrivateKeyPem" ? "CA " : ""}private key PEM`, () => parsePrivateKeyPem(pem));
}

/** dns_names / ip_addresses / uris as the provider validates and parses them. */
function altNames(inputs: Record<string, any>): AltNames {
    const ipAddresses = strings(inputs.ipAddresses).map((ip) => {
        const bytes = ip.length ? parseIp(ip) : undefined;
        if (!bytes) {
            throw new Error(`Invalid IP address: Failed to parse ${JSON.stringify(ip)}`);
        }
        return bytes;
    });
    const uris = strings(inputs.uris).map((uri) => {
        // The failures Go's url.Parse reports for strings that reach it.
        const badEscape = /%(?![0-9A-Fa-f]{2}).{0,2}/.exec(uri);
        // eslint-disable-next-line no-control-regex -- the control characters Go's url.Parse refuses
        const bad = /[\x00-\x1f\x7f]/.test(uri)
            ? "net/url: invalid control character in URL"
            : badEscape
              ? `invalid URL escape ${JSON.stringify(badEscape[0])}`
              : uri.startsWith(":")
                ? "missing protocol scheme"
                : undefined;
        if (bad) {
            throw new Error(`Invalid URI: Failed to parse ${JSON.stringify(uri)}: ${bad}`);
        }
        return uri;
    });
    return { dnsNames: strings(inputs.dnsNames), ipAddresses, uris };
}

/** RFC 3339 as Go's time.MarshalText writes it (fractional seconds only when non-zero). */
function rfc3339(d: Date): string {
    return d.toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : "Z"));
}

interface IssueRequest {
    ctx: MockContext;
    req: MockResourceRequest;
    subject: NameFields;
    alt: AltNames;
    publicKey: crypto.KeyObject;
    signer: crypto.KeyObject;
    /** undefined for a self-signed certificate (the template is its own parent). */
    parent?: { subjectDer: Buffer; spkiDer: Buffer; subjectKeyId?: Buffer };
    setAuthorityKeyId: boolean;
}

/** The provider's createCertificate + Go's x509.CreateCertificate rules. */
function issue(r: IssueRequest) {
    const inputs = r.req.inputs;
    const hours = int(inputs, "validityPeriodHours", undefined, 0);
    const early = int(inputs, "earlyRenewalHours", 0, 0);
    const maxPathLength = int(inputs, "maxPathLength", -1, -1);
    const isCA = bool(inputs, "isCaCertificate");
    if (!Array.isArray(inputs.allowedUses)) {
        throw new Error(`Missing required argument: The argument "allowed_uses" is required, but no definition was found.`);
    }
    let keyUsage = 0;
    const extKeyUsage: string[] = [];
    strings(inputs.allowedUses).forEach((use, i) => {
        if (!SUPPORTED_USES.includes(use)) {
            const hint = SUPPORTED_USES.includes(snake(use)) ? ` (the provider expects the snake_case name "${snake(use)}")` : "";
            throw new Error(`Invalid Attribute Value Match: Attribute allowed_uses[${i}] value must be one of: ${list(SUPPORTED_USES)}, got: ${JSON.stringify(use)}${hint}`);
        }
        keyUsage |= KEY_USAGES[use] ?? 0;
        if (EXT_KEY_USAGES[use]) {
            extKeyUsage.push(EXT_KEY_USAGES[use]);
        }
    });
    if (isCA && isEmptyName(r.subject)) {
        throw new Error("Invalid Certificate Subject: Must contain at least one Distinguished Name when creating Certificate Authority (CA)");
    }
    if (!isCA && maxPathLength > 0) {
        throw new Error("Failed to create certificate: x509: only CAs are allowed to specify MaxPathLen");
    }
    const ski = isCA || bool(inputs, "setSubjectKeyId") ? subjectKeyId(r.publicKey) : undefined;
    const subjectDer = encodeName(r.subject);
    const parent = r.parent ?? { subjectDer, spkiDer: Buffer.alloc(0), subjectKeyId: ski };
    let aki: Buffer | undefined;
    if (r.setAuthorityKeyId) {
        if (!parent.subjectKeyId?.length) {
            throw new Error("Invalid Certificate Authority: Could not determine Authority Key Identifier");
        }
        aki = parent.subjectKeyId;
    }
    if (r.parent) {
        const caPublic = crypto.createPublicKey({ key: r.parent.spkiDer, format: "der", type: "spki" });
        if (!caPublic.equals(crypto.createPublicKey(r.signer))) {
            throw new Error("Failed to create certificate: x509: provided PrivateKey doesn't match parent's PublicKey");
        }
    }
    // Go sets the AKI from the parent's SKI whenever issuer and subject differ.
    if (!parent.subjectDer.equals(subjectDer) && parent.subjectKeyId?.length) {
        aki = parent.subjectKeyId;
    }
    const stream = seededStream(r.ctx, resourceLabel(r.req.type, r.req.name, "serial"));
    let serial = 0n;
    while (serial === 0n) {
        serial = stream.below(1n << 128n);
    }
    const notBefore = r.ctx.now;
    const notAfter = new Date(notBefore.getTime() + hours * 3_600_000);
    const certPem = createCertificate({
        serial,
        issuerDer: parent.subjectDer,
        subjectDer,
        notBefore,
        notAfter,
        spkiDer: spkiDer(r.publicKey),
        keyUsage,
        extKeyUsage,
        isCA,
        maxPathLen: maxPathLength > 0 ? maxPathLength : -1,
        subjectKeyId: ski,
        authorityKeyId: aki,
        altNames: r.alt,
        signer: r.signer,
    });
    return {
        id: serial.toString(10),
        state: {
            earlyRenewalHours: early,
            isCaCertificate: isCA,
            maxPathLength,
            setSubjectKeyId: bool(inputs, "setSubjectKeyId"),
            certPem,
            validityStartTime: rfc3339(notBefore),
            validityEndTime: rfc3339(notAfter),
            readyForRenewal: notAfter.getTime() - early * 3_600_000 <= r.ctx.now.getTime(),
        },
    };
}

/** Public-key outputs shared by PrivateKey and getPublicKey; the ID is the SHA-1 of the PKIX DER. */
function publicKeyOutputs(key: crypto.KeyObject) {
    const spki = spkiDer(key);
    const ssh = sshPublic(key);
    return {
        id: hashForState(spki),
        outputs: {
            publicKeyPem: pemEncode("PUBLIC KEY", spki),
            publicKeyOpenssh: ssh?.authorizedKey ?? "",
            publicKeyFingerprintMd5: ssh?.fingerprintMd5 ?? "",
            publicKeyFingerprintSha256: ssh?.fingerprintSha256 ?? "",
        },
    };
}

/** RSA keys are also deterministic with a seed (primes drawn from the seeded stream). */
function privateKey(req: MockResourceRequest, ctx: MockContext): MockResourceResult {
    const algorithm = oneOf<Algorithm>("algorithm", req.inputs.algorithm, ALGORITHMS);
    const ecdsaCurve = oneOf<CurveName>("ecdsaCurve", req.inputs.ecdsaCurve ?? "P224", CURVE_NAMES);
    const rsaBits = req.inputs.rsaBits ?? 2048;
    const key = generateKey(algorithm, rsaBits, ecdsaCurve, seededStream(ctx, resourceLabel(req.type, req.name, "key")));
    const checkStream = seededStream(ctx, resourceLabel(req.type, req.name, "openssh-check"));
    const pub = publicKeyOutputs(key);
    const pemType = algorithm === "RSA" ? "pkcs1" : algorithm === "ECDSA" ? "sec1" : "pkcs8";
    return {
        id: pub.id,
        state: {
            ...req.inputs,
            algorithm,
            ecdsaCurve,
            rsaBits,
            privateKeyPem: key.export({ format: "pem", type: pemType }) as string,
            privateKeyPemPkcs8: key.export({ format: "pem", type: "pkcs8" }) as string,
            privateKeyOpenssh: sshPrivateKeyPem(key, checkStream) ?? "",
            ...pub.outputs,
        },
    };
}

function selfSignedCert(req: MockResourceRequest, ctx: MockContext): MockResourceResult {
    const { value, state } = writeOnlyPair(req.inputs, "privateKeyPem");
    const { key, algorithm } = parseKey("privateKeyPem", value);
    const setAuthorityKeyId = bool(req.inputs, "setAuthorityKeyId");
    const cert = issue({
        ctx,
        req,
        subject: fieldsFromSubject(req.inputs.subject as SubjectInput | undefined),
        alt: altNames(req.inputs),
        publicKey: key,
        signer: key,
        setAuthorityKeyId,
    });
    return { id: cert.id, state: { ...state, setAuthorityKeyId, keyAlgorithm: algorithm, ...cert.state } };
}

function certRequest(req: MockResourceRequest): MockResourceResult {
    const { value, state } = writeOnlyPair(req.inputs, "privateKeyPem");
    const { key, algorithm } = parseKey("privateKeyPem", value);
    const subjectDer = encodeName(fieldsFromSubject(req.inputs.subject as SubjectInput | undefined));
    const der = createCertificateRequest(subjectDer, key, altNames(req.inputs));
    return { id: hashForState(der), state: { ...state, keyAlgorithm: algorithm, certRequestPem: pemEncode("CERTIFICATE REQUEST", der) } };
}

function locallySignedCert(req: MockResourceRequest, ctx: MockContext): MockResourceResult {
    const csr = withContext("Failed to parse certificate request PEM", () => parseCertificateRequest(req.inputs.certRequestPem));
    const { value, state } = writeOnlyPair(req.inputs, "caPrivateKeyPem");
    const { key: caKey, algorithm } = parseKey("caPrivateKeyPem", value);
    const ca = withContext("Failed to parse CA certificate PEM", () => parseCertificate(req.inputs.caCertPem));
    const publicKey = crypto.createPublicKey({ key: csr.spkiDer, format: "der", type: "spki" });
    // Go's x509 only certifies RSA, ECDSA (P-224..P-521) and Ed25519 keys.
    withContext("Failed to create certificate", () => describeKey(publicKey));
    const cert = issue({
        ctx,
        req,
        subject: fieldsFromName(csr.subjectDer),
        alt: { ...csr.altNames, ipAddresses: csr.altNames.ipAddresses.map(to4) },
        publicKey,
        signer: caKey,
        parent: ca,
        setAuthorityKeyId: false,
    });
    return { id: cert.id, state: { ...state, caKeyAlgorithm: algorithm, ...cert.state } };
}

function getPublicKey(inputs: Record<string, any>): Record<string, any> {
    const hasPem = inputs.privateKeyPem !== undefined && inputs.privateKeyPem !== null;
    const hasSsh = inputs.privateKeyOpenssh !== undefined && inputs.privateKeyOpenssh !== null;
    if (hasPem === hasSsh) {
        throw new Error("Invalid Attribute Combination: Exactly one of these attributes must be configured: [private_key_openssh,private_key_pem]");
    }
    const key = withContext("Unable to parse private key", () => (hasPem ? parsePrivateKeyPem(inputs.privateKeyPem).key : parseSshPrivateKey(inputs.privateKeyOpenssh)));
    const pub = publicKeyOutputs(key);
    return { ...inputs, algorithm: describeKey(key).algorithm, id: pub.id, ...pub.outputs };
}

export const tlsMock: ProviderMock = {
    resources: {
        [TOKENS.privateKey]: privateKey,
        [TOKENS.selfSignedCert]: selfSignedCert,
        [TOKENS.certRequest]: certRequest,
        [TOKENS.locallySignedCert]: locallySignedCert,
    },
    calls: {
        [TOKENS.getPublicKey]: getPublicKey,
    },
    secretOutputs: {
        [TOKENS.privateKey]: ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"],
        [TOKENS.selfSignedCert]: ["privateKeyPem", "privateKeyPemWo"],
        [TOKENS.certRequest]: ["privateKeyPem", "privateKeyPemWo"],
        [TOKENS.locallySignedCert]: ["caPrivateKeyPem", "caPrivateKeyPemWo"],
    },
};
