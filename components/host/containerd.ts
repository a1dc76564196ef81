/**
 * The container runtime as data: which containerd and runc a Kubernetes
 * minor gets, the configuration file, the systemd unit, and the check that
 * the running configuration really uses the systemd cgroup driver. Pure
 * renderers; nodeSetup.ts embeds them in the node setup script.
 *
 * Why the upstream static release and not Ubuntu's package: Ubuntu 24.04's
 * archive carries containerd 1.7, which Kubernetes 1.36 does not support
 * (containerd/containerd@v2.3.4:RELEASES.md lists only 2.2+ and 2.3+ for
 * 1.36), and an unpinned `apt-get install containerd` gets whatever the
 * archive has that day. The release tarball is pinned to a version and
 * checked against the checksum file containerd publishes beside it.
 */
import { CONTAINERD_KUBERNETES_MATRIX, CONTAINERD_VERSIONS, KubernetesMinor, RUNC_VERSIONS } from "../../config/versions";
import { shAssignment, shellFunction } from "./script";
import { CONTAINERD_BIN_DIR, RUNC_PATH } from "./paths";

/**
 * The CRI runc runtime's options table in a config version 3 file
 * (containerd/containerd@v2.3.4:docs/cri/config.md, "Cgroup Driver": "In
 * containerd 2.x ... [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
 * SystemdCgroup = true"). The same path holds at v2.2.7.
 */
export const RUNC_OPTIONS_TABLE = "plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options";

export interface RuntimePins {
    readonly containerd: string;
    readonly runc: string;
}

/** Compares dotted numeric versions. */
function compareVersions(a: string, b: string): number {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        const d = (pa[i] ?? 0) - (pb[i] ?? 0);
        if (d !== 0) return d;
    }
    return 0;
}

/**
 * Whether containerd's matrix recommends `containerd` for `minor`: some line
 * listed for that minor has the same major.minor and a patch at or above its
 * minimum. A minor newer than the matrix's newest row is judged against that
 * row (the matrix at the pinned tag predates it; see CONTAINERD_VERSIONS).
 */
export function containerdSupports(minor: string, containerd: string, matrix = CONTAINERD_KUBERNETES_MATRIX): boolean {
    const rows = Object.keys(matrix).sort(compareVersions);
    const newest = rows[rows.length - 1];
    const row = matrix[minor] ?? (compareVersions(minor, newest) > 0 ? matrix[newest] : undefined);
    if (!row) return false;
    const line = (v: string) => v.split(".").slice(0, 2).join(".");
    return row.some((min) => line(min) === line(containerd) && compareVersions(containerd, min) >= 0);
}

/** The pinned containerd and runc for a Kubernetes minor; throws unless containerd's matrix supports the pair. */
export function runtimePins(minor: string): RuntimePins {
    const containerd = CONTAINERD_VERSIONS[minor as KubernetesMinor];
    if (!containerd) throw new Error(`no containerd is pinned for Kubernetes ${minor} (config/versions.ts CONTAINERD_VERSIONS)`);
    if (!containerdSupports(minor, containerd)) throw new Error(`containerd ${containerd} is not in containerd's support matrix for Kubernetes ${minor}`);
    const runc = RUNC_VERSIONS[containerd];
    if (!runc) throw new Error(`no runc is pinned for containerd ${containerd} (config/versions.ts RUNC_VERSIONS)`);
    return { containerd, runc };
}

/**
 * /etc/containerd/config.toml: config version 3 (containerd 2.x), the runc
 * runtime spelled out with the systemd cgroup driver, which is what the
 * kubelet uses (KubeletConfiguration cgroupDriver: systemd). Written whole,
 * never derived from `containerd config default` with sed: some 2.x releases
 * print no SystemdCgroup line there, so a substitution would silently do
 * nothing and leave runc on cgroupfs.
 *
 * Version 3 because one file serves both pinned lines: 2.2 reads it as its
 * newest version, and 2.3 (whose newest is 4) migrates it in memory at each
 * start and logs that it did (containerd/containerd@v2.3.4:RELEASES.md,
 * "Daemon Configuration": version 3 needs v2.0.0+, version 4 v2.3.0+).
 */
export function renderContainerdConfig(): string {
    return [
        "# containerd configuration, rendered by k8s-aws: do not edit on the host.",
        "version = 3",
        "",
        "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]",
        "  runtime_type = 'io.containerd.runc.v2'",
        "",
        `[${RUNC_OPTIONS_TABLE}]`,
        "  SystemdCgroup = true",
        `  BinaryName = '${RUNC_PATH}'`,
        "",
        // Every pod sandbox needs a loopback interface; containerd sets it up itself instead of
        // requiring the CNI loopback plugin in /opt/cni/bin (key present and false by default in
        // `containerd config dump` of v2.2.7 and v2.3.4).
        "[plugins.'io.containerd.cri.v1.runtime'.cni]",
        "  use_internal_loopback = true",
        "",
    ].join("\n");
}

/**
 * containerd.service as upstream ships it (containerd/containerd@v2.3.4:containerd.service,
 * identical at v2.2.7), with the binary's path from CONTAINERD_BIN_DIR.
 */
export function renderContainerdUnit(): string {
    return [
        "[Unit]",
        "Description=containerd container runtime",
        "Documentation=https://containerd.io",
        "After=network.target dbus.service",
        "",
        "[Service]",
        "ExecStartPre=-/sbin/modprobe overlay",
        `ExecStart=${CONTAINERD_BIN_DIR}/containerd`,
        "Type=notify",
        "Delegate=yes",
        "KillMode=process",
        "Restart=always",
        "RestartSec=5",
        "LimitNPROC=infinity",
        "LimitCORE=infinity",
        "TasksMax=infinity",
        "OOMScoreAdjust=-999",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
}

/** RUNC_OPTIONS_TABLE without its quotes: how the node setup's check names the table after dropping every quote. */
export const CRI_RUNC_OPTIONS = RUNC_OPTIONS_TABLE.replace(/'/g, "");

/**
 * A POSIX sh program that reads `containerd config dump` on stdin and prints
 * the value of SystemdCgroup in the CRI runc options table (nothing if
 * absent): node setup's own systemd_cgroup_from_dump (nodeSetup-kubernetes.sh)
 * with its table name assigned, so that tests run the function the instances run.
 */
export const SYSTEMD_CGROUP_FROM_DUMP = `${shAssignment("CRI_RUNC_OPTIONS", CRI_RUNC_OPTIONS)}
${shellFunction("nodeSetup-kubernetes.sh", "systemd_cgroup_from_dump")}
systemd_cgroup_from_dump`;
