/**
 * Secrets delivery at boot: the rendered script passes shellcheck and runs for
 * real under `sh` against PATH stubs of aws, mount, mountpoint, logger and
 * uname (which record their calls) in a temporary root: tmpfs before any
 * fetch, every object fetched with the right modes, a second boot fetches
 * again, an already-mounted tmpfs is reused, and a missing object fails the
 * unit naming the object. Also the unit, the env file (names only) and the
 * cloud-config parts.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { stringify } from "yaml";
import { LOG_TAG, renderFetchScript, renderSecretsEnv, renderSecretsUnit, secretsDeliveryCloudConfig } from "../../../components/host/secretsDelivery";
import { Audience, EtcdTopology, RoleKind, SecretObject, allObjects, fetchedObjects, objectKey, secretsDirs } from "../../../components/secrets";
// The policy pack's own reader of user data (policies/rules/secrets.ts, user-data-secrets-on-tmpfs).
import { readBoot } from "../../../policies/rules/lib/boot";
import { tmpfsProblems } from "../../../policies/rules/lib/tmpfs";
import { assertShellcheckClean } from "../../support/shell";
import { FETCH_SCRIPT_PATH, SECRETS_ENV_PATH, SECRETS_UNIT, SECRETS_UNIT_PATH } from "../../../components/host";

const BUCKET = "demo-secrets-0a1b2c3d4e5f60718293a4b5c6";
const REGION = "eu-west-1";
const NEW_KERNEL = "6.8.0-1021-aws";
const OLD_KERNEL = "6.1.0-28-cloud-amd64";

const ROLES: { kind: RoleKind; topology: EtcdTopology }[] = [
    { kind: "control-plane", topology: "stacked" },
    { kind: "control-plane", topology: "external" },
    { kind: "node", topology: "stacked" },
    { kind: "node", topology: "external" },
    { kind: "etcd", topology: "external" },
];

describe("secrets delivery: rendered files (pure)", () => {
    for (const { kind, topology } of ROLES) {
        it(`renders a fetch script that passes shellcheck (${kind}, ${topology} etcd)`, () => {
            const script = renderFetchScript(kind, topology);
            assert.ok(script.startsWith("#!/bin/sh\n"));
            assertShellcheckClean(script, `${kind} fetch script`);
        });
    }

    it("renders the env file with names only", () => {
        const env = renderSecretsEnv({ bucket: BUCKET, region: REGION, audience: { kind: "etcd", member: "etcd-b" } });
        const vars = env.split("\n").filter((l) => l && !l.startsWith("#"));
        assert.deepStrictEqual(vars, [`K8S_AWS_SECRETS_BUCKET=${BUCKET}`, "K8S_AWS_SECRETS_PREFIX=etcd/etcd-b", `K8S_AWS_REGION=${REGION}`]);
        assert.strictEqual(renderSecretsEnv({ bucket: BUCKET, region: REGION, audience: { kind: "node" } }).match(/PREFIX=(.*)/)![1], "nodes");
        assert.strictEqual(renderSecretsEnv({ bucket: BUCKET, region: REGION, audience: { kind: "control-plane" } }).match(/PREFIX=(.*)/)![1], "control-plane");
    });

    it("refuses values that are not names (no injection into the env file)", () => {
        assert.throws(() => renderSecretsEnv({ bucket: `${BUCKET}\nK8S_AWS_REGION=x`, region: REGION, audience: { kind: "node" } }), /bucket/);
        assert.throws(() => renderSecretsEnv({ bucket: BUCKET, region: "eu-west-1; rm -rf /", audience: { kind: "node" } }), /region/);
        assert.throws(() => renderSecretsEnv({ bucket: BUCKET, region: REGION, audience: { kind: "etcd", member: "a/../b" } }), /DNS label/);
    });

    it("renders a oneshot unit that runs on every boot before kubelet and etcd, after the network is online", () => {
        for (const kind of ["control-plane", "node", "etcd"] as const) {
            const unit = renderSecretsUnit(kind);
            const has = (line: string) => assert.ok(unit.split("\n").includes(line), `${kind}: ${line}`);
            has("Type=oneshot");
            has("RemainAfterExit=yes");
            has("Wants=network-online.target");
            has(`ExecStart=${FETCH_SCRIPT_PATH}`);
            has("WantedBy=multi-user.target");
            assert.match(unit, /^After=.*\bnetwork-online\.target\b/m);
            assert.match(unit, /^Before=.*\bkubelet\.service\b/m);
            assert.match(unit, /^Before=.*\betcd\.service\b/m);
            assert.match(unit, new RegExp(`^RequiredBy=${kind === "etcd" ? "etcd" : "kubelet"}\\.service$`, "m"));
            assert.doesNotMatch(unit, /ConditionFirstBoot|ConditionPathExists/);
        }
    });

    it("renders a unit systemd-analyze accepts", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-unit-"));
        try {
            const exe = path.join(dir, "fetch");
            fs.writeFileSync(exe, "#!/bin/sh\n", { mode: 0o755 });
            const unit = path.join(dir, SECRETS_UNIT);
            fs.writeFileSync(unit, renderSecretsUnit("node").replace(FETCH_SCRIPT_PATH, exe));
            const r = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8" });
            assert.ok(!r.error, `systemd-analyze is required: ${r.error}`);
            const problems = (r.stdout + r.stderr).split("\n").filter((l) => l.includes(SECRETS_UNIT));
            assert.deepStrictEqual(problems, []);
            assert.strictEqual(r.status, 0);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("renders the cloud-config parts: env file, script and unit, then enables and starts the unit", () => {
        const cc = secretsDeliveryCloudConfig({ bucket: BUCKET, region: REGION, audience: { kind: "control-plane" }, etcdTopology: "stacked" });
        assert.deepStrictEqual(
            cc.writeFiles.map((f) => [f.path, f.permissions, f.owner]),
            [
                [SECRETS_ENV_PATH, "0644", "root:root"],
                [FETCH_SCRIPT_PATH, "0755", "root:root"],
                [SECRETS_UNIT_PATH, "0644", "root:root"],
            ],
        );
        assert.strictEqual(cc.writeFiles[1].content, renderFetchScript("control-plane", "stacked"));
        assert.deepStrictEqual(cc.runcmd, [
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", SECRETS_UNIT],
        ]);
        // The only instance-specific values in user data are the three names.
        const other = secretsDeliveryCloudConfig({ bucket: "other-bucket", region: "us-east-1", audience: { kind: "control-plane" }, etcdTopology: "stacked" });
        assert.deepStrictEqual(other.writeFiles.slice(1), cc.writeFiles.slice(1));
        const yaml = stringify({ write_files: cc.writeFiles, runcmd: cc.runcmd });
        assert.doesNotMatch(yaml, /PRIVATE KEY|BEGIN CERTIFICATE/);
    });
});

describe("secrets delivery: what the policy pack reads in user data", () => {
    for (const audience of [{ kind: "control-plane" }, { kind: "node" }, { kind: "etcd", member: "etcd-a" }] as Audience[]) {
        it(`mounts private tmpfs on every secrets directory before fetching anything into it (${audience.kind})`, () => {
            const cc = secretsDeliveryCloudConfig({ bucket: BUCKET, region: REGION, audience, etcdTopology: audience.kind === "etcd" ? "external" : "stacked" });
            const userData = Buffer.from(`#cloud-config\n${stringify({ write_files: cc.writeFiles, runcmd: cc.runcmd })}`).toString("base64");
            const boot = readBoot(userData);
            // The policy's defaults: every instance's /etc/kubernetes/pki, and /etc/etcd/pki on etcd members.
            const problems = tmpfsProblems(boot, {
                required: secretsDirs(audience.kind),
                secretsDirs: ["/etc/kubernetes/pki", "/etc/etcd/pki"],
                secretSource: /secret|pki|private|token|kubeconfig|\.key$|-key\.pem$/i,
                kubeadmCertDir: "/etc/kubernetes/pki",
            });
            assert.deepStrictEqual(problems, []);
            // It did follow the unit into the script: the downloads are seen, each into a tmpfs directory.
            const downloads = boot.steps.flatMap((st) => (st.kind === "run" ? st.pipeline : [])).filter((c) => c.argv[0] === "aws");
            assert.strictEqual(downloads.length, audience.kind === "control-plane" ? 12 : audience.kind === "node" ? 3 : 5);
            for (const d of downloads)
                assert.ok(
                    secretsDirs(audience.kind).some((dir) => d.argv[d.argv.length - 1].startsWith(`${dir}/`)),
                    d.argv.join(" "),
                );
        });
    }
});

// ---------------------------------------------------------------------------------------------
// The script, run for real.

const STUBS: Record<string, string> = {
    // aws --region R s3 cp --only-show-errors s3://bucket/key dest: copies from $FAKE_S3/bucket/key.
    aws: `#!/bin/sh
echo "aws $*" >>"$CALLS"
[ "$1" = --region ] && [ "$3" = s3 ] && [ "$4" = cp ] || { echo "unexpected aws call: $*" >&2; exit 2; }
src=$6 dest=$7
obj=\${src#s3://}
if [ -n "\${FAIL_ONCE:-}" ] && [ "$obj" = "$FAIL_ONCE" ] && [ ! -e "$CALLS.failed" ]; then
    : >"$CALLS.failed"; echo "Connection reset" >&2; exit 1
fi
[ -f "$FAKE_S3/$obj" ] || { echo "fatal error: An error occurred (404) when calling the HeadObject operation: Not Found" >&2; exit 1; }
cp "$FAKE_S3/$obj" "$dest"
`,
    // mount -t tmpfs -o OPTS tmpfs DIR: records the mount in the fake mount table.
    mount: `#!/bin/sh
echo "mount $*" >>"$CALLS"
printf 'tmpfs %s tmpfs %s 0 0\\n' "$6" "$4" >>"$K8S_AWS_ROOT/proc/self/mounts"
`,
    mountpoint: `#!/bin/sh
echo "mountpoint $*" >>"$CALLS"
awk -v d="$2" '$2 == d { found = 1 } END { exit !found }' "$K8S_AWS_ROOT/proc/self/mounts"
`,
    logger: `#!/bin/sh
echo "logger $*" >>"$CALLS"
`,
    uname: `#!/bin/sh
echo "uname $*" >>"$CALLS"
[ "$1" = -r ] && echo "$FAKE_UNAME_R"
`,
};

interface Sandbox {
    readonly root: string;
    readonly s3: string;
    readonly calls: string;
    readonly script: string;
    readonly objects: SecretObject[];
}

const sandboxes: string[] = [];
after(() => sandboxes.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A temporary root with the env file, the script, a fake bucket holding every object, and the stubs. */
function sandbox(audience: Audience, topology: EtcdTopology, members: string[] = []): Sandbox {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-fetch-"));
    sandboxes.push(base);
    const root = path.join(base, "root");
    const bin = path.join(base, "bin");
    const s3 = path.join(base, "s3");
    for (const d of [bin, path.join(root, "etc/k8s-aws"), path.join(root, "proc/self"), path.join(root, "usr/local/sbin")]) fs.mkdirSync(d, { recursive: true });
    for (const [name, text] of Object.entries(STUBS)) fs.writeFileSync(path.join(bin, name), text, { mode: 0o755 });
    fs.writeFileSync(path.join(root, "proc/self/mounts"), "/dev/nvme0n1p1 / ext4 rw,relatime 0 0\n");
    fs.writeFileSync(path.join(root, SECRETS_ENV_PATH), renderSecretsEnv({ bucket: BUCKET, region: REGION, audience }));
    const script = path.join(root, FETCH_SCRIPT_PATH);
    fs.writeFileSync(script, renderFetchScript(audience.kind, topology), { mode: 0o755 });
    for (const o of allObjects(topology, members)) {
        const p = path.join(s3, BUCKET, objectKey(o));
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, `${objectKey(o)} ${o.secret ? "-----BEGIN EC PRIVATE KEY-----" : "-----BEGIN CERTIFICATE-----"}\n`);
    }
    const objects = audience.kind === "etcd" ? allObjects(topology, members).filter((o) => o.prefix === `etcd/${audience.member}`) : fetchedObjects(audience, topology);
    return { root, s3, calls: path.join(base, "calls.log"), script, objects };
}

