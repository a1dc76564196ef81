/**
 * The bootstrap token sync (host/tokenSync.ts), run for real with sh against
 * stubbed aws/kubeadm/logger/mountpoint (stubs.ts): the cluster's tokens are
 * files in the stub's state, the bucket is a directory. Plus its units, its
 * place in the control-plane user data, and the policy pack's view of it.
 */
import { withoutCommentLines } from "../../../components/host/cloudConfig";
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { slotKubeadmConfigs } from "../../../components/controlplane/kubeadmConfigs";
import { bootstrapTokenDescription, renderTokenSyncScript, renderTokenSyncUnits } from "../../../components/host/tokenSync";
import { readBoot } from "../../../policies/rules/lib/boot";
import { keyMaterialIn } from "../../../policies/rules/lib/keymaterial";
import { tmpfsProblems } from "../../../policies/rules/lib/tmpfs";
import { assertShellcheckClean, removeTempDirs, tempDir } from "../../support/shell";
import { StubWorld, makeWorld, runScript, writeFiles } from "../../support/stubs";
import { TOKEN_SYNC_SCRIPT, TOKEN_SYNC_SERVICE, TOKEN_SYNC_TIMER, controlPlaneUserData, etcdMemberUserData } from "../../../components/host";
import { SLOT_USER_DATA_COMMON, SLOT_API_ENDPOINT, prodSlots } from "../../support/slotFixtures";

const BUCKET = "prod-secrets-0123456789";
const OBJECT = `s3://${BUCKET}/nodes/bootstrap-token`;
const OURS = bootstrapTokenDescription("prod");
// [a-z0-9]{6}.[a-z0-9]{16}, assembled so that no token literal sits in the source.
const token = (id: string, secretChar: string) => `${id}.${secretChar.repeat(16)}`;
const OLD = token("old111", "a");
const NEW = token("new222", "b");
const USERS = token("usr333", "c");
const secretOf = (t: string) => t.slice(7);

const script = renderTokenSyncScript({ cluster: "prod", attempts: 2, backoffSeconds: 1 });

/**
 * A control-plane slot after boot: the env file, admin.conf, the tmpfs (mounted) with the boot-time copy of
 * `bootTmpfsToken`; the bucket holds `bucketToken` (none: missing); the cluster holds `cluster` (token -> description).
 */
function slotWorld(base: string, name: string, o: { bucketToken?: string; bootTmpfsToken: string; cluster: Record<string, string> }): StubWorld {
    const s3 = path.join(base, `s3-${name}`);
    const w = makeWorld(base, name, s3);
    writeFiles(w.root, {
        "etc/k8s-aws/secrets.env": `# names only\nK8S_AWS_SECRETS_BUCKET=${BUCKET}\nK8S_AWS_SECRETS_PREFIX=control-plane\nK8S_AWS_REGION=eu-west-1\n`,
        "etc/kubernetes/admin.conf": "apiVersion: v1\nkind: Config\n",
        "etc/kubernetes/pki/bootstrap-token": o.bootTmpfsToken,
        "etc/kubernetes/pki/kubeadm/join.yaml": "kind: JoinConfiguration\n",
    });
    writeFiles(w.state, { mounted: "" });
    if (o.bucketToken !== undefined) writeFiles(s3, { [`${BUCKET}/nodes/bootstrap-token`]: o.bucketToken });
    for (const [t, description] of Object.entries(o.cluster)) writeFiles(w.state, { [`tokens/${t.slice(0, 6)}`]: `${t}\t${description}\n` });
    return w;
}

/** The cluster's tokens as the stub holds them: token -> description. */
function clusterTokens(w: StubWorld): Record<string, string> {
    const dir = path.join(w.state, "tokens");
    return Object.fromEntries(
        fs.readdirSync(dir).map((f) => {
            const [t, d] = fs.readFileSync(path.join(dir, f), "utf8").replace(/\n$/, "").split("\t");
            return [t, d];
        }),
    );
}

