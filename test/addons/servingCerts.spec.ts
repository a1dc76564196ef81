/**
 * Serving certificates and metrics (issue 14 items 3 and 4): every kubelet's
 * serving CSR, as the kubelet really builds it on AWS, is approved by the
 * approver as configured here (control planes, whose --node-ip is the slot's
 * fixed IP on a second interface, included; and in a public-address topology);
 * foreign names and addresses are still refused; metrics-server passes each
 * flag once after the chart's template has combined its lists.
 */
import * as assert from "assert";
import { kubeletCsrApproverValues, metricsServerArgs, metricsServerValues, publicIpv4Prefixes } from "../../addons";
import { ApproverConfig, Ec2Instance, NodeIpRule, approverConfig, judge, kubeletServingCsr } from "./servingCsr";
import { runAddons } from "../support/addonFixtures";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const REGION = "eu-west-1";
const VPC = "10.0.0.0/16";
/** AWS private DNS: `ip-a-b-c-d.<domain>` resolves to a-b-c-d (the primary private IP) and nothing else. */
const vpcResolver = (name: string): string[] => {
    const m = /^ip-(\d+)-(\d+)-(\d+)-(\d+)\./.exec(name);
    const p = /^ec2-(\d+)-(\d+)-(\d+)-(\d+)\./.exec(name);
    return m ? [m.slice(1, 5).join(".")] : p ? ["10.0.99.99"] : [];
};

const controlPlane: Ec2Instance = { privateIps: ["10.0.32.17", "10.0.32.10"], privateDnsName: "ip-10-0-32-17.eu-west-1.compute.internal" };
const CONTROL_PLANE_NODE_IP = "10.0.32.10"; // the slot's fixed IP, on the second interface
const worker: Ec2Instance = { privateIps: ["10.0.48.33"], privateDnsName: "ip-10-0-48-33.eu-west-1.compute.internal" };
const publicControlPlane: Ec2Instance = {
    ...controlPlane,
    publicIp: "54.170.1.2",
    publicDnsName: "ec2-54-170-1-2.eu-west-1.compute.amazonaws.com",
};
const RULES: NodeIpRule[] = ["filter", "sort"];

function config(nodesHavePublicIps: boolean): ApproverConfig {
    return approverConfig(kubeletCsrApproverValues({ region: REGION, vpcCidr: VPC, nodesHavePublicIps }));
}

