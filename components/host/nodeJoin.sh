#!/bin/sh
# Joins this node to the cluster as a node of its pool (kubeadm join, first boot only).
# K8S_AWS_ROOT relocates every path (tests only).
# Rendered by k8s-aws (components/host/script.ts renderScript): do not edit on the host.
# parameters: SCRIPT_NAME SECRETS_UNIT POOL API_ENDPOINT TOKEN_FILE CA_FILE TEMPLATE PLACEHOLDER JOIN_CONFIG JOIN_DIR CA_CHECK API_ATTEMPTS JOIN_ATTEMPTS BACKOFF_MAX
set -eu
ROOT="${K8S_AWS_ROOT:-}"
KUBELET_CONF="$ROOT/etc/kubernetes/kubelet.conf"
BOOTSTRAP_KUBECONFIG="$ROOT/etc/kubernetes/bootstrap-kubelet.conf"

# shellcheck source=common.sh
. ./common.sh

# read_token: the bootstrap token the secrets unit fetched onto tmpfs, in kubeadm's
# format [a-z0-9]{6}.[a-z0-9]{16}. It is never printed.
read_token() {
  [ -s "$ROOT$TOKEN_FILE" ] ||
    die "the bootstrap token $ROOT$TOKEN_FILE is missing or empty: $SECRETS_UNIT fetches it from the secrets bucket onto tmpfs (journalctl -u $SECRETS_UNIT)"
  IFS= read -r TOKEN <"$ROOT$TOKEN_FILE" || [ -n "$TOKEN" ]
  _id=${TOKEN%%.*}
  _secret=${TOKEN#*.}
  case $TOKEN in
    *[!a-z0-9.]* | *.*.*) die "$ROOT$TOKEN_FILE does not hold a bootstrap token ([a-z0-9]{6}.[a-z0-9]{16})" ;;
    *) ;;
  esac
  if [ "${#_id}" -ne 6 ] || [ "${#_secret}" -ne 16 ]; then
    die "$ROOT$TOKEN_FILE does not hold a bootstrap token ([a-z0-9]{6}.[a-z0-9]{16})"
  fi
}

# render_join_config: the template with the token in place, onto the tmpfs (0600).
# Shell builtins only, so the token never shows in a process's arguments.
render_join_config() {
  [ -s "$ROOT$TEMPLATE" ] || die "the join template $ROOT$TEMPLATE is missing (cloud-init writes it from user data)"
  mkdir -p "$ROOT$JOIN_DIR"
  chmod 0700 "$ROOT$JOIN_DIR"
  _found=0
  _umask=$(umask)
  umask 077
  while IFS= read -r _line || [ -n "$_line" ]; do
    case $_line in
      *"$PLACEHOLDER"*)
        printf '%s%s%s\n' "${_line%%"$PLACEHOLDER"*}" "$TOKEN" "${_line#*"$PLACEHOLDER"}"
        _found=$((_found + 1))
        ;;
      *) printf '%s\n' "$_line" ;;
    esac
  done <"$ROOT$TEMPLATE" >"$ROOT$JOIN_CONFIG.part"
  umask "$_umask"
  if [ "$_found" -ne 1 ]; then
    rm -f "$ROOT$JOIN_CONFIG.part"
    die "the join template $ROOT$TEMPLATE has $_found token placeholders, expected 1"
  fi
  mv -f "$ROOT$JOIN_CONFIG.part" "$ROOT$JOIN_CONFIG"
}

# wait_for_api: until /readyz answers (anonymous, verified against the cluster CA).
wait_for_api() {
  [ -s "$ROOT$CA_FILE" ] || die "the cluster CA $ROOT$CA_FILE is missing: $SECRETS_UNIT fetches it onto tmpfs"
  _n=1
  until curl -sS --fail --max-time 5 --cacert "$ROOT$CA_FILE" "https://$API_ENDPOINT/readyz" >/dev/null; do
    [ "$_n" -ge "$API_ATTEMPTS" ] && die "https://$API_ENDPOINT/readyz did not answer after $_n attempts"
    log "waiting for https://$API_ENDPOINT/readyz (attempt $_n/$API_ATTEMPTS)"
    backoff_sleep "$_n"
    _n=$((_n + 1))
  done
}

join_cluster() {
  _n=1
  until kubeadm join --config "$ROOT$JOIN_CONFIG" --ignore-preflight-errors="$CA_CHECK"; do
    if [ -f "$KUBELET_CONF" ]; then
      log "kubeadm join failed after the kubelet registered ($KUBELET_CONF exists): not joining again"
      return 0
    fi
    [ "$_n" -ge "$JOIN_ATTEMPTS" ] && die "kubeadm join failed $_n times (see above); the node is not in the cluster"
    log "kubeadm join failed (attempt $_n/$JOIN_ATTEMPTS); retrying"
    rm -f "$BOOTSTRAP_KUBECONFIG"
    backoff_sleep "$_n"
    _n=$((_n + 1))
  done
}

if [ -f "$KUBELET_CONF" ]; then
  log "already a member of the cluster ($KUBELET_CONF exists): nothing to do"
  exit 0
fi
read_token
render_join_config
systemctl enable kubelet.service
wait_for_api
log "joining through $API_ENDPOINT as a node of pool $POOL"
join_cluster
rm -f "$ROOT$JOIN_CONFIG"
log "done"
