/**
 * Issue 14 item 2, as an invariant of every stack: each in-cluster consumer of
 * the API that does not go through the service VIP (Calico's operator,
 * calico-node and Typha, through the chart's kubernetesServiceEndpoint) is given
 * the internal endpoint, and that name resolves, inside the cluster's VPC, to
 * something every node reaches: the control-plane slots' fixed private IPs (or
 * an internal load balancer), never the public name, the internet-facing
 * balancer or the Elastic IP.
 */
import * as assert from "assert";
import { runStackFixture } from "../support/harness";
import { readStackFile } from "../../tools/offline/stackFile";
import { inClusterApiHosts } from "../../policies/rules/apiReachability";
import { parseCidr } from "../../lib/cidr";

const RECORD = "aws:route53/record:Record";
const ZONE = "aws:route53/zone:Zone";
const LB = "aws:lb/loadBalancer:LoadBalancer";

function inCidr(ip: string, cidr: string): boolean {
    const c = parseCidr(cidr)!;
    const i = parseCidr(`${ip}/32`);
    return i !== undefined && i.base >= c.base && i.base < c.base + 2 ** (32 - c.prefix);
}

for (const stack of ["dev", "staging", "prod", "existing-vpc"]) {
    describe(`in-cluster API endpoint and Calico node addresses: stack ${stack}`, function () {
        this.timeout(120_000);
        let run: Awaited<ReturnType<typeof runStackFixture>>;
        before(async () => {
            run = await runStackFixture(stack);
        });

        it("lets pod traffic through the interface Calico uses as a control plane's address", () => {
            // Calico's node address is the kubelet's InternalIP (addons/calico.ts), i.e. the slot's fixed IP on the
            // control plane's second interface; Felix turns the source/destination check off on device index 0
            // only (projectcalico/calico@v3.32.1:felix/aws/ec2.go:236-250), so the slot's interface must have it off itself.
            const calico = run.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any).chart === "tigera-operator");
            if (!calico) return;
            assert.deepStrictEqual((calico.inputs as any).values.installation.calicoNetwork.nodeAddressAutodetectionV4, { kubernetes: "NodeInternalIP" });
            const outputs = run.run.outputs as Record<string, any>;
            const slotIps: string[] = outputs.controlPlaneSlots.map((s: { ip: string }) => s.ip);
            const enis = run.resources.filter((r) => r.type === "aws:ec2/networkInterface:NetworkInterface" && slotIps.includes((r.inputs as any).privateIps?.[0]));
            assert.strictEqual(enis.length, slotIps.length, "one interface per control-plane slot");
            for (const eni of enis) assert.strictEqual((eni.inputs as any).sourceDestCheck, false, eni.name);
        });

        it("gives Calico the internal name, whose record holds only what every node reaches", async () => {
            const config = JSON.parse(readStackFile(stack).config["k8s-aws:cluster"]);
            const outputs = run.run.outputs as Record<string, any>;
            const calico = run.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any).chart === "tigera-operator");
            if (!calico) return; // Calico off in this stack: no consumer.
            const uses = inClusterApiHosts(run.resources.map((r) => ({ ...r, props: r.inputs })) as any);
            assert.ok(uses.length >= 1, "Calico is found as a consumer");
            const nodeEndpoint = String(outputs.nodeApiEndpoint).replace(/^https:\/\//, "");
            const publicHost = new URL(String(outputs.apiEndpoint)).hostname;
            for (const use of uses) {
                assert.strictEqual(`${use.host}:6443`, nodeEndpoint, `${use.where}: kubeadm's controlPlaneEndpoint, what kubelets and kube-proxy dial`);
                assert.notStrictEqual(use.host, publicHost, `${use.where}: not the public name`);
                assert.ok(use.host.startsWith("api.internal."), use.host);
                const records = run.resources.filter((r) => r.type === RECORD && (r.inputs as any).name === use.host);
                assert.strictEqual(records.length, 1, `one record for ${use.host}`);
                const rec = records[0].inputs as any;
                const slotIps: string[] = outputs.controlPlaneSlots.map((s: { ip: string }) => s.ip);
                const vpcCidr = config.network.vpcCidr as string;
                if (rec.records) {
                    assert.deepStrictEqual([...rec.records].sort(), [...slotIps].sort(), "the slots' fixed IPs");
                    for (const ip of rec.records) assert.ok(inCidr(ip, vpcCidr), `${ip} inside the VPC ${vpcCidr}`);
                } else {
                    const internalLbs = run.resources.filter((r) => r.type === LB && (r.inputs as any).internal === true);
                    assert.ok(internalLbs.length > 0 && rec.aliases.every((a: { name: string }) => /^internal-/.test(a.name)), "an alias of an internal load balancer");
                }
                // The record is visible to the nodes: in the configured zone, or in a private zone attached to the VPC.
                const privateZone = run.resources.find((r) => r.type === ZONE && (r.inputs as any).vpcs?.length > 0);
                const configuredZone = config.dns?.zoneId;
                assert.ok(rec.zoneId === configuredZone || privateZone !== undefined, "the record is in a zone the VPC resolves");
            }
        });
    });
}
