/**
 * The slot bootstrap: a POSIX sh script, run by a oneshot unit on every boot
 * of a control-plane or etcd slot instance before the secrets unit, kubelet
 * and etcd. A slot is a fixed identity that outlives its instances: an ENI
 * with a fixed private IP and an EBS data volume, both tagged
 * k8s.io/slot=<slot>, kubernetes.io/cluster/<cluster>=owned and the role tag,
 * in the slot's zone. The script claims them for this instance, waits while
 * a dying predecessor still holds them, mounts the volume and makes the
 * fixed IP usable. Everything is idempotent: on a reboot every step finds
 * its work done and skips.
 *
 * For tests, K8S_AWS_ROOT prefixes every path the script touches and every
 * command (aws, curl, ip, blkid, mkfs.ext4, mount, mountpoint, sleep, ...)
 * is looked up on PATH, so stubs can stand in.
 */
import { CONTROL_PLANE_ROLE_TAG, ETCD_ROLE_TAG, SLOT_TAG, clusterTagKey } from "../../../lib/naming";
import { SECRETS_UNIT, SLOT_DATA_MOUNT } from "./paths";
import { SHELL_COMMON, check, checkPositiveInt, renderUnit, scriptHeader, shAssignments } from "./shell";

export { renderControlPlaneBootstrapScript, renderControlPlaneBootstrapUnit } from "./controlPlaneBootstrap";
export type { ControlPlaneBootstrapOptions } from "./controlPlaneBootstrap";

export type SlotRole = "control-plane" | "etcd";

export interface SlotBootstrapOptions {
    readonly cluster: string;
    /** The slot's name, e.g. "a" (k8s.io/slot tag value). */
    readonly slot: string;
    readonly region: string;
    readonly role: SlotRole;
    /** Device name given to AttachVolume; on Nitro it shows up as an NVMe disk found by volume id. */
    readonly device?: string;
    readonly mountPoint?: string;
    /** Bounded waiting: attempts per step, sleeping 2, 4, 8 ... up to backoffMaxSeconds between them. */
    readonly attempts?: number;
    readonly backoffMaxSeconds?: number;
    /** Policy-routing tables for the slot ENI and the primary ENI. */
    readonly routeTables?: { readonly slot: number; readonly primary: number };
}

const ROLE_TAGS: Record<SlotRole, string> = { "control-plane": CONTROL_PLANE_ROLE_TAG, etcd: ETCD_ROLE_TAG };

