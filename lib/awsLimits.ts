/**
 * The AWS service limits the program's resources are subject to, one row per
 * (resource type, input property): the limit, the AWS documentation page it
 * comes from, and how Pulumi names the resource when the program gives no name.
 *
 * The AWS mock (tools/mocks/aws.ts) refuses every registration that breaks a
 * row, naming the type, the resource, the value and the limit, as the provider
 * would; the naming module (lib/naming.ts) keeps derived names inside
 * them; configuration validation refuses what no shortening can fix (tags).
 *
 * Pulumi auto-naming (pulumi-terraform-bridge pkg/tfbridge/info/autonaming.go,
 * `AutoName`; pulumi/pulumi sdk/go/common/resource/resource_id.go, `NewUniqueName`):
 * without an explicit name the provider proposes `<logical name>-<7 random hex>`;
 * where the provider declares a maximum length (`AutoName("name", max, "-")` in
 * pulumi-aws provider/resources.go) and the logical name plus 8 characters is
 * longer, the provider refuses the resource ("name '<logical>-' plus 7 random
 * chars is longer than maximum length <max>") rather than shorten it. Where it
 * declares none, AWS refuses the over-long name. Either way nothing shortens it.
 * Pure data and pure functions.
 */

/** How a resource gets its physical name when the program does not set one. */
export interface AutoNaming {
    /** Pulumi's auto-name, `<logical name>-<7 random hex>`, when neither the name nor a prefix is set; absent: the property is never auto-named. */
    readonly suffix?: { readonly providerMaxLength?: number; readonly transform?: "lowercase" };
    /** The provider's prefix input (e.g. `namePrefix`): the prefix plus 26 unique characters (Terraform's id.PrefixedUniqueId), the prefix at most `maxLength`. */
    readonly prefix?: { readonly property: string; readonly maxLength: number };
}
/** Characters the provider appends to a name prefix (terraform-plugin-sdk id.UniqueIDSuffixLength). */
export const PREFIX_UNIQUE_CHARS = 26;
const NONE: AutoNaming = {};

export interface LimitRow {
    /** The Pulumi type token of the resource. */
    readonly type: string;
    /** The input property the limit applies to. */
    readonly property: string;
    /** The limit in words, e.g. "1-32 characters: letters, digits and '-'; no '-' at either end". */
    readonly limit: string;
    /** Why a value breaks the limit, or undefined when it is within it. */
    readonly check: (value: string) => string | undefined;
    /** The AWS documentation page that states the limit. */
    readonly citation: string;
    /** How Pulumi names the resource when the program leaves the property out (for name properties). */
    readonly autoNaming: AutoNaming;
    /** The largest value the limit accepts, for table-driven tests: `example(max)` passes and `example(max + 1)` fails. */
    readonly max: number;
    /** A value of the given length that satisfies every other rule of the row. */
    readonly example: (length: number) => string;
    /** Values of acceptable length that break a character or prefix rule. */
    readonly invalid?: readonly string[];
}

type Rule = (value: string) => string | undefined;
const all =
    (...rules: Rule[]): Rule =>
    (v) =>
        rules.map((r) => r(v)).find((x) => x !== undefined);
const lengthBetween =
    (min: number, max: number): Rule =>
    (v) =>
        v.length < min || v.length > max ? `${v.length} characters; allowed ${min}-${max}` : undefined;
const charset =
    (re: RegExp, words: string): Rule =>
    (v) =>
        re.test(v) ? undefined : `characters outside ${words}`;
const noEdgeHyphen: Rule = (v) => (v.startsWith("-") || v.endsWith("-") ? "begins or ends with '-'" : undefined);
const notPrefixed =
    (...prefixes: string[]): Rule =>
    (v) => {
        const p = prefixes.find((x) => v.startsWith(x));
        return p === undefined ? undefined : `begins with '${p}'`;
    };
const mustStart =
    (prefix: string): Rule =>
    (v) =>
        v.startsWith(prefix) ? undefined : `does not begin with '${prefix}'`;

const a = (n: number) => "a".repeat(Math.max(0, n));

// ---------------------------------------------------------------------------------------------
// Citations: the AWS API references and user guides that state each limit.

