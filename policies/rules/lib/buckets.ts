/**
 * S3 buckets with their separate configuration resources (ownership
 * controls, public access block, encryption, versioning, policy, ACL), which
 * reference the bucket by name. Stack policies use this to judge a bucket as
 * a whole: a setting that is missing is as much a finding as a wrong one.
 */
import type { PolicyResource, PolicyConfigSchema } from "@pulumi/policy";
import { Props, str, isRecord, SECRET } from "./resources";
import { keyMaterialIn } from "./keymaterial";

export const BUCKET_TYPES = new Set(["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]);

const SUB_TYPES = {
    ownership: ["aws:s3/bucketOwnershipControls:BucketOwnershipControls"],
    publicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
    encryption: [
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    ],
    versioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
    policy: ["aws:s3/bucketPolicy:BucketPolicy"],
    acl: ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"],
    objects: ["aws:s3/bucketObject:BucketObject", "aws:s3/bucketObjectv2:BucketObjectv2"],
} as const;

export const BUCKET_POLICY_TYPES: readonly string[] = SUB_TYPES.policy;
export const BUCKET_ACL_TYPES: readonly string[] = SUB_TYPES.acl;

export type SubKind = keyof typeof SUB_TYPES;

export interface BucketView {
    readonly urn: string;
    /** The physical name when known, else the logical name. */
    readonly name: string;
    readonly logicalName: string;
    readonly props: Props;
    /** Each configuration resource that belongs to the bucket, by kind. */
    readonly subs: Record<SubKind, Props[]>;
}

/** The config every bucket policy shares: which buckets hold secrets or backups. */
export const sensitiveBucketSchema: PolicyConfigSchema = {
    properties: {
        sensitiveBucketPattern: {
            type: "string",
            default: "secret|pki|backup|etcd|state",
            description:
                "Case-insensitive regular expression; a bucket whose logical name, bucket or bucketPrefix matches holds secrets or backups " +
                "(as does any bucket the stack writes an object to whose key matches, or whose content is secret or key material).",
        },
    },
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Whether a configuration resource's `bucket` value names this bucket: its
 * physical name (`bucket` or, live, `id`), the name Pulumi auto-names it
 * (`<logical>-<7 hex>`), its bucketPrefix, or the bucket being its parent.
 */
function belongsTo(bucket: PolicyResource, sub: PolicyResource): boolean {
    const ref = str(sub.props.bucket);
    if (sub.parent?.urn === bucket.urn) return true;
    if (ref === undefined) return false;
    const physical = str(bucket.props.bucket) ?? str(bucket.props.id);
    if (physical !== undefined) return ref === physical;
    const prefix = str(bucket.props.bucketPrefix);
    if (prefix !== undefined) return ref.startsWith(prefix);
    return new RegExp(`^${escape(bucket.name.toLowerCase())}-[0-9a-f]{7}$`).test(ref);
}

/** Object keys that name key material or credentials whatever the bucket pattern says (kubeadm's and our layout's file names). */
const SECRET_OBJECT_KEY = /(\.key|-key\.pem|\.kubeconfig|\/admin\.conf|^admin\.conf|bootstrap-token)$/i;

/** An object that holds secrets: its key names one, or its content is a Pulumi secret or key material. */
function holdsSecret(object: Props, re: RegExp): boolean {
    const key = str(object.key);
    const content = str(object.content);
    return (key !== undefined && (re.test(key) || SECRET_OBJECT_KEY.test(key))) || content === SECRET || (content !== undefined && keyMaterialIn(content).length > 0);
}

/** Whether a bucket holds secrets or backups: by its names, or by what the stack puts in it (whoever names it what). */
export function isSensitive(b: BucketView, pattern: string): boolean {
    const re = new RegExp(pattern, "i");
    if ([b.logicalName, str(b.props.bucket), str(b.props.bucketPrefix)].some((n) => n !== undefined && re.test(n))) return true;
    return b.subs.objects.some((o) => holdsSecret(o, re));
}

/** Every bucket in the stack, with its configuration resources: the policies that guard against exposure judge them all. */
export function allBuckets(resources: PolicyResource[]): BucketView[] {
    return resources
        .filter((r) => BUCKET_TYPES.has(r.type))
        .map((b) => {
            const subs = {} as Record<SubKind, Props[]>;
            for (const [kind, types] of Object.entries(SUB_TYPES) as [SubKind, readonly string[]][]) {
                subs[kind] = resources.filter((r) => types.includes(r.type) && belongsTo(b, r)).map((r) => r.props);
            }
            return { urn: b.urn, name: str(b.props.bucket) ?? b.name, logicalName: b.name, props: b.props, subs };
        });
}

/** Every bucket that holds secrets or backups (isSensitive), with its configuration resources. */
export function sensitiveBuckets(resources: PolicyResource[], pattern: string): BucketView[] {
    return allBuckets(resources).filter((b) => isSensitive(b, pattern));
}

/** Bucket policy documents that apply to a bucket: BucketPolicy resources and the bucket's own `policy`. */
export function policyDocuments(b: BucketView): unknown[] {
    const docs: unknown[] = b.subs.policy.map((p) => p.policy);
    if (b.props.policy !== undefined && (typeof b.props.policy === "string" || isRecord(b.props.policy))) docs.push(b.props.policy);
    return docs;
}
