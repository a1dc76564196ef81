#!/bin/sh
# Recreates kubeadm-made leaf certificates on the tmpfs pki after a reboot, before the kubelet starts.
# Rendered by k8s-aws (components/host/script.ts renderScript): do not edit on the host.
# parameters: SCRIPT_NAME PKI_DIR INIT_CONFIG
set -eu
ROOT="${K8S_AWS_ROOT:-}"
KUBELET_CONF="$ROOT/etc/kubernetes/kubelet.conf"

# shellcheck source=common.sh
. ./common.sh

if [ ! -f "$KUBELET_CONF" ]; then
  log "not a member yet ($KUBELET_CONF is absent): kubeadm init or join makes the certificates"
  exit 0
fi
if [ -f "$ROOT$PKI_DIR/apiserver.crt" ]; then
  log "kubeadm-made certificates are present"
  exit 0
fi
[ -f "$ROOT$INIT_CONFIG" ] || die "$ROOT$INIT_CONFIG is missing (the slot secrets unit should have written it)"
[ -f "$ROOT$PKI_DIR/ca.crt" ] || die "$ROOT$PKI_DIR/ca.crt is missing (the secrets unit should have written it)"
log "kubeadm-made certificates are missing from the tmpfs pki: recreating them from the CAs"
kubeadm init phase certs all --config "$ROOT$INIT_CONFIG" || die "kubeadm could not recreate the certificates; the kubelet stays down"
log "done"
