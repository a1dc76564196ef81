/**
 * Happy-path fixtures: a compliant cluster as resource properties. Each test
 * changes one field of one of these and expects exactly that to be reported.
 */
import { stringify } from "yaml";
import { Res } from "./helper";

export const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** The fetch script: a private tmpfs on each secrets directory, then the secrets from S3. */
export function fetchScript(prefix = "control-plane", mountOptions = "size=16m,mode=0700"): string {
    return [
        "#!/bin/bash",
        "set -euo pipefail",
        "BUCKET=prod-secrets-0a1b2c3",
        "for dir in /etc/kubernetes/pki /etc/etcd/pki; do",
        '  mkdir -p "$dir"',
        `  mountpoint -q "$dir" || mount -t tmpfs -o ${mountOptions} tmpfs "$dir"`,
        "done",
        `aws s3 cp --recursive "s3://$BUCKET/${prefix}/" /etc/kubernetes/pki/`,
        "",
    ].join("\n");
}

export const FETCH = "/usr/local/sbin/k8s-aws-fetch-secrets";

export interface File {
    path: string;
    content: string;
    permissions?: string;
    encoding?: string;
}

export function cloudConfig(files: File[], runcmd: (string | string[])[], extra: Record<string, unknown> = {}): string {
    return `#cloud-config\n${stringify({ ...extra, write_files: files, runcmd })}`;
}

/** kubeadm's ClusterConfiguration for stacked etcd (v1beta4: extraArgs are name/value lists). */
export const CLUSTER_CONFIGURATION = {
    apiVersion: "kubeadm.k8s.io/v1beta4",
    kind: "ClusterConfiguration",
    kubernetesVersion: "v1.33.4",
    controlPlaneEndpoint: "api.prod.example.com:6443",
    etcd: { local: { dataDir: "/var/lib/etcd", extraArgs: [{ name: "listen-metrics-urls", value: "http://127.0.0.1:2381" }] } },
};

export function controlPlaneCloudConfig(clusterConfiguration: object = CLUSTER_CONFIGURATION): string {
    return cloudConfig(
        [
            { path: FETCH, permissions: "0700", content: fetchScript() },
            { path: "/etc/kubernetes/kubeadm.yaml", content: stringify(clusterConfiguration) },
        ],
        [[FETCH], "kubeadm init --config /etc/kubernetes/kubeadm.yaml --upload-certs"],
    );
}

/** An external etcd member's config file (etcd --config-file format). */
export const ETCD_CONFIG = {
    name: "etcd-a",
    "data-dir": "/var/lib/etcd",
    "listen-client-urls": "https://0.0.0.0:2379",
    "advertise-client-urls": "https://10.0.1.10:2379",
    "listen-peer-urls": "https://0.0.0.0:2380",
    "initial-advertise-peer-urls": "https://10.0.1.10:2380",
    "initial-cluster": "etcd-a=https://10.0.1.10:2380,etcd-b=https://10.0.2.10:2380,etcd-c=https://10.0.3.10:2380",
    "client-transport-security": {
        "cert-file": "/etc/etcd/pki/server.crt",
        "key-file": "/etc/etcd/pki/server.key",
        "trusted-ca-file": "/etc/etcd/pki/ca.crt",
        "client-cert-auth": true,
        "auto-tls": false,
    },
    "peer-transport-security": {
        "cert-file": "/etc/etcd/pki/peer.crt",
        "key-file": "/etc/etcd/pki/peer.key",
        "trusted-ca-file": "/etc/etcd/pki/ca.crt",
        "client-cert-auth": true,
        "auto-tls": false,
    },
};

export const ETCD_UNIT = "[Unit]\nDescription=etcd\n[Service]\nExecStart=/usr/local/bin/etcd --config-file /etc/etcd/etcd.yaml\nRestart=always\n";

export function etcdCloudConfig(config: object = ETCD_CONFIG, unit = ETCD_UNIT): string {
    return cloudConfig(
        [
            { path: FETCH, permissions: "0700", content: fetchScript("etcd").replace("/etc/kubernetes/pki/\n", "/etc/etcd/pki/\n") },
            { path: "/etc/etcd/etcd.yaml", content: stringify(config) },
            { path: "/etc/systemd/system/etcd.service", content: unit },
        ],
        [[FETCH], "systemctl daemon-reload", "systemctl enable --now etcd"],
    );
}

const LT = "aws:ec2/launchTemplate:LaunchTemplate";

/** A compliant launch template; `userData` is base64 of cloud-config, as the SDK takes it. */
export function launchTemplate(userData = b64(controlPlaneCloudConfig()), role = "k8s.io/role/control-plane"): Record<string, unknown> {
    const tags = { "kubernetes.io/cluster/prod": "owned", KubernetesCluster: "prod", [role]: "1" };
    return {
        imageId: "ami-0123456789abcdef0",
        userData,
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
        blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeSize: 50, volumeType: "gp3" } }],
        tags,
        tagSpecifications: [{ resourceType: "instance", tags }],
    };
}

