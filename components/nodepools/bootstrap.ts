/**
 * A pool node's user data and the join it performs on first boot. Pure.
 *
 * User data = node setup (packages, kernel settings) + secrets delivery for
 * the `node` audience (CA certificate, bootstrap token, CA hash from
 * `nodes/` in the secrets bucket onto the /etc/kubernetes/pki tmpfs) + the
 * join part below. The kubeadm JoinConfiguration holds the bootstrap token,
 * so user data carries only a template of it with a placeholder where the
 * token goes; `k8s-aws-node-join.service` renders the real file onto the
 * tmpfs from the fetched token, joins once, and deletes it. One bucket
 * object serves every pool; the template (endpoint, pinned CA hash, labels,
 * taints) is per pool and not secret.
 *
 * The kubelet configuration itself is not here: `kubeadm join` downloads the
 * cluster's kubelet-config ConfigMap, which `kubeadm init` uploaded from the
 * control plane's hardened KubeletConfiguration (controlplane/render/kubelet.ts),
 * so nodes get the same settings. That configuration sets
 * protectKernelDefaults, hence the kubelet sysctls file here.
 *
 * For tests, K8S_AWS_ROOT prefixes every path the join script touches, and
 * kubeadm, systemctl, curl and sleep are looked up on PATH.
 */
import { CloudConfigPart, renderCloudConfig } from "../bootstrap/cloudConfig";
import { nodeSetupCloudConfig, NODE_SETUP_UNIT } from "../bootstrap/nodeSetup";
import { secretsDeliveryCloudConfig, SECRETS_UNIT } from "../bootstrap/secretsDelivery";
import { Arch } from "../bootstrap/ami";
import { renderKubeadmJoinNode } from "../controlplane/render/kubeadm";
import { renderKubeletSysctls } from "../controlplane/render/kubelet";
import { KUBEADM_JOIN_CONFIG } from "../controlplane/render/paths";
import { SHELL_COMMON, check, checkPositiveInt, renderUnit, shAssignments } from "../controlplane/render/shell";
import { BOOTSTRAP_TOKEN_FILE, KUBERNETES_PKI_DIR } from "../secrets/layout";
import type { NodePoolConfig } from "../../config";
import { nodeLabels } from "../../lib/poolTags";

export const NODE_JOIN_UNIT = "k8s-aws-node-join.service";
export const NODE_JOIN_SCRIPT = "/usr/local/sbin/k8s-aws-node-join";
/** The JoinConfiguration template (no secret in it), written by cloud-init. */
export const JOIN_TEMPLATE_PATH = "/etc/k8s-aws/kubeadm-join.yaml.tmpl";
/** Where the bootstrap token goes in the template. */
export const TOKEN_PLACEHOLDER = "K8S_AWS_BOOTSTRAP_TOKEN";
/** Fetched onto tmpfs by the secrets unit (secrets/layout.ts, audience `node`). */
export const TOKEN_PATH = `${KUBERNETES_PKI_DIR}/${BOOTSTRAP_TOKEN_FILE}`;
export const CA_CERT_PATH = `${KUBERNETES_PKI_DIR}/ca.crt`;
/** Rendered at boot onto the tmpfs; deleted after the join. */
export const JOIN_CONFIG_PATH = KUBEADM_JOIN_CONFIG;
/** Applied by systemd-sysctl at every boot (and by node setup's `sysctl --system` on the first). */
export const KUBELET_SYSCTL_PATH = "/etc/sysctl.d/90-kubelet.conf";

/**
 * The secrets unit has already put the cluster CA at the JoinConfiguration's
 * caCertPath, and a worker join's preflight refuses an existing file there
 * (kubeadm preflight RunJoinNodeChecks: FileAvailableCheck{cfg.CACertPath}
 * when ControlPlane is nil). kubeadm writes the same CA there after discovery.
 */
export function fileAvailableCheck(path: string): string {
    return `FileAvailable-${path.replace(/\//g, "-")}`;
}

