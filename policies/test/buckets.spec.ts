import { bucketOwnershipEnforced, bucketPublicAccessBlocked, bucketSseKms, bucketVersioned, bucketNoPublicPolicy } from "../rules/buckets";
import { checkStack, expectViolation, expectNone } from "./helper";
import * as f from "./fixtures";

const B = "prod-secrets-0a1b2c3";
const ACL = "aws:s3/bucketAcl:BucketAcl";

describe("bucket correlation", () => {
    it("matches configuration resources to a bucket named explicitly", () => {
        const named = f
            .secretsBucket()
            .map((r) => (r.type === "aws:s3/bucket:Bucket" ? { ...r, name: "backups", props: { bucket: "prod-etcd-backups" } } : { ...r, props: { ...r.props, bucket: "prod-etcd-backups" } }));
        expectNone(checkStack(bucketVersioned, named));
    });
    it("does not credit another bucket's configuration", () => {
        const other = f.secretsBucket().map((r) => (r.type === "aws:s3/bucket:Bucket" ? r : { ...r, props: { ...r.props, bucket: "someone-else-0a1b2c3" } }));
        expectViolation(checkStack(bucketVersioned, other), /no BucketVersioning/);
    });
    it("reads the live physical name from the id", () => {
        const live = f.secretsBucket().map((r) => (r.type === "aws:s3/bucket:Bucket" ? { ...r, id: B } : r));
        expectNone(checkStack(bucketVersioned, live));
    });
});

describe("secrets-bucket-ownership-enforced", () => {
    it("accepts BucketOwnerEnforced", () => expectNone(checkStack(bucketOwnershipEnforced, f.secretsBucket())));
    it("accepts a private ACL instead", () => {
        const resources = [...f.secretsBucket({ ownership: { bucket: B, rule: { objectOwnership: "BucketOwnerPreferred" } } }), { type: ACL, name: "acl", props: { bucket: B, acl: "private" } }];
        expectNone(checkStack(bucketOwnershipEnforced, resources));
    });
    it("rejects a bucket without ownership controls or ACL", () => expectViolation(checkStack(bucketOwnershipEnforced, f.secretsBucket({ ownership: null })), /no BucketOwnershipControls/));
    it("rejects ObjectWriter ownership", () =>
        expectViolation(checkStack(bucketOwnershipEnforced, f.secretsBucket({ ownership: { bucket: B, rule: { objectOwnership: "ObjectWriter" } } })), /object ownership is ObjectWriter/));
    it("rejects an ACL granting AllUsers", () => {
        const grants = [{ grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" }, permission: "READ" }];
        const resources = [...f.secretsBucket({ ownership: null }), { type: ACL, name: "acl", props: { bucket: B, accessControlPolicy: { grants, owner: { id: "o" } } } }];
        expectViolation(checkStack(bucketOwnershipEnforced, resources), /no private ACL/);
    });
    it("rejects a public-read bucket acl", () =>
        expectViolation(
            checkStack(
                bucketOwnershipEnforced,
                f.secretsBucket().map((r) => (r.name === "prod-secrets" ? { ...r, props: { acl: "public-read" } } : r)),
            ),
            /acl is "public-read"/,
        ));
});

describe("secrets-bucket-public-access-block", () => {
    it("accepts all four blocks on", () => expectNone(checkStack(bucketPublicAccessBlocked, f.secretsBucket())));
    it("rejects a missing block", () => expectViolation(checkStack(bucketPublicAccessBlocked, f.secretsBucket({ publicAccessBlock: null })), /no BucketPublicAccessBlock/));
    it("rejects one block off", () =>
        expectViolation(
            checkStack(bucketPublicAccessBlocked, f.secretsBucket({ publicAccessBlock: { ...f.BUCKET_PARTS.publicAccessBlock.props, restrictPublicBuckets: false } })),
            /leaves restrictPublicBuckets off/,
        ));
});

describe("secrets-bucket-sse-kms", () => {
    const sse = (sseAlgorithm: string) => ({ bucket: B, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm } }] });
    it("accepts aws:kms", () => expectNone(checkStack(bucketSseKms, f.secretsBucket())));
    it("accepts aws:kms:dsse", () => expectNone(checkStack(bucketSseKms, f.secretsBucket({ encryption: sse("aws:kms:dsse") }))));
    it("rejects AES256", () => expectViolation(checkStack(bucketSseKms, f.secretsBucket({ encryption: sse("AES256") })), /default encryption is AES256/));
    it("rejects a missing configuration", () => expectViolation(checkStack(bucketSseKms, f.secretsBucket({ encryption: null })), /no BucketServerSideEncryptionConfiguration/));
    it("rejects a configuration without rules", () => expectViolation(checkStack(bucketSseKms, f.secretsBucket({ encryption: { bucket: B, rules: [] } })), /has no default rule/));
});

