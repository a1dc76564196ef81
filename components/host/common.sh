#!/bin/sh
# Shell functions the k8s-aws scripts share, included by the renderer (script.ts) where a script has
#   # shellcheck source=common.sh
#   . ./common.sh
# log (timestamped, to stderr, so journald keeps it), die, and backoff_sleep N (2, 4, 8 ... capped
# at $BACKOFF_MAX seconds). `sleep` is looked up on PATH, so tests stub it. The including script
# assigns SCRIPT_NAME and BACKOFF_MAX.

log() {
  printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$SCRIPT_NAME" "$*" >&2
}

die() {
  log "ERROR: $*"
  exit 1
}

backoff_sleep() {
  _delay=2
  _i=1
  while [ "$_i" -lt "$1" ]; do
    _delay=$((_delay * 2))
    _i=$((_i + 1))
    if [ "$_delay" -ge "$BACKOFF_MAX" ]; then
      _delay=$BACKOFF_MAX
      break
    fi
  done
  sleep "$_delay"
}
