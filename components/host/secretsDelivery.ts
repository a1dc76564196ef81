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
import {
    Audience, DIR_MODE, EtcdTopology, RoleKind, audiencePrefix, fetchedObjects, objectKey, secretsDirs,
} from "../secrets/layout";
import { SECRETS_ENV_PATH, FETCH_SCRIPT_PATH, SECRETS_UNIT, SECRETS_UNIT_PATH } from "./paths";

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
    const lines = [
        "#!/bin/sh",
        `# k8s-aws-fetch-secrets (role: ${kind}), rendered by k8s-aws: do not edit.`,
        "#",
        "# Fetches this instance's keys, certificates and join material from the",
        "# cluster's secrets bucket into tmpfs, so that no secret is written to a disk.",
        `# ${SECRETS_UNIT} runs it on every boot, before kubelet and etcd; after a`,
        "# reboot the tmpfs is empty and everything is fetched again. Only names",
        `# (bucket, prefix, region) come from ${SECRETS_ENV_PATH}; the credentials`,
        "# are the instance role's. Every mount point and destination is spelled out",
        "# below, so that reviewers and policy checks can follow where secrets go.",
        "#",
        "# K8S_AWS_ROOT relocates every path (tests only; default: the root directory).",
        "# K8S_AWS_FETCH_ATTEMPTS and K8S_AWS_FETCH_BACKOFF (seconds) tune the retries.",
        "set -eu",
        "umask 077",
        "",
        "ROOT=${K8S_AWS_ROOT:-}",
        `ENV_FILE="$ROOT${SECRETS_ENV_PATH}"`,
        'MOUNTS="$ROOT/proc/self/mounts"',
        `TAG=${LOG_TAG}`,
        "ATTEMPTS=${K8S_AWS_FETCH_ATTEMPTS:-5}",
        "BACKOFF=${K8S_AWS_FETCH_BACKOFF:-3}",
        "case $ATTEMPTS in '' | *[!0-9]* | 0) ATTEMPTS=5 ;; *) ;; esac",
        "case $BACKOFF in '' | *[!0-9]*) BACKOFF=3 ;; *) ;; esac",
        "",
        "info() {",
        '    printf \'%s: %s\\n\' "$TAG" "$*"',
        "}",
        "",
        "error() {",
        '    printf \'%s: error: %s\\n\' "$TAG" "$*" >&2',
        '    logger -t "$TAG" -p daemon.err -- "error: $*" 2>/dev/null || :',
        "}",
        "",
        "die() {",
        '    error "$*"',
        "    exit 1",
        "}",
        "",
        "read_env() {",
        '    [ -r "$ENV_FILE" ] || die "cannot read $ENV_FILE"',
        "    BUCKET='' PREFIX='' REGION=''",
        "    while IFS='=' read -r name value || [ -n \"$name\" ]; do",
        "        case $name in",
        "            K8S_AWS_SECRETS_BUCKET) BUCKET=$value ;;",
        "            K8S_AWS_SECRETS_PREFIX) PREFIX=$value ;;",
        "            K8S_AWS_REGION) REGION=$value ;;",
        "            *) ;;",
        "        esac",
        '    done <"$ENV_FILE"',
        '    case $BUCKET in \'\' | *[!a-z0-9.-]*) die "K8S_AWS_SECRETS_BUCKET in $ENV_FILE is missing or not a bucket name" ;; *) ;; esac',
        '    case $PREFIX in \'\' | /* | */ | *[!a-z0-9/-]*) die "K8S_AWS_SECRETS_PREFIX in $ENV_FILE is missing or not a folder name" ;; *) ;; esac',
        '    case $REGION in \'\' | *[!a-z0-9-]*) die "K8S_AWS_REGION in $ENV_FILE is missing or not a region" ;; *) ;; esac',
        "}",
        "",
        "# kernel_at_least MAJOR MINOR: whether the running kernel is MAJOR.MINOR or newer.",
        "kernel_at_least() {",
        "    release=$(uname -r)",
        "    major=${release%%.*}",
        "    minor=${release#*.}",
        "    minor=${minor%%[!0-9]*}",
        "    case $major in '' | *[!0-9]*) return 1 ;; *) ;; esac",
        "    case $minor in '' | *[!0-9]*) return 1 ;; *) ;; esac",
        '    [ "$major" -gt "$1" ] || { [ "$major" -eq "$1" ] && [ "$minor" -ge "$2" ]; }',
        "}",
        "",
        "# is_tmpfs: whether the mount in effect on $dir (the last one listed) is a tmpfs.",
        "is_tmpfs() {",
        '    [ -r "$MOUNTS" ] || return 1',
        '    [ "$(awk -v dir="$dir" \'$2 == dir { type = $3 } END { print type }\' "$MOUNTS")" = tmpfs ]',
        "}",
        "",
        "# ensure_tmpfs: mounts a private tmpfs on $dir unless one is already there.",
        "ensure_tmpfs() {",
        '    mkdir -p "$dir"',
        '    if mountpoint -q "$dir" && is_tmpfs; then',
        '        info "$dir is already a tmpfs"',
        "    else",
        '        mount -t tmpfs -o "$TMPFS_OPTIONS" tmpfs "$dir" || die "cannot mount a tmpfs on $dir"',
        '        info "mounted a tmpfs on $dir ($TMPFS_OPTIONS)"',
        "    fi",
        `    chmod ${DIR_MODE} "$dir"`,
        "}",
        "",
        "# deliver: downloads s3://$BUCKET/$key to $file (retrying), sets $mode, and checks",
        "# that the file is present and non-empty; counts what failed or is missing.",
        "deliver() {",
        "    attempt=1",
        '    until aws --region "$REGION" s3 cp --only-show-errors "s3://$BUCKET/$key" "$file.part" </dev/null; do',
        '        rm -f "$file.part"',
        '        if [ "$attempt" -ge "$ATTEMPTS" ]; then',
        '            error "cannot fetch s3://$BUCKET/$key (attempt $attempt of $ATTEMPTS)"',
        "            failed=$((failed + 1))",
        "            break",
        "        fi",
        "        attempt=$((attempt + 1))",
        '        sleep "$BACKOFF"',
        "    done",
        '    if [ -f "$file.part" ]; then',
        '        chmod "$mode" "$file.part"',
        '        mv -f "$file.part" "$file"',
        "    fi",
        '    if [ ! -s "$file" ]; then',
        '        error "missing secret s3://$BUCKET/$key: $file is absent or empty"',
        "        missing=$((missing + 1))",
        "    fi",
        "}",
        "",
        'command -v aws >/dev/null 2>&1 || die "the AWS CLI (aws) is not installed"',
        "read_env",
        `TMPFS_OPTIONS="mode=${DIR_MODE},nosuid,nodev,noexec,size=${TMPFS_SIZE}"`,
        "# tmpfs pages may otherwise be swapped to disk; noswap exists since Linux 6.4.",
        "if kernel_at_least 6 4; then",
        '    TMPFS_OPTIONS="$TMPFS_OPTIONS,noswap"',
        "fi",
        "",
        ...dirs.flatMap((d) => [`dir=${rooted(d)}`, "ensure_tmpfs"]),
        ...subdirs.map((d) => `mkdir -p ${rooted(d)} && chmod ${DIR_MODE} ${rooted(d)}`),
        "",
        "failed=0",
        "missing=0",
        ...objects.flatMap((o) => [`key=${o.keyWord} file=${rooted(o.path)} mode=${o.mode}`, "deliver"]),
        "",
        'if [ "$failed" -gt 0 ] || [ "$missing" -gt 0 ]; then',
        `    die "${objects.length} secrets expected from s3://$BUCKET: $failed could not be fetched, $missing missing"`,
        "fi",
        `info "fetched ${objects.length} secrets from s3://$BUCKET into tmpfs"`,
        "",
    ];
    return lines.join("\n");
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
