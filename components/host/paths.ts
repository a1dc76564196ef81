/**
 * Every systemd unit name and every path on an instance that the on-host
 * renderers (this folder) name, and the values that more than one renderer
 * must agree on. The secrets unit (k8s-aws-secrets.service) fills the tmpfs
 * directories below; the other renderers only reference them. The
 * secrets bucket's key layout is components/secrets/layout.ts.
 */
import { BOOTSTRAP_TOKEN_FILE } from "../secrets/layout";

/** The tmpfs secrets unit; every unit here that needs keys orders after it. Its name is fixed. */
export const SECRETS_UNIT = "k8s-aws-secrets.service";
/** The oneshot unit that attaches the slot's ENI and data volume (renderSlotBootstrapUnit). */
export const SLOT_UNIT = "k8s-aws-slot.service";
/** The oneshot unit that runs kubeadm init or join (renderControlPlaneBootstrapUnit). */
export const CONTROL_PLANE_UNIT = "k8s-aws-control-plane.service";
/** The oneshot unit that recreates kubeadm-made leaf certificates on the tmpfs pki before the kubelet starts (renderLeafCertsUnit). */
export const LEAF_CERTS_UNIT = "k8s-aws-leaf-certs.service";
export const LEAF_CERTS_SCRIPT = "/usr/local/sbin/k8s-aws-leaf-certs";

/** Where etcd snapshots go in the secrets bucket: <prefix>/<cluster>/{hourly,daily}/ (backup.ts; the S3 lifecycle rules in controlplane/backupRetention.ts). */
export const BACKUP_PREFIX = "backups/etcd";

/** kubeadm's certificatesDir; tmpfs, filled by the secrets unit with the CAs and the SA key pair. */
export const KUBERNETES_PKI_DIR = "/etc/kubernetes/pki";
/** External etcd members' certificates; tmpfs, filled by the secrets unit. */
export const ETCD_PKI_DIR = "/etc/etcd/pki";

/**
 * kubeadm configuration files. They carry the bootstrap token, so they are
 * secrets: delivered by the secrets unit onto tmpfs, never in user data.
 */
export const KUBEADM_INIT_CONFIG = `${KUBERNETES_PKI_DIR}/kubeadm/init.yaml`;
export const KUBEADM_JOIN_CONFIG = `${KUBERNETES_PKI_DIR}/kubeadm/join.yaml`;

/**
 * The EncryptionConfiguration (renderEncryptionConfig) holds the key, so it is
 * a secret too. It sits in the pki directory, which kubeadm already mounts
 * read-only into kube-apiserver (the "k8s-certs" volume), so no extra volume.
 */
export const ENCRYPTION_CONFIG = `${KUBERNETES_PKI_DIR}/encryption-config.yaml`;

/** Non-secret apiserver inputs, written from user data. */
export const APISERVER_CONFIG_DIR = "/etc/kubernetes/apiserver";
export const AUTHENTICATION_CONFIG = `${APISERVER_CONFIG_DIR}/authentication-config.yaml`;
export const AUDIT_POLICY = `${APISERVER_CONFIG_DIR}/audit-policy.yaml`;
export const AUDIT_LOG_DIR = "/var/log/kubernetes/audit";

/**
 * The slot's EBS data volume is mounted here, and etcd's data directory is a
 * subdirectory of it: a fresh ext4 filesystem has lost+found at its root, and
 * kubeadm's preflight check DirAvailable--<dataDir> fails on a non-empty
 * directory (cmd/kubeadm/app/preflight/checks.go, DirAvailableCheck on
 * Etcd.Local.DataDir for init and control-plane join).
 */
export const SLOT_DATA_MOUNT = "/var/lib/etcd";
export const ETCD_DATA_DIR = `${SLOT_DATA_MOUNT}/data`;

/**
 * TLS 1.2 cipher suites the apiserver and the kubelets offer (TLS 1.3 suites
 * are not configurable in Go and are all strong). The AES-GCM ECDHE suites
 * are in both kube-bench allow-lists (aquasecurity/kube-bench@v0.15.6:
 * cfg/cis-1.12/master.yaml 1.2.29 and node.yaml 4.2.12); the ChaCha20 ones are
 * spelled differently in the two lists, and every client here (Go, AWS
 * Nitro with AES-NI, Graviton with the AES extensions) has AES-GCM, so they
 * are left out.
 */
export const TLS_CIPHER_SUITES = [
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
] as const;

export const API_SERVER_PORT = 6443;
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
/** kubeadm's stacked etcd serves /metrics and /health on http://127.0.0.1:2381; the external members do the same. */
export const ETCD_METRICS_PORT = 2381;

// etcd timing and quota (lib/etcdTuning.ts, where the config rules read them too).
export * from "../../lib/etcdTuning";

/* Secrets delivery (secretsDelivery.ts) */
export const SECRETS_ENV_PATH = "/etc/k8s-aws/secrets.env";
export const FETCH_SCRIPT_PATH = "/usr/local/sbin/k8s-aws-fetch-secrets";
export const SECRETS_UNIT_PATH = `/etc/systemd/system/${SECRETS_UNIT}`;

