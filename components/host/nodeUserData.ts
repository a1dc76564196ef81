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
 * control plane's hardened KubeletConfiguration (host/kubelet.ts),
 * so nodes get the same settings. That configuration sets
 * protectKernelDefaults, hence the kubelet sysctls file here.
 *
 * For tests, K8S_AWS_ROOT prefixes every path the join script touches, and
 * kubeadm, systemctl, curl and sleep are looked up on PATH.
 */
import { CloudConfigPart, renderCloudConfig } from "./cloudConfig";
import { nodeSetupCloudConfig } from "./nodeSetup";
import { secretsDeliveryCloudConfig } from "./secretsDelivery";
import { Arch } from "./ami";
import { renderKubeadmJoinNode } from "./kubeadm";
import { renderKubeletSysctls } from "./kubelet";
import { NODE_SETUP_UNIT, SECRETS_UNIT } from "./paths";
import { check, checkPositiveInt, renderUnit } from "./shell";
import { renderScript } from "./script";
import type { NodePoolConfig } from "../../config";
import { nodeLabels } from "../../lib/poolTags";
import { NODE_JOIN_UNIT, NODE_JOIN_SCRIPT, JOIN_TEMPLATE_PATH, TOKEN_PLACEHOLDER, TOKEN_PATH, CA_CERT_PATH, JOIN_CONFIG_PATH, KUBELET_SYSCTL_PATH } from "./paths";

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
    const rendered = renderKubeadmJoinNode({ apiServerEndpoint: i.apiEndpoint, token: SENTINEL_TOKEN, caCertHashes: [i.caCertHash] }, { labels: nodeLabels(i.pool), taints: i.pool.taints });
    const parts = rendered.split(SENTINEL_TOKEN);
    if (parts.length !== 2) throw new Error(`expected the token exactly once in the JoinConfiguration, found it ${parts.length - 1} times`);
    return parts.join(TOKEN_PLACEHOLDER);
}

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
    return renderScript("nodeJoin.sh", vars);
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
