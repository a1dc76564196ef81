import { bucketOwnershipEnforced, bucketPublicAccessBlocked, bucketSseKms, bucketVersioned, bucketNoPublicPolicy } from "../rules/buckets";
import { checkStack, expectViolation, expectNone } from "./helper";
import * as f from "./fixtures";

const B = "prod-secrets-0a1b2c3";
const ACL = "aws:s3/bucketAcl:BucketAcl";

describe("bucket correlation", () => {
    it("matches configuration resources to a bucket named explicitly", () => {
        const named = f.secretsBucket().map((r) => (r.type === "aws:s3/bucket:Bucket" ? { ...r, name: "backups", props: { bucket: "prod-etcd-backups" } } : { ...r, props: { ...r.props, bucket: "prod-etcd-backups" } }));
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
    it("rejects ObjectWriter ownership", () => expectViolation(checkStack(bucketOwnershipEnforced, f.secretsBucket({ ownership: { bucket: B, rule: { objectOwnership: "ObjectWriter" } } })), /object ownership is ObjectWriter/));
    it("rejects an ACL granting AllUsers", () => {
        const grants = [{ grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" }, permission: "READ" }];
        const resources = [...f.secretsBucket({ ownership: null }), { type: ACL, name: "acl", props: { bucket: B, accessControlPolicy: { grants, owner: { id: "o" } } } }];
        expectViolation(checkStack(bucketOwnershipEnforced, resources), /no private ACL/);
    });
    it("rejects a public-read bucket acl", () => expectViolation(checkStack(bucketOwnershipEnforced, f.secretsBucket().map((r) => (r.name === "prod-secrets" ? { ...r, props: { acl: "public-read" } } : r))), /acl is "public-read"/));
});

describe("secrets-bucket-public-access-block", () => {
    it("accepts all four blocks on", () => expectNone(checkStack(bucketPublicAccessBlocked, f.secretsBucket())));
    it("rejects a missing block", () => expectViolation(checkStack(bucketPublicAccessBlocked, f.secretsBucket({ publicAccessBlock: null })), /no BucketPublicAccessBlock/));
    it("rejects one block off", () => expectViolation(checkStack(bucketPublicAccessBlocked, f.secretsBucket({ publicAccessBlock: { ...f.BUCKET_PARTS.publicAccessBlock.props, restrictPublicBuckets: false } })), /leaves restrictPublicBuckets off/));
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
    it("rejects Suspended", () => expectViolation(checkStack(bucketVersioned, f.secretsBucket({ versioning: { bucket: B, versioningConfiguration: { status: "Suspended" } } })), /versioning is Suspended/));
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
    it("reads a policy given as an object", () => expectViolation(checkStack(bucketNoPublicPolicy, f.secretsBucket({ policy: { bucket: B, policy: { Statement: { ...f.ROLE_READ, Principal: "*" } } } })), /Allows principal/));
});
