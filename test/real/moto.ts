/**
 * An AWS API emulator for the on-instance scripts: moto's server (moto[server], pinned in
 * tools/real/pins.ts, installed by `npm run tools:real`) on a free loopback port, started once
 * per suite, with the real AWS CLI (awscli v1 from PyPI, same venv) pointed at it. The scripts
 * run unmodified: only AWS_ENDPOINT_URL, fake credentials, a config file asking for path-style
 * S3 (a bucket cannot be a subdomain of 127.0.0.1) and PATH differ.
 *
 * moto runs under `timeout`, so it ends by itself even when mocha is killed before its
 * after-hook; stop() ends it at once.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { cacheRoot, toolPaths } from "../../tools/real/pins";
import { freePorts } from "../support/shell";

/** Longest a suite may keep moto alive; after this it exits on its own. */
const MOTO_LIFETIME_SECONDS = 900;

export interface SeedPlan {
    readonly region: string;
    readonly vpc: { readonly cidr: string; readonly tags: Record<string, string> };
    readonly subnets: readonly { readonly name: string; readonly az: string; readonly cidr: string; readonly tags: Record<string, string> }[];
    /** Slot interfaces: created in the subnet named, with the fixed private IP. */
    readonly interfaces: readonly { readonly name: string; readonly subnet: string; readonly privateIp?: string; readonly tags: Record<string, string> }[];
    readonly volumes: readonly { readonly name: string; readonly az: string; readonly size: number; readonly tags: Record<string, string> }[];
    readonly bucket?: { readonly name: string; readonly objects: Record<string, string> };
    /** Instances to launch (name -> subnet name). */
    readonly instances: readonly { readonly name: string; readonly subnet: string }[];
}

export interface Seeded {
    readonly vpc: string;
    readonly subnets: Record<string, string>;
    readonly interfaces: Record<string, { id: string; mac: string; ip: string }>;
    readonly volumes: Record<string, string>;
    readonly instances: Record<string, { id: string; az: string; mac: string; ip: string; hostname: string }>;
}

export interface Moto {
    readonly endpoint: string;
    /** Environment for the real CLI: endpoint, fake credentials, path-style S3 config. */
    readonly env: Record<string, string>;
    /** The real `aws` (a PATH entry pointing at it goes first in a world's PATH). */
    readonly awsBin: string;
    /** Runs the real CLI with the emulator's environment; returns parsed JSON output or throws. */
    awsJson(args: readonly string[]): any;
    /** Runs the real CLI; returns status and output without throwing. */
    aws(args: readonly string[], input?: string): { status: number | null; stdout: string; stderr: string };
    /** Creates what the plan describes in the emulator (one Python process, boto3). */
    seed(plan: SeedPlan): Seeded;
    /** Puts many objects in one Python process (boto3), faster than one CLI call each. */
    putObjects(bucket: string, objects: Record<string, string>): void;
    /** Clears every emulated resource (moto's reset API) between scenarios. */
    reset(): Promise<void>;
    stop(): Promise<void>;
}

/** The pinned aws and moto_server, or skips the suite (outside CI) when `npm run tools:real` has not installed them. */
export function motoToolsOrSkip(ctx: Mocha.Context): { aws: string; motoServer: string } {
    const { aws, motoServer } = toolPaths();
    const missing = [aws, motoServer].filter((f) => !fs.existsSync(f));
    if (missing.length === 0) return { aws, motoServer };
    const message = `moto/awscli not installed under ${cacheRoot()} (missing ${missing.join(", ")}): run \`npm run tools:real\``;
    if (process.env.CI === "true") throw new Error(message);
    console.log(`      skipped: ${message}`);
    ctx.skip();
    throw new Error("unreachable");
}

function request(port: number, method: string, urlPath: string, timeoutMs = 2000): Promise<number> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, method, path: urlPath, timeout: timeoutMs }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.end();
    });
}