interface Boot {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly calls: string[];
}

function boot(sb: Sandbox, env: Record<string, string> = {}): Boot {
    fs.rmSync(sb.calls, { force: true });
    fs.rmSync(`${sb.calls}.failed`, { force: true });
    const bin = path.join(path.dirname(sb.root), "bin");
    const r = spawnSync("sh", [sb.script], {
        encoding: "utf8",
        env: {
            PATH: `${bin}:/usr/bin:/bin`,
            K8S_AWS_ROOT: sb.root,
            K8S_AWS_FETCH_BACKOFF: "0",
            K8S_AWS_FETCH_ATTEMPTS: "2",
            CALLS: sb.calls,
            FAKE_S3: sb.s3,
            FAKE_UNAME_R: NEW_KERNEL,
            ...env,
        },
    });
    const calls = fs.existsSync(sb.calls) ? fs.readFileSync(sb.calls, "utf8").split("\n").filter(Boolean) : [];
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls };
}

/** A reboot: the tmpfs mounts are gone and the directories under them are empty. */
function reboot(sb: Sandbox, kind: RoleKind): void {
    fs.writeFileSync(path.join(sb.root, "proc/self/mounts"), "/dev/nvme0n1p1 / ext4 rw,relatime 0 0\n");
    for (const d of secretsDirs(kind)) {
        const dir = path.join(sb.root, d);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
    }
}

