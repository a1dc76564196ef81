/**
 * The join script, run for real under `sh` in a temporary root
 * (K8S_AWS_ROOT) with PATH stubs of kubeadm, systemctl, curl and sleep that
 * record their calls: the first boot renders the join config from the
 * fetched token and joins once; a reboot (kubelet.conf exists) does nothing;
 * a missing or malformed token fails with a clear message; the token never
 * appears in a command line or a log line.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

import { removeTempDirs, tempDir, writeExecutable } from "../../support/shell";
import { API_ENDPOINT, CA_HASH, poolConfig } from "../../support/nodePoolFixtures";
import { CA_CERT_PATH, JOIN_CONFIG_PATH, JOIN_TEMPLATE_PATH, TOKEN_PATH, renderJoinTemplate, renderNodeJoinScript } from "../../../components/host";

const TOKEN = "q1w2e3.r4t5y6u7i8o9p0a1";
const RECORD = `printf '%s\\n' "$(basename "$0") $*" >>"$STUB_LOG"`;

/** kubeadm keeps a copy of the config it was given and writes kubelet.conf, unless told to fail. */
const STUBS: Record<string, string> = {
    kubeadm: `${RECORD}
case "$1" in
  join)
    cp "$3" "$STUB_STATE/join-seen.yaml"
    [ -f "$STUB_STATE/kubeadm-fails" ] && exit 1
    touch "$K8S_AWS_ROOT/etc/kubernetes/kubelet.conf" ;;
esac`,
    systemctl: RECORD,
    // With $STUB_STATE/ready-after-sleep, the API comes up while the script backs off.
    sleep: `${RECORD}\n[ -f "$STUB_STATE/ready-after-sleep" ] && touch "$STUB_STATE/api-ready"; exit 0`,
    // /readyz answers once $STUB_STATE/api-ready exists.
    curl: `${RECORD}
for a in "$@"; do url=$a; done
case "$url" in */readyz) [ -f "$STUB_STATE/api-ready" ] || exit 7; echo ok ;; *) exit 6 ;; esac`,
};

interface World {
    readonly root: string;
    readonly state: string;
    run(): { code: number | null; stderr: string };
    calls(): string[];
}

const pool = poolConfig({ labels: { workload: "general" } });
const script = renderNodeJoinScript({ pool, apiEndpoint: API_ENDPOINT, apiWaitAttempts: 3, joinAttempts: 2, backoffMaxSeconds: 1 });

function world(name: string, files: Record<string, string> = {}): World {
    const dir = path.join(tempDir("nodejoin"), name);
    const bin = path.join(dir, "bin");
    const root = path.join(dir, "root");
    const state = path.join(dir, "state");
    const log = path.join(dir, "calls.log");
    for (const [cmd, body] of Object.entries(STUBS)) writeExecutable(path.join(bin, cmd), `#!/bin/sh\n${body}\n`);
    fs.mkdirSync(state, { recursive: true });
    fs.writeFileSync(log, "");
    for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        fs.writeFileSync(path.join(root, rel), text);
    }
    fs.mkdirSync(path.join(root, "etc/kubernetes"), { recursive: true });
    const scriptFile = path.join(dir, "k8s-aws-node-join");
    fs.writeFileSync(scriptFile, script);
    const env = { PATH: `${bin}:/usr/bin:/bin`, K8S_AWS_ROOT: root, STUB_STATE: state, STUB_LOG: log, HOME: dir };
    return {
        root,
        state,
        run: () => {
            const r = spawnSync("sh", [scriptFile], { env, encoding: "utf8", timeout: 20000 });
            return { code: r.status, stderr: r.stderr };
        },
        calls: () =>
            fs
                .readFileSync(log, "utf8")
                .split("\n")
                .filter((l) => l !== ""),
    };
}

/** What the secrets unit leaves on the tmpfs, and the template cloud-init writes. */
const booted = (token = `${TOKEN}\n`): Record<string, string> => ({
    [TOKEN_PATH]: token,
    [CA_CERT_PATH]: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    [JOIN_TEMPLATE_PATH]: renderJoinTemplate({ pool, apiEndpoint: API_ENDPOINT, caCertHash: CA_HASH }),
});

const joins = (w: World) => w.calls().filter((c) => c.startsWith("kubeadm join"));

