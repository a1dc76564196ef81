import * as assert from "assert";
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { runPolicies, parsePlan, PlanError, ConfigError } from "../offline";
import { reconcileConfig } from "../packconfig";
import { main } from "../cli";
import { allPolicies } from "../rules";
import { tlsLeafValidity, tlsKeyStrength } from "../rules/tls";
import { imdsv2Required } from "../rules/secrets";
import { plan, report, Res, expectNone } from "./helper";
import * as f from "./fixtures";

const LONG_LEAF: Res = { type: "tls:index/locallySignedCert:LocallySignedCert", name: "leaf", props: { allowedUses: ["server_auth"], validityPeriodHours: 20000 } };
const WEAK_KEY: Res = { type: "tls:index/privateKey:PrivateKey", name: "key", props: { algorithm: "RSA", rsaBits: 1024 } };
const levels = (r: ReturnType<typeof report>) => r.violations.map((v) => `${v.policy}:${v.enforcementLevel}`);

/** A whole compliant cluster: what a render of a good stack produces. */
function compliantCluster(): Res[] {
    return [
        ...f.clusterStack(),
        ...f.secretsBucket(),
        f.launchTemplateRes(),
        { ...f.launchTemplateRes(f.launchTemplate(f.b64(f.etcdCloudConfig()), "k8s.io/role/etcd")), name: "prod-etcd-a" },
        { type: "tls:index/privateKey:PrivateKey", name: "ca-key", props: { algorithm: "ECDSA", ecdsaCurve: "P256" } },
        {
            type: "tls:index/selfSignedCert:SelfSignedCert",
            name: "ca",
            props: { isCaCertificate: true, allowedUses: ["cert_signing", "crl_signing"], validityPeriodHours: 87600, privateKeyPem: "[secret]" },
        },
        { type: "aws:lb/listener:Listener", name: "api", props: { loadBalancerArn: "arn:lb", port: 6443, protocol: "TCP", defaultActions: [] } },
        {
            type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            name: "api-admins",
            props: { securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: 6443, toPort: 6443, cidrIpv4: "203.0.113.0/24" },
        },
    ];
}

describe("offline runner", () => {
    it("finds nothing wrong with a compliant cluster, across the whole pack", () => {
        const r = report(allPolicies, compliantCluster(), { "cluster-ports-not-world-open": { allowedApiCidrs: ["203.0.113.0/24"] } }, { clusterName: "prod", kubeconfig: "[secret]" });
        expectNone(r.violations);
        assert.deepStrictEqual(r.summary, { policies: allPolicies.length, resources: compliantCluster().length, mandatory: 0, advisory: 0 });
    });
    it("reports mandatory violations with the resource URN", () => {
        const r = report([tlsLeafValidity], [LONG_LEAF]);
        assert.deepStrictEqual(r.violations, [
            {
                policy: "tls-leaf-validity",
                enforcementLevel: "mandatory",
                urn: "urn:pulumi:test::k8s-aws::tls:index/locallySignedCert:LocallySignedCert::leaf",
                message: "leaf certificate valid for 20000h; at most 8760h allowed",
            },
        ]);
        assert.deepStrictEqual(r.summary, { policies: 1, resources: 1, mandatory: 1, advisory: 0 });
    });
    it("reports stack-level violations without a resource against the root stack", () => {
        const r = runPolicies(plan([], { adminConfig: "client-key-data: abc" }), {}, allPolicies);
        assert.deepStrictEqual(
            r.violations.map((v) => v.urn),
            ["urn:pulumi:test::k8s-aws::pulumi:pulumi:Stack::k8s-aws-test"],
        );
    });
    it("does not let a policy change the plan", () => {
        const p = plan([f.launchTemplateRes()]);
        const before = JSON.stringify(p);
        runPolicies(p, {}, allPolicies);
        assert.strictEqual(JSON.stringify(p), before);
    });
});