const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8).padStart(4, "0");
const awsKeys = (b: Boot) => b.calls.filter((c) => c.startsWith("aws ")).map((c) => c.split(" ")[6].slice(`s3://${BUCKET}/`.length));

function assertDelivered(sb: Sandbox, b: Boot, kind: RoleKind): void {
    assert.strictEqual(b.status, 0, b.stderr);
    assert.deepStrictEqual(awsKeys(b).sort(), sb.objects.map(objectKey).sort());
    for (const c of b.calls.filter((x) => x.startsWith("aws "))) assert.ok(c.startsWith(`aws --region ${REGION} s3 cp `), c);
    for (const o of sb.objects) {
        const file = path.join(sb.root, o.path);
        assert.strictEqual(fs.readFileSync(file, "utf8").split(" ")[0], objectKey(o), o.path);
        assert.strictEqual(mode(file), o.mode, `${o.path} mode`);
    }
    for (const d of secretsDirs(kind)) assert.strictEqual(mode(path.join(sb.root, d)), "0700", d);
    for (const d of new Set(sb.objects.map((o) => path.dirname(o.path)))) assert.strictEqual(mode(path.join(sb.root, d)), "0700", d);
    assert.deepStrictEqual(
        fs.readdirSync(path.join(sb.root, secretsDirs(kind)[0])).filter((f) => f.endsWith(".part")),
        [],
    );
}

