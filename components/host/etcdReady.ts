/**
 * The launch gate of an external etcd member: a oneshot unit that completes
 * the group's launch lifecycle hook (controlplane/slot.ts launchGate) with
 * CONTINUE once the member on this instance is healthy, so that InService on
 * an etcd slot's instance means its member is healthy, and a replacement whose
 * member never gets there is abandoned (terminated) by the group instead.
 *
 * Healthy is etcd's own /health on the local metrics listener
 * (http://127.0.0.1:2381, ETCD_METRICS_PORT): it answers {"health":"true"}
 * only with no alarm raised, a known raft leader and a linearizable read
 * (a Range with Serializable false, i.e. a ReadIndex round through the
 * leader, within the request timeout) served by this member
 * (go.etcd.io/etcd/server/v3@v3.6.16: etcdserver/api/etcdhttp/health.go
 * HandleHealth -> checkAlarms, checkLeader, checkAPI; embed/etcd.go serveMetrics
 * registers it on listen-metrics-urls). A member without quorum answers
 * {"health":"false","reason":"RAFT NO LEADER"} with 503.
 *
 * The hook is completed only while the instance is in Pending:Wait
 * (describe-auto-scaling-instances): on a reboot the instance is InService and
 * the unit does nothing. The instance id comes from the slot unit's
 * slot.env of this boot. The calls it makes are the etcd role's
 * lifecycleHookStatements (controlplane/iamPolicies.ts).
 */
import { ETCD_LAUNCH_HOOK_HEARTBEAT_SECONDS, ETCD_LAUNCH_HOOK_NAME, ETCD_METRICS_PORT, ETCD_READY_SCRIPT, SLOT_ENV_PATH, SLOT_UNIT } from "./paths";
import { check, checkPort, checkPositiveInt, renderUnit } from "./shell";
import { renderScript } from "./script";

export interface EtcdReadyOptions {
    readonly region: string;
    /** The metrics listener's port (tests run etcd on a free one). */
    readonly metricsPort?: number;
    /** Seconds between /health polls. */
    readonly pollSeconds?: number;
    /** Gives up (the hook then times out and abandons) after this long; the hook's heartbeat timeout by default. */
    readonly maxWaitSeconds?: number;
    /** Tries of each AWS call; backoff 2, 4, 8 ... capped at backoffMaxSeconds between them. */
    readonly attempts?: number;
    readonly backoffMaxSeconds?: number;
}

/** The script (install as ETCD_READY_SCRIPT). */
export function renderEtcdReadyScript(o: EtcdReadyOptions): string {
    const vars: Array<[string, string]> = [
        ["SCRIPT_NAME", "k8s-aws-etcd-ready"],
        ["REGION", check("region", "region", o.region)],
        ["HOOK_NAME", ETCD_LAUNCH_HOOK_NAME],
        ["SLOT_ENV", SLOT_ENV_PATH],
        ["HEALTH_URL", `http://127.0.0.1:${checkPort("metricsPort", o.metricsPort ?? ETCD_METRICS_PORT)}/health`],
        ["POLL_SECONDS", String(checkPositiveInt("pollSeconds", o.pollSeconds ?? 10))],
        ["MAX_WAIT_SECONDS", String(checkPositiveInt("maxWaitSeconds", o.maxWaitSeconds ?? ETCD_LAUNCH_HOOK_HEARTBEAT_SECONDS))],
        ["ATTEMPTS", String(checkPositiveInt("attempts", o.attempts ?? 8))],
        ["BACKOFF_MAX", String(checkPositiveInt("backoffMaxSeconds", o.backoffMaxSeconds ?? 30))],
    ];
    return renderScript("etcdReady.sh", vars);
}

/**
 * k8s-aws-etcd-ready.service: after the slot unit (which records the instance
 * id), not after etcd.service: etcd reports ready to systemd only once it has
 * joined, and this unit should log why the member is not healthy meanwhile.
 * Wants, not Requires, the slot unit: that unit restarts on failure, and a
 * dependency failure would cancel this unit for good (systemd does not start
 * it again when the slot unit later succeeds); the script waits for the slot
 * unit's slot.env instead.
 */
export function renderEtcdReadyUnit(scriptPath = ETCD_READY_SCRIPT): string {
    return renderUnit({
        Unit: [
            ["Description", "k8s-aws: put this etcd member's instance in service once the member is healthy (launch lifecycle hook)"],
            ["Wants", `${SLOT_UNIT} network-online.target`],
            ["After", `${SLOT_UNIT} network-online.target`],
        ],
        Service: [
            ["Type", "oneshot"],
            ["RemainAfterExit", true],
            ["ExecStart", check("absPath", "scriptPath", scriptPath)],
            // The script's own bound is the hook's heartbeat timeout; its AWS retries come on top.
            ["TimeoutStartSec", `${Math.ceil(ETCD_LAUNCH_HOOK_HEARTBEAT_SECONDS / 60) + 10}min`],
        ],
        Install: [["WantedBy", "multi-user.target"]],
    });
}
