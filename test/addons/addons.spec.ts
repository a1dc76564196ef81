/**
 * The Addons component as a whole: its typed objects are the kinds the real
 * apiserver tier checks, every chart and image is pinned, each addon gets
 * its own manifests file, invalid selections are refused, and turning an addon
 * off removes exactly its objects and its IAM (table-driven over the toggles).
 */
import * as assert from "assert";
import { ADDON_CHARTS } from "../../config/versions";
import { AddonToggles, addonProblems } from "../../addons";
import { manifestFiles } from "../../tools/offline/plan";
import { PINNED_SEED } from "../support/harness";
import { ALL_ON, TOGGLES, key, ownerOf, runAddons } from "../support/addonFixtures";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const isObject = (type: string) => type.startsWith("kubernetes:") && type !== RELEASE;

/** Every `image:` string anywhere in a value, and every {repository, tag} pair. */
function images(value: unknown, found: string[] = []): string[] {
    if (Array.isArray(value)) value.forEach((v) => images(v, found));
    else if (value && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (typeof o.image === "string") found.push(o.image);
        if (typeof o.repository === "string" && "tag" in o) found.push(`${o.repository}:${o.tag}`);
        Object.values(o).forEach((v) => images(v, found));
    }
    return found;
}

// Whether the real kube-apiserver (1.35.8) accepts these objects, and refuses a string containerPort, a missing
// selector and a non-boolean allowVolumeExpansion with its own message, is rung 3: test/real/controlPlane.spec.ts
// ("accepts every typed object the addons create with all addons on ...").
describe("addons: typed Kubernetes objects", function () {
    this.timeout(60_000);

    it("are the six kinds the real-apiserver tier applies, each with apiVersion and kind", async () => {
        const run = await runAddons();
        const objects = run.resources.filter((r) => r.custom && isObject(r.type));
        assert.deepStrictEqual([...new Set(objects.map((o) => o.type.split(":").pop()))].sort(), ["ClusterRole", "ClusterRoleBinding", "DaemonSet", "Namespace", "ServiceAccount", "StorageClass"]);
        for (const o of objects) {
            const obj = run.inputs(o);
            assert.ok(obj.apiVersion && obj.kind, `${o.name} has apiVersion and kind`);
            const groupVersion = obj.apiVersion.includes("/") ? obj.apiVersion : `core/${obj.apiVersion}`;
            assert.strictEqual(`kubernetes:${groupVersion}:${obj.kind}`, o.type, `${o.name}: the object's apiVersion and kind are its Pulumi type's`);
        }
    });
});

