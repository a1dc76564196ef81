import { controlPlaneOddAndSpread, slotResourcesInSlotZone, clusterSubnetsTagged, nodePoolsMultiAz, ebsVolumesEncrypted } from "../rules/cluster";
import { checkStack, checkResource, expectViolation, expectNone, Res } from "./helper";
import * as f from "./fixtures";

const moveTo = (zone: string) => (p: Record<string, unknown>) => ({ ...p, vpcZoneIdentifiers: [f.subnetId(zone)] });

describe("control-plane-odd-spread", () => {
    it("accepts three slots in three zones", () => expectNone(checkStack(controlPlaneOddAndSpread, f.clusterStack())));
    it("accepts a single control-plane slot", () => expectNone(checkStack(controlPlaneOddAndSpread, f.without(f.without(f.clusterStack(), "prod-cp-1"), "prod-cp-2"))));
    it("rejects an even count", () => expectViolation(checkStack(controlPlaneOddAndSpread, f.without(f.clusterStack(), "prod-cp-2")), /2 control-plane members: etcd needs an odd count/));
    it("counts an untagged group by its maxSize", () => {
        const stack = f.changed(f.without(f.without(f.clusterStack(), "prod-cp-1"), "prod-cp-2"), "prod-cp-0", (p) => ({
            ...p,
            maxSize: 4,
            tags: [{ key: "k8s.io/role/control-plane", value: "1", propagateAtLaunch: true }],
        }));
        expectViolation(checkStack(controlPlaneOddAndSpread, stack), /4 control-plane members/);
    });
    it("rejects two slots in one zone", () =>
        expectViolation(checkStack(controlPlaneOddAndSpread, f.changed(f.clusterStack(), "prod-cp-1", moveTo("eu-west-1a"))), /slots cp-0, cp-1 share eu-west-1a while 3 zones are available/));
    it("accepts five slots over three zones", () => {
        const extra: Res[] = ["eu-west-1a", "eu-west-1b"].map((z, i) => ({
            type: "aws:autoscaling/group:Group",
            name: `prod-cp-${i + 3}`,
            props: {
                maxSize: 1,
                vpcZoneIdentifiers: [f.subnetId(z)],
                tags: [
                    { key: "k8s.io/role/control-plane", value: "1", propagateAtLaunch: true },
                    { key: "k8s.io/slot", value: `cp-${i + 3}`, propagateAtLaunch: true },
                ],
            },
        }));
        expectNone(checkStack(controlPlaneOddAndSpread, [...f.clusterStack(), ...extra]));
    });
    it("falls back to the slot volumes' zones when subnet ids are unknown", () => {
        const noIds = f.clusterStack().map((r) => ({ ...r, id: undefined }));
        expectViolation(
            checkStack(
                controlPlaneOddAndSpread,
                f.changed(noIds, "prod-cp-1-etcd", (p) => ({ ...p, availabilityZone: "eu-west-1a" })),
            ),
            /share eu-west-1a/,
        );
    });
});

describe("slot-resources-same-az", () => {
    it("accepts each slot's group, volume and interface in one zone", () => expectNone(checkStack(slotResourcesInSlotZone, f.clusterStack())));
    it("rejects a volume in another zone", () =>
        expectViolation(
            checkStack(
                slotResourcesInSlotZone,
                f.changed(f.clusterStack(), "prod-cp-1-etcd", (p) => ({ ...p, availabilityZone: "eu-west-1c" })),
            ),
            /Volume prod-cp-1-etcd of slot cp-1 is in eu-west-1c, but the slot is in eu-west-1b/,
        ));
    it("rejects an interface in another zone's subnet", () =>
        expectViolation(
            checkStack(
                slotResourcesInSlotZone,
                f.changed(f.clusterStack(), "prod-cp-2-eni", (p) => ({ ...p, subnetId: f.subnetId("eu-west-1a") })),
            ),
            /NetworkInterface prod-cp-2-eni of slot cp-2 is in eu-west-1a/,
        ));
    it("rejects a slot group spanning zones", () =>
        expectViolation(
            checkStack(
                slotResourcesInSlotZone,
                f.changed(f.clusterStack(), "prod-cp-0", (p) => ({ ...p, vpcZoneIdentifiers: f.ZONES.map(f.subnetId) })),
            ),
            /group prod-cp-0 of slot cp-0 spans eu-west-1a, eu-west-1b, eu-west-1c/,
        ));
    it("keeps slots of different roles apart", () => {
        const etcdVolume: Res = {
            type: "aws:ebs/volume:Volume",
            name: "prod-etcd-0",
            props: { availabilityZone: "eu-west-1c", encrypted: true, tags: { "k8s.io/role/etcd": "1", "k8s.io/slot": "cp-0" } },
        };
        expectNone(checkStack(slotResourcesInSlotZone, [...f.clusterStack(), etcdVolume]));
    });
});