/** A kubeadm sample token, replaced by the placeholder right after rendering; never reaches user data. */
const SENTINEL_TOKEN = "abcdef.0123456789abcdef";

export interface NodeJoinInput {
    readonly pool: Pick<NodePoolConfig, "name" | "labels" | "taints">;
    /** `<host>:<port>` nodes reach the API through (the control plane's controlPlaneEndpoint). */
    readonly apiEndpoint: string;
    /** `sha256:<hex>` of the cluster CA's public key: pinned here, so discovery trusts only that CA. */
    readonly caCertHash: string;
    /** How long to wait for the API: attempts, sleeping 2, 4, 8 ... up to backoffMaxSeconds. */
    readonly apiWaitAttempts?: number;
    readonly joinAttempts?: number;
    readonly backoffMaxSeconds?: number;
}

const ENDPOINT_RE = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?:\d{1,5}$/;

/** The JoinConfiguration with TOKEN_PLACEHOLDER for the token: endpoint, CA hash, labels (pool label included), taints. */
export function renderJoinTemplate(i: Pick<NodeJoinInput, "pool" | "apiEndpoint" | "caCertHash">): string {
    if (!ENDPOINT_RE.test(i.apiEndpoint)) throw new Error(`apiEndpoint ${JSON.stringify(i.apiEndpoint)} is not <host>:<port>`);
    const rendered = renderKubeadmJoinNode(
        { apiServerEndpoint: i.apiEndpoint, token: SENTINEL_TOKEN, caCertHashes: [i.caCertHash] },
        { labels: nodeLabels(i.pool), taints: i.pool.taints },
    );
    const parts = rendered.split(SENTINEL_TOKEN);
    if (parts.length !== 2) throw new Error(`expected the token exactly once in the JoinConfiguration, found it ${parts.length - 1} times`);
    return parts.join(TOKEN_PLACEHOLDER);
}

