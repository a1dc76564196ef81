/**
 * A pool node's user data, read the way the instance and the policy pack
 * read it: one cloud-config with node setup first, the secrets unit for the
 * `node` audience, and the join unit after it; the join script passes
 * shellcheck; the JoinConfiguration template names the endpoint, the pinned
 * CA hash, labels and taints, with a placeholder where the token goes (the
 * token itself comes from a file on the tmpfs). Plus the label rules.
 */
import { withoutCommentLines } from "../../../components/host/cloudConfig";
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { kubeletMaySetLabel, nodeLabels, nodePoolsLabelProblems } from "../../../components/nodepools";

import { renderFetchScript } from "../../../components/host/secretsDelivery";
import { fetchedObjects, secretsDirs } from "../../../components/secrets";
import { KUBELET_SYSCTLS } from "../../../components/host/kubelet";
import { autoscalerNodeTemplateTags } from "../../../lib/naming";
import { readBoot } from "../../../policies/rules/lib/boot";
import { tmpfsProblems } from "../../../policies/rules/lib/tmpfs";
import { keyMaterialIn } from "../../../policies/rules/lib/keymaterial";
import { findEtcd } from "../../../policies/rules/lib/etcd";
import { API_ENDPOINT, BUCKET, CA_HASH, cloudConfigOf, fileIn, poolConfig } from "../../support/nodePoolFixtures";
import { assertShellcheckClean } from "../../support/shell";
import {
    CA_CERT_PATH,
    FETCH_SCRIPT_PATH,
    JOIN_CONFIG_PATH,
    JOIN_TEMPLATE_PATH,
    KUBELET_SYSCTL_PATH,
    NODE_JOIN_SCRIPT,
    NODE_JOIN_UNIT,
    NODE_SETUP_UNIT,
    SECRETS_UNIT,
    TOKEN_PATH,
    TOKEN_PLACEHOLDER,
    fileAvailableCheck,
    renderJoinTemplate,
    renderNodeJoinScript,
    renderNodeUserData,
} from "../../../components/host";

const batch = poolConfig({
    name: "batch",
    instanceTypes: ["c7i.2xlarge", "c6i.2xlarge"],
    labels: { workload: "batch", "node.kubernetes.io/lifecycle": "spot" },
    taints: [
        { key: "workload", value: "batch", effect: "NoSchedule" },
        { key: "dedicated", value: "", effect: "NoExecute" },
    ],
});

const userData = (pool = batch) =>
    renderNodeUserData({ pool, region: "eu-west-1", kubernetes: { minor: "1.35", version: "1.35.9" }, arch: "amd64", secretsBucket: BUCKET, apiEndpoint: API_ENDPOINT, caCertHash: CA_HASH });
const doc = (pool = batch) => cloudConfigOf(Buffer.from(userData(pool)).toString("base64")).doc;
const unitLine = (unit: string, key: string) =>
    unit
        .split("\n")
        .find((l) => l.startsWith(`${key}=`))
        ?.slice(key.length + 1)
        .split(" ") ?? [];