/* Node setup (nodeSetup.ts) */
export const NODE_SETUP_UNIT = "k8s-aws-node-setup.service";
export const NODE_SETUP_SCRIPT = "/usr/local/sbin/k8s-aws-node-setup";

/* The container runtime (containerd.ts) */
export const CONTAINERD_CONFIG_PATH = "/etc/containerd/config.toml";
export const CONTAINERD_UNIT = "containerd.service";
/** Where the static tarball's bin/ lands (the upstream unit's ExecStart is /usr/local/bin/containerd). */
export const CONTAINERD_BIN_DIR = "/usr/local/bin";
export const RUNC_PATH = "/usr/local/sbin/runc";

/* Bootstrap token sync (tokenSync.ts) */
export const TOKEN_SYNC_NAME = "k8s-aws-token-sync";
export const TOKEN_SYNC_SCRIPT = `/usr/local/sbin/${TOKEN_SYNC_NAME}`;
export const TOKEN_SYNC_SERVICE = `${TOKEN_SYNC_NAME}.service`;
export const TOKEN_SYNC_TIMER = `${TOKEN_SYNC_NAME}.timer`;
/** The kubeadm configuration with the token: on the tmpfs, 0600, only while `kubeadm token create` runs. */
export const TOKEN_SYNC_CONFIG = `${KUBERNETES_PKI_DIR}/kubeadm/token-sync.yaml`;
export const ADMIN_KUBECONFIG = "/etc/kubernetes/admin.conf";

/* etcd backups (backup.ts) */
export const BACKUP_UNIT = "k8s-aws-etcd-backup";

/* Slot user data (slotUserData.ts) */
export const RESTORE_SCRIPT = "/usr/local/sbin/k8s-aws-etcd-restore";
/** Where every k8s-aws script is installed. */
export const SBIN = "/usr/local/sbin";
/** Where cloud-init writes the k8s-aws units. */
export const UNITS = "/etc/systemd/system";

/* A control-plane slot's own secrets (slotSecrets.ts) */
export const SLOT_SECRETS_UNIT = "k8s-aws-slot-secrets.service";
export const SLOT_SECRETS_SCRIPT = "/usr/local/sbin/k8s-aws-slot-secrets";

/* A pool node's join (nodeUserData.ts) */
export const NODE_JOIN_UNIT = "k8s-aws-node-join.service";
export const NODE_JOIN_SCRIPT = "/usr/local/sbin/k8s-aws-node-join";
/** The JoinConfiguration template (no secret in it), written by cloud-init. */
export const JOIN_TEMPLATE_PATH = "/etc/k8s-aws/kubeadm-join.yaml.tmpl";
/** Where the bootstrap token goes in the template. */
export const TOKEN_PLACEHOLDER = "K8S_AWS_BOOTSTRAP_TOKEN";
/** Fetched onto tmpfs by the secrets unit (secrets/layout.ts, audience `node`). */
export const TOKEN_PATH = `${KUBERNETES_PKI_DIR}/${BOOTSTRAP_TOKEN_FILE}`;
export const CA_CERT_PATH = `${KUBERNETES_PKI_DIR}/ca.crt`;
/** Rendered at boot onto the tmpfs; deleted after the join. */
export const JOIN_CONFIG_PATH = KUBEADM_JOIN_CONFIG;
/** Applied by systemd-sysctl at every boot (and by node setup's `sysctl --system` on the first). */
export const KUBELET_SYSCTL_PATH = "/etc/sysctl.d/90-kubelet.conf";

/* An external etcd member's launch gate (etcdReady.ts) */
/** What the slot unit records on each boot (/run is a tmpfs): SLOT, SLOT_IP, ..., INSTANCE_ID, NODE_NAME. */
export const SLOT_ENV_PATH = "/run/k8s-aws/slot.env";
export const ETCD_READY_UNIT = "k8s-aws-etcd-ready.service";
export const ETCD_READY_SCRIPT = "/usr/local/sbin/k8s-aws-etcd-ready";
/** The launch lifecycle hook on each external etcd member's group, completed by ETCD_READY_UNIT. */
export const ETCD_LAUNCH_HOOK_NAME = "k8s-aws-etcd-member-healthy";
/**
 * How long a new member's instance may wait in Pending:Wait for its member to
 * turn healthy before the group abandons (terminates and replaces) it: boot
 * and package setup (a few minutes), the wait for a terminating predecessor to
 * release the slot's interface and volume (one to three minutes), etcd's start
 * and catch-up from the volume's WAL. Below the roll's 20 minute replacement
 * wait (tools/roll/execute.ts DEFAULT_TIMEOUTS.replaceMs), so a roll sees an
 * abandoned replacement rather than its own timeout.
 */
export const ETCD_LAUNCH_HOOK_HEARTBEAT_SECONDS = 900;
