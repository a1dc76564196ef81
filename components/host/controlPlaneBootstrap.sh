#!/bin/sh
# Runs kubeadm init (at most once per cluster: an S3 conditional write) or join on a
# control-plane slot; installed as /usr/local/sbin/k8s-aws-control-plane.
# Rendered by k8s-aws (components/host/script.ts renderScript): do not edit on the host.
# parameters: SCRIPT_NAME UNIT_NAME SLOT REGION BUCKET MARKER_KEY KMS_KEY_ID API_ENDPOINT TOPOLOGY CONTROL_PLANE_COUNT PKI_DIR INIT_CONFIG JOIN_CONFIG MEMBER_DATA_DIR DATA_DIR_CHECK ATTEMPTS API_ATTEMPTS BACKOFF_MAX
set -eu
ROOT="${K8S_AWS_ROOT:-}"
KUBELET_CONF="$ROOT/etc/kubernetes/kubelet.conf"

# shellcheck source=common.sh
. ./common.sh

put_marker() {
  if [ -n "$KMS_KEY_ID" ]; then
    aws --region "$REGION" s3api put-object --bucket "$BUCKET" --key "$MARKER_KEY" --body "$1" \
      --if-none-match '*' --server-side-encryption aws:kms --ssekms-key-id "$KMS_KEY_ID"
  else
    aws --region "$REGION" s3api put-object --bucket "$BUCKET" --key "$MARKER_KEY" --body "$1" --if-none-match '*'
  fi
}

# claim_init: 0 = we created the marker (we init), 1 = it already exists.
claim_init() {
  _body=$(mktemp)
  printf '{"slot":"%s","host":"%s","time":"%s"}\n' "$SLOT" "$(hostname)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$_body"
  _n=1
  while :; do
    if _err=$(put_marker "$_body" 2>&1 >/dev/null); then
      rm -f "$_body"
      return 0
    fi
    case "$_err" in
      *PreconditionFailed* | *"(412)"*)
        rm -f "$_body"
        return 1
        ;;
      *ConditionalRequestConflict* | *"(409)"*) log "another slot is creating the marker right now; asking again" ;;
      *) log "claim attempt $_n/$ATTEMPTS failed: $_err" ;;
    esac
    if [ "$_n" -ge "$ATTEMPTS" ]; then
      rm -f "$_body"
      die "cannot tell whether s3://$BUCKET/$MARKER_KEY exists; refusing to guess between init and join"
    fi
    backoff_sleep "$_n"
    _n=$((_n + 1))
  done
}

wait_for_api() {
  _n=1
  until curl -sS --fail --max-time 5 --cacert "$ROOT$PKI_DIR/ca.crt" "https://$API_ENDPOINT/readyz" >/dev/null; do
    [ "$_n" -ge "$API_ATTEMPTS" ] && die "https://$API_ENDPOINT/readyz did not answer after $_n attempts"
    log "waiting for https://$API_ENDPOINT/readyz (attempt $_n/$API_ATTEMPTS)"
    backoff_sleep "$_n"
    _n=$((_n + 1))
  done
}

has_etcd_member() { [ "$TOPOLOGY" = stacked ] && [ -d "$ROOT$MEMBER_DATA_DIR/member" ]; }

join_cluster() {
  if has_etcd_member; then
    log "the data volume holds this slot's etcd member: rejoining as it"
    kubeadm join --config "$ROOT$JOIN_CONFIG" --ignore-preflight-errors="$DATA_DIR_CHECK" --skip-phases=check-etcd
  else
    kubeadm join --config "$ROOT$JOIN_CONFIG"
  fi
}

recover_single() {
  if [ "$TOPOLOGY" = external ]; then
    log "single control-plane slot replaced: restarting the control plane on the external etcd"
    kubeadm init --config "$ROOT$INIT_CONFIG"
  elif has_etcd_member; then
    log "single control-plane slot replaced: restarting the control plane on the persisted etcd data"
    kubeadm init --config "$ROOT$INIT_CONFIG" --ignore-preflight-errors="$DATA_DIR_CHECK"
  else
    die "single control-plane slot without etcd data on its volume: restore a backup (k8s-aws-etcd-restore) first"
  fi
}

if [ -f "$KUBELET_CONF" ]; then
  # The leaf certificates are back already: k8s-aws-leaf-certs.service (leafCerts.ts) runs before the kubelet.
  log "already a member ($KUBELET_CONF exists): no init, no join"
  exit 0
fi
for _f in "$ROOT$INIT_CONFIG" "$ROOT$JOIN_CONFIG" "$ROOT$PKI_DIR/ca.crt"; do
  [ -f "$_f" ] || die "$_f is missing (the secrets unit should have written it)"
done
systemctl enable kubelet.service
if claim_init; then
  log "created s3://$BUCKET/$MARKER_KEY: this slot initializes the cluster"
  kubeadm init --config "$ROOT$INIT_CONFIG" ||
    die "kubeadm init failed. The marker stays, so no slot will init again by itself. Inspect this node; then either finish by hand, or 'kubeadm reset', empty the etcd data dir, delete s3://$BUCKET/$MARKER_KEY and restart $UNIT_NAME"
elif [ "$CONTROL_PLANE_COUNT" -eq 1 ]; then
  recover_single
else
  log "s3://$BUCKET/$MARKER_KEY exists: joining the cluster"
  wait_for_api
  join_cluster
fi
log "done"