describe("cluster-subnets-tagged", () => {
    const asgIn = (ids: string[]): Res => ({
        type: "aws:autoscaling/group:Group",
        name: "prod-general",
        props: { maxSize: 3, vpcZoneIdentifiers: ids, tags: [{ key: "kubernetes.io/cluster/prod", value: "owned", propagateAtLaunch: true }] },
    });
    const tag = (id: string, value = "shared"): Res => ({ type: "aws:ec2/tag:Tag", name: `tag-${id}`, props: { resourceId: id, key: "kubernetes.io/cluster/prod", value } });

    it("accepts tagged subnets", () => expectNone(checkStack(clusterSubnetsTagged, f.clusterStack())));
    it("rejects an untagged subnet", () =>
        expectViolation(
            checkStack(
                clusterSubnetsTagged,
                f.changed(f.clusterStack(), "prod-private-eu-west-1b", (p) => ({ ...p, tags: { Name: "x" } })),
            ),
            /subnet prod-private-eu-west-1b lacks kubernetes\.io\/cluster\/prod = owned\|shared/,
        ));
    it("accepts a subnet tagged through aws:ec2/tag:Tag", () =>
        expectNone(checkStack(clusterSubnetsTagged, [...f.changed(f.clusterStack(), "prod-private-eu-west-1b", (p) => ({ ...p, tags: {} })), tag(f.subnetId("eu-west-1b"))])));
    it("rejects an existing subnet used without the tag", () =>
        expectViolation(
            checkStack(clusterSubnetsTagged, [asgIn(["subnet-0aaa", "subnet-0bbb"]), tag("subnet-0aaa")]),
            /subnet subnet-0bbb, used by prod-general, is not tagged kubernetes\.io\/cluster\/prod/,
        ));
    it("accepts existing subnets tagged shared", () => expectNone(checkStack(clusterSubnetsTagged, [asgIn(["subnet-0aaa", "subnet-0bbb"]), tag("subnet-0aaa"), tag("subnet-0bbb")])));
    it("rejects a tag value other than owned or shared", () => expectViolation(checkStack(clusterSubnetsTagged, [asgIn(["subnet-0aaa"]), tag("subnet-0aaa", "yes")]), /subnet-0aaa.*is not tagged/));
    it("follows a configured clusterName", () => expectViolation(checkStack(clusterSubnetsTagged, f.clusterStack(), { clusterName: "staging" }), /lacks kubernetes\.io\/cluster\/staging/));
});

describe("node-pools-multi-az", () => {
    const single = () => f.changed(f.clusterStack(), "prod-general", moveTo("eu-west-1a"));
    it("accepts a pool over three zones", () => expectNone(checkStack(nodePoolsMultiAz, f.clusterStack())));
    it("rejects a pool in one zone", () => expectViolation(checkStack(nodePoolsMultiAz, single()), /node pool general runs in one zone \(eu-west-1a\)/));
    it("allows a single zone when allowSingleAzPools", () => expectNone(checkStack(nodePoolsMultiAz, single(), { allowSingleAzPools: true })));
    it("rejects two subnets of the same zone", () => {
        const sameZone = [
            ...f.clusterStack(),
            { type: "aws:ec2/subnet:Subnet", name: "extra", id: "subnet-0extra", props: { availabilityZone: "eu-west-1a", tags: { "kubernetes.io/cluster/prod": "owned" } } },
        ];
        expectViolation(
            checkStack(
                nodePoolsMultiAz,
                f.changed(sameZone, "prod-general", (p) => ({ ...p, vpcZoneIdentifiers: [f.subnetId("eu-west-1a"), "subnet-0extra"] })),
            ),
            /runs in one zone/,
        );
    });
});

describe("ebs-volumes-encrypted", () => {
    const LT = "aws:ec2/launchTemplate:LaunchTemplate";
    const volume = { availabilityZone: "eu-west-1a", size: 20, encrypted: true };
    it("accepts an encrypted volume", () => expectNone(checkResource(ebsVolumesEncrypted, "aws:ebs/volume:Volume", volume)));
    it("rejects an unencrypted volume", () => expectViolation(checkResource(ebsVolumesEncrypted, "aws:ebs/volume:Volume", { ...volume, encrypted: false }), /volume is not encrypted/));
    it("accepts an encrypted launch-template root device", () => expectNone(checkResource(ebsVolumesEncrypted, LT, f.launchTemplate())));
    it('rejects ebs.encrypted "false"', () =>
        expectViolation(
            checkResource(ebsVolumesEncrypted, LT, { ...f.launchTemplate(), blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "false" } }] }),
            /block device \/dev\/xvda is not encrypted/,
        ));
    it("rejects a launch template without block device mappings", () =>
        expectViolation(checkResource(ebsVolumesEncrypted, LT, { ...f.launchTemplate(), blockDeviceMappings: undefined }), /declares no block device mappings/));
    it("rejects an instance with an unencrypted root", () =>
        expectViolation(checkResource(ebsVolumesEncrypted, "aws:ec2/instance:Instance", { rootBlockDevice: { volumeSize: 20 } }), /root block device is not encrypted/));
});

