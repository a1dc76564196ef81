/**
 * Calico: the Installation's pool is the cluster's pod CIDR, VXLAN only across
 * subnets, Felix disables the EC2 source/destination check with the IAM that
 * takes (and no more), and the ports the node security groups must open.
 */
import * as assert from "assert";
import { ADDON_CHARTS } from "../../config/versions";
import { calicoNodePorts, calicoValues, calicoSrcDstCheckPolicy, splitHostPort } from "../../addons";
import { renderPolicy } from "../../components/iam";
import { PortRange } from "../../components/firewall/rules";
import { ACCOUNT, CONTROL_PLANE_ROLE, NODE_ROLE, evaluate, runAddons } from "../support/addonFixtures";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CHART_V4 = "kubernetes:helm.sh/v4:Chart";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

describe("addons/calico", () => {
    it("installs the pinned tigera-operator chart with one pool equal to the pod CIDR", async () => {
        const run = await runAddons({ podCidr: "100.70.0.0/16" });
        const r = run.inputs(run.named(RELEASE, "demo-addons-calico-release"));
        assert.deepStrictEqual([r.chart, r.version, r.repositoryOpts.repo, r.namespace], [ADDON_CHARTS.calico.chart, "v3.32.1", "https://docs.tigera.io/calico/charts", "tigera-operator"]);
        const net = r.values.installation.calicoNetwork;
        assert.deepStrictEqual(net.ipPools, [{ name: "default-ipv4-ippool", cidr: "100.70.0.0/16", encapsulation: "VXLANCrossSubnet", natOutgoing: "Enabled", blockSize: 26, nodeSelector: "all()" }]);
        assert.strictEqual(net.bgp, "Disabled", "VXLAN needs no BGP");
        assert.deepStrictEqual(r.values.defaultFelixConfiguration, { enabled: true, awsSrcDstCheck: "Disable" });
        // Was the public name (api.demo...): on a load balancer that admits only the admin CIDRs, nodes were refused.
        assert.deepStrictEqual(r.values.kubernetesServiceEndpoint, { host: "api.internal.demo.k8s.example.com", port: "6443" });
    });

    it("installs the CRD chart of the same release first, and lets nobody else manage the CRDs", async () => {
        const run = await runAddons();
        const crds = run.named(CHART_V4, "demo-addons-calico-crds");
        const c = run.inputs(crds);
        assert.deepStrictEqual([c.chart, c.version, c.repositoryOpts.repo], ["crd.projectcalico.org.v1", "v3.32.1", "https://docs.tigera.io/calico/charts"]);
        assert.strictEqual(c.version, ADDON_CHARTS.calico.version, "CRDs and operator of one release");
        const release = run.named(RELEASE, "demo-addons-calico-release");
        assert.ok(run.dependsOn(release).includes(crds.urn), "the operator's release waits for the CRDs");
        assert.strictEqual(run.inputs(release).values.manageCRDs, false);
    });

    it("pins node addresses to the kubelet's InternalIP and leaves the API server, Goldmane and Whisker off", () => {
        const v = calicoValues({ podCidr: "100.64.0.0/16", apiHost: "api.internal.demo.k8s.example.com", apiPort: 6443 }) as any;
        assert.deepStrictEqual(v.installation.calicoNetwork.nodeAddressAutodetectionV4, { kubernetes: "NodeInternalIP" });
        assert.deepStrictEqual([v.apiServer, v.goldmane, v.whisker], [{ enabled: false }, { enabled: false }, { enabled: false }]);
    });

    it("takes the in-cluster endpoint apart: names, IPv4 and IPv6 hosts", () => {
        assert.deepStrictEqual(splitHostPort("api.internal.demo.k8s.example.com:6443"), { host: "api.internal.demo.k8s.example.com", port: 6443 });
        assert.deepStrictEqual(splitHostPort("10.0.0.10:6443"), { host: "10.0.0.10", port: 6443 });
        assert.deepStrictEqual(splitHostPort("[fd00::1]:6443"), { host: "fd00::1", port: 6443 });
        assert.throws(() => splitHostPort("https://api.example.com"), /<host>:<port>/);
    });

    it("lists what nodes must open to each other: VXLAN, Typha and same-subnet pod traffic; no BGP, no IP-in-IP", () => {
        const ports = calicoNodePorts().map((p) => `${p.protocol}/${p.from}-${p.to}`);
        assert.deepStrictEqual(ports, ["udp/4789-4789", "tcp/5473-5473", "tcp/1-65535", "udp/1-65535"]);
        // The shape the firewall's port matrix takes (components/firewall PortRange).
        const asRanges: PortRange[] = calicoNodePorts();
        assert.strictEqual(asRanges.length, 4);
    });

    it("lets both instance roles turn off the source/destination check on this account's interfaces only", async () => {
        const run = await runAddons();
        for (const [slug, role] of [
            ["node", NODE_ROLE],
            ["control-plane", CONTROL_PLANE_ROLE],
        ] as const) {
            const p = run.inputs(run.named(ROLE_POLICY, `demo-addons-calico-${slug}-src-dst-check`));
            assert.strictEqual(p.role, role.name);
            assert.strictEqual(p.policy, renderPolicy(calicoSrcDstCheckPolicy("aws", "eu-west-1", ACCOUNT)));
            const can = (action: string, resource: string) => evaluate(p.policy, { action, resource });
            assert.strictEqual(can("ec2:ModifyNetworkInterfaceAttribute", `arn:aws:ec2:eu-west-1:${ACCOUNT}:network-interface/eni-0123456789abcdef0`), "allow");
            assert.strictEqual(
                can("ec2:ModifyNetworkInterfaceAttribute", `arn:aws:ec2:eu-west-1:${ACCOUNT}:security-group/sg-0123456789abcdef0`),
                "deny",
                "cannot swap an interface's security groups",
            );
            assert.strictEqual(can("ec2:ModifyNetworkInterfaceAttribute", `arn:aws:ec2:us-east-1:${ACCOUNT}:network-interface/eni-1`), "deny");
            assert.strictEqual(can("ec2:ModifyNetworkInterfaceAttribute", `arn:aws:ec2:eu-west-1:999999999999:network-interface/eni-1`), "deny");
            assert.strictEqual(can("ec2:DescribeInstances", "*"), "allow");
            assert.strictEqual(can("ec2:ModifyInstanceAttribute", `arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/i-1`), "deny");
        }
    });
});
