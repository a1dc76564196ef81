/**
 * The whole program under the mocked AWS, which refuses every value over an
 * AWS limit (lib/awsLimits.ts): every shipped stack renders within every limit,
 * with user data at least 10% below EC2's 16 KB; cluster names of 13, 20, 40 and
 * 63 characters render too, shortened deterministically where AWS names are
 * short and kept whole in tags; and the configuration refuses, with the key,
 * the value and the limit, the tags no shortening can fix.
 */
import * as assert from "assert";
import { readStackFile, listStacks, StackFile } from "../../tools/offline/stackFile";
import { runStack, RegistrationError } from "../../tools/offline/run";
import { buildPlan } from "../../tools/offline/plan";
import { userDataLines, userDataSizes } from "../../tools/offline/summary";
import { ConfigError, formatProblem } from "../../config";
import { CLUSTER_NAME_MAX } from "../../config/schema";
import { LIMITS, TAG_LIMITS, USER_DATA_LIMIT_BYTES } from "../../lib/awsLimits";
import { USER_DATA_HEADROOM } from "../../components/host/userData";
import { clusterTagKey, etcdClusterToken, etcdRestoredClusterToken, iamRoleNamePrefix, loadBalancerName, secretsBucketPrefix, targetGroupName } from "../../lib/naming";
import { PINNED_NOW, PINNED_SEED, RecordedResource, unwrapSecrets } from "../support/harness";

const CLUSTER = "k8s-aws:cluster";

/** A shipped stack with its cluster configuration changed by `edit`. */
function variant(stack: string, edit: (cluster: Record<string, any>) => void): StackFile {
    const file = readStackFile(stack);
    const cluster = JSON.parse(file.config[CLUSTER]);
    edit(cluster);
    return { ...file, config: { ...file.config, [CLUSTER]: JSON.stringify(cluster) } };
}

const run = (file: StackFile) => runStack(file, { seed: PINNED_SEED, now: PINNED_NOW });

/** Every tag set a resource carries: its tags (map or ASG list) and a launch template's tag specifications. */
function tagSets(r: RecordedResource): Record<string, string>[] {
    const i = unwrapSecrets(r.inputs) as Record<string, any>;
    const out: Record<string, string>[] = [];
    if (Array.isArray(i.tags)) out.push(Object.fromEntries(i.tags.map((t: { key: string; value: string }) => [t.key, t.value])));
    else if (i.tags && typeof i.tags === "object") out.push(i.tags);
    for (const s of i.tagSpecifications ?? []) if (s.tags) out.push(s.tags);
    return out;
}

/** A cluster name of exactly n characters. */
const nameOf = (n: number, seed = "c") => `k${seed.repeat(n - 2)}z`;

describe("limits/program: every shipped stack within AWS's limits", function () {
    this.timeout(600_000);
    for (const stack of listStacks()) {
        it(`${stack}: renders under the limit-enforcing mock, user data ${USER_DATA_HEADROOM * 100}% or more below ${USER_DATA_LIMIT_BYTES} bytes`, async () => {
            const result = await run(readStackFile(stack));
            const plan = buildPlan(result);
            const sizes = userDataSizes(plan);
            assert.ok(sizes.length > 0, "launch templates with user data");
            for (const s of sizes) {
                assert.ok(s.bytes <= USER_DATA_LIMIT_BYTES * (1 - USER_DATA_HEADROOM), `${s.name}: ${s.bytes} bytes, over ${USER_DATA_LIMIT_BYTES * (1 - USER_DATA_HEADROOM)}`);
            }
            const lines = userDataLines(plan).join("\n");
            for (const s of sizes) assert.match(lines, new RegExp(`${s.name}\\s+${s.bytes} / ${USER_DATA_LIMIT_BYTES}`));
        });
    }
});