const kubeadmCalls = (w: StubWorld, verb: string) => w.calls().filter((c) => c.startsWith(`kubeadm token ${verb}`));

/** Neither the token nor its secret on any recorded command line (every stub records its argv) or in the script's output. */
function assertNeverShown(w: StubWorld, stderr: string, ...tokens: string[]): void {
    for (const t of tokens) {
        for (const c of w.calls()) assert.ok(!c.includes(secretOf(t)), `the token's secret is on a command line: ${c.replace(secretOf(t), "<secret>")}`);
        assert.ok(!stderr.includes(secretOf(t)), "the token's secret is in the script's output");
    }
}

describe("controlplane/tokenSync: the cluster's bootstrap token follows the secrets bucket", function () {
    this.timeout(60000);
    let base = "";
    beforeEach(() => (base = tempDir("tsync")));
    after(removeTempDirs);

    it("passes shellcheck -s sh", () => {
        assertShellcheckClean(script, "token sync");
        assertShellcheckClean(renderTokenSyncScript({ cluster: "a-much-longer-cluster-name" }), "token sync (defaults)");
    });

    it("uses the very description kubeadm init gives the cluster's first token, so that token counts as ours", () => {
        const init = slotKubeadmConfigs(
            {
                clusterName: "prod",
                kubernetesVersion: "1.35.9",
                podCidr: "10.244.0.0/16",
                serviceCidr: "10.96.0.0/12",
                pki: { algorithm: "ECDSA", rsaBits: 2048, leafValidityHours: 8760 },
                controlPlaneEndpoint: "api.internal.prod.k8s.example.net:6443",
                certSans: [],
                etcd: { mode: "stacked", volumeSizeGiB: 20 },
                schedulable: false,
                token: NEW,
                caCertHash: `sha256:${"0".repeat(64)}`,
            },
            "10.30.0.10",
        ).init;
        const doc = parse(init.split("\n---\n")[0]) as { bootstrapTokens: { description: string; ttl: string; usages: string[]; groups: string[] }[] };
        assert.strictEqual(doc.bootstrapTokens[0].description, OURS);
        assert.match(script, new RegExp(`^DESCRIPTION='${OURS}'$`, "m"));
        // The sync registers the token exactly as init does.
        assert.strictEqual(doc.bootstrapTokens[0].ttl, "0s");
        assert.deepStrictEqual(doc.bootstrapTokens[0].usages, ["signing", "authentication"]);
        assert.deepStrictEqual(doc.bootstrapTokens[0].groups, ["system:bootstrappers:kubeadm:default-node-token"]);
    });

    it("token already in the cluster: refetches it, creates and deletes nothing", async () => {
        const w = slotWorld(base, "present", { bucketToken: NEW, bootTmpfsToken: NEW, cluster: { [NEW]: OURS, [USERS]: "made by hand" } });
        const r = await runScript(script, w);
        assert.strictEqual(r.code, 0, r.stderr);
        const calls = w.calls();
        assert.strictEqual(
            calls.filter((c) => new RegExp(`^aws --region eu-west-1 s3 cp --only-show-errors ${OBJECT} \\S+/etc/kubernetes/pki/bootstrap-token\\.part$`).test(c)).length,
            1,
            "one fetch, like the boot-time one",
        );
        assert.deepStrictEqual(kubeadmCalls(w, "list"), [`kubeadm token list --kubeconfig ${w.root}/etc/kubernetes/admin.conf -o jsonpath={.token}{"\\t"}{.description}{"\\n"}`]);
        assert.deepStrictEqual(kubeadmCalls(w, "create"), []);
        assert.deepStrictEqual(kubeadmCalls(w, "delete"), []);
        assert.deepStrictEqual(clusterTokens(w), { [NEW]: OURS, [USERS]: "made by hand" });
        assert.ok(
            calls.some((c) => c.startsWith("logger -t k8s-aws-token-sync -p daemon.info -- the cluster has bootstrap token new222")),
            calls.join("\n"),
        );
        assertNeverShown(w, r.stderr, NEW, USERS);
    });

    it("rotated token: registers the new one once through a 0600 config file, never on a command line; deletes the old k8s-aws token, keeps the user's", async () => {
        const w = slotWorld(base, "rotated", { bucketToken: NEW, bootTmpfsToken: OLD, cluster: { [OLD]: OURS, [USERS]: "made by hand" } });
        const r = await runScript(script, w);
        assert.strictEqual(r.code, 0, r.stderr);
        const config = `${w.root}/etc/kubernetes/pki/kubeadm/token-sync.yaml`;
        assert.deepStrictEqual(kubeadmCalls(w, "create"), [`kubeadm token create --config ${config} --kubeconfig ${w.root}/etc/kubernetes/admin.conf`]);
        assert.deepStrictEqual(kubeadmCalls(w, "delete"), [`kubeadm token delete old111 --kubeconfig ${w.root}/etc/kubernetes/admin.conf`]);
        const calls = w.calls();
        assert.ok(calls.findIndex((c) => c.startsWith("kubeadm token create")) < calls.findIndex((c) => c.startsWith("kubeadm token delete")), "the new token exists before the old one goes");
        assert.deepStrictEqual(clusterTokens(w), { [NEW]: OURS, [USERS]: "made by hand" });

        // The file kubeadm read: on the tmpfs, root-only, the token with init's settings, the local kubeadm's version (no lookup on dl.k8s.io).
        assert.strictEqual(fs.readFileSync(path.join(w.state, "create-config-mode"), "utf8").trim(), "600");
        const docs = fs
            .readFileSync(path.join(w.state, "create-config"), "utf8")
            .split("\n---\n")
            .map((d) => parse(d));
        assert.deepStrictEqual(docs[0], {
            apiVersion: "kubeadm.k8s.io/v1beta4",
            kind: "InitConfiguration",
            bootstrapTokens: [{ token: NEW, ttl: "0s", description: OURS, usages: ["signing", "authentication"], groups: ["system:bootstrappers:kubeadm:default-node-token"] }],
        });
        assert.deepStrictEqual(docs[1], { apiVersion: "kubeadm.k8s.io/v1beta4", kind: "ClusterConfiguration", kubernetesVersion: "v1.35.9" });
        assert.ok(!fs.existsSync(config), "the config file with the token is removed");
        for (const f of ["bootstrap-token.part", "bootstrap-token.err"]) assert.ok(!fs.existsSync(`${w.root}/etc/kubernetes/pki/${f}`), `${f} is left behind`);
        // The tmpfs copy is the bucket's now, 0600.
        const copy = `${w.root}/etc/kubernetes/pki/bootstrap-token`;
        assert.strictEqual(fs.readFileSync(copy, "utf8"), NEW);
        assert.strictEqual(fs.statSync(copy).mode & 0o777, 0o600);
        assertNeverShown(w, r.stderr, NEW, OLD, USERS);
        assert.ok(calls.some((c) => /^logger .* registered bootstrap token new222 from s3:\/\/prod-secrets-0123456789\/nodes\/bootstrap-token/.test(c)));
        assert.ok(calls.some((c) => /^logger .* deleted bootstrap token old111 \(made by k8s-aws before/.test(c)));

        // Idempotent: the next run finds everything in place.
        const again = await runScript(script, w);
        assert.strictEqual(again.code, 0, again.stderr);
        assert.strictEqual(kubeadmCalls(w, "create").length, 1);
        assert.strictEqual(kubeadmCalls(w, "delete").length, 1);
        assert.deepStrictEqual(clusterTokens(w), { [NEW]: OURS, [USERS]: "made by hand" });
    });

    it("every earlier k8s-aws token goes, however many rotations ago; a user's token whose description only starts like ours stays", async () => {
        const older = token("older9", "d");
        const w = slotWorld(base, "many", { bucketToken: NEW, bootTmpfsToken: NEW, cluster: { [NEW]: OURS, [OLD]: OURS, [older]: OURS, [USERS]: `${OURS} (copy)` } });
        const r = await runScript(script, w);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(kubeadmCalls(w, "create"), []);
        assert.deepStrictEqual(
            kubeadmCalls(w, "delete")
                .map((c) => c.split(" ")[3])
                .sort(),
            ["old111", "older9"],
        );
        assert.deepStrictEqual(clusterTokens(w), { [NEW]: OURS, [USERS]: `${OURS} (copy)` });
    });

    it("only the secret rotated (same id): the stale token is deleted and the delivered one registered", async () => {
        const staleSecret = token("new222", "e");
        const w = slotWorld(base, "stale", { bucketToken: NEW, bootTmpfsToken: staleSecret, cluster: { [staleSecret]: OURS } });
        const r = await runScript(script, w);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(
            kubeadmCalls(w, "delete").map((c) => c.split(" ")[3]),
            ["new222"],
        );
        assert.strictEqual(kubeadmCalls(w, "create").length, 1);
        assert.deepStrictEqual(clusterTokens(w), { [NEW]: OURS });
        assertNeverShown(w, r.stderr, NEW, staleSecret);
    });

    it("another slot registered it between list and create: 'already exists' is success", async () => {
        const w = slotWorld(base, "race", { bucketToken: NEW, bootTmpfsToken: OLD, cluster: { [OLD]: OURS } });
        writeFiles(w.state, { "create-races": "" });
        const r = await runScript(script, w);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(kubeadmCalls(w, "create").length, 1);
        assert.ok(w.calls().some((c) => /^logger .* bootstrap token new222 already exists: another control-plane slot/.test(c)));
    });

    it("three slots at once converge on the delivered token alone", async () => {
        // One cluster (shared token state), three slots running the sync concurrently.
        const worlds = ["a", "b", "c"].map((n) => slotWorld(base, `slot-${n}`, { bucketToken: NEW, bootTmpfsToken: OLD, cluster: {} }));
        const shared = path.join(base, "cluster-tokens");
        fs.mkdirSync(shared);
        fs.writeFileSync(path.join(shared, "old111"), `${OLD}\t${OURS}\n`);
        for (const w of worlds) {
            fs.rmSync(path.join(w.state, "tokens"), { recursive: true, force: true });
            fs.symlinkSync(shared, path.join(w.state, "tokens"));
        }
        const runs = await Promise.all(worlds.map((w) => runScript(script, w)));
        runs.forEach((r) => assert.strictEqual(r.code, 0, r.stderr));
        assert.deepStrictEqual(fs.readdirSync(shared), ["new222"]);
    });

    it("missing token object: non-zero, naming the object, and the cluster and the tmpfs copy are left alone", async () => {
        const w = slotWorld(base, "missing", { bootTmpfsToken: OLD, cluster: { [OLD]: OURS } });
        const r = await runScript(script, w);
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /error: the bootstrap token object s3:\/\/prod-secrets-0123456789\/nodes\/bootstrap-token does not exist/);
        assert.ok(w.calls().some((c) => c.startsWith(`logger -t k8s-aws-token-sync -p daemon.err -- error: the bootstrap token object ${OBJECT} does not exist`)));
        assert.strictEqual(w.calls().filter((c) => c.startsWith("aws ")).length, 1, "a missing object is not retried");
        assert.deepStrictEqual(
            w.calls().filter((c) => c.startsWith("kubeadm")),
            [],
        );
        assert.strictEqual(fs.readFileSync(`${w.root}/etc/kubernetes/pki/bootstrap-token`, "utf8"), OLD);
        assert.deepStrictEqual(fs.readdirSync(`${w.root}/etc/kubernetes/pki`).sort(), ["bootstrap-token", "kubeadm"], "no .part or .err left behind");
        assert.deepStrictEqual(clusterTokens(w), { [OLD]: OURS });
    });

    it("403 (the role has no s3:ListBucket, so a missing key reads as Forbidden): non-zero, naming the object", async () => {
        const w = slotWorld(base, "forbidden", { bucketToken: NEW, bootTmpfsToken: OLD, cluster: { [OLD]: OURS } });
        writeFiles(w.state, { "s3-forbidden": "" });
        const r = await runScript(script, w);
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /the bootstrap token object s3:\/\/prod-secrets-0123456789\/nodes\/bootstrap-token is missing or not readable by this instance's role/);
        assert.deepStrictEqual(
            w.calls().filter((c) => c.startsWith("kubeadm")),
            [],
        );
    });

    it("S3 unreachable: bounded retries, then non-zero, naming the object", async () => {
        const w = slotWorld(base, "down", { bucketToken: NEW, bootTmpfsToken: OLD, cluster: { [OLD]: OURS } });
        writeFiles(w.state, { "s3-down": "" });
        const r = await runScript(script, w);
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /cannot fetch the bootstrap token object s3:\/\/prod-secrets-0123456789\/nodes\/bootstrap-token after 2 attempts/);
        assert.deepStrictEqual(
            w.calls().filter((c) => c.startsWith("sleep")),
            ["sleep 1"],
        );
        assert.deepStrictEqual(
            w.calls().filter((c) => c.startsWith("kubeadm")),
            [],
        );
    });

    it("an object that is no token: non-zero, without showing its content, and nothing changes", async () => {
        const w = slotWorld(base, "garbage", { bucketToken: "not-a-token-at-all\n", bootTmpfsToken: OLD, cluster: { [OLD]: OURS } });
        const r = await runScript(script, w);
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /s3:\/\/prod-secrets-0123456789\/nodes\/bootstrap-token is empty or not a bootstrap token/);
        assert.ok(!r.stderr.includes("not-a-token-at-all"));
        assert.deepStrictEqual(
            w.calls().filter((c) => c.startsWith("kubeadm")),
            [],
        );
        assert.strictEqual(fs.readFileSync(`${w.root}/etc/kubernetes/pki/bootstrap-token`, "utf8"), OLD);
    });

    it("refuses to fetch when the pki directory is not the tmpfs, or before kubeadm made admin.conf", async () => {
        const w = slotWorld(base, "no-tmpfs", { bucketToken: NEW, bootTmpfsToken: OLD, cluster: { [OLD]: OURS } });
        fs.rmSync(path.join(w.state, "mounted"));
        const r = await runScript(script, w);
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /is not mounted: k8s-aws-secrets\.service mounts a tmpfs there first/);
        assert.deepStrictEqual(
            w.calls().filter((c) => c.startsWith("aws ")),
            [],
        );

        const v = slotWorld(base, "no-admin", { bucketToken: NEW, bootTmpfsToken: OLD, cluster: { [OLD]: OURS } });
        fs.rmSync(`${v.root}/etc/kubernetes/admin.conf`);
        const r2 = await runScript(script, v);
        assert.notStrictEqual(r2.code, 0);
        assert.match(r2.stderr, /admin\.conf is missing: this slot has not finished kubeadm init or join/);
        assert.deepStrictEqual(
            v.calls().filter((c) => c.startsWith("aws ") || c.startsWith("kubeadm")),
            [],
        );
    });

    it("API unreachable: non-zero, nothing created or deleted", async () => {
        const w = slotWorld(base, "api-down", { bucketToken: NEW, bootTmpfsToken: OLD, cluster: { [OLD]: OURS } });
        writeFiles(w.state, { "api-down": "" });
        const r = await runScript(script, w);
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /kubeadm token list --kubeconfig \/etc\/kubernetes\/admin\.conf failed/);
        assert.deepStrictEqual(kubeadmCalls(w, "create").concat(kubeadmCalls(w, "delete")), []);
    });

    it("rejects a cluster name that would not be safe in the script", () => {
        assert.throws(() => renderTokenSyncScript({ cluster: "prod'; reboot; '" }));
        assert.throws(() => renderTokenSyncScript({ cluster: "prod", attempts: 0 }));
    });

    it("units: a timer 5 min after boot then every 10 min; the service needs the secrets unit and runs only after the control-plane unit succeeded", () => {
        const { service, timer } = renderTokenSyncUnits();
        assert.match(service, /^Type=oneshot$/m);
        assert.doesNotMatch(service, /RemainAfterExit=yes/, "a timer cannot start an active unit again");
        assert.match(service, /^Requires=k8s-aws-secrets\.service$/m);
        assert.match(service, /^Requisite=k8s-aws-control-plane\.service$/m);
        assert.match(service, /^After=k8s-aws-secrets\.service k8s-aws-control-plane\.service network-online\.target$/m);
        assert.match(service, /^ExecStart=\/usr\/local\/sbin\/k8s-aws-token-sync$/m);
        assert.doesNotMatch(service, /\[Install\]/);
        assert.match(timer, /^OnBootSec=5min$/m);
        assert.match(timer, /^OnUnitActiveSec=10min$/m);
        assert.match(timer, /^Unit=k8s-aws-token-sync\.service$/m);
        assert.match(timer, /^WantedBy=timers\.target$/m);
    });
});