/** The script body after the variable assignments (plain text, no interpolation). */
const SLOT_SCRIPT_BODY = String.raw`ROOT="${"$"}{K8S_AWS_ROOT:-}"

${SHELL_COMMON}

imds_token() {
  curl -sS --fail --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600' "$IMDS/latest/api/token"
}

imds() {
  curl -sS --fail --max-time 5 -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/$1"
}

# Retries a step: retry <what> <command...>
retry() {
  _what=$1
  shift
  _n=1
  until "$@"; do
    [ "$_n" -ge "$ATTEMPTS" ] && die "$_what: gave up after $_n attempts"
    log "$_what: attempt $_n failed, retrying"
    backoff_sleep "$_n"
    _n=$((_n + 1))
  done
}

get_token() { TOKEN=$(imds_token); }
get_identity() {
  INSTANCE_ID=$(imds instance-id) && AZ=$(imds placement/availability-zone) &&
    PRIMARY_MAC=$(imds mac) && PRIMARY_IP=$(imds local-ipv4) && LOCAL_HOSTNAME=$(imds local-hostname)
}

# The AWS cloud controller finds nodes by their private DNS name; kubeadm
# names the node after the hostname. Set it on every boot (cloud-init may
# have set the short form).
set_hostname() {
  if [ "$(hostname)" != "$LOCAL_HOSTNAME" ]; then
    log "hostname: $(hostname) -> $LOCAL_HOSTNAME"
    hostnamectl set-hostname "$LOCAL_HOSTNAME" 2>/dev/null || hostname "$LOCAL_HOSTNAME"
  fi
}

describe_eni() {
  aws --region "$REGION" ec2 describe-network-interfaces \
    --filters "Name=tag:$SLOT_TAG,Values=$SLOT" "Name=tag:$CLUSTER_TAG,Values=owned" \
    "Name=tag-key,Values=$ROLE_TAG" "Name=availability-zone,Values=$AZ" \
    --query 'NetworkInterfaces[].[NetworkInterfaceId,Status,Attachment.InstanceId,PrivateIpAddress,MacAddress]' \
    --output text
}

describe_volume() {
  aws --region "$REGION" ec2 describe-volumes \
    --filters "Name=tag:$SLOT_TAG,Values=$SLOT" "Name=tag:$CLUSTER_TAG,Values=owned" \
    "Name=tag-key,Values=$ROLE_TAG" "Name=availability-zone,Values=$AZ" \
    --query 'Volumes[].[VolumeId,State,Attachments[0].InstanceId,Attachments[0].State]' \
    --output text
}

# is_mine <kind> <owner> <state> <attachment state>: attached to this instance and usable.
is_mine() {
  [ "$2" = "$INSTANCE_ID" ] || return 1
  if [ "$1" = eni ]; then [ "$3" = in-use ]; else [ "$4" = attached ]; fi
}

# claim <eni|volume>: attaches the slot's resource to this instance, waiting
# while another instance (a terminating predecessor) still holds it.
claim() {
  _kind=$1
  _n=1
  while :; do
    if [ "$_kind" = eni ]; then _out=$(describe_eni) || _out=""; else _out=$(describe_volume) || _out=""; fi
    _lines=$(printf '%s\n' "$_out" | grep -c . || true)
    if [ "$_lines" -gt 1 ]; then die "$_kind: $_lines resources tagged for slot $SLOT in $AZ; expected one"; fi
    # shellcheck disable=SC2086 # the text output is whitespace-separated on purpose
    set -- $_out
    _id=${"$"}{1:-} _state=${"$"}{2:-} _owner=${"$"}{3:-None}
    if [ -z "$_id" ]; then
      log "$_kind: none tagged $SLOT_TAG=$SLOT in $AZ yet (attempt $_n/$ATTEMPTS)"
    elif is_mine "$_kind" "$_owner" "$_state" "${"$"}{4:-}"; then
      if [ "$_kind" = eni ]; then ENI_ID=$_id ENI_IP=$4 ENI_MAC=$5; else VOLUME_ID=$_id; fi
      log "$_kind: $_id is attached to this instance"
      return 0
    elif [ "$_state" = available ]; then
      log "$_kind: attaching $_id"
      if [ "$_kind" = eni ]; then
        aws --region "$REGION" ec2 attach-network-interface --network-interface-id "$_id" \
          --instance-id "$INSTANCE_ID" --device-index "$ENI_DEVICE_INDEX" >/dev/null || log "$_kind: attach of $_id failed"
      else
        aws --region "$REGION" ec2 attach-volume --volume-id "$_id" --instance-id "$INSTANCE_ID" \
          --device "$DEVICE" >/dev/null || log "$_kind: attach of $_id failed"
      fi
    else
      log "$_kind: $_id is $_state (held by $_owner); waiting for it to be released (attempt $_n/$ATTEMPTS)"
    fi
    [ "$_n" -ge "$ATTEMPTS" ] && die "$_kind: could not claim the slot's $_kind after $_n attempts"
    backoff_sleep "$_n"
    _n=$((_n + 1))
  done
}

# Nitro instances expose EBS volumes as NVMe disks whose by-id name carries
# the volume id without its dash; Xen instances use the requested name.
find_block_device() {
  _nvme="$ROOT/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_$(printf '%s' "$VOLUME_ID" | tr -d -)"
  _xvd="$ROOT/dev/xvd${"$"}{DEVICE#/dev/?d}"
  for _d in "$_nvme" "$ROOT$DEVICE" "$_xvd"; do
    if [ -e "$_d" ]; then BLOCK_DEVICE=$_d; return 0; fi
  done
  return 1
}

mount_volume() {
  if mountpoint -q "$ROOT$MOUNT_POINT"; then
    log "volume: $ROOT$MOUNT_POINT is already mounted"
    return 0
  fi
  # blkid -p probes the device itself: exit 0 = a filesystem, 2 = nothing
  # found; anything else is an error, and we never format on an error.
  if _fstype=$(blkid -p -o value -s TYPE "$BLOCK_DEVICE"); then
    log "volume: $BLOCK_DEVICE has a $_fstype filesystem; keeping it"
  else
    _rc=$?
    [ "$_rc" -eq 2 ] || die "volume: blkid failed on $BLOCK_DEVICE (exit $_rc); not formatting"
    log "volume: $BLOCK_DEVICE has no filesystem; creating ext4"
    mkfs.ext4 -q -L "$FS_LABEL" "$BLOCK_DEVICE"
    _fstype=ext4
  fi
  mkdir -p "$ROOT$MOUNT_POINT"
  mount -t "$_fstype" -o noatime "$BLOCK_DEVICE" "$ROOT$MOUNT_POINT"
  chmod 0755 "$ROOT$MOUNT_POINT"
  log "volume: $BLOCK_DEVICE mounted on $ROOT$MOUNT_POINT"
}

netdev_by_mac() {
  for _d in "$ROOT"/sys/class/net/*; do
    [ -f "$_d/address" ] || continue
    if [ "$(cat "$_d/address")" = "$1" ]; then basename "$_d"; return 0; fi
  done
  return 1
}

# The subnet router is the subnet's base address + 1.
gateway_of() {
  _base=${"$"}{1%/*}
  printf '%s.%s\n' "${"$"}{_base%.*}" "$((${"$"}{_base##*.} + 1))"
}

route_source() { # route_source <dev> <ip> <subnet> <table> <priority>
  ip route replace "$3" dev "$1" src "$2" table "$4"
  ip route replace default via "$(gateway_of "$3")" dev "$1" table "$4"
  ip rule show | grep -q "from $2 lookup $4" || ip rule add from "$2/32" lookup "$4" priority "$5"
}

# A hot-attached ENI is not configured by cloud-init/netplan on Ubuntu or
# Debian (they configure the interfaces present at first boot), and without
# source routing a reply from the fixed IP would leave through the primary
# ENI, whose source/destination check drops it. So: address the interface,
# give each ENI a table used for its own source address, and prefer the
# fixed IP for new connections inside the VPC, so that etcd peers and the
# apiservers see (and certificates name) the slot's stable address.
configure_fixed_ip() {
  SLOT_DEV=$(netdev_by_mac "$ENI_MAC") || return 1
  PRIMARY_DEV=$(netdev_by_mac "$PRIMARY_MAC") || return 1
  _subnet=$(imds "network/interfaces/macs/$ENI_MAC/subnet-ipv4-cidr-block")
  _psubnet=$(imds "network/interfaces/macs/$PRIMARY_MAC/subnet-ipv4-cidr-block")
  _vpcs=$(imds "network/interfaces/macs/$ENI_MAC/vpc-ipv4-cidr-blocks")
  sysctl -q -w "net.ipv4.conf.$SLOT_DEV.rp_filter=2"
  ip link set dev "$SLOT_DEV" up
  ip -4 -o addr show dev "$SLOT_DEV" | grep -q " $ENI_IP/" ||
    ip addr add "$ENI_IP/${"$"}{_subnet#*/}" dev "$SLOT_DEV"
  route_source "$SLOT_DEV" "$ENI_IP" "$_subnet" "$SLOT_TABLE" "$SLOT_TABLE"
  route_source "$PRIMARY_DEV" "$PRIMARY_IP" "$_psubnet" "$PRIMARY_TABLE" "$PRIMARY_TABLE"
  ip route replace "$_subnet" dev "$SLOT_DEV" src "$ENI_IP"
  for _vpc in $_vpcs; do
    [ "$_vpc" = "$_subnet" ] || ip route replace "$_vpc" via "$(gateway_of "$_subnet")" dev "$SLOT_DEV" src "$ENI_IP"
  done
  log "network: $ENI_IP on $SLOT_DEV (table $SLOT_TABLE), primary $PRIMARY_IP on $PRIMARY_DEV (table $PRIMARY_TABLE)"
}

retry "IMDSv2 token" get_token
retry "instance identity" get_identity
log "instance $INSTANCE_ID in $AZ claiming $ROLE slot $SLOT of cluster $CLUSTER"
set_hostname
claim eni
claim volume
retry "block device for $VOLUME_ID" find_block_device
mount_volume
retry "fixed IP $ENI_IP" configure_fixed_ip
mkdir -p "$ROOT/run/k8s-aws"
printf 'SLOT=%s\nSLOT_IP=%s\nSLOT_ENI=%s\nSLOT_VOLUME=%s\nSLOT_DEVICE=%s\nINSTANCE_ID=%s\nNODE_NAME=%s\n' \
  "$SLOT" "$ENI_IP" "$ENI_ID" "$VOLUME_ID" "$BLOCK_DEVICE" "$INSTANCE_ID" "$LOCAL_HOSTNAME" >"$ROOT/run/k8s-aws/slot.env"
log "slot $SLOT ready"
`;