describe("addons: pins", () => {
    it("every chart has an exact version from its upstream https repository", async () => {
        for (const [name, pin] of Object.entries(ADDON_CHARTS)) {
            assert.match(pin.version, /^v?\d+\.\d+\.\d+$/, name);
            assert.match(pin.repository, /^https:\/\//, name);
        }
        const run = await runAddons();
        const releases = run.ofType(RELEASE);
        assert.strictEqual(releases.length, 7);
        for (const r of releases) {
            const i = run.inputs(r);
            assert.ok(
                Object.values(ADDON_CHARTS).some((p) => p.chart === i.chart && p.version === i.version && p.repository === i.repositoryOpts.repo),
                `${r.name}: ${i.chart}@${i.version}`,
            );
        }
    });

    it("every image the addons set is pinned to a version tag, never latest", async () => {
        const run = await runAddons();
        const all = run.resources.filter((r) => r.type.startsWith("kubernetes:")).flatMap((r) => images(run.inputs(r)));
        assert.ok(all.length >= 3, all.join(", "));
        for (const image of all) {
            assert.match(image, /^[a-z0-9.-]+(\/[a-z0-9._-]+)+:v?\d+\.\d+\.\d+$/, image);
            assert.ok(!/:latest$/.test(image), image);
        }
    });
});

describe("addons: one manifests file per addon", () => {
    it("groups each addon's objects under its own component name, Helm releases as chart/version/repository", async () => {
        const run = await runAddons();
        const files = manifestFiles(run.resources);
        assert.deepStrictEqual([...files.keys()].sort(), [
            "demo-addons-aws-cloud-controller",
            "demo-addons-calico",
            "demo-addons-cluster-autoscaler",
            "demo-addons-ebs-csi",
            "demo-addons-external-dns",
            "demo-addons-kube2iam",
            "demo-addons-kubelet-csr-approver",
            "demo-addons-metrics-server",
        ]);
        const calico = files.get("demo-addons-calico")!;
        assert.match(calico, /chart: tigera-operator\nversion: v3\.32\.1\nrepository: https:\/\/docs\.tigera\.io\/calico\/charts/);
        // The CRD chart goes in the same file, ahead of the operator's release.
        assert.match(calico, /helmChart: demo-addons-calico-crds\napplied: rendered client-side, applied server-side\nchart: crd\.projectcalico\.org\.v1\nversion: v3\.32\.1/);
        assert.ok(calico.indexOf("crd.projectcalico.org.v1") < calico.indexOf("chart: tigera-operator"));
        assert.ok(!calico.includes("kube2iam"));
    });
});

describe("addons: selections", () => {
    it("refuses pod-role addons without kube2iam, and kube2iam without Calico", () => {
        assert.deepStrictEqual(addonProblems(ALL_ON), []);
        assert.deepStrictEqual(addonProblems({ ...ALL_ON, kube2iam: false }).length, 3);
        assert.match(addonProblems({ ...ALL_ON, calico: false }).join("\n"), /addons\.kube2iam: true is not valid; allowed: false, or addons\.calico: true/);
        assert.deepStrictEqual(addonProblems({ ...ALL_ON, kube2iam: false, externalDns: false, ebsCsi: false, clusterAutoscaler: false }), []);
    });

    it("the component refuses an invalid selection, naming the problem", async () => {
        await assert.rejects(runAddons({ toggles: { ...ALL_ON, kube2iam: false } }), /addons\.ebsCsi: true is not valid; allowed: false, or addons\.kube2iam: true/);
    });
});

/** What depends on each addon: turning it off needs these off too (addonProblems). */
const DEPENDENTS: Record<keyof AddonToggles, (keyof AddonToggles)[]> = {
    calico: ["kube2iam", "externalDns", "ebsCsi", "clusterAutoscaler"],
    kube2iam: ["externalDns", "ebsCsi", "clusterAutoscaler"],
    externalDns: [],
    awsCloudController: [],
    ebsCsi: [],
    clusterAutoscaler: [],
    metricsServer: [],
};

/** Each addon's components, and the IAM resources (type -> count) it owns. */
const OWNED: Record<keyof AddonToggles, { components: string[]; iam: Record<string, number> }> = {
    calico: { components: ["demo-addons-calico"], iam: { "aws:iam/rolePolicy:RolePolicy": 2 } },
    kube2iam: { components: ["demo-addons-kube2iam"], iam: { "aws:iam/rolePolicy:RolePolicy": 2 } },
    externalDns: { components: ["demo-addons-external-dns"], iam: { "aws:iam/role:Role": 1, "aws:iam/rolePolicy:RolePolicy": 1 } },
    awsCloudController: { components: ["demo-addons-aws-cloud-controller"], iam: { "aws:iam/rolePolicy:RolePolicy": 1 } },
    ebsCsi: { components: ["demo-addons-ebs-csi"], iam: { "aws:iam/role:Role": 1, "aws:iam/rolePolicy:RolePolicy": 1 } },
    clusterAutoscaler: { components: ["demo-addons-cluster-autoscaler"], iam: { "aws:iam/role:Role": 1, "aws:iam/rolePolicy:RolePolicy": 1 } },
    metricsServer: { components: ["demo-addons-metrics-server", "demo-addons-kubelet-csr-approver"], iam: {} },
};

describe("addons: turning one addon off removes exactly its objects and its IAM", function () {
    this.timeout(60_000);
    for (const addon of TOGGLES) {
        it(`${addon}`, async () => {
            const base: { -readonly [K in keyof AddonToggles]: boolean } = { ...ALL_ON };
            for (const d of DEPENDENTS[addon]) base[d] = false;
            const on = await runAddons({ toggles: base }, { seed: PINNED_SEED });
            const off = await runAddons({ toggles: { ...base, [addon]: false } }, { seed: PINNED_SEED });
            const offKeys = new Set(off.resources.map(key));
            const removed = on.resources.filter((r) => !offKeys.has(key(r)));
            const onKeys = new Set(on.resources.map(key));
            assert.deepStrictEqual(off.resources.filter((r) => !onKeys.has(key(r))).map(key), [], "nothing appears");

            const owned = OWNED[addon];
            const expected = on.resources.filter((r) => owned.components.includes(r.name) || owned.components.includes(ownerOf(on, r)));
            assert.ok(
                expected.some((r) => r.custom),
                `${addon} owns resources`,
            );
            assert.deepStrictEqual(removed.map(key).sort(), expected.map(key).sort(), "exactly the addon's resources go");
            const iam: Record<string, number> = {};
            for (const r of removed.filter((x) => x.type.startsWith("aws:iam/"))) iam[r.type] = (iam[r.type] ?? 0) + 1;
            assert.deepStrictEqual(iam, owned.iam, "and exactly its IAM");

            // What stays is unchanged.
            const before = new Map(on.resources.map((r) => [key(r), JSON.stringify(on.inputs(r))]));
            for (const r of off.resources) assert.strictEqual(JSON.stringify(off.inputs(r)), before.get(key(r)), `${r.name} unchanged`);
        });
    }
});
