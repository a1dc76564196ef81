/**
 * Key generation, parsing and signing for the TLS mock, following the behaviour of
 * terraform-provider-tls (Go crypto/x509) that @pulumi/tls wraps.
 */
import * as crypto from "crypto";
import { p256 } from "@noble/curves/p256";
import { p384 } from "@noble/curves/p384";
import { p521 } from "@noble/curves/p521";
import { createCurve } from "@noble/curves/_shortw_utils";
import { Field } from "@noble/curves/abstract/modular";
import { sha256 } from "@noble/hashes/sha2";
import { ByteStream } from "./deterministic";
import { bigToBytes, bytesToBig, children, content, derOid, pemDecode, readTlv, tlv } from "./der";

export type Algorithm = "RSA" | "ECDSA" | "ED25519";
export type CurveName = "P224" | "P256" | "P384" | "P521";
export const ALGORITHMS: readonly Algorithm[] = ["RSA", "ECDSA", "ED25519"];
export const CURVE_NAMES: readonly CurveName[] = ["P224", "P256", "P384", "P521"];

// noble has no P-224; it is built from the SEC 2 parameters so every curve signs the same way (RFC 6979).
const P224_P = BigInt("0xffffffffffffffffffffffffffffffff000000000000000000000001");
const p224 = createCurve(
    {
        n: BigInt("0xffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3d"),
        h: 1n,
        a: P224_P - 3n,
        b: BigInt("0xb4050a850c04b3abf54132565044b0b7d7bfd8ba270b39432355ffb4"),
        Gx: BigInt("0xb70e0cbd6bb4bf7f321390b94a03c1d356c21122343280d6115c1d21"),
        Gy: BigInt("0xbd376388b5f723fb4c22dfe6cd4375a05a07476444d5819985007e34"),
        Fp: Field(P224_P),
        lowS: false,
    },
    sha256,
);

interface CurveInfo {
    node: string;
    oid: string;
    size: number;
    /** Go's x509 picks the digest from the curve (P-224 uses SHA-256). */
    hash: "sha256" | "sha384" | "sha512";
    sigOid: string;
    noble: typeof p256;
}

export const CURVES: Record<CurveName, CurveInfo> = {
    P224: { node: "secp224r1", oid: "1.3.132.0.33", size: 28, hash: "sha256", sigOid: "1.2.840.10045.4.3.2", noble: p224 },
    P256: { node: "prime256v1", oid: "1.2.840.10045.3.1.7", size: 32, hash: "sha256", sigOid: "1.2.840.10045.4.3.2", noble: p256 },
    P384: { node: "secp384r1", oid: "1.3.132.0.34", size: 48, hash: "sha384", sigOid: "1.2.840.10045.4.3.3", noble: p384 },
    P521: { node: "secp521r1", oid: "1.3.132.0.35", size: 66, hash: "sha512", sigOid: "1.2.840.10045.4.3.4", noble: p521 },
};

export interface KeyDescription {
    algorithm: Algorithm;
    curve?: CurveName;
}

/** Algorithm (and curve) of a private or public key; throws for keys Go's x509 would not accept. */
export function describeKey(key: crypto.KeyObject): KeyDescription {
    switch (key.asymmetricKeyType) {
        case "rsa":
            return { algorithm: "RSA" };
        case "ed25519":
            return { algorithm: "ED25519" };
        case "ec": {
            const named = key.asymmetricKeyDetails?.namedCurve;
            const curve = CURVE_NAMES.find((c) => CURVES[c].node === named);
            if (!curve) {
                throw new Error("x509: unknown elliptic curve");
            }
            return { algorithm: "ECDSA", curve };
        }
        default:
            throw new Error(`unsupported key type: ${key.asymmetricKeyType}`);
    }
}

function padTo(b: Buffer, size: number): Buffer {
    return b.length >= size ? b : Buffer.concat([Buffer.alloc(size - b.length), b]);
}

/** An EC private key from its scalar: node derives the public point, SEC1 DER carries both. */
export function ecKeyFromScalar(curve: CurveName, d: bigint): crypto.KeyObject {
    const info = CURVES[curve];
    const dBytes = padTo(bigToBytes(d), info.size);
    const ecdh = crypto.createECDH(info.node);
    ecdh.setPrivateKey(dBytes);
    const der = tlv(0x30, tlv(0x02, Buffer.from([1])), tlv(0x04, dBytes), tlv(0xa0, derOid(info.oid)), tlv(0xa1, tlv(0x03, Buffer.from([0]), ecdh.getPublicKey())));
    return crypto.createPrivateKey({ key: der, format: "der", type: "sec1" });
}

