/**
 * IPv4 CIDR arithmetic: parsing, overlap and subnet carving. Pure functions,
 * used by config validation and by the network layout.
 */

export interface Cidr {
    /** The network address as an unsigned 32-bit integer. */
    readonly base: number;
    readonly prefix: number;
}

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses "a.b.c.d/n"; returns undefined for anything that is not a valid IPv4 CIDR with no host bits set. */
export function parseCidr(text: string): Cidr | undefined {
    const m = CIDR_RE.exec(text);
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return undefined;
    const base = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
    if ((base & hostMask(prefix)) !== 0) return undefined;
    return { base, prefix };
}

/** Like parseCidr but throws; for values that validation already accepted. */
export function mustParseCidr(text: string): Cidr {
    const c = parseCidr(text);
    if (!c) throw new Error(`invalid CIDR ${JSON.stringify(text)}`);
    return c;
}

export function formatCidr(c: Cidr): string {
    return `${formatIp(c.base)}/${c.prefix}`;
}

export function formatIp(ip: number): string {
    return [24, 16, 8, 0].map((s) => (ip >>> s) & 255).join(".");
}

export function parseIp(text: string): number | undefined {
    const c = parseCidr(`${text}/32`);
    return c?.base;
}

function hostMask(prefix: number): number {
    return prefix === 0 ? 0xffffffff : (2 ** (32 - prefix) - 1) >>> 0;
}

export function size(c: Cidr): number {
    return 2 ** (32 - c.prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
    const aEnd = a.base + size(a) - 1;
    const bEnd = b.base + size(b) - 1;
    return a.base <= bEnd && b.base <= aEnd;
}

export function contains(outer: Cidr, ip: number): boolean {
    return ip >= outer.base && ip < outer.base + size(outer);
}

/** The index-th block of prefix `newPrefix` inside `parent` (kops/terraform `cidrsubnet`). */
export function subnet(parent: Cidr, newPrefix: number, index: number): Cidr {
    if (newPrefix < parent.prefix || newPrefix > 32) {
        throw new Error(`cannot carve a /${newPrefix} out of ${formatCidr(parent)}`);
    }
    const count = 2 ** (newPrefix - parent.prefix);
    if (index < 0 || index >= count) {
        throw new Error(`${formatCidr(parent)} holds ${count} /${newPrefix} blocks; index ${index} is out of range`);
    }
    return { base: (parent.base + index * 2 ** (32 - newPrefix)) >>> 0, prefix: newPrefix };
}

/** The n-th host address of a block (0 = network address). */
export function host(c: Cidr, n: number): number {
    if (n < 0 || n >= size(c)) throw new Error(`${formatCidr(c)} has no host number ${n}`);
    return (c.base + n) >>> 0;
}

/**
 * How many distinct addresses the CIDRs cover together, leaving out those in
 * `excluded` (which must not overlap one another): overlapping and adjacent
 * ranges count once, so [0.0.0.0/1, 128.0.0.0/1] covers what 0.0.0.0/0 does.
 */
export function coveredAddresses(cidrs: readonly Cidr[], excluded: readonly Cidr[] = []): number {
    const ranges = cidrs.map((c) => [c.base, c.base + size(c)] as const).sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [start, end] of ranges) {
        const last = merged[merged.length - 1];
        if (last && start <= last[1]) last[1] = Math.max(last[1], end);
        else merged.push([start, end]);
    }
    let total = 0;
    for (const [start, end] of merged) {
        total += end - start;
        for (const x of excluded) total -= Math.max(0, Math.min(end, x.base + size(x)) - Math.max(start, x.base));
    }
    return total;
}
