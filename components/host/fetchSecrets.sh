#!/bin/sh
# k8s-aws-fetch-secrets, rendered by k8s-aws (components/host/script.ts renderScript): do not edit.
#
# Fetches this instance's keys, certificates and join material from the
# cluster's secrets bucket into tmpfs, so that no secret is written to a disk.
# k8s-aws-secrets.service runs it on every boot, before kubelet and etcd; after a
# reboot the tmpfs is empty and everything is fetched again. Only names
# (bucket, prefix, region) come from $SECRETS_ENV; the credentials
# are the instance role's. Every mount point and destination is spelled out
# (the renderer, secretsDelivery.ts, appends them after this file, one line each),
# so that reviewers and policy checks can follow where secrets go.
#
# K8S_AWS_ROOT relocates every path (tests only; default: the root directory).
# K8S_AWS_FETCH_ATTEMPTS and K8S_AWS_FETCH_BACKOFF (seconds) tune the retries.
# parameters: SECRETS_ENV TAG DIR_MODE TMPFS_SIZE EXPECTED
set -eu
umask 077

ROOT=${K8S_AWS_ROOT:-}
ENV_FILE="$ROOT$SECRETS_ENV"
MOUNTS="$ROOT/proc/self/mounts"
ATTEMPTS=${K8S_AWS_FETCH_ATTEMPTS:-5}
BACKOFF=${K8S_AWS_FETCH_BACKOFF:-3}
case $ATTEMPTS in '' | *[!0-9]* | 0) ATTEMPTS=5 ;; *) ;; esac
case $BACKOFF in '' | *[!0-9]*) BACKOFF=3 ;; *) ;; esac

info() {
    printf '%s: %s\n' "$TAG" "$*"
}

error() {
    printf '%s: error: %s\n' "$TAG" "$*" >&2
    logger -t "$TAG" -p daemon.err -- "error: $*" 2>/dev/null || :
}

die() {
    error "$*"
    exit 1
}

read_env() {
    [ -r "$ENV_FILE" ] || die "cannot read $ENV_FILE"
    BUCKET='' PREFIX='' REGION=''
    while IFS='=' read -r name value || [ -n "$name" ]; do
        case $name in
            K8S_AWS_SECRETS_BUCKET) BUCKET=$value ;;
            K8S_AWS_SECRETS_PREFIX) PREFIX=$value ;;
            K8S_AWS_REGION) REGION=$value ;;
            *) ;;
        esac
    done <"$ENV_FILE"
    case $BUCKET in '' | *[!a-z0-9.-]*) die "K8S_AWS_SECRETS_BUCKET in $ENV_FILE is missing or not a bucket name" ;; *) ;; esac
    case $PREFIX in '' | /* | */ | *[!a-z0-9/-]*) die "K8S_AWS_SECRETS_PREFIX in $ENV_FILE is missing or not a folder name" ;; *) ;; esac
    case $REGION in '' | *[!a-z0-9-]*) die "K8S_AWS_REGION in $ENV_FILE is missing or not a region" ;; *) ;; esac
}

# kernel_at_least MAJOR MINOR: whether the running kernel is MAJOR.MINOR or newer.
kernel_at_least() {
    release=$(uname -r)
    major=${release%%.*}
    minor=${release#*.}
    minor=${minor%%[!0-9]*}
    case $major in '' | *[!0-9]*) return 1 ;; *) ;; esac
    case $minor in '' | *[!0-9]*) return 1 ;; *) ;; esac
    [ "$major" -gt "$1" ] || { [ "$major" -eq "$1" ] && [ "$minor" -ge "$2" ]; }
}

dir='' key='' file='' mode=''
failed=0
missing=0

# is_tmpfs: whether the mount in effect on $dir (the last one listed) is a tmpfs.
is_tmpfs() {
    [ -r "$MOUNTS" ] || return 1
    [ "$(awk -v dir="$dir" '$2 == dir { type = $3 } END { print type }' "$MOUNTS")" = tmpfs ]
}

# ensure_tmpfs: mounts a private tmpfs on $dir unless one is already there.
ensure_tmpfs() {
    mkdir -p "$dir"
    if mountpoint -q "$dir" && is_tmpfs; then
        info "$dir is already a tmpfs"
    else
        mount -t tmpfs -o "$TMPFS_OPTIONS" tmpfs "$dir" || die "cannot mount a tmpfs on $dir"
        info "mounted a tmpfs on $dir ($TMPFS_OPTIONS)"
    fi
    chmod "$DIR_MODE" "$dir"
}

# deliver: downloads s3://$BUCKET/$key to $file (retrying), sets $mode, and checks
# that the file is present and non-empty; counts what failed or is missing.
deliver() {
    attempt=1
    until aws --region "$REGION" s3 cp --only-show-errors "s3://$BUCKET/$key" "$file.part" </dev/null; do
        rm -f "$file.part"
        if [ "$attempt" -ge "$ATTEMPTS" ]; then
            error "cannot fetch s3://$BUCKET/$key (attempt $attempt of $ATTEMPTS)"
            failed=$((failed + 1))
            break
        fi
        attempt=$((attempt + 1))
        sleep "$BACKOFF"
    done
    if [ -f "$file.part" ]; then
        chmod "$mode" "$file.part"
        mv -f "$file.part" "$file"
    fi
    if [ ! -s "$file" ]; then
        error "missing secret s3://$BUCKET/$key: $file is absent or empty"
        missing=$((missing + 1))
    fi
}

# report: fails unless every one of the $EXPECTED secrets arrived; the renderer appends the
# ensure_tmpfs and deliver calls, one per directory and per object, and then report.
report() {
    if [ "$failed" -gt 0 ] || [ "$missing" -gt 0 ]; then
        die "$EXPECTED secrets expected from s3://$BUCKET: $failed could not be fetched, $missing missing"
    fi
    info "fetched $EXPECTED secrets from s3://$BUCKET into tmpfs"
}

command -v aws >/dev/null 2>&1 || die "the AWS CLI (aws) is not installed"
read_env
TMPFS_OPTIONS="mode=$DIR_MODE,nosuid,nodev,noexec,size=$TMPFS_SIZE"
# tmpfs pages may otherwise be swapped to disk; noswap exists since Linux 6.4.
if kernel_at_least 6 4; then
    TMPFS_OPTIONS="$TMPFS_OPTIONS,noswap"
fi
