/**
 * external-dns: its values (flags the chart renders), its IAM scoped to the
 * cluster's one hosted zone, and that it exists only with a zone and the toggle.
 */
import * as assert from "assert";
import { ADDON_CHARTS } from "../../config/versions";
import { externalDnsValues } from "../../addons";
import { ALL_ON, ZONE, evaluate, runAddons } from "../support/addonFixtures";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ZONE_ARN = `arn:aws:route53:::hostedzone/${ZONE.zoneId}`;

describe("addons/externalDns", () => {
    it("publishes services and ingresses into the cluster's zone, upsert-only, owned by the cluster name", async () => {
        const run = await runAddons();
        const r = run.inputs(run.named(RELEASE, "demo-addons-external-dns-release"));
        assert.deepStrictEqual([r.chart, r.version, r.repositoryOpts.repo, r.namespace], ["external-dns", ADDON_CHARTS.externalDns.version, ADDON_CHARTS.externalDns.repository, "external-dns"]);
        const { podAnnotations, ...v } = r.values;
        assert.deepStrictEqual(v, {
            provider: { name: "aws" },
            sources: ["service", "ingress"],
            domainFilters: ["k8s.example.com"],
            policy: "upsert-only",
            registry: "txt",
            txtOwnerId: "demo",
            extraArgs: [`--zone-id-filter=${ZONE.zoneId}`, "--aws-zone-type=public"],
            env: [{ name: "AWS_DEFAULT_REGION", value: "eu-west-1" }],
        });
        assert.match(podAnnotations["iam.amazonaws.com/role"], /^arn:aws:iam::123456789012:role\/k8s-aws\/demo\/pods\//);
    });

    it("looks at private zones only when the zone is private, public ones only otherwise", () => {
        const flag = (priv?: boolean) =>
            (externalDnsValues({ clusterName: "c", region: "eu-west-1", ...ZONE, private: priv }, "arn").extraArgs as string[]).filter((a) => a.startsWith("--aws-zone-type="));
        assert.deepStrictEqual([flag(true), flag(false), flag(undefined)], [["--aws-zone-type=private"], ["--aws-zone-type=public"], ["--aws-zone-type=public"]]);
    });

    it("takes the sync policy when asked", () => {
        assert.strictEqual(externalDnsValues({ clusterName: "c", region: "eu-west-1", ...ZONE, policy: "sync" }, "arn").policy, "sync");
    });

    it("may change records in the cluster's hosted zone only", async () => {
        const run = await runAddons();
        const p = run.inputs(run.named(ROLE_POLICY, "demo-addons-external-dns-role-policy")).policy;
        const can = (action: string, resource: string) => evaluate(p, { action, resource });
        assert.strictEqual(can("route53:ChangeResourceRecordSets", ZONE_ARN), "allow");
        assert.strictEqual(can("route53:ListResourceRecordSets", ZONE_ARN), "allow");
        assert.strictEqual(can("route53:ListHostedZones", "*"), "allow");
        assert.strictEqual(can("route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/ZOTHERZONE0000000000"), "deny");
        assert.strictEqual(can("route53:ChangeResourceRecordSets", "*"), "deny");
        for (const action of ["route53:DeleteHostedZone", "route53:CreateHostedZone", "route53:ChangeTagsForResource", "route53:AssociateVPCWithHostedZone"]) {
            assert.strictEqual(can(action, ZONE_ARN), "deny", action);
        }
        const writes = JSON.parse(p).Statement.filter((s: any) => [].concat(s.Action).some((a: string) => a === "route53:ChangeResourceRecordSets"));
        assert.deepStrictEqual(
            writes.map((s: any) => s.Resource),
            [ZONE_ARN],
            "one hosted zone, one statement",
        );
    });

    const cases = [
        { name: "zone and toggle", dns: ZONE, on: true, expect: true },
        { name: "no zone", dns: undefined, on: true, expect: false },
        { name: "toggle off", dns: ZONE, on: false, expect: false },
    ];
    for (const c of cases) {
        it(`exists only with a DNS zone and the toggle on (${c.name})`, async () => {
            const run = await runAddons({ dns: c.dns, toggles: { ...ALL_ON, externalDns: c.on } });
            const parts = run.resources.filter((r) => r.name.startsWith("demo-addons-external-dns"));
            assert.strictEqual(parts.length > 0, c.expect);
            assert.strictEqual(run.result.enabled.includes("externalDns"), c.expect);
        });
    }
});
