/**
 * Command stubs for running the rendered bootstrap scripts without AWS, a
 * block device or root: each stub appends "<command> <args>" to $STUB_LOG
 * and acts on files under $STUB_STATE (a tiny fake of EC2, S3, IMDS, the
 * disk and the network). PATH puts them before the real commands.
 * The `aws` stubs here accept any flag, filter or --query: the same scripts run
 * with the real AWS CLI against moto in test/real/awsScripts.spec.ts.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { writeExecutable } from "./shell";

const RECORD = `printf '%s\\n' "$(basename "$0") $*" >>"$STUB_LOG"`;

const STUBS: Record<string, string> = {
    // IMDSv2 from files under $STUB_STATE/imds; /readyz answers once $STUB_STATE/api-ready exists.
    curl: `${RECORD}
for a in "$@"; do url=$a; done
case "$url" in
  */latest/api/token) echo TOKEN ;;
  */latest/meta-data/*) cat "$STUB_STATE/imds/\${url#*/latest/meta-data/}" ;;
  */readyz) [ -f "$STUB_STATE/api-ready" ] || exit 7; echo ok ;;
  *) exit 6 ;;
esac`,
    aws: `${RECORD}
has() { case " $ARGS " in *" $1 "*) return 0 ;; esac; return 1; }
ARGS="$*"
arg() { _next=""; for a in $ARGS; do if [ "$_next" = 1 ]; then echo "$a"; return; fi; [ "$a" = "$1" ] && _next=1; done; }
release() { # a predecessor holds the resource for N more describes
  f="$STUB_STATE/$1.release_after"
  [ -f "$f" ] || return 0
  n=$(cat "$f")
  if [ "$n" -le 0 ]; then
    sed -i 's/\\tin-use\\ti-old/\\tavailable\\tNone/; s/\\tattached$/\\tNone/' "$STUB_STATE/$1"; rm -f "$f"
  else echo $((n - 1)) >"$f"; fi
}
if has describe-network-interfaces; then release eni; cat "$STUB_STATE/eni"; exit 0; fi
if has describe-volumes; then release volume; cat "$STUB_STATE/volume"; exit 0; fi
if has attach-network-interface; then
  sed -i "s/\\tavailable\\tNone/\\tin-use\\t$(arg --instance-id)/" "$STUB_STATE/eni"; exit 0; fi
if has attach-volume; then
  sed -i "s/\\tavailable\\tNone\\tNone/\\tin-use\\t$(arg --instance-id)\\tattached/" "$STUB_STATE/volume"; exit 0; fi
if has put-object; then
  if [ -f "$STUB_STATE/s3-down" ]; then echo "Could not connect to the endpoint URL" >&2; exit 255; fi
  if [ -f "$STUB_STATE/s3-conflict-once" ]; then rm -f "$STUB_STATE/s3-conflict-once"
    echo "An error occurred (ConditionalRequestConflict) when calling the PutObject operation" >&2; exit 254; fi
  # mkdir is atomic: exactly one concurrent caller creates the marker.
  if mkdir "$STUB_S3/$(arg --key | tr / _)" 2>/dev/null; then echo '{"ETag": "x"}'; exit 0; fi
  echo "An error occurred (PreconditionFailed) when calling the PutObject operation: At least one of the pre-conditions you specified did not hold" >&2
  exit 254