export const CITE = {
    elbv2CreateLoadBalancer: "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html",
    elbv2CreateTargetGroup: "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html",
    elbCreateLoadBalancer: "https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_CreateLoadBalancer.html",
    iamQuotas: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
    iamCreateRole: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html",
    ec2CreateSecurityGroup: "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
    ec2IpRange: "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html",
    ec2CreateLaunchTemplate: "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html",
    ec2UserData: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html",
    asgCreateGroup: "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html",
    s3BucketNaming: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
    s3BucketPrefix: "https://www.pulumi.com/registry/packages/aws/api-docs/s3/bucket/#bucketprefix_nodejs",
    kmsCreateAlias: "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
    dlmCreatePolicy: "https://docs.aws.amazon.com/dlm/latest/APIReference/API_CreateLifecyclePolicy.html",
    ec2Tags: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions",
    asgTags: "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-tagging.html",
    route53Names: "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html",
} as const;

// ---------------------------------------------------------------------------------------------
// Names and descriptions.

/** ELB names: letters, digits and '-', no '-' at either end. */
const ELB_NAME = all(lengthBetween(1, 32), charset(/^[A-Za-z0-9-]*$/, "letters, digits and '-'"), noEdgeHyphen);
/** IAM user, role, policy and instance profile names: alphanumerics and + = , . @ _ - (IAM name requirements). */
const IAM_NAME_CHARS = charset(/^[\w+=,.@-]*$/, "letters, digits and + = , . @ _ -");
/** Security group names and descriptions in a VPC (CreateSecurityGroup). */
const SG_CHARS = charset(/^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/, "a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*");

/** Unicode characters of a DNS name: labels of at most 63, the whole at most 255 (Route 53 counts the final dot; the program writes names without it). */
export const DNS_NAME_MAX = 254;
export const DNS_LABEL_MAX = 63;
const DNS_NAME: Rule = (v) => {
    const name = v.endsWith(".") ? v.slice(0, -1) : v;
    if (name.length > DNS_NAME_MAX) return `${name.length} characters; allowed at most ${DNS_NAME_MAX} (255 with the final dot)`;
    const long = name.split(".").find((l) => l.length > DNS_LABEL_MAX || l.length === 0);
    return long === undefined ? undefined : `label '${long}' has ${long.length} characters; allowed 1-${DNS_LABEL_MAX}`;
};
/** A DNS name of exactly n characters made of 63-character labels. */
const dnsExample = (n: number): string => {
    const labels: string[] = [];
    let left = n;
    while (left > 0) {
        const take = Math.min(DNS_LABEL_MAX, left);
        labels.push(a(take));
        left -= take + 1;
    }
    const text = labels.join(".");
    return text.length === n ? text : `${text.slice(0, n - 1)}b`;
};

/** EC2's user data limit, in bytes of the raw data before base64. */
export const USER_DATA_LIMIT_BYTES = 16384;

/** S3 general purpose bucket names (bucketnamingrules.html). */
const S3_BUCKET: Rule = all(
    lengthBetween(3, 63),
    charset(/^[a-z0-9.-]*$/, "lowercase letters, digits, '.' and '-'"),
    (v) => (/^[a-z0-9].*[a-z0-9]$/.test(v) ? undefined : "does not begin and end with a letter or digit"),
    (v) => (v.includes("..") ? "has two adjacent periods" : undefined),
    (v) => (/^\d+\.\d+\.\d+\.\d+$/.test(v) ? "is formatted as an IP address" : undefined),
    notPrefixed("xn--", "sthree-", "amzn-s3-demo-"),
    (v) => {
        const s = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"].find((x) => v.endsWith(x));
        return s === undefined ? undefined : `ends with '${s}'`;
    },
);