describe("secrets-bucket-versioning", () => {
    it("accepts Enabled", () => expectNone(checkStack(bucketVersioned, f.secretsBucket())));
    it("rejects Suspended", () =>
        expectViolation(checkStack(bucketVersioned, f.secretsBucket({ versioning: { bucket: B, versioningConfiguration: { status: "Suspended" } } })), /versioning is Suspended/));
    it("rejects missing versioning", () => expectViolation(checkStack(bucketVersioned, f.secretsBucket({ versioning: null })), /no BucketVersioning/));
    it("ignores buckets outside sensitiveBucketPattern", () => expectNone(checkStack(bucketVersioned, f.secretsBucket({ versioning: null }), { sensitiveBucketPattern: "^backups$" })));
});

describe("secrets-bucket-no-public-policy", () => {
    const policy = (statement: object) => ({ bucket: B, policy: JSON.stringify({ Version: "2012-10-17", Statement: [f.DENY_INSECURE, statement] }) });
    it("accepts role grants and a Deny for *", () => expectNone(checkStack(bucketNoPublicPolicy, f.secretsBucket())));
    it("accepts no policy", () => expectNone(checkStack(bucketNoPublicPolicy, f.secretsBucket({ policy: null }))));
    it("rejects Allow to *", () => expectViolation(checkStack(bucketNoPublicPolicy, f.secretsBucket({ policy: policy({ ...f.ROLE_READ, Principal: "*" }) })), /Allows principal "\*"/));
    it("rejects Allow to AWS *", () => expectViolation(checkStack(bucketNoPublicPolicy, f.secretsBucket({ policy: policy({ ...f.ROLE_READ, Principal: { AWS: ["*"] } }) })), /Allows principal "\*"/));
    it("rejects Allow with NotPrincipal", () => {
        const { Principal: _p, ...rest } = f.ROLE_READ;
        expectViolation(checkStack(bucketNoPublicPolicy, f.secretsBucket({ policy: policy({ ...rest, NotPrincipal: { AWS: "arn:aws:iam::123456789012:root" } }) })), /Allows principal/);
    });
    it("reads a policy given as an object", () =>
        expectViolation(checkStack(bucketNoPublicPolicy, f.secretsBucket({ policy: { bucket: B, policy: { Statement: { ...f.ROLE_READ, Principal: "*" } } } })), /Allows principal/));
});