/** An Ed25519 private key from its 32-byte seed (RFC 8410 PKCS#8). */
export function ed25519KeyFromSeed(seed: Buffer): crypto.KeyObject {
    const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
    return crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}

export function ecScalar(key: crypto.KeyObject): Buffer {
    const der = key.export({ format: "der", type: "sec1" });
    const seq = children(der, readTlv(der, 0));
    return content(der, seq[1]);
}

const b64u = (n: bigint) => bigToBytes(n).toString("base64url");
const fromB64u = (s: string | undefined) => bytesToBig(Buffer.from(s ?? "", "base64url"));

function modInverse(a: bigint, m: bigint): bigint {
    let [r0, r1] = [a % m, m];
    let [s0, s1] = [1n, 0n];
    while (r1 !== 0n) {
        const q = r0 / r1;
        [r0, r1] = [r1, r0 - q * r1];
        [s0, s1] = [s1, s0 - q * s1];
    }
    if (r0 !== 1n) {
        throw new Error("value is not invertible");
    }
    return ((s0 % m) + m) % m;
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

/** An RSA private key from its primes (JWK lets node fill in the PKCS#1 structure). */
export function rsaKeyFromPrimes(p: bigint, q: bigint, e: bigint, d?: bigint): crypto.KeyObject {
    const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
    const priv = d ?? modInverse(e, lambda);
    return crypto.createPrivateKey({
        format: "jwk",
        key: {
            kty: "RSA",
            n: b64u(p * q),
            e: b64u(e),
            d: b64u(priv),
            p: b64u(p),
            q: b64u(q),
            dp: b64u(priv % (p - 1n)),
            dq: b64u(priv % (q - 1n)),
            qi: b64u(modInverse(q, p)),
        },
    });
}

/** Seeded RSA: primes searched from the byte stream, so a seed reproduces the key. */
function deterministicRsa(bits: number, stream: ByteStream): crypto.KeyObject {
    const e = 65537n;
    const prime = (size: number): bigint => {
        const byteLength = Math.ceil(size / 8);
        for (;;) {
            let c = bytesToBig(stream.bytes(byteLength)) >> BigInt(byteLength * 8 - size);
            // Top two bits set so that p*q has exactly `bits` bits; odd; e must be coprime to c-1.
            c |= (3n << BigInt(size - 2)) | 1n;
            if ((c - 1n) % e !== 0n && crypto.checkPrimeSync(c, { checks: 32 })) {
                return c;
            }
        }
    };
    for (;;) {
        const p = prime(bits - (bits >> 1));
        const q = prime(bits >> 1);
        if (p !== q) {
            return p > q ? rsaKeyFromPrimes(p, q, e) : rsaKeyFromPrimes(q, p, e);
        }
    }
}

export function generateKey(algorithm: Algorithm, rsaBits: number, curve: CurveName, stream: ByteStream): crypto.KeyObject {
    switch (algorithm) {
        case "RSA":
            if (!Number.isInteger(rsaBits) || rsaBits < 1024) {
                // Go (>= 1.24) refuses small keys in rsa.GenerateKey.
                throw new Error(`Unable to generate Key from configuration: crypto/rsa: ${rsaBits}-bit keys are insecure`);
            }
            return stream.deterministic ? deterministicRsa(rsaBits, stream) : crypto.generateKeyPairSync("rsa", { modulusLength: rsaBits, publicExponent: 65537 }).privateKey;
        case "ECDSA": {
            const n = CURVES[curve].noble.CURVE.n;
            return ecKeyFromScalar(curve, stream.below(n - 1n) + 1n);
        }
        case "ED25519":
            return ed25519KeyFromSeed(stream.bytes(32));
    }
}

const PEM_KEY_TYPES: Record<string, "pkcs1" | "sec1" | "pkcs8"> = {
    "RSA PRIVATE KEY": "pkcs1",
    "EC PRIVATE KEY": "sec1",
    "PRIVATE KEY": "pkcs8",
};
const KNOWN_PREAMBLES = ["PUBLIC KEY", "CERTIFICATE", "CERTIFICATE REQUEST"];

/** Go provider's parsePrivateKeyPEM: PKCS#1, SEC1 or PKCS#8, with its error messages. */
export function parsePrivateKeyPem(text: string): { key: crypto.KeyObject } & KeyDescription {
    const block = pemDecode(text);
    if (!block) {
        throw new Error(`failed to decode PEM block: decoded bytes 0, undecoded ${Buffer.byteLength(text ?? "")}`);
    }
    const type = PEM_KEY_TYPES[block.type];
    if (!type) {
        throw new Error(KNOWN_PREAMBLES.includes(block.type) ? `unable to determine parser for PEM preamble: ${block.type}` : `unsupported PEM preamble/type: ${block.type}`);
    }
    let key: crypto.KeyObject;
    try {
        key = crypto.createPrivateKey({ key: block.der, format: "der", type });
    } catch (e) {
        throw new Error(`failed to parse private key given PEM preamble '${block.type}': ${(e as Error).message}`, { cause: e });
    }
    return { key, ...describeKey(key) };
}

export function spkiDer(key: crypto.KeyObject): Buffer {
    const pub = key.type === "private" ? crypto.createPublicKey(key) : key;
    return pub.export({ format: "der", type: "spki" });
}

/** The subjectPublicKey BIT STRING payload (EC point, raw Ed25519 key, PKCS#1 RSA key). */
export function publicKeyBits(key: crypto.KeyObject): Buffer {
    const der = spkiDer(key);
    const bitString = children(der, readTlv(der, 0))[1];
    return content(der, bitString).subarray(1);
}

export function rsaPublicNumbers(key: crypto.KeyObject): { n: bigint; e: bigint } {
    const jwk = key.export({ format: "jwk" });
    return { n: fromB64u(jwk.n), e: fromB64u(jwk.e) };
}

export function rsaPrivateNumbers(key: crypto.KeyObject): Record<"n" | "e" | "d" | "p" | "q" | "qi", bigint> {
    const jwk = key.export({ format: "jwk" });
    return { n: fromB64u(jwk.n), e: fromB64u(jwk.e), d: fromB64u(jwk.d), p: fromB64u(jwk.p), q: fromB64u(jwk.q), qi: fromB64u(jwk.qi) };
}

/** The provider's generateSubjectKeyID: SHA-1 over Go's marshalling of the public key. */
export function subjectKeyId(key: crypto.KeyObject): Buffer {
    const { algorithm } = describeKey(key);
    const bits = publicKeyBits(key);
    // RSA: asn1.Marshal(rsa.PublicKey) is PKCS#1; ECDSA: the uncompressed point; Ed25519: an OCTET STRING.
    const input = algorithm === "ED25519" ? tlv(0x04, bits) : bits;
    return crypto.createHash("sha1").update(input).digest();
}

export interface SignatureAlgorithm {
    algorithmOid: string;
    /** RSA signature AlgorithmIdentifiers carry an explicit NULL parameter. */
    nullParams: boolean;
}

/** The signature algorithm Go's x509 picks for a signing key (SHA-256 RSA, curve-sized ECDSA digest, Ed25519). */
export function signatureAlgorithm(key: crypto.KeyObject): SignatureAlgorithm {
    const { algorithm, curve } = describeKey(key);
    switch (algorithm) {
        case "RSA":
            return { algorithmOid: "1.2.840.113549.1.1.11", nullParams: true };
        case "ED25519":
            return { algorithmOid: "1.3.101.112", nullParams: false };
        case "ECDSA":
            return { algorithmOid: CURVES[curve as CurveName].sigOid, nullParams: false };
    }
}

/** Deterministic signatures: PKCS#1 v1.5, RFC 6979 ECDSA (noble, DER-encoded), Ed25519. */
export function sign(key: crypto.KeyObject, data: Buffer): Buffer {
    const { algorithm, curve } = describeKey(key);
    switch (algorithm) {
        case "RSA":
            return crypto.sign("sha256", data, key);
        case "ED25519":
            return crypto.sign(null, data, key);
        case "ECDSA": {
            const info = CURVES[curve as CurveName];
            const digest = crypto.createHash(info.hash).update(data).digest();
            return Buffer.from(info.noble.sign(digest, ecScalar(key), { lowS: false }).toDERRawBytes());
        }
    }
}
