/**
 * Every row of the AWS limits table, through the mocked provider as the program
 * reaches it (a resource registered through @pulumi/aws under the mock runtime):
 * a value at the limit is accepted, one over it and each value breaking a
 * character or prefix rule is refused, naming the type, the resource and the
 * limit. Likewise the tag limits and IAM's policy sizes.
 */
import * as assert from "assert";
import * as aws from "@pulumi/aws";
import { runComponents } from "../support/harness";
import { RegistrationError } from "../../tools/offline/run";
import { reportFailure } from "../../tools/offline/failure";
import { LIMITS, LimitRow, POLICY_SIZE_LIMITS, TAG_LIMITS, policySize } from "../../lib/awsLimits";

type Make = (logical: string, value: string) => unknown;

/** One registration per resource type, with the property under test set to `value` and the other required inputs filled. */
const MAKERS: Record<string, (property: string) => Make> = {
    "aws:lb/loadBalancer:LoadBalancer": (p) => (n, v) => new aws.lb.LoadBalancer(n, { loadBalancerType: "network", [p]: v }),
    "aws:lb/targetGroup:TargetGroup": (p) => (n, v) => new aws.lb.TargetGroup(n, { port: 6443, protocol: "TCP", vpcId: "vpc-0123456789abcdef0", [p]: v }),
    "aws:elb/loadBalancer:LoadBalancer": (p) => (n, v) => new aws.elb.LoadBalancer(n, { listeners: [{ lbPort: 6443, lbProtocol: "TCP", instancePort: 6443, instanceProtocol: "TCP" }], [p]: v }),
    "aws:iam/role:Role": (p) => (n, v) => new aws.iam.Role(n, { assumeRolePolicy: "{}", [p]: v }),
    "aws:iam/instanceProfile:InstanceProfile": (p) => (n, v) => new aws.iam.InstanceProfile(n, { [p]: v }),
    "aws:iam/policy:Policy": (p) => (n, v) => new aws.iam.Policy(n, { policy: "{}", [p]: v }),
    "aws:iam/rolePolicy:RolePolicy": (p) => (n, v) => new aws.iam.RolePolicy(n, { role: "some-role", policy: "{}", [p]: v }),
    "aws:ec2/securityGroup:SecurityGroup": (p) => (n, v) => new aws.ec2.SecurityGroup(n, { vpcId: "vpc-0123456789abcdef0", [p]: v }),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (p) => (n, v) =>
        new aws.vpc.SecurityGroupIngressRule(n, { securityGroupId: "sg-0123456789abcdef0", ipProtocol: "tcp", fromPort: 6443, toPort: 6443, cidrIpv4: "10.0.0.0/16", [p]: v }),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (p) => (n, v) =>
        new aws.vpc.SecurityGroupEgressRule(n, { securityGroupId: "sg-0123456789abcdef0", ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", [p]: v }),
    "aws:ec2/launchTemplate:LaunchTemplate": (p) => (n, v) => new aws.ec2.LaunchTemplate(n, { [p]: v }),
    "aws:autoscaling/group:Group": (p) => (n, v) => new aws.autoscaling.Group(n, { minSize: 0, maxSize: 1, [p]: v }),
    "aws:s3/bucket:Bucket": (p) => (n, v) => new aws.s3.Bucket(n, { [p]: v }),
    "aws:kms/alias:Alias": (p) => (n, v) => new aws.kms.Alias(n, { targetKeyId: "key", [p]: v }),
    "aws:dlm/lifecyclePolicy:LifecyclePolicy": (p) => (n, v) =>
        new aws.dlm.LifecyclePolicy(n, { executionRoleArn: "arn:aws:iam::123456789012:role/dlm", description: "etcd", policyDetails: {}, [p]: v }),
    "aws:route53/record:Record": (p) => (n, v) => new aws.route53.Record(n, { zoneId: "Z0123456789ABCDEFGHIJ", type: "A", ttl: 60, records: ["10.0.0.1"], name: "api.example.com", [p]: v }),
    "aws:route53/zone:Zone": (p) => (n, v) => new aws.route53.Zone(n, { [p]: v }),
};

/** The refusals of a run that must fail, one message each. */
async function refusals(build: () => unknown): Promise<string[]> {
    try {
        await runComponents(build);
    } catch (e) {
        if (e instanceof RegistrationError) return e.errors.map((x) => x.message);
        throw e;
    }
    assert.fail("the run registered every resource; AWS would refuse some");
}

const label = (r: LimitRow) => `${r.type.split(":").pop()}.${r.property}`;

describe("limits/awsLimits: the mocked AWS refuses what AWS refuses", () => {
    it("has a maker for every row, a citation on every row, and one row per limit the issue names", () => {
        for (const r of LIMITS) {
            assert.ok(MAKERS[r.type], `no maker for ${r.type}`);
            assert.match(r.citation, /^https:\/\/(docs\.aws\.amazon\.com|www\.pulumi\.com)\//, label(r));
        }
        const covered = new Set(LIMITS.map(label));
        for (const want of [
            "LoadBalancer.name",
            "TargetGroup.name",
            "Role.name",
            "InstanceProfile.name",
            "Policy.name",
            "SecurityGroup.name",
            "SecurityGroup.description",
            "LaunchTemplate.name",
            "LaunchTemplate.userData",
            "Group.name",
            "Bucket.bucket",
            "Alias.name",
            "LifecyclePolicy.description",
            "Record.name",
        ]) {
            assert.ok(covered.has(want), want);
        }
    });

    for (const row of LIMITS) {
        const make = MAKERS[row.type](row.property);
        it(`${label(row)}: ${row.max} passes, ${row.max + 1} and malformed values are refused (${row.limit})`, async () => {
            const atLimit = row.example(row.max);
            assert.strictEqual(row.check(atLimit), undefined, "the example at the limit satisfies the row");
            await runComponents(() => make("at-limit", atLimit));

            const bad = [row.example(row.max + 1), ...(row.invalid ?? [])];
            const messages = await refusals(() => bad.map((v, i) => make(`bad-${i}`, v)));
            assert.strictEqual(messages.length, bad.length, messages.join("\n"));
            bad.forEach((_, i) => {
                const shown = row.property === "userData" ? `${row.property} (${bad[i].length} base64 characters)` : `${row.property} '${bad[i]}'`;
                const m = messages.find((x) => x.includes(shown));
                assert.ok(m, `bad-${i} (${JSON.stringify(bad[i]).slice(0, 60)}) was not refused:\n${messages.join("\n")}`);
                assert.ok(m.includes(row.type) && m.includes(row.property) && m.includes(row.citation), m);
            });
        });
    }

    it("auto-names as Pulumi does, and refuses (never shortens) a logical name that leaves no room for the 7-character suffix", async () => {
        const run = await runComponents(() => new aws.lb.TargetGroup("a".repeat(24), { port: 6443, protocol: "TCP", vpcId: "vpc-0123456789abcdef0" }));
        const tg = run.ofType("aws:lb/targetGroup:TargetGroup")[0];
        assert.strictEqual(tg.id?.includes(`targetgroup/${"a".repeat(24)}-`), true, String(tg.id));
        const messages = await refusals(() => new aws.lb.TargetGroup("a".repeat(25), { port: 6443, protocol: "TCP", vpcId: "vpc-0123456789abcdef0" }));
        assert.match(messages[0], /name 'a{25}-' plus 7 random chars is longer than maximum length 32/);
    });

    it("names a role from its namePrefix plus 26 characters, within 64", async () => {
        const run = await runComponents(() => new aws.iam.Role("r", { namePrefix: `${"p".repeat(37)}-`, assumeRolePolicy: "{}" }));
        const role = run.ofType("aws:iam/role:Role")[0];
        assert.match(String(role.id), /^p{37}-[0-9a-f]{26}$/);
    });
});

describe("limits/awsLimits: tags", () => {
    const tagsOf = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
    const vpc = (n: string, tags: Record<string, string>) => new aws.ec2.Vpc(n, { cidrBlock: "10.0.0.0/16", tags });
    const cases: { what: string; ok: Record<string, string>; over: Record<string, string>; says: RegExp }[] = [
        { what: `${TAG_LIMITS.maxTags} tags per resource`, ok: tagsOf(TAG_LIMITS.maxTags), over: tagsOf(TAG_LIMITS.maxTags + 1), says: /51 tags; allowed at most 50/ },
        { what: `keys of ${TAG_LIMITS.keyMax} characters`, ok: { ["k".repeat(128)]: "v" }, over: { ["k".repeat(129)]: "v" }, says: /129 characters; allowed 1-128/ },
        { what: `values of ${TAG_LIMITS.valueMax} characters`, ok: { k: "v".repeat(256) }, over: { k: "v".repeat(257) }, says: /value of 257 characters; allowed at most 256/ },
        { what: "keys not beginning with aws:", ok: { "aws-team": "x" }, over: { "AWS:team": "x" }, says: /begins with 'aws:'/ },
    ];
    for (const c of cases) {
        it(`${c.what}: at the limit passes, over it is refused`, async () => {
            await runComponents(() => vpc("ok", c.ok));
            const messages = await refusals(() => vpc("over", c.over));
            assert.match(messages[0], c.says);
            assert.match(messages[0], /aws:ec2\/vpc:Vpc \(over\)/);
        });
    }

    it("counts an autoscaling group's tag list and a launch template's tag specifications", async () => {
        const list = Object.entries(tagsOf(51)).map(([key, value]) => ({ key, value, propagateAtLaunch: true }));
        const messages = await refusals(() => [
            new aws.autoscaling.Group("asg", { minSize: 0, maxSize: 1, tags: list }),
            new aws.ec2.LaunchTemplate("lt", { tagSpecifications: [{ resourceType: "instance", tags: tagsOf(51) }] }),
        ]);
        assert.strictEqual(messages.length, 2, messages.join("\n"));
        assert.ok(messages.some((m) => /asg-.*51 tags/.test(m)) && messages.some((m) => /tagSpecifications\[instance\]: 51 tags/.test(m)), messages.join("\n"));
    });
});

describe("limits/awsLimits: IAM policy document sizes", () => {
    /** A policy document of exactly `n` characters without white space. */
    const doc = (n: number) => {
        const base = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "" }] });
        const text = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "x".repeat(n - base.length) }] });
        assert.strictEqual(policySize(text), n);
        return text;
    };
    it(`a role's trust policy: ${POLICY_SIZE_LIMITS.roleTrustPolicy} passes, one more is refused`, async () => {
        await runComponents(() => new aws.iam.Role("ok", { assumeRolePolicy: doc(POLICY_SIZE_LIMITS.roleTrustPolicy) }));
        const m = await refusals(() => new aws.iam.Role("over", { assumeRolePolicy: doc(POLICY_SIZE_LIMITS.roleTrustPolicy + 1) }));
        assert.match(m[0], /trust policy of 2049 characters .*at most 2048/);
    });
    it(`a managed policy: ${POLICY_SIZE_LIMITS.managedPolicy} passes, one more is refused`, async () => {
        await runComponents(() => new aws.iam.Policy("ok", { policy: doc(POLICY_SIZE_LIMITS.managedPolicy) }));
        const m = await refusals(() => new aws.iam.Policy("over", { policy: doc(POLICY_SIZE_LIMITS.managedPolicy + 1) }));
        assert.match(m[0], /managed policy of 6145 characters .*at most 6144/);
    });
    it(`a role's inline policies together: ${POLICY_SIZE_LIMITS.roleInlinePolicies} pass, one more is refused`, async () => {
        const half = POLICY_SIZE_LIMITS.roleInlinePolicies / 2;
        await runComponents(() => [
            new aws.iam.RolePolicy("a", { role: "nodes", policy: doc(half) }),
            new aws.iam.RolePolicy("b", { role: "nodes", policy: doc(half) }),
            new aws.iam.RolePolicy("c", { role: "other", policy: doc(half) }),
        ]);
        const m = await refusals(() => [new aws.iam.RolePolicy("a", { role: "nodes", policy: doc(half) }), new aws.iam.RolePolicy("b", { role: "nodes", policy: doc(half + 1) })]);
        assert.strictEqual(m.length, 1, m.join("\n"));
        assert.match(m[0], /role nodes's inline policies reach 10241 characters .*at most 10240/);
    });
});

