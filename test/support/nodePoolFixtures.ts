/**
 * Shared fixtures for the node-pool specs: a happy-path pool each test
 * changes in one place, the stacks' configurations, a run of the network
 * and the pools under the mocks, and readers for what a pool renders.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { parse } from "yaml";
import { ClusterConfig, NodePoolConfig, resolveZones, validateClusterConfig } from "../../config";
import { nodePoolSchema } from "../../config/schema";
import { zonesOf } from "../../config/regions";
import { Network } from "../../components/network";
import { NodePool } from "../../components/nodepools";
import { nodePoolComponentName } from "../../lib/naming";
import { readStackFile } from "../../tools/offline/stackFile";
import { runPolicies, PolicyReport } from "../../policies/offline";
import { RecordedResource, runComponents } from "./harness";
import { decodeUserData } from "./userData";

export const T = {
    lt: "aws:ec2/launchTemplate:LaunchTemplate",
    asg: "aws:autoscaling/group:Group",
    subnet: "aws:ec2/subnet:Subnet",
    pool: "k8s-aws:nodepools:NodePool",
} as const;

export const API_ENDPOINT = "api.demo.k8s.example.com:6443";
export const BUCKET = "demo-secrets-0a1b2c3d4e5f60718293a4b5c6";
export const SECURITY_GROUP = "sg-0123456789abcdef0";
export const INSTANCE_PROFILE_ARN = "arn:aws:iam::123456789012:instance-profile/k8s-aws/demo/demo-node";
/** A pinned discovery hash (any sha256 hex has kubeadm's shape). */
export const CA_HASH = `sha256:${createHash("sha256").update("k8s-aws fixture CA").digest("hex")}`;

/** A valid pool (schema defaults applied), changed in one place per test. */
export function poolConfig(overrides: Partial<NodePoolConfig> = {}): NodePoolConfig {
    return nodePoolSchema.parse({ name: "general", instanceTypes: ["m7i.large"], min: 3, desired: 3, max: 6, ...overrides });
}

/** A stack's validated configuration, with zones resolved against the region's known zones. */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): ClusterConfig {
    const file = readStackFile(stack);
    const cluster = { ...(JSON.parse(file.config["k8s-aws:cluster"]) as Record<string, unknown>), ...overrides };
    const region = file.config["aws:region"];
    return resolveZones(validateClusterConfig({ cluster, region }), zonesOf(region));
}

export interface PoolRunOptions {
    /** Wraps the arguments of every pool (for secret/unknown-input tests). */
    readonly apiEndpoint?: pulumi.Input<string>;
    readonly caCertHash?: pulumi.Input<string>;
}

/**
 * The network and every configured pool, under the mocks, wired as the
 * cluster wires them. Also records each registration's ignoreChanges (the
 * harness records inputs only).
 */
export async function buildPools(config: ClusterConfig, o: PoolRunOptions = {}) {
    const ignoreChanges = new Map<string, string[]>();
    const run = await runComponents(
        () => {
            const monitor = pulumi.runtime.getMonitor() as any;
            const register = monitor.registerResource.bind(monitor);
            monitor.registerResource = (req: any, callback: unknown) => {
                ignoreChanges.set(req.getName(), req.getIgnorechangesList());
                return register(req, callback);
            };
            const network = new Network(`${config.name}-network`, { clusterName: config.name, zones: config.zones, network: config.network, tags: config.tags });
            const pools = config.nodePools.map(
                (pool) =>
                    new NodePool(nodePoolComponentName(config.name, pool.name), {
                        clusterName: config.name,
                        region: config.region,
                        pool,
                        kubernetes: config.kubernetes,
                        subnetIds: network.instanceSubnetIds,
                        associatePublicIp: network.instancesNeedPublicIp,
                        securityGroupId: SECURITY_GROUP,
                        instanceProfileArn: INSTANCE_PROFILE_ARN,
                        secretsBucketName: BUCKET,
                        apiEndpoint: o.apiEndpoint ?? API_ENDPOINT,
                        caCertHash: o.caCertHash ?? CA_HASH,
                        tags: config.tags,
                    }),
            );
            return { network, groupNames: pools.map((p) => p.groupName) };
        },
        { region: config.region },
    );
    return Object.assign(run, { ignoreChanges });
}

/** The one resource of a type under a pool's component. */
export function ofPool(run: { resources: RecordedResource[] }, type: string, cluster: string, pool: string): RecordedResource {
    const name = `${nodePoolComponentName(cluster, pool)}-${type === T.lt ? "lt" : "asg"}`;
    const found = run.resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    return found[0];
}

/** An ASG's tags as a map, and which of them propagate to instances. */
export function groupTags(asg: RecordedResource): { tags: Record<string, string>; propagated: Set<string> } {
    const list = asg.inputs.tags as { key: string; value: string; propagateAtLaunch: boolean }[];
    return { tags: Object.fromEntries(list.map((t) => [t.key, t.value])), propagated: new Set(list.filter((t) => t.propagateAtLaunch).map((t) => t.key)) };
}

export interface CloudConfig {
    readonly write_files: { path: string; owner: string; permissions: string; content: string }[];
    readonly runcmd: string[][];
}

/** User data as the instance gets it (support/userData.ts: base64, gunzip as cloud-init does), and its parsed cloud-config document. */
export function cloudConfigOf(userData: unknown): { text: string; doc: CloudConfig } {
    const text = decodeUserData(userData);
    return { text, doc: parse(text) as CloudConfig };
}

export function fileIn(doc: CloudConfig, path: string): string {
    const f = doc.write_files.find((w) => w.path === path);
    if (!f) throw new Error(`cloud-config writes no ${path} (has: ${doc.write_files.map((w) => w.path).join(", ")})`);
    return f.content;
}

/** The policy pack over what a run registered, as `npm run policy` runs it over plan.json. */
export function policyReport(run: { resources: RecordedResource[] }, config: object = {}): PolicyReport {
    const resources = run.resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent,
        custom: r.custom,
        id: r.id,
        inputs: JSON.parse(JSON.stringify(r.inputs)) as Record<string, unknown>,
    }));
    return runPolicies({ project: "k8s-aws", stack: "test", resources, outputs: {} }, config);
}

/**
 * KNOWN FALSE POSITIVE, not of the pools' making: node setup
 * (components/host/nodeSetup.ts, shared by every role) assigns the
 * shell variable `ETCD_VERSION=` (empty on nodes), and the pack's etcd reader
 * (policies/rules/lib/etcd.ts envSettings) takes any `ETCD_*=` line in any
 * written file for etcd's environment. It then sees an etcd member on every
 * machine: etcd-tls-client-auth complains about its settings and
 * user-data-secrets-on-tmpfs wants /etc/etcd/pki. Tolerated (present or not)
 * until either file is fixed; every other violation still fails the specs.
 */
export function isNodeSetupEtcdFalsePositive(v: { policy: string; message: string }): boolean {
    return (
        (v.policy === "etcd-tls-client-auth" && v.message.startsWith("etcd (ETCD_* environment): ")) ||
        (v.policy === "user-data-secrets-on-tmpfs" && v.message === "never mounts a tmpfs on /etc/etcd/pki")
    );
}
