/**
 * Keeps the cluster's bootstrap token in step with the one in the secrets bucket.
 *
 * `kubeadm init` registers the token from its InitConfiguration once, as the
 * Secret kube-system/bootstrap-token-<id>. A rotation (`pulumi up --replace`
 * of the token resources, docs/runbooks/rotate-certificates.md) changes the
 * bucket's `nodes/bootstrap-token` while the slots run, and the cluster would
 * never learn it. A timer on every control-plane slot (OnBootSec 5 min, then
 * every 10 min, only once the control-plane unit has succeeded) runs
 * k8s-aws-token-sync, which:
 *
 * 1. fetches `nodes/bootstrap-token` again with the same `aws s3 cp`, bucket
 *    and region (from /etc/k8s-aws/secrets.env) as the boot-time fetch, onto
 *    the same tmpfs file (the boot copy may predate a rotation); a missing or
 *    unreadable object is an error that names it;
 * 2. lists the cluster's tokens (`kubeadm token list -o jsonpath`, id.secret
 *    and description per line) and, unless the delivered token is among
 *    them, registers it: `kubeadm token create --config <file>`, the file an
 *    InitConfiguration with one bootstrapTokens entry (ttl 0s, the same
 *    description, usages and groups as the init configuration's) written
 *    0600 to the tmpfs and removed afterwards. The token is never an
 *    argument: /proc/<pid>/cmdline is readable by every local user, a mode
 *    0600 file on the tmpfs only by root. kubeadm refuses --ttl or
 *    --description next to --config (ValidateMixedArguments), so they are in
 *    the file; its ClusterConfiguration pins kubernetesVersion to the local
 *    kubeadm's, or kubeadm would look up "stable-1" on dl.k8s.io. A token
 *    with the delivered id but another secret is deleted first; "already
 *    exists" (another slot was quicker) is success;
 * 3. deletes the tokens with this program's description and another id (the
 *    init token and earlier rotations). Tokens with any other description
 *    (made by users) are never touched.
 *
 * Running on every slot is harmless: each step is idempotent and concurrent
 * runs converge. Everything is logged with `logger -t k8s-aws-token-sync`;
 * nothing logged or passed to another program carries the token's secret.
 */

import { BOOTSTRAP_TOKEN_FILE, KUBERNETES_PKI_DIR, NODES_PREFIX, objectKey } from "../secrets/layout";
import { CONTROL_PLANE_UNIT, SECRETS_ENV_PATH, SECRETS_UNIT } from "./paths";
import { check, checkPositiveInt, renderUnit, scriptHeader, shAssignments } from "./shell";
import { TOKEN_SYNC_NAME, TOKEN_SYNC_SCRIPT, TOKEN_SYNC_SERVICE, TOKEN_SYNC_CONFIG, ADMIN_KUBECONFIG } from "./paths";

/**
 * The description of the tokens this program registers, by `kubeadm init`
 * (kubeadmConfigs.ts) and by the sync: the mark that tells its tokens from
 * users' tokens.
 */
export function bootstrapTokenDescription(cluster: string): string {
    return `k8s-aws ${check("label", "cluster", cluster)}: control-plane and node joins`;
}

export interface TokenSyncOptions {
    readonly cluster: string;
    /** Tries of the S3 download before giving up until the next run. */
    readonly attempts?: number;
    readonly backoffSeconds?: number;
}