/** Starts moto_server on a free loopback port; resolves once it answers. */
export async function startMoto(ctx: Mocha.Context, workDir: string, region: string, opts: { unauthenticatedRequests?: number } = {}): Promise<Moto> {
    const tools = motoToolsOrSkip(ctx);
    const [port] = await freePorts(1);
    fs.mkdirSync(workDir, { recursive: true });
    const log = fs.openSync(path.join(workDir, "moto.log"), "w");
    const child: ChildProcess = spawn("timeout", ["-s", "KILL", String(MOTO_LIFETIME_SECONDS), tools.motoServer, "-H", "127.0.0.1", "-p", String(port)], {
        stdio: ["ignore", log, log],
        // moto enforces IAM identity policies (and signatures) once this many requests have been
        // served (http://docs.getmoto.org/en/latest/docs/iam.html); unset, it enforces nothing.
        env: opts.unauthenticatedRequests === undefined ? process.env : { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: String(opts.unauthenticatedRequests) },
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const config = path.join(workDir, "aws-config");
    // botocore's path-style switch (https://docs.aws.amazon.com/cli/latest/topic/s3-config.html, addressing_style).
    fs.writeFileSync(config, `[default]\nregion = ${region}\ns3 =\n    addressing_style = path\n`);
    const env: Record<string, string> = {
        AWS_ENDPOINT_URL: endpoint,
        AWS_ACCESS_KEY_ID: "AKIAMOTOFAKEKEY00000",
        AWS_SECRET_ACCESS_KEY: "moto-fake-secret-key",
        AWS_DEFAULT_REGION: region,
        AWS_CONFIG_FILE: config,
        AWS_SHARED_CREDENTIALS_FILE: path.join(workDir, "no-credentials"),
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_PAGER: "",
    };
    const deadline = Date.now() + 60000;
    for (;;) {
        if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${fs.readFileSync(path.join(workDir, "moto.log"), "utf8")}`);
        try {
            if ((await request(port, "GET", "/moto-api/data.json")) === 200) break;
        } catch {
            /* not listening yet */
        }
        if (Date.now() > deadline) {
            child.kill("SIGKILL");
            throw new Error("moto_server did not answer within 60 s");
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    const cliEnv = { ...process.env, ...env, HOME: workDir };
    const aws = (args: readonly string[], input?: string) => {
        const r = spawnSync(tools.aws, [...args], { env: cliEnv, encoding: "utf8", input, timeout: 60000 });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    return {
        endpoint,
        env,
        awsBin: tools.aws,
        aws,
        awsJson(args) {
            const r = aws([...args, "--output", "json"]);
            if (r.status !== 0) throw new Error(`aws ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
            return r.stdout.trim() === "" ? undefined : JSON.parse(r.stdout);
        },
        seed(plan) {
            const python = path.join(path.dirname(tools.aws), "python");
            const r = spawnSync(python, ["-c", SEED_PY], { env: cliEnv, encoding: "utf8", input: JSON.stringify(plan), timeout: 120000 });
            if (r.status !== 0) throw new Error(`seeding moto failed: ${r.stderr}`);
            return JSON.parse(r.stdout) as Seeded;
        },
        putObjects(bucket, objects) {
            const python = path.join(path.dirname(tools.aws), "python");
            const code = "import json, sys, boto3\nd = json.load(sys.stdin)\ns3 = boto3.client('s3')\nfor k, v in d['objects'].items(): s3.put_object(Bucket=d['bucket'], Key=k, Body=v.encode())\n";
            const r = spawnSync(python, ["-c", code], { env: cliEnv, encoding: "utf8", input: JSON.stringify({ bucket, objects }), timeout: 180000 });
            if (r.status !== 0) throw new Error(`putting objects failed: ${r.stderr}`);
        },
        async reset() {
            // Generous: on a loaded 2-core machine a reset of a seeded emulator has taken over 2 s.
            const code = await request(port, "POST", "/moto-api/reset", 60000);
            if (code !== 200) throw new Error(`moto reset answered ${code}`);
        },
        stop() {
            return new Promise((resolve) => {
                if (child.exitCode !== null || child.signalCode !== null) return resolve();
                const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
                child.on("exit", () => {
                    clearTimeout(kill);
                    fs.closeSync(log);
                    resolve();
                });
                child.kill("SIGTERM");
            });
        },
    };
}

/** boto3 (same venv as the CLI) creating the plan's resources; prints the ids as JSON. */
const SEED_PY = String.raw`
import json, sys, boto3
plan = json.load(sys.stdin)
ec2 = boto3.client("ec2", region_name=plan["region"])
s3 = boto3.client("s3", region_name=plan["region"])
def tags(t, kind):
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in t.items()]}]
out = {"subnets": {}, "interfaces": {}, "volumes": {}, "instances": {}}
vpc = ec2.create_vpc(CidrBlock=plan["vpc"]["cidr"], TagSpecifications=tags(plan["vpc"]["tags"], "vpc"))["Vpc"]["VpcId"]
out["vpc"] = vpc
for s in plan["subnets"]:
    out["subnets"][s["name"]] = ec2.create_subnet(VpcId=vpc, CidrBlock=s["cidr"], AvailabilityZone=s["az"], TagSpecifications=tags(s["tags"], "subnet"))["Subnet"]["SubnetId"]
for i in plan["interfaces"]:
    args = {"SubnetId": out["subnets"][i["subnet"]], "TagSpecifications": tags(i["tags"], "network-interface")}
    if i.get("privateIp"):
        args["PrivateIpAddress"] = i["privateIp"]
    eni = ec2.create_network_interface(**args)["NetworkInterface"]
    out["interfaces"][i["name"]] = {"id": eni["NetworkInterfaceId"], "mac": eni["MacAddress"], "ip": eni["PrivateIpAddress"]}
for v in plan["volumes"]:
    out["volumes"][v["name"]] = ec2.create_volume(AvailabilityZone=v["az"], Size=v["size"], VolumeType="gp3", Encrypted=True, TagSpecifications=tags(v["tags"], "volume"))["VolumeId"]
if plan.get("bucket"):
    b = plan["bucket"]
    s3.create_bucket(Bucket=b["name"], CreateBucketConfiguration={"LocationConstraint": plan["region"]})
    for key, body in b["objects"].items():
        s3.put_object(Bucket=b["name"], Key=key, Body=body.encode())
ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"] if plan["instances"] else None
for inst in plan["instances"]:
    i = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="m7i.large", SubnetId=out["subnets"][inst["subnet"]])["Instances"][0]
    primary = i["NetworkInterfaces"][0]
    out["instances"][inst["name"]] = {"id": i["InstanceId"], "az": i["Placement"]["AvailabilityZone"], "mac": primary["MacAddress"], "ip": i["PrivateIpAddress"], "hostname": i["PrivateDnsName"]}
print(json.dumps(out))
`;
