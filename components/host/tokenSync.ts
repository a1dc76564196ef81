/**
 * Keeps the cluster's bootstrap token in step with the one in the secrets bucket.
 *
 * `kubeadm init` registers the token from its InitConfiguration once, as the
 * Secret kube-system/bootstrap-token-<id>. A rotation (`pulumi up --replace`
 * of the token resources, docs/runbooks/rotate-certificates.md) changes the
 * bucket's `nodes/bootstrap-token` while the slots run, and the cluster would
 * never learn it. A timer on every control-plane slot (OnBootSec 5 min, then
 * every 10 min, only once the control-plane unit has succeeded) runs
 * k8s-aws-token-sync, which:
 *
 * 1. fetches `nodes/bootstrap-token` again with the same `aws s3 cp`, bucket
 *    and region (from /etc/k8s-aws/secrets.env) as the boot-time fetch, onto
 *    the same tmpfs file (the boot copy may predate a rotation); a missing or
 *    unreadable object is an error that names it;
 * 2. lists the cluster's tokens (`kubeadm token list -o jsonpath`, id.secret
 *    and description per line) and, unless the delivered token is among
 *    them, registers it: `kubeadm token create --config <file>`, the file an
 *    InitConfiguration with one bootstrapTokens entry (ttl 0s, the same
 *    description, usages and groups as the init configuration's) written
 *    0600 to the tmpfs and removed afterwards. The token is never an
 *    argument: /proc/<pid>/cmdline is readable by every local user, a mode
 *    0600 file on the tmpfs only by root. kubeadm refuses --ttl or
 *    --description next to --config (ValidateMixedArguments), so they are in
 *    the file; its ClusterConfiguration pins kubernetesVersion to the local
 *    kubeadm's, or kubeadm would look up "stable-1" on dl.k8s.io. A token
 *    with the delivered id but another secret is deleted first; "already
 *    exists" (another slot was quicker) is success;
 * 3. deletes the tokens with this program's description and another id (the
 *    init token and earlier rotations). Tokens with any other description
 *    (made by users) are never touched.
 *
 * Running on every slot is harmless: each step is idempotent and concurrent
 * runs converge. Everything is logged with `logger -t k8s-aws-token-sync`;
 * nothing logged or passed to another program carries the token's secret.
 */

import { BOOTSTRAP_TOKEN_FILE, KUBERNETES_PKI_DIR, NODES_PREFIX, objectKey } from "../secrets/layout";
import { CONTROL_PLANE_UNIT, SECRETS_ENV_PATH, SECRETS_UNIT } from "./paths";
import { check, checkPositiveInt, renderUnit } from "./shell";
import { renderScript } from "./script";
import { TOKEN_SYNC_NAME, TOKEN_SYNC_SCRIPT, TOKEN_SYNC_SERVICE, TOKEN_SYNC_CONFIG, ADMIN_KUBECONFIG } from "./paths";

/**
 * The description of the tokens this program registers, by `kubeadm init`
 * (kubeadmConfigs.ts) and by the sync: the mark that tells its tokens from
 * users' tokens.
 */
export function bootstrapTokenDescription(cluster: string): string {
    return `k8s-aws ${check("label", "cluster", cluster)}: control-plane and node joins`;
}

export interface TokenSyncOptions {
    readonly cluster: string;
    /** Tries of the S3 download before giving up until the next run. */
    readonly attempts?: number;
    readonly backoffSeconds?: number;
}

/** The sync script (install as TOKEN_SYNC_SCRIPT). */
export function renderTokenSyncScript(o: TokenSyncOptions): string {
    const description = bootstrapTokenDescription(o.cluster);
    const vars: Array<[string, string]> = [
        ["SCRIPT_NAME", TOKEN_SYNC_NAME],
        ["SECRETS_UNIT", SECRETS_UNIT],
        ["CONTROL_PLANE_UNIT", CONTROL_PLANE_UNIT],
        ["ENV_FILE", SECRETS_ENV_PATH],
        ["TOKEN_KEY", check("s3Key", "token key", objectKey({ prefix: NODES_PREFIX, name: BOOTSTRAP_TOKEN_FILE }))],
        // The boot-time fetch's destination (secrets/layout.ts), refreshed in place.
        ["TOKEN_FILE", `${KUBERNETES_PKI_DIR}/${BOOTSTRAP_TOKEN_FILE}`],
        ["PKI_DIR", KUBERNETES_PKI_DIR],
        ["SYNC_CONFIG", TOKEN_SYNC_CONFIG],
        ["ADMIN_CONF", ADMIN_KUBECONFIG],
        ["KUBEADM_API", "kubeadm.k8s.io/v1beta4"],
        ["DESCRIPTION", description],
        ["ATTEMPTS", String(checkPositiveInt("attempts", o.attempts ?? 3))],
        ["BACKOFF", String(checkPositiveInt("backoffSeconds", o.backoffSeconds ?? 5))],
    ];
    return renderScript("tokenSync.sh", vars);
}

/** k8s-aws-token-sync.service (started by its timer only) and .timer. */
export function renderTokenSyncUnits(scriptPath = TOKEN_SYNC_SCRIPT): { service: string; timer: string } {
    const service = renderUnit({
        Unit: [
            ["Description", "k8s-aws: register the secrets bucket's bootstrap token in the cluster, remove earlier ones"],
            ["Requires", SECRETS_UNIT],
            // Requisite: never start kubeadm init/join from here; run only once it has succeeded.
            ["Requisite", CONTROL_PLANE_UNIT],
            ["After", `${SECRETS_UNIT} ${CONTROL_PLANE_UNIT} network-online.target`],
            ["Wants", "network-online.target"],
        ],
        Service: [
            ["Type", "oneshot"],
            ["ExecStart", check("absPath", "scriptPath", scriptPath)],
            ["UMask", "0077"],
            ["TimeoutStartSec", "5min"],
        ],
    });
    const timer = renderUnit({
        Unit: [["Description", "k8s-aws: check the cluster's bootstrap token against the secrets bucket every 10 minutes"]],
        Timer: [
            ["OnBootSec", "5min"],
            ["OnUnitActiveSec", "10min"],
            // The slots need not all ask at the same moment.
            ["RandomizedDelaySec", "60s"],
            ["Unit", TOKEN_SYNC_SERVICE],
        ],
        Install: [["WantedBy", "timers.target"]],
    });
    return { service, timer };
}
