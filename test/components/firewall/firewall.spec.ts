/**
 * The port matrix: the API only from the admin CIDRs (through the load
 * balancer), etcd only between members and from the control plane, the
 * kubelet only from the control plane and metrics-server, nothing open to
 * the world.
 */
import * as assert from "assert";
import { Firewall, FirewallInput, firewallRules, IngressRule } from "../../../components/firewall";
import { runComponents } from "../../support/harness";

const VXLAN = { protocol: "udp" as const, from: 4789, to: 4789 };
/** What Calico's VXLANCrossSubnet asks for between machines: every port, since same-subnet pod traffic is not encapsulated. */
const ALL_TCP = { protocol: "tcp" as const, from: 1, to: 65535 };
const base: FirewallInput = { adminCidrs: ["198.51.100.0/24", "203.0.113.0/24"], loadBalancer: true, internalLoadBalancer: true, externalEtcd: false, podNetworkPorts: [VXLAN, ALL_TCP] };

const covers = (r: IngressRule, port: number) => r.ports.from <= port && port <= r.ports.to;
const sourceOf = (r: IngressRule) => ("group" in r.source ? `sg:${r.source.group}` : r.source.cidr);

describe("firewall rules", () => {
    const cases: { name: string; input: FirewallInput }[] = [
        { name: "HA, stacked etcd", input: base },
        { name: "HA, external etcd", input: { ...base, externalEtcd: true } },
        { name: "single slot with an Elastic IP", input: { ...base, loadBalancer: false, internalLoadBalancer: false } },
    ];
    for (const c of cases) {
        describe(c.name, () => {
            const rules = firewallRules(c.input);

            it("opens nothing to the world", () => {
                for (const r of rules) assert.ok(!("cidr" in r.source) || !["0.0.0.0/0"].includes(r.source.cidr), r.name);
            });

            it("lets only the admin CIDRs reach the API from outside", () => {
                const cidrSources = rules.filter((r) => "cidr" in r.source);
                assert.deepStrictEqual(cidrSources.map(sourceOf).sort(), [...c.input.adminCidrs].sort());
                for (const r of cidrSources) {
                    assert.ok(covers(r, 6443) && r.ports.from === r.ports.to, r.name);
                    assert.strictEqual(r.target, c.input.loadBalancer ? "lb" : "controlPlane");
                }
            });

            it("keeps etcd between members and the control plane", () => {
                const etcdGroup = c.input.externalEtcd ? "etcd" : "controlPlane";
                const etcd = rules.filter((r) => r.target === etcdGroup && r.ports.protocol === "tcp" && (covers(r, 2379) || covers(r, 2380)));
                assert.ok(etcd.length > 0);
                for (const r of etcd) assert.ok(["sg:controlPlane", "sg:etcd"].includes(sourceOf(r)), `${r.name} from ${sourceOf(r)}`);
                if (c.input.externalEtcd) {
                    const peer = etcd.filter((r) => covers(r, 2380));
                    assert.deepStrictEqual(peer.map(sourceOf), ["sg:etcd"], "peers only from members");
                }
            });

            it("keeps etcd's ports closed to nodes even with the pod network's wide ranges", () => {
                for (const r of rules.filter((x) => "group" in x.source && x.source.group === "nodes" && x.ports.protocol === "tcp")) {
                    if (r.target === "controlPlane" && !c.input.externalEtcd) assert.ok(!covers(r, 2379) && !covers(r, 2380), `${r.name} opens etcd to nodes`);
                    assert.notStrictEqual(r.target, "etcd", `${r.name} opens the etcd group to nodes`);
                }
            });

            it("lets only the control plane and nodes reach kubelets", () => {
                const kubelet = rules.filter((r) => covers(r, 10250));
                assert.deepStrictEqual(new Set(kubelet.map(sourceOf)), new Set(["sg:controlPlane", "sg:nodes"]));
            });

            it("lets only cluster machines reach the internal API balancer, and the balancer reach the control plane", () => {
                const toInternal = rules.filter((r) => r.target === "internalLb");
                const fromInternal = rules.filter((r) => "group" in r.source && r.source.group === "internalLb");
                if (!c.input.internalLoadBalancer) return assert.deepStrictEqual([...toInternal, ...fromInternal], []);
                assert.deepStrictEqual(toInternal.map(sourceOf).sort(), ["sg:controlPlane", "sg:nodes"]);
                assert.deepStrictEqual(
                    fromInternal.map((r) => [r.target, r.ports.from, r.ports.to]),
                    [["controlPlane", 6443, 6443]],
                );
                for (const r of toInternal) assert.deepStrictEqual([r.ports.from, r.ports.to], [6443, 6443]);
            });

            it("gives every rule a unique name", () => {
                assert.strictEqual(new Set(rules.map((r) => r.name)).size, rules.length);
            });
        });
    }

    it("creates one group per role and one resource per rule", async () => {
        const input = { ...base, externalEtcd: true };
        const run = await runComponents(() => new Firewall("prod-fw", { ...input, clusterName: "prod", vpcId: "vpc-0123456789abcdef0", tags: {} }));
        assert.deepStrictEqual(
            run
                .ofType("aws:ec2/securityGroup:SecurityGroup")
                .map((r) => r.inputs.tags && (r.inputs.tags as Record<string, string>).Name)
                .sort(),
            ["prod-api-internal-lb", "prod-api-lb", "prod-control-plane", "prod-etcd", "prod-nodes"],
        );
        for (const sg of run.ofType("aws:ec2/securityGroup:SecurityGroup")) {
            assert.strictEqual((sg.inputs.tags as Record<string, string>)["kubernetes.io/cluster/prod"], "owned");
        }
        assert.strictEqual(run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").length, firewallRules(input).length);
    });
});