// A user's own resources beside ours: each is judged on its merits, whoever made it and whatever it is called.
describe("buckets a user adds beside ours", () => {
    const POLICY = "aws:s3/bucketPolicy:BucketPolicy";
    const PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
    const OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2";
    const site = (props: Record<string, unknown> = {}) => ({ type: "aws:s3/bucket:Bucket", name: "website", props: { bucket: "acme-website", ...props } });
    const locked = (bucket: string) => [
        { type: "aws:s3/bucketOwnershipControls:BucketOwnershipControls", name: `${bucket}-own`, props: { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } } },
        { type: PAB, name: `${bucket}-pab`, props: { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true } },
    ];
    const everyone = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::x/*" }] });
    const cases: { title: string; policy: Parameters<typeof checkStack>[0]; resources: Parameters<typeof checkStack>[1]; expected: RegExp | null }[] = [
        {
            title: "a public bucket policy on a bucket from another stack",
            policy: bucketNoPublicPolicy,
            resources: [...f.secretsBucket(), { type: POLICY, name: "their-policy", props: { bucket: "bucket-from-elsewhere", policy: everyone } }],
            expected: /bucket policy their-policy on bucket-from-elsewhere Allows principal "\*"/,
        },
        {
            title: "a public bucket policy on a bucket not named like a secret",
            policy: bucketNoPublicPolicy,
            resources: [site(), ...locked("acme-website"), { type: POLICY, name: "site-policy", props: { bucket: "acme-website", policy: everyone } }],
            expected: /bucket policy site-policy on acme-website Allows principal/,
        },
        { title: "a bucket's own public policy", policy: bucketNoPublicPolicy, resources: [site({ policy: everyone })], expected: /bucket acme-website: its policy Allows principal/ },
        {
            title: "a bucket policy that is not JSON",
            policy: bucketNoPublicPolicy,
            resources: [{ type: POLICY, name: "broken", props: { bucket: "b", policy: "{" } }],
            expected: /bucket policy broken on b is not a valid policy document/,
        },
        {
            title: "a user's bucket without a public access block",
            policy: bucketPublicAccessBlocked,
            resources: [...f.secretsBucket(), site()],
            expected: /bucket acme-website: no BucketPublicAccessBlock/,
        },
        {
            title: "a public access block turned off on a bucket from elsewhere",
            policy: bucketPublicAccessBlocked,
            resources: [{ type: PAB, name: "open", props: { bucket: "elsewhere", blockPublicAcls: false, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true } }],
            expected: /public access block open on elsewhere leaves blockPublicAcls off/,
        },
        { title: "a user's bucket with ACLs enabled", policy: bucketOwnershipEnforced, resources: [site()], expected: /bucket acme-website: no BucketOwnershipControls/ },
        {
            title: "a public-read ACL on a bucket from elsewhere",
            policy: bucketOwnershipEnforced,
            resources: [{ type: ACL, name: "their-acl", props: { bucket: "elsewhere", acl: "public-read" } }],
            expected: /bucket ACL their-acl on elsewhere grants the canned ACL "public-read"/,
        },
        {
            title: "a grant to AuthenticatedUsers on a bucket from elsewhere",
            policy: bucketOwnershipEnforced,
            resources: [
                {
                    type: ACL,
                    name: "grant",
                    props: {
                        bucket: "elsewhere",
                        accessControlPolicy: { grants: [{ grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AuthenticatedUsers" }, permission: "WRITE" }] },
                    },
                },
            ],
            expected: /grants WRITE to AuthenticatedUsers/,
        },
        {
            title: "a kubeconfig written to a bucket named like anything",
            policy: bucketSseKms,
            resources: [site(), ...locked("acme-website"), { type: OBJECT, name: "admin", props: { bucket: "acme-website", key: "admin.conf", content: "[secret]" } }],
            expected: /bucket acme-website: no BucketServerSideEncryptionConfiguration/,
        },
        {
            title: "a key file written to a user's bucket",
            policy: bucketVersioned,
            resources: [site(), { type: OBJECT, name: "key", props: { bucket: "acme-website", key: "tls/private.key", content: "x" } }],
            expected: /bucket acme-website: no BucketVersioning/,
        },
        {
            title: "a locked-down user bucket with public content only",
            policy: bucketSseKms,
            resources: [site(), ...locked("acme-website"), { type: OBJECT, name: "index", props: { bucket: "acme-website", key: "index.html", content: "<html></html>" } }],
            expected: null,
        },
        { title: "a locked-down user bucket (exposure policies)", policy: bucketPublicAccessBlocked, resources: [site(), ...locked("acme-website")], expected: null },
    ];
    for (const c of cases) {
        it(`${c.expected ? "catches" : "accepts"} ${c.title}`, () => {
            const vs = checkStack(c.policy, c.resources);
            if (c.expected) expectViolation(vs, c.expected);
            else expectNone(vs);
        });
    }
});

// A user's configuration resource for one of our buckets: the bucket holds one setting, and the resource applied last wins.
describe("a user's resource that would undo one of ours", () => {
    const cases: { title: string; policy: Parameters<typeof checkStack>[0]; extra: Parameters<typeof checkStack>[1][number]; expected: RegExp }[] = [
        {
            title: "a second public access block turning one setting off",
            policy: bucketPublicAccessBlocked,
            extra: { type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name: "user-pab", props: { ...f.BUCKET_PARTS.publicAccessBlock.props, blockPublicPolicy: false } },
            expected: /public access block leaves blockPublicPolicy off/,
        },
        {
            title: "a second ownership control re-enabling ACLs",
            policy: bucketOwnershipEnforced,
            extra: { type: "aws:s3/bucketOwnershipControls:BucketOwnershipControls", name: "user-own", props: { bucket: B, rule: { objectOwnership: "ObjectWriter" } } },
            expected: /object ownership is BucketOwnerEnforced, ObjectWriter/,
        },
        {
            title: "a second versioning resource suspending it",
            policy: bucketVersioned,
            extra: { type: "aws:s3/bucketVersioning:BucketVersioning", name: "user-ver", props: { bucket: B, versioningConfiguration: { status: "Suspended" } } },
            expected: /versioning is Enabled, Suspended/,
        },
    ];
    for (const c of cases) it(`catches ${c.title}`, () => expectViolation(checkStack(c.policy, [...f.secretsBucket(), c.extra]), c.expected));
});