/** The slot bootstrap script (install as /usr/local/sbin/k8s-aws-slot, run by renderSlotBootstrapUnit). */
export function renderSlotBootstrapScript(o: SlotBootstrapOptions): string {
    const tables = o.routeTables ?? { slot: 1001, primary: 1000 };
    const vars: Array<[string, string]> = [
        ["SCRIPT_NAME", "k8s-aws-slot"],
        ["CLUSTER", check("label", "cluster", o.cluster)],
        ["SLOT", check("label", "slot", o.slot)],
        ["ROLE", o.role],
        ["REGION", check("region", "region", o.region)],
        ["SLOT_TAG", SLOT_TAG],
        ["CLUSTER_TAG", clusterTagKey(o.cluster)],
        ["ROLE_TAG", ROLE_TAGS[o.role]],
        ["DEVICE", check("device", "device", o.device ?? "/dev/sdf")],
        ["MOUNT_POINT", check("absPath", "mountPoint", o.mountPoint ?? SLOT_DATA_MOUNT)],
        // ext4 labels hold 16 bytes.
        ["FS_LABEL", `slot-${o.slot}`.slice(0, 16)],
        ["ENI_DEVICE_INDEX", "1"],
        ["SLOT_TABLE", String(checkPositiveInt("routeTables.slot", tables.slot))],
        ["PRIMARY_TABLE", String(checkPositiveInt("routeTables.primary", tables.primary))],
        ["ATTEMPTS", String(checkPositiveInt("attempts", o.attempts ?? 40))],
        ["BACKOFF_MAX", String(checkPositiveInt("backoffMaxSeconds", o.backoffMaxSeconds ?? 30))],
        ["IMDS", "http://169.254.169.254"],
    ];
    if (tables.slot === tables.primary) throw new Error("routeTables.slot and routeTables.primary must differ");
    return `${scriptHeader(`Claims ${o.role} slot ${o.slot} of cluster ${o.cluster}: its ENI, data volume and fixed IP.`)}\n${shAssignments(vars)}\n${SLOT_SCRIPT_BODY}`;
}

/** k8s-aws-slot.service: runs the slot script on every boot, before the secrets unit, kubelet and etcd. */
export function renderSlotBootstrapUnit(scriptPath = "/usr/local/sbin/k8s-aws-slot"): string {
    return renderUnit({
        Unit: [
            ["Description", "k8s-aws: attach this slot's ENI and data volume, mount it, configure the fixed IP"],
            ["Wants", "network-online.target"],
            ["After", "network-online.target cloud-init.service"],
            ["Before", `${SECRETS_UNIT} kubelet.service etcd.service`],
        ],
        Service: [
            ["Type", "oneshot"],
            ["RemainAfterExit", true],
            ["ExecStart", check("absPath", "scriptPath", scriptPath)],
            // The script waits (bounded) for a predecessor to release the slot;
            // if it still gives up, try again rather than leave the node half-made.
            ["Restart", "on-failure"],
            ["RestartSec", "30s"],
            ["TimeoutStartSec", "30min"],
        ],
        Install: [["WantedBy", "multi-user.target"], ["RequiredBy", "kubelet.service etcd.service"]],
    });
}
