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

export const NODE_SETUP_UNIT = "k8s-aws-node-setup.service";
export const NODE_SETUP_SCRIPT = "/usr/local/sbin/k8s-aws-node-setup";

export interface NodeSetupInput {
    /** Kubernetes minor, e.g. "1.35" (selects the pkgs.k8s.io repository). */
    readonly kubernetesMinor: string;
    /** Full patch version, e.g. "1.35.9". */
    readonly kubernetesVersion: string;
    readonly arch: "amd64" | "arm64";
    /** Install etcd, etcdctl and etcdutl of this version (etcd members, and control planes for backups). */
    readonly etcdVersion?: string;
}

const VERSION_RE = /^\d+\.\d+\.\d+$/;

export function renderNodeSetupScript(i: NodeSetupInput): string {
    if (!/^\d+\.\d+$/.test(i.kubernetesMinor) || !VERSION_RE.test(i.kubernetesVersion) || !i.kubernetesVersion.startsWith(`${i.kubernetesMinor}.`)) {
        throw new Error(`inconsistent Kubernetes versions ${i.kubernetesMinor} / ${i.kubernetesVersion}`);
    }
    if (i.etcdVersion !== undefined && !VERSION_RE.test(i.etcdVersion)) throw new Error(`not an etcd version: ${i.etcdVersion}`);
    const debVersion = `${i.kubernetesVersion}-${KUBERNETES_DEB_REVISION}`;
    const marker = `${i.kubernetesVersion}${i.etcdVersion ? `-etcd${i.etcdVersion}` : ""}`;
    return `#!/bin/sh
# k8s-aws node setup: hostname, kernel settings, and (once per version) the
# pinned runtime and Kubernetes packages. Idempotent; runs on every boot.
set -eu

ROOT="\${K8S_AWS_ROOT:-}"
K8S_MINOR=${i.kubernetesMinor}
K8S_DEB_VERSION=${debVersion}
ARCH=${i.arch}
PINNED_ETCD=${i.etcdVersion ?? ""}
DONE="$ROOT/var/lib/k8s-aws/node-setup.${marker}.done"
IMDS=http://169.254.169.254/latest

log() {
  echo "k8s-aws-node-setup: $*" >&2
  logger -t k8s-aws-node-setup "$*" || true
}

# EC2 and the AWS cloud controller name nodes by their private DNS name.
token=$(curl -fsS -X PUT "$IMDS/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
name=$(curl -fsS -H "X-aws-ec2-metadata-token: $token" "$IMDS/meta-data/local-hostname")
hostnamectl set-hostname "$name"

# Pod networking needs bridged traffic to pass iptables and IP forwarding on.
mkdir -p "$ROOT/etc/modules-load.d" "$ROOT/etc/sysctl.d"
printf 'overlay\\nbr_netfilter\\n' > "$ROOT/etc/modules-load.d/k8s-aws.conf"
modprobe overlay
modprobe br_netfilter
printf 'net.bridge.bridge-nf-call-iptables = 1\\nnet.bridge.bridge-nf-call-ip6tables = 1\\nnet.ipv4.ip_forward = 1\\n' > "$ROOT/etc/sysctl.d/90-k8s-aws-net.conf"
sysctl --system > /dev/null

if [ -f "$DONE" ]; then
  log "packages already installed ($K8S_DEB_VERSION)"
  exit 0
fi

log "installing containerd, kubelet/kubeadm/kubectl $K8S_DEB_VERSION"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q apt-transport-https ca-certificates curl gpg containerd
mkdir -p "$ROOT/etc/apt/keyrings"
curl -fsSL "https://pkgs.k8s.io/core:/stable:/v$K8S_MINOR/deb/Release.key" | gpg --dearmor --yes -o "$ROOT/etc/apt/keyrings/kubernetes-apt-keyring.gpg"
echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v$K8S_MINOR/deb/ /" > "$ROOT/etc/apt/sources.list.d/kubernetes.list"
apt-get update -q
apt-get install -y -q --allow-downgrades --allow-change-held-packages "kubelet=$K8S_DEB_VERSION" "kubeadm=$K8S_DEB_VERSION" "kubectl=$K8S_DEB_VERSION"
apt-mark hold kubelet kubeadm kubectl

# kubelet uses the systemd cgroup driver (kubeadm's default), so containerd must too.
mkdir -p "$ROOT/etc/containerd"
containerd config default | sed 's/SystemdCgroup = false/SystemdCgroup = true/' > "$ROOT/etc/containerd/config.toml"
systemctl restart containerd

# AWS CLI v2 (S3 conditional writes, IMDSv2): Canonical's snap.
snap install aws-cli --classic

if [ -n "$PINNED_ETCD" ]; then
  log "installing etcd $PINNED_ETCD"
  tmp=$(mktemp -d)
  base="https://github.com/etcd-io/etcd/releases/download/v$PINNED_ETCD"
  tarball="etcd-v$PINNED_ETCD-linux-$ARCH.tar.gz"
  curl -fsSL -o "$tmp/$tarball" "$base/$tarball"
  curl -fsSL -o "$tmp/SHA256SUMS" "$base/SHA256SUMS"
  # The release's published checksums: refuse a tarball that does not match.
  (cd "$tmp" && grep " $tarball\\$" SHA256SUMS | sha256sum -c -)
  tar -xzf "$tmp/$tarball" -C "$tmp"
  for bin in etcd etcdctl etcdutl; do
    install -m 0755 "$tmp/etcd-v$PINNED_ETCD-linux-$ARCH/$bin" "$ROOT/usr/local/bin/$bin"
  done
  rm -rf "$tmp"
fi

mkdir -p "$(dirname "$DONE")"
touch "$DONE"
log "done"
`;
}

export function renderNodeSetupUnit(): string {
    return [
        "[Unit]",
        "Description=k8s-aws node setup (hostname, kernel settings, pinned packages)",
        "Wants=network-online.target",
        "After=network-online.target",
        "Before=k8s-aws-slot.service k8s-aws-secrets.service kubelet.service etcd.service",
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        `ExecStart=${NODE_SETUP_SCRIPT}`,
        "TimeoutStartSec=900",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "RequiredBy=kubelet.service",
        "",
    ].join("\n");
}

/** The cloud-config part: the script, the unit, and running it first. */
export function nodeSetupCloudConfig(i: NodeSetupInput): CloudConfigPart {
    return {
        writeFiles: [
            { path: NODE_SETUP_SCRIPT, owner: "root:root", permissions: "0755", content: renderNodeSetupScript(i) },
            { path: `/etc/systemd/system/${NODE_SETUP_UNIT}`, owner: "root:root", permissions: "0644", content: renderNodeSetupUnit() },
        ],
        runcmd: [
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", NODE_SETUP_UNIT],
        ],
    };
}
