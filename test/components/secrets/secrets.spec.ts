/**
 * The secrets bucket and the instance roles: the object layout by audience,
 * IAM scoping evaluated as AWS would (patterns, explicit denies), the
 * bucket's lock-down settings, secretness of stored keys and tokens, and that
 * no key, token or kubeconfig text leaks into any plain input, tag or user
 * data. Runs Pki + InstanceRoles + SecretsBucket wired as cluster.ts wires them.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Pki, EtcdMemberIdentity } from "../../../components/pki";
import { InstanceRoles, renderPolicy, policyDocument, sortedJson } from "../../../components/iam";
import {
    SecretsBucket,
    SecretsLocation,
    SecretsReaders,
    Audience,
    allObjects,
    audienceObjects,
    fetchedObjects,
    objectKey,
    pairContents,
    readablePrefixes,
    secretsBucketPolicy,
    secretsReadPolicy,
    secretsDirs,
    checkExtraObjects,
    controlPlaneExtraObjects,
    controlPlaneSlotObjects,
} from "../../../components/secrets";
import { secretsDeliveryCloudConfig } from "../../../components/host/secretsDelivery";
import { clusterTagKey } from "../../../lib/naming";
import { runComponents, Recorded, Secret, RecordedResource, unwrapSecrets } from "../../support/harness";
import { clusterConfig } from "../../support/fixtures";
import { anyMatch, decide, list, Request } from "../../support/iamEval";

const T = {
    bucket: "aws:s3/bucket:Bucket",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    object: "aws:s3/bucketObjectv2:BucketObjectv2",
    key: "aws:kms/key:Key",
    alias: "aws:kms/alias:Alias",
    role: "aws:iam/role:Role",
    profile: "aws:iam/instanceProfile:InstanceProfile",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
};

const BUCKET_ARN = "arn:aws:s3:::demo-secrets-0123";
const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-4333-a444-555555555555";
const ROLE = (n: string) => `arn:aws:iam::123456789012:role/k8s-aws/demo/${n}`;
const READERS: SecretsReaders = { controlPlane: ROLE("cp"), node: ROLE("node"), etcd: { "etcd-a": ROLE("etcd-a"), "etcd-b": ROLE("etcd-b") } };
const MEMBERS: EtcdMemberIdentity[] = [
    { name: "etcd-a", dnsName: "etcd-a.demo.k8s.example.com", ip: "10.0.0.10" },
    { name: "etcd-b", dnsName: "etcd-b.demo.k8s.example.com", ip: "10.0.32.10" },
    { name: "etcd-c", dnsName: "etcd-c.demo.k8s.example.com", ip: "10.0.64.10" },
];
const EXTRA_TAGS = { team: "platform" };

const objectArn = (bucketArn: string, key: string) => `${bucketArn}/${key}`;
const get = (bucketArn: string, key: string, principal?: string): Request => ({ action: "s3:GetObject", resource: objectArn(bucketArn, key), principal });

/** Every object key of a cluster with external etcd members etcd-a and etcd-b, plus keys no layout has (yet). */
const EVERY_KEY = [
    ...allObjects("external", ["etcd-a", "etcd-b"]).map(objectKey),
    ...allObjects("stacked", []).map(objectKey),
    "control-plane/future.key",
    "nodes/future",
    "etcd/etcd-z/server.key",
    "etcd/etcd-a-2/server.key",
    "admin.conf",
    "nodesx/ca.key",
];
const readable = (role: Audience) => (key: string) => readablePrefixes(role).some((p) => key.startsWith(`${p}/`));

// ---------------------------------------------------------------------------------------------

