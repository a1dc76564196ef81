/**
 * The cluster-wide kubelet and kube-proxy configuration documents that
 * `kubeadm init` uploads (kubelet-config and kube-proxy ConfigMaps) and every
 * later join downloads, plus the sysctl file that protectKernelDefaults needs.
 */
import { KUBERNETES_PKI_DIR, TLS_CIPHER_SUITES } from "./paths";

export type KubeProxyMode = "iptables" | "nftables" | "disabled";

export interface KubeletOptions {
    /**
     * With protectKernelDefaults the kubelet refuses to start unless the
     * kernel tunables it wants are already set (CIS 1.12 dropped the item; kept
     * as hardening). Safe only when
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
 * Kubernetes Benchmark 1.12 worker-node section (docs/cis-audit.md has each
 * item; numbers as in aquasecurity/kube-bench@v0.15.6:cfg/cis-1.12/node.yaml):
 * - no anonymous access, webhook authentication and authorization, the
 *   cluster CA for client certificates (4.2.1-4.2.3);
 * - readOnlyPort 0 (4.2.4);
 * - streaming sessions (exec, port-forward) closed after 30 idle minutes, not
 *   never (4.2.5; CIS's example 5m cuts interactive use);
 * - makeIPTablesUtilChains (4.2.6) and eventRecordQPS (4.2.8) at the
 *   kubelet's defaults, written out so they are asserted;
 * - rotateCertificates: the client certificate renews itself (4.2.10);
 * - serverTLSBootstrap: the serving certificate comes from a CSR for the
 *   kubernetes.io/kubelet-serving signer instead of being self-signed
 *   (4.2.9, 4.2.11). kube-controller-manager does NOT approve those CSRs (its
 *   csrapproving controller only approves kubelet client certificates), so
 *   an approver runs as an addon (kubelet-csr-approver); until it has
 *   approved a node's CSR, kubectl logs/exec and metrics cannot reach that
 *   kubelet. Bootstrap itself does not depend on them.
 * - TLS 1.2+ with strong cipher suites only (4.2.12);
 * - podPidsLimit 4096 (4.2.13): a fork bomb in one pod cannot take the node's
 *   PIDs (the kernel default pid_max is 4194304 on 64-bit, ample for 110 pods);
 * - seccompDefault (4.2.14): containers without a seccomp profile get the
 *   runtime's default one instead of none (GA since 1.27);
 * - cgroupDriver systemd (containerd's SystemdCgroup=true must match;
 *   node setup checks containerd's own view of it).
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
        streamingConnectionIdleTimeout: "30m0s",
        makeIPTablesUtilChains: true,
        eventRecordQPS: 50,
        rotateCertificates: true,
        serverTLSBootstrap: true,
        protectKernelDefaults: opts.protectKernelDefaults,
        tlsMinVersion: "VersionTLS12",
        tlsCipherSuites: [...TLS_CIPHER_SUITES],
        podPidsLimit: 4096,
        seccompDefault: true,
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
