/**
 * Every policy catches its own rule on a real plan: the prod stack's render,
 * mutated to break exactly one rule, is fed to the policy CLI (what
 * `npm run policy -- --plan <file>` runs), which must report that policy,
 * and only that policy, as a mandatory violation (exit 1). The unmutated
 * plan passes (exit 0).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { decodeUserData, reencodeUserDataLike } from "../support/userData";
import { spawnSync } from "child_process";
import { render } from "../../tools/offline/render";
import { Plan, PlanResource } from "../../tools/offline/plan";
import { main as policyCli } from "../../policies/cli";
import { allPolicies } from "../../policies/rules";
import { PINNED_NOW, PINNED_SEED } from "../support/harness";
import { PROJECT_ROOT } from "../support/paths";

type Mutation = (plan: Plan) => void;

const ofType = (plan: Plan, type: string): PlanResource[] => plan.resources.filter((r) => r.type === type);
const first = (plan: Plan, type: string, where: (r: PlanResource) => boolean = () => true): PlanResource => {
    const found = ofType(plan, type).find(where);
    if (!found) throw new Error(`the prod plan has no ${type} to mutate`);
    return found;
};
const inputs = (r: PlanResource) => r.inputs as Record<string, any>;
const tagged = (key: string) => (r: PlanResource) => inputs(r).tags?.[key] !== undefined || (inputs(r).tags ?? []).some?.((t: { key: string }) => t.key === key);

/** Edits a launch template's user data as text, keeping its encoding (gzip or not, base64). */
function editUserData(r: PlanResource, edit: (text: string) => string): void {
    const text = decodeUserData(inputs(r).userData);
    const edited = edit(text);
    assert.notStrictEqual(edited, text, `the mutation changed nothing in ${r.name}'s user data`);
    inputs(r).userData = reencodeUserDataLike(inputs(r).userData, edited);
}

const bucketPolicy = (plan: Plan) => {
    const r = first(plan, "aws:s3/bucketPolicy:BucketPolicy");
    const doc = JSON.parse(inputs(r).policy);
    return { r, doc, save: () => (inputs(r).policy = JSON.stringify(doc)) };
};

