/**
 * S3 buckets. Exposure is judged on every bucket in the stack, whoever made it
 * and whatever it is called: ACLs disabled (or private), all four public access
 * blocks on, and no bucket policy or ACL granting everyone, checked on every
 * BucketPolicy and BucketAcl resource on its own, even for a bucket created
 * elsewhere. What protects contents is judged on buckets that hold secrets or
 * backups (by name or by the objects the stack writes to them): KMS encryption
 * and versioning. Each setting is a separate resource in the AWS provider, so
 * these are stack policies that see a bucket with all its configuration
 * resources; a missing one is a violation, since S3's defaults are what these
 * policies exist to override.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { str, bool, get, records, Props } from "./lib/resources";
import { allBuckets, sensitiveBuckets, sensitiveBucketSchema, BucketView, BUCKET_POLICY_TYPES, BUCKET_ACL_TYPES } from "./lib/buckets";
import { statements, allowsEveryone } from "./lib/iam";
import { withDefaults } from "./lib/config";

type Finding = { message: string; urn: string };

/** One bucket policy: a check that returns the problems of one bucket, over every bucket or only those holding secrets. */
function bucketPolicy(
    name: string,
    description: string,
    remediationSteps: string,
    scope: "every bucket" | "sensitive buckets",
    check: (b: BucketView) => string[],
    standalone: (resources: PolicyResource[]) => Finding[] = () => [],
): StackValidationPolicy {
    const judge = (buckets: BucketView[], resources: PolicyResource[], report: (m: string, urn: string) => void) => {
        for (const b of buckets) for (const problem of check(b)) report(`bucket ${b.name}: ${problem}`, b.urn);
        for (const f of standalone(resources)) report(f.message, f.urn);
    };
    if (scope === "every bucket") {
        return { name, description, remediationSteps, enforcementLevel: "mandatory", validateStack: (args, report) => judge(allBuckets(args.resources), args.resources, report) };
    }
    return {
        name,
        description,
        remediationSteps,
        enforcementLevel: "mandatory",
        configSchema: sensitiveBucketSchema,
        validateStack: (args, report) => {
            const { sensitiveBucketPattern } = withDefaults<{ sensitiveBucketPattern: string }>(sensitiveBucketSchema, args.getConfig());
            judge(sensitiveBuckets(args.resources, sensitiveBucketPattern), args.resources, report);
        },
    };
}

const PUBLIC_GRANTEES = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;
/** Canned ACLs that grant AllUsers or AuthenticatedUsers (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl). */
const PUBLIC_CANNED = ["public-read", "public-read-write", "authenticated-read"];

function publicGrants(acl: Props): string[] {
    const out: string[] = [];
    const canned = str(acl.acl);
    if (canned !== undefined && PUBLIC_CANNED.includes(canned)) out.push(`the canned ACL "${canned}"`);
    for (const g of records(get(acl, "accessControlPolicy", "grants"))) {
        const uri = str(get(g, "grantee", "uri")) ?? "";
        if (PUBLIC_GRANTEES.test(uri)) out.push(`${str(g.permission) ?? "a grant"} to ${uri.split("/").pop()}`);
    }
    return out;
}

/** An ACL resource that keeps the bucket private: the canned "private" ACL and no grant to a public group. */
function privateAcl(acl: Props): boolean {
    const grants = records(get(acl, "accessControlPolicy", "grants"));
    return publicGrants(acl).length === 0 && (str(acl.acl) === "private" || (str(acl.acl) === undefined && grants.length > 0));
}

const bucketRef = (r: PolicyResource) => str(r.props.bucket) ?? "(unknown bucket)";

export const bucketOwnershipEnforced = bucketPolicy(
    "secrets-bucket-ownership-enforced",
    "Every bucket disables ACLs (object ownership BucketOwnerEnforced) or keeps a private ACL, and no bucket ACL in the stack grants AllUsers or AuthenticatedUsers.",
    'Add aws.s3.BucketOwnershipControls with rule.objectOwnership "BucketOwnerEnforced"; remove public grants and canned ACLs.',
    "every bucket",
    (b) => {
        const out: string[] = [];
        const inline = str(b.props.acl);
        if (inline !== undefined && inline !== "private") out.push(`its acl is "${inline}"`);
        // Every ownership resource for the bucket must enforce: two resources overwrite each other, and a
        // user's ObjectWriter beside our BucketOwnerEnforced may be the one applied last.
        const ownership = b.subs.ownership.map((o) => str(get(o, "rule", "objectOwnership")));
        if (ownership.length > 0 && ownership.every((o) => o === "BucketOwnerEnforced")) return out;
        const privateAcls = b.subs.acl.length > 0 && b.subs.acl.every(privateAcl);
        if (!privateAcls && inline !== "private") {
            out.push(
                ownership.length === 0
                    ? "no BucketOwnershipControls (BucketOwnerEnforced) and no private ACL"
                    : `object ownership is ${ownership.join(", ")}, not BucketOwnerEnforced, and its ACL is not private`,
            );
        }
        return out;
    },
    // Every ACL resource on its own: the bucket may be one this stack does not create.
    (resources) =>
        resources.filter((r) => BUCKET_ACL_TYPES.includes(r.type)).flatMap((r) => publicGrants(r.props).map((g) => ({ message: `bucket ACL ${r.name} on ${bucketRef(r)} grants ${g}`, urn: r.urn }))),
);

