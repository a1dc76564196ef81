/**
 * Init or join, decided without a race.
 *
 * `kubeadm init` must run at most once per cluster: two inits make two
 * clusters that share a CA and an API name. The lock is an S3 conditional
 * write: PutObject with `If-None-Match: *` of the marker
 * control-plane/cluster-initialized in the secrets bucket. S3 creates the
 * object only if no object has that key; otherwise it answers 412
 * PreconditionFailed, and a concurrent create of the same key gets 409
 * ConditionalRequestConflict, to be retried (S3 User Guide, "How to prevent
 * object overwrites with conditional writes",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html;
 * generally available since 2024-08). `aws s3api put-object --if-none-match`
 * is the CLI's spelling of that header.
 *
 * On each boot, before kubelet is configured:
 * - /etc/kubernetes/kubelet.conf exists: this instance is already a member
 *   (a reboot). Nothing to init or join; the kubeadm-made leaf
 *   certificates the tmpfs pki lost were recreated from the CAs before the
 *   kubelet started, by k8s-aws-leaf-certs.service (leafCerts.ts).
 * - the conditional put succeeds: this slot owns the cluster's one init.
 *   If init then fails the marker stays: no slot will ever init again on
 *   its own; the log says what to do.
 * - 412: the cluster exists (or is being created). Wait until
 *   https://<api>/readyz answers (anonymous, verified against the cluster
 *   CA) and `kubeadm join --control-plane`. That covers the second and
 *   third slot and any replacement instance of any slot, including slot a.
 *   A replacement whose data volume still holds its stacked etcd member
 *   rejoins as that member: kubeadm skips MemberAdd when the peer URL (the
 *   slot's fixed IP) is already a member (util/etcd/etcd.go addMember), the
 *   preflight DirAvailable check on the non-empty data dir is ignored, and
 *   the hidden check-etcd phase is skipped because the member it would
 *   probe is this very slot, still down.
 * - any other answer (network, permissions): retry with backoff, then fail.
 *   Never guess: an unknown answer is not permission to init.
 * - a single control-plane slot has no one to join: its replacement brings
 *   the same cluster back with `kubeadm init` over the persisted etcd data
 *   (same CAs, same SA key, same data), or over the external etcd.
 */
import { CONTROL_PLANE_UNIT, SECRETS_UNIT, SLOT_UNIT, ETCD_DATA_DIR, KUBEADM_INIT_CONFIG, KUBEADM_JOIN_CONFIG, KUBERNETES_PKI_DIR } from "./paths";
import { check, checkPositiveInt, renderUnit } from "./shell";
import { renderScript } from "./script";

export interface ControlPlaneBootstrapOptions {
    readonly slot: string;
    readonly region: string;
    /** The secrets bucket; the marker goes to <bucket>/control-plane/cluster-initialized. */
    readonly bucket: string;
    /** KMS key for the marker (the bucket's SSE-KMS key), if the bucket policy demands the header. */
    readonly kmsKeyId?: string;
    /** The stable API endpoint, "<name>:6443". */
    readonly apiEndpoint: string;
    readonly etcdTopology: "stacked" | "external";
    readonly controlPlaneCount: 1 | 3 | 5;
    readonly initConfigPath?: string;
    readonly joinConfigPath?: string;
    readonly etcdDataDir?: string;
    readonly attempts?: number;
    /** How long to wait for the API before a join: attempts x up to backoffMaxSeconds. */
    readonly apiWaitAttempts?: number;
    readonly backoffMaxSeconds?: number;
}

export const INIT_MARKER_KEY = "control-plane/cluster-initialized";

/** kubeadm's preflight check name for a directory: "DirAvailable-" + path with "/" -> "-". */
export function dirAvailableCheck(path: string): string {
    return `DirAvailable-${path.replace(/\//g, "-")}`;
}

/** The control-plane bootstrap script (install as /usr/local/sbin/k8s-aws-control-plane). */
export function renderControlPlaneBootstrapScript(o: ControlPlaneBootstrapOptions): string {
    if (!/^[a-z0-9.-]+:\d+$/.test(o.apiEndpoint)) throw new Error(`apiEndpoint ${o.apiEndpoint} is not <name>:<port>`);
    const dataDir = check("absPath", "etcdDataDir", o.etcdDataDir ?? ETCD_DATA_DIR);
    const vars: Array<[string, string]> = [
        ["SCRIPT_NAME", "k8s-aws-control-plane"],
        ["UNIT_NAME", CONTROL_PLANE_UNIT],
        ["SLOT", check("label", "slot", o.slot)],
        ["REGION", check("region", "region", o.region)],
        ["BUCKET", check("bucket", "bucket", o.bucket)],
        ["MARKER_KEY", INIT_MARKER_KEY],
        ["KMS_KEY_ID", o.kmsKeyId === undefined ? "" : check("kmsKey", "kmsKeyId", o.kmsKeyId)],
        ["API_ENDPOINT", o.apiEndpoint],
        // No ETCD_* names: etcd reads ETCD_<FLAG> from its environment, and the policy pack
        // (policies/rules/lib/etcd.ts) takes such assignments in user data for etcd's own settings.
        ["TOPOLOGY", o.etcdTopology],
        ["CONTROL_PLANE_COUNT", String(o.controlPlaneCount)],
        ["PKI_DIR", KUBERNETES_PKI_DIR],
        ["INIT_CONFIG", check("absPath", "initConfigPath", o.initConfigPath ?? KUBEADM_INIT_CONFIG)],
        ["JOIN_CONFIG", check("absPath", "joinConfigPath", o.joinConfigPath ?? KUBEADM_JOIN_CONFIG)],
        ["MEMBER_DATA_DIR", dataDir],
        ["DATA_DIR_CHECK", dirAvailableCheck(dataDir)],
        ["ATTEMPTS", String(checkPositiveInt("attempts", o.attempts ?? 20))],
        ["API_ATTEMPTS", String(checkPositiveInt("apiWaitAttempts", o.apiWaitAttempts ?? 60))],
        ["BACKOFF_MAX", String(checkPositiveInt("backoffMaxSeconds", o.backoffMaxSeconds ?? 30))],
    ];
    return renderScript("controlPlaneBootstrap.sh", vars);
}

/** k8s-aws-control-plane.service: after the slot and secrets units, once per boot. */
export function renderControlPlaneBootstrapUnit(scriptPath = "/usr/local/sbin/k8s-aws-control-plane"): string {
    return renderUnit({
        Unit: [
            ["Description", "k8s-aws: kubeadm init or join on this control-plane slot"],
            ["Requires", `${SLOT_UNIT} ${SECRETS_UNIT}`],
            ["After", `${SLOT_UNIT} ${SECRETS_UNIT} containerd.service network-online.target`],
            ["Wants", "network-online.target containerd.service"],
        ],
        Service: [
            ["Type", "oneshot"],
            ["RemainAfterExit", true],
            ["ExecStart", check("absPath", "scriptPath", scriptPath)],
            ["TimeoutStartSec", "45min"],
        ],
        Install: [["WantedBy", "multi-user.target"]],
    });
}
