/**
 * The architecture picture (tools/offline/architecture.ts): the DOT drawn
 * from a stack's plan puts each thing where the plan says it is, the SVG is
 * well-formed XML with those labels, and docs/architecture/<stack>.svg is
 * what the current program renders (pinned seed and clock).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { buildPlan, Plan } from "../../../tools/offline/plan";
import { DOC_STACKS, architectureDot, architectureModel, architectureSvg, docFile, slotNodeId, zoneClusterId } from "../../../tools/offline/architecture";
import { formatSummary } from "../../../tools/offline/summary";
import { runStackFixture } from "../../support/harness";
import {
    ADDON_CHARTS,
    AWS_CLOUD_CONTROLLER_MANAGER_TAGS,
    CLUSTER_AUTOSCALER_TAGS,
    CONTAINERD_VERSIONS,
    ETCD_VERSION,
    KUBE2IAM_IMAGE,
    KUBEADM_COREDNS_TAGS,
    KUBERNETES_RELEASES,
    RUNC_VERSIONS,
    UBUNTU_RELEASE,
} from "../../../config/versions";
import { PROJECT_ROOT } from "../../support/paths";

const ROOT = PROJECT_ROOT;

/** The DOT as written (one statement per line): each node's enclosing clusters, and the edges. */
function parseDot(dot: string): { clusters: string[]; nodes: Map<string, { label: string; within: string[] }>; edges: Array<{ from: string; to: string; attrs: string }> } {
    const clusters: string[] = [];
    const nodes = new Map<string, { label: string; within: string[] }>();
    const edges: Array<{ from: string; to: string; attrs: string }> = [];
    const open: string[] = [];
    for (const line of dot.split("\n")) {
        const sub = /^\s*subgraph "([^"]+)" \{$/.exec(line);
        const edge = /^\s*"([^"]+)" -> "([^"]+)" \[(.*)\];$/.exec(line);
        const node = /^\s*"([^"]+)" \[label="((?:[^"\\]|\\.)*)"/.exec(line);
        if (sub) {
            clusters.push(sub[1]);
            open.push(sub[1]);
        } else if (/^\s*\}$/.test(line)) open.pop();
        else if (edge) edges.push({ from: edge[1], to: edge[2], attrs: edge[3] });
        else if (node) nodes.set(node[1], { label: node[2].replace(/\\n/g, "\n"), within: [...open] });
    }
    assert.deepStrictEqual(open, [], "unbalanced subgraphs in the DOT");
    return { clusters, nodes, edges };
}

function decodeXml(t: string): string {
    const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
    return t.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (_, e: string) =>
        e.startsWith("#x") ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith("#") ? String.fromCodePoint(Number(e.slice(1))) : (named[e] ?? `&${e};`),
    );
}