describe("secrets delivery: the fetch script, run with sh", () => {
    it("first boot: mounts a 0700 noswap tmpfs before any fetch, then fetches every control-plane object", () => {
        const sb = sandbox({ kind: "control-plane" }, "stacked");
        const b = boot(sb);
        assertDelivered(sb, b, "control-plane");
        const mounts = b.calls.filter((c) => c.startsWith("mount "));
        assert.deepStrictEqual(mounts, [`mount -t tmpfs -o mode=0700,nosuid,nodev,noexec,size=16m,noswap tmpfs ${path.join(sb.root, "etc/kubernetes/pki")}`]);
        const firstFetch = b.calls.findIndex((c) => c.startsWith("aws "));
        assert.ok(b.calls.findIndex((c) => c.startsWith("mount ")) < firstFetch, "mount before fetch");
        assert.ok(b.calls.slice(firstFetch).every((c) => !c.startsWith("mount ")));
        assert.ok(awsKeys(b).includes("nodes/bootstrap-token") && awsKeys(b).includes("control-plane/etcd/ca.key"));
    });

    it("second boot: the tmpfs is empty again, so it mounts and fetches everything again", () => {
        const sb = sandbox({ kind: "control-plane" }, "stacked");
        assertDelivered(sb, boot(sb), "control-plane");
        reboot(sb, "control-plane");
        assert.deepStrictEqual(fs.readdirSync(path.join(sb.root, "etc/kubernetes/pki")), []);
        const b = boot(sb);
        assertDelivered(sb, b, "control-plane");
        assert.strictEqual(b.calls.filter((c) => c.startsWith("mount ")).length, 1);
    });

    it("reuses a tmpfs that is already mounted (a restart of the unit) and fetches again", () => {
        const sb = sandbox({ kind: "node" }, "stacked");
        assertDelivered(sb, boot(sb), "node");
        const again = boot(sb);
        assertDelivered(sb, again, "node");
        assert.deepStrictEqual(
            again.calls.filter((c) => c.startsWith("mount ")),
            [],
        );
        assert.ok(again.calls.some((c) => c.startsWith("mountpoint -q ")));
    });

    it("mounts over a directory that holds a non-tmpfs mount", () => {
        const sb = sandbox({ kind: "node" }, "stacked");
        fs.mkdirSync(path.join(sb.root, "etc/kubernetes/pki"), { recursive: true });
        fs.appendFileSync(path.join(sb.root, "proc/self/mounts"), `/dev/nvme1n1 ${path.join(sb.root, "etc/kubernetes/pki")} ext4 rw 0 0\n`);
        const b = boot(sb);
        assertDelivered(sb, b, "node");
        assert.strictEqual(b.calls.filter((c) => c.startsWith("mount ")).length, 1);
    });

    it("leaves out noswap on kernels before 6.4", () => {
        for (const [release, noswap] of [
            [OLD_KERNEL, false],
            ["5.15.0-1051-aws", false],
            ["6.4.0", true],
            ["6.10.3-arch1", true],
            ["7.0.0", true],
            ["weird", false],
        ] as const) {
            const sb = sandbox({ kind: "node" }, "stacked");
            const b = boot(sb, { FAKE_UNAME_R: release });
            assertDelivered(sb, b, "node");
            const m = b.calls.find((c) => c.startsWith("mount "))!;
            assert.strictEqual(/,noswap /.test(m), noswap, `${release}: ${m}`);
        }
    });

    it("gives a node only the CA certificate and the join material", () => {
        const sb = sandbox({ kind: "node" }, "external", ["etcd-a"]);
        const b = boot(sb);
        assertDelivered(sb, b, "node");
        assert.deepStrictEqual(awsKeys(b).sort(), ["nodes/bootstrap-token", "nodes/ca.crt", "nodes/discovery-token-ca-cert-hash"]);
    });

    it("gives an external etcd member its own certificates in a tmpfs /etc/etcd/pki (and a tmpfs /etc/kubernetes/pki)", () => {
        const sb = sandbox({ kind: "etcd", member: "etcd-b" }, "external", ["etcd-a", "etcd-b", "etcd-c"]);
        const b = boot(sb);
        assertDelivered(sb, b, "etcd");
        assert.ok(awsKeys(b).every((k) => k.startsWith("etcd/etcd-b/")));
        assert.deepStrictEqual(
            b.calls.filter((c) => c.startsWith("mount ")).map((c) => c.split(" ").pop()),
            [path.join(sb.root, "etc/kubernetes/pki"), path.join(sb.root, "etc/etcd/pki")],
        );
        assert.strictEqual(mode(path.join(sb.root, "etc/etcd/pki/server.key")), "0600");
    });

    it("retries a failed download", () => {
        const sb = sandbox({ kind: "node" }, "stacked");
        const b = boot(sb, { FAIL_ONCE: `${BUCKET}/nodes/bootstrap-token` });
        assert.strictEqual(b.status, 0, b.stderr);
        assert.strictEqual(awsKeys(b).filter((k) => k === "nodes/bootstrap-token").length, 2);
        assert.strictEqual(mode(path.join(sb.root, "etc/kubernetes/pki/bootstrap-token")), "0600");
    });

    it("fails, naming the object on stderr and to the journal, when an object is missing", () => {
        const sb = sandbox({ kind: "control-plane" }, "stacked");
        fs.rmSync(path.join(sb.s3, BUCKET, "control-plane/sa.key"));
        const b = boot(sb);
        assert.notStrictEqual(b.status, 0);
        const named = `s3://${BUCKET}/control-plane/sa.key`;
        assert.match(b.stderr, new RegExp(`missing secret ${named.replace(/[.]/g, "\\.")}`));
        assert.ok(
            b.calls.some((c) => c.startsWith(`logger -t ${LOG_TAG} `) && c.includes(named)),
            b.calls.join("\n"),
        );
        assert.ok(!fs.existsSync(path.join(sb.root, "etc/kubernetes/pki/sa.key")));
        // Everything else was still fetched, so the log shows the whole picture.
        assert.strictEqual(awsKeys(b).filter((k) => k === "control-plane/sa.key").length, 2);
        assert.ok(fs.existsSync(path.join(sb.root, "etc/kubernetes/pki/ca.key")));
    });

    it("fails when an object is empty", () => {
        const sb = sandbox({ kind: "node" }, "stacked");
        fs.writeFileSync(path.join(sb.s3, BUCKET, "nodes/bootstrap-token"), "");
        const b = boot(sb);
        assert.notStrictEqual(b.status, 0);
        assert.match(b.stderr, /missing secret s3:\/\/[^ ]+\/nodes\/bootstrap-token/);
    });

    it("fails clearly without its env file, and never fetches", () => {
        const sb = sandbox({ kind: "node" }, "stacked");
        fs.rmSync(path.join(sb.root, SECRETS_ENV_PATH));
        const b = boot(sb);
        assert.notStrictEqual(b.status, 0);
        assert.match(b.stderr, /cannot read .*secrets\.env/);
        assert.deepStrictEqual(awsKeys(b), []);
    });
});
