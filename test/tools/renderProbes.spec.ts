/**
 * A hostile new user's stack files, run through the render CLI's own `main`
 * (tools/render.ts, the function `npm run render` calls): each probe gives a
 * stack file, the exit code, the lines stderr must hold and the lines it must
 * not. Every refusal is exit 2, one plain line per problem, all at once, no
 * stack trace, nothing written.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { main } from "../../tools/render";

/** A stack that renders cleanly: the probes change it in one place. */
const CLUSTER = {
    name: "demo",
    adminCidrs: ["203.0.113.0/24"],
    addons: { externalDns: false },
    nodePools: [{ name: "general", instanceTypes: ["m7i.large"], min: 3, desired: 3, max: 6 }],
};
const POOL = CLUSTER.nodePools[0];

function stackYaml(cluster: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
    return YAML.stringify({ config: { "aws:region": "eu-west-1", "k8s-aws:cluster": { ...CLUSTER, ...cluster }, ...extra } });
}

interface Probe {
    readonly name: string;
    /** The stack file's text. */
    readonly stack: string;
    readonly exit: number;
    /** Each must match a line of stderr. */
    readonly lines: RegExp[];
    /** None may match any line of stderr. */
    readonly absent?: RegExp[];
}

/** What no answer to a user may contain: the validation library's words, raw patterns, JSON's null for a number, a stack trace. */
const NEVER = [/Invalid key in record/, /Invalid input/, /expected \d/, /must match pattern/, /\/\^/, /\bat .*\.ts:\d+/, /internal error/];

