/**
 * Each control-plane slot's kubeadm configurations, from the cluster's
 * settings: the same ClusterConfiguration everywhere, the slot's fixed IP as
 * advertise address. Both files carry the bootstrap token, so they are
 * secrets (stored in the secrets bucket, fetched onto tmpfs, never in user data).
 */
import { bootstrapTokenDescription } from "../host/tokenSync";
import { ETCD_CLIENT_PORT, ETCD_TUNING, EtcdTiming, etcdTuningFor } from "../host/paths";
import { KubeadmClusterInputs, renderKubeadmInit, renderKubeadmJoinControlPlane } from "../host/kubeadm";

export type KubeadmEtcd = { readonly mode: "stacked"; readonly volumeSizeGiB: number; readonly timing?: EtcdTiming } | { readonly mode: "external"; readonly memberHosts: readonly string[] };

export interface ControlPlaneKubeadmInput {
    readonly clusterName: string;
    /** Full patch release, e.g. "1.35.9". */
    readonly kubernetesVersion: string;
    readonly podCidr: string;
    readonly serviceCidr: string;
    readonly pki: KubeadmClusterInputs["pki"];
    /** `<host>:6443` that nodes and members dial (endpoint.ts nodeName). */
    readonly controlPlaneEndpoint: string;
    readonly certSans: readonly string[];
    readonly etcd: KubeadmEtcd;
    readonly schedulable: boolean;
    /** `[a-z0-9]{6}.[a-z0-9]{16}`, never expiring: replacement slots and new nodes join with it any time. */
    readonly token: string;
    /** `sha256:<hex>` of the cluster CA's public key. */
    readonly caCertHash: string;
}

export function kubeadmClusterInputs(i: ControlPlaneKubeadmInput): KubeadmClusterInputs {
    return {
        clusterName: i.clusterName,
        kubernetesVersion: i.kubernetesVersion,
        controlPlaneEndpoint: i.controlPlaneEndpoint,
        certSANs: i.certSans,
        podSubnet: i.podCidr,
        serviceSubnet: i.serviceCidr,
        pki: i.pki,
        etcd:
            i.etcd.mode === "stacked"
                ? { mode: "stacked", tuning: etcdTuningFor(i.etcd.volumeSizeGiB, i.etcd.timing) }
                : { mode: "external", endpoints: i.etcd.memberHosts.map((h) => `https://${h}:${ETCD_CLIENT_PORT}`) },
    };
}

/** `kubeadm init` and `kubeadm join --control-plane` configurations for the slot whose fixed IP is `slotIp`. */
export function slotKubeadmConfigs(i: ControlPlaneKubeadmInput, slotIp: string): { init: string; join: string } {
    const node = { advertiseAddress: slotIp, schedulable: i.schedulable };
    return {
        init: renderKubeadmInit(kubeadmClusterInputs(i), node, [{ token: i.token, ttl: "0s", description: bootstrapTokenDescription(i.clusterName) }]),
        join: renderKubeadmJoinControlPlane({ apiServerEndpoint: i.controlPlaneEndpoint, token: i.token, caCertHashes: [i.caCertHash] }, node),
    };
}

/** The cluster configuration fields the kubeadm documents are made from. */
export interface KubeadmClusterConfig {
    readonly name: string;
    readonly kubernetes: { readonly version: string };
    readonly podCidr: string;
    readonly serviceCidr: string;
    readonly pki: ControlPlaneKubeadmInput["pki"];
    readonly etcd: { readonly topology: "stacked" | "external"; readonly heartbeatIntervalMs?: number; readonly electionTimeoutMs?: number };
    readonly controlPlane: { readonly volumeSizeGiB: number; readonly schedulable: boolean };
}

/** Everything but the secret and late-known parts (token, CA hash, SANs), from the cluster's configuration. */
export function kubeadmSettings(c: KubeadmClusterConfig, controlPlaneEndpoint: string, etcdMemberHosts: readonly string[]): Omit<ControlPlaneKubeadmInput, "certSans" | "token" | "caCertHash"> {
    return {
        clusterName: c.name,
        kubernetesVersion: c.kubernetes.version,
        podCidr: c.podCidr,
        serviceCidr: c.serviceCidr,
        pki: c.pki,
        controlPlaneEndpoint,
        etcd:
            c.etcd.topology === "external"
                ? { mode: "external", memberHosts: etcdMemberHosts }
                : {
                      mode: "stacked",
                      volumeSizeGiB: c.controlPlane.volumeSizeGiB,
                      timing: { heartbeatIntervalMs: c.etcd.heartbeatIntervalMs ?? ETCD_TUNING.heartbeatIntervalMs, electionTimeoutMs: c.etcd.electionTimeoutMs ?? ETCD_TUNING.electionTimeoutMs },
                  },
        schedulable: c.controlPlane.schedulable,
    };
}
