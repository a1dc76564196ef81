/**
 * A slot's user data: one #cloud-config document assembled from the parts
 * each concern renders, in boot order:
 *
 *   1. node setup: hostname, kernel settings, pinned packages (first, as it installs the tools);
 *   2. the slot bootstrap: claim the slot's interface and data volume, mount it, configure the fixed IP;
 *   3. the role's secrets delivery: mount the tmpfs, fetch the role's keys;
 *   4. role-specific: for a control-plane slot its own secrets (kubeadm
 *      configurations, encryption configuration) onto the same tmpfs, the
 *      apiserver's files, the kubelet's sysctls, kubeadm init or join, and the
 *      etcd backup timer with stacked etcd; for an etcd member its
 *      configuration, unit, launch gate (host/etcdReady.ts: the instance goes
 *      in service once its member is healthy) and backup timer;
 *   5. on a control-plane slot, the bootstrap token sync timer: it registers the
 *      bucket's token in the cluster after a rotation (host/tokenSync.ts).
 *
 * Only names reach user data (bucket, key ARN, endpoints, IPs): every key,
 * token and kubeconfig comes from the secrets bucket onto tmpfs. The text is
 * gzip-compressed before base64 (host/userData.ts encodeUserData): the scripts alone are about
 * 35 KB and EC2 takes at most 16 KB; cloud-init decompresses gzip user data.
 */
import { CloudConfigPart, renderCloudConfig } from "./cloudConfig";
import { nodeSetupCloudConfig } from "./nodeSetup";
import { secretsDeliveryCloudConfig } from "./secretsDelivery";
import { controlPlaneSlotObjects } from "../secrets/layout";
import { ETCD_VERSION } from "../../config/versions";
import { SlotPlan } from "../controlplane/slots";
import { etcdClusterToken, etcdRestoredClusterToken } from "../../lib/naming";
import { slotSecretsCloudConfig } from "./slotSecrets";
import { EtcdClientTls, EtcdRestoreOptions, etcdClientTls, renderEtcdBackupScript, renderEtcdBackupUnits, renderEtcdRestoreScript } from "./backup";
import { renderAuditPolicy, renderAuthenticationConfig } from "./apiserverFiles";
import { renderControlPlaneBootstrapScript, renderControlPlaneBootstrapUnit } from "./controlPlaneBootstrap";
import { renderEtcdConfig, renderEtcdUnit } from "./etcd";
import { renderEtcdReadyScript, renderEtcdReadyUnit } from "./etcdReady";
import { renderKubeletSysctls } from "./kubelet";
import { renderSlotBootstrapScript, renderSlotBootstrapUnit } from "./slotBootstrap";
import { renderLeafCertsScript, renderLeafCertsUnit } from "./leafCerts";
import { renderTokenSyncScript, renderTokenSyncUnits } from "./tokenSync";
import {
    AUDIT_POLICY,
    AUTHENTICATION_CONFIG,
    BACKUP_UNIT,
    CONTROL_PLANE_UNIT,
    ETCD_PEER_PORT,
    ETCD_PKI_DIR,
    ETCD_READY_SCRIPT,
    ETCD_READY_UNIT,
    EtcdTiming,
    LEAF_CERTS_SCRIPT,
    LEAF_CERTS_UNIT,
    RESTORE_SCRIPT,
    SBIN,
    SECRETS_UNIT,
    SLOT_SECRETS_UNIT,
    SLOT_UNIT,
    TOKEN_SYNC_SCRIPT,
    TOKEN_SYNC_SERVICE,
    TOKEN_SYNC_TIMER,
    UNITS,
    etcdTuningFor,
} from "./paths";

// The launch templates' one encoder (gzip + base64, EC2's 16 KB checked), re-exported for the slots.
export { USER_DATA_LIMIT_BYTES, encodeUserData } from "./userData";

export interface SlotUserDataInput {
    readonly cluster: string;
    readonly region: string;
    readonly slot: SlotPlan;
    readonly kubernetes: { readonly minor: string; readonly version: string };
    readonly arch: "amd64" | "arm64";
    /** The secrets bucket's name and its KMS key (backups and the init marker are encrypted with it). */
    readonly bucket: string;
    readonly kmsKeyArn: string;
    readonly etcdTopology: "stacked" | "external";
}

export interface ControlPlaneUserDataInput extends SlotUserDataInput {
    readonly controlPlaneCount: 1 | 3 | 5;
    /** `<nodeName>:6443` (endpoint.ts): where a joining slot waits for the API. */
    readonly controlPlaneEndpoint: string;
}