describe("secrets layout (pure)", () => {
    it("puts CA keys only under control-plane/ and gives nodes the CA certificate and join material only", () => {
        const nodes = audienceObjects({ kind: "node" }, "stacked");
        assert.deepStrictEqual(nodes.map(objectKey), ["nodes/ca.crt", "nodes/bootstrap-token", "nodes/discovery-token-ca-cert-hash"]);
        for (const topology of ["stacked", "external"] as const) {
            const keys = allObjects(topology, topology === "external" ? ["etcd-a"] : [])
                .filter((o) => /ca\.key$/.test(o.name))
                .map(objectKey);
            assert.ok(
                keys.every((k) => k.startsWith("control-plane/")),
                keys.join(),
            );
        }
        assert.deepStrictEqual(
            audienceObjects({ kind: "control-plane" }, "stacked").map((o) => o.name),
            ["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "etcd/ca.crt", "etcd/ca.key", "sa.key", "sa.pub", "apiserver-etcd-client.crt", "apiserver-etcd-client.key"],
        );
    });

    it("keeps the etcd CA key off the control plane when etcd is external", () => {
        const names = audienceObjects({ kind: "control-plane" }, "external").map((o) => o.name);
        assert.ok(names.includes("etcd/ca.crt") && !names.includes("etcd/ca.key"));
    });

    it("gives each etcd member its own folder with its certificates and the etcd CA certificate", () => {
        assert.deepStrictEqual(audienceObjects({ kind: "etcd", member: "etcd-a" }, "external").map(objectKey), [
            "etcd/etcd-a/ca.crt",
            "etcd/etcd-a/server.crt",
            "etcd/etcd-a/server.key",
            "etcd/etcd-a/peer.crt",
            "etcd/etcd-a/peer.key",
        ]);
        assert.throws(() => audienceObjects({ kind: "etcd", member: "../x" }, "external"), /DNS label/);
    });

    it("marks keys and tokens secret (0600) and certificates public (0644)", () => {
        for (const o of allObjects("external", ["etcd-a"])) {
            assert.strictEqual(o.secret, /\.key$|bootstrap-token$/.test(o.name), objectKey(o));
            assert.strictEqual(o.mode, o.secret ? "0600" : "0644");
        }
    });

    it("has the control plane fetch its folder plus the join material, once per local path", () => {
        const cp = fetchedObjects({ kind: "control-plane" }, "stacked");
        assert.deepStrictEqual(
            cp.filter((o) => o.prefix === "nodes").map((o) => o.name),
            ["bootstrap-token", "discovery-token-ca-cert-hash"],
        );
        assert.strictEqual(new Set(cp.map((o) => o.path)).size, cp.length);
        assert.deepStrictEqual(secretsDirs("etcd"), ["/etc/kubernetes/pki", "/etc/etcd/pki"]);
        assert.deepStrictEqual(secretsDirs("node"), ["/etc/kubernetes/pki"]);
    });

    it("pairs contents with objects and names what is missing or unknown", () => {
        const cp = Object.fromEntries(audienceObjects({ kind: "control-plane" }, "stacked").map((o) => [o.name, "x"]));
        const nodes = Object.fromEntries(audienceObjects({ kind: "node" }, "stacked").map((o) => [o.name, "x"]));
        assert.strictEqual(pairContents({ controlPlane: cp, nodes, etcd: {} }, "stacked").length, 13);
        const { "sa.key": _dropped, ...withoutSa } = cp;
        assert.throws(() => pairContents({ controlPlane: withoutSa, nodes, etcd: {} }, "stacked"), /no content for control-plane\/sa\.key/);
        assert.throws(() => pairContents({ controlPlane: { ...cp, "admin.conf": "x" }, nodes, etcd: {} }, "stacked"), /unknown objects control-plane\/admin\.conf/);
        assert.throws(() => pairContents({ controlPlane: cp, nodes, etcd: { "etcd-a": {} } }, "stacked"), /stacked/);
    });
});

describe("secrets IAM policies (pure, evaluated)", () => {
    it("renders sorted, stable JSON", () => {
        assert.strictEqual(sortedJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } }), '{"a":{"d":[{"y":2,"z":1}]},"b":1}');
        const doc = secretsReadPolicy({ kind: "node" }, BUCKET_ARN, KEY_ARN);
        assert.strictEqual(doc, sortedJson(JSON.parse(doc)));
        assert.strictEqual(renderPolicy(policyDocument([])), '{"Statement":[],"Version":"2012-10-17"}');
    });

    const roles: [string, Audience][] = [
        ["node", { kind: "node" }],
        ["control-plane", { kind: "control-plane" }],
        ["etcd member etcd-a", { kind: "etcd", member: "etcd-a" }],
    ];
    for (const [label, role] of roles) {
        it(`lets the ${label} role read exactly its folders and decrypt with the bucket key only`, async () => {
            const doc = secretsReadPolicy(role, BUCKET_ARN, KEY_ARN);
            for (const key of EVERY_KEY) {
                assert.strictEqual(await decide(doc, get(BUCKET_ARN, key)), readable(role)(key) ? "allow" : "implicit-deny", key);
            }
            for (const action of ["s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion"]) {
                assert.strictEqual(await decide(doc, { action, resource: objectArn(BUCKET_ARN, `${readablePrefixes(role)[0]}/ca.crt`) }), "implicit-deny", action);
            }
            // Listing acts on the bucket, not on an object (the only resource type of s3:ListBucket).
            assert.strictEqual(await decide(doc, { action: "s3:ListBucket", resource: BUCKET_ARN, context: { "s3:prefix": `${readablePrefixes(role)[0]}/` } }), "implicit-deny");
            assert.strictEqual(await decide(doc, { action: "kms:Decrypt", resource: KEY_ARN }), "allow");
            assert.strictEqual(await decide(doc, { action: "kms:Decrypt", resource: KEY_ARN.replace(/.$/, "6") }), "implicit-deny");
            assert.strictEqual(await decide(doc, { action: "kms:Encrypt", resource: KEY_ARN }), "implicit-deny");
        });
    }

    it("never lets the node role read control-plane/* or etcd/*", async () => {
        const doc = secretsReadPolicy({ kind: "node" }, BUCKET_ARN, KEY_ARN);
        for (const key of ["control-plane/ca.key", "control-plane/sa.key", "control-plane/anything", "etcd/etcd-a/server.key"]) {
            assert.notStrictEqual(await decide(doc, get(BUCKET_ARN, key)), "allow", key);
        }
        // The resource patterns themselves: none may match a control-plane object.
        const patterns: string[] = JSON.parse(doc).Statement.flatMap((s: any) => list(s.Resource) ?? []);
        assert.ok(!anyMatch(patterns, objectArn(BUCKET_ARN, "control-plane/ca.key")));
    });

    describe("the bucket policy", () => {
        const policy = secretsBucketPolicy(BUCKET_ARN, READERS);

        it("denies every request without TLS, on the bucket and its objects, to everyone", async () => {
            const deny = JSON.parse(policy).Statement.find((s: any) => s.Sid === "DenyInsecureTransport");
            assert.deepStrictEqual(deny, {
                Action: ["s3:*"],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
                Effect: "Deny",
                Principal: "*",
                Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
                Sid: "DenyInsecureTransport",
            });
            for (const principal of [READERS.controlPlane, "arn:aws:iam::123456789012:role/admin"]) {
                assert.strictEqual(await decide(policy, { ...get(BUCKET_ARN, "nodes/ca.crt", principal), context: { "aws:SecureTransport": "false" } }), "explicit-deny");
                assert.strictEqual(await decide(policy, { action: "s3:ListBucket", resource: BUCKET_ARN, principal, context: { "aws:SecureTransport": "false" } }), "explicit-deny");
            }
        });

        it("allows each folder to the roles that need it and denies it to every other instance role", async () => {
            const principals: [string, Audience][] = [
                [READERS.controlPlane, { kind: "control-plane" }],
                [READERS.node, { kind: "node" }],
                [READERS.etcd["etcd-a"], { kind: "etcd", member: "etcd-a" }],
                [READERS.etcd["etcd-b"], { kind: "etcd", member: "etcd-b" }],
            ];
            for (const [principal, role] of principals) {
                for (const key of EVERY_KEY) {
                    const d = await decide(policy, get(BUCKET_ARN, key, principal));
                    if (readable(role)(key)) assert.notStrictEqual(d, "explicit-deny", `${principal} ${key}`);
                    else assert.strictEqual(d, "explicit-deny", `${principal} must not read ${key}`);
                }
            }
            assert.strictEqual(await decide(policy, get(BUCKET_ARN, "nodes/bootstrap-token", READERS.node)), "allow");
            assert.strictEqual(await decide(policy, get(BUCKET_ARN, "control-plane/ca.key", READERS.controlPlane)), "allow");
            assert.strictEqual(await decide(policy, get(BUCKET_ARN, "etcd/etcd-b/peer.key", READERS.etcd["etcd-b"])), "allow");
        });

        it("grants nothing to anyone else", async () => {
            for (const key of EVERY_KEY) assert.notStrictEqual(await decide(policy, get(BUCKET_ARN, key, "arn:aws:iam::999999999999:root")), "allow", key);
        });
    });
});