// Members counted from the resources themselves, including ones a user adds beside ours.
describe("control-plane-odd-spread: members counted from the resources", () => {
    const asgTags = (tags: Record<string, string>) => Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true }));
    const group = (name: string, zone: string, tags: Record<string, string>, size = 1): Res => ({
        type: "aws:autoscaling/group:Group",
        name,
        props: { minSize: size, maxSize: size, vpcZoneIdentifiers: [f.subnetId(zone)], tags: asgTags(tags) },
    });
    const cp = (slot: string) => ({ "k8s.io/role/control-plane": "1", "k8s.io/slot": slot });
    const etcd = (slot: string) => ({ "k8s.io/role/etcd": "1", "k8s.io/slot": slot });
    const instance = (name: string, zone: string, tags: Record<string, string>): Res => ({ type: "aws:ec2/instance:Instance", name, props: { subnetId: f.subnetId(zone), tags } });
    const externalEtcd = (n: number) => f.ZONES.slice(0, n).map((z, i) => group(`prod-etcd-${i}`, z, etcd(`etcd-${i}`)));
    const cases: { title: string; resources: Res[]; expected: RegExp[] }[] = [
        {
            title: "a slot declared twice (a copied group): 4 members, not 3",
            resources: [...f.clusterStack(), group("copy-of-cp-0", "eu-west-1b", cp("cp-0"))],
            expected: [/control-plane slot cp-0 is declared by 2 resources \(prod-cp-0, copy-of-cp-0\)/, /^4 control-plane members: etcd needs an odd count/],
        },
        {
            title: "a hand-made instance tagged control-plane beside three slots",
            resources: [...f.clusterStack(), instance("manual-cp", "eu-west-1c", { "k8s.io/role/control-plane": "1" })],
            expected: [/^4 control-plane members/],
        },
        { title: "a slot group that runs two members", resources: f.changed(f.clusterStack(), "prod-cp-2", (p) => ({ ...p, minSize: 2, maxSize: 2 })), expected: [/^4 control-plane members/] },
        {
            title: "a slot group that autoscales",
            resources: f.changed(f.clusterStack(), "prod-cp-2", (p) => ({ ...p, minSize: 1, maxSize: 3 })),
            expected: [/control-plane group prod-cp-2 scales between 1 and 3 members/, /control-plane slots cp-2 share eu-west-1c while 3 zones are available/],
        },
        { title: "an even external etcd (two members)", resources: [...f.clusterStack(), ...externalEtcd(2)], expected: [/^2 etcd members: etcd needs an odd count/] },
        {
            title: "external etcd members sharing a zone",
            resources: [...f.clusterStack(), ...externalEtcd(2), group("prod-etcd-2", "eu-west-1a", etcd("etcd-2"))],
            expected: [/etcd slots etcd-0, etcd-2 share eu-west-1a/],
        },
        {
            title: "an etcd slot declared twice",
            resources: [...f.clusterStack(), ...externalEtcd(3), group("prod-etcd-dup", "eu-west-1b", etcd("etcd-1"))],
            expected: [/etcd slot etcd-1 is declared by 2 resources/, /^4 etcd members/],
        },
    ];
    for (const c of cases) {
        it(`catches ${c.title}`, () => {
            const vs = checkStack(controlPlaneOddAndSpread, c.resources);
            c.expected.forEach((re) => expectViolation(vs, re));
        });
    }
    it("accepts three external etcd members in three zones beside an even control plane (it holds no etcd data)", () => {
        expectNone(checkStack(controlPlaneOddAndSpread, [...f.without(f.clusterStack(), "prod-cp-2"), ...externalEtcd(3)]));
    });
    it("ignores groups and instances with no role tag", () => {
        expectNone(checkStack(controlPlaneOddAndSpread, [...f.clusterStack(), group("app", "eu-west-1a", { team: "web" }, 4), instance("bastion", "eu-west-1a", { Name: "bastion" })]));
    });
});
