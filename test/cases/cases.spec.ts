/**
 * Golden cases, kops style (kubernetes/kops tests/integration/update_cluster/<case>/:
 * an input cluster and its expected output side by side): each folder
 * test/cases/<case>/ holds a stack file, Pulumi.<case>.yaml, that is no
 * deployable stack but one configuration the program supports, and beside it
 * expected/, what the render writes for it with the pinned keys, seed and
 * clock. Each case is rendered through the render's --stack-file path,
 * compared with expected/ (`npm run golden:update` rewrites it), and checked
 * for the one property the case is about.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { render, RenderResult } from "../../tools/offline/render";
import { readStackFileAt } from "../../tools/offline/stackFile";
import { mockContext } from "../../tools/offline/run";
import { ssmMock } from "../../tools/mocks/ssm";
import { PlanResource } from "../../tools/offline/plan";
import { ubuntuAmiParameter } from "../../components/host/ami";
import { assertRenderMatchesGolden } from "../support/golden";
import { PINNED_NOW, PINNED_SEED } from "../support/harness";

const CASES_ROOT = __dirname;

interface RenderedCase {
    readonly name: string;
    readonly stackFile: string;
    readonly result: RenderResult;
    ofType(type: string): PlanResource[];
    named(type: string, name: string): PlanResource;
    /** A file the render wrote (userdata/<lt>.yaml, ...), as text. */
    file(rel: string): string;
}

function listCases(): string[] {
    return fs
        .readdirSync(CASES_ROOT, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort();
}

async function renderCase(name: string): Promise<RenderedCase> {
    const stackFile = path.join(CASES_ROOT, name, `Pulumi.${name}.yaml`);
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), `case-${name}-`));
    const result = await render({ stack: name, stackFile, outDir, seed: PINNED_SEED, now: PINNED_NOW });
    const ofType = (type: string) => result.plan.resources.filter((r) => r.type === type);
    return {
        name,
        stackFile,
        result,
        ofType,
        named(type, resourceName) {
            const found = ofType(type).filter((r) => r.name === resourceName);
            assert.strictEqual(found.length, 1, `one ${type} named ${resourceName} (have: ${ofType(type).map((r) => r.name).join(", ")})`);
            return found[0];
        },
        file: (rel) => fs.readFileSync(path.join(result.outDir, rel), "utf8"),
    };
}

/** The write_files entry at `filePath` in a rendered user-data file (cloud-config YAML). */
function writtenFile(userData: string, filePath: string): string {
    const doc = parse(userData) as { write_files?: { path: string; content: string }[] };
    const entry = (doc.write_files ?? []).find((f) => f.path === filePath);
    assert.ok(entry, `user data writes ${filePath}`);
    return entry.content;
}

const subnetZones = (c: RenderedCase) => new Map(c.ofType("aws:ec2/subnet:Subnet").map((s) => [s.id, String(s.inputs.availabilityZone)]));

/**
 * Graviton families of the instance types the arm64 case names, as AWS lists
 * them (github.com/aws/aws-graviton-getting-started README: Graviton2 and
 * Graviton3 power C6g[d], M6g[d], R6g[d], ..., C7g[d][n], M7g[d], R7g[d]),
 * listed here rather than derived from lib/instanceTypes.ts so the program's
 * naming rule is not its own witness.
 */
const GRAVITON_FAMILIES = new Set(["m6g", "c6g", "r6g", "m7g", "c7g", "r7g"]);