// ---------------------------------------------------------------------------------------------

interface Wired {
    readonly pki: Pki;
    readonly roles: InstanceRoles;
    readonly secrets: SecretsBucket;
}

/** Pki, InstanceRoles and SecretsBucket, wired as cluster.ts does: the roles' read policies wait on the bucket. */
function wire(overrides: Record<string, unknown>, members: EtcdMemberIdentity[] = []): () => Wired {
    const config = clusterConfig({ tags: EXTRA_TAGS, ...overrides });
    const topology = config.etcd.topology;
    return () => {
        const [location, setLocation] = pulumi.deferredOutput<SecretsLocation>();
        const pki = new Pki("demo-pki", { clusterName: config.name, settings: config.pki, etcdTopology: topology, etcdMembers: members, apiEndpoint: "api.demo.k8s.example.com" });
        const roles = new InstanceRoles("demo-iam", { clusterName: config.name, tags: config.tags, etcdMembers: members.map((m) => m.name), secrets: location });
        const secrets = new SecretsBucket("demo-secrets", { clusterName: config.name, tags: config.tags, etcdTopology: topology, readers: roles.readers, contents: pki.contents });
        setLocation(secrets.location);
        return { pki, roles, secrets };
    };
}

/** Inputs as JSON with every secret replaced: what a plan, the state's plain fields or a console shows. */
function plainInputs(r: RecordedResource): string {
    const strip = (v: unknown): unknown =>
        v instanceof Secret
            ? "[secret]"
            : Array.isArray(v)
              ? v.map(strip)
              : v && typeof v === "object" && v.constructor === Object
                ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)]))
                : v;
    return JSON.stringify(strip(r.inputs));
}

