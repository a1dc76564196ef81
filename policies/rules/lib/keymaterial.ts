/**
 * Recognises credentials that must never travel in user data, tags or plain
 * stack outputs: anyone with ec2:DescribeInstanceAttribute, tag read access
 * or stack read access would otherwise hold them.
 */
import { SECRET } from "./resources";

const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----/;
/** kubeadm bootstrap token `[a-z0-9]{6}.[a-z0-9]{16}`, not part of a longer dotted name. */
const BOOTSTRAP_TOKEN = /(?<![A-Za-z0-9.\-_])[a-z0-9]{6}\.[a-z0-9]{16}(?![A-Za-z0-9.\-_])/;
const CLIENT_KEY_DATA = /client-key-data/;
const KUBECONFIG_KIND = /["']?kind["']?\s*:\s*["']?Config["']?\s*(,|$)/m;
/** Inline user credentials; a kubeconfig whose users only name files or exec plugins carries none. */
const KUBECONFIG_CREDENTIALS = /["']?(token|password|client-key-data)["']?\s*:\s*\S/;

/** The kinds of key material found in a text (empty when none); the redacted "[secret]" marker is never any. */
export function keyMaterialIn(text: string): string[] {
    if (text === SECRET) return [];
    const found: string[] = [];
    if (PEM_PRIVATE_KEY.test(text)) found.push("a PEM private key");
    if (BOOTSTRAP_TOKEN.test(text)) found.push("a kubeadm bootstrap token");
    if (CLIENT_KEY_DATA.test(text) || (KUBECONFIG_KIND.test(text) && KUBECONFIG_CREDENTIALS.test(text))) found.push("a kubeconfig with credentials");
    return found;
}

/**
 * Key material anywhere in a JSON value: in its strings, and as a kubeconfig
 * object whose `client-key-data` holds a value rather than the "[secret]" marker.
 */
export function keyMaterialInValue(v: unknown, path = ""): { path: string; kinds: string[] }[] {
    if (typeof v === "string") {
        const kinds = keyMaterialIn(v);
        return kinds.length > 0 ? [{ path, kinds }] : [];
    }
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [`[${i}]`, x]) : typeof v === "object" && v !== null ? Object.entries(v) : [];
    return entries.flatMap(([k, x]) => {
        const sub = Array.isArray(v) ? `${path}${k}` : path ? `${path}.${k}` : k;
        if (k === "client-key-data" && typeof x === "string" && x !== "" && x !== SECRET) return [{ path: sub, kinds: ["a kubeconfig with credentials"] }];
        return keyMaterialInValue(x, sub);
    });
}