export interface EtcdUserDataInput extends SlotUserDataInput {
    /** Every external member (this one included), for etcd's initial cluster. */
    readonly members: readonly SlotPlan[];
    readonly volumeSizeGiB: number;
    /** cluster.etcd.heartbeatIntervalMs / electionTimeoutMs; ETCD_TUNING's when absent. */
    readonly timing?: EtcdTiming;
}

const file = (path: string, content: string, permissions = "0644") => ({ path, owner: "root:root", permissions, content });
const enableNow = (unit: string) => ["systemctl", "enable", "--now", unit];

function slotPart(i: SlotUserDataInput): CloudConfigPart {
    return {
        writeFiles: [
            file(`${SBIN}/k8s-aws-slot`, renderSlotBootstrapScript({ cluster: i.cluster, slot: i.slot.name, region: i.region, role: i.slot.role }), "0755"),
            file(`${UNITS}/${SLOT_UNIT}`, renderSlotBootstrapUnit()),
        ],
        runcmd: [["systemctl", "daemon-reload"], enableNow(SLOT_UNIT)],
    };
}

function secretsPart(i: SlotUserDataInput): CloudConfigPart {
    const audience = i.slot.role === "etcd" ? { kind: "etcd" as const, member: i.slot.name } : { kind: "control-plane" as const };
    return secretsDeliveryCloudConfig({ bucket: i.bucket, region: i.region, audience, etcdTopology: i.etcdTopology });
}

/** The restore tool's settings: a new token, so restored members never talk to members of the old cluster. */
export function restoreOptions(i: SlotUserDataInput, members: readonly SlotPlan[], owner: string): EtcdRestoreOptions {
    const peer = (m: SlotPlan) => `https://${i.etcdTopology === "external" ? m.dnsName : m.ip}:${ETCD_PEER_PORT}`;
    return {
        cluster: i.cluster,
        region: i.region,
        bucket: i.bucket,
        memberName: i.slot.name,
        peerUrl: peer(i.slot),
        initialCluster: members.map((m) => `${m.name}=${peer(m)}`).join(","),
        initialClusterToken: etcdRestoredClusterToken(i.cluster),
        owner,
    };
}

function backupPart(i: SlotUserDataInput, tls: EtcdClientTls, restore: EtcdRestoreOptions): CloudConfigPart {
    const units = renderEtcdBackupUnits();
    return {
        writeFiles: [
            file(`${SBIN}/${BACKUP_UNIT}`, renderEtcdBackupScript({ cluster: i.cluster, region: i.region, bucket: i.bucket, kmsKeyId: i.kmsKeyArn, tls }), "0755"),
            file(`${UNITS}/${BACKUP_UNIT}.service`, units.service),
            file(`${UNITS}/${BACKUP_UNIT}.timer`, units.timer),
            file(RESTORE_SCRIPT, renderEtcdRestoreScript(restore), "0755"),
        ],
        runcmd: [["systemctl", "daemon-reload"], enableNow(`${BACKUP_UNIT}.timer`)],
    };
}

function controlPlanePart(i: ControlPlaneUserDataInput): CloudConfigPart {
    const script = renderControlPlaneBootstrapScript({
        slot: i.slot.name,
        region: i.region,
        bucket: i.bucket,
        kmsKeyId: i.kmsKeyArn,
        apiEndpoint: i.controlPlaneEndpoint,
        etcdTopology: i.etcdTopology,
        controlPlaneCount: i.controlPlaneCount,
    });
    return {
        writeFiles: [
            file(AUTHENTICATION_CONFIG, renderAuthenticationConfig()),
            file(AUDIT_POLICY, renderAuditPolicy()),
            // protectKernelDefaults: the kubelet refuses to start unless these are set (node setup reapplies sysctl.d on every boot).
            file("/etc/sysctl.d/90-kubelet.conf", renderKubeletSysctls()),
            file(`${SBIN}/k8s-aws-control-plane`, script, "0755"),
            file(`${UNITS}/${CONTROL_PLANE_UNIT}`, renderControlPlaneBootstrapUnit()),
            file(LEAF_CERTS_SCRIPT, renderLeafCertsScript(), "0755"),
            file(`${UNITS}/${LEAF_CERTS_UNIT}`, renderLeafCertsUnit([SECRETS_UNIT, SLOT_SECRETS_UNIT])),
        ],
        // kubeadm init/join may wait long for the API: start it without holding cloud-init.
        runcmd: [
            ["sysctl", "-p", "/etc/sysctl.d/90-kubelet.conf"],
            ["systemctl", "daemon-reload"],
            // Enabled for the next boots (RequiredBy=kubelet.service); on this one it finds no kubelet.conf and does nothing.
            ["systemctl", "enable", "--now", LEAF_CERTS_UNIT],
            ["systemctl", "enable", CONTROL_PLANE_UNIT],
            ["systemctl", "start", "--no-block", CONTROL_PLANE_UNIT],
        ],
    };
}

