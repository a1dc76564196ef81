/**
 * etcd backups: a snapshot script with its systemd service and timer, the
 * matching restore script, the S3 lifecycle rules that thin the snapshots
 * out, and a DLM policy for EBS snapshots of the slot data volumes.
 *
 * Layout (S3 lifecycle can expire by age and prefix, not thin by
 * frequency, so the frequency is in the key):
 *   <prefix>/<cluster>/hourly/<YYYY-MM-DDTHH>.db  rewritten every 15 min, so
 *       each hour keeps its last snapshot; expire after 7 days
 *   <prefix>/<cluster>/daily/<YYYY-MM-DD>.db      the day's first snapshot;
 *       expire after 90 days
 * Overwrites leave noncurrent versions on a versioned bucket; they expire
 * after a day.
 *
 * Who uploads: only the member that is the raft leader when the timer
 * fires. Every member runs the timer (it cannot know in advance who leads);
 * each asks its own endpoint and all but the leader stop. The data is
 * replicated, the leader's copy is never behind, one writer per key avoids
 * members overwriting each other, and storage is 1x instead of 3x. If the
 * leader's run fails, the next run 15 minutes later covers it, and the EBS
 * snapshots (dlmPolicy) are a second, independent copy.
 */
import { BACKUP_PREFIX, ETCD_DATA_DIR, SLOT_DATA_MOUNT } from "./paths";
import { check, renderUnit } from "./shell";
import { renderScript } from "./script";
import { BACKUP_UNIT } from "./paths";

export interface EtcdClientTls {
    readonly caFile: string;
    readonly certFile: string;
    readonly keyFile: string;
}

/** Client certificates a slot already has: kubeadm's healthcheck client on stacked slots, the member's own on external ones. */
export function etcdClientTls(topology: "stacked" | "external"): EtcdClientTls {
    return topology === "stacked"
        ? { caFile: "/etc/kubernetes/pki/etcd/ca.crt", certFile: "/etc/kubernetes/pki/etcd/healthcheck-client.crt", keyFile: "/etc/kubernetes/pki/etcd/healthcheck-client.key" }
        : { caFile: "/etc/etcd/pki/ca.crt", certFile: "/etc/etcd/pki/server.crt", keyFile: "/etc/etcd/pki/server.key" };
}

export interface EtcdBackupOptions {
    readonly cluster: string;
    readonly region: string;
    readonly bucket: string;
    /** SSE-KMS key for every snapshot object. */
    readonly kmsKeyId: string;
    readonly tls: EtcdClientTls;
    /** The local member's client URL. */
    readonly endpoint?: string;
    readonly prefix?: string;
    /** Where the snapshot is written before upload: the data volume has room for it, tmpfs may not. */
    readonly workDir?: string;
}

const common = (o: { cluster: string; region: string; bucket: string; prefix?: string }): Array<[string, string]> => [
    ["REGION", check("region", "region", o.region)],
    ["BUCKET", check("bucket", "bucket", o.bucket)],
    ["PREFIX", `${check("s3Key", "prefix", o.prefix ?? BACKUP_PREFIX)}/${check("label", "cluster", o.cluster)}`],
];

const tlsVars = (t: EtcdClientTls): Array<[string, string]> => [
    ["CACERT", check("absPath", "caFile", t.caFile)],
    ["CERT", check("absPath", "certFile", t.certFile)],
    ["KEY", check("absPath", "keyFile", t.keyFile)],
];

/** The backup script (install as /usr/local/sbin/k8s-aws-etcd-backup). */
export function renderEtcdBackupScript(o: EtcdBackupOptions): string {
    const endpoint = o.endpoint ?? "https://127.0.0.1:2379";
    if (!/^https:\/\/[a-z0-9.-]+:\d+$/.test(endpoint)) throw new Error(`endpoint ${endpoint} is not https://<host>:<port>`);
    const vars: Array<[string, string]> = [
        ["SCRIPT_NAME", BACKUP_UNIT],
        ...common(o),
        ["KMS_KEY_ID", check("kmsKey", "kmsKeyId", o.kmsKeyId)],
        ["ENDPOINT", endpoint],
        ...tlsVars(o.tls),
        ["WORK_DIR", check("absPath", "workDir", o.workDir ?? `${SLOT_DATA_MOUNT}/backup-tmp`)],
        ["BACKOFF_MAX", "30"],
    ];
    return renderScript("etcdBackup.sh", vars);
}