/** The property each case is about, beyond matching its expected output. */
const PROPERTIES: Record<string, { readonly about: string; readonly check: (c: RenderedCase) => void | Promise<void> }> = {
    "classic-elb-internal": {
        about: "the API sits behind an internal classic ELB in the private subnets, and its names resolve inside the VPC",
        check(c) {
            const elbs = c.ofType("aws:elb/loadBalancer:LoadBalancer");
            assert.strictEqual(elbs.length, 1, "one classic ELB");
            const elb = elbs[0].inputs as { internal: boolean; subnets: string[]; listeners: { lbPort: number; instancePort: number }[] };
            assert.strictEqual(elb.internal, true, "the ELB is internal");
            const privateSubnets = c.ofType("aws:ec2/subnet:Subnet").filter((s) => (s.inputs.tags as Record<string, string>)["kubernetes.io/role/internal-elb"] === "1");
            assert.deepStrictEqual([...elb.subnets].sort(), privateSubnets.map((s) => s.id).sort(), "in the private subnets");
            assert.deepStrictEqual(elb.listeners.map((l) => [l.lbPort, l.instancePort]), [[6443, 6443]]);
            // No internet-facing load balancer of any kind.
            for (const lb of c.ofType("aws:lb/loadBalancer:LoadBalancer")) assert.strictEqual(lb.inputs.internal, true, `${lb.name} is internal`);
            assert.strictEqual(c.result.plan.outputs.nodeApiEndpoint, "https://api.internal.elbint.k8s.example.net:6443");
            const publicName = c.named("aws:route53/record:Record", "elbint-api-public").inputs as { name: string; aliases: { name: string }[] };
            assert.strictEqual(publicName.name, "api.elbint.k8s.example.net");
            assert.strictEqual(publicName.aliases[0].name, c.result.plan.outputs.loadBalancerDnsName, "the API name aliases the ELB");
            assert.match(String(c.result.plan.outputs.loadBalancerDnsName), /^internal-/, "EC2 names an internal ELB internal-...");
        },
    },
    "arm64-spot": {
        about: "the Graviton pool boots Ubuntu's arm64 image and runs on spot above its on-demand base",
        async check(c) {
            const lt = c.named("aws:ec2/launchTemplate:LaunchTemplate", "armspot-pool-graviton-lt").inputs as { imageId: string; instanceType: string };
            // The id the (mocked) SSM answers for Canonical's arm64 parameter, and not the amd64 one.
            const ssm = ssmMock.calls["aws:ssm/getParameter:getParameter"];
            const ctx = mockContext(readStackFileAt(c.stackFile), { seed: PINNED_SEED, now: PINNED_NOW });
            const arm64Ami = ((await ssm({ name: ubuntuAmiParameter("arm64") }, ctx)) as { value: string }).value;
            const amd64Ami = ((await ssm({ name: ubuntuAmiParameter("amd64") }, ctx)) as { value: string }).value;
            assert.strictEqual(lt.imageId, arm64Ami, "the pool's image is the arm64 parameter's");
            assert.strictEqual((c.named("aws:ec2/launchTemplate:LaunchTemplate", "armspot-control-plane-a-lt").inputs as { imageId: string }).imageId, amd64Ami, "the x86 control plane keeps amd64");
            assert.match(writtenFile(c.file("userdata/armspot-pool-graviton-lt.yaml"), "/usr/local/sbin/k8s-aws-node-setup"), /\bARCH=arm64\b/);
            const asg = c.named("aws:autoscaling/group:Group", "armspot-pool-graviton-asg").inputs as {
                mixedInstancesPolicy: { instancesDistribution: { onDemandBaseCapacity: number; onDemandPercentageAboveBaseCapacity: number }; launchTemplate: { overrides: { instanceType: string }[] } };
            };
            const types = asg.mixedInstancesPolicy.launchTemplate.overrides.map((o) => o.instanceType);
            assert.deepStrictEqual(types, ["m7g.large", "m6g.large", "c7g.xlarge"]);
            for (const t of [lt.instanceType, ...types]) assert.ok(GRAVITON_FAMILIES.has(t.split(".")[0]), `${t} is a Graviton type`);
            assert.deepStrictEqual(asg.mixedInstancesPolicy.instancesDistribution, { ...asg.mixedInstancesPolicy.instancesDistribution, onDemandBaseCapacity: 1, onDemandPercentageAboveBaseCapacity: 0 });
        },
    },
    "rsa-pki": {
        about: "every CA key is RSA 3072 and the CA certificate carries an RSA 3072 key for five years",
        check(c) {
            const keys = c.ofType("tls:index/privateKey:PrivateKey");
            assert.ok(keys.length >= 4, "CA, front-proxy CA, etcd CA and service-account keys");
            for (const k of keys) assert.deepStrictEqual(k.inputs, { algorithm: "RSA", rsaBits: 3072 }, k.name);
            // Node's OpenSSL reads the CA certificate the render uploads for the nodes.
            const pem = String(c.named("aws:s3/bucketObjectv2:BucketObjectv2", "rsapki-secrets-nodes-ca-crt").inputs.content);
            const ca = new crypto.X509Certificate(pem);
            assert.strictEqual(ca.ca, true);
            assert.strictEqual(ca.publicKey.asymmetricKeyType, "rsa");
            assert.strictEqual(ca.publicKey.asymmetricKeyDetails?.modulusLength, 3072);
            const hours = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / 3_600_000;
            assert.strictEqual(hours, 43800);
        },
    },
    "five-slots-five-zones": {
        about: "five control-plane slots and five etcd members, each group in its own subnet in its own zone, etcd started as a cluster of five",
        check(c) {
            const zoneOf = subnetZones(c);
            for (const role of ["control-plane", "etcd"]) {
                const groups = c.ofType("aws:autoscaling/group:Group").filter((g) => new RegExp(`^five-${role}-[a-e]-asg$`).test(g.name));
                assert.strictEqual(groups.length, 5, `five ${role} slot groups`);
                const subnets = groups.map((g) => (g.inputs.vpcZoneIdentifiers as string[])[0]);
                for (const g of groups) assert.strictEqual((g.inputs.vpcZoneIdentifiers as string[]).length, 1, `${g.name} is pinned to one subnet`);
                assert.strictEqual(new Set(subnets).size, 5, `${role}: five distinct subnets`);
                const zones = subnets.map((s) => zoneOf.get(s));
                assert.deepStrictEqual(zones, ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e"], role);
            }
            for (const m of ["a", "b", "c", "d", "e"]) {
                const config = parse(writtenFile(c.file(`userdata/five-etcd-${m}-lt.yaml`), "/etc/etcd/etcd.yaml")) as Record<string, string>;
                const initial = config["initial-cluster"].split(",").map((e) => e.split("=")[0]);
                assert.deepStrictEqual(initial, ["etcd-a", "etcd-b", "etcd-c", "etcd-d", "etcd-e"], `etcd-${m}'s initial-cluster`);
                assert.strictEqual(config["name"], `etcd-${m}`);
                assert.strictEqual(config["initial-cluster-state"], "new");
            }
        },
    },
    "existing-vpc-minimal": {
        about: "the cluster creates no VPC, subnet, gateway, route or endpoint, and runs in the subnets it was given",
        check(c) {
            const networkTypes = [
                "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway",
                "aws:ec2/routeTable:RouteTable", "aws:ec2/route:Route", "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/vpcEndpoint:VpcEndpoint",
                "aws:ec2/eip:Eip",
            ];
            const created = c.result.plan.resources.filter((r) => networkTypes.includes(r.type)).map((r) => `${r.type} ${r.name}`);
            assert.deepStrictEqual(created, []);
            const tagged = c.ofType("aws:ec2/tag:Tag").map((t) => `${t.inputs.resourceId} ${t.inputs.key}=${t.inputs.value}`).sort();
            assert.deepStrictEqual(tagged, [
                "subnet-04a8f2c6e1d3b5a79 kubernetes.io/cluster/minimal=shared",
                "subnet-04a8f2c6e1d3b5a79 kubernetes.io/role/internal-elb=1",
                "subnet-0e1f3a5c7b9d2e4f6 kubernetes.io/cluster/minimal=shared",
                "subnet-0e1f3a5c7b9d2e4f6 kubernetes.io/role/elb=1",
            ]);
            const asg = c.named("aws:autoscaling/group:Group", "minimal-control-plane-a-asg");
            assert.deepStrictEqual(asg.inputs.vpcZoneIdentifiers, ["subnet-04a8f2c6e1d3b5a79"], "the slot runs in the given private subnet");
            for (const sg of c.ofType("aws:ec2/securityGroup:SecurityGroup")) assert.strictEqual(sg.inputs.vpcId, "vpc-0c5e1b7d2a9f34e61", `${sg.name} is in the given VPC`);
        },
    },
};

describe("golden cases (test/cases/<case>/)", function () {
    this.timeout(120_000);

    it("every case folder has its stack file and a property test, and every property test its folder", () => {
        const cases = listCases();
        for (const name of cases) assert.ok(fs.existsSync(path.join(CASES_ROOT, name, `Pulumi.${name}.yaml`)), `${name}/Pulumi.${name}.yaml`);
        assert.deepStrictEqual(cases, Object.keys(PROPERTIES).sort());
    });

    for (const name of listCases()) {
        describe(name, () => {
            let rendered: RenderedCase | undefined;
            const renderedCase = async () => (rendered ??= await renderCase(name));

            it(`renders with no mandatory policy violation and matches test/cases/${name}/expected/`, async () => {
                const c = await renderedCase();
                assert.strictEqual(c.result.report.summary.mandatory, 0, JSON.stringify(c.result.report.violations));
                assertRenderMatchesGolden(c.result, "expected", path.join(CASES_ROOT, name));
            });

            const property = PROPERTIES[name];
            if (property) it(property.about, async () => property.check(await renderedCase()));
        });
    }
});
