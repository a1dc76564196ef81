import { clusterPortsNotWorldOpen } from "../rules/network";
import { checkResource, expectViolation, expectNone } from "./helper";

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
        ["standalone ingress rule", SG_RULE, { type: "ingress", protocol: "tcp", fromPort: 6443, toPort: 6443, securityGroupId: "sg", ipv6CidrBlocks: ["::/0"] }, admins, /from ::\/0 reaches the API port/],
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