/** Every secret value the PKI made, and recognisable fragments of each. */
async function secretValues(pki: Pki, outputs: (v: unknown) => Promise<any>): Promise<string[]> {
    const keys: string[] = await outputs([
        pki.clusterCa.keyPem,
        pki.frontProxyCa.keyPem,
        pki.etcdCa.keyPem,
        pki.serviceAccount.keyPem,
        pki.admin.keyPem,
        pki.apiserverEtcdClient.keyPem,
        ...Object.values(pki.etcdMembers).flatMap((c) => [c.server.keyPem, c.peer.keyPem]),
    ]);
    const token: string = await outputs(pki.bootstrapToken);
    const kubeconfig: string = await outputs(pki.adminKubeconfig);
    const keyBodies = keys.map((k) => k.split("\n").filter((l) => l && !l.startsWith("-----"))[1]);
    return [...keys, ...keyBodies, ...keys.map((k) => Buffer.from(k).toString("base64").slice(0, 60)), token, token.split(".")[1], kubeconfig, "PRIVATE KEY", "client-key-data"];
}

for (const scenario of [
    { label: "external etcd, 3 members", overrides: { etcd: { topology: "external", members: 3 } }, members: MEMBERS },
    { label: "stacked etcd", overrides: {}, members: [] as EtcdMemberIdentity[] },
]) {
    describe(`SecretsBucket + InstanceRoles (mocked run: ${scenario.label})`, () => {
        let run: Recorded & { result: Wired; outputs: (v: unknown) => Promise<any> };
        let bucketArn: string;
        let keyArn: string;
        let readers: SecretsReaders;
        const one = (type: string) => {
            const found = run.ofType(type);
            assert.strictEqual(found.length, 1, type);
            return run.inputs(found[0]);
        };
        before(async () => {
            run = await runComponents(wire(scenario.overrides, scenario.members));
            bucketArn = await run.outputs(run.result.secrets.bucketArn);
            keyArn = await run.outputs(run.result.secrets.kmsKeyArn);
            readers = await run.outputs(run.result.roles.readers);
        });

        it("is made of k8s-aws:secrets:SecretsBucket and k8s-aws:iam:InstanceRoles with <name>-<role> children", () => {
            for (const [type, name] of [
                ["k8s-aws:secrets:SecretsBucket", "demo-secrets"],
                ["k8s-aws:iam:InstanceRoles", "demo-iam"],
            ]) {
                const [c] = run.ofType(type);
                assert.strictEqual(c.name, name);
                const children = run.childrenOf(c.urn);
                assert.ok(children.length > 0 && children.every((r) => r.name.startsWith(`${name}-`)), type);
            }
        });

        it("enforces bucket ownership and blocks all public access", () => {
            assert.deepStrictEqual(one(T.ownership).rule, { objectOwnership: "BucketOwnerEnforced" });
            const pab = one(T.pab);
            assert.deepStrictEqual([pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets], [true, true, true, true]);
            const bucket = one(T.bucket);
            assert.strictEqual(pab.bucket, bucketArn.split(":::")[1]);
            assert.strictEqual(bucket.acl, undefined);
            assert.strictEqual(bucket.bucketPrefix, "demo-secrets-");
        });

        it("encrypts with SSE-KMS under its own rotating key, with bucket keys, and versions objects", () => {
            const key = one(T.key);
            assert.strictEqual(key.enableKeyRotation, true);
            assert.ok(key.deletionWindowInDays >= 7 && key.deletionWindowInDays <= 30);
            assert.deepStrictEqual(one(T.sse).rules, [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn }, bucketKeyEnabled: true }]);
            assert.deepStrictEqual(one(T.versioning).versioningConfiguration, { status: "Enabled" });
            assert.strictEqual(one(T.alias).name, "alias/k8s-aws/demo/secrets");
            assert.ok(one(T.lifecycle).rules[0].noncurrentVersionExpiration.noncurrentDays > 0);
        });

        it("tags the bucket, key and roles as the cluster's", () => {
            for (const r of [...run.ofType(T.bucket), ...run.ofType(T.key), ...run.ofType(T.role), ...run.ofType(T.profile)]) {
                const tags = run.inputs(r).tags;
                assert.strictEqual(tags[clusterTagKey("demo")], "owned", r.name);
                assert.strictEqual(tags.team, "platform", r.name);
                assert.ok(tags.Name, r.name);
            }
        });

        it("stores exactly the layout's objects, each SSE-KMS with the bucket's key, secret ones as Pulumi secrets", () => {
            const members = scenario.members.map((m) => m.name);
            const topology = members.length > 0 ? "external" : "stacked";
            const expected = allObjects(topology, members);
            const objects = run.ofType(T.object);
            assert.deepStrictEqual(objects.map((o) => run.inputs(o).key).sort(), expected.map(objectKey).sort());
            assert.deepStrictEqual([...run.result.secrets.objectKeys].sort(), expected.map(objectKey).sort());
            for (const o of objects) {
                const inputs = run.inputs(o);
                const layout = expected.find((e) => objectKey(e) === inputs.key)!;
                assert.deepStrictEqual([inputs.serverSideEncryption, inputs.kmsKeyId, inputs.bucketKeyEnabled], ["aws:kms", keyArn, true], inputs.key);
                assert.strictEqual(o.inputs.content instanceof Secret, layout.secret, `${inputs.key} secret`);
                assert.ok(inputs.content.length > 0, inputs.key);
                if (/\.key$/.test(inputs.key)) assert.match(inputs.content, /PRIVATE KEY/);
                if (inputs.key.startsWith("nodes/")) assert.doesNotMatch(inputs.content, /PRIVATE KEY/, inputs.key);
            }
        });

        it("has a bucket policy that denies plain HTTP and confines every instance role to its folders", async () => {
            const policy = one(T.policy).policy as string;
            assert.strictEqual(policy, secretsBucketPolicy(bucketArn, readers));
            assert.strictEqual(await decide(policy, get(bucketArn, "control-plane/ca.key", readers.node)), "explicit-deny");
            assert.strictEqual(await decide(policy, { ...get(bucketArn, "nodes/ca.crt", readers.node), context: { "aws:SecureTransport": "false" } }), "explicit-deny");
            assert.strictEqual(await decide(policy, get(bucketArn, "nodes/bootstrap-token", readers.node)), "allow");
        });

        it("creates EC2 instance roles under /k8s-aws/<cluster>/ with profiles, one per etcd member", () => {
            const roles = run.ofType(T.role);
            assert.deepStrictEqual(roles.map((r) => r.name).sort(), ["demo-iam-control-plane", "demo-iam-node", ...scenario.members.map((m) => `demo-iam-etcd-${m.name}`)].sort());
            for (const r of roles) {
                const inputs = run.inputs(r);
                assert.strictEqual(inputs.path, "/k8s-aws/demo/");
                const trust = JSON.parse(inputs.assumeRolePolicy);
                assert.deepStrictEqual(
                    trust.Statement.map((s: any) => [s.Effect, s.Principal, s.Action]),
                    [["Allow", { Service: "ec2.amazonaws.com" }, "sts:AssumeRole"]],
                );
            }
            assert.strictEqual(run.ofType(T.profile).length, roles.length);
            for (const p of run.ofType(T.profile)) assert.strictEqual(run.inputs(p).path, "/k8s-aws/demo/");
            assert.deepStrictEqual(
                Object.keys(readers.etcd).sort(),
                scenario.members.map((m) => m.name),
            );
        });

        it("attaches read policies that keep the node role out of control-plane/* and etcd/*", async () => {
            const policyOf = (roleName: string) => {
                const rp = run.ofType(T.rolePolicy).find((p) => p.name === `${roleName}-secrets-read`)!;
                assert.ok(rp, roleName);
                return run.inputs(rp).policy as string;
            };
            const node = policyOf("demo-iam-node");
            const keys = [...EVERY_KEY, ...run.ofType(T.object).map((o) => run.inputs(o).key as string)];
            for (const key of keys) {
                const allowed = (await decide(node, get(bucketArn, key))) === "allow";
                assert.strictEqual(allowed, key.startsWith("nodes/"), `node role and ${key}`);
            }
            assert.strictEqual(await decide(node, { action: "kms:Decrypt", resource: keyArn }), "allow");
            const cp = policyOf("demo-iam-control-plane");
            assert.strictEqual(await decide(cp, get(bucketArn, "control-plane/ca.key")), "allow");
            assert.strictEqual(await decide(cp, get(bucketArn, "nodes/bootstrap-token")), "allow");
            assert.notStrictEqual(await decide(cp, get(bucketArn, "etcd/etcd-a/server.key")), "allow");
            for (const m of scenario.members) {
                const etcd = policyOf(`demo-iam-etcd-${m.name}`);
                for (const key of keys) assert.strictEqual((await decide(etcd, get(bucketArn, key))) === "allow", key.startsWith(`etcd/${m.name}/`), `${m.name} and ${key}`);
            }
        });

        it("leaks no private key, token or kubeconfig into any plain input, tag or user data", async () => {
            const secrets = await secretValues(run.result.pki, run.outputs);
            for (const r of run.resources) {
                const plain = plainInputs(r);
                for (const s of secrets) assert.ok(!plain.includes(s), `${r.type} ${r.name} shows secret text ${s.slice(0, 30)}...`);
            }
            const bucket = await run.outputs(run.result.secrets.bucketName);
            const audiences: Audience[] = [{ kind: "control-plane" }, { kind: "node" }, ...scenario.members.map((m): Audience => ({ kind: "etcd", member: m.name }))];
            for (const audience of audiences) {
                const userData = JSON.stringify(secretsDeliveryCloudConfig({ bucket, region: "eu-west-1", audience, etcdTopology: scenario.members.length > 0 ? "external" : "stacked" }));
                assert.ok(userData.includes(bucket));
                for (const s of secrets) assert.ok(!userData.includes(s), `user data of ${audience.kind} shows secret text`);
            }
        });

        it("keeps the stored keys and token secret in the recorded inputs", () => {
            const secretObjects = run.ofType(T.object).filter((o) => o.inputs.content instanceof Secret);
            const keys = secretObjects.map((o) => run.inputs(o).key as string);
            assert.ok(keys.includes("nodes/bootstrap-token") && keys.includes("control-plane/ca.key") && keys.includes("control-plane/sa.key"));
            for (const o of run.ofType(T.object)) {
                const content = unwrapSecrets(o.inputs.content) as string;
                if (/PRIVATE KEY/.test(content)) assert.ok(o.inputs.content instanceof Secret, run.inputs(o).key);
            }
        });
    });
}

