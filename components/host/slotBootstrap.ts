/**
 * The slot bootstrap: a POSIX sh script, run by a oneshot unit on every boot
 * of a control-plane or etcd slot instance before the secrets unit, kubelet
 * and etcd. A slot is a fixed identity that outlives its instances: an ENI
 * with a fixed private IP and an EBS data volume, both tagged
 * k8s.io/slot=<slot>, kubernetes.io/cluster/<cluster>=owned and the role tag,
 * in the slot's zone. The script claims them for this instance, waits while
 * a dying predecessor still holds them, mounts the volume and makes the
 * fixed IP usable. Everything is idempotent: on a reboot every step finds
 * its work done and skips.
 *
 * For tests, K8S_AWS_ROOT prefixes every path the script touches and every
 * command (aws, curl, ip, blkid, mkfs.ext4, mount, mountpoint, sleep, ...)
 * is looked up on PATH, so stubs can stand in.
 */
import { CONTROL_PLANE_ROLE_TAG, ETCD_ROLE_TAG, SLOT_TAG, clusterTagKey } from "../../lib/naming";
import { SECRETS_UNIT, SLOT_DATA_MOUNT } from "./paths";
import { check, checkPositiveInt, renderUnit } from "./shell";
import { renderScript } from "./script";

export { renderControlPlaneBootstrapScript, renderControlPlaneBootstrapUnit } from "./controlPlaneBootstrap";
export type { ControlPlaneBootstrapOptions } from "./controlPlaneBootstrap";

export type SlotRole = "control-plane" | "etcd";

export interface SlotBootstrapOptions {
    readonly cluster: string;
    /** The slot's name, e.g. "a" (k8s.io/slot tag value). */
    readonly slot: string;
    readonly region: string;
    readonly role: SlotRole;
    /** Device name given to AttachVolume; on Nitro it shows up as an NVMe disk found by volume id. */
    readonly device?: string;
    readonly mountPoint?: string;
    /** Bounded waiting: attempts per step, sleeping 2, 4, 8 ... up to backoffMaxSeconds between them. */
    readonly attempts?: number;
    readonly backoffMaxSeconds?: number;
    /** Policy-routing tables for the slot ENI and the primary ENI. */
    readonly routeTables?: { readonly slot: number; readonly primary: number };
}

const ROLE_TAGS: Record<SlotRole, string> = { "control-plane": CONTROL_PLANE_ROLE_TAG, etcd: ETCD_ROLE_TAG };

/** The slot bootstrap script (install as /usr/local/sbin/k8s-aws-slot, run by renderSlotBootstrapUnit). */
export function renderSlotBootstrapScript(o: SlotBootstrapOptions): string {
    const tables = o.routeTables ?? { slot: 1001, primary: 1000 };
    const vars: Array<[string, string]> = [
        ["SCRIPT_NAME", "k8s-aws-slot"],
        ["CLUSTER", check("label", "cluster", o.cluster)],
        ["SLOT", check("label", "slot", o.slot)],
        ["ROLE", o.role],
        ["REGION", check("region", "region", o.region)],
        ["SLOT_TAG", SLOT_TAG],
        ["CLUSTER_TAG", clusterTagKey(o.cluster)],
        ["ROLE_TAG", ROLE_TAGS[o.role]],
        ["DEVICE", check("device", "device", o.device ?? "/dev/sdf")],
        ["MOUNT_POINT", check("absPath", "mountPoint", o.mountPoint ?? SLOT_DATA_MOUNT)],
        // ext4 labels hold 16 bytes.
        ["FS_LABEL", `slot-${o.slot}`.slice(0, 16)],
        ["ENI_DEVICE_INDEX", "1"],
        ["SLOT_TABLE", String(checkPositiveInt("routeTables.slot", tables.slot))],
        ["PRIMARY_TABLE", String(checkPositiveInt("routeTables.primary", tables.primary))],
        ["ATTEMPTS", String(checkPositiveInt("attempts", o.attempts ?? 40))],
        ["BACKOFF_MAX", String(checkPositiveInt("backoffMaxSeconds", o.backoffMaxSeconds ?? 30))],
        ["IMDS", "http://169.254.169.254"],
    ];
    if (tables.slot === tables.primary) throw new Error("routeTables.slot and routeTables.primary must differ");
    return renderScript("slotBootstrap.sh", vars);
}

/** k8s-aws-slot.service: runs the slot script on every boot, before the secrets unit, kubelet and etcd. */
export function renderSlotBootstrapUnit(scriptPath = "/usr/local/sbin/k8s-aws-slot"): string {
    return renderUnit({
        Unit: [
            ["Description", "k8s-aws: attach this slot's ENI and data volume, mount it, configure the fixed IP"],
            ["Wants", "network-online.target"],
            ["After", "network-online.target cloud-init.service"],
            ["Before", `${SECRETS_UNIT} kubelet.service etcd.service`],
        ],
        Service: [
            ["Type", "oneshot"],
            ["RemainAfterExit", true],
            ["ExecStart", check("absPath", "scriptPath", scriptPath)],
            // The script waits (bounded) for a predecessor to release the slot;
            // if it still gives up, try again rather than leave the node half-made.
            ["Restart", "on-failure"],
            ["RestartSec", "30s"],
            ["TimeoutStartSec", "30min"],
        ],
        Install: [
            ["WantedBy", "multi-user.target"],
            ["RequiredBy", "kubelet.service etcd.service"],
        ],
    });
}
