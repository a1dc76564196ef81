/**
 * addons/provider.ts: the real wait-for-API function against local HTTPS
 * servers on 127.0.0.1 with certificates from a throwaway CA (openssl), and
 * the provider's wiring (secret kubeconfig, server-side apply, the wait on
 * `up` only).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as https from "https";
import * as net from "net";
import { execFileSync } from "child_process";
import { waitForApiReady, readyzUrl, readyKubeconfig } from "../../addons";
import { Secret } from "../support/harness";
import { API_URL, FAKE_CA, KUBECONFIG, WaitRecorder, runAddons } from "../support/addonFixtures";

interface Pki {
    readonly caPem: string;
    readonly serverCert: string;
    readonly serverKey: string;
}

/** A CA and a server certificate for 127.0.0.1 signed by it (openssl, ECDSA P-256). */
function makePki(dir: string, name: string): Pki {
    const f = (n: string) => path.join(dir, `${name}-${n}`);
    const ssl = (...a: string[]) => execFileSync("openssl", a, { stdio: "pipe" });
    ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.crt"), "-days", "1", "-subj", `/CN=${name} test CA`);
    ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=kube-apiserver");
    fs.writeFileSync(f("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    ssl("x509", "-req", "-in", f("server.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("server.crt"), "-days", "1", "-extfile", f("ext.cnf"));
    return { caPem: fs.readFileSync(f("ca.crt"), "utf8"), serverCert: fs.readFileSync(f("server.crt"), "utf8"), serverKey: fs.readFileSync(f("server.key"), "utf8") };
}

/** An HTTPS server on 127.0.0.1 answering /readyz with the status `status()` returns; counts requests. */
async function apiServer(pki: Pki, status: (n: number) => number): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
    let hits = 0;
    const server = https.createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
        hits++;
        const code = req.url === "/readyz" ? status(hits) : 404;
        res.writeHead(code, { "content-type": "text/plain" });
        res.end(code === 200 ? "ok" : "[-]etcd failed: reason withheld\nreadyz check failed");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    return { url: `https://127.0.0.1:${port}`, hits: () => hits, close: () => new Promise((r) => server.close(() => r())) };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
}

