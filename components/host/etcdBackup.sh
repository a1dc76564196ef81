#!/bin/sh
# Snapshots etcd (leader only) to s3://$BUCKET/$PREFIX/{hourly,daily}/; installed as
# /usr/local/sbin/k8s-aws-etcd-backup, run by its timer every 15 minutes.
# Rendered by k8s-aws (components/host/script.ts renderScript): do not edit on the host.
# parameters: SCRIPT_NAME REGION BUCKET PREFIX KMS_KEY_ID ENDPOINT CACERT CERT KEY WORK_DIR BACKOFF_MAX
set -eu
ROOT="${K8S_AWS_ROOT:-}"

# shellcheck source=common.sh
. ./common.sh

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
