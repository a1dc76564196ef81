/**
 * OpenSSH encodings as golang.org/x/crypto/ssh produces them for the TLS provider:
 * authorized_keys lines, MD5/SHA256 fingerprints and "openssh-key-v1" private keys.
 * ECDSA P-224 has no SSH encoding (x/crypto/ssh rejects it), so those return undefined.
 */
import * as crypto from "crypto";
import { ByteStream } from "./deterministic";
import { bigToBytes, bytesToBig, pemDecode, pemEncode } from "./der";
import { CurveName, CURVES, describeKey, ecKeyFromScalar, ecScalar, ed25519KeyFromSeed, parsePrivateKeyPem, publicKeyBits, rsaKeyFromPrimes, rsaPrivateNumbers, rsaPublicNumbers } from "./keys";

const MAGIC = Buffer.from("openssh-key-v1\0", "latin1");
const SSH_CURVES: Partial<Record<CurveName, string>> = { P256: "nistp256", P384: "nistp384", P521: "nistp521" };

const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
};
const str = (b: Buffer | string) => {
    const buf = typeof b === "string" ? Buffer.from(b, "utf8") : b;
    return Buffer.concat([u32(buf.length), buf]);
};
/** SSH mpint: two's complement big-endian, leading zero when the top bit is set. */
const mpint = (n: bigint) => {
    const mag = bigToBytes(n);
    return str(mag.length && mag[0] & 0x80 ? Buffer.concat([Buffer.from([0]), mag]) : mag);
};

interface SshKeyParts {
    type: string;
    publicBlob: Buffer;
    /** The key-specific private fields of the openssh-key-v1 private section (before the comment). */
    privateFields: () => Buffer;
}

function sshParts(key: crypto.KeyObject): SshKeyParts | undefined {
    const { algorithm, curve } = describeKey(key);
    if (algorithm === "RSA") {
        const { n, e } = rsaPublicNumbers(key);
        return {
            type: "ssh-rsa",
            publicBlob: Buffer.concat([str("ssh-rsa"), mpint(e), mpint(n)]),
            privateFields: () => {
                const k = rsaPrivateNumbers(key);
                return Buffer.concat([mpint(k.n), mpint(k.e), mpint(k.d), mpint(k.qi), mpint(k.p), mpint(k.q)]);
            },
        };
    }
    if (algorithm === "ED25519") {
        const pub = publicKeyBits(key);
        return {
            type: "ssh-ed25519",
            publicBlob: Buffer.concat([str("ssh-ed25519"), str(pub)]),
            privateFields: () => {
                const der = key.export({ format: "der", type: "pkcs8" });
                const seed = der.subarray(der.length - 32);
                return Buffer.concat([str(pub), str(Buffer.concat([seed, pub]))]);
            },
        };
    }
    const sshCurve = SSH_CURVES[curve as CurveName];
    if (!sshCurve) {
        return undefined;
    }
    const type = `ecdsa-sha2-${sshCurve}`;
    const point = publicKeyBits(key);
    return {
        type,
        publicBlob: Buffer.concat([str(type), str(sshCurve), str(point)]),
        privateFields: () => Buffer.concat([str(sshCurve), str(point), mpint(bytesToBig(ecScalar(key)))]),
    };
}

export interface SshPublic {
    authorizedKey: string;
    fingerprintMd5: string;
    fingerprintSha256: string;
}

/** ssh.MarshalAuthorizedKey / FingerprintLegacyMD5 / FingerprintSHA256, or undefined for P-224. */
export function sshPublic(key: crypto.KeyObject): SshPublic | undefined {
    const parts = sshParts(key);
    if (!parts) {
        return undefined;
    }
    const md5 = crypto.createHash("md5").update(parts.publicBlob).digest("hex");
    return {
        authorizedKey: `${parts.type} ${parts.publicBlob.toString("base64")}\n`,
        fingerprintMd5: md5.match(/../g)!.join(":"),
        fingerprintSha256: "SHA256:" + crypto.createHash("sha256").update(parts.publicBlob).digest("base64").replace(/=+$/, ""),
    };
}