describe("limits/program: long cluster names", function () {
    this.timeout(600_000);
    const renders = new Map<string, Awaited<ReturnType<typeof run>>>();
    for (const length of [13, 20, 40, CLUSTER_NAME_MAX]) {
        it(`a ${length}-character cluster name renders prod within every limit; tags keep the whole name`, async () => {
            const name = nameOf(length);
            const result = await run(variant("prod", (c) => (c.name = name)));
            renders.set(name, result);
            const lb = result.resources.find((r) => r.type === "aws:lb/loadBalancer:LoadBalancer")!;
            const tg = result.resources.find((r) => r.type === "aws:lb/targetGroup:TargetGroup")!;
            assert.strictEqual(lb.inputs.name, loadBalancerName(name));
            assert.strictEqual(tg.inputs.name, targetGroupName(name));
            assert.ok(String(lb.inputs.name).length <= 32 && String(tg.inputs.name).length <= 32);
            if (length + "-api".length <= 32) assert.strictEqual(lb.inputs.name, `${name}-api`, "not shortened when it fits");
            const vpc = result.resources.find((r) => r.type === "aws:ec2/vpc:Vpc")!;
            assert.strictEqual(tagSets(vpc)[0][clusterTagKey(name)], "owned");
            assert.strictEqual(tagSets(lb)[0].KubernetesCluster, name);
        });
    }

    it("a 63-character cluster name renders with a classic ELB too", async () => {
        const name = nameOf(CLUSTER_NAME_MAX, "e");
        const result = await run(
            variant("prod", (c) => {
                c.name = name;
                c.controlPlane.loadBalancerType = "classic";
            }),
        );
        const elb = result.resources.find((r) => r.type === "aws:elb/loadBalancer:LoadBalancer")!;
        assert.strictEqual(elb.inputs.name, loadBalancerName(name));
    });

    it("two different long names never shorten to the same AWS name", async () => {
        // Names that differ only after the part a shortened name keeps.
        const names = [nameOf(63), nameOf(63).slice(0, 62) + "y", nameOf(62), nameOf(40), `${nameOf(40)}-x`, `internal-${nameOf(50)}`, `internal-${nameOf(50)}q`];
        for (const derive of [loadBalancerName, targetGroupName, secretsBucketPrefix, etcdClusterToken, etcdRestoredClusterToken, (n: string) => iamRoleNamePrefix(n, "control-plane")]) {
            const out = names.map((n) => derive(n));
            assert.strictEqual(new Set(out).size, names.length, `${derive.name}: ${out.join(", ")}`);
            assert.deepStrictEqual(
                names.map((n) => derive(n)),
                out,
                "deterministic",
            );
        }
        for (const n of ["internal", "internal-x", `internal-${nameOf(50)}`]) assert.ok(!loadBalancerName(n).startsWith("internal-"), loadBalancerName(n));
        assert.strictEqual(loadBalancerName("internal"), "api-internal");
        // Bucket names S3 reserves by prefix: the secrets bucket (prefix + 26 characters) stays a valid bucket name.
        const bucketRow = LIMITS.find((r) => r.type === "aws:s3/bucket:Bucket" && r.property === "bucket")!;
        for (const n of ["xn--abc", "sthree-x", "amzn-s3-demo-x", nameOf(63)]) {
            assert.strictEqual(bucketRow.check(`${secretsBucketPrefix(n)}${"0".repeat(26)}`), undefined, secretsBucketPrefix(n));
        }
        const rendered = [...renders.entries()].map(([, r]) => r.resources.find((x) => x.type === "aws:lb/loadBalancer:LoadBalancer")!.inputs.name);
        assert.strictEqual(new Set(rendered).size, rendered.length, `rendered: ${rendered.join(", ")}`);
    });

    it(`refuses a ${CLUSTER_NAME_MAX + 1}-character cluster name, naming the key and the limit`, async () => {
        await assert.rejects(run(variant("dev", (c) => (c.name = nameOf(CLUSTER_NAME_MAX + 1)))), (e: unknown) => {
            assert.ok(ConfigError.is(e));
            const text = e.problems.map(formatProblem).join("\n");
            assert.match(text, /^k8s-aws:cluster\.name: ".+" is not valid; allowed: a DNS label of 1-63 characters/m);
            return true;
        });
    });
});