const JOIN_BODY = String.raw`ROOT="${"$"}{K8S_AWS_ROOT:-}"
KUBELET_CONF="$ROOT/etc/kubernetes/kubelet.conf"
BOOTSTRAP_KUBECONFIG="$ROOT/etc/kubernetes/bootstrap-kubelet.conf"

${SHELL_COMMON}

# read_token: the bootstrap token the secrets unit fetched onto tmpfs, in kubeadm's
# format [a-z0-9]{6}.[a-z0-9]{16}. It is never printed.
read_token() {
  [ -s "$ROOT$TOKEN_FILE" ] ||
    die "the bootstrap token $ROOT$TOKEN_FILE is missing or empty: $SECRETS_UNIT fetches it from the secrets bucket onto tmpfs (journalctl -u $SECRETS_UNIT)"
  IFS= read -r TOKEN <"$ROOT$TOKEN_FILE" || [ -n "$TOKEN" ]
  _id=${"$"}{TOKEN%%.*}
  _secret=${"$"}{TOKEN#*.}
  case $TOKEN in
    *[!a-z0-9.]* | *.*.*) die "$ROOT$TOKEN_FILE does not hold a bootstrap token ([a-z0-9]{6}.[a-z0-9]{16})" ;;
    *) ;;
  esac
  if [ "${"$"}{#_id}" -ne 6 ] || [ "${"$"}{#_secret}" -ne 16 ]; then
    die "$ROOT$TOKEN_FILE does not hold a bootstrap token ([a-z0-9]{6}.[a-z0-9]{16})"
  fi
}

# render_join_config: the template with the token in place, onto the tmpfs (0600).
# Shell builtins only, so the token never shows in a process's arguments.
render_join_config() {
  [ -s "$ROOT$TEMPLATE" ] || die "the join template $ROOT$TEMPLATE is missing (cloud-init writes it from user data)"
  mkdir -p "$ROOT$JOIN_DIR"
  chmod 0700 "$ROOT$JOIN_DIR"
  _found=0
  _umask=$(umask)
  umask 077
  while IFS= read -r _line || [ -n "$_line" ]; do
    case $_line in
      *"$PLACEHOLDER"*)
        printf '%s%s%s\n' "${"$"}{_line%%"$PLACEHOLDER"*}" "$TOKEN" "${"$"}{_line#*"$PLACEHOLDER"}"
        _found=$((_found + 1))
        ;;
      *) printf '%s\n' "$_line" ;;
    esac
  done <"$ROOT$TEMPLATE" >"$ROOT$JOIN_CONFIG.part"
  umask "$_umask"
  if [ "$_found" -ne 1 ]; then
    rm -f "$ROOT$JOIN_CONFIG.part"
    die "the join template $ROOT$TEMPLATE has $_found token placeholders, expected 1"
  fi
  mv -f "$ROOT$JOIN_CONFIG.part" "$ROOT$JOIN_CONFIG"
}

# wait_for_api: until /readyz answers (anonymous, verified against the cluster CA).
wait_for_api() {
  [ -s "$ROOT$CA_FILE" ] || die "the cluster CA $ROOT$CA_FILE is missing: $SECRETS_UNIT fetches it onto tmpfs"
  _n=1
  until curl -sS --fail --max-time 5 --cacert "$ROOT$CA_FILE" "https://$API_ENDPOINT/readyz" >/dev/null; do
    [ "$_n" -ge "$API_ATTEMPTS" ] && die "https://$API_ENDPOINT/readyz did not answer after $_n attempts"
    log "waiting for https://$API_ENDPOINT/readyz (attempt $_n/$API_ATTEMPTS)"
    backoff_sleep "$_n"
    _n=$((_n + 1))
  done
}

join_cluster() {
  _n=1
  until kubeadm join --config "$ROOT$JOIN_CONFIG" --ignore-preflight-errors="$CA_CHECK"; do
    if [ -f "$KUBELET_CONF" ]; then
      log "kubeadm join failed after the kubelet registered ($KUBELET_CONF exists): not joining again"
      return 0
    fi
    [ "$_n" -ge "$JOIN_ATTEMPTS" ] && die "kubeadm join failed $_n times (see above); the node is not in the cluster"
    log "kubeadm join failed (attempt $_n/$JOIN_ATTEMPTS); retrying"
    rm -f "$BOOTSTRAP_KUBECONFIG"
    backoff_sleep "$_n"
    _n=$((_n + 1))
  done
}

if [ -f "$KUBELET_CONF" ]; then
  log "already a member of the cluster ($KUBELET_CONF exists): nothing to do"
  exit 0
fi
read_token
render_join_config
systemctl enable kubelet.service
wait_for_api
log "joining through $API_ENDPOINT as a node of pool $POOL"
join_cluster
rm -f "$ROOT$JOIN_CONFIG"
log "done"
`;