const PROBES: Probe[] = [
    {
        name: "k8s-aws:cluster given as a string",
        stack: "config:\n  aws:region: eu-west-1\n  k8s-aws:cluster: hello\n",
        exit: 2,
        lines: [/^k8s-aws:cluster: "hello" is not valid; allowed: a mapping of settings under k8s-aws:cluster:/],
    },
    {
        name: "k8s-aws:cluster given as a list",
        stack: "config:\n  aws:region: eu-west-1\n  k8s-aws:cluster: [1, 2]\n",
        exit: 2,
        lines: [/^k8s-aws:cluster: \[1,2\] is not valid; allowed: a mapping of settings/],
    },
    {
        name: "k8s-aws:cluster given as a number",
        stack: "config:\n  aws:region: eu-west-1\n  k8s-aws:cluster: 3\n",
        exit: 2,
        lines: [/^k8s-aws:cluster: 3 is not valid; allowed: a mapping of settings/],
    },
    {
        name: "k8s-aws:cluster left empty",
        stack: "config:\n  aws:region: eu-west-1\n  k8s-aws:cluster:\n",
        exit: 2,
        lines: [/^k8s-aws:cluster: null is not valid; allowed: a mapping of settings/],
    },
    {
        name: "config: given as a list",
        stack: "config:\n  - aws:region: eu-west-1\n",
        exit: 2,
        lines: [/^Pulumi\.probe\.yaml: config: a list is not valid; allowed: a mapping of settings/],
    },
    {
        name: "a stack file that is a plain string",
        stack: "just some text\n",
        exit: 2,
        lines: [/^Pulumi\.probe\.yaml: "just some text" is not valid; allowed: a mapping with a config: section/],
    },
    {
        name: "adminCidrs as a string beside a pod range overlapping the VPC",
        stack: stackYaml({ adminCidrs: "203.0.113.0/24", network: { mode: "new", vpcCidr: "10.0.0.0/16" }, podCidr: "10.0.0.0/17" }),
        exit: 2,
        lines: [
            /^k8s-aws:cluster\.adminCidrs: "203\.0\.113\.0\/24" is not valid; allowed: a list$/,
            /^k8s-aws:cluster\.podCidr: "10\.0\.0\.0\/17" is not valid; allowed: a range that does not overlap the VPC 10\.0\.0\.0\/16/,
        ],
    },
    {
        name: "a malformed vpcCidr beside a service range overlapping the pods",
        stack: stackYaml({ network: { mode: "new", vpcCidr: 42 }, podCidr: "100.64.0.0/16", serviceCidr: "100.64.0.0/16" }),
        exit: 2,
        lines: [
            /^k8s-aws:cluster\.network\.vpcCidr: 42 is not valid; allowed: a string/,
            /^k8s-aws:cluster\.serviceCidr: "100\.64\.0\.0\/16" is not valid; allowed: a range that does not overlap podCidr/,
        ],
    },
    {
        name: "a misspelled max (no phantom min/max problems)",
        stack: stackYaml({ nodePools: [{ name: "general", instanceTypes: ["m7i.large"], min: 3, desired: 3, mx: 6 }] }),
        exit: 2,
        lines: [
            /^k8s-aws:cluster\.nodePools\[0\]\.max: \(missing\) is not valid; allowed: required: a number/,
            /^k8s-aws:cluster\.nodePools\[0\]\.mx: 6 is not valid; allowed: no such setting \(did you mean max\?\)/,
        ],
        absent: [/nodePools\[0\]\.min:/, /nodePools\[0\]\.desired:/],
    },
    {
        name: "one pool malformed, another wrong: the other is still judged",
        stack: stackYaml({
            nodePools: [
                { name: "a", instanceTypes: ["m7i.large"], min: 1, desired: 1, max: "one" },
                { name: "b", instanceTypes: ["m7i.large"], min: 5, desired: 5, max: 2 },
            ],
        }),
        exit: 2,
        lines: [/^k8s-aws:cluster\.nodePools\[0\]\.max: "one" is not valid; allowed: a number/, /^k8s-aws:cluster\.nodePools\[1\]\.min: 5 is not valid; allowed: at most max \(2\)/],
        absent: [/nodePools\[0\]\.(min|desired):/],
    },
    {
        name: "a misspelt setting, with a did-you-mean",
        stack: stackYaml({ nodepools: [] }),
        exit: 2,
        lines: [/^k8s-aws:cluster\.nodepools: \[\] is not valid; allowed: no such setting \(did you mean nodePools\?\)/],
    },
    {
        name: "the whole internet in two halves",
        stack: stackYaml({ adminCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }),
        exit: 2,
        lines: [/^k8s-aws:cluster\.adminCidrs: \["0\.0\.0\.0\/1","128\.0\.0\.0\/1"\] is not valid; allowed: the admins' own networks, together at most 16777216 internet addresses/],
    },
    {
        name: "the whole internet in four quarters",
        stack: stackYaml({ adminCidrs: ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"] }),
        exit: 2,
        lines: [/^k8s-aws:cluster\.adminCidrs: .* is not valid; allowed: the admins' own networks.*opens the API to the internet/],
    },
    {
        name: "0.0.0.0/0",
        stack: stackYaml({ adminCidrs: ["0.0.0.0/0"] }),
        exit: 2,
        lines: [/^k8s-aws:cluster\.adminCidrs: \["0\.0\.0\.0\/0"\] is not valid/],
    },
    {
        name: "a CA valid for less time than its leaf certificates",
        stack: stackYaml({ pki: { caValidityHours: 720, leafValidityHours: 8760 } }),
        exit: 2,
        lines: [/^k8s-aws:cluster\.pki\.caValidityHours: 720 is not valid; allowed: at least leafValidityHours \(8760\)/],
    },
    {
        name: "both cluster: and k8s-aws:cluster:",
        stack: stackYaml({}, { cluster: { ...CLUSTER, name: "other" } }),
        exit: 2,
        lines: [/^k8s-aws:cluster: \["k8s-aws:cluster","cluster"\] is not valid; allowed: the setting written once/],
    },
    {
        name: "k8s-aws:clustr (a typo) and no k8s-aws:cluster",
        stack: "config:\n  aws:region: eu-west-1\n  k8s-aws:clustr:\n    name: demo\n",
        exit: 2,
        lines: [
            /^k8s-aws:clustr: \{"name":"demo"\} is not valid; allowed: no such setting: this project reads k8s-aws:cluster only; did you mean k8s-aws:cluster\?/,
            /^k8s-aws:cluster: \(missing\) is not valid; allowed: required:/,
        ],
    },
    {
        name: "an unknown k8s-aws key beside a valid cluster",
        stack: stackYaml({}, { "k8s-aws:debug": true }),
        exit: 2,
        lines: [/^k8s-aws:debug: true is not valid; allowed: no such setting: this project reads k8s-aws:cluster only$/],
    },
    {
        name: "kubernetesVersion: 1.35 unquoted (a YAML number)",
        stack: stackYaml({}).replace("name: demo", "name: demo\n    kubernetesVersion: 1.35"),
        exit: 2,
        lines: [/^k8s-aws:cluster\.kubernetesVersion: 1\.35 is not valid; allowed: text, not a number: write it in quotes, e\.g\. "1\.35"/],
    },
    {
        name: ".inf and .nan, shown as written",
        stack: stackYaml({}).replace("name: demo", "name: demo\n    pki:\n      caValidityHours: .inf\n      leafValidityHours: .nan"),
        exit: 2,
        lines: [/^k8s-aws:cluster\.pki\.caValidityHours: \.inf is not valid; allowed: a finite number/, /^k8s-aws:cluster\.pki\.leafValidityHours: \.nan is not valid; allowed: a finite number/],
        absent: [/null/],
    },
    {
        name: "no aws:region (reported once)",
        stack: YAML.stringify({ config: { "k8s-aws:cluster": CLUSTER } }),
        exit: 2,
        lines: [/^aws:region: \(missing\) is not valid; allowed: an AWS region such as eu-west-1/],
        absent: [/^aws:region: ""/],
    },
    {
        name: "a label key and value a Kubernetes API server would refuse",
        stack: stackYaml({ nodePools: [{ ...POOL, labels: { "bad key!": "ok", team: "bad value!" } }] }),
        exit: 2,
        lines: [
            /^k8s-aws:cluster\.nodePools\[0\]\.labels\.bad key!: "bad key!" is not valid; allowed: a key that is a Kubernetes label key/,
            /^k8s-aws:cluster\.nodePools\[0\]\.labels\.team: "bad value!" is not valid; allowed: a Kubernetes label value/,
        ],
    },
    {
        name: "an RSA key size outside the choices",
        stack: stackYaml({ pki: { algorithm: "RSA", rsaBits: 1024 } }),
        exit: 2,
        lines: [/^k8s-aws:cluster\.pki\.rsaBits: 1024 is not valid; allowed: one of 2048, 3072, 4096$/],
    },
    {
        name: "an empty tag key",
        stack: stackYaml({ tags: { "": "x" } }),
        exit: 2,
        lines: [/^k8s-aws:cluster\.tags\.: "" is not valid; allowed: a tag key of 1-128 characters \(this one has 0; /],
    },
    {
        name: "a happy-path stack",
        stack: stackYaml({}),
        exit: 0,
        lines: [],
    },
];

describe("render probes: every user mistake gets a clear answer", function () {
    this.timeout(120_000);
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-probes-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    PROBES.forEach((probe, i) => {
        it(`${probe.name}: exit ${probe.exit}`, async () => {
            const caseDir = path.join(dir, String(i));
            fs.mkdirSync(caseDir);
            const stackFile = path.join(caseDir, "Pulumi.probe.yaml");
            fs.writeFileSync(stackFile, probe.stack);
            const outDir = path.join(caseDir, "out");
            let stdout = "";
            let stderr = "";
            const code = await main(["--stack-file", stackFile, "--out", outDir], { out: (t) => (stdout += t), err: (t) => (stderr += t) });
            const lines = stderr.split("\n").filter((l) => l !== "");
            assert.strictEqual(code, probe.exit, `stderr:\n${stderr}`);
            for (const want of probe.lines)
                assert.ok(
                    lines.some((l) => want.test(l)),
                    `no line matches ${want}; stderr:\n${stderr}`,
                );
            for (const bad of [...(probe.absent ?? []), ...NEVER]) assert.ok(!lines.some((l) => bad.test(l)), `a line matches ${bad}; stderr:\n${stderr}`);
            if (probe.exit === 2) {
                for (const l of lines) assert.match(l, /^\S.*: .* is not valid; allowed: \S/, "one problem per line, each naming the key, the value and what is allowed");
                assert.strictEqual(new Set(lines).size, lines.length, "no problem reported twice");
                assert.ok(!fs.existsSync(outDir), "nothing is written for an invalid stack");
            } else {
                assert.match(stdout, /Wrote \d+ files/);
            }
        });
    });
});