describe("addons/provider: waitForApiReady (real HTTPS, throwaway CAs)", function () {
    this.timeout(30_000);
    let dir: string;
    let cluster: Pki;
    let other: Pki;
    const logs: string[] = [];
    const log = (m: string) => logs.push(m);

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-aws-readyz-"));
        cluster = makePki(dir, "cluster");
        other = makePki(dir, "other");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    beforeEach(() => (logs.length = 0));

    it("resolves once /readyz returns 200, verifying TLS with the cluster CA", async () => {
        const srv = await apiServer(cluster, () => 200);
        try {
            await waitForApiReady({ url: srv.url, caPem: cluster.caPem, intervalMs: 10, timeoutMs: 5_000, log });
            assert.strictEqual(srv.hits(), 1);
            assert.match(logs[logs.length - 1], /is ready \(attempt 1/);
        } finally {
            await srv.close();
        }
    });

    it("keeps retrying while /readyz answers 500, then succeeds", async () => {
        const srv = await apiServer(cluster, (n) => (n < 4 ? 500 : 200));
        try {
            await waitForApiReady({ url: `${srv.url}/some/path?x=1`, caPem: cluster.caPem, intervalMs: 20, timeoutMs: 5_000, log });
            assert.strictEqual(srv.hits(), 4);
            assert.strictEqual(logs.filter((l) => /waiting for Kubernetes API .*HTTP 500/.test(l)).length, 3);
        } finally {
            await srv.close();
        }
    });

    it("keeps retrying on connection refused until the server comes up", async () => {
        const port = await closedPort();
        const late = https.createServer({ cert: cluster.serverCert, key: cluster.serverKey }, (_req, res) => res.end("ok"));
        const timer = setTimeout(() => late.listen(port, "127.0.0.1"), 300);
        try {
            await waitForApiReady({ url: `https://127.0.0.1:${port}`, caPem: cluster.caPem, intervalMs: 50, timeoutMs: 10_000, log });
            assert.ok(
                logs.some((l) => /ECONNREFUSED/.test(l)),
                logs.join("\n"),
            );
            assert.match(logs[logs.length - 1], /is ready/);
        } finally {
            clearTimeout(timer);
            await new Promise<void>((r) => (late.listening ? late.close(() => r()) : r()));
        }
    });

    it("fails after the bound with a message naming the URL, the attempts and the last answer", async () => {
        const srv = await apiServer(cluster, () => 500);
        try {
            await assert.rejects(
                waitForApiReady({ url: srv.url, caPem: cluster.caPem, intervalMs: 50, timeoutMs: 400, log }),
                (e: Error) => /was not ready after \d+ attempts in \d+s \(limit 0s\); last answer: HTTP 500: readyz check failed/.test(e.message) && e.message.includes(`${srv.url}/readyz`),
            );
            assert.ok(srv.hits() >= 2, `retried (${srv.hits()} requests)`);
        } finally {
            await srv.close();
        }
    });

    it("rejects a server whose certificate is from another CA, at once", async () => {
        const srv = await apiServer(other, () => 200);
        try {
            await assert.rejects(waitForApiReady({ url: srv.url, caPem: cluster.caPem, intervalMs: 10, timeoutMs: 5_000, log }), /does not verify against the cluster CA .*refusing to use it/);
            assert.strictEqual(srv.hits(), 0, "no request reaches a server that failed verification");
        } finally {
            await srv.close();
        }
    });

    it("builds the /readyz URL and refuses plain http", () => {
        assert.strictEqual(readyzUrl("https://api.example.com:6443"), "https://api.example.com:6443/readyz");
        assert.strictEqual(readyzUrl("https://10.0.0.10:6443/x?y=1"), "https://10.0.0.10:6443/readyz");
        assert.throws(() => readyzUrl("http://api.example.com:6443"), /must be https/);
    });
});

describe("addons/provider: the Kubernetes provider", () => {
    const PROVIDER = "pulumi:providers:kubernetes";

    it("waits for the API once on up, with the API URL and the cluster CA, then hands the kubeconfig over as a secret", async () => {
        const wait = new WaitRecorder();
        const run = await runAddons({}, { wait });
        assert.deepStrictEqual(
            wait.calls.map((c) => [c.url, c.caPem]),
            [[API_URL, FAKE_CA]],
        );
        const p = run.named(PROVIDER, "demo-addons-provider");
        assert.ok(p.inputs.kubeconfig instanceof Secret, "kubeconfig is secret");
        assert.strictEqual(run.inputs(p).kubeconfig, KUBECONFIG);
        assert.strictEqual(run.inputs(p).enableServerSideApply, "true");
        assert.strictEqual(run.inputs(p).deleteUnreachable, "true");
        assert.strictEqual(run.inputs(p).clusterIdentifier, "demo");
    });

    it("releases the kubeconfig only after the wait resolves, and never if it fails", async () => {
        await runAddons(); // an `up` runtime (not a preview) for the bare outputs below
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const kubeconfig = readyKubeconfig({ clusterName: "demo", kubeconfig: KUBECONFIG, apiUrl: API_URL, caCertPem: FAKE_CA, waitForApi: () => gate });
        let resolved = false;
        const done = (kubeconfig as any).promise().then((v: string) => ((resolved = true), v));
        await new Promise((r) => setTimeout(r, 50));
        assert.strictEqual(resolved, false, "held while the API is not ready");
        release();
        assert.strictEqual(await done, KUBECONFIG);
        assert.strictEqual(await (kubeconfig as any).isSecret, true);

        const failed = readyKubeconfig({
            clusterName: "demo",
            kubeconfig: KUBECONFIG,
            apiUrl: API_URL,
            caCertPem: FAKE_CA,
            waitForApi: async () => {
                throw new Error("Kubernetes API was not ready after 120 attempts");
            },
        });
        await assert.rejects((failed as any).promise(), /not ready after 120 attempts/);
    });

    it("does not wait during a preview", async () => {
        const wait = new WaitRecorder();
        await runAddons({}, { wait, preview: true });
        assert.strictEqual(wait.calls.length, 0);
    });

    it("passes the configured bounds to the wait", async () => {
        const wait = new WaitRecorder();
        await runAddons({ apiWaitIntervalSeconds: 5, apiWaitTimeoutMinutes: 30 }, { wait });
        assert.deepStrictEqual([wait.calls[0].intervalMs, wait.calls[0].timeoutMs], [5_000, 1_800_000]);
    });

    it("applies every Kubernetes object through that provider, never the ambient default one", async () => {
        const providers = new Map<string, string>();
        const run = await runAddons({}, { providers });
        const provider = run.named(PROVIDER, "demo-addons-provider");
        const objects = run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
        assert.ok(objects.length > 10);
        for (const o of objects) assert.strictEqual(providers.get(o.name), `${provider.urn}::${provider.id}`, o.name);
    });
});
