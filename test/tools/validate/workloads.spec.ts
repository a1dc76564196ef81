/**
 * Rung 1: the workloads `npm run validate` checks are those the program deploys. For every stack,
 * each enabled addon's manifests file exists in the golden render (and no disabled one), each
 * Helm release's namespace is the namespace the check looks in, and objects the program writes
 * itself (kube2iam's DaemonSet) carry the name checked. Chart-made names were read with
 * `helm template` from the charts at the pinned tags (tools/validate/workloads.ts).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { listStacks, readStackFile } from "../../../tools/offline/stackFile";
import { expectedFromStack } from "../../../tools/validate/expected";
import { ADDON_MANIFEST_FILES, WorkloadToggles } from "../../../tools/validate/workloads";
import { TEST_ROOT } from "../../support/paths";

const GOLDEN = path.join(TEST_ROOT, "golden");

/** Release name (from addons/) -> the workload names of its chart in workloads.ts. */
const CHART_WORKLOADS: Record<string, string[]> = {
    "tigera-operator": ["tigera-operator"],
    "aws-cloud-controller-manager": ["aws-cloud-controller-manager"],
    "aws-ebs-csi-driver": ["ebs-csi-controller", "ebs-csi-node"],
    "cluster-autoscaler": ["cluster-autoscaler"],
    "metrics-server": ["metrics-server"],
    "kubelet-csr-approver": ["kubelet-csr-approver"],
    "external-dns": ["external-dns"],
};

describe("validate/workloads: the system workloads checked are the ones the program deploys", () => {
    for (const stack of listStacks()) {
        it(`${stack}: enabled addons, release namespaces and object names match the render`, () => {
            const config = readStackFile(stack).config;
            const expected = expectedFromStack(config);
            const cluster = JSON.parse(config["k8s-aws:cluster"]);
            const dir = path.join(GOLDEN, stack, "manifests");
            const files = fs.readdirSync(dir);
            const toggles = {
                calico: true,
                kube2iam: true,
                externalDns: true,
                awsCloudController: true,
                ebsCsi: true,
                clusterAutoscaler: true,
                metricsServer: true,
                ...(cluster.addons ?? {}),
            } as WorkloadToggles;
            for (const [addon, names] of Object.entries(ADDON_MANIFEST_FILES) as [keyof WorkloadToggles, string[]][]) {
                const deployed = toggles[addon] && (addon !== "externalDns" || cluster.dns !== undefined);
                for (const n of names) assert.strictEqual(files.includes(`${cluster.name}-addons-${n}.yaml`), deployed, `${stack}: ${addon} (${n}) deployed=${deployed}`);
            }
            const byName = new Map(expected.workloads.map((w) => [w.name, w]));
            for (const file of files) {
                for (const doc of parseAllDocuments(fs.readFileSync(path.join(dir, file), "utf8")).map((d) => d.toJSON())) {
                    if (doc?.helmRelease && CHART_WORKLOADS[doc.chart]) {
                        for (const name of CHART_WORKLOADS[doc.chart]) {
                            assert.ok(byName.has(name), `${stack}: ${doc.chart} is deployed but ${name} is not checked`);
                            assert.strictEqual(byName.get(name)!.namespace, doc.namespace, `${stack}: ${name} namespace`);
                        }
                    }
                    if (doc?.kind === "DaemonSet" || doc?.kind === "Deployment") {
                        const w = byName.get(doc.metadata.name);
                        assert.ok(
                            w && w.kind === doc.kind && w.namespace === doc.metadata.namespace,
                            `${stack}: ${doc.kind} ${doc.metadata.namespace}/${doc.metadata.name} is deployed but not checked`,
                        );
                    }
                }
            }
        });
    }
});
