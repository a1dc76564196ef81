/**
 * Machine setup shared by every role (control plane, etcd member, node):
 * the hostname EC2 and the AWS cloud controller expect, kernel modules and
 * sysctls for pod networking, and, once per version, the pinned container
 * runtime, kubelet/kubeadm/kubectl, the AWS CLI and (where needed) etcd.
 * Runs as `k8s-aws-node-setup.service` on every boot, before the slot, the
 * secrets and the kubeadm units. Pure renderers.
 */
import { CloudConfigPart } from "./cloudConfig";
import { KUBERNETES_DEB_REVISION } from "../../config/versions";
import { SYSTEMD_CGROUP_FROM_DUMP, renderContainerdConfig, renderContainerdUnit, runtimePins } from "./containerd";
import { NODE_SETUP_UNIT, NODE_SETUP_SCRIPT, CONTAINERD_BIN_DIR, CONTAINERD_CONFIG_PATH, CONTAINERD_UNIT, RUNC_PATH } from "./paths";

/**
 * What the machine is for. "kubernetes" (control planes and pool nodes): the
 * container runtime and kubelet/kubeadm/kubectl. "etcd" (external etcd
 * members): etcd alone; no runtime, no kubelet (it would restart forever
 * there), and nothing from pkgs.k8s.io, so replacing a member depends only on
 * etcd's release and the AWS CLI.
 */
export type NodeSetupRole = "kubernetes" | "etcd";

export interface NodeSetupInput {
    /** Kubernetes minor, e.g. "1.35" (selects the pkgs.k8s.io repository and the containerd pin). */
    readonly kubernetesMinor: string;
    /** Full patch version, e.g. "1.35.9". */
    readonly kubernetesVersion: string;
    readonly arch: "amd64" | "arm64";
    /** Install etcd, etcdctl and etcdutl of this version (etcd members, and control planes for backups). */
    readonly etcdVersion?: string;
    /** Default "kubernetes". */
    readonly role?: NodeSetupRole;
}

const VERSION_RE = /^\d+\.\d+\.\d+$/;

/** Functions only machines that run Kubernetes get (role "kubernetes"). */
const KUBERNETES_FUNCTIONS = String.raw`install_runtime() {
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
`;

/** An etcd member: no pod-network kernel settings, no runtime; etcd.service starts from its own unit. */
const ETCD_FUNCTIONS = `prepare_kernel() { :; }
install_role() { :; }
start_role() { :; }
`;

/** The script's body after its variable assignments and the role's functions. */
const BODY = String.raw`DONE="$ROOT/var/lib/k8s-aws/node-setup.$MARKER.done"
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
`;

export function renderNodeSetupScript(i: NodeSetupInput): string {
    if (!/^\d+\.\d+$/.test(i.kubernetesMinor) || !VERSION_RE.test(i.kubernetesVersion) || !i.kubernetesVersion.startsWith(`${i.kubernetesMinor}.`)) {
        throw new Error(`inconsistent Kubernetes versions ${i.kubernetesMinor} / ${i.kubernetesVersion}`);
    }
    if (i.etcdVersion !== undefined && !VERSION_RE.test(i.etcdVersion)) throw new Error(`not an etcd version: ${i.etcdVersion}`);
    const role = i.role ?? "kubernetes";
    if (role === "etcd" && i.etcdVersion === undefined) throw new Error("an etcd member's node setup needs etcdVersion");
    const k8s = role === "kubernetes";
    const pins = k8s ? runtimePins(i.kubernetesMinor) : undefined;
    const debVersion = `${i.kubernetesVersion}-${KUBERNETES_DEB_REVISION}`;
    const marker = [
        ...(pins ? [i.kubernetesVersion, `containerd${pins.containerd}`, `runc${pins.runc}`] : ["etcd-member"]),
        ...(i.etcdVersion ? [`etcd${i.etcdVersion}`] : []),
    ].join("-");
    const roleFunctions = pins
        ? `
write_containerd_config() {
  cat > "$ROOT$CONTAINERD_CONFIG" <<'EOF'
${renderContainerdConfig()}EOF
}

write_containerd_unit() {
  cat > "$ROOT/etc/systemd/system/${CONTAINERD_UNIT}" <<'EOF'
${renderContainerdUnit()}EOF
}

systemd_cgroup_from_dump() {
  ${SYSTEMD_CGROUP_FROM_DUMP}
}

${KUBERNETES_FUNCTIONS}`
        : ETCD_FUNCTIONS;
    return `#!/bin/sh
# k8s-aws node setup (role: ${role}): hostname, kernel settings, and (once per
# version) what the role runs. Idempotent; runs on every boot.
set -eu

ROOT="\${K8S_AWS_ROOT:-}"
ROLE=${role}
MARKER=${marker}
${pins ? `K8S_MINOR=${i.kubernetesMinor}
K8S_DEB_VERSION=${debVersion}
CONTAINERD_VERSION=${pins.containerd}
RUNC_VERSION=${pins.runc}
CONTAINERD_CONFIG=${CONTAINERD_CONFIG_PATH}
CONTAINERD_BIN_DIR=${CONTAINERD_BIN_DIR}
RUNC_PATH=${RUNC_PATH}
` : ""}ARCH=${i.arch}
PINNED_ETCD=${i.etcdVersion ?? ""}
${roleFunctions}
${BODY}`;
}

export function renderNodeSetupUnit(role: NodeSetupRole = "kubernetes"): string {
    return [
        "[Unit]",
        `Description=k8s-aws node setup (role: ${role}; hostname, kernel settings, pinned packages)`,
        "Wants=network-online.target",
        "After=network-online.target",
        `Before=k8s-aws-slot.service k8s-aws-secrets.service ${role === "kubernetes" ? "containerd.service kubelet.service" : "etcd.service"}`,
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        `ExecStart=${NODE_SETUP_SCRIPT}`,
        "TimeoutStartSec=900",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        // A failed setup (a bad checksum, the wrong cgroup driver) keeps the runtime and the kubelet down.
        `RequiredBy=${role === "kubernetes" ? "containerd.service kubelet.service" : "etcd.service"}`,
        "",
    ].join("\n");
}

/** The cloud-config part: the script, the unit, and running it first. */
export function nodeSetupCloudConfig(i: NodeSetupInput): CloudConfigPart {
    return {
        writeFiles: [
            { path: NODE_SETUP_SCRIPT, owner: "root:root", permissions: "0755", content: renderNodeSetupScript(i) },
            { path: `/etc/systemd/system/${NODE_SETUP_UNIT}`, owner: "root:root", permissions: "0644", content: renderNodeSetupUnit(i.role) },
        ],
        runcmd: [
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", NODE_SETUP_UNIT],
        ],
    };
}
