#!/bin/sh
# The part of node setup every role shares, included by nodeSetup-kubernetes.sh and
# nodeSetup-etcd.sh after their functions prepare_kernel, install_role and start_role.

DONE="$ROOT/var/lib/k8s-aws/node-setup.$MARKER.done"
IMDS=http://169.254.169.254/latest

log() {
  echo "k8s-aws-node-setup: $*" >&2
  logger -t k8s-aws-node-setup "$*" || true
}

die() {
  log "ERROR: $*"
  exit 1
}

# fetch_verified BASE_URL FILE SUMS_FILE DIR: downloads BASE_URL/FILE and the
# release's published checksum file BASE_URL/SUMS_FILE into DIR and refuses
# FILE unless its line in SUMS_FILE matches.
fetch_verified() {
  curl -fsSL -o "$4/$2" "$1/$2"
  curl -fsSL -o "$4/$3" "$1/$3"
  grep -q " \**$2\$" "$4/$3" || die "$3 from $1 lists no checksum for $2"
  (cd "$4" && grep " \**$2\$" "$3" | sha256sum -c -) >&2 || die "$2 from $1 does not match its published checksum"
}

install_etcd() {
  log "installing etcd $PINNED_ETCD"
  tmp=$(mktemp -d)
  tarball="etcd-v$PINNED_ETCD-linux-$ARCH.tar.gz"
  fetch_verified "https://github.com/etcd-io/etcd/releases/download/v$PINNED_ETCD" "$tarball" SHA256SUMS "$tmp"
  tar -xzf "$tmp/$tarball" -C "$tmp"
  mkdir -p "$ROOT/usr/local/bin"
  for bin in etcd etcdctl etcdutl; do
    install -m 0755 "$tmp/etcd-v$PINNED_ETCD-linux-$ARCH/$bin" "$ROOT/usr/local/bin/$bin"
  done
  rm -rf "$tmp"
}

# EC2 and the AWS cloud controller name nodes by their private DNS name.
token=$(curl -fsS -X PUT "$IMDS/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
name=$(curl -fsS -H "X-aws-ec2-metadata-token: $token" "$IMDS/meta-data/local-hostname")
hostnamectl set-hostname "$name"

prepare_kernel

if [ -f "$DONE" ]; then
  log "already installed ($MARKER)"
else
  install_role
  # AWS CLI v2 (S3 conditional writes, IMDSv2): Canonical's snap.
  snap install aws-cli --classic
  if [ -n "$PINNED_ETCD" ]; then install_etcd; fi
  mkdir -p "$(dirname "$DONE")"
  touch "$DONE"
fi

start_role
log "done (role $ROLE)"
