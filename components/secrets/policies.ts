/**
 * The secrets bucket's access rules as data: the identity policy each
 * instance role gets (read its own folders, decrypt with the bucket's key)
 * and the bucket policy (TLS only; each folder readable by the roles that
 * need it and denied to every other instance role). Pure functions over ARNs,
 * rendered as sorted JSON.
 */
import { PolicyStatement, policyDocument, renderPolicy } from "../iam/policyDocument";
import { Audience, CONTROL_PLANE_PREFIX, NODES_PREFIX, audiencePrefix, readablePrefixes } from "./layout";

/** The instance roles that read secrets, by ARN. */
export interface SecretsReaders {
    readonly controlPlane: string;
    readonly node: string;
    /** External etcd member name -> that member's role ARN; empty with stacked etcd. */
    readonly etcd: Readonly<Record<string, string>>;
}

/**
 * Object keys (exact, or `<prefix>/*`) a role reads or writes in the bucket beyond its secrets
 * folders: the control plane's init marker, etcd backups. The control-plane component says
 * which; the bucket policy then allows exactly these and denies the rest.
 */
export interface ExtraAccess {
    readonly read?: readonly string[];
    readonly write?: readonly string[];
}

/** Extra access per instance role kind; `etcd` applies to every external etcd member. */
export interface BucketAccess {
    readonly controlPlane?: ExtraAccess;
    readonly etcd?: ExtraAccess;
}

/** Where the secrets are: what an instance role's read policy is written against. */
export interface SecretsLocation {
    readonly bucketArn: string;
    readonly kmsKeyArn: string;
}

/** `arn:...:s3:::bucket/<prefix>/*`: every object in a folder. */
export function prefixObjectsArn(bucketArn: string, prefix: string): string {
    return `${bucketArn}/${prefix}/*`;
}

/**
 * The identity policy that lets one role read its secrets: `s3:GetObject` on
 * its folders only (no ListBucket, no other folder) and `kms:Decrypt` on the
 * bucket's key. The node role reads `nodes/*`; the control plane
 * `control-plane/*` and `nodes/*`; etcd member m `etcd/m/*`.
 */
export function secretsReadPolicy(role: Audience, bucketArn: string, kmsKeyArn: string): string {
    return renderPolicy(
        policyDocument([
            {
                Sid: "ReadSecretObjects",
                Effect: "Allow",
                Action: ["s3:GetObject"],
                Resource: readablePrefixes(role).map((p) => prefixObjectsArn(bucketArn, p)),
            },
            { Sid: "DecryptSecretObjects", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [kmsKeyArn] },
        ]),
    );
}

/**
 * The bucket policy:
 * - deny every request not made over TLS (`aws:SecureTransport` false), on the bucket and its objects;
 * - allow `s3:GetObject` on each folder to exactly the roles that need it;
 * - deny each instance role `s3:GetObject` outside its own folders and its extra reads, and
 *   `s3:PutObject` outside its extra writes (none for nodes), so a broader identity policy added
 *   to a role later still cannot reach another audience's keys or overwrite them;
 * - deny every instance role object deletion: nothing on an instance ever deletes (lifecycle
 *   rules expire backups), so a compromised instance cannot destroy keys or backups.
 * The deployer (who writes the objects) and account administrators are
 * governed by their own IAM policies.
 */
export function secretsBucketPolicy(bucketArn: string, readers: SecretsReaders, access: BucketAccess = {}): string {
    // Sids are alphanumeric, so etcd statements are numbered in member-name order.
    const etcdMembers = Object.keys(readers.etcd).sort();
    const objects = (keys: readonly string[]) => keys.map((k) => `${bucketArn}/${k}`);
    const allow = (sid: string, prefix: string, principals: string[]): PolicyStatement => ({
        Sid: sid,
        Effect: "Allow",
        Principal: { AWS: principals },
        Action: ["s3:GetObject"],
        Resource: [prefixObjectsArn(bucketArn, prefix)],
    });
    const confine = (sid: string, roleArn: string, role: Audience, extra: ExtraAccess = {}): PolicyStatement[] => [
        {
            Sid: sid,
            Effect: "Deny",
            Principal: { AWS: [roleArn] },
            Action: ["s3:GetObject"],
            NotResource: [...readablePrefixes(role).map((p) => prefixObjectsArn(bucketArn, p)), ...objects(extra.read ?? [])],
        },
        {
            Sid: `${sid}Writes`,
            Effect: "Deny",
            Principal: { AWS: [roleArn] },
            Action: ["s3:PutObject"],
            ...((extra.write ?? []).length > 0 ? { NotResource: objects(extra.write!) } : { Resource: [`${bucketArn}/*`] }),
        },
    ];
    const instanceRoles = [readers.controlPlane, readers.node, ...etcdMembers.map((m) => readers.etcd[m])];
    return renderPolicy(
        policyDocument([
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: ["s3:*"],
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            allow("ReadControlPlane", CONTROL_PLANE_PREFIX, [readers.controlPlane]),
            allow("ReadNodes", NODES_PREFIX, [readers.controlPlane, readers.node]),
            ...etcdMembers.map((m, i) => allow(`ReadEtcdMember${i}`, audiencePrefix({ kind: "etcd", member: m }), [readers.etcd[m]])),
            ...confine("ConfineControlPlane", readers.controlPlane, { kind: "control-plane" }, access.controlPlane),
            ...confine("ConfineNode", readers.node, { kind: "node" }),
            ...etcdMembers.flatMap((m, i) => confine(`ConfineEtcdMember${i}`, readers.etcd[m], { kind: "etcd", member: m }, access.etcd)),
            {
                Sid: "DenyInstanceDeletes",
                Effect: "Deny",
                Principal: { AWS: instanceRoles },
                Action: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
                Resource: [`${bucketArn}/*`],
            },
        ]),
    );
}
