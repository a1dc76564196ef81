#!/bin/sh
# Registers the secrets bucket's bootstrap token in the cluster and removes the tokens
# k8s-aws made before it (tokenSync.ts explains the steps).
# Rendered by k8s-aws (components/host/script.ts renderScript): do not edit on the host.
# parameters: SCRIPT_NAME SECRETS_UNIT CONTROL_PLANE_UNIT ENV_FILE TOKEN_KEY TOKEN_FILE PKI_DIR SYNC_CONFIG ADMIN_CONF KUBEADM_API DESCRIPTION ATTEMPTS BACKOFF
set -eu
ROOT="${K8S_AWS_ROOT:-}"
LC_ALL=C
export LC_ALL
umask 077
TAB=$(printf '\t')
TOKEN=''
TOKEN_ID=''
TOKEN_SECRET=''

log() {
  if [ -t 2 ]; then printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; fi
  logger -t "$SCRIPT_NAME" -p daemon.info -- "$*" 2>/dev/null || printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2
}

die() {
  printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2
  logger -t "$SCRIPT_NAME" -p daemon.err -- "error: $*" 2>/dev/null || :
  exit 1
}

# redact TEXT: TEXT with the token's secret replaced (kubeadm's messages go to logger's command line).
redact() {
  _rest=$1
  _done=''
  while [ -n "$TOKEN_SECRET" ]; do
    case $_rest in
      *"$TOKEN_SECRET"*)
        _done="$_done${_rest%%"$TOKEN_SECRET"*}<redacted>"
        _rest=${_rest#*"$TOKEN_SECRET"}
        ;;
      *) break ;;
    esac
  done
  printf '%s' "$_done$_rest"
}

cleanup() {
  rm -f "$ROOT$TOKEN_FILE.part" "$ROOT$TOKEN_FILE.err" "$ROOT$SYNC_CONFIG"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# read_env: the bucket and region, from the env file the boot-time fetch reads (names only).
read_env() {
  [ -r "$ROOT$ENV_FILE" ] || die "cannot read $ROOT$ENV_FILE (written from user data for $SECRETS_UNIT)"
  BUCKET=''
  REGION=''
  while IFS='=' read -r _name _value || [ -n "$_name" ]; do
    case $_name in
      K8S_AWS_SECRETS_BUCKET) BUCKET=$_value ;;
      K8S_AWS_REGION) REGION=$_value ;;
      *) ;;
    esac
  done <"$ROOT$ENV_FILE"
  case $BUCKET in '' | *[!a-z0-9.-]*) die "K8S_AWS_SECRETS_BUCKET in $ENV_FILE is missing or not a bucket name" ;; *) ;; esac
  case $REGION in '' | *[!a-z0-9-]*) die "K8S_AWS_REGION in $ENV_FILE is missing or not a region" ;; *) ;; esac
  OBJECT="s3://$BUCKET/$TOKEN_KEY"
}

# fetch_token: the bucket's token onto the tmpfs (as the boot-time fetch does), into TOKEN, TOKEN_ID, TOKEN_SECRET.
# A plain command, not inside $(...): the policy pack follows it and checks where the secret lands.
fetch_token() {
  _n=1
  until aws --region "$REGION" s3 cp --only-show-errors "$OBJECT" "$ROOT$TOKEN_FILE.part" </dev/null >/dev/null 2>"$ROOT$TOKEN_FILE.err"; do
    _err=$(cat "$ROOT$TOKEN_FILE.err")
    rm -f "$ROOT$TOKEN_FILE.part"
    case $_err in
      *"(404)"* | *NoSuchKey* | *"does not exist"*)
        die "the bootstrap token object $OBJECT does not exist: nothing to register (aws: $_err)"
        ;;
      *"(403)"* | *AccessDenied* | *Forbidden*)
        die "the bootstrap token object $OBJECT is missing or not readable by this instance's role (without s3:ListBucket S3 answers 403 for a missing key; aws: $_err)"
        ;;
      *) ;;
    esac
    if [ "$_n" -ge "$ATTEMPTS" ]; then
      die "cannot fetch the bootstrap token object $OBJECT after $_n attempts: $_err"
    fi
    log "fetching $OBJECT failed (attempt $_n of $ATTEMPTS), retrying: $_err"
    sleep "$BACKOFF"
    _n=$((_n + 1))
  done
  chmod 0600 "$ROOT$TOKEN_FILE.part"
  TOKEN=$(cat "$ROOT$TOKEN_FILE.part")
  TOKEN_ID=${TOKEN%%.*}
  TOKEN_SECRET=${TOKEN#*.}
  case $TOKEN_ID$TOKEN_SECRET in
    *[!a-z0-9]*) TOKEN_ID='' ;;
    *) ;;
  esac
  if [ "${#TOKEN_ID}" -ne 6 ] || [ "${#TOKEN_SECRET}" -ne 16 ]; then
    TOKEN_SECRET=''
    die "the bootstrap token object $OBJECT is empty or not a bootstrap token ([a-z0-9]{6}.[a-z0-9]{16}); the cluster's tokens are left as they are"
  fi
  mv -f "$ROOT$TOKEN_FILE.part" "$ROOT$TOKEN_FILE"
}