describe("addons/kubelet-csr-approver: serving CSRs as kubelets submit them", () => {
    for (const rule of RULES) {
        it(`approves a control plane's CSR (node-ip = the slot's fixed IP, node-ip rule: ${rule})`, () => {
            const csr = kubeletServingCsr(controlPlane, CONTROL_PLANE_NODE_IP, rule);
            assert.ok(csr.ips.includes(CONTROL_PLANE_NODE_IP));
            assert.deepStrictEqual(judge(csr, config(false), vpcResolver), { approved: true, reason: "" });
        });

        it(`approves a control plane's CSR where instances have public addresses (dev; node-ip rule: ${rule})`, () => {
            const csr = kubeletServingCsr(publicControlPlane, CONTROL_PLANE_NODE_IP, rule);
            assert.strictEqual(csr.dnsNames.length, 2, "private and public DNS names");
            assert.ok(csr.ips.includes("54.170.1.2"));
            assert.deepStrictEqual(judge(csr, config(true), vpcResolver), { approved: true, reason: "" });
        });
    }

    it("approves a worker's CSR (no node-ip)", () => {
        assert.deepStrictEqual(judge(kubeletServingCsr(worker, undefined, "filter"), config(false), vpcResolver), { approved: true, reason: "" });
    });

    it("would have refused the control plane with DNS resolution on (the defect this fixes)", () => {
        const before = { ...config(false), bypassDnsResolution: false };
        const verdict = judge(kubeletServingCsr(controlPlane, CONTROL_PLANE_NODE_IP, "filter"), before, vpcResolver);
        assert.strictEqual(verdict.approved, false);
        assert.match(verdict.reason, /10\.0\.32\.10 is not among the resolved addresses/);
        const dev = judge(kubeletServingCsr(publicControlPlane, CONTROL_PLANE_NODE_IP, "filter"), config(false), vpcResolver);
        assert.strictEqual(dev.approved, false, "a public-address node under the private-topology settings");
    });

    it("still refuses names of another form or region, other nodes' names, and addresses outside the VPC", () => {
        const cfg = config(false);
        const base = kubeletServingCsr(worker, undefined, "filter");
        const cases: [string, typeof base][] = [
            ["another region", { ...base, dnsNames: ["ip-10-0-48-33.eu-west-2.compute.internal"] }],
            ["a foreign domain", { ...base, dnsNames: ["ip-10-0-48-33.eu-west-1.compute.internal.evil.com"] }],
            ["another node's name", { ...base, dnsNames: ["ip-10-0-48-34.eu-west-1.compute.internal"] }],
            ["two names", { ...base, dnsNames: [base.dnsNames[0], `${base.dnsNames[0]}x`] }],
            ["an address outside the VPC", { ...base, ips: ["10.1.0.5"] }],
            ["a public address", { ...base, ips: ["54.170.1.2"] }],
            ["not a node", { ...base, username: "system:serviceaccount:default:x" }],
        ];
        for (const [what, csr] of cases) assert.strictEqual(judge(csr, cfg, vpcResolver).approved, false, what);
        const pub = config(true);
        const pubBase = kubeletServingCsr(publicControlPlane, CONTROL_PLANE_NODE_IP, "filter");
        for (const [what, csr] of [
            ["a public name of another region", { ...pubBase, dnsNames: [pubBase.dnsNames[0], "ec2-54-170-1-2.us-west-2.compute.amazonaws.com"] }],
            ["a non-EC2 name", { ...pubBase, dnsNames: [pubBase.dnsNames[0], "api.example.com"] }],
            ["three names", { ...pubBase, dnsNames: [...pubBase.dnsNames, "ip-10-0-1-1.eu-west-1.compute.internal"] }],
            ["a private address outside the VPC (a peered network's)", { ...pubBase, ips: [...pubBase.ips, "10.1.0.5"] }],
            ["another private range", { ...pubBase, ips: [...pubBase.ips, "172.16.0.9"] }],
            ["link-local (the metadata service)", { ...pubBase, ips: [...pubBase.ips, "169.254.169.254"] }],
        ] as const) {
            assert.strictEqual(judge(csr, pub, vpcResolver).approved, false, what);
        }
    });

    it("admits, where instances have public addresses, public unicast IPv4 and nothing non-public", () => {
        const cfg = config(true);
        const asks = (ip: string) => judge({ username: `system:node:${worker.privateDnsName}`, dnsNames: [worker.privateDnsName], ips: [ip] }, cfg, vpcResolver).approved;
        for (const ip of [
            "1.0.0.1",
            "54.170.1.2",
            "99.255.255.255",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "192.169.0.0",
            "223.255.255.255",
            "10.0.1.1",
        ]) {
            assert.ok(asks(ip), ip);
        }
        for (const ip of ["0.1.2.3", "10.1.0.5", "100.64.0.1", "100.127.255.255", "127.0.0.1", "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.168.1.1", "224.0.0.1", "255.255.255.255"]) {
            assert.ok(!asks(ip), ip);
        }
        assert.ok(publicIpv4Prefixes().length < 64, "a short list for the approver's environment");
    });

    it("configures the release with these settings, from the cluster's network", async () => {
        for (const nodesHavePublicIps of [false, true]) {
            const run = await runAddons({ vpcCidr: VPC, nodesHavePublicIps });
            const v = run.inputs(run.named(RELEASE, "demo-addons-kubelet-csr-approver-release")).values;
            assert.deepStrictEqual(v, JSON.parse(JSON.stringify(kubeletCsrApproverValues({ region: REGION, vpcCidr: VPC, nodesHavePublicIps }))));
            const csr = kubeletServingCsr(nodesHavePublicIps ? publicControlPlane : controlPlane, CONTROL_PLANE_NODE_IP, "filter");
            assert.ok(judge(csr, approverConfig(v), vpcResolver).approved, `public addresses: ${nodesHavePublicIps}`);
        }
    });
});

/** deployment.yaml:66-80 of the chart at metrics-server-helm-chart-3.13.1: --secure-port, defaultArgs, (metrics/tls flags), args. */
const CHART_DEFAULT_ARGS = ["--cert-dir=/tmp", "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname", "--kubelet-use-node-status-port", "--metric-resolution=15s"];
function renderedArgs(values: Record<string, any>): string[] {
    const defaults = values.defaultArgs ?? CHART_DEFAULT_ARGS;
    return ["--secure-port=10250", ...defaults, ...(values.args ?? [])];
}

describe("addons/metrics-server: flags", () => {
    it("passes each flag once after the chart combines defaultArgs and args", async () => {
        const run = await runAddons();
        const v = run.inputs(run.named(RELEASE, "demo-addons-metrics-server-release")).values;
        const args = renderedArgs(v);
        const names = args.map((a) => a.split("=")[0]);
        assert.deepStrictEqual(
            names.filter((n, i) => names.indexOf(n) !== i),
            [],
            args.join(" "),
        );
        assert.ok(args.includes("--kubelet-preferred-address-types=InternalIP,Hostname"));
        // The chart's own defaults we rely on are kept.
        for (const kept of ["--cert-dir", "--kubelet-use-node-status-port", "--metric-resolution"]) assert.ok(names.includes(kept), kept);
        assert.deepStrictEqual(v.defaultArgs, metricsServerArgs());
    });

    it("would have passed --kubelet-preferred-address-types twice the old way (args on top of defaultArgs)", () => {
        const old = renderedArgs({ args: ["--kubelet-preferred-address-types=InternalIP,Hostname"] });
        assert.strictEqual(old.filter((a) => a.startsWith("--kubelet-preferred-address-types=")).length, 2);
        assert.ok(metricsServerValues().defaultArgs);
    });
});
