/**
 * The kubeadm-made leaf certificates of a control-plane member after a reboot.
 *
 * The pki directory is a tmpfs (the secrets unit fills it with the CAs and the
 * SA key pair), so a reboot empties it of the leaves kubeadm made at init or
 * join: apiserver, apiserver-kubelet-client, front-proxy-client and, stacked,
 * etcd's server, peer and healthcheck-client. The static pods (kube-apiserver,
 * stacked etcd) crash-loop until they are back, so they must be back before
 * the kubelet starts: this unit is ordered Before=kubelet.service and the
 * kubelet requires it (RequiredBy in [Install]).
 *
 * Not merged into k8s-aws-control-plane.service: that unit runs `kubeadm init`
 * or `join`, which restart the kubelet from inside it (`systemctl restart
 * kubelet`, waiting for the job); ordering it before kubelet.service would make
 * that restart wait for the unit that is waiting for it. This unit never
 * touches the kubelet, and on a first boot (no kubelet.conf yet) does nothing.
 */
import { KUBERNETES_PKI_DIR, KUBEADM_INIT_CONFIG, LEAF_CERTS_SCRIPT } from "./paths";
import { check, renderUnit } from "./shell";
import { renderScript } from "./script";

/** The script (install as LEAF_CERTS_SCRIPT). */
export function renderLeafCertsScript(): string {
    const vars: Array<[string, string]> = [
        ["SCRIPT_NAME", "k8s-aws-leaf-certs"],
        ["PKI_DIR", KUBERNETES_PKI_DIR],
        ["INIT_CONFIG", KUBEADM_INIT_CONFIG],
    ];
    return renderScript("leafCerts.sh", vars);
}

/**
 * k8s-aws-leaf-certs.service. `inputsFrom`: the units that deliver the CAs and
 * the kubeadm configuration onto the tmpfs (required, and ordered before it).
 */
export function renderLeafCertsUnit(inputsFrom: readonly string[], scriptPath = LEAF_CERTS_SCRIPT): string {
    if (inputsFrom.length === 0) throw new Error("the leaf certificates unit needs the units that deliver its inputs");
    const units = inputsFrom.map((u) => check("unit", "inputsFrom", u)).join(" ");
    return renderUnit({
        Unit: [
            ["Description", "k8s-aws: recreate kubeadm-made leaf certificates on the tmpfs pki before the kubelet starts"],
            ["Requires", units],
            ["After", units],
            ["Before", "kubelet.service"],
        ],
        Service: [
            ["Type", "oneshot"],
            ["RemainAfterExit", true],
            ["ExecStart", check("absPath", "scriptPath", scriptPath)],
            ["TimeoutStartSec", "5min"],
        ],
        Install: [
            ["WantedBy", "multi-user.target"],
            ["RequiredBy", "kubelet.service"],
        ],
    });
}
