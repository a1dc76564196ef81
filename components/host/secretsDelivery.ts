/**
 * Secrets delivery at boot: a systemd unit, `k8s-aws-secrets.service`, runs
 * `/usr/local/sbin/k8s-aws-fetch-secrets` on every boot before kubelet and
 * etcd. The script mounts tmpfs on the role's secrets directories and fetches
 * the role's objects from the secrets bucket with the instance role, so keys
 * never touch a disk; after a reboot the tmpfs is empty and it fetches again.
 *
 * User data carries only names (bucket, prefix, region) in
 * `/etc/k8s-aws/secrets.env`; the launch templates include the cloud-config
 * parts rendered here. Pure functions, no Pulumi.
 */
import { Audience, DIR_MODE, EtcdTopology, RoleKind, audiencePrefix, fetchedObjects, objectKey, secretsDirs } from "../secrets/layout";
import { SECRETS_ENV_PATH, FETCH_SCRIPT_PATH, SECRETS_UNIT, SECRETS_UNIT_PATH } from "./paths";
import { renderScript } from "./script";

export const LOG_TAG = "k8s-aws-secrets";
/** Size cap of each secrets tmpfs (they hold a few kilobytes). */
export const TMPFS_SIZE = "16m";

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** What the env file names: where this instance's secrets are. */
export interface SecretsEnv {
    readonly bucket: string;
    readonly region: string;
    readonly audience: Audience;
}

/** `/etc/k8s-aws/secrets.env`: names only. */
export function renderSecretsEnv(e: SecretsEnv): string {
    if (!BUCKET_RE.test(e.bucket)) throw new Error(`not an S3 bucket name: ${JSON.stringify(e.bucket)}`);
    if (!REGION_RE.test(e.region)) throw new Error(`not an AWS region: ${JSON.stringify(e.region)}`);
    return [
        "# Where this instance's secrets are (names only; the instance role grants access). Read by k8s-aws-fetch-secrets.",
        `K8S_AWS_SECRETS_BUCKET=${e.bucket}`,
        `K8S_AWS_SECRETS_PREFIX=${audiencePrefix(e.audience)}`,
        `K8S_AWS_REGION=${e.region}`,
        "",
    ].join("\n");
}

/** A path under the (test-relocatable) root, as a double-quoted shell word. */
const rooted = (path: string) => `"$ROOT${path}"`;

/**
 * The fetch script for a role. The role's own folder comes from
 * `K8S_AWS_SECRETS_PREFIX` (so one script serves every etcd member); the
 * control plane also fetches the join material from `nodes/`.
 */
export function renderFetchScript(kind: RoleKind, topology: EtcdTopology): string {
    const audience: Audience = kind === "etcd" ? { kind, member: "member" } : { kind };
    const own = audiencePrefix(audience);
    const objects = fetchedObjects(audience, topology).map((o) => ({
        ...o,
        keyWord: o.prefix === own ? `"$PREFIX/${o.name}"` : `"${objectKey(o)}"`,
    }));
    const dirs = secretsDirs(kind);
    const subdirs = [...new Set(objects.map((o) => o.path.slice(0, o.path.lastIndexOf("/"))))].filter((d) => !dirs.includes(d));
    const vars: Array<[string, string]> = [
        ["SECRETS_ENV", SECRETS_ENV_PATH],
        ["TAG", LOG_TAG],
        ["DIR_MODE", DIR_MODE],
        ["TMPFS_SIZE", TMPFS_SIZE],
        ["EXPECTED", String(objects.length)],
    ];
    // Spelled out, one line per directory and per object, for reviewers and the policy pack.
    const calls = [
        "",
        ...dirs.flatMap((d) => [`dir=${rooted(d)}`, "ensure_tmpfs"]),
        ...subdirs.map((d) => `mkdir -p ${rooted(d)} && chmod "$DIR_MODE" ${rooted(d)}`),
        "",
        ...objects.flatMap((o) => [`key=${o.keyWord} file=${rooted(o.path)} mode=${o.mode}`, "deliver"]),
        "",
        "report",
        "",
    ];
    return `${renderScript("fetchSecrets.sh", vars)}${calls.join("\n")}`;
}

/** The systemd unit that runs the fetch script on every boot, before kubelet and etcd (which require it). */
export function renderSecretsUnit(kind: RoleKind): string {
    return [
        "[Unit]",
        `Description=k8s-aws: fetch this ${kind} instance's secrets from S3 into tmpfs`,
        "Wants=network-online.target",
        "After=network-online.target local-fs.target",
        "Before=kubelet.service etcd.service",
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        `ExecStart=${FETCH_SCRIPT_PATH}`,
        "TimeoutStartSec=10min",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        `RequiredBy=${kind === "etcd" ? "etcd.service" : "kubelet.service"}`,
        "",
    ].join("\n");
}

/** One cloud-config `write_files` entry. */
export interface CloudConfigFile {
    readonly path: string;
    readonly owner: string;
    readonly permissions: string;
    readonly content: string;
}

export interface SecretsDelivery {
    readonly writeFiles: CloudConfigFile[];
    /** cloud-config `runcmd` entries (argv lists). */
    readonly runcmd: string[][];
}

/** The cloud-config parts a launch template of this role includes: the env file, the script, the unit, and enabling it. */
export function secretsDeliveryCloudConfig(o: SecretsEnv & { readonly etcdTopology: EtcdTopology }): SecretsDelivery {
    const kind = o.audience.kind;
    return {
        writeFiles: [
            { path: SECRETS_ENV_PATH, owner: "root:root", permissions: "0644", content: renderSecretsEnv(o) },
            { path: FETCH_SCRIPT_PATH, owner: "root:root", permissions: "0755", content: renderFetchScript(kind, o.etcdTopology) },
            { path: SECRETS_UNIT_PATH, owner: "root:root", permissions: "0644", content: renderSecretsUnit(kind) },
        ],
        runcmd: [
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", SECRETS_UNIT],
        ],
    };
}