/**
 * The bootstrap token sync: its timer starts the service 5 min after boot and then every 10 min; the
 * service runs only once the control-plane unit has succeeded. The script holds names only: the token
 * comes from the bucket onto the tmpfs at each run.
 */
function tokenSyncPart(i: ControlPlaneUserDataInput): CloudConfigPart {
    const units = renderTokenSyncUnits();
    return {
        writeFiles: [
            file(TOKEN_SYNC_SCRIPT, renderTokenSyncScript({ cluster: i.cluster }), "0755"),
            file(`${UNITS}/${TOKEN_SYNC_SERVICE}`, units.service),
            file(`${UNITS}/${TOKEN_SYNC_TIMER}`, units.timer),
        ],
        runcmd: [["systemctl", "daemon-reload"], enableNow(TOKEN_SYNC_TIMER)],
    };
}

/** The cloud-config text of a control-plane slot. */
export function controlPlaneUserData(i: ControlPlaneUserDataInput): string {
    if (i.slot.role !== "control-plane") throw new Error(`${i.slot.name} is not a control-plane slot`);
    const stacked = i.etcdTopology === "stacked";
    return renderCloudConfig([
        // Stacked members need etcdctl/etcdutl for backups and restores.
        nodeSetupCloudConfig({ kubernetesMinor: i.kubernetes.minor, kubernetesVersion: i.kubernetes.version, arch: i.arch, etcdVersion: stacked ? ETCD_VERSION : undefined }),
        slotPart(i),
        secretsPart(i),
        slotSecretsCloudConfig({ slot: i.slot.name, bucket: i.bucket, region: i.region, objects: controlPlaneSlotObjects(i.slot.name) }),
        controlPlanePart(i),
        tokenSyncPart(i),
        // Stacked: restore into this slot alone, the others rejoin (docs/runbooks/restore-etcd.md).
        ...(stacked ? [backupPart(i, etcdClientTls("stacked"), restoreOptions(i, [i.slot], ""))] : []),
    ]);
}

/** The etcd member's own configuration and unit; its keys (root 0600 on tmpfs) are handed to the etcd user on each start. */
function etcdPart(i: EtcdUserDataInput): CloudConfigPart {
    const member = (m: SlotPlan) => ({ name: m.name, host: m.dnsName });
    const config = renderEtcdConfig(member(i.slot), i.members.map(member), {
        clusterToken: etcdClusterToken(i.cluster),
        initialClusterState: "new",
        listenIp: i.slot.ip,
        tuning: etcdTuningFor(i.volumeSizeGiB, i.timing),
    });
    const dropIn = ["[Service]", `ExecStartPre=+/bin/chown -R etcd:etcd ${ETCD_PKI_DIR}`, ""].join("\n");
    return {
        writeFiles: [
            file("/etc/etcd/etcd.yaml", config),
            file(`${UNITS}/etcd.service`, renderEtcdUnit({ memberName: i.slot.name })),
            file(`${UNITS}/etcd.service.d/10-k8s-aws-pki-owner.conf`, dropIn),
            file(ETCD_READY_SCRIPT, renderEtcdReadyScript({ region: i.region }), "0755"),
            file(`${UNITS}/${ETCD_READY_UNIT}`, renderEtcdReadyUnit()),
        ],
        runcmd: [
            ["sh", "-c", "id -u etcd >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin etcd"],
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "etcd.service", ETCD_READY_UNIT],
            // A new member waits for quorum before it reports ready: do not hold cloud-init meanwhile.
            ["systemctl", "start", "--no-block", "etcd.service"],
            // Completes the group's launch hook once the member is healthy (a no-op on reboots).
            ["systemctl", "start", "--no-block", ETCD_READY_UNIT],
        ],
    };
}

/** The cloud-config text of an external etcd member. */
export function etcdMemberUserData(i: EtcdUserDataInput): string {
    if (i.slot.role !== "etcd") throw new Error(`${i.slot.name} is not an etcd slot`);
    if (!i.members.some((m) => m.name === i.slot.name)) throw new Error(`${i.slot.name} is not among the etcd members`);
    return renderCloudConfig([
        nodeSetupCloudConfig({ kubernetesMinor: i.kubernetes.minor, kubernetesVersion: i.kubernetes.version, arch: i.arch, etcdVersion: ETCD_VERSION, role: "etcd" }),
        slotPart(i),
        secretsPart(i),
        etcdPart(i),
        backupPart(i, etcdClientTls("external"), restoreOptions(i, i.members, "etcd")),
    ]);
}