/** ssh.MarshalPrivateKey(key, "") encoded as PEM; the check word comes from the stream. */
export function sshPrivateKeyPem(key: crypto.KeyObject, stream: ByteStream): string | undefined {
    const parts = sshParts(key);
    if (!parts) {
        return undefined;
    }
    const check = stream.bytes(4);
    let block = Buffer.concat([check, check, str(parts.type), parts.privateFields(), str("")]);
    const padding: number[] = [];
    for (let i = 0; (block.length + i) % 8 !== 0; i++) {
        padding.push(i + 1);
    }
    block = Buffer.concat([block, Buffer.from(padding)]);
    const body = Buffer.concat([MAGIC, str("none"), str("none"), str(""), u32(1), str(parts.publicBlob), str(block)]);
    return pemEncode("OPENSSH PRIVATE KEY", body);
}

class Reader {
    private pos = 0;
    constructor(private readonly buf: Buffer) {}
    u32(): number {
        if (this.pos + 4 > this.buf.length) {
            throw new Error("ssh: truncated key");
        }
        const v = this.buf.readUInt32BE(this.pos);
        this.pos += 4;
        return v;
    }
    bytes(): Buffer {
        const len = this.u32();
        if (this.pos + len > this.buf.length) {
            throw new Error("ssh: truncated key");
        }
        const out = this.buf.subarray(this.pos, this.pos + len);
        this.pos += len;
        return out;
    }
    string(): string {
        return this.bytes().toString("utf8");
    }
    mpint(): bigint {
        return bytesToBig(this.bytes());
    }
}

/** ssh.ParseRawPrivateKey for unencrypted keys: OpenSSH format, or the PEM formats the provider emits. */
export function parseSshPrivateKey(text: string): crypto.KeyObject {
    const block = pemDecode(text);
    if (!block) {
        throw new Error("ssh: no key found");
    }
    if (block.type !== "OPENSSH PRIVATE KEY") {
        return parsePrivateKeyPem(text).key;
    }
    if (!block.der.subarray(0, MAGIC.length).equals(MAGIC)) {
        throw new Error("ssh: invalid openssh private key format");
    }
    const r = new Reader(block.der.subarray(MAGIC.length));
    const cipher = r.string();
    r.string(); // kdf name
    r.bytes(); // kdf options
    if (cipher !== "none") {
        throw new Error("ssh: this private key is passphrase protected");
    }
    if (r.u32() !== 1) {
        throw new Error("ssh: multi-key files are not supported");
    }
    r.bytes(); // public key blob
    const priv = new Reader(r.bytes());
    if (priv.u32() !== priv.u32()) {
        throw new Error("ssh: malformed OpenSSH key");
    }
    const type = priv.string();
    if (type === "ssh-rsa") {
        const [n, e, d] = [priv.mpint(), priv.mpint(), priv.mpint()];
        priv.mpint(); // iqmp, recomputed
        const [p, q] = [priv.mpint(), priv.mpint()];
        if (p * q !== n) {
            throw new Error("ssh: malformed RSA key");
        }
        return rsaKeyFromPrimes(p, q, e, d);
    }
    if (type === "ssh-ed25519") {
        priv.bytes();
        return ed25519KeyFromSeed(Buffer.from(priv.bytes().subarray(0, 32)));
    }
    const curve = (Object.keys(SSH_CURVES) as CurveName[]).find((c) => type === `ecdsa-sha2-${SSH_CURVES[c]}`);
    if (curve && CURVES[curve]) {
        priv.string();
        priv.bytes();
        return ecKeyFromScalar(curve, priv.mpint());
    }
    throw new Error(`ssh: unhandled key type ${type}`);
}
