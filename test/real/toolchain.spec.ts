/**
 * The real toolchain (`npm run tools:real`) is real and at the pinned versions: each binary
 * reports the version config/versions.ts and package.json pin (or, for a Kubernetes patch the
 * Go module proxy refuses, the declared nearest patch it serves), etcd serves a write and a
 * read, and the AWS CLI creates and lists an S3 bucket against a moto server on loopback.
 * Rung 3 of the ladder: the real components at the pinned versions.
 */
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { ETCD_VERSION, KUBERNETES_RELEASES, SUPPORTED_KUBERNETES_MINORS } from "../../config/versions";
import { AWSCLI_VERSION, HELM_VERSION, KUBERNETES_PROXY_SUBSTITUTES, MOTO_VERSION, PULUMI_VERSION, kubernetesBuiltVersion } from "../../tools/real/pins";
import { RealTools, realToolsOrSkip } from "./toolchain";

function output(bin: string, args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; out: string } {
    const r = spawnSync(bin, args, { encoding: "utf8", env, timeout: 60_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

/** Polls until `probe` succeeds or the deadline passes (bounded: the servers run on loopback). */
async function until(what: string, probe: () => boolean, seconds: number): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
        if (probe()) return;
        await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${what} not ready within ${seconds} s`);
}

async function stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

describe("real toolchain at the pinned versions (npm run tools:real)", function () {
    this.timeout(120_000);
    let tools: RealTools;
    before(function () {
        tools = realToolsOrSkip(this);
    });

    describe("Kubernetes", () => {
        it("builds each offered minor at its pin, or at a declared proxy-served patch of the same minor", () => {
            for (const minor of SUPPORTED_KUBERNETES_MINORS) {
                const built = kubernetesBuiltVersion(minor);
                const pinned = KUBERNETES_RELEASES[minor];
                assert.ok(built === pinned || KUBERNETES_PROXY_SUBSTITUTES[pinned]?.built === built, `${minor}: built ${built}, pinned ${pinned}`);
                assert.strictEqual(built.split(".").slice(0, 2).join("."), minor, `${minor}: a substitute must stay within the minor`);
            }
        });

        for (const minor of SUPPORTED_KUBERNETES_MINORS) {
            it(`kubeadm ${minor} reports its version (not v0.0.0)`, () => {
                const { path: kubeadm, version } = tools.kubeadmByMinor[minor];
                const r = output(kubeadm, ["version", "-o", "short"]);
                assert.strictEqual(r.status, 0, r.out);
                assert.strictEqual(r.out, `v${version}`);
                const full = JSON.parse(output(kubeadm, ["version", "-o", "json"]).out);
                assert.strictEqual(full.clientVersion.major, "1");
                assert.strictEqual(full.clientVersion.minor, minor.split(".")[1]);
            });
        }

        it("kube-apiserver, kube-controller-manager and kube-scheduler report the default minor's version", () => {
            for (const bin of [tools.kubeApiserver, tools.kubeControllerManager, tools.kubeScheduler]) {
                const r = output(bin, ["--version"]);
                assert.strictEqual(r.status, 0, r.out);
                assert.strictEqual(r.out, `Kubernetes v${tools.kubernetesVersion}`, path.basename(bin));
            }
        });
    });

    describe("etcd", () => {
        it("etcd, etcdctl and etcdutl are the pinned release", () => {
            assert.match(output(tools.etcd, ["--version"]).out, new RegExp(`^etcd Version: ${ETCD_VERSION.replace(/\./g, "\\.")}$`, "m"));
            assert.match(output(tools.etcdctl, ["version"]).out, new RegExp(`^etcdctl version: ${ETCD_VERSION.replace(/\./g, "\\.")}$`, "m"));
            assert.match(output(tools.etcdutl, ["version"]).out, new RegExp(`^etcdutl version: ${ETCD_VERSION.replace(/\./g, "\\.")}$`, "m"));
        });

        it("a single etcd member on loopback serves a write and a read, and reports its server version", async () => {
            const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "real-etcd-"));
            const [client, peer] = [await freePort(), await freePort()];
            const endpoint = `http://127.0.0.1:${client}`;
            const etcd = spawn(
                tools.etcd,
                [
                    "--name",
                    "t",
                    "--data-dir",
                    dataDir,
                    "--listen-client-urls",
                    endpoint,
                    "--advertise-client-urls",
                    endpoint,
                    "--listen-peer-urls",
                    `http://127.0.0.1:${peer}`,
                    "--initial-advertise-peer-urls",
                    `http://127.0.0.1:${peer}`,
                    "--initial-cluster",
                    `t=http://127.0.0.1:${peer}`,
                ],
                { stdio: "ignore" },
            );
            try {
                await until("etcd", () => output(tools.etcdctl, ["--endpoints", endpoint, "endpoint", "health"]).status === 0, 30);
                assert.strictEqual(output(tools.etcdctl, ["--endpoints", endpoint, "put", "/k8s-aws/probe", "real"]).out, "OK");
                assert.strictEqual(output(tools.etcdctl, ["--endpoints", endpoint, "get", "--print-value-only", "/k8s-aws/probe"]).out, "real");
                const status = JSON.parse(output(tools.etcdctl, ["--endpoints", endpoint, "endpoint", "status", "-w", "json"]).out);
                assert.strictEqual(status[0].Status.version, ETCD_VERSION);
            } finally {
                await stop(etcd);
                fs.rmSync(dataDir, { recursive: true, force: true });
            }
        });
    });

    it(`helm is v${HELM_VERSION}`, () => {
        const r = output(tools.helm, ["version", "--template", "{{.Version}}"]);
        assert.strictEqual(r.status, 0, r.out);
        assert.strictEqual(r.out, `v${HELM_VERSION}`);
    });

    it("the Pulumi CLI matches @pulumi/pulumi in package.json", () => {
        const r = output(tools.pulumi, ["version"], { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" });
        assert.strictEqual(r.status, 0, r.out);
        assert.strictEqual(r.out, `v${PULUMI_VERSION}`);
    });

    describe("AWS CLI against moto", () => {
        it(`aws is ${AWSCLI_VERSION} and moto is ${MOTO_VERSION}`, () => {
            assert.match(output(tools.aws, ["--version"]).out, new RegExp(`^aws-cli/${AWSCLI_VERSION.replace(/\./g, "\\.")} `));
            const moto = output(path.join(path.dirname(tools.aws), "python"), ["-c", "import moto; print(moto.__version__)"]);
            assert.strictEqual(moto.out, MOTO_VERSION);
        });

        it("moto on 127.0.0.1 creates and lists an S3 bucket for the AWS CLI, and refuses a bucket name shorter than 3 characters", async () => {
            const port = await freePort();
            const endpoint = `http://127.0.0.1:${port}`;
            const moto = spawn(tools.motoServer, ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
            const env = {
                ...process.env,
                AWS_ACCESS_KEY_ID: "moto-test",
                AWS_SECRET_ACCESS_KEY: "moto-test",
                AWS_DEFAULT_REGION: "us-east-1",
                AWS_CONFIG_FILE: "/dev/null",
                AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
                AWS_EC2_METADATA_DISABLED: "true",
            };
            const aws = (...args: string[]) => output(tools.aws, ["--endpoint-url", endpoint, "--output", "json", ...args], env);
            try {
                await until("moto server", () => aws("s3api", "list-buckets").status === 0, 60);
                const created = aws("s3api", "create-bucket", "--bucket", "k8s-aws-toolchain-probe");
                assert.strictEqual(created.status, 0, created.out);
                const listed = JSON.parse(aws("s3api", "list-buckets").out);
                assert.deepStrictEqual(
                    listed.Buckets.map((b: { Name: string }) => b.Name),
                    ["k8s-aws-toolchain-probe"],
                );
                const refused = aws("s3api", "create-bucket", "--bucket", "ab");
                assert.notStrictEqual(refused.status, 0, `an invalid bucket name was accepted: ${refused.out}`);
                assert.match(refused.out, /InvalidBucketName|Invalid bucket name/);
            } finally {
                await stop(moto);
            }
            assert.notStrictEqual(aws("s3api", "list-buckets").status, 0, "moto still answering after stop");
        });
    });
});
