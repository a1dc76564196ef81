#!/bin/sh
# k8s-aws node setup for machines that run Kubernetes (control planes and pool nodes): hostname,
# pod-network kernel settings, and (once per version) the pinned containerd, runc and
# kubelet/kubeadm/kubectl. Idempotent; runs on every boot as k8s-aws-node-setup.service.
# Rendered by k8s-aws (components/host/script.ts renderScript): do not edit on the host.
# The file contents CONTAINERD_CONFIG_TOML and CONTAINERD_SERVICE_UNIT come from containerd.ts.
# parameters: ROLE MARKER K8S_MINOR K8S_DEB_VERSION CONTAINERD_VERSION RUNC_VERSION CONTAINERD_CONFIG CONTAINERD_BIN_DIR RUNC_PATH CRI_RUNC_OPTIONS ARCH PINNED_ETCD CONTAINERD_CONFIG_TOML CONTAINERD_SERVICE_UNIT
set -eu

ROOT="${K8S_AWS_ROOT:-}"

write_containerd_config() {
  printf '%s\n' "$CONTAINERD_CONFIG_TOML" > "$ROOT$CONTAINERD_CONFIG"
}

write_containerd_unit() {
  printf '%s\n' "$CONTAINERD_SERVICE_UNIT" > "$ROOT/etc/systemd/system/containerd.service"
}

# Reads `containerd config dump` on stdin and prints SystemdCgroup's value in the CRI runc
# options table (nothing if absent). Quotes are dropped first, so the 'io.containerd...' and
# "io.containerd..." spellings of the table name compare equal; CRI_RUNC_OPTIONS is the
# table's name without quotes.
systemd_cgroup_from_dump() {
  tr -d "\"'" | awk -v want="[$CRI_RUNC_OPTIONS]" '
/^[[:space:]]*\[/ { t = $0; gsub(/[[:space:]]/, "", t); table = t; next }
table == want && $1 == "SystemdCgroup" && $2 == "=" { value = $3 }
END { print value }'
}

install_runtime() {
  log "installing containerd $CONTAINERD_VERSION and runc $RUNC_VERSION"
  tmp=$(mktemp -d)
  tarball="containerd-$CONTAINERD_VERSION-linux-$ARCH.tar.gz"
  fetch_verified "https://github.com/containerd/containerd/releases/download/v$CONTAINERD_VERSION" "$tarball" "$tarball.sha256sum" "$tmp"
  mkdir -p "$ROOT$CONTAINERD_BIN_DIR" "$ROOT$(dirname "$RUNC_PATH")" "$ROOT$(dirname "$CONTAINERD_CONFIG")" "$ROOT/etc/systemd/system"
  tar -xzf "$tmp/$tarball" -C "$ROOT$(dirname "$CONTAINERD_BIN_DIR")"
  fetch_verified "https://github.com/opencontainers/runc/releases/download/v$RUNC_VERSION" "runc.$ARCH" runc.sha256sum "$tmp"
  install -m 0755 "$tmp/runc.$ARCH" "$ROOT$RUNC_PATH"
  rm -rf "$tmp"
  write_containerd_config
  write_containerd_unit
  systemctl daemon-reload
  systemctl enable containerd.service
}

install_kubernetes_packages() {
  log "installing kubelet/kubeadm/kubectl $K8S_DEB_VERSION"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q apt-transport-https ca-certificates curl gpg
  mkdir -p "$ROOT/etc/apt/keyrings"
  curl -fsSL "https://pkgs.k8s.io/core:/stable:/v$K8S_MINOR/deb/Release.key" | gpg --dearmor --yes -o "$ROOT/etc/apt/keyrings/kubernetes-apt-keyring.gpg"
  echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v$K8S_MINOR/deb/ /" > "$ROOT/etc/apt/sources.list.d/kubernetes.list"
  apt-get update -q
  # This unit is ordered before kubelet.service, so a package script that starts the
  # kubelet and waits for it would wait for this very unit. policy-rc.d answering 101
  # ("action forbidden") makes deb-systemd-invoke skip service starts during the install.
  mkdir -p "$ROOT/usr/sbin"
  printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"
  chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
  trap 'rm -f "$ROOT/usr/sbin/policy-rc.d"' EXIT
  apt-get install -y -q --allow-downgrades --allow-change-held-packages "kubelet=$K8S_DEB_VERSION" "kubeadm=$K8S_DEB_VERSION" "kubectl=$K8S_DEB_VERSION"
  rm -f "$ROOT/usr/sbin/policy-rc.d"
  trap - EXIT
  apt-mark hold kubelet kubeadm kubectl
}

# The kubelet uses the systemd cgroup driver (KubeletConfiguration cgroupDriver),
# so runc under containerd must too; a mismatch leaves two cgroup managers
# fighting over the node. Checked on every boot, from what containerd itself
# reads, not from what we meant to write.
check_cgroup_driver() {
  dump=$(containerd --config "$ROOT$CONTAINERD_CONFIG" config dump) || die "containerd cannot read $CONTAINERD_CONFIG"
  value=$(printf '%s\n' "$dump" | systemd_cgroup_from_dump)
  [ "$value" = true ] || die "containerd config dump shows SystemdCgroup='$value' in the CRI runc options, not true: runc would use cgroupfs while the kubelet uses systemd. Fix $CONTAINERD_CONFIG."
  log "containerd uses the systemd cgroup driver"
}

# Pod networking needs bridged traffic to pass iptables and IP forwarding on.
prepare_kernel() {
  mkdir -p "$ROOT/etc/modules-load.d" "$ROOT/etc/sysctl.d"
  printf 'overlay\nbr_netfilter\n' > "$ROOT/etc/modules-load.d/k8s-aws.conf"
  modprobe overlay
  modprobe br_netfilter
  printf 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n' > "$ROOT/etc/sysctl.d/90-k8s-aws-net.conf"
  sysctl --system > /dev/null
}

install_role() {
  install_runtime
  install_kubernetes_packages
}

# CIS 4.1.1 and 4.1.9 (docs/cis-audit.md): the kubelet's unit files and the
# configuration kubeadm writes (with mode 0644, at every init, join and
# upgrade) readable by root only. The drop-in tightens them each time the
# kubelet starts, which is after kubeadm has written the file.
harden_kubelet_files() {
  mkdir -p "$ROOT/etc/systemd/system/kubelet.service.d"
  cat > "$ROOT/etc/systemd/system/kubelet.service.d/20-k8s-aws-file-modes.conf" <<'EOF'
[Service]
ExecStartPre=-/bin/chmod 0600 /var/lib/kubelet/config.yaml /usr/lib/systemd/system/kubelet.service /usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf /etc/systemd/system/kubelet.service.d/20-k8s-aws-file-modes.conf
EOF
  chmod 0600 "$ROOT/etc/systemd/system/kubelet.service.d/20-k8s-aws-file-modes.conf"
  systemctl daemon-reload
}

start_role() {
  harden_kubelet_files
  check_cgroup_driver
  # This unit is ordered before containerd.service: queue its start, do not wait for it here.
  systemctl start --no-block containerd.service
}

# shellcheck source=nodeSetup.sh
. ./nodeSetup.sh