describe("node pools: user data (pure)", () => {
    it("is one #cloud-config document that parses as YAML", () => {
        const text = userData();
        assert.ok(text.startsWith("#cloud-config\n"));
        const d = parse(text) as { write_files: unknown[]; runcmd: unknown[] };
        assert.ok(Array.isArray(d.write_files) && Array.isArray(d.runcmd));
    });

    it("runs node setup first, then the secrets unit, then the join unit", () => {
        const started = doc()
            .runcmd.filter((c) => c[0] === "systemctl" && c[1] === "enable")
            .map((c) => c[c.length - 1]);
        assert.deepStrictEqual(started, [NODE_SETUP_UNIT, SECRETS_UNIT, NODE_JOIN_UNIT]);
    });

    it("orders the oneshot join unit after the secrets and node setup units, and not before the kubelet kubeadm restarts", () => {
        const unit = fileIn(doc(), `/etc/systemd/system/${NODE_JOIN_UNIT}`);
        assert.deepStrictEqual(unitLine(unit, "Type"), ["oneshot"]);
        assert.deepStrictEqual(unitLine(unit, "ExecStart"), [NODE_JOIN_SCRIPT]);
        for (const dep of [SECRETS_UNIT, NODE_SETUP_UNIT]) {
            assert.ok(unitLine(unit, "After").includes(dep), `After= lacks ${dep}`);
            assert.ok(unitLine(unit, "Requires").includes(dep), `Requires= lacks ${dep}`);
        }
        assert.ok(!/^Before=.*kubelet/m.test(unit));
        assert.deepStrictEqual(unitLine(unit, "WantedBy"), ["multi-user.target"]);
    });

    it("passes cloud-init's own schema check", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-nodepool-"));
        try {
            const file = path.join(dir, "user-data.yaml");
            fs.writeFileSync(file, userData());
            const r = spawnSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
            assert.ok(!r.error, `cloud-init is required (apt-get install cloud-init): ${r.error}`);
            assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("renders a join unit systemd-analyze accepts (next to the units it requires)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-nodepool-"));
        try {
            const d = doc();
            for (const unit of [NODE_SETUP_UNIT, SECRETS_UNIT, NODE_JOIN_UNIT]) {
                const exe = path.join(dir, unit.replace(/\.service$/, ""));
                fs.writeFileSync(exe, "#!/bin/sh\n", { mode: 0o755 });
                const text = fileIn(d, `/etc/systemd/system/${unit}`).replace(/^ExecStart=.*$/m, `ExecStart=${exe}`);
                fs.writeFileSync(path.join(dir, unit), text);
            }
            const r = spawnSync("systemd-analyze", ["verify", path.join(dir, NODE_JOIN_UNIT)], { encoding: "utf8", cwd: dir });
            assert.ok(!r.error, `systemd-analyze is required: ${r.error}`);
            assert.deepStrictEqual(
                (r.stdout + r.stderr).split("\n").filter((l) => l.includes(NODE_JOIN_UNIT)),
                [],
            );
            assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("writes a join script that passes shellcheck", () => {
        const script = fileIn(doc(), NODE_JOIN_SCRIPT);
        assert.ok(script.startsWith("#!/bin/sh\n"));
        assertShellcheckClean(script, "join script");
        assert.strictEqual(doc().write_files.find((f) => f.path === NODE_JOIN_SCRIPT)!.permissions, "0755");
    });

    it("joins with the template rendered onto the tmpfs, reading the token from the file the secrets unit fetches", () => {
        const script = fileIn(doc(), NODE_JOIN_SCRIPT);
        const v = (name: string) => new RegExp(`^${name}='([^']*)'$`, "m").exec(script)?.[1];
        assert.strictEqual(v("TOKEN_FILE"), TOKEN_PATH);
        assert.strictEqual(v("TEMPLATE"), JOIN_TEMPLATE_PATH);
        assert.strictEqual(v("JOIN_CONFIG"), JOIN_CONFIG_PATH);
        assert.strictEqual(v("API_ENDPOINT"), API_ENDPOINT);
        const [tmpfs] = secretsDirs("node");
        for (const p of [TOKEN_PATH, JOIN_CONFIG_PATH, CA_CERT_PATH]) assert.ok(p.startsWith(`${tmpfs}/`), `${p} is not on the tmpfs ${tmpfs}`);
        const nodeObjects = fetchedObjects({ kind: "node" }, "stacked");
        assert.ok(
            nodeObjects.some((o) => o.path === TOKEN_PATH && o.secret && o.mode === "0600"),
            "the secrets unit does not fetch the token to TOKEN_FILE",
        );
        assert.ok(nodeObjects.some((o) => o.path === CA_CERT_PATH));
        assert.match(script, /kubeadm join --config "\$ROOT\$JOIN_CONFIG" --ignore-preflight-errors="\$CA_CHECK"/);
        assert.strictEqual(v("CA_CHECK"), "FileAvailable--etc-kubernetes-pki-ca.crt");
        assert.strictEqual(fileAvailableCheck(CA_CERT_PATH), v("CA_CHECK"));
    });

    it("renders a JoinConfiguration template with the endpoint, the pinned CA hash, a token placeholder, labels and taints", () => {
        const join = parse(fileIn(doc(), JOIN_TEMPLATE_PATH)) as any;
        assert.strictEqual(join.kind, "JoinConfiguration");
        assert.strictEqual(join.apiVersion, "kubeadm.k8s.io/v1beta4");
        assert.deepStrictEqual(join.discovery.bootstrapToken, { apiServerEndpoint: API_ENDPOINT, token: TOKEN_PLACEHOLDER, caCertHashes: [CA_HASH] });
        const extra = Object.fromEntries((join.nodeRegistration.kubeletExtraArgs as { name: string; value: string }[]).map((a) => [a.name, a.value]));
        assert.strictEqual(extra["cloud-provider"], "external");
        assert.deepStrictEqual(extra["node-labels"].split(",").sort(), ["k8s-aws.io/pool=batch", "node.kubernetes.io/lifecycle=spot", "workload=batch"]);
        assert.deepStrictEqual(join.nodeRegistration.taints, [
            { key: "workload", value: "batch", effect: "NoSchedule" },
            { key: "dedicated", effect: "NoExecute" },
        ]);
        assert.strictEqual(join.nodeRegistration.criSocket, "unix:///run/containerd/containerd.sock");
        assert.strictEqual(join.caCertPath, CA_CERT_PATH);
    });

    it("carries no key material: no token, no private key (the policy pack's scanner)", () => {
        const text = userData();
        assert.deepStrictEqual(keyMaterialIn(text), []);
        for (const f of doc().write_files) assert.deepStrictEqual(keyMaterialIn(f.content), [], f.path);
    });

    it("mounts the tmpfs before anything writes into it, and fetches secrets nowhere else (the pack's boot reader)", () => {
        const boot = readBoot(Buffer.from(userData()).toString("base64"));
        const problems = tmpfsProblems(boot, {
            required: ["/etc/kubernetes/pki"],
            secretsDirs: ["/etc/kubernetes/pki", "/etc/etcd/pki"],
            secretSource: /secret|pki|private|token|kubeconfig|\.key$|-key\.pem$/i,
            kubeadmCertDir: "/etc/kubernetes/pki",
        });
        assert.deepStrictEqual(problems, []);
        const commands = boot.steps.filter((s) => s.kind === "run").map((s) => (s as { pipeline: { argv: string[] }[] }).pipeline.map((c) => c.argv.join(" ")).join(" | "));
        const mount = commands.findIndex((c) => c.startsWith("mount -t tmpfs"));
        const join = commands.findIndex((c) => c.startsWith("kubeadm join"));
        assert.ok(mount >= 0 && join > mount, `tmpfs mount at ${mount}, kubeadm join at ${join}`);
    });

    it("runs no etcd: the only ETCD_* the pack sees is node setup's ETCD_VERSION shell variable (known false positive, see fixtures)", () => {
        const members = findEtcd(readBoot(Buffer.from(userData()).toString("base64"))).members;
        const seen = members.map((m) => ({ origin: m.origin, settings: [...m.settings] }));
        assert.ok(seen.length === 0 || JSON.stringify(seen) === JSON.stringify([{ origin: "ETCD_* environment", settings: [["version", ""]] }]), JSON.stringify(seen));
    });

    it("installs the kernel tunables the cluster's kubelet configuration demands (protectKernelDefaults)", () => {
        const sysctls = fileIn(doc(), KUBELET_SYSCTL_PATH);
        for (const [k, v] of Object.entries(KUBELET_SYSCTLS)) assert.match(sysctls, new RegExp(`^${k.replace(/\./g, "\\.")} = ${v}$`, "m"));
    });

    it("fetches the node audience the same way whatever the etcd topology (so one rendering serves both)", () => {
        assert.strictEqual(renderFetchScript("node", "stacked"), renderFetchScript("node", "external"));
        assert.strictEqual(fileIn(doc(), FETCH_SCRIPT_PATH), withoutCommentLines(renderFetchScript("node", "external")));
    });

    it("refuses endpoints and pool names that are not plain names", () => {
        assert.throws(() => renderJoinTemplate({ pool: batch, apiEndpoint: "https://api.example.com:6443", caCertHash: CA_HASH }), /not <host>:<port>/);
        assert.throws(() => renderJoinTemplate({ pool: batch, apiEndpoint: "api.example.com", caCertHash: CA_HASH }), /not <host>:<port>/);
        assert.throws(() => renderJoinTemplate({ pool: batch, apiEndpoint: API_ENDPOINT, caCertHash: "sha256:xyz" }), /caCertHashes/);
        assert.throws(() => renderNodeJoinScript({ pool: { ...batch, name: "a'b" }, apiEndpoint: API_ENDPOINT }), /pool/);
        assert.throws(() => renderNodeJoinScript({ pool: batch, apiEndpoint: "api.example.com:6443; reboot" }), /not <host>:<port>/);
    });
});

describe("node pools: labels and the autoscaler's node template (pure)", () => {
    const cases: { key: string; ok: boolean }[] = [
        { key: "workload", ok: true },
        { key: "example.com/team", ok: true },
        { key: "k8s-aws.io/pool", ok: true },
        { key: "node.kubernetes.io/lifecycle", ok: true },
        { key: "kubelet.kubernetes.io/x", ok: true },
        { key: "topology.kubernetes.io/zone", ok: true },
        { key: "node-role.kubernetes.io/worker", ok: false },
        { key: "kubernetes.io/role", ok: false },
        { key: "k8s.io/anything", ok: false },
        { key: "foo.k8s.io/bar", ok: false },
        { key: "node-restriction.kubernetes.io/tier", ok: false },
    ];
    for (const c of cases) {
        it(`${c.ok ? "lets" : "keeps"} the kubelet ${c.ok ? "set" : "from setting"} ${c.key}`, () => assert.strictEqual(kubeletMaySetLabel(c.key), c.ok));
    }

    it("labels every node with its pool", () => {
        assert.deepStrictEqual(nodeLabels(poolConfig({ labels: { b: "2", a: "1" } })), { a: "1", b: "2", "k8s-aws.io/pool": "general" });
    });

    it("reports labels a kubelet may not set, a wrong pool label, repeated taint keys and over-long tag keys, keyed by config path", () => {
        const long = `${"a".repeat(30)}.example.com/${"x".repeat(63)}`;
        const problems = nodePoolsLabelProblems([
            poolConfig(),
            poolConfig({
                name: "gpu",
                labels: { "node-role.kubernetes.io/gpu": "", "k8s-aws.io/pool": "other", [long]: "v" },
                taints: [
                    { key: "gpu", value: "", effect: "NoSchedule" },
                    { key: "gpu", value: "", effect: "NoExecute" },
                ],
            }),
        ]);
        assert.deepStrictEqual(
            problems.map((p) => p.key),
            [
                "k8s-aws:cluster.nodePools[1].labels.node-role.kubernetes.io/gpu",
                "k8s-aws:cluster.nodePools[1].labels.k8s-aws.io/pool",
                `k8s-aws:cluster.nodePools[1].labels.${long}`,
                "k8s-aws:cluster.nodePools[1].taints[1].key",
            ],
        );
        assert.match(problems[0].allowed, /NodeRestriction/);
    });

    it("writes node-template tags in cluster-autoscaler's format", () => {
        assert.deepStrictEqual(
            autoscalerNodeTemplateTags({
                labels: { workload: "batch" },
                taints: [
                    { key: "workload", value: "batch", effect: "NoSchedule" },
                    { key: "spot", effect: "NoExecute" },
                ],
                resources: { "ephemeral-storage": "50Gi" },
            }),
            {
                "k8s.io/cluster-autoscaler/node-template/label/workload": "batch",
                "k8s.io/cluster-autoscaler/node-template/taint/workload": "batch:NoSchedule",
                "k8s.io/cluster-autoscaler/node-template/taint/spot": ":NoExecute",
                "k8s.io/cluster-autoscaler/node-template/resources/ephemeral-storage": "50Gi",
            },
        );
    });
});