/** k8s-aws-etcd-backup.service and .timer: every 15 minutes, catching up after downtime. */
export function renderEtcdBackupUnits(scriptPath = `/usr/local/sbin/${BACKUP_UNIT}`): { service: string; timer: string } {
    const service = renderUnit({
        Unit: [
            ["Description", "k8s-aws: snapshot etcd to S3 (leader only)"],
            ["Wants", "network-online.target"],
            ["After", "network-online.target k8s-aws-secrets.service"],
        ],
        Service: [
            ["Type", "oneshot"],
            ["ExecStart", check("absPath", "scriptPath", scriptPath)],
            ["Nice", 10],
            ["IOSchedulingClass", "idle"],
            ["TimeoutStartSec", "14min"],
        ],
    });
    const timer = renderUnit({
        Unit: [["Description", "k8s-aws: etcd snapshot every 15 minutes"]],
        Timer: [
            ["OnCalendar", "*:0/15"],
            ["Persistent", true],
            ["RandomizedDelaySec", "60s"],
            ["Unit", `${BACKUP_UNIT}.service`],
        ],
        Install: [["WantedBy", "timers.target"]],
    });
    return { service, timer };
}

export interface EtcdRestoreOptions {
    readonly cluster: string;
    readonly region: string;
    readonly bucket: string;
    readonly prefix?: string;
    /** This member's name, peer URL, and the whole new cluster ("a=https://...:2380,b=..."). */
    readonly memberName: string;
    readonly peerUrl: string;
    readonly initialCluster: string;
    /** A new token, so restored members never talk to members of the old cluster. */
    readonly initialClusterToken: string;
    readonly dataDir?: string;
    readonly workDir?: string;
    /** chown the restored data to this user (external members run as etcd); "" keeps root. */
    readonly owner?: string;
}

/** The restore script (install as /usr/local/sbin/k8s-aws-etcd-restore). */
export function renderEtcdRestoreScript(o: EtcdRestoreOptions): string {
    if (!/^https:\/\/[a-z0-9.-]+:\d+$/.test(o.peerUrl)) throw new Error(`peerUrl ${o.peerUrl} is not https://<host>:<port>`);
    const members = o.initialCluster.split(",");
    if (!members.every((m) => /^[a-z0-9-]+=https:\/\/[a-z0-9.-]+:\d+$/.test(m))) throw new Error(`initialCluster ${o.initialCluster} is not name=https://host:port,...`);
    if (!members.includes(`${o.memberName}=${o.peerUrl}`)) throw new Error(`initialCluster does not contain ${o.memberName}=${o.peerUrl}`);
    const vars: Array<[string, string]> = [
        ["SCRIPT_NAME", "k8s-aws-etcd-restore"],
        ...common(o),
        ["MEMBER_NAME", check("label", "memberName", o.memberName)],
        ["PEER_URL", o.peerUrl],
        ["INITIAL_CLUSTER", o.initialCluster],
        ["INITIAL_CLUSTER_TOKEN", check("label", "initialClusterToken", o.initialClusterToken)],
        ["DATA_DIR", check("absPath", "dataDir", o.dataDir ?? ETCD_DATA_DIR)],
        ["WORK_DIR", check("absPath", "workDir", o.workDir ?? `${SLOT_DATA_MOUNT}/backup-tmp`)],
        ["OWNER", o.owner === undefined || o.owner === "" ? "" : check("label", "owner", o.owner)],
        ["BACKOFF_MAX", "30"],
    ];
    return renderScript("etcdRestore.sh", vars);
}
