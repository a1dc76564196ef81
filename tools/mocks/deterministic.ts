/**
 * Seeded randomness for the provider mocks.
 *
 * Without a seed every byte comes from the OS CSPRNG (like the real providers).
 * With a seed the bytes are an HMAC-SHA256 stream: block i = HMAC(key, label || 0x00 || i),
 * so the same seed and label always give the same bytes, and different labels
 * (different resource type, name or purpose) give unrelated bytes.
 */
import * as crypto from "crypto";
import type { MockContext } from "./types";

export class ByteStream {
    private buffer = Buffer.alloc(0);
    private counter = 0;

    /** key undefined => crypto-random stream; otherwise a deterministic stream for (key, label). */
    constructor(
        private readonly key: string | undefined,
        private readonly label: string,
    ) {}

    get deterministic(): boolean {
        return this.key !== undefined;
    }

    bytes(n: number): Buffer {
        if (!Number.isInteger(n) || n < 0) {
            throw new Error(`invalid byte count ${n}`);
        }
        if (this.key === undefined) {
            return crypto.randomBytes(n);
        }
        while (this.buffer.length < n) {
            const counter = Buffer.alloc(4);
            counter.writeUInt32BE(this.counter++);
            const block = crypto
                .createHmac("sha256", this.key)
                .update(this.label, "utf8")
                .update(Buffer.from([0]))
                .update(counter)
                .digest();
            this.buffer = Buffer.concat([this.buffer, block]);
        }
        const out = this.buffer.subarray(0, n);
        this.buffer = this.buffer.subarray(n);
        return Buffer.from(out);
    }

    /** Uniform bigint in [0, n), by rejection sampling so there is no modulo bias. */
    below(n: bigint): bigint {
        if (n <= 0n) {
            throw new Error(`invalid upper bound ${n}`);
        }
        const bits = (n - 1n).toString(2).length;
        const byteLength = Math.ceil(bits / 8);
        const excess = BigInt(byteLength * 8 - bits);
        for (;;) {
            const raw = this.bytes(byteLength);
            const value = byteLength === 0 ? 0n : BigInt("0x" + raw.toString("hex")) >> excess;
            if (value < n) {
                return value;
            }
        }
    }

    /** Uniform integer in [0, n) for n up to Number.MAX_SAFE_INTEGER + 1. */
    int(n: number): number {
        return Number(this.below(BigInt(n)));
    }

    /** Fisher-Yates shuffle, in place. */
    shuffle<T>(items: T[]): T[] {
        for (let i = items.length - 1; i > 0; i--) {
            const j = this.int(i + 1);
            [items[i], items[j]] = [items[j], items[i]];
        }
        return items;
    }
}

/** The label that ties a random draw to one resource and one purpose. */
export function resourceLabel(type: string, name: string, purpose: string): string {
    return `${type}\u0000${name}\u0000${purpose}`;
}

/** A stream for one resource and purpose, seeded from ctx.seed when it is set. */
export function seededStream(ctx: MockContext, label: string): ByteStream {
    return new ByteStream(ctx.seed, label);
}

/** n bytes for the label: crypto-random when ctx.seed is undefined, else derived from HMAC(seed, label||counter). */
export function seededBytes(ctx: MockContext, label: string, n: number): Buffer {
    return seededStream(ctx, label).bytes(n);
}