const BODY = String.raw`ROOT="${"$"}{K8S_AWS_ROOT:-}"
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
        _done="$_done${"$"}{_rest%%"$TOKEN_SECRET"*}<redacted>"
        _rest=${"$"}{_rest#*"$TOKEN_SECRET"}
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
  [ -r "$ROOT$ENV_FILE" ] || die "cannot read $ROOT$ENV_FILE (written from user data for ${SECRETS_UNIT})"
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
  TOKEN_ID=${"$"}{TOKEN%%.*}
  TOKEN_SECRET=${"$"}{TOKEN#*.}
  case $TOKEN_ID$TOKEN_SECRET in
    *[!a-z0-9]*) TOKEN_ID='' ;;
    *) ;;
  esac
  if [ "${"$"}{#TOKEN_ID}" -ne 6 ] || [ "${"$"}{#TOKEN_SECRET}" -ne 16 ]; then
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
    _id=${"$"}{_tok%%.*}
    case $_id in '' | *[!a-z0-9]*) continue ;; *) ;; esac
    [ "${"$"}{#_id}" -eq 6 ] || continue
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
  mkdir -p "$ROOT${"$"}{SYNC_CONFIG%/*}"
  chmod 0700 "$ROOT${"$"}{SYNC_CONFIG%/*}"
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
[ -r "$ROOT$ADMIN_CONF" ] || die "$ROOT$ADMIN_CONF is missing: this slot has not finished kubeadm init or join (${CONTROL_PLANE_UNIT})"
mountpoint -q "$ROOT$PKI_DIR" || die "$ROOT$PKI_DIR is not mounted: ${SECRETS_UNIT} mounts a tmpfs there first; refusing to write the token to disk"
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
    stale:*) _stale=${"$"}{_line#stale:} ;;
    old:*) _old="$_old ${"$"}{_line#old:}" ;;
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
`;

/** The sync script (install as TOKEN_SYNC_SCRIPT). */
export function renderTokenSyncScript(o: TokenSyncOptions): string {
    const description = bootstrapTokenDescription(o.cluster);
    const vars: Array<[string, string]> = [
        ["SCRIPT_NAME", TOKEN_SYNC_NAME],
        ["ENV_FILE", SECRETS_ENV_PATH],
        ["TOKEN_KEY", check("s3Key", "token key", objectKey({ prefix: NODES_PREFIX, name: BOOTSTRAP_TOKEN_FILE }))],
        // The boot-time fetch's destination (secrets/layout.ts), refreshed in place.
        ["TOKEN_FILE", `${KUBERNETES_PKI_DIR}/${BOOTSTRAP_TOKEN_FILE}`],
        ["PKI_DIR", KUBERNETES_PKI_DIR],
        ["SYNC_CONFIG", TOKEN_SYNC_CONFIG],
        ["ADMIN_CONF", ADMIN_KUBECONFIG],
        ["KUBEADM_API", "kubeadm.k8s.io/v1beta4"],
        ["DESCRIPTION", description],
        ["ATTEMPTS", String(checkPositiveInt("attempts", o.attempts ?? 3))],
        ["BACKOFF", String(checkPositiveInt("backoffSeconds", o.backoffSeconds ?? 5))],
    ];
    return `${scriptHeader(`Registers the secrets bucket's bootstrap token in cluster ${o.cluster} and removes the tokens k8s-aws made before it.`)}\n${shAssignments(vars)}\n${BODY}`;
}

/** k8s-aws-token-sync.service (started by its timer only) and .timer. */
export function renderTokenSyncUnits(scriptPath = TOKEN_SYNC_SCRIPT): { service: string; timer: string } {
    const service = renderUnit({
        Unit: [
            ["Description", "k8s-aws: register the secrets bucket's bootstrap token in the cluster, remove earlier ones"],
            ["Requires", SECRETS_UNIT],
            // Requisite: never start kubeadm init/join from here; run only once it has succeeded.
            ["Requisite", CONTROL_PLANE_UNIT],
            ["After", `${SECRETS_UNIT} ${CONTROL_PLANE_UNIT} network-online.target`],
            ["Wants", "network-online.target"],
        ],
        Service: [
            ["Type", "oneshot"],
            ["ExecStart", check("absPath", "scriptPath", scriptPath)],
            ["UMask", "0077"],
            ["TimeoutStartSec", "5min"],
        ],
    });
    const timer = renderUnit({
        Unit: [["Description", "k8s-aws: check the cluster's bootstrap token against the secrets bucket every 10 minutes"]],
        Timer: [
            ["OnBootSec", "5min"],
            ["OnUnitActiveSec", "10min"],
            // The slots need not all ask at the same moment.
            ["RandomizedDelaySec", "60s"],
            ["Unit", TOKEN_SYNC_SERVICE],
        ],
        Install: [["WantedBy", "timers.target"]],
    });
    return { service, timer };
}
