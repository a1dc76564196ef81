/**
 * kubeadm join material: the bootstrap token and the discovery CA hash.
 */
import * as crypto from "crypto";

/** kubeadm's bootstrap token format: `<6-char id>.<16-char secret>`, lowercase letters and digits. */
export const BOOTSTRAP_TOKEN_RE = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;
export const TOKEN_ID_LENGTH = 6;
export const TOKEN_SECRET_LENGTH = 16;

export function bootstrapToken(id: string, secret: string): string {
    const token = `${id}.${secret}`;
    if (!BOOTSTRAP_TOKEN_RE.test(token)) throw new Error("bootstrap token parts are not in kubeadm's format [a-z0-9]{6}.[a-z0-9]{16}");
    return token;
}

/**
 * `--discovery-token-ca-cert-hash`: `sha256:` + the hex SHA-256 of the CA
 * certificate's DER-encoded SubjectPublicKeyInfo, as kubeadm computes it.
 */
export function caCertHash(caCertPem: string): string {
    const spki = new crypto.X509Certificate(caCertPem).publicKey.export({ type: "spki", format: "der" });
    return `sha256:${crypto.createHash("sha256").update(spki).digest("hex")}`;
}
