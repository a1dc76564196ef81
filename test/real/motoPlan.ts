/**
 * What the emulator is seeded with, read from the program's own rendered plan (the offline
 * render of a stack under Pulumi's mocks, test/support/harness.ts runStackFixture): the VPC, its
 * subnets, the slot interfaces with their fixed IPs and tags, the slot data volumes with their
 * tags, and the secrets bucket with every object the program puts in it.
 */
import { Recorded } from "../support/harness";
import { SeedPlan } from "./moto";

export interface RenderedPlan {
    readonly region: string;
    readonly cluster: string;
    readonly bucket: string;
    readonly kmsKeyArn: string;
    readonly seed: Omit<SeedPlan, "instances">;
}

const tagsOf = (inputs: Record<string, any>): Record<string, string> => ({ ...(inputs.tags ?? {}) });

export function planFromRender(r: Recorded, region: string, cluster: string): RenderedPlan {
    const vpcs = r.ofType("aws:ec2/vpc:Vpc");
    if (vpcs.length !== 1) throw new Error(`expected one VPC in the plan, found ${vpcs.length}`);
    const subnetById = new Map<string, string>();
    const subnets = r.ofType("aws:ec2/subnet:Subnet").map((s) => {
        const i = r.inputs(s);
        subnetById.set(String(s.id), s.name);
        return { name: s.name, az: String(i.availabilityZone), cidr: String(i.cidrBlock), tags: tagsOf(i) };
    });
    const interfaces = r.ofType("aws:ec2/networkInterface:NetworkInterface").map((e) => {
        const i = r.inputs(e);
        const subnet = subnetById.get(String(i.subnetId));
        if (!subnet) throw new Error(`interface ${e.name}: subnet ${i.subnetId} is not in the plan`);
        return { name: e.name, subnet, privateIp: (i.privateIps as string[] | undefined)?.[0], tags: tagsOf(i) };
    });
    const volumes = r.ofType("aws:ebs/volume:Volume").map((v) => {
        const i = r.inputs(v);
        return { name: v.name, az: String(i.availabilityZone), size: Number(i.size), tags: tagsOf(i) };
    });
    const buckets = r.ofType("aws:s3/bucket:Bucket").filter((b) => /-secrets-bucket$/.test(b.name));
    if (buckets.length !== 1) throw new Error(`expected one secrets bucket in the plan, found ${buckets.length}`);
    const bucket = String(buckets[0].id);
    const objects: Record<string, string> = {};
    let kmsKeyArn = "";
    for (const o of r.ofType("aws:s3/bucketObjectv2:BucketObjectv2")) {
        const i = r.inputs(o);
        if (i.bucket !== bucket) continue;
        objects[String(i.key)] = String(i.content);
        kmsKeyArn ||= String(i.kmsKeyId ?? "");
    }
    return {
        region,
        cluster,
        bucket,
        kmsKeyArn,
        seed: { region, vpc: { cidr: String(r.inputs(vpcs[0]).cidrBlock), tags: tagsOf(r.inputs(vpcs[0])) }, subnets, interfaces, volumes, bucket: { name: bucket, objects } },
    };
}
