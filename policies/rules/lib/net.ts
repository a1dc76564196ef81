/**
 * CIDR containment (IPv4 and IPv6) and security-group port ranges, for the
 * checks on who may reach etcd, the kubelet and the API server.
 */

export interface Cidr {
    readonly v6: boolean;
    readonly base: bigint;
    readonly prefix: number;
}

function parseV4(addr: string): bigint | undefined {
    const parts = addr.split(".");
    if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) < 256)) return undefined;
    return parts.reduce((acc, p) => (acc << 8n) + BigInt(p), 0n);
}

function parseV6(addr: string): bigint | undefined {
    const halves = addr.split("::");
    if (halves.length > 2) return undefined;
    const groups = (s: string) => (s === "" ? [] : s.split(":"));
    const head = groups(halves[0]);
    const tail = halves.length === 2 ? groups(halves[1]) : [];
    const missing = 8 - head.length - tail.length;
    if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
    const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
    if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
    return all.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n);
}

export function parseCidr(text: string): Cidr | undefined {
    const [addr, len, extra] = text.trim().split("/");
    if (extra !== undefined) return undefined;
    const v6 = addr.includes(":");
    const bits = v6 ? 128 : 32;
    const prefix = len === undefined ? bits : Number(len);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
    const value = v6 ? parseV6(addr) : parseV4(addr);
    if (value === undefined) return undefined;
    const hostBits = BigInt(bits - prefix);
    return { v6, base: (value >> hostBits) << hostBits, prefix };
}

/** Whether every address of `inner` lies in `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
    if (outer.v6 !== inner.v6 || inner.prefix < outer.prefix) return false;
    const hostBits = BigInt((outer.v6 ? 128 : 32) - outer.prefix);
    return inner.base >> hostBits === outer.base >> hostBits;
}

export function isWorld(c: Cidr): boolean {
    return c.prefix === 0;
}

/** RFC 1918, RFC 6598 (shared/pod space) and IPv6 ULA ranges: not reachable from the internet. */
const PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"].map((c) => parseCidr(c)!);

export function isPrivate(c: Cidr): boolean {
    return PRIVATE.some((p) => contains(p, c));
}

/**
 * Whether a rule with this protocol and port range admits TCP traffic to `port`.
 * "-1"/"all" means every protocol and port; ports are then ignored, as AWS does.
 */
export function admitsTcpPort(protocol: unknown, fromPort: unknown, toPort: unknown, port: number): boolean {
    const p = String(protocol ?? "").toLowerCase();
    if (p === "-1" || p === "all") return true;
    if (p !== "tcp" && p !== "6") return false;
    const from = typeof fromPort === "number" ? fromPort : Number(fromPort);
    const to = typeof toPort === "number" ? toPort : Number(toPort);
    if (!Number.isFinite(from) || !Number.isFinite(to)) return true;
    return from <= port && port <= to;
}

const range = (c: Cidr): [bigint, bigint] => {
    const hostBits = BigInt((c.v6 ? 128 : 32) - c.prefix);
    return [c.base, c.base + (1n << hostBits) - 1n];
};

/** IPv4 space no internet host sends from: "this" network, private, loopback, link-local, multicast and reserved (RFC 6890). */
const V4_NOT_INTERNET = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3"].map((c) => parseCidr(c)!);
/** The IPv6 internet: global unicast (RFC 4291 2.4, IANA's allocations all lie in 2000::/3). */
const V6_INTERNET = parseCidr("2000::/3")!;

/**
 * Whether source ranges together admit the whole internet of their family, however
 * they are split (0.0.0.0/1 + 128.0.0.0/1, or every public block listed one by one):
 * the address space covered is what is exposed, not the literal 0.0.0.0/0.
 */
export function coversInternet(cidrs: readonly Cidr[], v6: boolean): boolean {
    const own = cidrs.filter((c) => c.v6 === v6);
    if (own.length === 0) return false;
    const target = range(v6 ? V6_INTERNET : parseCidr("0.0.0.0/0")!);
    const intervals = [...own, ...(v6 ? [] : V4_NOT_INTERNET)].map(range).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let reach = target[0] - 1n;
    for (const [start, end] of intervals) {
        if (end < target[0] || start > reach + 1n) {
            if (start > reach + 1n && start <= target[1]) return false;
            continue;
        }
        if (end > reach) reach = end;
        if (reach >= target[1]) return true;
    }
    return reach >= target[1];
}
