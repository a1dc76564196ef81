/**
 * External etcd members: etcd's YAML configuration file (`etcd
 * --config-file`, https://etcd.io/docs/v3.6/op-guide/configuration/, keys as
 * in etcd.conf.yml.sample) and the systemd unit that runs the pinned etcd
 * release. Ports, paths and the listen address are parameters so tests can
 * run three members on 127.0.0.1.
 */
import { stringify } from "yaml";
import { ETCD_VERSION } from "../../config/versions";
import { ETCD_CLIENT_PORT, ETCD_DATA_DIR, ETCD_METRICS_PORT, ETCD_PEER_PORT, ETCD_PKI_DIR, ETCD_TUNING, EtcdTuning, SECRETS_UNIT, SLOT_DATA_MOUNT, SLOT_UNIT } from "./paths";
import { check, checkPort, renderUnit } from "./shell";

export interface EtcdMember {
    /** Member name, e.g. "etcd-a"; stable per slot. */
    readonly name: string;
    /** What peers and clients dial: the member's DNS name (or fixed IP). Must be in its certificates. */
    readonly host: string;
    readonly clientPort?: number;
    readonly peerPort?: number;
}

export interface EtcdConfigOptions {
    /** Same for every member of one cluster, e.g. "<cluster>-etcd". */
    readonly clusterToken: string;
    /**
     * "new" when the cluster is first created. It stays "new" afterwards: etcd
     * reads initial-cluster* only when its data directory has no member
     * yet. The slot's EBS volume keeps the data directory, so a replaced
     * instance (same slot, same fixed IP, same name) starts from its WAL
     * and rejoins as the same member; nothing is re-bootstrapped. "existing"
     * is for a member added to a running cluster after `etcdctl member add`
     * (or a lost volume: remove the member, add it back, start it empty).
     */
    readonly initialClusterState: "new" | "existing";
    /** The member's fixed IP; etcd listens on it and on 127.0.0.1. */
    readonly listenIp: string;
    readonly dataDir?: string;
    /** Holds ca.crt, server.crt/key (client-facing) and peer.crt/key. */
    readonly pkiDir?: string;
    /** /metrics and /health over plain HTTP, on 127.0.0.1 only. */
    readonly metricsPort?: number;
    readonly tuning?: EtcdTuning;
    /** The etcd release the file is for; keys that release does not know are left out. */
    readonly etcdVersion?: string;
}

function minorOf(version: string): number {
    const m = /^3\.(\d+)\.\d+$/.exec(version);
    if (!m) throw new Error(`etcd version ${version} is not 3.x.y`);
    return Number(m[1]);
}

const peerUrl = (m: EtcdMember) => `https://${m.host}:${m.peerPort ?? ETCD_PEER_PORT}`;

/** The YAML for `etcd --config-file` of `member` in a cluster of `members`. */
export function renderEtcdConfig(member: EtcdMember, members: readonly EtcdMember[], opts: EtcdConfigOptions): string {
    for (const m of members) {
        check("label", "etcd member name", m.name);
        if (!/^[a-z0-9.-]+$/.test(m.host)) throw new Error(`etcd member ${m.name}: host ${m.host} is not a DNS name or IPv4 address`);
        checkPort(`${m.name} client port`, m.clientPort ?? ETCD_CLIENT_PORT);
        checkPort(`${m.name} peer port`, m.peerPort ?? ETCD_PEER_PORT);
    }
    if (new Set(members.map((m) => m.name)).size !== members.length) throw new Error("etcd member names must be unique");
    if (!members.some((m) => m.name === member.name)) throw new Error(`etcd member ${member.name} is not in the member list`);
    check("ipv4", "listenIp", opts.listenIp);
    check("label", "clusterToken", opts.clusterToken);
    const version = opts.etcdVersion ?? ETCD_VERSION;
    const minor = minorOf(version);
    const t = opts.tuning ?? ETCD_TUNING;
    const pki = check("absPath", "pkiDir", opts.pkiDir ?? ETCD_PKI_DIR);
    const clientPort = member.clientPort ?? ETCD_CLIENT_PORT;
    const peerPort = member.peerPort ?? ETCD_PEER_PORT;
    const metricsPort = checkPort("metricsPort", opts.metricsPort ?? ETCD_METRICS_PORT);
    const listenClient = [...new Set([`https://${opts.listenIp}:${clientPort}`, `https://127.0.0.1:${clientPort}`])];
    const tls = (cert: string) => ({
        "cert-file": `${pki}/${cert}.crt`,
        "key-file": `${pki}/${cert}.key`,
        "client-cert-auth": true,
        "trusted-ca-file": `${pki}/ca.crt`,
        "auto-tls": false,
    });
    const config: Record<string, unknown> = {
        name: member.name,
        "data-dir": check("absPath", "dataDir", opts.dataDir ?? ETCD_DATA_DIR),
        "listen-client-urls": listenClient.join(","),
        "advertise-client-urls": `https://${member.host}:${clientPort}`,
        "listen-peer-urls": `https://${opts.listenIp}:${peerPort}`,
        "initial-advertise-peer-urls": peerUrl(member),
        "initial-cluster": members.map((m) => `${m.name}=${peerUrl(m)}`).join(","),
        "initial-cluster-state": opts.initialClusterState,
        "initial-cluster-token": opts.clusterToken,
        "client-transport-security": tls("server"),
        "peer-transport-security": tls("peer"),
        "listen-metrics-urls": `http://127.0.0.1:${metricsPort}`,
        "heartbeat-interval": t.heartbeatIntervalMs,
        "election-timeout": t.electionTimeoutMs,
        "snapshot-count": t.snapshotCount,
        "quota-backend-bytes": t.quotaBackendBytes,
        // No auto-compaction: kube-apiserver compacts every 5 minutes itself.
        "strict-reconfig-check": true,
        logger: "zap",
        "log-level": "info",
        "log-outputs": ["stderr"],
    };
    // tls-min-version exists from etcd 3.5 (CHANGELOG-3.5: --tls-min-version);
    // 3.4 would silently ignore it, so it is left out rather than pretended.
    if (minor >= 5) config["tls-min-version"] = "TLS1.2";
    return stringify(config, { lineWidth: 0 });
}