describe("node pools: the join script (sh with stubs)", () => {
    after(removeTempDirs);

    it("joins once on first boot, with the token rendered from the tmpfs file into the join config", () => {
        const w = world("first-boot", booted());
        fs.writeFileSync(path.join(w.state, "api-ready"), "");
        const r = w.run();
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(joins(w), [`kubeadm join --config ${w.root}${JOIN_CONFIG_PATH} --ignore-preflight-errors=FileAvailable--etc-kubernetes-pki-ca.crt`]);
        assert.ok(w.calls().includes("systemctl enable kubelet.service"));
        const seen = parse(fs.readFileSync(path.join(w.state, "join-seen.yaml"), "utf8")) as any;
        assert.deepStrictEqual(seen.discovery.bootstrapToken, { apiServerEndpoint: API_ENDPOINT, token: TOKEN, caCertHashes: [CA_HASH] });
        assert.ok(!fs.existsSync(path.join(w.root, JOIN_CONFIG_PATH)), "the rendered join config (it holds the token) is deleted after the join");
        assert.strictEqual(fs.statSync(path.join(w.root, path.dirname(JOIN_CONFIG_PATH))).mode & 0o777, 0o700);
        assert.ok(!w.calls().some((c) => c.includes(TOKEN)), "the token appeared in a command line");
        assert.ok(!r.stderr.includes(TOKEN), "the token appeared in the log");
    });

    it("does nothing on a reboot: kubelet.conf exists", () => {
        const w = world("reboot", { ...booted(), "/etc/kubernetes/kubelet.conf": "apiVersion: v1\n" });
        const r = w.run();
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(w.calls(), []);
        assert.match(r.stderr, /already a member/);
    });

    it("joins only once across a first boot and a reboot", () => {
        const w = world("boot-twice", booted());
        fs.writeFileSync(path.join(w.state, "api-ready"), "");
        assert.strictEqual(w.run().code, 0);
        assert.strictEqual(w.run().code, 0);
        assert.strictEqual(joins(w).length, 1);
    });

    it("waits for the API before joining", () => {
        const w = world("api-late", booted());
        fs.writeFileSync(path.join(w.state, "ready-after-sleep"), "");
        const r = w.run();
        assert.strictEqual(r.code, 0, r.stderr);
        const calls = w.calls();
        assert.deepStrictEqual(calls.filter((c) => c.startsWith("curl")).length, 2);
        assert.ok(calls.indexOf("sleep 2") < calls.findIndex((c) => c.startsWith("kubeadm join")));
        assert.strictEqual(joins(w).length, 1);
    });

    it("gives up when the API never answers, without joining", () => {
        const w = world("api-down", booted());
        const r = w.run();
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /readyz did not answer after 3 attempts/);
        assert.deepStrictEqual(joins(w), []);
    });

    const failures: { name: string; files: Record<string, string>; message: RegExp }[] = [
        {
            name: "the token file is missing",
            files: (({ [TOKEN_PATH]: _t, ...rest }) => rest)(booted()),
            message: /bootstrap token .*bootstrap-token is missing or empty: k8s-aws-secrets\.service fetches it/,
        },
        { name: "the token file is empty", files: booted(""), message: /is missing or empty/ },
        { name: "the token is malformed", files: booted("not-a-token\n"), message: /does not hold a bootstrap token/ },
        { name: "the token has a short secret", files: booted("abcdef.0123\n"), message: /does not hold a bootstrap token/ },
        { name: "the template is missing", files: (({ [JOIN_TEMPLATE_PATH]: _t, ...rest }) => rest)(booted()), message: /join template .* is missing/ },
    ];
    for (const f of failures) {
        it(`fails with a clear message when ${f.name}`, () => {
            const w = world(f.name.replace(/\W+/g, "-"), f.files);
            fs.writeFileSync(path.join(w.state, "api-ready"), "");
            const r = w.run();
            assert.strictEqual(r.code, 1, r.stderr);
            assert.match(r.stderr, f.message);
            assert.deepStrictEqual(joins(w), []);
        });
    }

    it("retries a failed join a bounded number of times, then fails", () => {
        const w = world("join-fails", booted());
        fs.writeFileSync(path.join(w.state, "api-ready"), "");
        fs.writeFileSync(path.join(w.state, "kubeadm-fails"), "");
        const r = w.run();
        assert.strictEqual(r.code, 1);
        assert.strictEqual(joins(w).length, 2);
        assert.match(r.stderr, /kubeadm join failed 2 times/);
    });
});
