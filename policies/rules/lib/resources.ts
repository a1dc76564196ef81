/**
 * Type tokens, tag keys and tolerant accessors for resource properties.
 *
 * Policies read plain JSON (plan.json inputs offline, engine outputs live), so
 * every accessor accepts `unknown` and never throws: a hand-edited plan with
 * odd shapes must produce violations, not crashes.
 */

export type Props = Record<string, unknown>;

/** How the offline render writes a secret value; it must never trip a check. */
export const SECRET = "[secret]";

/** Pulumi type tokens (@pulumi/aws 7.x, @pulumi/tls 5.x), so policies need no provider SDK at runtime. */
export const T = {
    stack: "pulumi:pulumi:Stack",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    instance: "aws:ec2/instance:Instance",
    volume: "aws:ebs/volume:Volume",
    networkInterface: "aws:ec2/networkInterface:NetworkInterface",
    subnet: "aws:ec2/subnet:Subnet",
    ec2Tag: "aws:ec2/tag:Tag",
    asg: "aws:autoscaling/group:Group",
    asgTag: "aws:autoscaling/tag:Tag",
    sgIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    sgRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    lbListener: "aws:lb/listener:Listener",
    albListener: "aws:alb/listener:Listener",
    lbTargetGroup: "aws:lb/targetGroup:TargetGroup",
    albTargetGroup: "aws:alb/targetGroup:TargetGroup",
    lb: "aws:lb/loadBalancer:LoadBalancer",
    alb: "aws:alb/loadBalancer:LoadBalancer",
    elb: "aws:elb/loadBalancer:LoadBalancer",
    tlsPrivateKey: "tls:index/privateKey:PrivateKey",
    tlsSelfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
    tlsLocallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
} as const;

/** Tag keys; they must match lib/naming.ts (copied, since the pack is built and shipped on its own). */
export const TAG = {
    clusterPrefix: "kubernetes.io/cluster/",
    legacyCluster: "KubernetesCluster",
    controlPlane: "k8s.io/role/control-plane",
    etcd: "k8s.io/role/etcd",
    node: "k8s.io/role/node",
    slot: "k8s.io/slot",
    pool: "k8s.io/pool",
} as const;

export function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
    return typeof v === "string" ? v : undefined;
}

/** Numbers may arrive as strings from hand-edited plans or string-typed SDK fields. */
export function num(v: unknown): number | undefined {
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
    return undefined;
}

/** Booleans may be strings: the SDK types launch-template `ebs.encrypted` as "true"/"false". */
export function bool(v: unknown): boolean | undefined {
    if (typeof v === "boolean") return v;
    if (v === "true") return true;
    if (v === "false") return false;
    return undefined;
}

export function arr(v: unknown): unknown[] {
    return Array.isArray(v) ? v : [];
}

export function records(v: unknown): Record<string, unknown>[] {
    return arr(v).filter(isRecord);
}

export function strings(v: unknown): string[] {
    if (typeof v === "string") return [v];
    return arr(v).filter((x): x is string => typeof x === "string");
}

/** A tag map (`{k: v}`) or an autoscaling-style list (`[{key, value}]`) as a plain map. */
export function tagMap(v: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    if (isRecord(v)) {
        for (const [k, val] of Object.entries(v)) if (typeof val === "string") out[k] = val;
    } else {
        for (const t of records(v)) if (typeof t.key === "string" && typeof t.value === "string") out[t.key] = t.value;
    }
    return out;
}

/** Every tag a resource declares: `tags`, `tagsAll` and launch-template `tagSpecifications`. */
export function tagsOf(props: Props): Record<string, string> {
    const out = { ...tagMap(props.tagsAll), ...tagMap(props.tags) };
    for (const spec of records(props.tagSpecifications)) Object.assign(out, tagMap(spec.tags));
    return out;
}

/** Role tags are "1" by convention; anything but an explicit "0"/"false" counts, so a typo cannot hide a role. */
export function hasTag(tags: Record<string, string>, key: string): boolean {
    const v = tags[key];
    return v !== undefined && v !== "0" && v.toLowerCase() !== "false";
}

/** Path-safe lookup: `get(props, "metadataOptions", "httpTokens")`. */
export function get(v: unknown, ...path: (string | number)[]): unknown {
    let cur = v;
    for (const p of path) {
        if (typeof p === "number") cur = Array.isArray(cur) ? cur[p] : undefined;
        else cur = isRecord(cur) ? cur[p] : undefined;
    }
    return cur;
}

/** Every string leaf of a value, with its path, for scanning outputs and tags. */
export function stringLeaves(v: unknown, path = ""): { path: string; value: string }[] {
    if (typeof v === "string") return [{ path, value: v }];
    if (Array.isArray(v)) return v.flatMap((x, i) => stringLeaves(x, `${path}[${i}]`));
    if (isRecord(v)) return Object.entries(v).flatMap(([k, x]) => stringLeaves(x, path ? `${path}.${k}` : k));
    return [];
}