describe("enforcement levels and config", () => {
    const both = [LONG_LEAF, WEAK_KEY];
    it("downgrades one policy to advisory", () =>
        assert.deepStrictEqual(levels(report([tlsLeafValidity, tlsKeyStrength], both, { "tls-leaf-validity": "advisory" })), ["tls-leaf-validity:advisory", "tls-key-strength:mandatory"]));
    it("sets every policy with all", () =>
        assert.deepStrictEqual(levels(report([tlsLeafValidity, tlsKeyStrength], both, { all: "advisory" })), ["tls-leaf-validity:advisory", "tls-key-strength:advisory"]));
    it("lets a policy's own level win over all", () =>
        assert.deepStrictEqual(levels(report([tlsLeafValidity, tlsKeyStrength], both, { all: "advisory", "tls-key-strength": { enforcementLevel: "mandatory" } })), [
            "tls-leaf-validity:advisory",
            "tls-key-strength:mandatory",
        ]));
    it("skips disabled policies", () => {
        const r = report([tlsLeafValidity, tlsKeyStrength], both, { "tls-key-strength": "disabled" });
        assert.deepStrictEqual([levels(r), r.summary.policies], [["tls-leaf-validity:mandatory"], 1]);
    });
    it("reports remediate as mandatory", () => assert.deepStrictEqual(levels(report([tlsKeyStrength], both, { "tls-key-strength": "remediate" })), ["tls-key-strength:mandatory"]));
    it("applies properties next to a level", () =>
        assert.deepStrictEqual(levels(report([tlsLeafValidity], both, { "tls-leaf-validity": { enforcementLevel: "advisory", maxLeafValidityHours: 30000 } })), []));
    it("fills schema defaults", () =>
        assert.deepStrictEqual(reconcileConfig([tlsLeafValidity]).resolved.get("tls-leaf-validity"), { enforcementLevel: "mandatory", properties: { maxLeafValidityHours: 8760 } }));
    it("rejects an unknown enforcement level", () =>
        assert.throws(
            () => report([imdsv2Required], [], { "imdsv2-required": "strict" } as never),
            (e: ConfigError) => /"imdsv2-required": "strict" is not an enforcement level; expected one of advisory, mandatory, remediate, disabled/.test(e.problems[0]),
        ));
    it("rejects a property of the wrong type, naming key, value and what is allowed", () =>
        assert.throws(
            () => report([tlsLeafValidity], [], { "tls-leaf-validity": { maxLeafValidityHours: "long" } }),
            (e: ConfigError) => e.problems[0] === '"tls-leaf-validity.maxLeafValidityHours": "long" is not allowed; expected integer',
        ));
    it("rejects a value outside the schema's range", () =>
        assert.throws(
            () => report([tlsKeyStrength], [], { "tls-key-strength": { allowedEcdsaCurves: ["P224"] } }),
            (e: ConfigError) => /allowedEcdsaCurves\[0\]": "P224" is not allowed; expected one of "P256", "P384", "P521"/.test(e.problems[0]),
        ));
    // Was a warning; a misspelt name silently dropped its settings (issue 15). Now refused: see packconfig.spec.ts.
    it("refuses names the pack does not know", () =>
        assert.throws(
            () => reconcileConfig([tlsLeafValidity], { "tls-leaf-validty": "advisory", "tls-leaf-validity": { maxHours: 1 } }),
            (e: ConfigError) => e.problems.length === 2 && /tls-leaf-validty/.test(e.problems[0]) && /maxHours/.test(e.problems[1]),
        ));
});

describe("plan parsing", () => {
    it("accepts the contract's shape and keeps ids", () =>
        assert.strictEqual(
            parsePlan({ project: "p", stack: "s", resources: [{ urn: "u", type: "t", name: "n", parent: null, custom: true, inputs: {}, id: "i-1" }], outputs: {} }).resources[0].id,
            "i-1",
        ));
    it("lists every shape problem", () =>
        assert.throws(
            () => parsePlan({ project: "p", resources: [{ urn: 1, type: "t", name: "n", inputs: [] }] }),
            (e: PlanError) => e.problems.join("|") === "plan.stack must be a string|plan.resources[0].urn must be a string|plan.resources[0].inputs must be an object",
        ));
});

describe("npm run policy (cli main)", () => {
    const dir = mkdtempSync(join(tmpdir(), "policy-cli-"));
    const file = (name: string, content: unknown) => {
        const path = join(dir, name);
        writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
        return path;
    };
    const run = (argv: string[]) => {
        let out = "";
        let err = "";
        const code = main(argv, { out: (t) => (out += t), err: (t) => (err += t) });
        return { code, out, err };
    };
    const good = file("good.json", plan(compliantCluster()));
    const bad = file("bad.json", plan([...compliantCluster(), LONG_LEAF]));

    it("exits 0 and prints the report for a compliant plan", () => {
        const r = run(["--plan", good]);
        assert.deepStrictEqual([r.code, JSON.parse(r.out).summary.mandatory, r.err], [0, 0, ""]);
    });
    it("exits 1 with a mandatory violation", () => {
        const r = run([`--plan=${bad}`]);
        assert.deepStrictEqual([r.code, JSON.parse(r.out).violations.map((v: { policy: string }) => v.policy)], [1, ["tls-leaf-validity"]]);
    });
    it("exits 0 when --config makes the violation advisory", () => {
        const r = run(["--plan", bad, "--config", file("advisory.json", { "tls-leaf-validity": "advisory" })]);
        assert.deepStrictEqual([r.code, JSON.parse(r.out).summary.advisory], [0, 1]);
    });
    const unusable: [string, string[], RegExp][] = [
        ["a missing plan file", ["--plan", join(dir, "nope.json")], /^cannot read plan .*nope\.json: ENOENT\n$/],
        ["a plan that is not JSON", ["--plan", file("broken.json", "{")], /^plan .*broken\.json is not valid JSON: /],
        ["a plan of the wrong shape", ["--plan", file("shape.json", { project: "p", stack: "s" })], /^plan\.resources must be an array\n$/],
        ["an invalid config", ["--plan", good, "--config", file("cfg.json", { all: "loud" })], /^policy config .*cfg\.json: "all": "loud" is not an enforcement level/],
        ["no --plan", [], /^--plan is required; usage: /],
        ["an unknown argument", ["--plan", good, "--verbose"], /^unknown argument "--verbose"/],
    ];
    for (const [title, argv, expected] of unusable) {
        it(`exits 2 on ${title}, one line, no stack trace`, () => {
            const r = run(argv);
            assert.deepStrictEqual([r.code, r.out], [2, ""]);
            assert.match(r.err, expected);
            assert.doesNotMatch(r.err, /\n\s+at /);
        });
    }
});