/** Well-formedness of an XML document (what SVG viewers and GitHub require): one root, balanced tags, quoted attributes, known entities. */
function xmlProblems(text: string): string[] {
    const problems: string[] = [];
    const body = text
        .replace(/^<\?xml[^?]*\?>/, "")
        .replace(/<!DOCTYPE[^>[]*>/, "")
        .replace(/<!--[\s\S]*?-->/g, "");
    const stack: string[] = [];
    let roots = 0;
    let at = 0;
    const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
    const checkText = (t: string) => {
        for (const m of t.matchAll(/&([^;\s]*);?/g)) if (!/^(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+)$/.test(m[1]) || !m[0].endsWith(";")) problems.push(`bad entity ${m[0]}`);
        if (stack.length === 0 && t.trim() !== "") problems.push(`text outside the root: ${t.trim().slice(0, 40)}`);
    };
    while (at < body.length) {
        const lt = body.indexOf("<", at);
        checkText(body.slice(at, lt < 0 ? body.length : lt));
        if (lt < 0) break;
        tag.lastIndex = lt;
        const m = tag.exec(body);
        if (!m) {
            problems.push(`malformed tag at ${body.slice(lt, lt + 60)}`);
            break;
        }
        const [, closing, name, attributes, selfClosing] = m;
        for (const v of attributes.matchAll(/=\s*"([^"]*)"/g))
            for (const e of v[1].matchAll(/&([^;\s"]*);?/g)) if (!/^(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+)$/.test(e[1])) problems.push(`bad entity in an attribute of <${name}>`);
        if (closing) {
            if (stack.pop() !== name) problems.push(`</${name}> closes nothing open`);
        } else if (!selfClosing) {
            if (stack.length === 0) roots++;
            stack.push(name);
        } else if (stack.length === 0) roots++;
        at = tag.lastIndex;
    }
    if (stack.length > 0) problems.push(`unclosed: ${stack.join(" > ")}`);
    if (roots !== 1) problems.push(`${roots} root elements`);
    return problems;
}

describe("architecture picture (tools/offline/architecture.ts)", function () {
    this.timeout(180_000);
    const plans = new Map<string, Plan>();

    before(async () => {
        for (const stack of ["dev", "staging", "prod", "existing-vpc"]) plans.set(stack, buildPlan((await runStackFixture(stack)).run));
    });
    const plan = (stack: string) => plans.get(stack)!;

    describe("prod's DOT", () => {
        it("has one cluster per availability zone, inside the VPC", () => {
            const zones = plan("prod").outputs.availabilityZones as string[];
            const { clusters, nodes } = parseDot(architectureDot(architectureModel(plan("prod"))));
            assert.deepStrictEqual(
                clusters.filter((c) => c.startsWith("cluster_az_")),
                zones.map(zoneClusterId),
            );
            assert.strictEqual(zones.length, 3);
            for (const n of nodes.values()) for (const c of n.within.filter((x) => x.startsWith("cluster_az_"))) assert.strictEqual(n.within[0], "cluster_vpc", c);
        });

        it("puts the three control-plane slots, with their fixed IPs, in three different zone clusters (the zones the stack outputs name)", () => {
            const slots = plan("prod").outputs.controlPlaneSlots as Array<{ name: string; zone: string; ip: string }>;
            const { nodes } = parseDot(architectureDot(architectureModel(plan("prod"))));
            const zonesOf = slots.map((s) => {
                const n = nodes.get(slotNodeId(s.name));
                assert.ok(n, `no node for ${s.name}`);
                assert.ok(n.label.includes(`fixed IP ${s.ip}`), n.label);
                const zone = n.within.find((c) => c.startsWith("cluster_az_"));
                assert.strictEqual(zone, zoneClusterId(s.zone), `${s.name} drawn in ${zone}`);
                return zone;
            });
            assert.strictEqual(new Set(zonesOf).size, 3);
        });

        it("draws the external etcd members in their zones, each in the same subnet cluster as that zone's control-plane slot", () => {
            const { nodes } = parseDot(architectureDot(architectureModel(plan("prod"))));
            for (const z of ["a", "b", "c"]) {
                assert.deepStrictEqual(nodes.get(slotNodeId(`etcd-${z}`))?.within, nodes.get(slotNodeId(`control-plane-${z}`))?.within);
            }
        });

        it("draws the API path: admins -> api.<cluster>.<zone> -> the Network Load Balancer -> every control-plane slot", () => {
            const { nodes, edges } = parseDot(architectureDot(architectureModel(plan("prod"))));
            assert.match(nodes.get("api")!.label, /^Network Load Balancer \(internet-facing\)/);
            assert.match(nodes.get("admins")!.label, /198\.51\.100\.0\/24/);
            assert.strictEqual(nodes.get("dns:public")!.label, "Route53 api.prod.k8s.example.net");
            const has = (from: string, to: string) => edges.some((e) => e.from === from && e.to === to && !e.attrs.includes("invis"));
            assert.ok(has("admins", "dns:public") && has("dns:public", "api"));
            for (const z of ["a", "b", "c"]) assert.ok(has("api", slotNodeId(`control-plane-${z}`)), `api -> control-plane-${z}`);
        });

        it("draws the secrets bucket with its KMS key, delivered through the S3 endpoint into every zone", () => {
            const { nodes, edges } = parseDot(architectureDot(architectureModel(plan("prod"))));
            assert.match(nodes.get("bucket")!.label, /^S3 secrets bucket prod-secrets-\*/);
            assert.strictEqual(nodes.get("bucket")!.within.length, 0, "the bucket is regional, outside the VPC");
            assert.match(nodes.get("kms")!.label, /alias\/k8s-aws\/prod\/secrets/);
            assert.ok(nodes.get("s3endpoint")!.within.includes("cluster_vpc"));
            assert.ok(edges.some((e) => e.from === "bucket" && e.to === "s3endpoint"));
            const lheads = edges.filter((e) => e.from === "s3endpoint" && e.attrs.includes("lhead=")).map((e) => /lhead="([^"]+)"/.exec(e.attrs)?.[1]);
            assert.deepStrictEqual(lheads, ["eu-west-1a", "eu-west-1b", "eu-west-1c"].map(zoneClusterId));
        });

        it("has no ids in labels (a picture changes only when the architecture does)", () => {
            const dot = architectureDot(architectureModel(plan("prod")));
            assert.doesNotMatch(dot, /\b(vpc|subnet|eni|vol|lt|nat|sg|eipalloc|rtb)-[0-9a-f]{8,}\b/);
            assert.doesNotMatch(dot, /arn:aws/);
        });
    });

    describe("other shapes (table)", () => {
        const cases: Array<{ stack: string; check: (m: ReturnType<typeof architectureModel>) => void }> = [
            {
                stack: "dev",
                check: (m) => {
                    assert.deepStrictEqual(m.api, { kind: "elasticIp", internal: false });
                    assert.strictEqual(m.zones.length, 1);
                    assert.strictEqual(m.zones[0].nat, undefined);
                    assert.strictEqual(m.zones[0].egress, "none (no NAT)");
                    const slot = m.zones[0].slots[0];
                    assert.strictEqual(m.zones[0].subnets.find((s) => s.id === slot.subnetId)?.tier, "public", "without NAT the slot runs in the public subnet");
                },
            },
            {
                stack: "staging",
                check: (m) => {
                    const nats = m.zones.filter((z) => z.nat);
                    assert.strictEqual(nats.length, 1);
                    assert.deepStrictEqual(nats[0].nat!.serves, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
                    assert.ok(m.zones.every((z) => z.egress === "NAT gateway in eu-west-1a"));
                    assert.strictEqual(m.zones.flatMap((z) => z.slots).filter((s) => s.role === "etcd").length, 0, "stacked etcd has no etcd slots");
                },
            },
            {
                stack: "existing-vpc",
                check: (m) => {
                    assert.deepStrictEqual(m.vpc, { managed: false, id: "vpc-0c5e1b7d2a9f34e61" });
                    assert.strictEqual(m.s3Endpoint, false);
                    assert.ok(m.zones.every((z) => z.subnets.length === 2 && z.slots.length === 1 && z.egress === "the VPC owner's routing"));
                },
            },
        ];
        for (const c of cases) it(`${c.stack}`, () => c.check(architectureModel(plan(c.stack))));

        it("prod: draws both node pools (ASGs tagged k8s.io/role/node) over every zone, joining through the internal API name", () => {
            const m = architectureModel(plan("prod"));
            const zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
            assert.deepStrictEqual(
                m.pools.map((p) => [p.name, p.min, p.desired, p.max, p.spotPercent, p.zones]),
                [
                    ["batch", 0, 0, 50, 100, zones],
                    ["general", 3, 6, 30, 0, zones],
                ],
            );
            const { nodes, edges } = parseDot(architectureDot(m));
            assert.ok(nodes.get("pool:general")!.within.includes("cluster_vpc"));
            assert.ok(!nodes.get("pool:general")!.within.some((c) => c.startsWith("cluster_az_")), "a pool spans zones: drawn beside them, not in one");
            assert.ok(edges.some((e) => e.from === "pool:general" && e.to === "dns:internal"));
        });

        it("reads a pool's mixed instances policy (types, spot share) from a hand-made plan", () => {
            const base = plan("dev");
            const subnets = base.outputs.privateSubnetIds as string[];
            const pool = {
                urn: "urn:pulumi:dev::k8s-aws::k8s-aws:nodepools:NodePool$aws:autoscaling/group:Group::dev-pool-general-asg",
                type: "aws:autoscaling/group:Group",
                name: "dev-pool-general-asg",
                parent: null,
                custom: true,
                id: "dev-pool-general-asg-1234567",
                inputs: {
                    minSize: 3,
                    maxSize: 30,
                    desiredCapacity: 6,
                    vpcZoneIdentifiers: subnets,
                    mixedInstancesPolicy: {
                        instancesDistribution: { onDemandPercentageAboveBaseCapacity: 80 },
                        launchTemplate: { overrides: [{ instanceType: "m7i.xlarge" }, { instanceType: "m6i.xlarge" }] },
                    },
                    tags: [
                        { key: "k8s.io/role/node", value: "1", propagateAtLaunch: true },
                        { key: "k8s.io/pool", value: "general", propagateAtLaunch: true },
                    ],
                },
            };
            const m = architectureModel({ ...base, resources: [...base.resources, pool] });
            assert.deepStrictEqual(m.pools, [{ name: "general", min: 3, desired: 6, max: 30, instanceTypes: ["m7i.xlarge", "m6i.xlarge"], zones: ["eu-west-1a"], spotPercent: 20 }]);
            const { nodes, edges } = parseDot(architectureDot(m));
            assert.match(nodes.get("pool:general")!.label, /min 3 \/ desired 6 \/ max 30/);
            assert.ok(
                edges.some((e) => e.from === "pool:general" && e.to === "dns:internal"),
                "pools join through the internal API name",
            );
            assert.ok(
                edges.some((e) => e.from === "s3endpoint" && e.to === "pool:general"),
                "pools fetch their join material from the bucket",
            );
        });
    });

    describe("the render's printed summary (tools/offline/summary.ts), from the same model", () => {
        it("shows the endpoint, counts, each zone's subnets with its slots and fixed IPs, the pools and the policy verdict", () => {
            const report = { violations: [], summary: { policies: 21, resources: 250, mandatory: 0, advisory: 0 } };
            const text = formatSummary(plan("prod"), report);
            assert.match(text, /API: Network Load Balancer \(internet-facing\) at api\.prod\.k8s\.example\.net -> 3 control-plane slot\(s\)/);
            assert.match(text, /Instances: 3 control-plane \(3 x m7i\.xlarge\), 3 etcd \(3 x m7i\.large\)/);
            assert.match(text, /^ {2}eu-west-1b {2}public {2}10\.30\.228\.0\/22 +NAT gateway \(for eu-west-1b\)$/m);
            assert.match(text, /^ +private 10\.30\.32\.0\/19 +control-plane-b 10\.30\.32\.10, etcd-b 10\.30\.32\.11 \[egress: NAT gateway in eu-west-1b\]$/m);
            assert.match(text, /pool +general: min 3 \/ desired 6 \/ max 30/);
            assert.match(text, /Policies: 21 checked over 250 resources: all passed/);
        });

        it("counts the policies with violations", () => {
            const v = { policy: "tls-leaf-validity", enforcementLevel: "mandatory", urn: null, message: "too long" };
            const text = formatSummary(plan("dev"), { violations: [v, v], summary: { policies: 21, resources: 110, mandatory: 2, advisory: 0 } });
            assert.match(text, /Policies: 21 checked over 110 resources: 20 passed, 1 with violations \(2 mandatory, 0 advisory violation\(s\)\)/);
            assert.match(text, /\[mandatory\] tls-leaf-validity: too long/);
        });
    });

    describe("SVG", () => {
        it("is well-formed XML with the labels of the DOT", async () => {
            const svg = await architectureSvg(plan("prod"));
            assert.deepStrictEqual(xmlProblems(svg), []);
            assert.match(svg, /<svg[\s>]/);
            // Graphviz writes some characters as references (`-` as &#45;): compare the text as a viewer shows it.
            const text = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decodeXml(m[1])).join("\n");
            for (const label of [
                "control-plane-a",
                "control-plane-b",
                "control-plane-c",
                "etcd-b",
                "Network Load Balancer (internet-facing)",
                "S3 secrets bucket prod-secrets-*",
                "eu-west-1c",
                "10.30.0.10",
            ]) {
                assert.ok(text.includes(label), `the SVG lacks ${label}`);
            }
        });

        it("the XML check catches broken documents", () => {
            assert.notDeepStrictEqual(xmlProblems("<svg><g></svg>"), []);
            assert.notDeepStrictEqual(xmlProblems("<svg><text x=1>a</text></svg>"), []);
            assert.notDeepStrictEqual(xmlProblems("<svg><text>a & b</text></svg>"), []);
            assert.deepStrictEqual(xmlProblems('<?xml version="1.0"?>\n<svg a="1"><text>a &amp; b</text><g/></svg>\n'), []);
        });

        for (const stack of DOC_STACKS) {
            it(`docs/architecture/${stack}.svg is up to date with the render (run npm run docs:architecture)`, async () => {
                const expected = await architectureSvg(plan(stack));
                const file = docFile(stack);
                assert.ok(fs.existsSync(file), `docs/architecture/${stack}.svg is missing: run npm run docs:architecture`);
                assert.ok(fs.readFileSync(file, "utf8") === expected, `docs/architecture/${stack}.svg is stale: run npm run docs:architecture`);
            });
        }
    });
});

describe("operator docs (README.md, docs/)", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

    it("shows prod's architecture picture", () => {
        assert.match(readme, /!\[[^\]]+\]\(docs\/architecture\/prod\.svg\)/);
    });

    it("lists every version pinned in config/versions.ts", () => {
        const section = readme.slice(readme.indexOf("### Pinned versions"), readme.indexOf("## Quickstart"));
        const pins = [
            ...Object.values(KUBERNETES_RELEASES),
            ETCD_VERSION,
            UBUNTU_RELEASE,
            KUBE2IAM_IMAGE.split(":").pop()!,
            ...Object.values(ADDON_CHARTS).map((c) => c.version),
            ...Object.values(AWS_CLOUD_CONTROLLER_MANAGER_TAGS),
            ...Object.values(CLUSTER_AUTOSCALER_TAGS),
            ...Object.values(CONTAINERD_VERSIONS),
            ...Object.values(RUNC_VERSIONS),
            ...Object.values(KUBEADM_COREDNS_TAGS),
        ];
        for (const pin of pins) assert.ok(section.includes(`\`${pin}\``), `README.md's "Pinned versions" lacks ${pin} (config/versions.ts)`);
    });

    it("keeps the quickstart commands", () => {
        assert.ok(readme.includes("npm ci && npm --prefix policies ci && npm run render -- --stack dev"));
        assert.match(readme, /^npm test\b/m);
    });

    it("links only to files that exist", () => {
        const docs = [
            path.join(ROOT, "README.md"),
            ...fs
                .readdirSync(path.join(ROOT, "docs", "runbooks"))
                .filter((f) => f.endsWith(".md"))
                .map((f) => path.join(ROOT, "docs", "runbooks", f)),
        ];
        for (const file of docs) {
            const text = fs.readFileSync(file, "utf8");
            for (const [, target] of text.matchAll(/\]\(([^)#\s]+\.(?:md|svg))(?:#[^)]*)?\)/g)) {
                assert.ok(fs.existsSync(path.resolve(path.dirname(file), target)), `${path.relative(ROOT, file)} links to ${target}, which does not exist`);
            }
        }
    });
});