fi
# s3 cp s3://<bucket>/<key> <file>: objects are files under $STUB_S3/<bucket>/<key>; errors as the CLI words them.
if has s3 && has cp; then
  src=""; for a in $ARGS; do case $a in s3://*) src=$a ;; esac; dst=$a; done
  if [ -f "$STUB_STATE/s3-forbidden" ]; then echo "fatal error: An error occurred (403) when calling the HeadObject operation: Forbidden" >&2; exit 1; fi
  if [ -f "$STUB_STATE/s3-down" ]; then echo "fatal error: Could not connect to the endpoint URL" >&2; exit 1; fi
  obj="$STUB_S3/\${src#s3://}"
  if [ ! -f "$obj" ]; then echo "fatal error: An error occurred (404) when calling the HeadObject operation: Key \\"\${src#s3://*/}\\" does not exist" >&2; exit 1; fi
  cp "$obj" "$dst"; exit 0
fi
echo "aws stub: unexpected call: $*" >&2; exit 99`,
    // Bootstrap tokens are files $STUB_STATE/tokens/<id> holding "<id>.<secret>\t<description>": what
    // `token list -o jsonpath={.token}{"\t"}{.description}{"\n"}` prints. `token create --config` keeps a
    // copy of the file and its mode in $STUB_STATE/create-config{,-mode} and, like kubeadm, prints the token.
    kubeadm: `${RECORD}
T="$STUB_STATE/tokens"
mkdir -p "$T"
case "$*" in
  "init phase certs all"*) touch "$K8S_AWS_ROOT/etc/kubernetes/pki/apiserver.crt" ;;
  init*|join*) [ -f "$STUB_STATE/kubeadm-fails" ] && exit 1; touch "$K8S_AWS_ROOT/etc/kubernetes/kubelet.conf" ;;
  "version -o short") echo v1.35.9 ;;
  "token list"*)
    if [ -f "$STUB_STATE/api-down" ]; then echo "failed to list bootstrap tokens: connection refused" >&2; exit 1; fi
    for f in "$T"/*; do [ -f "$f" ] && cat "$f"; done; exit 0 ;;
  "token create --config "*)
    stat -c %a "$4" >"$STUB_STATE/create-config-mode"; cp "$4" "$STUB_STATE/create-config"
    tok=$(sed -n 's/^- token: "\\(.*\\)"$/\\1/p' "$4"); desc=$(sed -n 's/^  description: "\\(.*\\)"$/\\1/p' "$4"); id=\${tok%%.*}
    if [ -f "$STUB_STATE/create-races" ] || [ -f "$T/$id" ]; then echo "a token with id \\"$id\\" already exists" >&2; exit 1; fi
    printf '%s\\t%s\\n' "$tok" "$desc" >"$T/$id"; echo "$tok" ;;
  "token delete "*)
    if [ -f "$T/$3" ]; then rm -f "$T/$3"; echo "bootstrap token \\"$3\\" deleted"
    else echo "failed to delete bootstrap token \\"$3\\": secrets \\"bootstrap-token-$3\\" not found" >&2; exit 1; fi ;;
esac`,
    blkid: `${RECORD}
[ -f "$STUB_STATE/blkid-error" ] && exit 4
[ -f "$STUB_STATE/fs" ] || exit 2
cat "$STUB_STATE/fs"`,
    "mkfs.ext4": `${RECORD}\necho ext4 >"$STUB_STATE/fs"`,
    mountpoint: `${RECORD}\n[ -f "$STUB_STATE/mounted" ]`,
    mount: `${RECORD}\ntouch "$STUB_STATE/mounted"`,
    ip: `${RECORD}
case "$*" in
  "-4 -o addr show dev"*) cat "$STUB_STATE/addrs" 2>/dev/null ;;
  "addr add"*) echo "2: $5    inet $3 scope global" >>"$STUB_STATE/addrs" ;;
  "rule show") cat "$STUB_STATE/rules" 2>/dev/null ;;
  "rule add"*) printf '%s:\tfrom %s lookup %s\n' "$8" "\${4%/32}" "$6" >>"$STUB_STATE/rules" ;;
esac
exit 0`,
    hostname: `${RECORD}\n[ $# -eq 0 ] && cat "$STUB_STATE/hostname"; [ $# -eq 1 ] && echo "$1" >"$STUB_STATE/hostname"; exit 0`,
    hostnamectl: `${RECORD}\necho "$2" >"$STUB_STATE/hostname"`,
    systemctl: RECORD,
    logger: RECORD,
    sysctl: RECORD,
    sleep: RECORD,
};

export interface StubWorld {
    readonly root: string;
    readonly state: string;
    readonly log: string;
    readonly env: NodeJS.ProcessEnv;
    calls(): string[];
}

/** A fresh fake machine; s3 may be shared between worlds (racing slots). */
export function makeWorld(base: string, name: string, s3Dir: string): StubWorld {
    const dir = path.join(base, name);
    const bin = path.join(dir, "bin");
    const root = path.join(dir, "root");
    const state = path.join(dir, "state");
    const log = path.join(dir, "calls.log");
    for (const [cmd, body] of Object.entries(STUBS)) writeExecutable(path.join(bin, cmd), `#!/bin/sh\n${body}\n`);
    for (const d of [root, state, path.join(state, "imds"), s3Dir]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(log, "");
    return {
        root,
        state,
        log,
        env: { PATH: `${bin}:/usr/bin:/bin`, K8S_AWS_ROOT: root, STUB_STATE: state, STUB_LOG: log, STUB_S3: s3Dir, HOME: dir, TMPDIR: dir },
        calls: () =>
            fs
                .readFileSync(log, "utf8")
                .split("\n")
                .filter((l) => l !== ""),
    };
}

export function writeFiles(base: string, files: Record<string, string>): void {
    for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
        fs.writeFileSync(path.join(base, rel), text);
    }
}