const BLOCKS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

export const bucketPublicAccessBlocked = bucketPolicy(
    "secrets-bucket-public-access-block",
    "Every bucket has a public access block with all four settings on, and no public access block in the stack turns one off.",
    "Add aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.",
    "every bucket",
    (b) => {
        if (b.subs.publicAccessBlock.length === 0) return ["no BucketPublicAccessBlock"];
        // Each block resource must turn all four on: the bucket has one setting, and the one applied last wins.
        const off = BLOCKS.filter((k) => !b.subs.publicAccessBlock.every((p) => bool(p[k]) === true));
        return off.length > 0 ? [`public access block leaves ${off.join(", ")} off`] : [];
    },
    // A block on a bucket from elsewhere that turns protection off is as much a finding.
    (resources) => {
        const judged = new Set(allBuckets(resources).flatMap((b) => b.subs.publicAccessBlock));
        return resources
            .filter((r) => r.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock" && !judged.has(r.props))
            .map((r) => ({ r, off: BLOCKS.filter((k) => bool(r.props[k]) !== true) }))
            .filter(({ off }) => off.length > 0)
            .map(({ r, off }) => ({ message: `public access block ${r.name} on ${bucketRef(r)} leaves ${off.join(", ")} off`, urn: r.urn }));
    },
);

const KMS_ALGORITHMS = ["aws:kms", "aws:kms:dsse"];

export const bucketSseKms = bucketPolicy(
    "secrets-bucket-sse-kms",
    "Buckets holding secrets or backups encrypt by default with KMS (aws:kms or aws:kms:dsse), so reading needs kms:Decrypt too.",
    'Add aws.s3.BucketServerSideEncryptionConfiguration with rules[0].applyServerSideEncryptionByDefault.sseAlgorithm "aws:kms" (and a kmsMasterKeyId, bucketKeyEnabled: true).',
    "sensitive buckets",
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
    "sensitive buckets",
    (b) => {
        if (b.subs.versioning.length === 0) return ["no BucketVersioning"];
        const statuses = b.subs.versioning.map((v) => str(get(v, "versioningConfiguration", "status")) ?? "(unset)");
        return statuses.every((s) => s === "Enabled") ? [] : [`versioning is ${statuses.join(", ")}, not Enabled`];
    },
);

function publicPolicyProblem(doc: unknown): string | undefined {
    const st = statements(doc);
    if (st === undefined) return "is not a valid policy document";
    return st.some(allowsEveryone) ? 'Allows principal "*"' : undefined;
}

export const bucketNoPublicPolicy = bucketPolicy(
    "secrets-bucket-no-public-policy",
    'No bucket policy in the stack (any BucketPolicy resource, whichever bucket it is for, and any bucket\'s own policy) Allows principal "*" or uses NotPrincipal with Allow; Deny statements for "*" are fine.',
    'Grant access to the instance roles\' ARNs (or the account) instead of "*".',
    "every bucket",
    (b) => {
        const problem = b.props.policy !== undefined ? publicPolicyProblem(b.props.policy) : undefined;
        return problem ? [`its policy ${problem}`] : [];
    },
    (resources) =>
        resources
            .filter((r) => BUCKET_POLICY_TYPES.includes(r.type))
            .flatMap((r) => {
                const problem = publicPolicyProblem(r.props.policy);
                return problem ? [{ message: `bucket policy ${r.name} on ${bucketRef(r)} ${problem}`, urn: r.urn }] : [];
            }),
);

export const bucketPolicies = [bucketOwnershipEnforced, bucketPublicAccessBlocked, bucketSseKms, bucketVersioned, bucketNoPublicPolicy];
