/**
 * Buckets that hold secrets or backups (the PKI, etcd snapshots, state):
 * owned by the account with ACLs disabled, fully blocked from public access,
 * encrypted with KMS, versioned, and never granted to everyone. Each setting
 * is a separate resource in the AWS provider, so these are stack policies that
 * judge a bucket with all its configuration resources; a missing one is a
 * violation, since S3's defaults are what these policies exist to override.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { str, bool, get, records, Props } from "./lib/resources";
import { sensitiveBuckets, sensitiveBucketSchema, policyDocuments, BucketView } from "./lib/buckets";
import { statements, allowsEveryone } from "./lib/iam";
import { withDefaults } from "./lib/config";

/** One bucket policy: a check that returns the problems of one bucket. */
function bucketPolicy(name: string, description: string, remediationSteps: string, check: (b: BucketView) => string[]): StackValidationPolicy {
    return {
        name,
        description,
        remediationSteps,
        enforcementLevel: "mandatory",
        configSchema: sensitiveBucketSchema,
        validateStack: (args, report) => {
            const { sensitiveBucketPattern } = withDefaults<{ sensitiveBucketPattern: string }>(sensitiveBucketSchema, args.getConfig());
            for (const b of sensitiveBuckets(args.resources, sensitiveBucketPattern)) {
                for (const problem of check(b)) report(`bucket ${b.name}: ${problem}`, b.urn);
            }
        },
    };
}

const PUBLIC_GRANTEES = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;

/** An ACL resource that keeps the bucket private: the canned "private" ACL and no grant to a public group. */
function privateAcl(acl: Props): boolean {
    const grants = records(get(acl, "accessControlPolicy", "grants"));
    const publicGrant = grants.some((g) => PUBLIC_GRANTEES.test(str(get(g, "grantee", "uri")) ?? ""));
    return !publicGrant && (str(acl.acl) === "private" || (str(acl.acl) === undefined && grants.length > 0));
}

export const bucketOwnershipEnforced = bucketPolicy(
    "secrets-bucket-ownership-enforced",
    "Buckets holding secrets or backups disable ACLs (object ownership BucketOwnerEnforced), or keep a private ACL.",
    'Add aws.s3.BucketOwnershipControls with rule.objectOwnership "BucketOwnerEnforced".',
    (b) => {
        const out: string[] = [];
        const inline = str(b.props.acl);
        if (inline !== undefined && inline !== "private") out.push(`its acl is "${inline}"`);
        const ownership = b.subs.ownership.map((o) => str(get(o, "rule", "objectOwnership")));
        if (ownership.includes("BucketOwnerEnforced")) return out;
        const privateAcls = b.subs.acl.length > 0 && b.subs.acl.every(privateAcl);
        if (!privateAcls && inline !== "private") {
            out.push(ownership.length === 0 ? "no BucketOwnershipControls (BucketOwnerEnforced) and no private ACL" : `object ownership is ${ownership.join(", ")}, not BucketOwnerEnforced, and its ACL is not private`);
        }
        return out;
    },
);

const BLOCKS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

export const bucketPublicAccessBlocked = bucketPolicy(
    "secrets-bucket-public-access-block",
    "Buckets holding secrets or backups have a public access block with all four settings on.",
    "Add aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.",
    (b) => {
        if (b.subs.publicAccessBlock.length === 0) return ["no BucketPublicAccessBlock"];
        const off = BLOCKS.filter((k) => !b.subs.publicAccessBlock.some((p) => bool(p[k]) === true));
        return off.length > 0 ? [`public access block leaves ${off.join(", ")} off`] : [];
    },
);

const KMS_ALGORITHMS = ["aws:kms", "aws:kms:dsse"];

export const bucketSseKms = bucketPolicy(
    "secrets-bucket-sse-kms",
    "Buckets holding secrets or backups encrypt by default with KMS (aws:kms or aws:kms:dsse), so reading needs kms:Decrypt too.",
    'Add aws.s3.BucketServerSideEncryptionConfiguration with rules[0].applyServerSideEncryptionByDefault.sseAlgorithm "aws:kms" (and a kmsMasterKeyId, bucketKeyEnabled: true).',
    (b) => {
        if (b.subs.encryption.length === 0) return ["no BucketServerSideEncryptionConfiguration"];
        const algorithms = b.subs.encryption.flatMap((e) => records(e.rules).map((r) => str(get(r, "applyServerSideEncryptionByDefault", "sseAlgorithm")) ?? "(none)"));
        if (algorithms.length === 0) return ["encryption configuration has no default rule"];
        const weak = algorithms.filter((a) => !KMS_ALGORITHMS.includes(a));
        return weak.length > 0 ? [`default encryption is ${weak.join(", ")}, not aws:kms or aws:kms:dsse`] : [];
    },
);

export const bucketVersioned = bucketPolicy(
    "secrets-bucket-versioning",
    "Buckets holding secrets or backups have versioning Enabled, so an overwritten or deleted key or snapshot can be recovered.",
    'Add aws.s3.BucketVersioning with versioningConfiguration.status "Enabled".',
    (b) => {
        if (b.subs.versioning.length === 0) return ["no BucketVersioning"];
        const statuses = b.subs.versioning.map((v) => str(get(v, "versioningConfiguration", "status")) ?? "(unset)");
        return statuses.every((s) => s === "Enabled") ? [] : [`versioning is ${statuses.join(", ")}, not Enabled`];
    },
);

export const bucketNoPublicPolicy = bucketPolicy(
    "secrets-bucket-no-public-policy",
    "No bucket policy statement on a bucket holding secrets or backups Allows principal \"*\" (or uses NotPrincipal with Allow); Deny statements for \"*\" are fine.",
    "Grant access to the instance roles' ARNs (or the account) instead of \"*\".",
    (b) => {
        const out: string[] = [];
        for (const doc of policyDocuments(b)) {
            const st = statements(doc);
            if (st === undefined) out.push("its bucket policy is not a valid policy document");
            else if (st.some(allowsEveryone)) out.push('its bucket policy Allows principal "*"');
        }
        return out;
    },
);

export const bucketPolicies = [bucketOwnershipEnforced, bucketPublicAccessBlocked, bucketSseKms, bucketVersioned, bucketNoPublicPolicy];
