/**
 * What each certificate of the cluster PKI is, as data: subjects, key usages,
 * SANs and validity, following kubeadm's PKI layout
 * (https://kubernetes.io/docs/setup/best-practices/certificates/). The Pki
 * component turns these into @pulumi/tls resources.
 */
import { ClusterConfig } from "../../config";

export type PkiSettings = ClusterConfig["pki"];

/** tls.PrivateKey arguments for the configured algorithm: ECDSA P-256 or RSA of rsaBits. */
export function privateKeyArgs(s: Pick<PkiSettings, "algorithm" | "rsaBits">): { algorithm: "ECDSA"; ecdsaCurve: "P256" } | { algorithm: "RSA"; rsaBits: number } {
    return s.algorithm === "ECDSA" ? { algorithm: "ECDSA", ecdsaCurve: "P256" } : { algorithm: "RSA", rsaBits: s.rsaBits };
}

/** A CA may sign certificates and CRLs (and, like kubeadm's, sign and encipher keys). */
export const CA_USES = ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"] as const;
export const CLIENT_USES = ["digital_signature", "key_encipherment", "client_auth"] as const;
/** etcd's server and peer certificates are used in both directions (members dial each other; the server cert serves clients). */
export const SERVER_PEER_USES = ["digital_signature", "key_encipherment", "server_auth", "client_auth"] as const;

export type CaRole = "cluster" | "front-proxy" | "etcd";

/** The common names kubeadm gives its three CAs. */
export const CA_COMMON_NAMES: Readonly<Record<CaRole, string>> = { cluster: "kubernetes", "front-proxy": "front-proxy-ca", etcd: "etcd-ca" };

export const ADMIN_USER = "kubernetes-admin";
/**
 * Since Kubernetes 1.29 kubeadm's admin.conf identity is in the group
 * `kubeadm:cluster-admins` (bound to the `cluster-admin` ClusterRole by a
 * ClusterRoleBinding kubeadm creates), no longer `system:masters`, which is
 * left to the break-glass super-admin.conf: KEP-4214 "Separate super-user
 * kubeconfig for kubeadm" (https://www.kubernetes.dev/resources/keps/4214/),
 * kubernetes/kubeadm#2414. Unlike `system:masters`, this group's rights can
 * be revoked by removing the binding.
 */
export const ADMIN_GROUP = "kubeadm:cluster-admins";
export const APISERVER_ETCD_CLIENT_CN = "kube-apiserver-etcd-client";

/** A client or server certificate to issue. */
export interface LeafSpec {
    readonly commonName: string;
    readonly organization?: string;
    readonly dnsNames?: string[];
    readonly ipAddresses?: string[];
    readonly uses: readonly string[];
}

export const ADMIN_CERT: LeafSpec = { commonName: ADMIN_USER, organization: ADMIN_GROUP, uses: CLIENT_USES };
export const APISERVER_ETCD_CLIENT_CERT: LeafSpec = { commonName: APISERVER_ETCD_CLIENT_CN, uses: CLIENT_USES };

/** An external etcd member's identity: its stable DNS name and fixed private IP. */
export interface EtcdMemberIdentity {
    readonly name: string;
    readonly dnsName: string;
    readonly ip: string;
}

/** Loopback names a member's own tooling dials it by: etcdctl on the member, and members run on 127.0.0.1 in tests. */
const LOOPBACK_DNS = ["localhost"];
const LOOPBACK_IPS = ["127.0.0.1", "::1"];

/**
 * A member's server certificate (clients connect by its DNS name or IP, and
 * etcdctl on the member itself over loopback) and peer certificate (other
 * members connect by its DNS name or IP). Both also carry loopback: a peer
 * URL on 127.0.0.1 is verified against the peer certificate's SANs (the
 * dialing member checks the name, the listening member checks the dialer's
 * certificate against its remote address), which is how
 * test/real/etcd.spec.ts runs the generated certificates for real (pinned etcd 3.6).
 * Loopback names no other host, so this grants nothing across the network.
 */
export function etcdMemberCerts(m: EtcdMemberIdentity): { server: LeafSpec; peer: LeafSpec } {
    const sans = { dnsNames: [m.dnsName, ...LOOPBACK_DNS], ipAddresses: [m.ip, ...LOOPBACK_IPS] };
    return {
        server: { commonName: m.name, ...sans, uses: SERVER_PEER_USES },
        peer: { commonName: m.name, dnsNames: [...sans.dnsNames], ipAddresses: [...sans.ipAddresses], uses: SERVER_PEER_USES },
    };
}
