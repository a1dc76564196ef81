/**
 * Stubs for the etcd launch gate script (components/host/etcdReady.sh): an `aws autoscaling` that
 * keeps one instance's lifecycle state in a file, and a `curl` that answers /health from a list.
 * Used under stubs (test/components/host/etcdReady.spec.ts) and, for the AWS side, next to a real
 * etcd (test/real/etcdReady.spec.ts); the real AWS CLI against moto runs the same script there too.
 */

export const STUB_INSTANCE = "i-0123456789abcdef0";
export const STUB_GROUP = "prod-etcd-a-asg-0a1b2c3";

/**
 * `aws autoscaling` as the script calls it: the instance's state is $STUB_STATE/asg ("<state>\t<group>",
 * or absent: in no group, which the CLI's text output prints as "None"); complete-lifecycle-action
 * succeeds only in Pending:Wait (AWS answers ValidationError "No active Lifecycle Action found" otherwise)
 * and moves the instance to InService; $STUB_STATE/describe-fails-<n> fails the n-th describe.
 */
export const LIFECYCLE_AWS_STUB = `#!/bin/sh
printf '%s\\n' "aws $*" >>"$STUB_LOG"
n=$(grep -c ' describe-auto-scaling-instances ' "$STUB_LOG")
case "$*" in
  *" describe-auto-scaling-instances "*)
    if [ -f "$STUB_STATE/describe-fails-$n" ]; then echo "Could not connect to the endpoint URL" >&2; exit 255; fi
    if [ -f "$STUB_STATE/asg" ]; then cat "$STUB_STATE/asg"; else printf 'None\\n'; fi ;;
  *" complete-lifecycle-action "*)
    if [ -f "$STUB_STATE/complete-then" ]; then cp "$STUB_STATE/complete-then" "$STUB_STATE/asg"; echo "An error occurred (ValidationError) when calling the CompleteLifecycleAction operation: No active Lifecycle Action found with instance ID ${STUB_INSTANCE}" >&2; exit 254; fi
    case $(cut -f1 "$STUB_STATE/asg") in
      Pending:Wait) printf 'InService\\t%s\\n' "$(cut -f2 "$STUB_STATE/asg")" >"$STUB_STATE/asg" ;;
      *) echo "An error occurred (ValidationError) when calling the CompleteLifecycleAction operation: No active Lifecycle Action found with instance ID ${STUB_INSTANCE}" >&2; exit 254 ;;
    esac ;;
  *) echo "aws stub: unexpected call: $*" >&2; exit 99 ;;
esac
`;

/** /health answers, one line each from $STUB_STATE/health (the last one repeats); "down" is a refused connection. */
export const HEALTH_CURL_STUB = `#!/bin/sh
printf '%s\\n' "curl $*" >>"$STUB_LOG"
n=$(grep -c '^curl ' "$STUB_LOG")
total=$(wc -l <"$STUB_STATE/health")
[ "$n" -gt "$total" ] && n=$total
line=$(sed -n "\${n}p" "$STUB_STATE/health")
if [ "$line" = down ]; then echo "curl: (7) Failed to connect to 127.0.0.1 port 2381: Connection refused" >&2; exit 7; fi
printf '%s' "$line"
`;

export const HEALTHY = '{"health":"true","reason":""}';
export const NO_LEADER = '{"health":"false","reason":"RAFT NO LEADER"}';