export interface ScriptRun {
    code: number | null;
    stderr: string;
    ms: number;
}

/** Runs a script with `sh` in a world, bounded in time. */
export function runScript(script: string, world: StubWorld, timeoutMs = 20000): Promise<ScriptRun> {
    const file = path.join(world.state, "..", `script-${Date.now()}-${Math.random().toString(36).slice(2)}.sh`);
    fs.writeFileSync(file, script);
    const start = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn("sh", [file], { env: world.env, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (c) => (stderr += c));
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`script timed out after ${timeoutMs} ms:\n${stderr}`));
        }, timeoutMs);
        child.on("exit", (code) => {
            clearTimeout(timer);
            resolve({ code, stderr, ms: Date.now() - start });
        });
    });
}

/** An aws stub that keeps S3 objects as files under $STUB_S3/<bucket>/<key> and logs every call. */
export const AWS_S3_STUB = `#!/bin/sh
printf '%s\\n' "aws $*" >>"$STUB_LOG"
while [ "$1" = --region ]; do shift 2; done
case "$1 $2" in
  "s3 cp")
    case "$3" in
      s3://*) src="$STUB_S3/\${3#s3://}"; [ -f "$src" ] || exit 1; cp "$src" "$4" ;;
      *) dst="$STUB_S3/\${4#s3://}"; mkdir -p "$(dirname "$dst")"; cp "$3" "$dst" ;;
    esac ;;
  "s3api head-object") [ -f "$STUB_S3/$4/$6" ] || { echo "An error occurred (404) when calling the HeadObject operation: Not Found" >&2; exit 254; } ;;
  "s3api list-objects-v2")
    ( cd "$STUB_S3/$4" 2>/dev/null && find "$6" -type f 2>/dev/null | sort | tr '\\n' '\\t' ) ;;
  *) echo "unexpected aws call: $*" >&2; exit 99 ;;
esac
`;

/** A machine for runScript: the instance's files under root (K8S_AWS_ROOT), only `aws` stubbed (S3 as files under s3), everything else real. */
export function s3StubWorld(base: string, s3: string, root = "/"): StubWorld {
    const bin = path.join(base, "bin");
    writeExecutable(path.join(bin, "aws"), AWS_S3_STUB);
    const log = path.join(base, "calls.log");
    fs.writeFileSync(log, "");
    fs.mkdirSync(path.join(base, "state"), { recursive: true });
    return {
        root,
        state: path.join(base, "state"),
        log,
        env: { PATH: `${bin}:${process.env.PATH}`, K8S_AWS_ROOT: root === "/" ? "" : root, STUB_S3: s3, STUB_LOG: log, HOME: base, TMPDIR: base },
        calls: () =>
            fs
                .readFileSync(log, "utf8")
                .split("\n")
                .filter((l) => l !== ""),
    };
}