describe("limits/program: tags the configuration must refuse", function () {
    this.timeout(600_000);
    const configErrors = async (file: StackFile): Promise<string> => {
        try {
            await run(file);
        } catch (e) {
            if (ConfigError.is(e)) return e.problems.map(formatProblem).join("\n");
            if (e instanceof RegistrationError) assert.fail(`configuration passed, AWS (mocked) refused:\n${e.message}`);
            throw e;
        }
        return assert.fail("the configuration was accepted");
    };

    // dev: the slots' data volumes carry the most program tags; prod: a pool's autoscaling group (labels and taints become tags).
    for (const stack of ["dev", "prod"])
        it(`${stack}: counts the program's own tags: as many user tags as fit pass, one more is refused before any resource`, async () => {
            // The most tags any resource carries without user tags: the program's own.
            const bare = await run(variant(stack, (c) => (c.tags = {})));
            const own = Math.max(...bare.resources.flatMap(tagSets).map((t) => Object.keys(t).length));
            const room = TAG_LIMITS.maxTags - own;
            assert.ok(room > 0 && own > 5, `program tags: ${own}`);
            const userTags = (n: number) => ({
                // One key and one value at their limits ride along.
                ["k".repeat(TAG_LIMITS.keyMax)]: "v".repeat(TAG_LIMITS.valueMax),
                ...Object.fromEntries(Array.from({ length: n - 1 }, (_, i) => [`team-tag-${i}`, "x"])),
            });
            const ok = await run(variant(stack, (c) => (c.tags = userTags(room))));
            assert.strictEqual(Math.max(...ok.resources.flatMap(tagSets).map((t) => Object.keys(t).length)), TAG_LIMITS.maxTags);
            const text = await configErrors(variant(stack, (c) => (c.tags = userTags(room + 1))));
            assert.match(text, /^k8s-aws:cluster\.(tags|nodePools\[\d+\]\.labels): .* allowed: at most 50 tags per resource in all/m);
        });

    const refused: { what: string; tags: Record<string, string>; says: RegExp }[] = [
        { what: "a key of 129 characters", tags: { ["k".repeat(129)]: "v" }, says: /k8s-aws:cluster\.tags\.k{129}: .* allowed: a tag key of 1-128 characters/ },
        { what: "a value of 257 characters", tags: { team: "v".repeat(257) }, says: /k8s-aws:cluster\.tags\.team: .* allowed: a tag value of at most 256 characters/ },
        { what: "a key beginning with aws:", tags: { "aws:team": "x" }, says: /k8s-aws:cluster\.tags\.aws:team: "x" is not valid; allowed: a key not beginning with 'aws:'/ },
        { what: "a key beginning with AWS:", tags: { "AWS:Team": "x" }, says: /k8s-aws:cluster\.tags\.AWS:Team: .*not beginning with 'aws:'/ },
    ];
    for (const c of refused) {
        it(`refuses ${c.what}, naming the key, the value and the limit`, async () => {
            assert.match(await configErrors(variant("dev", (x) => (x.tags = c.tags))), c.says);
        });
    }

    it("refuses a DNS zone that makes api.internal.<cluster>.<zone> longer than Route 53 allows", async () => {
        const zone = `${Array.from({ length: 3 }, () => "z".repeat(60)).join(".")}.com`;
        const text = await configErrors(
            variant("prod", (c) => {
                c.name = nameOf(CLUSTER_NAME_MAX);
                c.dns.zoneName = zone;
            }),
        );
        assert.match(text, /^k8s-aws:cluster\.dns\.zoneName: .* allowed: a zone name short enough .*254 characters/m);
    });
});