describe("controlplane/tokenSync: in the user data", () => {
    const slots = prodSlots(3);
    const common = { ...SLOT_USER_DATA_COMMON, bucket: BUCKET };
    type Doc = { write_files: { path: string; permissions: string; content: string }[]; runcmd: string[][] };
    const doc = (text: string) => parse(text.replace(/^#cloud-config\n/, "")) as Doc;

    for (const topology of ["stacked", "external"] as const) {
        const text = controlPlaneUserData({ ...common, slot: slots.controlPlane[0], etcdTopology: topology, controlPlaneCount: 3, controlPlaneEndpoint: SLOT_API_ENDPOINT });

        it(`control plane (${topology} etcd): writes the script and both units, enables the timer after the control-plane unit`, () => {
            const d = doc(text);
            const at = (p: string) => d.write_files.find((f) => f.path === p);
            assert.strictEqual(at(TOKEN_SYNC_SCRIPT)?.permissions, "0755");
            assert.strictEqual(at(TOKEN_SYNC_SCRIPT)?.content, withoutCommentLines(renderTokenSyncScript({ cluster: "prod" })));
            assert.strictEqual(at(`/etc/systemd/system/${TOKEN_SYNC_SERVICE}`)?.content, renderTokenSyncUnits().service);
            assert.strictEqual(at(`/etc/systemd/system/${TOKEN_SYNC_TIMER}`)?.content, renderTokenSyncUnits().timer);
            const cmds = d.runcmd.map((c) => c.join(" "));
            const timer = cmds.indexOf(`systemctl enable --now ${TOKEN_SYNC_TIMER}`);
            assert.ok(timer > cmds.indexOf("systemctl start --no-block k8s-aws-control-plane.service"), cmds.join(" | "));
        });

        it(`control plane (${topology} etcd): no key material, and the tmpfs rules hold even if the sync ran during boot`, () => {
            assert.deepStrictEqual(keyMaterialIn(text), []);
            // The policy does not follow a timer; make it follow the script by running it from runcmd.
            const d = doc(text);
            d.runcmd.push([TOKEN_SYNC_SCRIPT]);
            const followed = Buffer.from(`#cloud-config\n${stringify(d, { lineWidth: 0 })}`).toString("base64");
            const problems = tmpfsProblems(readBoot(followed), {
                required: ["/etc/kubernetes/pki"],
                secretsDirs: ["/etc/kubernetes/pki", "/etc/etcd/pki"],
                secretSource: /secret|pki|private|token|kubeconfig|\.key$|-key\.pem$/i,
                kubeadmCertDir: "/etc/kubernetes/pki",
            });
            assert.deepStrictEqual(problems, []);
        });
    }

    it("etcd members have no token sync", () => {
        const text = etcdMemberUserData({ ...common, slot: slots.etcd[0], etcdTopology: "external", members: slots.etcd, volumeSizeGiB: 50 });
        assert.ok(!text.includes("k8s-aws-token-sync"));
    });
});