export interface EtcdUnitOptions {
    readonly memberName: string;
    readonly configPath?: string;
    readonly binary?: string;
    /** The release the binary must report; ExecStartPre refuses anything else. */
    readonly version?: string;
    /** etcd runs unprivileged; its key files must be readable by this user (secrets unit). */
    readonly user?: string;
    readonly dataDir?: string;
    readonly dataMount?: string;
}

/**
 * etcd.service for an external member. It starts only after the slot unit
 * has attached and mounted the data volume (Requires/After plus a
 * mountpoint check, since the mount is not in fstab) and after the secrets
 * unit has filled /etc/etcd/pki.
 */
export function renderEtcdUnit(opts: EtcdUnitOptions): string {
    check("label", "memberName", opts.memberName);
    const binary = check("absPath", "binary", opts.binary ?? "/usr/local/bin/etcd");
    const config = check("absPath", "configPath", opts.configPath ?? "/etc/etcd/etcd.yaml");
    const version = opts.version ?? ETCD_VERSION;
    minorOf(version);
    const user = check("label", "user", opts.user ?? "etcd");
    const dataDir = check("absPath", "dataDir", opts.dataDir ?? ETCD_DATA_DIR);
    const mount = check("absPath", "dataMount", opts.dataMount ?? SLOT_DATA_MOUNT);
    return renderUnit({
        Unit: [
            ["Description", `etcd member ${opts.memberName} (k8s-aws, etcd ${version})`],
            ["Documentation", "https://etcd.io/docs/v3.6/op-guide/configuration/"],
            ["Requires", `${SLOT_UNIT} ${SECRETS_UNIT}`],
            ["After", `${SLOT_UNIT} ${SECRETS_UNIT} network-online.target`],
            ["Wants", "network-online.target"],
        ],
        Service: [
            ["Type", "notify"],
            ["User", user],
            ["Group", user],
            ["ExecStartPre", `/bin/sh -c 'mountpoint -q ${mount} || { echo "${mount} is not mounted" >&2; exit 1; }'`],
            ["ExecStartPre", `/bin/sh -c '${binary} --version | grep -qx "etcd Version: ${version}" || { echo "${binary} is not etcd ${version}" >&2; exit 1; }'`],
            ["ExecStartPre", `+/usr/bin/install -d -m 0700 -o ${user} -g ${user} ${dataDir}`],
            ["ExecStart", `${binary} --config-file ${config}`],
            ["Restart", "always"],
            ["RestartSec", "5s"],
            ["TimeoutStartSec", "infinity"],
            ["LimitNOFILE", 65536],
            ["NoNewPrivileges", true],
            ["ProtectSystem", "full"],
            ["ProtectHome", true],
            ["PrivateTmp", true],
        ],
        Install: [["WantedBy", "multi-user.target"]],
    });
}
