#!/bin/sh
# Fetches a control-plane slot's kubeadm configurations and the encryption configuration onto
# the tmpfs. The renderer appends one `key=... file=... mode=... deliver` pair per object.
# Rendered by k8s-aws (components/host/script.ts renderScript): do not edit on the host.
# parameters: SCRIPT_NAME SECRETS_UNIT BUCKET REGION PKI_DIR ATTEMPTS BACKOFF_MAX
set -eu
ROOT="${K8S_AWS_ROOT:-}"
umask 077

# shellcheck source=common.sh
. ./common.sh

# deliver: s3://$BUCKET/$key -> $file with $mode, through a .part file, retrying with backoff.
# The renderer appends the assignments and calls, one pair per object, spelled out so that
# reviewers and the policy pack can follow where each secret lands.
key='' file='' mode=''
deliver() {
  _n=1
  until aws --region "$REGION" s3 cp --only-show-errors "s3://$BUCKET/$key" "$file.part" </dev/null; do
    rm -f "$file.part"
    [ "$_n" -ge "$ATTEMPTS" ] && die "cannot fetch s3://$BUCKET/$key after $_n attempts"
    backoff_sleep "$_n"
    _n=$((_n + 1))
  done
  chmod "$mode" "$file.part"
  mv -f "$file.part" "$file"
  [ -s "$file" ] || die "s3://$BUCKET/$key is empty"
}

mountpoint -q "$ROOT$PKI_DIR" || die "$ROOT$PKI_DIR is not mounted: $SECRETS_UNIT mounts a tmpfs there first; refusing to write secrets to disk"
