/**
 * Policy pack config as a user writes it: every mistake is refused with one
 * line per problem naming the key, the value and what is allowed (with a
 * did-you-mean for typos), offline (reconcileConfig, `npm run policy`) and in
 * the live analyzer (strictConfig's guard in front of every policy).
 */
import * as assert from "assert";
import { mkdtempSync, writeFileSync, mkdirSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import type { ResourceValidationPolicy, StackValidationPolicy, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { reconcileConfig, loadPolicyConfig, PolicyConfigFileError, ConfigError, strictConfig } from "../packconfig";
import { closest } from "../closest";
import { main } from "../cli";
import { allPolicies } from "../rules";
import { plan } from "./helper";

const dir = mkdtempSync(join(tmpdir(), "packconfig-"));
const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
    return path;
};
const problemsOf = (config: unknown): string[] => {
    try {
        reconcileConfig(allPolicies, config);
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
};

describe("policy config: names and settings the pack does not know", () => {
    const cases: { title: string; config: unknown; expected: RegExp[] }[] = [
        {
            title: "a misspelt setting that would drop the API allow-list",
            config: { "cluster-ports-not-world-open": { allowedApiCidr: ["198.51.100.0/24"] } },
            expected: [
                /^"cluster-ports-not-world-open\.allowedApiCidr" is not a setting of policy cluster-ports-not-world-open \(did you mean "allowedApiCidrs"\?\); its settings are allowedApiCidrs, allowPrivateApiSources, apiPort, worldClosedPorts$/,
            ],
        },
        {
            title: "a misspelt policy name",
            config: { "tls-leaf-valdity": { maxLeafValidityHours: 100 } },
            expected: [/^"tls-leaf-valdity" is not a policy of this pack \(did you mean "tls-leaf-validity"\?\)$/],
        },
        {
            title: "a name nothing like a policy",
            config: { "my-own-rule": "advisory" },
            expected: [/^"my-own-rule" is not a policy of this pack; its policies are api-lb-tls-only, .*, and "all" sets every policy's level$/],
        },
        { title: "a misspelt all", config: { al: "advisory" }, expected: [/^"al" is not a policy of this pack \(did you mean "all"\?\)$/] },
        {
            title: "a setting on a policy that has none",
            config: { "imdsv2-required": { hopLimit: 2 } },
            expected: [/^"imdsv2-required\.hopLimit" is not a setting of policy imdsv2-required; it has no settings$/],
        },
        {
            title: "settings under all",
            config: { all: { enforcementLevel: "advisory", maxLeafValidityHours: 1 } },
            expected: [/^"all\.maxLeafValidityHours" is not allowed; "all" sets only the enforcement level of every policy$/],
        },
        {
            title: "several mistakes at once",
            config: { "node-pools-multi-az": { allowSingleAzPool: true }, "tls-key-strenght": "advisory", "tls-leaf-validity": { maxLeafValidityHours: "long" } },
            expected: [
                /tls-key-strenght.*did you mean "tls-key-strength"/,
                /allowSingleAzPool.*did you mean "allowSingleAzPools"/,
                /"tls-leaf-validity\.maxLeafValidityHours": "long" is not allowed; expected integer/,
            ],
        },
        {
            title: "a bad enforcement level",
            config: { "tls-leaf-validity": "strict" },
            expected: [/^"tls-leaf-validity": "strict" is not an enforcement level; expected one of advisory, mandatory, remediate, disabled$/],
        },
        { title: "a bad nested enforcement level", config: { "tls-leaf-validity": { enforcementLevel: 3 } }, expected: [/^"tls-leaf-validity\.enforcementLevel": 3 is not an enforcement level/] },
        {
            title: "a config that is not an object",
            config: ["tls-leaf-validity"],
            expected: [/^policy config \["tls-leaf-validity"\] is not allowed; expected a JSON object keyed by policy name \(or "all"\)$/],
        },
    ];
    for (const c of cases) {
        it(`refuses ${c.title}`, () => {
            const problems = problemsOf(c.config);
            assert.strictEqual(problems.length, c.expected.length, problems.join("\n"));
            c.expected.forEach((re) =>
                assert.ok(
                    problems.some((p) => re.test(p)),
                    `${re} not in:\n${problems.join("\n")}`,
                ),
            );
        });
    }

    it("accepts every shipped per-stack config", () => {
        for (const stack of ["dev", "staging", "prod", "existing-vpc", "shared-vpc"]) loadPolicyConfig(join(__dirname, "..", "config", `${stack}.json`), allPolicies);
    });

    it("suggests only names within a typo's reach", () => {
        assert.strictEqual(closest("allowedApiCidr", ["allowedApiCidrs", "apiPort"]), "allowedApiCidrs");
        assert.strictEqual(closest("port", ["allowedApiCidrs", "worldClosedPorts"]), undefined);
    });
});

describe("policy config files (loadPolicyConfig, shared by the render and npm run policy)", () => {
    mkdirSync(join(dir, "a-directory"), { recursive: true });
    const cases: { title: string; path: () => string; expected: RegExp }[] = [
        { title: "a missing file", path: () => join(dir, "missing.json"), expected: /^policy config .*missing\.json: cannot read it \(no such file\)/ },
        { title: "a directory", path: () => join(dir, "a-directory"), expected: /^policy config .*a-directory: cannot read it \(it is a directory\)/ },
        { title: "invalid JSON", path: () => file("broken.json", '{"tls-leaf-validity": '), expected: /^policy config .*broken\.json: not valid JSON \(/ },
        {
            title: "a bad enforcement level",
            path: () => file("level.json", { "tls-key-strength": "warn" }),
            expected: /^policy config .*level\.json: "tls-key-strength": "warn" is not an enforcement level/,
        },
        {
            title: "an unknown setting",
            path: () => file("typo.json", { "node-pools-multi-az": { allowSingleAZPools: true } }),
            expected: /^policy config .*typo\.json: "node-pools-multi-az\.allowSingleAZPools" is not a setting .*did you mean "allowSingleAzPools"/,
        },
    ];
    for (const c of cases) {
        it(`refuses ${c.title} with one line naming the file`, () => {
            assert.throws(
                () => loadPolicyConfig(c.path(), allPolicies),
                (e: PolicyConfigFileError) => e instanceof PolicyConfigFileError && e.lines.length === 1 && c.expected.test(e.lines[0]),
            );
        });
    }
    it("reads an empty file as no config, as the Pulumi CLI does", () => assert.deepStrictEqual(loadPolicyConfig(file("empty.json", " \n"), allPolicies), {}));
});

describe("npm run policy: unusable config and plans exit 2 with one line per problem", () => {
    const good = file("plan.json", plan([]));
    const run = (argv: string[]) => {
        let out = "";
        let err = "";
        const code = main(argv, { out: (t) => (out += t), err: (t) => (err += t) });
        return { code, out, err };
    };
    const resource = (urn: string) => ({ urn, type: "aws:ec2/vpc:Vpc", name: "v", parent: null, custom: true, inputs: {} });
    const cases: { title: string; argv: () => string[]; expected: RegExp }[] = [
        { title: "a missing --config file", argv: () => ["--plan", good, "--config", join(dir, "nope.json")], expected: /^policy config .*nope\.json: cannot read it \(no such file\)/ },
        { title: "a --config that is not JSON", argv: () => ["--plan", good, "--config", file("bad.json", "{,}")], expected: /^policy config .*bad\.json: not valid JSON/ },
        {
            title: "a bad enforcement level",
            argv: () => ["--plan", good, "--config", file("lvl.json", { all: "loud" })],
            expected: /"all": "loud" is not an enforcement level; expected one of advisory, mandatory, remediate, disabled/,
        },
        {
            title: "a misspelt policy",
            argv: () => ["--plan", good, "--config", file("name.json", { "imdsv2-requried": "advisory" })],
            expected: /"imdsv2-requried" is not a policy of this pack \(did you mean "imdsv2-required"\?\)/,
        },
        {
            title: "a plan with a repeated URN",
            argv: () => ["--plan", file("dup.json", { project: "p", stack: "s", resources: [resource("urn:a"), resource("urn:b"), resource("urn:a")], outputs: {} })],
            expected: /^plan\.resources\[2\]\.urn "urn:a" repeats plan\.resources\[0\]; a URN names one resource\n$/,
        },
    ];
    for (const c of cases) {
        it(`exits 2 on ${c.title}`, () => {
            const r = run(c.argv());
            assert.deepStrictEqual([r.code, r.out], [2, ""]);
            assert.match(r.err, c.expected);
            assert.doesNotMatch(r.err, /\n\s+at |Error:/);
        });
    }
});

describe("strictConfig: the guard the live analyzer runs", () => {
    const resourcePolicy = allPolicies.find((p) => p.name === "tls-leaf-validity") as ResourceValidationPolicy;
    const stackPolicy = allPolicies.find((p) => p.name === "node-pools-multi-az") as StackValidationPolicy;
    const noop = () => undefined;
    const resourceArgs = (config: object) => ({ type: "aws:ec2/vpc:Vpc", props: {}, urn: "urn:x", name: "x", getConfig: () => config, notApplicable: noop }) as unknown as ResourceValidationArgs;
    const stackArgs = (config: object) => ({ resources: [], getConfig: () => config, notApplicable: noop }) as unknown as StackValidationArgs;
    const validations = [resourcePolicy.validateResource].flat();

    it("wraps every policy of the pack", () => {
        for (const p of allPolicies) {
            const run =
                "validateStack" in p ? () => p.validateStack(stackArgs({ bogusSetting: 1 }), noop) : () => [p.validateResource].flat().forEach((v) => v!(resourceArgs({ bogusSetting: 1 }), noop));
            assert.throws(run, /bogusSetting" is not a setting of policy/, p.name);
        }
    });
    it("throws for a typo given to a resource policy, naming the setting it meant", () => {
        assert.throws(
            () => validations[0]!(resourceArgs({ maxLeafValidityHour: 100 }), noop),
            (e: Error) => /did you mean "maxLeafValidityHours"/.test(e.message),
        );
    });
    it("throws for a typo given to a stack policy", () => {
        assert.throws(() => stackPolicy.validateStack(stackArgs({ allowSingleAzPool: true }), noop), /did you mean "allowSingleAzPools"/);
    });
    it("lets known settings through to the policy", () => {
        let seen: unknown;
        const wrapped = strictConfig<StackValidationPolicy>({
            name: "p",
            description: "d",
            configSchema: { properties: { a: { type: "string" } } },
            validateStack: (args) => void (seen = args.getConfig()),
        });
        wrapped.validateStack(stackArgs({ a: "x" }), noop);
        assert.deepStrictEqual(seen, { a: "x" });
    });
});
