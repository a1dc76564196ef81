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
import { SHELL_COMMON, check, renderUnit, scriptHeader, shAssignments } from "./shell";
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

const BACKUP_BODY = String.raw`ROOT="${"$"}{K8S_AWS_ROOT:-}"

${SHELL_COMMON}

ctl() {
  ETCDCTL_API=3 etcdctl --endpoints="$ENDPOINT" --cacert="$ROOT$CACERT" --cert="$ROOT$CERT" --key="$ROOT$KEY" \
    --command-timeout=60s "$@"
}

# etcd 3.5 moved offline snapshot tools to etcdutl (etcdctl's are deprecated
# there and gone in 3.6); 3.4 only has etcdctl.
snapshot_status() {
  if command -v etcdutl >/dev/null 2>&1; then etcdutl snapshot status "$1" -w json; else ETCDCTL_API=3 etcdctl snapshot status "$1" -w json; fi
}

upload() { # upload <file> <key>
  aws --region "$REGION" s3 cp "$1" "s3://$BUCKET/$2" --sse aws:kms --sse-kms-key-id "$KMS_KEY_ID" --only-show-errors
}

_status=$(ctl endpoint status -w fields) || die "cannot reach the local etcd member at $ENDPOINT"
_member=$(printf '%s\n' "$_status" | awk -F' : ' '$1 == "\"MemberID\"" { print $2 }')
_leader=$(printf '%s\n' "$_status" | awk -F' : ' '$1 == "\"Leader\"" { print $2 }')
[ -n "$_member" ] || die "no MemberID in 'etcdctl endpoint status' output"
if [ "$_member" != "$_leader" ]; then
  log "member $_member is not the leader ($_leader): the leader takes the snapshot"
  exit 0
fi

mkdir -p "$ROOT$WORK_DIR"
chmod 0700 "$ROOT$WORK_DIR"
_now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
_hour=$(printf '%s' "$_now" | cut -c1-13)
_day=$(printf '%s' "$_now" | cut -c1-10)
SNAPSHOT="$ROOT$WORK_DIR/etcd-$(printf '%s' "$_now" | tr -d :).db"
trap 'rm -f "$SNAPSHOT" "$SNAPSHOT.part"' EXIT
_start=$(date +%s)
ctl snapshot save "$SNAPSHOT" >/dev/null
_verify=$(snapshot_status "$SNAPSHOT") || die "snapshot $SNAPSHOT does not verify"
log "snapshot verified: $_verify"
upload "$SNAPSHOT" "$PREFIX/hourly/$_hour.db"
if aws --region "$REGION" s3api head-object --bucket "$BUCKET" --key "$PREFIX/daily/$_day.db" >/dev/null 2>&1; then
  log "daily snapshot for $_day exists"
else
  upload "$SNAPSHOT" "$PREFIX/daily/$_day.db"
  log "uploaded the daily snapshot s3://$BUCKET/$PREFIX/daily/$_day.db"
fi
log "uploaded s3://$BUCKET/$PREFIX/hourly/$_hour.db ($(wc -c <"$SNAPSHOT") bytes) in $(($(date +%s) - _start)) s"
`;

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
    return `${scriptHeader(`Snapshots etcd (leader only) to s3://${o.bucket}/${o.prefix ?? BACKUP_PREFIX}/${o.cluster}/.`)}\n${shAssignments(vars)}\n${BACKUP_BODY}`;
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

const RESTORE_BODY = String.raw`ROOT="${"$"}{K8S_AWS_ROOT:-}"

${SHELL_COMMON}

latest_key() { # latest_key <hourly|daily>
  aws --region "$REGION" s3api list-objects-v2 --bucket "$BUCKET" --prefix "$PREFIX/$1/" \
    --query 'Contents[].Key' --output text | tr '\t' '\n' | grep '\.db$' | sort | tail -n 1
}

_which=${"$"}{1:-latest}
case "$_which" in
  latest)
    _key=$(latest_key hourly || true)
    [ -n "$_key" ] || _key=$(latest_key daily || true)
    [ -n "$_key" ] || die "no snapshot under s3://$BUCKET/$PREFIX/"
    ;;
  hourly/*.db | daily/*.db) _key="$PREFIX/$_which" ;;
  *) die "usage: $SCRIPT_NAME [latest | hourly/<YYYY-MM-DDTHH>.db | daily/<YYYY-MM-DD>.db]" ;;
esac

if [ -d "$ROOT$DATA_DIR" ] && [ -n "$(ls -A "$ROOT$DATA_DIR")" ]; then
  die "$ROOT$DATA_DIR is not empty: stop etcd and move it aside first; restore never overwrites data"
fi
mkdir -p "$ROOT$WORK_DIR"
chmod 0700 "$ROOT$WORK_DIR"
SNAPSHOT="$ROOT$WORK_DIR/restore.db"
trap 'rm -f "$SNAPSHOT"' EXIT
log "downloading s3://$BUCKET/$_key"
aws --region "$REGION" s3 cp "s3://$BUCKET/$_key" "$SNAPSHOT" --only-show-errors

if command -v etcdutl >/dev/null 2>&1; then
  etcdutl snapshot status "$SNAPSHOT" -w json >/dev/null || die "snapshot does not verify"
  # Kubernetes' restore guidance: bump the revision and mark it compacted so
  # watchers of the old cluster relist instead of missing events.
  if etcdutl snapshot restore --help 2>&1 | grep -q -- '--bump-revision'; then
    set -- --bump-revision 1000000000 --mark-compacted
  else
    set --
  fi
  etcdutl snapshot restore "$SNAPSHOT" --name "$MEMBER_NAME" --initial-cluster "$INITIAL_CLUSTER" \
    --initial-cluster-token "$INITIAL_CLUSTER_TOKEN" --initial-advertise-peer-urls "$PEER_URL" \
    --data-dir "$ROOT$DATA_DIR" "$@"
else
  ETCDCTL_API=3 etcdctl snapshot status "$SNAPSHOT" -w json >/dev/null || die "snapshot does not verify"
  ETCDCTL_API=3 etcdctl snapshot restore "$SNAPSHOT" --name "$MEMBER_NAME" --initial-cluster "$INITIAL_CLUSTER" \
    --initial-cluster-token "$INITIAL_CLUSTER_TOKEN" --initial-advertise-peer-urls "$PEER_URL" \
    --data-dir "$ROOT$DATA_DIR"
fi
chmod 0700 "$ROOT$DATA_DIR"
if [ -n "$OWNER" ]; then chown -R "$OWNER:$OWNER" "$ROOT$DATA_DIR"; fi
log "restored s3://$BUCKET/$_key into $ROOT$DATA_DIR as member $MEMBER_NAME; start etcd on every restored member"
`;

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
    return `${scriptHeader(`Restores an etcd snapshot from s3://${o.bucket} into a fresh data dir for member ${o.memberName}.`)}\n${shAssignments(vars)}\n${RESTORE_BODY}`;
}
