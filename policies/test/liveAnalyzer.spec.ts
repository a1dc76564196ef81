/**
 * The pack as `pulumi preview --policy-pack policies` runs it: index.ts started
 * as its own process serves @pulumi/policy 1.21.0's gRPC analyzer, and this
 * test speaks to it as the Pulumi CLI does (GetAnalyzerInfo, Configure,
 * Analyze). It shows what the real analyzer does with a policy config, not
 * what our offline runner does: a misspelt setting fails the analysis with
 * our message, a good one runs the policy. What the CLI does before Configure
 * (reconciling defaults, validating against `properties`/`required`) is read
 * from its source, not run: there is no Pulumi CLI here.
 */
import * as assert from "assert";
import { spawn, ChildProcess } from "child_process";
import { join } from "path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import * as analyzerpb from "@pulumi/pulumi/proto/analyzer_pb";
import * as analyzerrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { allPolicies } from "../rules";

type Client = InstanceType<typeof analyzerrpc.AnalyzerClient>;

const call = <Req, Res>(fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => void, req: Req): Promise<Res> =>
    new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));

function configure(client: Client, config: Record<string, Record<string, unknown>>): Promise<unknown> {
    const req = new analyzerpb.ConfigureAnalyzerRequest();
    for (const [name, props] of Object.entries(config)) {
        const c = new analyzerpb.PolicyConfig();
        c.setEnforcementlevel(analyzerpb.EnforcementLevel.MANDATORY);
        c.setProperties(Struct.fromJavaScript(props as never));
        req.getPolicyconfigMap().set(name, c);
    }
    return call(client.configure.bind(client), req);
}

function analyze(client: Client, type: string, name: string, props: Record<string, unknown>): Promise<analyzerpb.AnalyzeResponse> {
    const req = new analyzerpb.AnalyzeRequest();
    req.setType(type);
    req.setName(name);
    req.setUrn(`urn:pulumi:test::k8s-aws::${type}::${name}`);
    req.setProperties(Struct.fromJavaScript(props as never));
    req.setOptions(new analyzerpb.AnalyzerResourceOptions());
    return call(client.analyze.bind(client), req);
}

describe("the live analyzer (@pulumi/policy 1.21.0 serving index.ts)", function () {
    this.timeout(60_000);
    let server: ChildProcess;
    let client: Client;
    const LEAF = { allowedUses: ["server_auth"], validityPeriodHours: 20000, certRequestPem: "x", caCertPem: "x", caPrivateKeyPem: "x" };
    const LEAF_TYPE = "tls:index/locallySignedCert:LocallySignedCert";

    before(async () => {
        const root = join(__dirname, "..");
        server = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "index.ts"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        server.stderr!.on("data", (d) => (stderr += d));
        const port = await new Promise<string>((resolve, reject) => {
            server.stdout!.once("data", (d) => resolve(String(d).trim()));
            server.once("exit", (code) => reject(new Error(`the policy pack exited ${code}: ${stderr}`)));
        });
        client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });
    after(() => {
        client?.close();
        if (server?.pid) server.kill();
    });

    it("tells the CLI only each policy's properties and required (no top-level additionalProperties reaches it)", async () => {
        const info = await call<Empty, analyzerpb.AnalyzerInfo>(client.getAnalyzerInfo.bind(client), new Empty());
        const leaf = info.getPoliciesList().find((p) => p.getName() === "tls-leaf-validity")!;
        const schema = leaf.getConfigschema()!;
        assert.deepStrictEqual(Object.keys(schema.getProperties()!.toJavaScript()), ["maxLeafValidityHours"]);
        assert.strictEqual(info.getPoliciesList().length, allPolicies.length);
    });

    it("fails the analysis of a resource when the config misspells a setting, with a did-you-mean", async () => {
        await configure(client, { "tls-leaf-validity": { maxLeafValidityHour: 100 } });
        await assert.rejects(analyze(client, LEAF_TYPE, "leaf", LEAF), (e: grpc.ServiceError) =>
            /"tls-leaf-validity\.maxLeafValidityHour" is not a setting of policy tls-leaf-validity \(did you mean "maxLeafValidityHours"\?\)/.test(e.details ?? e.message),
        );
    });

    it("runs the policy with a correct config (the violation is reported, not an error)", async () => {
        await configure(client, { "tls-leaf-validity": { maxLeafValidityHours: 8760 } });
        const res = await analyze(client, LEAF_TYPE, "leaf", LEAF);
        const messages = res.getDiagnosticsList().map((d) => `${d.getPolicyname()}: ${d.getMessage()}`);
        assert.ok(
            messages.some((m) => /tls-leaf-validity: .*leaf certificate valid for 20000h; at most 8760h allowed/s.test(m)),
            messages.join("\n"),
        );
    });
});