export const LIMITS: readonly LimitRow[] = [
    {
        type: "aws:lb/loadBalancer:LoadBalancer",
        property: "name",
        limit: "1-32 characters: letters, digits and '-'; no '-' at either end; not beginning with 'internal-'",
        check: all(ELB_NAME, notPrefixed("internal-")),
        citation: CITE.elbv2CreateLoadBalancer,
        autoNaming: { suffix: { providerMaxLength: 32 } },
        max: 32,
        example: a,
        invalid: ["internal-api", "-api", "api-", "api_lb"],
    },
    {
        type: "aws:lb/targetGroup:TargetGroup",
        property: "name",
        limit: "1-32 characters: letters, digits and '-'; no '-' at either end",
        check: ELB_NAME,
        citation: CITE.elbv2CreateTargetGroup,
        autoNaming: { suffix: { providerMaxLength: 32 } },
        max: 32,
        example: a,
        invalid: ["-api", "api-", "api.targets"],
    },
    {
        type: "aws:elb/loadBalancer:LoadBalancer",
        property: "name",
        limit: "1-32 characters: letters, digits and '-'; no '-' at either end",
        check: ELB_NAME,
        citation: CITE.elbCreateLoadBalancer,
        autoNaming: { suffix: { providerMaxLength: 32 } },
        max: 32,
        example: a,
        invalid: ["-api", "api-", "api_elb"],
    },
    {
        type: "aws:iam/role:Role",
        property: "name",
        limit: "1-64 characters: letters, digits and + = , . @ _ -",
        check: all(lengthBetween(1, 64), IAM_NAME_CHARS),
        citation: CITE.iamQuotas,
        autoNaming: { suffix: { providerMaxLength: 64 }, prefix: { property: "namePrefix", maxLength: 38 } },
        max: 64,
        example: a,
        invalid: ["role/name", "role name"],
    },
    {
        type: "aws:iam/role:Role",
        property: "namePrefix",
        limit: "1-38 characters: letters, digits and + = , . @ _ - (the provider appends 26 unique characters; names reach 64)",
        check: all(lengthBetween(1, 38), IAM_NAME_CHARS),
        citation: CITE.iamQuotas,
        autoNaming: NONE,
        max: 38,
        example: a,
        invalid: ["role prefix-"],
    },
    {
        type: "aws:iam/role:Role",
        property: "path",
        limit: "1-512 characters beginning and ending with '/'",
        check: all(lengthBetween(1, 512), (v) => (/^\/([\x21-\x7e]*\/)?$/.test(v) ? undefined : "does not begin and end with '/'")),
        citation: CITE.iamQuotas,
        autoNaming: NONE,
        max: 512,
        example: (n) => (n < 2 ? "/" : `/${a(n - 2)}/`),
        invalid: ["k8s-aws/"],
    },
    {
        type: "aws:iam/role:Role",
        property: "description",
        limit: "0-1000 characters: tab, line feed, carriage return, U+0020-U+007E and U+00A1-U+00FF",
        // eslint-disable-next-line no-control-regex -- IAM allows exactly these control characters (tab, LF, CR) in a description
        check: all(lengthBetween(0, 1000), charset(/^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*$/, "tab, line feed, carriage return, U+0020-U+007E and U+00A1-U+00FF")),
        citation: CITE.iamCreateRole,
        autoNaming: NONE,
        max: 1000,
        example: a,
        invalid: ["nodes \u2192 API", "pods \u{1F680}"],
    },
    {
        type: "aws:iam/instanceProfile:InstanceProfile",
        property: "name",
        limit: "1-128 characters: letters, digits and + = , . @ _ -",
        check: all(lengthBetween(1, 128), IAM_NAME_CHARS),
        citation: CITE.iamQuotas,
        autoNaming: { suffix: { providerMaxLength: 128 } },
        max: 128,
        example: a,
        invalid: ["profile name"],
    },
    {
        type: "aws:iam/policy:Policy",
        property: "name",
        limit: "1-128 characters: letters, digits and + = , . @ _ -",
        check: all(lengthBetween(1, 128), IAM_NAME_CHARS),
        citation: CITE.iamQuotas,
        autoNaming: { suffix: { providerMaxLength: 128 } },
        max: 128,
        example: a,
        invalid: ["policy name"],
    },
    {
        type: "aws:iam/rolePolicy:RolePolicy",
        property: "name",
        limit: "1-128 characters: letters, digits and + = , . @ _ -",
        check: all(lengthBetween(1, 128), IAM_NAME_CHARS),
        citation: CITE.iamQuotas,
        autoNaming: { suffix: { providerMaxLength: 128 } },
        max: 128,
        example: a,
        invalid: ["inline policy"],
    },
    {
        type: "aws:ec2/securityGroup:SecurityGroup",
        property: "name",
        limit: "1-255 characters: a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*; not beginning with 'sg-'",
        check: all(lengthBetween(1, 255), SG_CHARS, notPrefixed("sg-")),
        citation: CITE.ec2CreateSecurityGroup,
        autoNaming: { suffix: { providerMaxLength: 255 } },
        max: 255,
        example: a,
        invalid: ["sg-nodes", "nodes|api", "nodés"],
    },
    {
        type: "aws:ec2/securityGroup:SecurityGroup",
        property: "description",
        limit: "0-255 characters: a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*",
        check: all(lengthBetween(0, 255), SG_CHARS),
        citation: CITE.ec2CreateSecurityGroup,
        autoNaming: NONE,
        max: 255,
        example: a,
        invalid: ["nodes' group", "API <- admins", "nodes|api"],
    },
    ...["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"].map((type): LimitRow => ({
        // Rule descriptions (IpRange, UserIdGroupPair, PrefixListId): the group's set without '&'.
        type,
        property: "description",
        limit: "0-255 characters: a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=;{}!$*",
        check: all(lengthBetween(0, 255), charset(/^[a-zA-Z0-9 ._\-:/()#,@[\]+=;{}!$*]*$/, "a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=;{}!$*")),
        citation: CITE.ec2IpRange,
        autoNaming: NONE,
        max: 255,
        example: a,
        invalid: ["etcd & API", "kubelet's port", "API <- admins"],
    })),
    {
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        property: "name",
        limit: "3-128 characters: letters, digits and ( ) . - / _",
        check: all(lengthBetween(3, 128), charset(/^[a-zA-Z0-9().\-/_]*$/, "letters, digits and ( ) . - / _")),
        citation: CITE.ec2CreateLaunchTemplate,
        autoNaming: { suffix: { providerMaxLength: 128 } },
        max: 128,
        example: a,
        invalid: ["pool general", "pool:general"],
    },
    {
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        property: "description",
        limit: "0-255 characters (VersionDescription)",
        check: lengthBetween(0, 255),
        citation: CITE.ec2CreateLaunchTemplate,
        autoNaming: NONE,
        max: 255,
        example: a,
    },
    {
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        property: "userData",
        limit: `at most ${USER_DATA_LIMIT_BYTES} bytes of raw user data, before base64`,
        check: (b64) => {
            const bytes = Buffer.from(b64, "base64").length;
            return bytes > USER_DATA_LIMIT_BYTES ? `${bytes} bytes; allowed at most ${USER_DATA_LIMIT_BYTES}` : undefined;
        },
        citation: CITE.ec2UserData,
        autoNaming: NONE,
        max: USER_DATA_LIMIT_BYTES,
        example: (n) => Buffer.alloc(n, 0x61).toString("base64"),
    },
    {
        type: "aws:autoscaling/group:Group",
        property: "name",
        limit: "1-255 characters",
        check: lengthBetween(1, 255),
        citation: CITE.asgCreateGroup,
        autoNaming: { suffix: { providerMaxLength: 255 } },
        max: 255,
        example: a,
    },
    {
        type: "aws:s3/bucket:Bucket",
        property: "bucket",
        limit: "3-63 characters: lowercase letters, digits, '.' and '-', beginning and ending with a letter or digit; no '..', no IP address form, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)",
        check: S3_BUCKET,
        citation: CITE.s3BucketNaming,
        autoNaming: { suffix: { providerMaxLength: 63, transform: "lowercase" }, prefix: { property: "bucketPrefix", maxLength: 37 } },
        max: 63,
        example: a,
        invalid: ["Secrets", "secrets..bucket", "-secrets", "192.168.1.1", "xn--secrets", "secrets-s3alias"],
    },
    {
        type: "aws:s3/bucket:Bucket",
        property: "bucketPrefix",
        limit: "1-37 characters: lowercase letters, digits, '.' and '-', beginning with a letter or digit (the provider appends 26 unique characters; names reach 63)",
        check: all(lengthBetween(1, 37), charset(/^[a-z0-9][a-z0-9.-]*$/, "lowercase letters, digits, '.' and '-', beginning with a letter or digit")),
        citation: CITE.s3BucketPrefix,
        autoNaming: NONE,
        max: 37,
        example: a,
        invalid: ["Secrets-", "-secrets-"],
    },
    {
        type: "aws:kms/alias:Alias",
        property: "name",
        limit: "1-256 characters: letters, digits and : / _ -; beginning with 'alias/' and not with 'alias/aws/'",
        check: all(lengthBetween(1, 256), charset(/^[a-zA-Z0-9:/_-]*$/, "letters, digits and : / _ -"), mustStart("alias/"), notPrefixed("alias/aws/")),
        citation: CITE.kmsCreateAlias,
        autoNaming: NONE,
        max: 256,
        example: (n) => `alias/${a(n - 6)}`,
        invalid: ["k8s-aws/secrets", "alias/aws/secrets", "alias/k8s aws"],
    },
    {
        type: "aws:dlm/lifecyclePolicy:LifecyclePolicy",
        property: "description",
        limit: "1-500 characters: letters, digits, spaces, '_' and '-'",
        check: all(lengthBetween(1, 500), charset(/^[0-9A-Za-z _-]*$/, "letters, digits, spaces, '_' and '-'")),
        citation: CITE.dlmCreatePolicy,
        autoNaming: NONE,
        max: 500,
        example: a,
        invalid: ["prod: etcd volumes", "etcd (daily)"],
    },
    {
        type: "aws:route53/record:Record",
        property: "name",
        limit: `at most ${DNS_NAME_MAX} characters without the final dot, labels of 1-${DNS_LABEL_MAX}`,
        check: DNS_NAME,
        citation: CITE.route53Names,
        autoNaming: NONE,
        max: DNS_NAME_MAX,
        example: dnsExample,
        invalid: [`${a(64)}.example.com`, "api..example.com"],
    },
    {
        type: "aws:route53/zone:Zone",
        property: "name",
        limit: `at most ${DNS_NAME_MAX} characters without the final dot, labels of 1-${DNS_LABEL_MAX}`,
        check: DNS_NAME,
        citation: CITE.route53Names,
        autoNaming: NONE,
        max: DNS_NAME_MAX,
        example: dnsExample,
        invalid: [`${a(64)}.k8s-aws.internal`],
    },
];

/** The rows for one resource type. */
export function limitsFor(type: string): LimitRow[] {
    return LIMITS.filter((r) => r.type === type);
}

// ---------------------------------------------------------------------------------------------
// Tags (every taggable resource; ASG tags too).

/** Tag limits (EC2 tag restrictions; Auto Scaling groups allow the same 50 per group). */
export const TAG_LIMITS = {
    maxTags: 50,
    keyMax: 128,
    valueMax: 256,
    reservedPrefix: "aws:",
    citation: CITE.ec2Tags,
} as const;

/**
 * Why a set of tags breaks AWS's tag limits, one reason per problem: more than 50 tags,
 * an empty or over-long key, an over-long value, a key beginning with `aws:` (in any case).
 * Counted in Unicode characters, as AWS counts them.
 */
export function tagProblems(tags: Readonly<Record<string, string>>): string[] {
    const out: string[] = [];
    const keys = Object.keys(tags);
    if (keys.length > TAG_LIMITS.maxTags) out.push(`${keys.length} tags; allowed at most ${TAG_LIMITS.maxTags} per resource`);
    for (const [key, value] of Object.entries(tags)) {
        const keyLength = [...key].length;
        if (keyLength === 0 || keyLength > TAG_LIMITS.keyMax) out.push(`tag key '${key}' has ${keyLength} characters; allowed 1-${TAG_LIMITS.keyMax}`);
        if (key.toLowerCase().startsWith(TAG_LIMITS.reservedPrefix)) out.push(`tag key '${key}' begins with '${TAG_LIMITS.reservedPrefix}', which AWS reserves`);
        const valueLength = [...String(value)].length;
        if (valueLength > TAG_LIMITS.valueMax) out.push(`tag '${key}' has a value of ${valueLength} characters; allowed at most ${TAG_LIMITS.valueMax}`);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// IAM policy document sizes (IAM and AWS STS quotas, "IAM and STS character limits").

export const POLICY_SIZE_LIMITS = {
    /** A customer managed policy document. */
    managedPolicy: 6144,
    /** All inline policies of one role together. */
    roleInlinePolicies: 10240,
    /** A role's trust policy, by default (an account may raise it to 4096 through Service Quotas). */
    roleTrustPolicy: 2048,
    citation: CITE.iamQuotas,
} as const;

/** A policy document's size as IAM counts it: characters without white space (IAM does not count it). */
export function policySize(document: string): number {
    try {
        return JSON.stringify(JSON.parse(document)).length;
    } catch {
        return document.replace(/\s/g, "").length;
    }
}
