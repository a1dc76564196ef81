/**
 * Kubeconfig files as data, rendered to YAML.
 */
import { stringify } from "yaml";
import { ADMIN_USER } from "./certs";

export interface KubeconfigInput {
    readonly clusterName: string;
    /** The API server URL (see apiServerUrl). */
    readonly server: string;
    readonly caCertPem: string;
    readonly clientCertPem: string;
    readonly clientKeyPem: string;
    /** The user's name in the file. Default `kubernetes-admin`. */
    readonly userName?: string;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** A kubeconfig with one cluster, one user (client certificate) and one current context, as kubeadm writes admin.conf. */
export function renderKubeconfig(k: KubeconfigInput): string {
    const user = k.userName ?? ADMIN_USER;
    const context = `${user}@${k.clusterName}`;
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: k.clusterName, cluster: { "certificate-authority-data": b64(k.caCertPem), server: k.server } }],
        contexts: [{ name: context, context: { cluster: k.clusterName, user } }],
        "current-context": context,
        preferences: {},
        users: [{ name: user, user: { "client-certificate-data": b64(k.clientCertPem), "client-key-data": b64(k.clientKeyPem) } }],
    });
}

/**
 * The API server URL for an endpoint given as a host name or IP (port 6443),
 * `host:port`, `[v6]:port`, or a full `https://` URL.
 */
export function apiServerUrl(endpoint: string, defaultPort = 6443): string {
    const e = endpoint.trim();
    if (/^https:\/\//i.test(e)) return e.replace(/\/+$/, "");
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(e)) throw new Error(`the API endpoint must be https: ${endpoint}`);
    if (e === "") throw new Error("the API endpoint is empty");
    const hasPort = /^\[[^\]]+\]:\d+$/.test(e) || /^[^:]+:\d+$/.test(e);
    const host = e.includes(":") && !e.startsWith("[") && !hasPort ? `[${e}]` : e;
    return `https://${hasPort ? e : `${host}:${defaultPort}`}`;
}