# classify: one line per listed token that concerns us, read from LISTING through a pipe (no
# temporary file, no argument): "current" for the delivered token itself, "stale ID" for the
# delivered id with another secret, "old ID" for ours with another id. Users' tokens: nothing.
classify() {
  printf '%s\n' "$LISTING" | while IFS="$TAB" read -r _tok _desc; do
    _id=${_tok%%.*}
    case $_id in '' | *[!a-z0-9]*) continue ;; *) ;; esac
    [ "${#_id}" -eq 6 ] || continue
    if [ "$_tok" = "$TOKEN" ]; then
      echo current
    elif [ "$_id" = "$TOKEN_ID" ]; then
      echo "stale $_id"
    elif [ "$_desc" = "$DESCRIPTION" ]; then
      echo "old $_id"
    fi
  done
}

delete_token() {
  if _err=$(kubeadm token delete "$1" --kubeconfig "$ROOT$ADMIN_CONF" 2>&1 >/dev/null </dev/null); then
    log "deleted bootstrap token $1 ($2)"
  else
    case $_err in
      *"not found"*) log "bootstrap token $1 is already gone ($2)" ;;
      *) die "kubeadm token delete $1 failed: $(redact "$_err")" ;;
    esac
  fi
}

# create_token: registers the delivered token from a 0600 file on the tmpfs; the token is never an argument.
create_token() {
  _version=$(kubeadm version -o short </dev/null) || die "kubeadm version failed"
  case $_version in
    v[0-9]*.[0-9]*.[0-9]*) ;;
    *) die "kubeadm version -o short answered '$_version', not vMAJOR.MINOR.PATCH" ;;
  esac
  mkdir -p "$ROOT${SYNC_CONFIG%/*}"
  chmod 0700 "$ROOT${SYNC_CONFIG%/*}"
  rm -f "$ROOT$SYNC_CONFIG"
  printf '%s\n' "apiVersion: $KUBEADM_API" 'kind: InitConfiguration' 'bootstrapTokens:' \
    "- token: \"$TOKEN\"" '  ttl: "0s"' "  description: \"$DESCRIPTION\"" \
    '  usages: ["signing", "authentication"]' '  groups: ["system:bootstrappers:kubeadm:default-node-token"]' \
    '---' "apiVersion: $KUBEADM_API" 'kind: ClusterConfiguration' "kubernetesVersion: \"$_version\"" >"$ROOT$SYNC_CONFIG"
  # kubeadm prints the token on stdout: discard it, keep only stderr.
  if _err=$(kubeadm token create --config "$ROOT$SYNC_CONFIG" --kubeconfig "$ROOT$ADMIN_CONF" 2>&1 >/dev/null </dev/null); then
    log "registered bootstrap token $TOKEN_ID from $OBJECT in the cluster (ttl 0: never expires)"
  else
    case $_err in
      *"already exists"*) log "bootstrap token $TOKEN_ID already exists: another control-plane slot registered it meanwhile" ;;
      *) die "kubeadm token create --config $SYNC_CONFIG failed: $(redact "$_err")" ;;
    esac
  fi
  rm -f "$ROOT$SYNC_CONFIG"
}

command -v aws >/dev/null 2>&1 || die "the AWS CLI (aws) is not installed"
command -v kubeadm >/dev/null 2>&1 || die "kubeadm is not installed"
[ -r "$ROOT$ADMIN_CONF" ] || die "$ROOT$ADMIN_CONF is missing: this slot has not finished kubeadm init or join ($CONTROL_PLANE_UNIT)"
mountpoint -q "$ROOT$PKI_DIR" || die "$ROOT$PKI_DIR is not mounted: $SECRETS_UNIT mounts a tmpfs there first; refusing to write the token to disk"
read_env
fetch_token
LISTING=$(kubeadm token list --kubeconfig "$ROOT$ADMIN_CONF" -o 'jsonpath={.token}{"\t"}{.description}{"\n"}' </dev/null) ||
  die "kubeadm token list --kubeconfig $ADMIN_CONF failed: is the API reachable?"
_current=''
_stale=''
_old=''
for _line in $(classify | tr ' ' ':'); do
  case $_line in
    current) _current=1 ;;
    stale:*) _stale=${_line#stale:} ;;
    old:*) _old="$_old ${_line#old:}" ;;
    *) ;;
  esac
done
LISTING=''
if [ -n "$_current" ]; then
  log "the cluster has bootstrap token $TOKEN_ID from $OBJECT: nothing to register"
else
  if [ -n "$_stale" ]; then
    delete_token "$_stale" "same id as $OBJECT, another secret: replaced"
  fi
  create_token
fi
for _id in $_old; do
  delete_token "$_id" "made by k8s-aws before the token in $OBJECT"
done
log "in sync: bootstrap token $TOKEN_ID is registered; $(printf '%s' "$_old" | wc -w | tr -d ' ') earlier k8s-aws token(s) removed"
