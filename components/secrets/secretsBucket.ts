/**
 * The cluster's secrets bucket: a locked-down S3 bucket (owner-enforced, all
 * public access blocked, SSE-KMS with its own rotating key and bucket keys,
 * versioned, TLS only) holding the PKI material by audience, and readable by
 * the instance roles that need each folder (see layout.ts and policies.ts).
 * Instances fetch their objects into tmpfs at every boot
 * (host/secretsDelivery.ts); user data only carries the bucket's name.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags, namedTags, secretsName, secretsBucketPrefix, secretsKmsAlias } from "../../lib/naming";
import { EtcdTopology, SecretContents, SecretObject, checkExtraObjects, objectKey, pairContents } from "./layout";
import { BucketAccess, SecretsLocation, SecretsReaders, secretsBucketPolicy } from "./policies";

/** An object stored next to the PKI's, in the control plane's folder (layout.ts checkExtraObjects). */
export interface ExtraSecretObject {
    readonly object: SecretObject;
    readonly content: pulumi.Input<string>;
}

/** A lifecycle rule to merge into the bucket's one lifecycle configuration (S3 allows only one per bucket). */
export type ExtraLifecycleRule = aws.types.input.s3.BucketLifecycleConfigurationRule;

const BASE_LIFECYCLE_RULE_ID = "expire-replaced-secrets";

export interface SecretsBucketArgs {
    readonly clusterName: string;
    /** The user's extra tags (config `tags`). */
    readonly tags?: Tags;
    readonly etcdTopology: EtcdTopology;
    /** The instance roles that read secrets, by ARN (InstanceRoles.readers). */
    readonly readers: pulumi.Input<SecretsReaders>;
    /** The content of every object (Pki.contents); secret objects are stored as Pulumi secrets. */
    readonly contents: SecretContents<pulumi.Input<string>>;
    /** Waiting period before the KMS key is deleted, 7-30 days. Default 30. */
    readonly kmsDeletionWindowInDays?: number;
    /** Days a replaced object version is kept before S3 expires it. Default 30. */
    readonly noncurrentVersionDays?: number;
    /** Objects the control plane adds to its folder (kubeadm configurations, the encryption configuration). */
    readonly extraObjects?: readonly ExtraSecretObject[];
    /** Rules merged into the lifecycle configuration, e.g. etcd backup retention; ids must be unique. */
    readonly extraLifecycleRules?: readonly ExtraLifecycleRule[];
    /** What roles read or write beyond their folders (init marker, backups); the bucket policy allows exactly that. */
    readonly access?: BucketAccess;
}

/** The logical name of an object's resource: its key with `/` and `.` as `-`. */
export function objectResourceName(parent: string, o: Pick<SecretObject, "prefix" | "name">): string {
    return `${parent}-${objectKey(o).replace(/[/.]/g, "-")}`;
}

export class SecretsBucket extends pulumi.ComponentResource {
    readonly bucket: aws.s3.Bucket;
    readonly kmsKey: aws.kms.Key;
    readonly bucketName: pulumi.Output<string>;
    readonly bucketArn: pulumi.Output<string>;
    readonly kmsKeyArn: pulumi.Output<string>;
    /** What InstanceRoles needs to write the read policies. */
    readonly location: pulumi.Output<SecretsLocation>;
    /** Every object key in the bucket. */
    readonly objectKeys: string[];

    constructor(name: string, args: SecretsBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:secrets:SecretsBucket", name, {}, opts);
        const cluster = args.clusterName;
        const tags = namedTags(cluster, args.tags ?? {}, secretsName(cluster));
        const layout = pairContents(args.contents, args.etcdTopology);
        const extra = args.extraObjects ?? [];
        checkExtraObjects(
            extra.map((e) => e.object),
            layout.map((p) => p.object),
        );
        const paired = [...layout, ...extra];
        const ruleIds = [BASE_LIFECYCLE_RULE_ID, ...(args.extraLifecycleRules ?? []).map((r) => r.id)];
        const dupRule = ruleIds.find((id, i) => ruleIds.indexOf(id) !== i);
        if (dupRule) throw new Error(`two lifecycle rules have the id ${dupRule}`);
        const names = paired.map(({ object }) => objectResourceName(name, object));
        const dup = names.find((n, i) => names.indexOf(n) !== i);
        if (dup) throw new Error(`two secret objects map to the resource name ${dup}`);

        this.kmsKey = new aws.kms.Key(
            `${name}-key`,
            {
                description: `Encrypts the ${cluster} cluster's secrets bucket`,
                enableKeyRotation: true,
                deletionWindowInDays: args.kmsDeletionWindowInDays ?? 30,
                tags,
            },
            { parent: this },
        );
        new aws.kms.Alias(`${name}-key-alias`, { name: secretsKmsAlias(cluster), targetKeyId: this.kmsKey.keyId }, { parent: this });

        // Everything in the bucket is generated and also held (encrypted) in the Pulumi state, so destroying the
        // cluster may remove the bucket with its object versions.
        this.bucket = new aws.s3.Bucket(`${name}-bucket`, { bucketPrefix: secretsBucketPrefix(cluster), forceDestroy: true, tags }, { parent: this });
        const bucket = this.bucket.id;

        const ownership = new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent: this });
        const publicAccess = new aws.s3.BucketPublicAccessBlock(
            `${name}-public-access`,
            { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            { parent: this },
        );
        const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-encryption`,
            {
                bucket,
                rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: this.kmsKey.arn }, bucketKeyEnabled: true }],
            },
            { parent: this },
        );
        const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket, versioningConfiguration: { status: "Enabled" } }, { parent: this });
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-lifecycle`,
            {
                bucket,
                rules: [
                    {
                        id: BASE_LIFECYCLE_RULE_ID,
                        status: "Enabled",
                        filter: {},
                        noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays ?? 30 },
                        expiration: { expiredObjectDeleteMarker: true },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                    // Overlapping filters are allowed; where two rules expire the same object S3 applies the shorter period.
                    ...(args.extraLifecycleRules ?? []),
                ],
            },
            { parent: this, dependsOn: [versioning] },
        );
        new aws.s3.BucketPolicy(
            `${name}-policy`,
            { bucket, policy: pulumi.all([this.bucket.arn, args.readers]).apply(([arn, readers]) => secretsBucketPolicy(arn, readers, args.access)) },
            // A bucket policy is accepted only once the public access block is in place.
            { parent: this, dependsOn: [publicAccess] },
        );

        paired.forEach(({ object, content }, i) => {
            new aws.s3.BucketObjectv2(
                names[i],
                {
                    bucket,
                    key: objectKey(object),
                    content: object.secret ? pulumi.secret(content) : content,
                    contentType: "text/plain",
                    serverSideEncryption: "aws:kms",
                    kmsKeyId: this.kmsKey.arn,
                    bucketKeyEnabled: true,
                },
                { parent: this, dependsOn: [ownership, encryption, versioning] },
            );
        });

        this.bucketName = this.bucket.bucket;
        this.bucketArn = this.bucket.arn;
        this.kmsKeyArn = this.kmsKey.arn;
        this.location = pulumi.output({ bucketArn: this.bucket.arn, kmsKeyArn: this.kmsKey.arn });
        this.objectKeys = paired.map(({ object }) => objectKey(object));
        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, kmsKeyArn: this.kmsKeyArn, objectKeys: this.objectKeys });
    }
}
