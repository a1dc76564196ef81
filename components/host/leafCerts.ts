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
import { SHELL_COMMON, check, renderUnit, scriptHeader, shAssignments } from "./shell";

const BODY = String.raw`ROOT="${"$"}{K8S_AWS_ROOT:-}"
KUBELET_CONF="$ROOT/etc/kubernetes/kubelet.conf"

${SHELL_COMMON}

if [ ! -f "$KUBELET_CONF" ]; then
  log "not a member yet ($KUBELET_CONF is absent): kubeadm init or join makes the certificates"
  exit 0
fi
if [ -f "$ROOT$PKI_DIR/apiserver.crt" ]; then
  log "kubeadm-made certificates are present"
  exit 0
fi
[ -f "$ROOT$INIT_CONFIG" ] || die "$ROOT$INIT_CONFIG is missing (the slot secrets unit should have written it)"
[ -f "$ROOT$PKI_DIR/ca.crt" ] || die "$ROOT$PKI_DIR/ca.crt is missing (the secrets unit should have written it)"
log "kubeadm-made certificates are missing from the tmpfs pki: recreating them from the CAs"
kubeadm init phase certs all --config "$ROOT$INIT_CONFIG" || die "kubeadm could not recreate the certificates; the kubelet stays down"
log "done"
`;

/** The script (install as LEAF_CERTS_SCRIPT). */
export function renderLeafCertsScript(): string {
    const vars: Array<[string, string]> = [
        ["SCRIPT_NAME", "k8s-aws-leaf-certs"],
        ["PKI_DIR", KUBERNETES_PKI_DIR],
        ["INIT_CONFIG", KUBEADM_INIT_CONFIG],
    ];
    return `${scriptHeader("Recreates kubeadm-made leaf certificates on the tmpfs pki after a reboot, before the kubelet starts.")}\n${shAssignments(vars)}\n${BODY}`;
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
        Install: [["WantedBy", "multi-user.target"], ["RequiredBy", "kubelet.service"]],
    });
}
