#!/bin/sh
# Lets this external etcd member's instance into service only once its own member is healthy:
# while the instance waits in Pending:Wait on its group's launch lifecycle hook, polls etcd's
# /health on the local metrics listener and, once it answers {"health":"true"}, completes the
# hook with CONTINUE. On a reboot (the instance is InService already) it does nothing.
# Installed as /usr/local/sbin/k8s-aws-etcd-ready, run by k8s-aws-etcd-ready.service.
# K8S_AWS_ROOT relocates every path and every command is looked up on PATH (tests only).
# Rendered by k8s-aws (components/host/script.ts renderScript): do not edit on the host.
# parameters: SCRIPT_NAME REGION HOOK_NAME SLOT_ENV HEALTH_URL POLL_SECONDS MAX_WAIT_SECONDS ATTEMPTS BACKOFF_MAX
set -eu
ROOT="${K8S_AWS_ROOT:-}"

# shellcheck source=common.sh
. ./common.sh

# The instance id the slot unit recorded on this boot (/run is a tmpfs). The slot unit may still be
# retrying its claim (it restarts on failure), so wait for it within the same bound as for etcd.
read_instance_id() {
  until [ -r "$ROOT$SLOT_ENV" ]; do
    [ "$_waited" -ge "$MAX_WAIT_SECONDS" ] && die "$ROOT$SLOT_ENV is still missing after ${_waited} s: the slot unit has not claimed this slot on this boot"
    log "waiting for the slot unit to record this boot's instance in $SLOT_ENV"
    sleep "$POLL_SECONDS"
    _waited=$((_waited + POLL_SECONDS))
  done
  INSTANCE_ID=''
  while IFS='=' read -r _name _value || [ -n "$_name" ]; do
    [ "$_name" = INSTANCE_ID ] && INSTANCE_ID=$_value
  done <"$ROOT$SLOT_ENV"
  case $INSTANCE_ID in
    i-[0-9a-f]*) ;;
    *) die "no instance id (INSTANCE_ID=i-...) in $SLOT_ENV" ;;
  esac
}

# lifecycle_state: STATE and GROUP of this instance in its Auto Scaling group ("None" when in none).
# Transient API errors are retried; a lasting one is an error. The CLI's stderr (warnings) is kept apart.
lifecycle_state() {
  _n=1
  until _out=$(aws --region "$REGION" autoscaling describe-auto-scaling-instances --instance-ids "$INSTANCE_ID" \
    --query 'AutoScalingInstances[0].[LifecycleState,AutoScalingGroupName]' --output text 2>"$ERR_FILE" </dev/null); do
    [ "$_n" -ge "$ATTEMPTS" ] && die "describe-auto-scaling-instances for $INSTANCE_ID failed $_n times: $(cat "$ERR_FILE")"
    log "describe-auto-scaling-instances failed (attempt $_n of $ATTEMPTS), retrying: $(cat "$ERR_FILE")"
    backoff_sleep "$_n"
    _n=$((_n + 1))
  done
  STATE=$(printf '%s\n' "$_out" | cut -f1)
  GROUP=$(printf '%s\n' "$_out" | cut -f2)
}

# healthy: etcd's /health on the local metrics listener answers {"health":"true",...}; REASON otherwise.
# etcd answers within its request timeout (5 s + 2 election timeouts: 7 s by default, 25 s at the
# largest election timeout the config allows), blocking on the linearizable read meanwhile.
healthy() {
  if ! _body=$(curl -sS --max-time 30 "$HEALTH_URL" 2>&1 </dev/null); then
    REASON="not answering ($_body)"
    return 1
  fi
  case $_body in
    *'"health":"true"'*) return 0 ;;
    *) REASON="$_body" ;;
  esac
  return 1
}

ERR_FILE="$ROOT/run/k8s-aws/etcd-ready.err"
mkdir -p "$ROOT/run/k8s-aws"
trap 'rm -f "$ERR_FILE"' EXIT
# One budget for the whole wait (the slot unit, then etcd): the hook abandons the instance after it.
_waited=0
read_instance_id
lifecycle_state
case $STATE in
  Pending:Wait) ;;
  None | '')
    log "$INSTANCE_ID is in no Auto Scaling group: there is no launch lifecycle action to complete"
    exit 0
    ;;
  *)
    log "$INSTANCE_ID is $STATE in $GROUP: no launch lifecycle action waits on it (a reboot, or completed already)"
    exit 0
    ;;
esac

log "$INSTANCE_ID waits in $GROUP on launch hook $HOOK_NAME: polling $HEALTH_URL until this member is healthy"
REASON=''
until healthy; do
  if [ "$_waited" -ge "$MAX_WAIT_SECONDS" ]; then
    die "this etcd member is not healthy after ${_waited} s (last answer: $REASON); not completing $HOOK_NAME: the group abandons and replaces this instance when the hook times out"
  fi
  log "etcd member not healthy yet after ${_waited} s: $REASON"
  sleep "$POLL_SECONDS"
  _waited=$((_waited + POLL_SECONDS))
done
log "etcd member healthy (leader known, linearizable read served): completing $HOOK_NAME with CONTINUE"

_n=1
until _err=$(aws --region "$REGION" autoscaling complete-lifecycle-action --lifecycle-hook-name "$HOOK_NAME" \
  --auto-scaling-group-name "$GROUP" --instance-id "$INSTANCE_ID" --lifecycle-action-result CONTINUE 2>&1 >/dev/null </dev/null); do
  lifecycle_state
  if [ "$STATE" != Pending:Wait ]; then
    [ "$STATE" = InService ] || [ "$STATE" = Pending:Proceed ] || die "$INSTANCE_ID left Pending:Wait for $STATE before the action was completed: $_err"
    log "$INSTANCE_ID is $STATE: the launch action was completed meanwhile"
    exit 0
  fi
  [ "$_n" -ge "$ATTEMPTS" ] && die "complete-lifecycle-action failed $_n times: $_err"
  log "complete-lifecycle-action failed (attempt $_n of $ATTEMPTS), retrying: $_err"
  backoff_sleep "$_n"
  _n=$((_n + 1))
done
log "completed $HOOK_NAME for $INSTANCE_ID in $GROUP: CONTINUE (the group puts it in service)"
