/**
 * Small helpers shared by the script and unit renderers: POSIX shell quoting,
 * input validation (every value a script embeds is checked here, so a bad
 * value fails the render rather than the boot), and systemd unit text. The
 * scripts themselves are the *.sh files beside this module (script.ts).
 */

/** A POSIX shell single-quoted literal: safe for any string. */
export function shq(value: string): string {
    return `'${value.replace(/'/g, `'"'"'`)}'`;
}

const CHECKS = {
    /** RFC 1123 label (cluster and slot names). */
    label: /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    region: /^[a-z]{2}(-[a-z]+)+-\d$/,
    absPath: /^\/[A-Za-z0-9._/-]*$/,
    ipv4: /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/,
    /** A DNS name, no trailing dot. */
    dns: /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/,
    /** S3 bucket name. */
    bucket: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    /** An S3 key prefix or key: no leading slash, no "..". */
    s3Key: /^(?!\/)(?!.*\.\.)[A-Za-z0-9!_.*'()/-]+$/,
    /** A KMS key id, alias or ARN. */
    kmsKey: /^[A-Za-z0-9:/_-]+$/,
    /** A systemd unit name. */
    unit: /^[A-Za-z0-9:_.@-]+\.(service|target|mount|socket|timer)$/,
    /** EBS device name as given to AttachVolume. */
    device: /^\/dev\/(sd[f-p]|xvd[f-p])$/,
} as const;

export type CheckKind = keyof typeof CHECKS;

/** Throws a descriptive error unless `value` is of the given kind; returns it. */
export function check(kind: CheckKind, what: string, value: string): string {
    if (!CHECKS[kind].test(value)) throw new Error(`${what}: ${JSON.stringify(value)} is not a valid ${kind}`);
    return value;
}

export function checkPort(what: string, port: number): number {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${what}: ${port} is not a TCP port`);
    return port;
}

export function checkPositiveInt(what: string, n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${what}: ${n} is not a positive integer`);
    return n;
}

export type UnitSection = ReadonlyArray<readonly [string, string | number | boolean | undefined]>;

/** systemd unit text from sections of key/value pairs; undefined values are left out. */
export function renderUnit(sections: Readonly<Record<string, UnitSection>>): string {
    return (
        Object.entries(sections)
            .map(([name, entries]) => {
                const lines = entries.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${typeof v === "boolean" ? (v ? "yes" : "no") : v}`);
                return [`[${name}]`, ...lines].join("\n");
            })
            .join("\n\n") + "\n"
    );
}
