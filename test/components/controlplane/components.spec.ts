/**
 * The control plane as the program builds it, per stack (the whole program
 * under the mocks) and for the endpoint variants no stack uses (classic ELB,
 * internal NLB, no DNS zone): slots over distinct zones with their interface
 * and volume in the slot's zone, one-instance groups in the slot's subnet,
 * the slot tags everywhere, the API listener and health check, kubeadm
 * configurations read back from the slots' secret objects, the security
 * group matrix, slot-scoped IAM, user data without key material, the policy
 * pack, backups and the stack outputs.
 */
import * as assert from "assert";
import { readUserData } from "../../support/userData";
import { parseAllDocuments } from "yaml";
import { Cluster } from "../../../components/cluster";
import { instanceSubnetCidrs } from "../../../components/network";
import { firewallRules } from "../../../components/firewall";
import { calicoNodePorts } from "../../../addons/calico";
import { API_HEALTH_CHECK, ec2PrivateDnsName, secondsToLeaveRotation } from "../../../components/controlplane";
import { DLM_TARGET_TAG } from "../../../components/controlplane/backupRetention";
import { buildPlan } from "../../../tools/offline/plan";
import { runPolicies } from "../../../policies/offline";
import { keyMaterialIn } from "../../../policies/rules/lib/keymaterial";
import { Recorded, RecordedResource, Secret, runComponents, runStackFixture } from "../../support/harness";
import { clusterConfig } from "../../support/fixtures";
import { decideAll, tagContext } from "../../support/iamEval";

const T = {
    eni: "aws:ec2/networkInterface:NetworkInterface",
    volume: "aws:ebs/volume:Volume",
    lt: "aws:ec2/launchTemplate:LaunchTemplate",
    asg: "aws:autoscaling/group:Group",
    nlb: "aws:lb/loadBalancer:LoadBalancer",
    tg: "aws:lb/targetGroup:TargetGroup",
    listener: "aws:lb/listener:Listener",
    elb: "aws:elb/loadBalancer:LoadBalancer",
    eip: "aws:ec2/eip:Eip",
    eipAssoc: "aws:ec2/eipAssociation:EipAssociation",
    record: "aws:route53/record:Record",
    zone: "aws:route53/zone:Zone",
    object: "aws:s3/bucketObjectv2:BucketObjectv2",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    role: "aws:iam/role:Role",
    attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    dlm: "aws:dlm/lifecyclePolicy:LifecyclePolicy",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    slot: "k8s-aws:controlplane:Slot",
};

interface Expect {
    readonly cluster: string;
    readonly controlPlane: number;
    readonly etcd: number;
    readonly endpoint: "network" | "classic" | "elasticIp";
    readonly internal?: boolean;
    readonly dnsZone?: string;
    readonly adminCidrs: string[];
}

type Run = Recorded & { subnetZone: (id: string) => string | undefined; stackOutputs: Record<string, unknown> };
type Doc = Record<string, any>;

const tagsOf = (run: Run, r: RecordedResource): Record<string, string> => run.inputs(r).tags ?? {};
const asgTags = (run: Run, r: RecordedResource): Record<string, string> => Object.fromEntries(run.inputs(r).tags.map((t: any) => [t.key, t.value]));
const docsOf = (text: string): Record<string, Doc> =>
    Object.fromEntries(
        parseAllDocuments(text)
            .map((d) => d.toJSON() as Doc)
            .map((d) => [d.kind, d]),
    );
const arg = (list: Array<{ name: string; value: string }>, name: string) => list.find((a) => a.name === name)?.value;
const objectContent = (run: Run, key: string): { content: string; secret: boolean } => {
    const o = run.ofType(T.object).find((r) => run.inputs(r).key === key);
    assert.ok(o, `no bucket object ${key}`);
    return { content: run.inputs(o).content, secret: o.inputs.content instanceof Secret };
};

function slotResources(run: Run, e: Expect) {
    return run.ofType(T.slot).map((slot) => {
        const child = (type: string) => {
            const found = run.ofType(type).filter((r) => r.parent === slot.urn);
            assert.strictEqual(found.length, 1, `${slot.name}: ${type}`);
            return found[0];
        };
        const eni = child(T.eni);
        const slotName = tagsOf(run, eni)["k8s.io/slot"];
        return { slot, slotName, role: slotName.startsWith("etcd-") ? "etcd" : "control-plane", eni, volume: child(T.volume), lt: child(T.lt), asg: child(T.asg), cluster: e.cluster };
    });
}