/** The join script (install as NODE_JOIN_SCRIPT). */
export function renderNodeJoinScript(i: Pick<NodeJoinInput, "pool" | "apiEndpoint" | "apiWaitAttempts" | "joinAttempts" | "backoffMaxSeconds">): string {
    if (!ENDPOINT_RE.test(i.apiEndpoint)) throw new Error(`apiEndpoint ${JSON.stringify(i.apiEndpoint)} is not <host>:<port>`);
    const vars: Array<[string, string]> = [
        ["SCRIPT_NAME", "k8s-aws-node-join"],
        ["SECRETS_UNIT", SECRETS_UNIT],
        ["POOL", check("label", "pool", i.pool.name)],
        ["API_ENDPOINT", i.apiEndpoint],
        ["TOKEN_FILE", TOKEN_PATH],
        ["CA_FILE", CA_CERT_PATH],
        ["TEMPLATE", JOIN_TEMPLATE_PATH],
        ["PLACEHOLDER", TOKEN_PLACEHOLDER],
        ["JOIN_CONFIG", JOIN_CONFIG_PATH],
        ["JOIN_DIR", JOIN_CONFIG_PATH.slice(0, JOIN_CONFIG_PATH.lastIndexOf("/"))],
        ["CA_CHECK", fileAvailableCheck(CA_CERT_PATH)],
        ["API_ATTEMPTS", String(checkPositiveInt("apiWaitAttempts", i.apiWaitAttempts ?? 60))],
        ["JOIN_ATTEMPTS", String(checkPositiveInt("joinAttempts", i.joinAttempts ?? 3))],
        ["BACKOFF_MAX", String(checkPositiveInt("backoffMaxSeconds", i.backoffMaxSeconds ?? 30))],
    ];
    const header = [
        "#!/bin/sh",
        `# Joins this node to the cluster as a node of pool ${i.pool.name} (kubeadm join, first boot only).`,
        "# Rendered by k8s-aws (components/nodepools/bootstrap.ts); do not edit on the host.",
        "# K8S_AWS_ROOT relocates every path (tests only).",
        "set -eu",
    ].join("\n");
    return `${header}\n${shAssignments(vars)}\n${JOIN_BODY}`;
}

/** k8s-aws-node-join.service: after node setup and the secrets, on every boot (a no-op once joined). */
export function renderNodeJoinUnit(): string {
    return renderUnit({
        Unit: [
            ["Description", "k8s-aws: join this node to the cluster (kubeadm join, first boot only)"],
            ["Requires", `${NODE_SETUP_UNIT} ${SECRETS_UNIT}`],
            // Not Before=kubelet.service: kubeadm restarts the kubelet from inside this unit.
            ["After", `${NODE_SETUP_UNIT} ${SECRETS_UNIT} containerd.service network-online.target`],
            ["Wants", "network-online.target containerd.service"],
        ],
        Service: [
            ["Type", "oneshot"],
            ["RemainAfterExit", true],
            ["ExecStart", NODE_JOIN_SCRIPT],
            ["TimeoutStartSec", "45min"],
        ],
        Install: [["WantedBy", "multi-user.target"]],
    });
}

/** The cloud-config part: kubelet sysctls, the template, the script, the unit, and starting it. */
export function nodeJoinCloudConfig(i: NodeJoinInput): CloudConfigPart {
    return {
        writeFiles: [
            { path: KUBELET_SYSCTL_PATH, owner: "root:root", permissions: "0644", content: renderKubeletSysctls() },
            { path: JOIN_TEMPLATE_PATH, owner: "root:root", permissions: "0644", content: renderJoinTemplate(i) },
            { path: NODE_JOIN_SCRIPT, owner: "root:root", permissions: "0755", content: renderNodeJoinScript(i) },
            { path: `/etc/systemd/system/${NODE_JOIN_UNIT}`, owner: "root:root", permissions: "0644", content: renderNodeJoinUnit() },
        ],
        runcmd: [
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", NODE_JOIN_UNIT],
        ],
    };
}

export interface NodeUserDataInput extends NodeJoinInput {
    readonly region: string;
    readonly kubernetes: { readonly minor: string; readonly version: string };
    readonly arch: Arch;
    readonly secretsBucket: string;
}

/**
 * The whole cloud-config of a pool node: node setup first, then secrets
 * delivery, then the join. The node audience's objects are the same for both
 * etcd topologies, so the fetch script is rendered for "stacked".
 */
export function renderNodeUserData(i: NodeUserDataInput): string {
    return renderCloudConfig([
        nodeSetupCloudConfig({ kubernetesMinor: i.kubernetes.minor, kubernetesVersion: i.kubernetes.version, arch: i.arch }),
        secretsDeliveryCloudConfig({ bucket: i.secretsBucket, region: i.region, audience: { kind: "node" }, etcdTopology: "stacked" }),
        nodeJoinCloudConfig(i),
    ]);
}
