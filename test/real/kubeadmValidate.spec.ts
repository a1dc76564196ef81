/**
 * Every kubeadm configuration a stack renders, for every offered Kubernetes minor, is accepted
 * by the real `kubeadm config validate` of that minor (rung 2: a real tool's verdict on our
 * output): the control-plane slots' InitConfiguration + ClusterConfiguration (+ kubelet and
 * kube-proxy documents) and control-plane JoinConfiguration from the secrets bucket, and the
 * worker JoinConfiguration template from the node pools' user data, with the bootstrap token
 * put in as the node's join script does at boot. A broken field is rejected, so the check can fail.
 */
import { CLUSTER_AUTOSCALER_TAGS, KubernetesMinor } from "../../config/versions";
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

import { SUPPORTED_KUBERNETES_MINORS } from "../../config/versions";
import { userDataFiles } from "../../tools/offline/plan";
import { runStack } from "../../tools/offline/run";
import { listStacks, readStackFile } from "../../tools/offline/stackFile";
import { PINNED_NOW, PINNED_SEED, unwrapSecrets } from "../support/harness";
import { RealTools, realToolsOrSkip } from "./toolchain";
import { JOIN_TEMPLATE_PATH, TOKEN_PLACEHOLDER } from "../../components/host";

/** A token in kubeadm's format ([a-z0-9]{6}.[a-z0-9]{16}), standing in for the one the secrets unit fetches. */
const BOOT_TOKEN = "k8saws.0123456789abcdef";

interface Rendered {
    readonly where: string;
    readonly text: string;
}

/**
 * The stack's config with the cluster's kubernetesVersion set to `minor`; cluster-autoscaler is
 * turned off on a minor it has no release for, as configuration requires (config/rules.ts).
 */
function stackAtMinor(stack: string, minor: string) {
    const file = readStackFile(stack);
    const cluster = JSON.parse(file.config["k8s-aws:cluster"]);
    const autoscaler = CLUSTER_AUTOSCALER_TAGS[minor as KubernetesMinor] !== undefined && cluster.addons?.clusterAutoscaler !== false;
    const addons = { ...cluster.addons, clusterAutoscaler: autoscaler };
    return { ...file, config: { ...file.config, "k8s-aws:cluster": JSON.stringify({ ...cluster, kubernetesVersion: minor, addons }) } };
}

/** Every kubeadm document set the stack renders: bucket objects, and the worker join template in user data. */
async function kubeadmConfigsOf(stack: string, minor: string): Promise<Rendered[]> {
    const run = await runStack(stackAtMinor(stack, minor), { seed: PINNED_SEED, now: PINNED_NOW });
    const found: Rendered[] = [];
    for (const r of run.resources.filter((x) => x.type === "aws:s3/bucketObjectv2:BucketObjectv2")) {
        const inputs = unwrapSecrets(r.inputs) as Record<string, unknown>;
        const content = String(inputs.content ?? "");
        if (/^kind: (Init|Join)Configuration$/m.test(content)) found.push({ where: `s3://${inputs.key}`, text: content });
    }
    for (const [name, text] of userDataFiles(run.resources)) {
        const doc = YAML.parse(text) as { write_files?: { path: string; content?: string; encoding?: string }[] };
        for (const f of doc.write_files ?? []) {
            if (f.path !== JOIN_TEMPLATE_PATH) continue;
            assert.ok(f.content && !f.encoding, `${name}: ${JOIN_TEMPLATE_PATH} is not plain text`);
            assert.strictEqual(f.content.split(TOKEN_PLACEHOLDER).length, 2, `${name}: expected the token placeholder once`);
            found.push({ where: `${name}:${JOIN_TEMPLATE_PATH}`, text: f.content.replace(TOKEN_PLACEHOLDER, BOOT_TOKEN) });
        }
    }
    return found;
}

function validate(kubeadm: string, text: string): { status: number | null; out: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeadm-validate-"));
    const file = path.join(dir, "config.yaml");
    fs.writeFileSync(file, text);
    const r = spawnSync(kubeadm, ["config", "validate", "--config", file], { encoding: "utf8", timeout: 60_000 });
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

describe("kubeadm config validate (real kubeadm per minor) accepts every rendered configuration", function () {
    this.timeout(300_000);
    let tools: RealTools;
    before(function () {
        tools = realToolsOrSkip(this);
    });

    for (const stack of listStacks()) {
        for (const minor of SUPPORTED_KUBERNETES_MINORS) {
            it(`${stack} at ${minor}: Init, control-plane Join and worker Join configurations`, async () => {
                const configs = await kubeadmConfigsOf(stack, minor);
                const kinds = configs.map((c) => YAML.parseAllDocuments(c.text).map((d) => (d.toJSON() as { kind: string }).kind));
                assert.ok(
                    kinds.some((k) => k.includes("InitConfiguration") && k.includes("ClusterConfiguration")),
                    `${stack}: no Init+ClusterConfiguration found`,
                );
                assert.ok(
                    kinds.some((k) => k.includes("JoinConfiguration")),
                    `${stack}: no JoinConfiguration found`,
                );
                // dev has no node pools (its one control-plane node runs the workloads), so no worker join template.
                const pools = (JSON.parse(readStackFile(stack).config["k8s-aws:cluster"]).nodePools ?? []) as unknown[];
                assert.strictEqual(configs.filter((c) => c.where.endsWith(JOIN_TEMPLATE_PATH)).length > 0, pools.length > 0, `${stack}: worker join templates vs ${pools.length} node pools`);
                const kubeadm = tools.kubeadmByMinor[minor].path;
                const refused = configs.map((c) => ({ ...c, r: validate(kubeadm, c.text) })).filter((c) => c.r.status !== 0);
                assert.deepStrictEqual(
                    refused.map((c) => `${c.where}: ${c.r.out}`),
                    [],
                );
            });
        }
    }

    it("rejects a broken field (a service subnet that is not a CIDR, an unknown field)", async () => {
        const [init] = (await kubeadmConfigsOf("dev", SUPPORTED_KUBERNETES_MINORS[0])).filter((c) => /^kind: InitConfiguration$/m.test(c.text));
        const kubeadm = tools.kubeadmByMinor[SUPPORTED_KUBERNETES_MINORS[0]].path;
        assert.strictEqual(validate(kubeadm, init.text).status, 0, "the unbroken configuration must pass first");
        const badSubnet = init.text.replace(/^(\s+serviceSubnet:) .*$/m, "$1 10.96.0.0/99");
        assert.notStrictEqual(badSubnet, init.text, "no serviceSubnet line to break");
        const r1 = validate(kubeadm, badSubnet);
        assert.notStrictEqual(r1.status, 0, r1.out);
        assert.match(r1.out, /serviceSubnet/);
        const unknown = init.text.replace(/^kind: ClusterConfiguration$/m, "kind: ClusterConfiguration\nnotAField: true");
        const r2 = validate(kubeadm, unknown);
        assert.notStrictEqual(r2.status, 0, r2.out);
        assert.match(r2.out, /notAField/);
    });
});