function describeCluster(label: string, e: Expect, build: () => Promise<Run>) {
    describe(`control plane of ${label}`, function () {
        this.timeout(120_000);
        let run: Awaited<ReturnType<typeof build>>;
        let slots: ReturnType<typeof slotResources>;
        before(async () => {
            run = await build();
            slots = slotResources(run, e);
        });

        it("has one slot per control-plane member and etcd member, each in a distinct zone with its interface and volume there", () => {
            for (const role of ["control-plane", "etcd"]) {
                const mine = slots.filter((s) => s.role === role);
                assert.strictEqual(mine.length, role === "etcd" ? e.etcd : e.controlPlane, role);
                const zones = mine.map((s) => run.inputs(s.volume).availabilityZone);
                assert.strictEqual(new Set(zones).size, mine.length, `${role} zones ${zones}`);
                for (const s of mine) {
                    const zone = run.inputs(s.volume).availabilityZone;
                    assert.strictEqual(run.subnetZone(run.inputs(s.eni).subnetId), zone, `${s.slotName}: interface zone`);
                    assert.strictEqual(s.slotName.slice(-1), zone.slice(-1), `${s.slotName} is named after its zone`);
                }
            }
        });

        it("runs exactly one instance per slot, in the slot's subnet, from the latest template version, replaced on EC2 health", () => {
            for (const s of slots) {
                const asg = run.inputs(s.asg);
                assert.deepStrictEqual([asg.minSize, asg.maxSize, asg.desiredCapacity, asg.healthCheckType], [1, 1, 1, "EC2"], s.slotName);
                assert.deepStrictEqual(asg.vpcZoneIdentifiers, [run.inputs(s.eni).subnetId], s.slotName);
                assert.strictEqual(asg.launchTemplate.id, s.lt.id);
                assert.strictEqual(asg.launchTemplate.version, "1");
                assert.strictEqual(asg.instanceMaintenancePolicy.maxHealthyPercentage, 100, "never two instances of a slot");
            }
        });

        it("tags group, template, interface and volume with the cluster (owned), the role and the slot", () => {
            for (const s of slots) {
                const want = { [`kubernetes.io/cluster/${e.cluster}`]: "owned", [`k8s.io/role/${s.role}`]: "1", "k8s.io/slot": s.slotName };
                const lt = run.inputs(s.lt);
                const instanceSpec = lt.tagSpecifications.find((t: any) => t.resourceType === "instance").tags;
                for (const [what, tags] of [
                    ["asg", asgTags(run, s.asg)],
                    ["launch template", tagsOf(run, s.lt)],
                    ["instances", instanceSpec],
                    ["interface", tagsOf(run, s.eni)],
                    ["volume", tagsOf(run, s.volume)],
                ] as const) {
                    for (const [k, v] of Object.entries(want)) assert.strictEqual(tags[k], v, `${s.slotName} ${what} ${k}`);
                }
                assert.ok(run.inputs(s.asg).tags.every((t: any) => t.propagateAtLaunch === true));
                // The root volume must not look like the slot's data volume to the slot script.
                const rootSpec = lt.tagSpecifications.find((t: any) => t.resourceType === "volume").tags;
                assert.strictEqual(rootSpec["k8s.io/slot"], undefined);
                assert.strictEqual(tagsOf(run, s.volume)[DLM_TARGET_TAG], e.cluster);
            }
        });

        it("launches encrypted, IMDSv2-only (hop limit 1) instances with the role's profile and group; interfaces keep the fixed IP", () => {
            for (const s of slots) {
                const lt = run.inputs(s.lt);
                assert.deepStrictEqual([lt.metadataOptions.httpTokens, lt.metadataOptions.httpPutResponseHopLimit], ["required", 1]);
                assert.ok(lt.blockDeviceMappings.every((m: any) => m.ebs.encrypted === "true" && m.ebs.volumeType === "gp3"));
                assert.match(lt.iamInstanceProfile.arn, new RegExp(`instance-profile/k8s-aws/${e.cluster}/${e.cluster}-iam-${s.role === "etcd" ? `etcd-${s.slotName}` : "control-plane"}-`));
                const eni = run.inputs(s.eni);
                assert.deepStrictEqual(lt.networkInterfaces[0].securityGroups, eni.securityGroups);
                assert.strictEqual(eni.sourceDestCheck, s.role === "etcd", "Calico needs source/destination check off on control-plane interfaces");
                assert.strictEqual(eni.privateIps.length, 1);
                // dev runs in public subnets without NAT: its instances need a public address to reach anything.
                assert.strictEqual(lt.networkInterfaces[0].associatePublicIpAddress, String(e.endpoint === "elasticIp"));
                const vol = run.inputs(s.volume);
                assert.deepStrictEqual([vol.type, vol.encrypted], ["gp3", true]);
            }
        });

        it("exposes the API as configured: TCP 6443 only, a /readyz health check that drops a dead master within 30 s", () => {
            const cpGroups = slots.filter((s) => s.role === "control-plane").map((s) => run.inputs(s.asg));
            // The public balancer; the internal one behind api.internal is checked with the DNS names below.
            const pub = (type: string) => run.ofType(type).filter((r) => !r.name.includes("-internal-"));
            if (e.endpoint === "network") {
                const [lb] = pub(T.nlb).map((r) => run.inputs(r));
                assert.deepStrictEqual([lb.loadBalancerType, lb.internal, lb.enableCrossZoneLoadBalancing, lb.securityGroups.length], ["network", !!e.internal, true, 1]);
                assert.deepStrictEqual(lb.subnets, run.stackOutputs[e.internal ? "privateSubnetIds" : "publicSubnetIds"]);
                assert.strictEqual(lb.securityGroups[0], (run.stackOutputs.securityGroupIds as Record<string, string>).lb);
                const listeners = pub(T.listener).map((r) => run.inputs(r));
                assert.deepStrictEqual(
                    listeners.map((l) => [l.port, l.protocol]),
                    [[6443, "TCP"]],
                );
                const [tgRes] = pub(T.tg);
                const tg = run.inputs(tgRes);
                assert.deepStrictEqual([tg.port, tg.protocol, tg.targetType, tg.healthCheck.protocol, tg.healthCheck.path], [6443, "TCP", "instance", "HTTPS", "/readyz"]);
                assert.ok(tg.healthCheck.interval * tg.healthCheck.unhealthyThreshold <= 30);
                assert.ok(
                    secondsToLeaveRotation({
                        ...API_HEALTH_CHECK,
                        intervalSeconds: tg.healthCheck.interval,
                        timeoutSeconds: tg.healthCheck.timeout,
                        unhealthyThreshold: tg.healthCheck.unhealthyThreshold,
                    }) <= 30,
                );
                assert.strictEqual(listeners[0].defaultActions[0].targetGroupArn, tgRes.id);
                for (const g of cpGroups) assert.deepStrictEqual(g.targetGroupArns, [tgRes.id]);
                assert.strictEqual(run.ofType(T.elb).length + run.ofType(T.eip).filter((r) => /-api-/.test(r.name)).length, 0);
            } else if (e.endpoint === "classic") {
                const [elbRes] = run.ofType(T.elb);
                const elb = run.inputs(elbRes);
                assert.deepStrictEqual(elb.listeners, [{ lbPort: 6443, lbProtocol: "TCP", instancePort: 6443, instanceProtocol: "TCP" }]);
                assert.strictEqual(elb.healthCheck.target, "HTTPS:6443/readyz");
                assert.ok(elb.healthCheck.interval * elb.healthCheck.unhealthyThreshold <= 30);
                for (const g of cpGroups) assert.deepStrictEqual(g.loadBalancers, [run.inputs(elbRes).name ?? elbRes.id]);
                assert.strictEqual(pub(T.nlb).length, 0);
            } else {
                assert.strictEqual(pub(T.nlb).length + run.ofType(T.elb).length, 0);
                const [eip] = run.ofType(T.eip).filter((r) => r.name.endsWith("-api-eip"));
                const [assoc] = run.ofType(T.eipAssoc).map((r) => run.inputs(r));
                assert.strictEqual(assoc.allocationId, eip.id);
                assert.strictEqual(assoc.networkInterfaceId, slots[0].eni.id);
            }
        });

        // Was "api.internal -> the fixed IPs" for every cluster: round-robin DNS with no health check kept a dead
        // slot in rotation (issue 14, item 10). Several slots now sit behind an internal NLB checking /readyz.
        it("names the API in DNS: the public name for users; api.internal for nodes, behind a /readyz-checking internal NLB when there are several slots", () => {
            const records = run.ofType(T.record).map((r) => run.inputs(r));
            const internal = records.find((r) => r.name.startsWith("api.internal."))!;
            const slotIps = slots.filter((s) => s.role === "control-plane").map((s) => run.inputs(s.eni).privateIps[0]);
            const internalLbs = run.ofType(T.nlb).filter((r) => r.name.includes("-internal-"));
            if (e.controlPlane === 1) {
                assert.deepStrictEqual(internal.records, slotIps);
                assert.strictEqual(internalLbs.length, 0, "no balancer for a single slot");
            } else {
                assert.strictEqual(internalLbs.length, 1);
                const lb = run.inputs(internalLbs[0]);
                assert.deepStrictEqual([lb.loadBalancerType, lb.internal, lb.enableCrossZoneLoadBalancing], ["network", true, true]);
                assert.deepStrictEqual(lb.subnets, run.stackOutputs.privateSubnetIds);
                assert.deepStrictEqual(lb.securityGroups, [(run.stackOutputs.securityGroupIds as Record<string, string>).internalLb]);
                assert.deepStrictEqual(
                    internal.aliases.map((a: any) => a.evaluateTargetHealth),
                    [true],
                );
                const publicAliases = records.filter((r) => r !== internal && r.aliases).map((r) => r.aliases[0].name);
                assert.ok(typeof internal.aliases[0].name === "string" && !publicAliases.includes(internal.aliases[0].name), "an alias of its own balancer, not the public one");
                const [tgRes] = run.ofType(T.tg).filter((r) => r.name.includes("-internal-"));
                const tg = run.inputs(tgRes);
                assert.deepStrictEqual([tg.targetType, tg.preserveClientIp, tg.port, tg.healthCheck.protocol, tg.healthCheck.path], ["ip", "false", 6443, "HTTPS", "/readyz"]);
                const attached = run.ofType("aws:lb/targetGroupAttachment:TargetGroupAttachment").map((r) => run.inputs(r));
                assert.deepStrictEqual(attached.map((a) => a.targetId).sort(), [...slotIps].sort());
                assert.ok(attached.every((a) => a.targetGroupArn === tgRes.id && a.port === 6443));
                const [listener] = run
                    .ofType(T.listener)
                    .filter((r) => r.name.includes("-internal-"))
                    .map((r) => run.inputs(r));
                assert.deepStrictEqual([listener.port, listener.protocol, listener.defaultActions[0].targetGroupArn], [6443, "TCP", tgRes.id]);
            }
            if (e.dnsZone) {
                const pub = records.find((r) => r.name === `api.${e.cluster}.${e.dnsZone}`)!;
                assert.ok(pub, "public record");
                if (e.endpoint === "elasticIp") assert.deepStrictEqual(pub.records, [run.stackOutputs.elasticIp]);
                else assert.strictEqual(pub.aliases.length, 1);
                assert.strictEqual(run.ofType(T.zone).length, 0);
            } else {
                const [zone] = run.ofType(T.zone);
                assert.ok(run.inputs(zone).vpcs.length === 1, "a private zone, in the cluster's VPC");
                assert.strictEqual(internal.zoneId, zone.id);
            }
        });

        it("stores each slot's kubeadm configuration as a secret object, with the internal endpoint, every name in the certificate and the hardening flags", () => {
            const token = objectContent(run, "nodes/bootstrap-token").content;
            const hash = objectContent(run, "nodes/discovery-token-ca-cert-hash").content;
            const sans = new Set<string>();
            for (const s of slots.filter((x) => x.role === "control-plane")) {
                const ip = run.inputs(s.eni).privateIps[0];
                const init = objectContent(run, `control-plane/slots/${s.slotName}/kubeadm-init.yaml`);
                const join = objectContent(run, `control-plane/slots/${s.slotName}/kubeadm-join.yaml`);
                assert.ok(init.secret && join.secret, "secret objects");
                const d = docsOf(init.content);
                const cc = d.ClusterConfiguration;
                assert.match(cc.controlPlaneEndpoint, /^api\.internal\..*:6443$/);
                assert.strictEqual(d.InitConfiguration.localAPIEndpoint.advertiseAddress, ip);
                assert.strictEqual(d.InitConfiguration.bootstrapTokens[0].token, token);
                assert.strictEqual(d.InitConfiguration.bootstrapTokens[0].ttl, "0s");
                cc.apiServer.certSANs.forEach((x: string) => sans.add(x));
                const api = cc.apiServer.extraArgs;
                assert.deepStrictEqual(
                    [arg(api, "authorization-mode"), arg(api, "profiling"), arg(api, "encryption-provider-config"), arg(api, "tls-min-version"), arg(api, "anonymous-auth")],
                    ["Node,RBAC", "false", "/etc/kubernetes/pki/encryption-config.yaml", "VersionTLS12", undefined],
                );
                assert.strictEqual(d.KubeletConfiguration.authentication.anonymous.enabled, false);
                assert.strictEqual(d.KubeletConfiguration.readOnlyPort, 0);
                if (e.etcd > 0) {
                    const region = run.inputs(slots[0].volume).availabilityZone.slice(0, -1);
                    const members = slots.filter((m) => m.role === "etcd").map((m) => `https://${ec2PrivateDnsName(run.inputs(m.eni).privateIps[0], region)}:2379`);
                    assert.deepStrictEqual(cc.etcd.external.endpoints, members);
                } else {
                    assert.strictEqual(cc.etcd.local.dataDir, "/var/lib/etcd/data");
                }
                const jd = docsOf(join.content).JoinConfiguration;
                assert.deepStrictEqual(jd.discovery.bootstrapToken, { apiServerEndpoint: cc.controlPlaneEndpoint, token, caCertHashes: [hash] });
                assert.strictEqual(jd.controlPlane.localAPIEndpoint.advertiseAddress, ip);
            }
            const ips = slots.filter((x) => x.role === "control-plane").map((s) => run.inputs(s.eni).privateIps[0]);
            for (const ip of ips) assert.ok(sans.has(ip), ip);
            if (e.dnsZone) assert.ok(sans.has(`api.${e.cluster}.${e.dnsZone}`));
            const lbName = run.stackOutputs.loadBalancerDnsName ?? run.stackOutputs.elasticIp;
            assert.ok(sans.has(lbName as string), `SANs name ${lbName}`);
            const enc = objectContent(run, "control-plane/encryption-config.yaml");
            assert.ok(enc.secret);
            const key = docsOf(enc.content).EncryptionConfiguration.resources[0].providers[0].secretbox.keys[0];
            assert.strictEqual(Buffer.from(key.secret, "base64").length, 32);
        });

        it("opens exactly the port matrix's rules", () => {
            const input = {
                adminCidrs: e.adminCidrs,
                loadBalancer: e.endpoint !== "elasticIp",
                internalLoadBalancer: e.controlPlane > 1,
                externalEtcd: e.etcd > 0,
                podNetworkPorts: calicoNodePorts(),
            };
            const expected = firewallRules(input)
                .map((r) => `${e.cluster}-firewall-${r.name}`)
                .sort();
            assert.deepStrictEqual(
                run
                    .ofType(T.ingress)
                    .map((r) => r.name)
                    .sort(),
                expected,
            );
            const api = run
                .ofType(T.ingress)
                .map((r) => run.inputs(r))
                .filter((r) => r.cidrIpv4 !== undefined);
            assert.deepStrictEqual(api.map((r) => r.cidrIpv4).sort(), [...e.adminCidrs].sort());
            assert.ok(api.every((r) => r.fromPort === 6443 && r.toPort === 6443));
        });

        it("lets each role attach only its own slots' interfaces and volumes, by tag", async () => {
            const policyOf = (name: string) => run.inputs(run.named(T.rolePolicy, name)).policy as string;
            for (const s of slots) {
                const policy = policyOf(s.role === "etcd" ? `${e.cluster}-${s.slotName}-slot` : `${e.cluster}-control-plane-slots`);
                const instanceTags = run.inputs(s.lt).tagSpecifications.find((t: any) => t.resourceType === "instance").tags;
                for (const [res, action, arn] of [
                    [s.eni, "ec2:AttachNetworkInterface", "network-interface"],
                    [s.volume, "ec2:AttachVolume", "volume"],
                ] as const) {
                    const req = (tags: Record<string, string>) => [
                        { action, resource: `arn:aws:ec2:${run.inputs(s.volume).availabilityZone.slice(0, -1)}:123456789012:instance/i-0abc`, context: tagContext(instanceTags) },
                        { action, resource: `arn:aws:ec2:${run.inputs(s.volume).availabilityZone.slice(0, -1)}:123456789012:${arn}/${res.id}`, context: tagContext(tags) },
                    ];
                    assert.strictEqual(await decideAll(policy, req(tagsOf(run, res))), "allow", `${s.slotName} ${action}`);
                    for (const other of slots.filter((o) => o.role !== s.role || (s.role === "etcd" && o.slotName !== s.slotName))) {
                        assert.strictEqual(await decideAll(policy, req(tagsOf(run, other.role === s.role ? other.volume : other.eni))), "implicit-deny", `${s.slotName} -> ${other.slotName}`);
                    }
                }
            }
        });

        it("puts no key, token or kubeconfig into user data, and the whole stack passes the policy pack", async () => {
            const token = objectContent(run, "nodes/bootstrap-token").content;
            const encKey = docsOf(objectContent(run, "control-plane/encryption-config.yaml").content).EncryptionConfiguration.resources[0].providers[0].secretbox.keys[0].secret;
            for (const s of slots) {
                const raw = run.inputs(s.lt).userData;
                assert.strictEqual(typeof raw, "string", "user data is not a secret");
                const decoded = readUserData(raw);
                assert.ok(decoded.gzipped, `${s.slotName} user data is gzip`);
                const text = decoded.text;
                assert.match(text, /^#cloud-config\n/);
                assert.deepStrictEqual(keyMaterialIn(text), [], s.slotName);
                for (const secret of [token, token.split(".")[1], encKey]) assert.ok(!text.includes(secret), `${s.slotName} user data holds a secret`);
                assert.doesNotMatch(text, /PRIVATE KEY|client-key-data/);
            }
            const report = runPolicies(buildPlan({ project: "k8s-aws", stack: e.cluster, resources: run.resources, outputs: run.stackOutputs }));
            assert.deepStrictEqual(
                report.violations.filter((v) => v.enforcementLevel === "mandatory"),
                [],
            );
        });

        it("backs etcd up: lifecycle rules for the snapshot prefixes and a DLM policy over the slots' data volumes", () => {
            const rules = run.inputs(run.ofType(T.lifecycle)[0]).rules.map((r: any) => r.filter?.prefix ?? "*");
            for (const p of ["hourly/", "daily/"]) assert.ok(rules.includes(`backups/etcd/${e.cluster}/${p}`), p);
            const dlm = run.inputs(run.ofType(T.dlm)[0]);
            assert.deepStrictEqual(dlm.policyDetails.targetTags, { [DLM_TARGET_TAG]: e.cluster });
            assert.deepStrictEqual(dlm.policyDetails.resourceTypes, ["VOLUME"]);
            const role = run.ofType(T.role).find((r) => r.name.endsWith("-etcd-snapshots-role"))!;
            assert.deepStrictEqual(JSON.parse(run.inputs(role).assumeRolePolicy).Statement[0].Principal, { Service: "dlm.amazonaws.com" });
            assert.match(dlm.executionRoleArn, new RegExp(`:role/k8s-aws/${e.cluster}/${role.id}$`));
            assert.match(run.inputs(run.ofType(T.attachment)[0]).policyArn, /^arn:aws:iam::aws:policy\/service-role\/AWSDataLifecycleManagerServiceRole$/);
        });

        it("exports the endpoint, a secret kubeconfig, the load balancer or Elastic IP, slots, members and security groups", () => {
            const o = run.stackOutputs;
            assert.match(o.apiEndpoint as string, e.dnsZone ? new RegExp(`^https://api\\.${e.cluster}\\.${e.dnsZone.replace(/\./g, "\\.")}:6443$`) : /^https:\/\/.+:6443$/);
            assert.match(o.nodeApiEndpoint as string, /^https:\/\/api\.internal\..+:6443$/);
            assert.ok(o.kubeconfig instanceof Secret);
            assert.ok(e.endpoint === "elasticIp" ? typeof o.elasticIp === "string" : typeof o.loadBalancerDnsName === "string");
            assert.strictEqual((o.controlPlaneSlots as unknown[]).length, e.controlPlane);
            assert.strictEqual((o.etcdMembers as unknown[]).length, e.etcd);
            const groups = o.securityGroupIds as Record<string, string>;
            assert.deepStrictEqual(
                Object.keys(groups).sort(),
                [...(e.endpoint === "elasticIp" ? [] : ["lb"]), ...(e.controlPlane > 1 ? ["internalLb"] : []), "controlPlane", ...(e.etcd > 0 ? ["etcd"] : []), "nodes"].sort(),
            );
            for (const id of Object.values(groups)) assert.match(id, /^sg-[0-9a-f]{17}$/);
        });
    });
}

/** The whole program for a stack file; zones of subnets from its Subnet resources or (existing VPC) its outputs. */
async function stack(name: string) {
    const run = await runStackFixture(name, { preview: false });
    const outputs = run.run.outputs;
    const zones = outputs.availabilityZones as string[];
    const byId = new Map<string, string>();
    (outputs.privateSubnetIds as string[]).forEach((id, i) => byId.set(id, zones[i]));
    (outputs.publicSubnetIds as string[]).forEach((id, i) => byId.set(id, zones[i]));
    return Object.assign(run, { subnetZone: (id: string) => byId.get(id), stackOutputs: outputs });
}

/** A Cluster component alone (no stack file) for configurations no stack uses. */
async function variant(overrides: Record<string, unknown>, region = "eu-west-1"): Promise<Run> {
    const config = clusterConfig({ nodePools: [{ name: "general", instanceTypes: ["m7i.large"], min: 3, desired: 3, max: 6 }], ...overrides }, region);
    const run = await runComponents(() => new Cluster(config.name, { config, instanceSubnetCidrs: instanceSubnetCidrs(config.network as never, config.zones) }), { region });
    const outputs = (await run.outputs(run.result.stackOutputs())) as Record<string, unknown>;
    const subnets = run.ofType("aws:ec2/subnet:Subnet");
    const secretOutputs = { ...outputs, kubeconfig: new Secret(outputs.kubeconfig) };
    return Object.assign(run, { subnetZone: (id: string) => subnets.find((s) => s.id === id)?.inputs.availabilityZone as string | undefined, stackOutputs: secretOutputs });
}

describeCluster("dev (one slot, Elastic IP)", { cluster: "dev", controlPlane: 1, etcd: 0, endpoint: "elasticIp", dnsZone: "k8s.example.net", adminCidrs: ["198.51.100.0/24"] }, () => stack("dev"));
describeCluster(
    "staging (3 slots, stacked etcd, NLB)",
    { cluster: "staging", controlPlane: 3, etcd: 0, endpoint: "network", dnsZone: "k8s.example.net", adminCidrs: ["198.51.100.0/24", "203.0.113.0/24"] },
    () => stack("staging"),
);
describeCluster("prod (3 slots, 3 external etcd members, NLB)", { cluster: "prod", controlPlane: 3, etcd: 3, endpoint: "network", dnsZone: "k8s.example.net", adminCidrs: ["198.51.100.0/24"] }, () =>
    stack("prod"),
);
describeCluster("existing-vpc (someone else's subnets)", { cluster: "platform", controlPlane: 3, etcd: 0, endpoint: "network", dnsZone: "platform.example.com", adminCidrs: ["203.0.113.0/24"] }, () =>
    stack("existing-vpc"),
);
describeCluster("a classic ELB", { cluster: "demo", controlPlane: 3, etcd: 0, endpoint: "classic", dnsZone: "k8s.example.com", adminCidrs: ["203.0.113.0/24"] }, () =>
    variant({ controlPlane: { loadBalancerType: "classic" } }),
);
describeCluster(
    "an internal NLB with 5 external etcd members (us-east-1)",
    { cluster: "demo", controlPlane: 3, etcd: 5, endpoint: "network", internal: true, dnsZone: "k8s.example.com", adminCidrs: ["203.0.113.0/24"] },
    () => variant({ availabilityZones: 5, controlPlane: { apiAccess: "internal" }, etcd: { topology: "external", members: 5 } }, "us-east-1"),
);
describeCluster("no DNS zone (a private zone for the internal name)", { cluster: "demo", controlPlane: 3, etcd: 0, endpoint: "network", adminCidrs: ["203.0.113.0/24"] }, () =>
    variant({ dns: undefined, addons: { externalDns: false } }),
);