describe("SecretsBucket (own secrecy)", () => {
    it("stores secret objects as Pulumi secrets even when handed plain strings", async () => {
        const text = (o: { prefix: string; name: string }) => `content of ${objectKey(o)}`;
        const folder = (a: Audience) => Object.fromEntries(audienceObjects(a, "external").map((o) => [o.name, text(o)]));
        const contents = { controlPlane: folder({ kind: "control-plane" }), nodes: folder({ kind: "node" }), etcd: { "etcd-a": folder({ kind: "etcd", member: "etcd-a" }) } };
        const run = await runComponents(() => new SecretsBucket("demo-secrets", { clusterName: "demo", etcdTopology: "external", readers: READERS, contents }));
        const objects = run.ofType(T.object);
        assert.strictEqual(objects.length, allObjects("external", ["etcd-a"]).length);
        for (const o of objects) {
            const key = run.inputs(o).key as string;
            const layout = allObjects("external", ["etcd-a"]).find((x) => objectKey(x) === key)!;
            assert.strictEqual(o.inputs.content instanceof Secret, layout.secret, key);
            assert.strictEqual(run.inputs(o).content, `content of ${key}`);
        }
    });
});

describe("SecretsBucket (argument checks)", () => {
    it("fails the run when the PKI's contents and the layout disagree", async () => {
        const contents = { controlPlane: { "ca.crt": "x" }, nodes: {}, etcd: {} };
        await assert.rejects(
            runComponents(() => new SecretsBucket("demo-secrets", { clusterName: "demo", etcdTopology: "stacked", readers: READERS, contents })),
            /no content for control-plane\/ca\.key/,
        );
    });
});