export const launchTemplateRes = (props = launchTemplate()): Res => ({ type: LT, props, name: "prod-cp-a" });

// ---- buckets ----

export type BucketPart = "ownership" | "publicAccessBlock" | "encryption" | "versioning" | "policy";

export const DENY_INSECURE = {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: ["arn:aws:s3:::prod-secrets-0a1b2c3", "arn:aws:s3:::prod-secrets-0a1b2c3/*"],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
};

export const ROLE_READ = {
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::123456789012:role/prod-control-plane" },
    Action: "s3:GetObject",
    Resource: "arn:aws:s3:::prod-secrets-0a1b2c3/control-plane/*",
};

export const BUCKET_PARTS: Record<BucketPart, Res> = {
    ownership: { type: "aws:s3/bucketOwnershipControls:BucketOwnershipControls", props: { bucket: "prod-secrets-0a1b2c3", rule: { objectOwnership: "BucketOwnerEnforced" } } },
    publicAccessBlock: {
        type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        props: { bucket: "prod-secrets-0a1b2c3", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    },
    encryption: {
        type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        props: {
            bucket: "prod-secrets-0a1b2c3",
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:eu-west-1:123456789012:key/1" }, bucketKeyEnabled: true }],
        },
    },
    versioning: { type: "aws:s3/bucketVersioning:BucketVersioning", props: { bucket: "prod-secrets-0a1b2c3", versioningConfiguration: { status: "Enabled" } } },
    policy: { type: "aws:s3/bucketPolicy:BucketPolicy", props: { bucket: "prod-secrets-0a1b2c3", policy: JSON.stringify({ Version: "2012-10-17", Statement: [DENY_INSECURE, ROLE_READ] }) } },
};

/**
 * The secrets bucket with its configuration resources. The bucket is auto-named
 * (no `bucket` input), so the parts reference `<logical name>-<7 hex>` as in a render.
 */
export function secretsBucket(change: Partial<Record<BucketPart, Record<string, unknown> | null>> = {}): Res[] {
    const parts = (Object.keys(BUCKET_PARTS) as BucketPart[])
        .filter((k) => change[k] !== null)
        .map((k) => ({ ...BUCKET_PARTS[k], props: change[k] ?? BUCKET_PARTS[k].props, name: `prod-secrets-${k}` }));
    return [{ type: "aws:s3/bucket:Bucket", props: { forceDestroy: false }, name: "prod-secrets" }, ...parts];
}

// ---- cluster layout ----

export const ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
const clusterTags = { "kubernetes.io/cluster/prod": "owned", KubernetesCluster: "prod" };
export const subnetId = (zone: string) => `subnet-0000000000000000${zone.slice(-1)}`;

/** Three private subnets, three control-plane slots (group, etcd volume, interface each), one node pool. */
export function clusterStack(): Res[] {
    const subnets: Res[] = ZONES.map((z) => ({
        type: "aws:ec2/subnet:Subnet",
        name: `prod-private-${z}`,
        id: subnetId(z),
        props: { vpcId: "vpc-1", availabilityZone: z, cidrBlock: "10.0.0.0/20", tags: { ...clusterTags, Name: `prod-private-${z}` } },
    }));
    const slots = ZONES.flatMap((z, i): Res[] => {
        const slotTags = { ...clusterTags, "k8s.io/role/control-plane": "1", "k8s.io/slot": `cp-${i}` };
        return [
            {
                type: "aws:autoscaling/group:Group",
                name: `prod-cp-${i}`,
                props: { minSize: 1, maxSize: 1, vpcZoneIdentifiers: [subnetId(z)], tags: Object.entries(slotTags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })) },
            },
            { type: "aws:ebs/volume:Volume", name: `prod-cp-${i}-etcd`, props: { availabilityZone: z, size: 20, type: "gp3", encrypted: true, tags: slotTags } },
            { type: "aws:ec2/networkInterface:NetworkInterface", name: `prod-cp-${i}-eni`, props: { subnetId: subnetId(z), privateIps: [`10.0.${i}.10`], tags: slotTags } },
        ];
    });
    const poolTags = { ...clusterTags, "k8s.io/role/node": "1", "k8s.io/pool": "general" };
    const pool: Res = {
        type: "aws:autoscaling/group:Group",
        name: "prod-general",
        props: { minSize: 2, maxSize: 6, vpcZoneIdentifiers: ZONES.map(subnetId), tags: Object.entries(poolTags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })) },
    };
    return [...subnets, ...slots, pool];
}

/** The stack with one resource's props replaced (by logical name). */
export function changed(resources: Res[], name: string, change: (props: Record<string, unknown>) => Record<string, unknown>): Res[] {
    if (!resources.some((r) => r.name === name)) throw new Error(`fixture has no resource ${name}`);
    return resources.map((r) => (r.name === name ? { ...r, props: change(r.props) } : r));
}

export const without = (resources: Res[], name: string): Res[] => resources.filter((r) => r.name !== name);
