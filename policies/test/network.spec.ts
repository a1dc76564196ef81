import { clusterPortsNotWorldOpen } from "../rules/network";
import { checkResource, checkStack, expectViolation, expectNone, Res } from "./helper";

const RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";

describe("cluster-ports-not-world-open", () => {
    const api = { securityGroupId: "sg-cp", ipProtocol: "tcp", fromPort: 6443, toPort: 6443, cidrIpv4: "203.0.113.0/24" };
    const admins = { allowedApiCidrs: ["203.0.113.0/24"] };
    const cases: [string, string, Record<string, unknown>, Record<string, unknown>, RegExp | null][] = [
        ["API from the admin network", RULE, api, admins, null],
        ["API from a subnet of the admin network", RULE, { ...api, cidrIpv4: "203.0.113.128/25" }, admins, null],
        ["API from the VPC (nodes through the NLB)", RULE, { ...api, cidrIpv4: "10.0.0.0/16" }, admins, null],
        ["etcd from the control-plane group", RULE, { ...api, fromPort: 2379, toPort: 2380, cidrIpv4: undefined, referencedSecurityGroupId: "sg-cp" }, admins, null],
        ["HTTPS ingress from the world on 443", RULE, { ...api, fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }, admins, null],
        ["API from anywhere but the world when no admin list", RULE, { ...api, cidrIpv4: "198.51.100.0/24" }, {}, null],
        ["etcd peer port to the world", RULE, { ...api, fromPort: 2379, toPort: 2380, cidrIpv4: "0.0.0.0/0" }, admins, /opens port 2379, 2380 to the whole internet/],
        ["kubelet to IPv6 world", RULE, { ...api, fromPort: 10250, toPort: 10250, cidrIpv4: undefined, cidrIpv6: "::/0" }, admins, /from ::\/0 opens port 10250/],
        ["a wide range covering the kubelet", RULE, { ...api, fromPort: 10000, toPort: 11000, cidrIpv4: "0.0.0.0/0" }, admins, /opens port 10250/],
        ["all protocols from the world", RULE, { ...api, ipProtocol: "-1", fromPort: undefined, toPort: undefined, cidrIpv4: "0.0.0.0/0" }, admins, /opens port 2379, 2380, 10250/],
        ["API to the world with no admin list", RULE, { ...api, cidrIpv4: "0.0.0.0/0" }, {}, /reaches the API port 6443; allowed sources: anything but/],
        ["API from a network outside the admin list", RULE, { ...api, cidrIpv4: "198.51.100.0/24" }, admins, /from 198\.51\.100\.0\/24 reaches the API port 6443; allowed sources: 203\.0\.113\.0\/24/],
        ["API from a wider network than the admin list", RULE, { ...api, cidrIpv4: "203.0.112.0/23" }, admins, /from 203\.0\.112\.0\/23 reaches the API port/],
        ["API from private space when private sources are off", RULE, { ...api, cidrIpv4: "10.0.0.0/16" }, { ...admins, allowPrivateApiSources: false }, /from 10\.0\.0\.0\/16 reaches the API port/],
        ["inline security group ingress", SG, { ingress: [{ protocol: "tcp", fromPort: 2379, toPort: 2379, cidrBlocks: ["10.0.0.0/16", "0.0.0.0/0"] }] }, admins, /from 0\.0\.0\.0\/0 opens port 2379/],
        [
            "standalone ingress rule",
            SG_RULE,
            { type: "ingress", protocol: "tcp", fromPort: 6443, toPort: 6443, securityGroupId: "sg", ipv6CidrBlocks: ["::/0"] },
            admins,
            /from ::\/0 reaches the API port/,
        ],
        ["egress rules are not ingress", SG_RULE, { type: "egress", protocol: "-1", fromPort: 0, toPort: 0, securityGroupId: "sg", cidrBlocks: ["0.0.0.0/0"] }, admins, null],
        ["a custom API port", RULE, { ...api, fromPort: 443, toPort: 443, cidrIpv4: "198.51.100.0/24" }, { ...admins, apiPort: 443 }, /reaches the API port 443/],
    ];
    for (const [title, type, props, config, expected] of cases) {
        it(title, () => {
            const vs = checkResource(clusterPortsNotWorldOpen, type, props, config);
            if (expected) expectViolation(vs, expected);
            else expectNone(vs);
        });
    }
});