describe("SecretsBucket (the control plane's extra objects, lifecycle rules and access)", () => {
    const folder = (a: Audience) => Object.fromEntries(audienceObjects(a, "stacked").map((o) => [o.name, `content of ${objectKey(o)}`]));
    const contents = { controlPlane: folder({ kind: "control-plane" }), nodes: folder({ kind: "node" }), etcd: {} };
    const extras = controlPlaneExtraObjects(["control-plane-a", "control-plane-b"]);
    const extraObjects = extras.map((object) => ({ object, content: `extra ${objectKey(object)}` }));
    const backupRule = { id: "demo-etcd-hourly", status: "Enabled", filter: { prefix: "backups/etcd/demo/hourly/" }, expiration: { days: 7 } };

    it("lays out per-slot kubeadm configurations and one encryption configuration under control-plane/, all secret", () => {
        assert.deepStrictEqual(extras.map(objectKey), [
            "control-plane/slots/control-plane-a/kubeadm-init.yaml",
            "control-plane/slots/control-plane-a/kubeadm-join.yaml",
            "control-plane/encryption-config.yaml",
            "control-plane/slots/control-plane-b/kubeadm-init.yaml",
            "control-plane/slots/control-plane-b/kubeadm-join.yaml",
        ]);
        assert.ok(extras.every((o) => o.secret && o.mode === "0600" && o.path.startsWith("/etc/kubernetes/pki/")));
        assert.deepStrictEqual(
            controlPlaneSlotObjects("control-plane-b").map((o) => o.path),
            ["/etc/kubernetes/pki/kubeadm/init.yaml", "/etc/kubernetes/pki/kubeadm/join.yaml", "/etc/kubernetes/pki/encryption-config.yaml"],
        );
        assert.throws(() => controlPlaneSlotObjects("../a"), /DNS label/);
    });

    it("accepts extra objects only in the control plane's folder, never replacing a PKI object, never twice", () => {
        const layout = allObjects("stacked", []);
        assert.doesNotThrow(() => checkExtraObjects(extras, layout));
        assert.throws(() => checkExtraObjects([{ ...extras[0], prefix: "nodes" }], layout), /outside control-plane\//);
        assert.throws(() => checkExtraObjects([{ ...extras[0], prefix: "control-plane", name: "ca.key" }], layout), /replace a PKI object/);
        assert.throws(() => checkExtraObjects([extras[0], extras[0]], layout), /twice/);
        assert.throws(() => checkExtraObjects([{ ...extras[0], mode: "0644" }], layout), /mode/);
    });

    it("stores the extra objects (as Pulumi secrets), merges the extra lifecycle rules and writes the bucket policy with the access given", async () => {
        const access = { controlPlane: { write: ["control-plane/cluster-initialized"] } };
        const run = await runComponents(
            () => new SecretsBucket("demo-secrets", { clusterName: "demo", etcdTopology: "stacked", readers: READERS, contents, extraObjects, extraLifecycleRules: [backupRule], access }),
        );
        const objects = run.ofType(T.object);
        assert.strictEqual(objects.length, allObjects("stacked", []).length + extras.length);
        for (const e of extras) {
            const o = objects.find((r) => run.inputs(r).key === objectKey(e))!;
            assert.ok(o.inputs.content instanceof Secret, objectKey(e));
            assert.strictEqual(run.inputs(o).content, `extra ${objectKey(e)}`);
        }
        assert.ok(extras.every((e) => run.result.objectKeys.includes(objectKey(e))));
        const rules = run.inputs(run.ofType(T.lifecycle)[0]).rules;
        assert.deepStrictEqual(
            rules.map((r: any) => r.id),
            ["expire-replaced-secrets", "demo-etcd-hourly"],
        );
        const bucketArn = `arn:aws:s3:::${run.inputs(run.ofType(T.pab)[0]).bucket}`;
        const policy = run.inputs(run.ofType(T.policy)[0]).policy as string;
        assert.strictEqual(policy, secretsBucketPolicy(bucketArn, READERS, access));
    });

    it("fails the run on duplicate lifecycle rule ids or extra objects outside control-plane/", async () => {
        await assert.rejects(
            runComponents(() => new SecretsBucket("demo-secrets", { clusterName: "demo", etcdTopology: "stacked", readers: READERS, contents, extraLifecycleRules: [backupRule, backupRule] })),
            /two lifecycle rules have the id demo-etcd-hourly/,
        );
        await assert.rejects(
            runComponents(
                () =>
                    new SecretsBucket("demo-secrets", {
                        clusterName: "demo",
                        etcdTopology: "stacked",
                        readers: READERS,
                        contents,
                        extraObjects: [{ object: { ...extras[0], prefix: "nodes" }, content: "x" }],
                    }),
            ),
            /outside control-plane\//,
        );
    });

    it("without extra access, denies every instance role every write and every deletion", async () => {
        const policy = secretsBucketPolicy(BUCKET_ARN, READERS);
        for (const principal of [READERS.controlPlane, READERS.node, READERS.etcd["etcd-a"]]) {
            for (const key of EVERY_KEY) {
                for (const action of ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]) {
                    assert.strictEqual(await decide(policy, { action, resource: objectArn(BUCKET_ARN, key), principal }), "explicit-deny", `${principal} ${action} ${key}`);
                }
            }
        }
    });
});
