#!/bin/sh
# Restores an etcd snapshot from s3://$BUCKET/$PREFIX/ into a fresh data dir for one member
# (docs/runbooks/restore-etcd.md); installed as /usr/local/sbin/k8s-aws-etcd-restore.
# Rendered by k8s-aws (components/host/script.ts renderScript): do not edit on the host.
# parameters: SCRIPT_NAME REGION BUCKET PREFIX MEMBER_NAME PEER_URL INITIAL_CLUSTER INITIAL_CLUSTER_TOKEN DATA_DIR WORK_DIR OWNER BACKOFF_MAX
set -eu
ROOT="${K8S_AWS_ROOT:-}"

# shellcheck source=common.sh
. ./common.sh

latest_key() { # latest_key <hourly|daily>
  aws --region "$REGION" s3api list-objects-v2 --bucket "$BUCKET" --prefix "$PREFIX/$1/" \
    --query 'Contents[].Key' --output text | tr '\t' '\n' | grep '\.db$' | sort | tail -n 1
}

_which=${1:-latest}
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