// The address space a security group admits, across every rule resource in the stack (ours or a user's).
describe("cluster-ports-not-world-open: ranges that together cover the internet", () => {
    const rule = (name: string, port: number, cidr: string, group = "sg-cp"): Res => ({
        type: RULE,
        name,
        props: { securityGroupId: group, ipProtocol: "tcp", fromPort: port, toPort: port, ...(cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr }) },
    });
    const cases: { title: string; resources: Res[]; config?: Record<string, unknown>; expected: RegExp | null }[] = [
        {
            title: "the API port from 0.0.0.0/1 + 128.0.0.0/1 with no admin list",
            resources: [rule("a", 6443, "0.0.0.0/1"), rule("b", 6443, "128.0.0.0/1")],
            expected: /security group sg-cp admits port 6443 from the whole IPv4 internet through 0\.0\.0\.0\/1 \+ 128\.0\.0\.0\/1/,
        },
        {
            title: "etcd from four /2 ranges",
            resources: ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"].map((c, i) => rule(`r${i}`, 2379, c)),
            expected: /admits port 2379 from the whole IPv4 internet/,
        },
        {
            title: "the kubelet from every public block but no private one",
            resources: [
                "0.0.0.0/5",
                "8.0.0.0/7",
                "11.0.0.0/8",
                "12.0.0.0/6",
                "16.0.0.0/4",
                "32.0.0.0/3",
                "64.0.0.0/3",
                "96.0.0.0/6",
                "100.0.0.0/10",
                "100.128.0.0/9",
                "101.0.0.0/8",
                "102.0.0.0/7",
                "104.0.0.0/5",
                "112.0.0.0/5",
                "120.0.0.0/6",
                "124.0.0.0/7",
                "126.0.0.0/8",
                "128.0.0.0/3",
                "160.0.0.0/5",
                "168.0.0.0/8",
                "169.0.0.0/9",
                "169.128.0.0/10",
                "169.192.0.0/11",
                "169.224.0.0/12",
                "169.240.0.0/13",
                "169.248.0.0/14",
                "169.252.0.0/15",
                "169.255.0.0/16",
                "170.0.0.0/7",
                "172.0.0.0/12",
                "172.32.0.0/11",
                "172.64.0.0/10",
                "172.128.0.0/9",
                "173.0.0.0/8",
                "174.0.0.0/7",
                "176.0.0.0/4",
                "192.0.0.0/9",
                "192.128.0.0/11",
                "192.160.0.0/13",
                "192.169.0.0/16",
                "192.170.0.0/15",
                "192.172.0.0/14",
                "192.176.0.0/12",
                "192.192.0.0/10",
                "193.0.0.0/8",
                "194.0.0.0/7",
                "196.0.0.0/6",
                "200.0.0.0/5",
                "208.0.0.0/4",
            ].map((c, i) => rule(`p${i}`, 10250, c)),
            expected: /admits port 10250 from the whole IPv4 internet/,
        },
        {
            title: "the API port from the IPv6 internet in two halves",
            resources: [rule("a", 6443, "2000::/4"), rule("b", 6443, "3000::/4")],
            expected: /admits port 6443 from the whole IPv6 internet through 2000::\/4 \+ 3000::\/4/,
        },
        {
            title: "a user's group beside ours, split across an inline rule and a standalone rule",
            resources: [
                { type: SG, name: "user-sg", id: "sg-user", props: { ingress: [{ protocol: "tcp", fromPort: 2380, toPort: 2380, cidrBlocks: ["0.0.0.0/1"] }] } },
                rule("user-rule", 2380, "128.0.0.0/1", "sg-user"),
            ],
            expected: /security group sg-user admits port 2380/,
        },
        {
            title: "etcd from three of the four /2 ranges (a quarter of the internet stays out)",
            resources: ["0.0.0.0/2", "64.0.0.0/2", "192.0.0.0/2"].map((c, i) => rule(`r${i}`, 2379, c)),
            expected: null,
        },
        { title: "halves on two different groups (each half-open, neither the world)", resources: [rule("a", 2379, "0.0.0.0/1", "sg-a"), rule("b", 2379, "128.0.0.0/1", "sg-b")], expected: null },
        { title: "halves on different ports", resources: [rule("a", 2379, "0.0.0.0/1"), rule("b", 2380, "128.0.0.0/1")], expected: null },
        { title: "the admin networks and the VPC", resources: [rule("a", 6443, "203.0.113.0/24"), rule("b", 6443, "10.0.0.0/16")], config: { allowedApiCidrs: ["203.0.113.0/24"] }, expected: null },
    ];
    for (const c of cases) {
        it(`${c.expected ? "catches" : "accepts"} ${c.title}`, () => {
            const vs = checkStack(clusterPortsNotWorldOpen, c.resources, c.config ?? {});
            if (c.expected) expectViolation(vs, c.expected);
            else expectNone(vs);
        });
    }
});
