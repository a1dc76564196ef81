/**
 * The mocked AWS provider answers with ids, ARNs and DNS names shaped like
 * the real ones, and auto-names physical names as Pulumi does.
 */
import * as assert from "assert";
import * as aws from "@pulumi/aws";
import { runComponents, PINNED_SEED } from "../../support/harness";

describe("mocked AWS provider", () => {
    it("gives resources real-looking ids, ARNs and DNS names", async () => {
        const run = await runComponents(
            () => {
                const vpc = new aws.ec2.Vpc("v", { cidrBlock: "10.0.0.0/16" });
                const subnet = new aws.ec2.Subnet("s", { vpcId: vpc.id, cidrBlock: "10.0.0.0/24", availabilityZone: "eu-west-1b" });
                const lb = new aws.lb.LoadBalancer("api", { loadBalancerType: "network", subnets: [subnet.id] });
                const role = new aws.iam.Role("r", { path: "/k8s-aws/demo/", assumeRolePolicy: "{}" });
                const bucket = new aws.s3.Bucket("secrets", {});
                const key = new aws.kms.Key("k", {});
                return {
                    vpc: vpc.id,
                    vpcArn: vpc.arn,
                    subnet: subnet.id,
                    zoneId: subnet.availabilityZoneId,
                    lbDns: lb.dnsName,
                    lbArn: lb.arn,
                    lbName: lb.name,
                    roleArn: role.arn,
                    bucket: bucket.bucket,
                    bucketArn: bucket.arn,
                    keyArn: key.arn,
                };
            },
            { seed: PINNED_SEED },
        );
        const o = await run.outputs(run.result);
        const table: [string, RegExp][] = [
            ["vpc", /^vpc-[0-9a-f]{17}$/],
            ["vpcArn", /^arn:aws:ec2:eu-west-1:123456789012:vpc\/vpc-[0-9a-f]{17}$/],
            ["subnet", /^subnet-[0-9a-f]{17}$/],
            ["zoneId", /^euw1-az2$/],
            ["lbName", /^api-[0-9a-f]{7}$/],
            ["lbDns", /^api-[0-9a-f]{7}-[0-9a-f]{16}\.elb\.eu-west-1\.amazonaws\.com$/],
            ["lbArn", /^arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer\/net\/api-[0-9a-f]{7}\/[0-9a-f]{16}$/],
            ["roleArn", /^arn:aws:iam::123456789012:role\/k8s-aws\/demo\/r-[0-9a-f]{7}$/],
            ["bucket", /^secrets-[0-9a-f]{7}$/],
            ["bucketArn", /^arn:aws:s3:::secrets-[0-9a-f]{7}$/],
            ["keyArn", /^arn:aws:kms:eu-west-1:123456789012:key\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/],
        ];
        for (const [k, re] of table) assert.match(String(o[k]), re, k);
    });

    it("answers the data sources the program calls", async () => {
        const run = await runComponents(() => ({
            zones: aws.getAvailabilityZonesOutput({ state: "available" }).names,
            account: aws.getCallerIdentityOutput().accountId,
            region: aws.getRegionOutput().region,
            ami: aws.ec2.getAmiOutput({ owners: ["099720109477"], mostRecent: true, filters: [{ name: "name", values: ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*"] }] }),
        }));
        const o = await run.outputs(run.result);
        assert.deepStrictEqual(o.zones, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
        assert.strictEqual(o.account, "123456789012");
        assert.strictEqual(o.region, "eu-west-1");
        assert.match(o.ami.id, /^ami-[0-9a-f]{17}$/);
        assert.strictEqual(o.ami.architecture, "arm64");
    });

    it("fails a run that registers two resources with the same name", async () => {
        await assert.rejects(
            runComponents(() => [new aws.ec2.Vpc("same", { cidrBlock: "10.0.0.0/16" }), new aws.ec2.Vpc("same", { cidrBlock: "10.1.0.0/16" })]),
            /Duplicate resource URN/,
        );
    });

    it("fails loudly on a resource type nobody mocked", async () => {
        await assert.rejects(
            runComponents(() => new aws.sqs.Queue("q", {})),
            /no mock for resource type aws:sqs\/queue:Queue/,
        );
    });
});
