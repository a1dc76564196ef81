/**
 * Machine setup shared by every role (control plane, etcd member, node):
 * the hostname EC2 and the AWS cloud controller expect, kernel modules and
 * sysctls for pod networking, and, once per version, the pinned container
 * runtime, kubelet/kubeadm/kubectl, the AWS CLI and (where needed) etcd.
 * Runs as `k8s-aws-node-setup.service` on every boot, before the slot, the
 * secrets and the kubeadm units. Pure renderers; the scripts are
 * nodeSetup-kubernetes.sh and nodeSetup-etcd.sh (the role's functions), which
 * both include nodeSetup.sh (what every role does).
 */
import { CloudConfigPart } from "./cloudConfig";
import { KUBERNETES_DEB_REVISION } from "../../config/versions";
import { CRI_RUNC_OPTIONS, renderContainerdConfig, renderContainerdUnit, runtimePins } from "./containerd";
import { CONTAINERD_BIN_DIR, CONTAINERD_CONFIG_PATH, NODE_SETUP_SCRIPT, NODE_SETUP_UNIT, RUNC_PATH } from "./paths";
import { renderScript } from "./script";

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
    const marker = [...(pins ? [i.kubernetesVersion, `containerd${pins.containerd}`, `runc${pins.runc}`] : ["etcd-member"]), ...(i.etcdVersion ? [`etcd${i.etcdVersion}`] : [])].join("-");
    const vars: Array<[string, string]> = [
        ["ROLE", role],
        ["MARKER", marker],
        ...(pins
            ? ([
                  ["K8S_MINOR", i.kubernetesMinor],
                  ["K8S_DEB_VERSION", debVersion],
                  ["CONTAINERD_VERSION", pins.containerd],
                  ["RUNC_VERSION", pins.runc],
                  ["CONTAINERD_CONFIG", CONTAINERD_CONFIG_PATH],
                  ["CONTAINERD_BIN_DIR", CONTAINERD_BIN_DIR],
                  ["RUNC_PATH", RUNC_PATH],
                  ["CRI_RUNC_OPTIONS", CRI_RUNC_OPTIONS],
              ] as Array<[string, string]>)
            : []),
        ["ARCH", i.arch],
        ["PINNED_ETCD", i.etcdVersion ?? ""],
        ...(pins
            ? ([
                  ["CONTAINERD_CONFIG_TOML", renderContainerdConfig()],
                  ["CONTAINERD_SERVICE_UNIT", renderContainerdUnit()],
              ] as Array<[string, string]>)
            : []),
    ];
    // Bare words where a quote is not needed: operators (and tests) read these as NAME=value.
    return renderScript(pins ? "nodeSetup-kubernetes.sh" : "nodeSetup-etcd.sh", vars, "when-needed");
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
