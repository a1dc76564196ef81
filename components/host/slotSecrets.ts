/**
 * A control-plane slot's own secrets: its kubeadm init and join
 * configurations (the bootstrap token, its fixed IP) and the cluster's
 * encryption configuration (the key), objects the control plane adds to its
 * folder in the secrets bucket (secrets/layout.ts controlPlaneSlotObjects).
 *
 * The role's fetch unit (k8s-aws-secrets.service, host/secretsDelivery.ts)
 * is the same on every control-plane instance and mounts the tmpfs; this unit
 * runs after it, on every boot (the tmpfs is empty after a reboot and kubeadm
 * and kube-apiserver need these files again), and fetches this slot's objects
 * into that tmpfs. It refuses to run if the tmpfs is not there: these files
 * must never land on a disk.
 */
import { CloudConfigPart } from "./cloudConfig";

import { DIR_MODE, KUBERNETES_PKI_DIR, SecretObject, objectKey } from "../secrets/layout";
import { CONTROL_PLANE_UNIT, SECRETS_UNIT, SLOT_SECRETS_SCRIPT, SLOT_SECRETS_UNIT } from "./paths";
import { check, checkPositiveInt, renderUnit, shq } from "./shell";
import { renderScript } from "./script";

export interface SlotSecretsOptions {
    readonly slot: string;
    readonly bucket: string;
    readonly region: string;
    /** What to fetch: controlPlaneSlotObjects(slot); every path must be inside the tmpfs pki directory. */
    readonly objects: readonly SecretObject[];
    readonly attempts?: number;
}

/** The fetch script (install as SLOT_SECRETS_SCRIPT). */
export function renderSlotSecretsScript(o: SlotSecretsOptions): string {
    check("label", "slot", o.slot);
    if (o.objects.length === 0) throw new Error("no slot secrets to fetch");
    for (const obj of o.objects) {
        check("absPath", "path", obj.path);
        check("s3Key", "key", objectKey(obj));
        if (!obj.path.startsWith(`${KUBERNETES_PKI_DIR}/`)) throw new Error(`${objectKey(obj)} would be written to ${obj.path}, outside the tmpfs ${KUBERNETES_PKI_DIR}`);
        if (!/^0[0-7]{3}$/.test(obj.mode)) throw new Error(`${objectKey(obj)}: mode ${obj.mode}`);
    }
    const dirs = [...new Set(o.objects.map((x) => x.path.slice(0, x.path.lastIndexOf("/"))))].filter((d) => d !== KUBERNETES_PKI_DIR);
    const vars: Array<[string, string]> = [
        ["SCRIPT_NAME", "k8s-aws-slot-secrets"],
        ["SECRETS_UNIT", SECRETS_UNIT],
        ["BUCKET", check("bucket", "bucket", o.bucket)],
        ["REGION", check("region", "region", o.region)],
        ["PKI_DIR", KUBERNETES_PKI_DIR],
        ["ATTEMPTS", String(checkPositiveInt("attempts", o.attempts ?? 8))],
        ["BACKOFF_MAX", "30"],
    ];
    const lines = [
        ...dirs.flatMap((d) => [`mkdir -p "$ROOT${d}"`, `chmod ${DIR_MODE} "$ROOT${d}"`]),
        ...o.objects.flatMap((x) => [`key=${shq(objectKey(x))} file="$ROOT${x.path}" mode=${shq(x.mode)}`, "deliver"]),
        `log "fetched ${o.objects.length} secrets of slot ${o.slot} into $ROOT$PKI_DIR"`,
    ];
    return `${renderScript("slotSecrets.sh", vars)}${lines.join("\n")}\n`;
}

/** k8s-aws-slot-secrets.service: after the role's secrets unit, before kubeadm and kubelet, on every boot. */
export function renderSlotSecretsUnit(): string {
    return renderUnit({
        Unit: [
            ["Description", "k8s-aws: fetch this control-plane slot's kubeadm and encryption configurations into tmpfs"],
            ["Requires", SECRETS_UNIT],
            ["After", `${SECRETS_UNIT} network-online.target`],
            ["Wants", "network-online.target"],
            ["Before", `${CONTROL_PLANE_UNIT} kubelet.service`],
        ],
        Service: [
            ["Type", "oneshot"],
            ["RemainAfterExit", true],
            ["ExecStart", SLOT_SECRETS_SCRIPT],
            ["TimeoutStartSec", "10min"],
        ],
        Install: [
            ["WantedBy", "multi-user.target"],
            ["RequiredBy", `${CONTROL_PLANE_UNIT} kubelet.service`],
        ],
    });
}

/** The cloud-config part; its runcmd must come after the secrets delivery part's. */
export function slotSecretsCloudConfig(o: SlotSecretsOptions): CloudConfigPart {
    return {
        writeFiles: [
            { path: SLOT_SECRETS_SCRIPT, owner: "root:root", permissions: "0755", content: renderSlotSecretsScript(o) },
            { path: `/etc/systemd/system/${SLOT_SECRETS_UNIT}`, owner: "root:root", permissions: "0644", content: renderSlotSecretsUnit() },
        ],
        runcmd: [
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", SLOT_SECRETS_UNIT],
        ],
    };
}