describe("limits/awsLimits: how a refusal ends the render", () => {
    it("exits 3 with one line per refused resource, naming type, resource and limit, and no stack trace", async () => {
        let error: unknown;
        try {
            await runComponents(() => [
                new aws.lb.TargetGroup("tg", { name: "t".repeat(33), port: 6443, protocol: "TCP", vpcId: "vpc-0123456789abcdef0" }),
                new aws.ec2.Vpc("v", { cidrBlock: "10.0.0.0/16", tags: { "aws:owner": "me" } }),
            ]);
        } catch (e) {
            error = e;
        }
        assert.ok(error instanceof RegistrationError);
        const written: string[] = [];
        const write = process.stderr.write;
        process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
        let code: number;
        try {
            code = reportFailure(error);
        } finally {
            process.stderr.write = write;
        }
        assert.strictEqual(code, 3);
        const text = written.join("");
        assert.match(text, /^the plan would fail on AWS: 2 resource\(s\) refused/);
        assert.match(text, /aws:lb\/targetGroup:TargetGroup \(t{33}\): ValidationError: name 't{33}': 33 characters; allowed 1-32/);
        assert.match(text, /aws:ec2\/vpc:Vpc \(v\): ValidationError: tags: tag key 'aws:owner' begins with 'aws:'/);
        assert.doesNotMatch(text, /\n\s+at /, "no stack trace");
    });
});