const MUTATIONS: Record<string, Mutation> = {
    "api-lb-tls-only": (p) => void (inputs(first(p, "aws:lb/listener:Listener")).protocol = "HTTP"),
    "etcd-tls-client-auth": (p) => editUserData(first(p, "aws:ec2/launchTemplate:LaunchTemplate", tagged("k8s.io/role/etcd")), (t) => t.replace(/client-cert-auth: true/, "client-cert-auth: false")),
    "secrets-bucket-deny-insecure-transport": (p) => {
        const b = bucketPolicy(p);
        b.doc.Statement = b.doc.Statement.filter((s: Record<string, any>) => !JSON.stringify(s.Condition ?? {}).includes("aws:SecureTransport"));
        b.save();
    },
    "tls-key-strength": (p) => Object.assign(inputs(first(p, "tls:index/privateKey:PrivateKey")), { algorithm: "RSA", rsaBits: 1024 }),
    "tls-ca-certificates": (p) => {
        const ca = inputs(first(p, "tls:index/selfSignedCert:SelfSignedCert"));
        ca.allowedUses = ca.allowedUses.filter((u: string) => u !== "cert_signing");
    },
    "tls-leaf-validity": (p) => void (inputs(first(p, "tls:index/locallySignedCert:LocallySignedCert")).validityPeriodHours = 5 * 8760),
    "cluster-ports-not-world-open": (p) =>
        void p.resources.push({
            urn: "urn:pulumi:prod::k8s-aws::aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::kubelet-from-anywhere",
            type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            name: "kubelet-from-anywhere",
            parent: null,
            custom: true,
            id: "sgr-0123456789abcdef0",
            inputs: {
                securityGroupId: inputs(first(p, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).securityGroupId,
                ipProtocol: "tcp",
                fromPort: 10250,
                toPort: 10250,
                cidrIpv4: "0.0.0.0/0",
            },
        }),
    "user-data-secrets-on-tmpfs": (p) => editUserData(first(p, "aws:ec2/launchTemplate:LaunchTemplate", tagged("k8s.io/role/node")), (t) => t.replace(/mount -t tmpfs/g, "mkdir -p")),
    "no-key-material-in-user-data-or-tags": (p) => {
        const subnet = inputs(first(p, "aws:ec2/subnet:Subnet"));
        subnet.tags = { ...subnet.tags, debug: "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----" };
    },
    "no-key-material-in-stack-outputs": (p) =>
        void ((p.outputs as Record<string, unknown>).adminConfig = "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-key-data: LS0tLS1CRUdJTg==\n"),
    "imdsv2-required": (p) => void (inputs(first(p, "aws:ec2/launchTemplate:LaunchTemplate")).metadataOptions.httpTokens = "optional"),
    "secrets-bucket-ownership-enforced": (p) => void (inputs(first(p, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")).rule.objectOwnership = "ObjectWriter"),
    "secrets-bucket-public-access-block": (p) => void (inputs(first(p, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")).restrictPublicBuckets = false),
    "secrets-bucket-sse-kms": (p) => {
        const rule = inputs(first(p, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")).rules[0];
        rule.applyServerSideEncryptionByDefault = { sseAlgorithm: "AES256" };
    },
    "secrets-bucket-versioning": (p) => void (inputs(first(p, "aws:s3/bucketVersioning:BucketVersioning")).versioningConfiguration.status = "Suspended"),
    "secrets-bucket-no-public-policy": (p) => {
        const b = bucketPolicy(p);
        b.doc.Statement.push({ Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `${b.doc.Statement[0].Resource[0] ?? b.doc.Statement[0].Resource}/nodes/*` });
        b.save();
    },
    // An even count: etcd slot c and everything of it removed, two members left. (It removed control-plane slot c;
    // prod runs external etcd, so an even control plane holds no etcd data and no quorum is at stake: a wrong belief.)
    "control-plane-odd-spread": (p) => {
        const ofSlotC = (r: PlanResource) => JSON.stringify(inputs(r).tags ?? {}).includes('"etcd-c"') || r.urn.includes("::prod-etcd-c");
        const before = p.resources.length;
        p.resources.splice(0, p.resources.length, ...p.resources.filter((r) => !ofSlotC(r)));
        assert.ok(p.resources.length < before, "the prod plan has no etcd slot c");
    },
    "slot-resources-same-az": (p) => {
        const volume = inputs(first(p, "aws:ebs/volume:Volume", tagged("k8s.io/role/control-plane")));
        volume.availabilityZone = volume.availabilityZone === "eu-west-1a" ? "eu-west-1b" : "eu-west-1a";
    },
    "cluster-subnets-tagged": (p) => {
        const subnet = inputs(first(p, "aws:ec2/subnet:Subnet"));
        const { ["kubernetes.io/cluster/prod"]: _removed, ...rest } = subnet.tags;
        subnet.tags = rest;
    },
    "node-pools-multi-az": (p) => {
        const pool = inputs(first(p, "aws:autoscaling/group:Group", tagged("k8s.io/role/node")));
        pool.vpcZoneIdentifiers = pool.vpcZoneIdentifiers.slice(0, 1);
    },
    "ebs-volumes-encrypted": (p) => void (inputs(first(p, "aws:ebs/volume:Volume")).encrypted = false),
    // Calico handed the public API name (the internet-facing balancer's alias), as it once was.
    "in-cluster-api-endpoint-internal": (p) => {
        const publicName = inputs(first(p, "aws:route53/record:Record", (r) => /^api\.(?!internal\.)/.test(String(inputs(r).name)))).name;
        const calico = inputs(first(p, "kubernetes:helm.sh/v3:Release", (r) => inputs(r).chart === "tigera-operator"));
        calico.values.kubernetesServiceEndpoint.host = publicName;
    },
};

/** A resource a user adds beside ours, as the engine would record it in the prod stack. */
const foreign = (type: string, name: string, inputs: Record<string, unknown>, id: string | null = null): PlanResource => ({
    urn: `urn:pulumi:prod::k8s-aws::${type}::${name}`,
    type,
    name,
    parent: null,
    custom: true,
    id,
    inputs,
});
const everyone = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::acme-website/*" }] });

/** Resources a user adds to the prod stack beside ours: each breaks one policy on its own merits, whoever made it. */
const FOREIGN: { title: string; policy: string; add: Mutation }[] = [
    {
        title: "a public bucket policy on a bucket made elsewhere",
        policy: "secrets-bucket-no-public-policy",
        add: (p) => void p.resources.push(foreign("aws:s3/bucketPolicy:BucketPolicy", "website-policy", { bucket: "acme-website", policy: everyone })),
    },
    {
        title: "a public-read ACL on a bucket made elsewhere",
        policy: "secrets-bucket-ownership-enforced",
        add: (p) => void p.resources.push(foreign("aws:s3/bucketAclV2:BucketAclV2", "website-acl", { bucket: "acme-website", acl: "public-read" })),
    },
    {
        title: "a bucket with ACLs disabled but no public access block",
        policy: "secrets-bucket-public-access-block",
        add: (p) =>
            void p.resources.push(
                foreign("aws:s3/bucket:Bucket", "website", { bucket: "acme-website" }, "acme-website"),
                foreign("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "website-ownership", { bucket: "acme-website", rule: { objectOwnership: "BucketOwnerEnforced" } }),
            ),
    },
    {
        title: "a second group claiming control-plane slot a",
        policy: "control-plane-odd-spread",
        add: (p) => {
            const slot = first(p, "aws:autoscaling/group:Group", tagged("k8s.io/role/control-plane"));
            p.resources.push({ ...JSON.parse(JSON.stringify(slot)), urn: `${slot.urn}-copy`, name: `${slot.name}-copy`, id: null });
        },
    },
    {
        title: "an extra etcd group without a slot, from our etcd launch template",
        policy: "control-plane-odd-spread",
        add: (p) => {
            const member = JSON.parse(JSON.stringify(first(p, "aws:autoscaling/group:Group", tagged("k8s.io/role/etcd")))) as PlanResource;
            const props = inputs(member);
            props.tags = props.tags.filter((t: { key: string }) => t.key !== "k8s.io/slot");
            p.resources.push({ ...member, urn: `${member.urn}-extra`, name: `${member.name}-extra`, id: null });
        },
    },
    {
        title: "etcd opened to the internet in two halves on our control-plane group",
        policy: "cluster-ports-not-world-open",
        add: (p) => {
            const securityGroupId = inputs(first(p, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).securityGroupId;
            for (const [i, cidrIpv4] of ["0.0.0.0/1", "128.0.0.0/1"].entries()) {
                p.resources.push(
                    foreign("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", `etcd-half-${i}`, { securityGroupId, ipProtocol: "tcp", fromPort: 2379, toPort: 2379, cidrIpv4 }),
                );
            }
        },
    },
];

describe("every policy catches a real plan that breaks its rule (npm run policy)", function () {
    this.timeout(180_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-mutations-"));
    const configFile = path.join(PROJECT_ROOT, "policies", "config", "prod.json");
    let plan: Plan;

    before(async () => {
        plan = (await render({ stack: "prod", outDir: path.join(dir, "out"), seed: PINNED_SEED, now: PINNED_NOW })).plan;
    });

    /** Runs the policy CLI in-process (the module `npm run policy` runs) over a plan written to disk. */
    function runCli(p: Plan, name: string) {
        const file = path.join(dir, `${name}.json`);
        fs.writeFileSync(file, JSON.stringify(p));
        let out = "";
        let err = "";
        const code = policyCli(["--plan", file, "--config", configFile], { out: (t) => (out += t), err: (t) => (err += t) });
        return { code, report: out ? JSON.parse(out) : undefined, err };
    }

    it("has a mutation for every policy in the pack", () => {
        assert.deepStrictEqual(Object.keys(MUTATIONS).sort(), allPolicies.map((p) => p.name).sort());
    });

    it("passes the unmutated prod plan", () => {
        const r = runCli(plan, "unmutated");
        assert.strictEqual(r.code, 0, JSON.stringify(r.report?.violations, null, 1) + r.err);
    });

    for (const [policy, mutate] of Object.entries(MUTATIONS)) {
        it(`${policy}: catches it, and nothing else`, () => {
            const mutated = JSON.parse(JSON.stringify(plan)) as Plan;
            mutate(mutated);
            const r = runCli(mutated, policy);
            assert.strictEqual(r.code, 1, r.err);
            const violated = [...new Set(r.report.violations.filter((v: { enforcementLevel: string }) => v.enforcementLevel === "mandatory").map((v: { policy: string }) => v.policy))];
            assert.deepStrictEqual(violated, [policy], JSON.stringify(r.report.violations, null, 1));
        });
    }

    for (const f of FOREIGN) {
        it(`${f.policy}: catches ${f.title} beside ours, and nothing else`, () => {
            const mutated = JSON.parse(JSON.stringify(plan)) as Plan;
            f.add(mutated);
            const r = runCli(mutated, `foreign-${f.title.replace(/\W+/g, "-")}`);
            assert.strictEqual(r.code, 1, r.err);
            const violated = [...new Set(r.report.violations.filter((v: { enforcementLevel: string }) => v.enforcementLevel === "mandatory").map((v: { policy: string }) => v.policy))];
            assert.deepStrictEqual(violated, [f.policy], JSON.stringify(r.report.violations, null, 1));
        });
    }

    it("exits 1 through the npm script itself", () => {
        const mutated = JSON.parse(JSON.stringify(plan)) as Plan;
        MUTATIONS["imdsv2-required"](mutated);
        const file = path.join(dir, "npm-script.json");
        fs.writeFileSync(file, JSON.stringify(mutated));
        const r = spawnSync("npm", ["run", "--silent", "policy", "--", "--plan", file, "--config", configFile], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 120_000 });
        assert.strictEqual(r.status, 1, r.stderr);
        assert.ok(JSON.parse(r.stdout).violations.some((v: { policy: string }) => v.policy === "imdsv2-required"));
    });
});
