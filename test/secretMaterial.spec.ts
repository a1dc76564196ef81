/**
 * No secret in plain text anywhere a real `pulumi up` would store or show it:
 * ids (never encrypted), names, URNs, plain inputs, plain provider state,
 * plain stack outputs, and the render's files. Runs every stack through the
 * mock runtime, whose providers return ids and secret outputs as the real
 * ones do (tools/mocks/random.ts, tls.ts), so the mocked state is the state.
 */
import * as assert from "assert";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { listStacks } from "../tools/offline/stackFile";
import { runComponents, runStackFixture, Secret } from "./support/harness";
import { atomsOf, leaks, runSecrets } from "./support/secretScan";

const RANDOM_STRING = "random:index/randomString:RandomString";
const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";
const RANDOM_BYTES = "random:index/randomBytes:RandomBytes";
const PRIVATE_KEY = "tls:index/privateKey:PrivateKey";

describe("secret material: the scanner", () => {
    it("finds a key's base64 body, its base64-armoured form and a token inside a secret document", () => {
        const pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5owkXGRPtpYP8oAoGCCqGSM49\n-----END EC PRIVATE KEY-----";
        const atoms = atomsOf(`apiVersion: v1\nusers:\n- user:\n    client-key-data: ${Buffer.from(pem).toString("base64")}\n`);
        assert.ok(atoms.includes(Buffer.from(pem).toString("base64")), atoms.join("\n"));
        const keyAtoms = atomsOf(pem);
        assert.ok(keyAtoms.includes("MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5owkXGRPtpYP8oAoGCCqGSM49"));
        assert.ok(atomsOf('token: "abcdef.0123456789abcdef"').includes("abcdef.0123456789abcdef"));
    });

    // The mocks answer with the real providers' ids, so a resource that keeps its secret in its id is caught.
    for (const c of [
        { type: RANDOM_STRING, make: () => new random.RandomString("leaky", { length: 16, special: false }, { additionalSecretOutputs: ["result"] }), leaksId: true },
        { type: RANDOM_BYTES, make: () => new random.RandomBytes("leaky", { length: 32 }), leaksId: true },
        { type: RANDOM_PASSWORD, make: () => new random.RandomPassword("safe", { length: 16, special: false }), leaksId: false },
        { type: PRIVATE_KEY, make: () => new tls.PrivateKey("safe", { algorithm: "ECDSA", ecdsaCurve: "P256" }), leaksId: false },
    ]) {
        it(`${c.type.split(":").pop()}: its id ${c.leaksId ? "is" : "is not"} its secret`, async () => {
            const run = await runComponents(() => ({ r: c.make() }), { seed: "scan" });
            const found = leaks({ project: "k8s-aws", stack: "test", resources: run.resources, outputs: {} });
            assert.strictEqual(
                found.some((f) => f.includes("state id of")),
                c.leaksId,
                found.join("\n") || "no leaks",
            );
        });
    }

    it("finds a secret exported as a plain stack output and accepts it exported as a secret", async () => {
        const run = await runComponents(() => new random.RandomPassword("p", { length: 20, special: false }));
        const value = await run.outputs(run.result.result);
        const base = { project: "k8s-aws", stack: "test", resources: run.resources };
        assert.ok(leaks({ ...base, outputs: { password: value } }).some((f) => f.includes("plan outputs")));
        assert.deepStrictEqual(leaks({ ...base, outputs: { password: new Secret(value) } }), []);
    });
});

describe("secret material: every stack", function () {
    this.timeout(300_000);
    for (const stack of listStacks()) {
        it(`${stack}: no key, token, kubeconfig or encryption key in any id, plain input, plain state, plain output or rendered file`, async () => {
            const { run } = await runStackFixture(stack);
            assert.deepStrictEqual(leaks(run), []);
            const secrets = runSecrets(run);
            // The scan must have something to look for: every private key, the token halves, the encryption key's password.
            const keys = run.resources.filter((r) => r.type === PRIVATE_KEY);
            assert.ok(keys.length >= 6, `${keys.length} private keys`);
            for (const k of keys)
                assert.ok(
                    secrets.some((s) => s.includes("PRIVATE KEY")),
                    k.name,
                );
            const passwords = run.resources.filter((r) => r.type === RANDOM_PASSWORD);
            assert.ok(passwords.length >= 3, passwords.map((p) => p.name).join());
            assert.deepStrictEqual(
                run.resources.filter((r) => r.type === RANDOM_STRING || r.type === RANDOM_BYTES).map((r) => r.name),
                [],
            );
        });
    }
});
