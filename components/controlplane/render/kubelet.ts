/**
 * The cluster-wide kubelet and kube-proxy configuration documents that
 * `kubeadm init` uploads (kubelet-config and kube-proxy ConfigMaps) and every
 * later join downloads, plus the sysctl file that protectKernelDefaults needs.
 */
import { KUBERNETES_PKI_DIR } from "./paths";

export type KubeProxyMode = "iptables" | "nftables" | "disabled";

export interface KubeletOptions {
    /**
     * With protectKernelDefaults the kubelet refuses to start unless the
     * kernel tunables it wants are already set (CIS 4.2.6). Safe only when
     * KUBELET_SYSCTLS are applied before the kubelet starts: the wiring must
     * install renderKubeletSysctls() as /etc/sysctl.d/90-kubelet.conf
     * (systemd-sysctl applies it at boot, before kubelet.service).
     */
    readonly protectKernelDefaults: boolean;
}

/**
 * What the kubelet checks under protectKernelDefaults (pkg/kubelet/cm/
 * container_manager_linux.go setupKernelTunables: VMOvercommitMemoryAlways,
 * VMPanicOnOOMInvokeOOMKiller, KernelPanicRebootTimeout,
 * KernelPanicOnOopsAlways, RootMaxKeysSetting, RootMaxBytesSetting).
 */
export const KUBELET_SYSCTLS: Readonly<Record<string, number>> = {
    "vm.overcommit_memory": 1,
    "vm.panic_on_oom": 0,
    "kernel.panic": 10,
    "kernel.panic_on_oops": 1,
    "kernel.keys.root_maxkeys": 1000000,
    "kernel.keys.root_maxbytes": 25000000,
};

/** /etc/sysctl.d/90-kubelet.conf for protectKernelDefaults. */
export function renderKubeletSysctls(): string {
    const lines = Object.entries(KUBELET_SYSCTLS).map(([k, v]) => `${k} = ${v}`);
    return ["# Kernel tunables the kubelet verifies with protectKernelDefaults: true (k8s-aws).", ...lines].join("\n") + "\n";
}

/**
 * kubelet.config.k8s.io/v1beta1 KubeletConfiguration, hardened per the CIS
 * benchmark's worker-node section:
 * - no anonymous access, webhook authentication and authorization (4.2.1-4.2.3);
 * - readOnlyPort 0 (4.2.4);
 * - rotateCertificates: the client certificate renews itself (4.2.11);
 * - serverTLSBootstrap: the serving certificate comes from a CSR for the
 *   kubernetes.io/kubelet-serving signer instead of being self-signed
 *   (4.2.12). kube-controller-manager does NOT approve those CSRs (its
 *   csrapproving controller only approves kubelet client certificates), so
 *   until an approver runs (the addons issue: e.g. kubelet-csr-approver
 *   checking the node's IPs and DNS names against the cloud) kubectl
 *   logs/exec and metrics-server cannot reach kubelets. Bootstrap itself does
 *   not depend on them.
 * - cgroupDriver systemd (containerd's SystemdCgroup=true must match).
 */
export function kubeletConfigurationDoc(opts: KubeletOptions): Record<string, unknown> {
    return {
        apiVersion: "kubelet.config.k8s.io/v1beta1",
        kind: "KubeletConfiguration",
        cgroupDriver: "systemd",
        authentication: {
            anonymous: { enabled: false },
            webhook: { enabled: true },
            x509: { clientCAFile: `${KUBERNETES_PKI_DIR}/ca.crt` },
        },
        authorization: { mode: "Webhook" },
        readOnlyPort: 0,
        rotateCertificates: true,
        serverTLSBootstrap: true,
        protectKernelDefaults: opts.protectKernelDefaults,
        tlsMinVersion: "VersionTLS12",
    };
}

/**
 * kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration, or nothing when
 * kube-proxy is disabled (a CNI that replaces it). iptables is the default:
 * Calico's default dataplane pairs with it; nftables is GA since 1.33
 * (KEP-3866) and is the way forward, ipvs is deprecated since 1.35 (KEP-5495)
 * and not offered. clusterCIDR is filled by kubeadm from networking.podSubnet.
 */
export function kubeProxyConfigurationDoc(mode: KubeProxyMode): Record<string, unknown> | undefined {
    if (mode === "disabled") return undefined;
    return {
        apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
        kind: "KubeProxyConfiguration",
        mode,
        metricsBindAddress: "127.0.0.1:10249",
    };
}
