/**
 * Every version this program pins, in one place. Bump here, re-run
 * `npm run golden:update`, review the diff.
 */

/**
 * Kubernetes minors this program supports, with the patch release it installs.
 * Upstream supports the three newest minors; as of 2026-11 those are 1.35
 * (EOL 2027-02-28), 1.36 (EOL 2027-06-28) and 1.37 (EOL 2027-10-28), per
 * https://kubernetes.io/releases/. Patches: the latest each release page listed.
 */
export const KUBERNETES_RELEASES = {
    "1.35": "1.35.9",
    "1.36": "1.36.4",
    "1.37": "1.37.1",
} as const;

export type KubernetesMinor = keyof typeof KUBERNETES_RELEASES;

export const SUPPORTED_KUBERNETES_MINORS = Object.keys(KUBERNETES_RELEASES) as KubernetesMinor[];

export const DEFAULT_KUBERNETES_MINOR: KubernetesMinor = "1.35";

/**
 * etcd for the external topology (systemd unit on the etcd slots; the node
 * image installs this release's etcd, etcdctl and etcdutl under
 * /usr/local/bin, and the control-plane image installs etcdctl/etcdutl for
 * backups). 3.6 is the line kubeadm pairs with 1.34+ (kubeadm
 * constants.SupportedEtcdVersion: 34-36 -> 3.6.x, MinExternalEtcdVersion
 * 3.5.24); 3.6.16 is the latest 3.6 patch in etcd's CHANGELOG-3.6 (2026-10-22).
 * Stacked etcd keeps kubeadm's own default image for its release, which the
 * Kubernetes release was tested with.
 */
export const ETCD_VERSION = "3.6.16";
