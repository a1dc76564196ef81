/**
 * The control plane's pure decisions, table-driven: which endpoint and names,
 * the certificate's SANs, the load balancer's health arithmetic, the
 * large-cluster guard, the slot's user data (order, size, no secrets) and the
 * slot-secrets fetch script (shellcheck, run against stubs).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { readUserData } from "../../support/userData";
import { parse } from "yaml";
import {
    API_HEALTH_CHECK,
    CONTROL_PLANE_SIZES,
    classicElbArgs,
    controlPlaneSizeWarning,
    endpointCertSans,
    instanceSize,
    internalTargetGroupArgs,
    maxClusterNodes,
    nlbListenerArgs,
    nlbTargetGroupArgs,
    planEndpoint,
    secondsToLeaveRotation,
} from "../../../components/controlplane";
import {
    ENCRYPTION_CONFIG,
    KUBEADM_INIT_CONFIG,
    KUBEADM_JOIN_CONFIG,
    CONTROL_PLANE_UNIT,
    SECRETS_UNIT,
    SLOT_SECRETS_UNIT,
    USER_DATA_LIMIT_BYTES,
    controlPlaneUserData,
    encodeUserData,
    etcdMemberUserData,
    renderSlotSecretsScript,
} from "../../../components/host";

import { controlPlaneSlotObjects, controlPlaneExtraObjects, objectKey } from "../../../components/secrets";
import { readBoot } from "../../../policies/rules/lib/boot";
import { tmpfsProblems } from "../../../policies/rules/lib/tmpfs";
import { keyMaterialIn } from "../../../policies/rules/lib/keymaterial";
import { assertShellcheckClean, removeTempDirs, tempDir } from "../../support/shell";
import { makeWorld, runScript } from "../../support/stubs";
import { SLOT_REGION, SLOT_USER_DATA_COMMON, SLOT_API_ENDPOINT, prodSlots } from "../../support/slotFixtures";

const endpointConfig = (over: { count?: number; endpoint?: "loadBalancer" | "elasticIp"; loadBalancerType?: "network" | "classic"; apiAccess?: "public" | "internal"; dns?: boolean } = {}) => ({
    name: "prod",
    controlPlane: { count: over.count ?? 3, endpoint: over.endpoint ?? "loadBalancer", loadBalancerType: over.loadBalancerType ?? "network", apiAccess: over.apiAccess ?? "public" },
    dns: over.dns === false ? undefined : { zoneName: "k8s.example.net", zoneId: "Z1D633PJN98FT9" },
});

describe("controlplane/endpoint: which endpoint, which names", () => {
    const cases = [
        { name: "NLB, public, with DNS", over: {}, kind: "network", internal: false, publicName: "api.prod.k8s.example.net", nodeName: "api.internal.prod.k8s.example.net", zone: "configured" },
        {
            name: "NLB, internal",
            over: { apiAccess: "internal" as const },
            kind: "network",
            internal: true,
            publicName: "api.prod.k8s.example.net",
            nodeName: "api.internal.prod.k8s.example.net",
            zone: "configured",
        },
        {
            name: "classic ELB",
            over: { loadBalancerType: "classic" as const },
            kind: "classic",
            internal: false,
            publicName: "api.prod.k8s.example.net",
            nodeName: "api.internal.prod.k8s.example.net",
            zone: "configured",
        },
        {
            name: "Elastic IP (never internal)",
            over: { endpoint: "elasticIp" as const, apiAccess: "internal" as const },
            kind: "elasticIp",
            internal: false,
            publicName: "api.prod.k8s.example.net",
            nodeName: "api.internal.prod.k8s.example.net",
            zone: "configured",
        },
        {
            name: "no DNS zone: a private zone of the cluster's own",
            over: { dns: false },
            kind: "network",
            internal: false,
            publicName: undefined,
            nodeName: "api.internal.prod.k8s-aws.internal",
            zone: "private",
        },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const p = planEndpoint(endpointConfig(c.over));
            assert.deepStrictEqual([p.kind, p.internal, p.publicName, p.nodeName, p.internalZone.kind], [c.kind, c.internal, c.publicName, c.nodeName, c.zone]);
            if (p.internalZone.kind === "private") assert.ok(p.nodeName.endsWith(`.${p.internalZone.name}`), "the internal record lies inside the private zone");
        });
    }

    it("puts api.internal behind a health-checking internal balancer when there are slots to fail over to, and not for one slot", () => {
        for (const count of [3, 5]) assert.strictEqual(planEndpoint(endpointConfig({ count })).internalBalancer, true, `${count} slots`);
        assert.strictEqual(planEndpoint(endpointConfig({ count: 1, endpoint: "elasticIp" })).internalBalancer, false);
        // The internal balancer forwards from its own address: IP targets, client IP preservation off, the same /readyz check.
        const tg = internalTargetGroupArgs();
        assert.deepStrictEqual([tg.targetType, tg.preserveClientIp, tg.protocol, tg.port, tg.healthCheck.protocol, tg.healthCheck.path], ["ip", "false", "TCP", 6443, "HTTPS", "/readyz"]);
        assert.ok(secondsToLeaveRotation(API_HEALTH_CHECK) <= 30);
    });

    it("puts both names, the balancer's name or the Elastic IP, and every slot IP in the apiserver certificate", () => {
        const ips = ["10.30.0.10", "10.30.32.10", "10.30.64.10"];
        const sans = endpointCertSans(planEndpoint(endpointConfig()), { slotIps: ips, loadBalancerDnsName: "prod-api-0123.elb.eu-west-1.amazonaws.com" });
        for (const s of ["api.prod.k8s.example.net", "api.internal.prod.k8s.example.net", "prod-api-0123.elb.eu-west-1.amazonaws.com", ...ips, "kubernetes.default.svc.cluster.local"])
            assert.ok(sans.includes(s), s);
        const eip = endpointCertSans(planEndpoint(endpointConfig({ endpoint: "elasticIp", dns: false })), { slotIps: ["10.10.0.10"], elasticIp: "52.1.2.3" });
        assert.ok(eip.includes("52.1.2.3") && eip.includes("api.internal.prod.k8s-aws.internal"));
        assert.strictEqual(new Set(sans).size, sans.length);
    });
});

describe("controlplane/loadBalancer: TCP pass-through and a fast health check", () => {
    it("takes a dead master out of rotation within 30 s (interval x unhealthyThreshold + timeout)", () => {
        const h = API_HEALTH_CHECK;
        assert.ok(h.intervalSeconds * h.unhealthyThreshold <= 30);
        assert.strictEqual(secondsToLeaveRotation(h), 25);
        // ELBv2 limits: interval 5-300, timeout 2-120 and below the interval (classic), thresholds 2-10.
        assert.ok(h.intervalSeconds >= 5 && h.timeoutSeconds >= 2 && h.timeoutSeconds < h.intervalSeconds);
        for (const t of [h.healthyThreshold, h.unhealthyThreshold]) assert.ok(t >= 2 && t <= 10);
    });

    it("listens and forwards TCP 6443 only, checks HTTPS /readyz", () => {
        const tg = nlbTargetGroupArgs();
        assert.deepStrictEqual([tg.port, tg.protocol, tg.targetType, tg.healthCheck.protocol, tg.healthCheck.path, tg.healthCheck.port], [6443, "TCP", "instance", "HTTPS", "/readyz", "traffic-port"]);
        const l = nlbListenerArgs("arn:tg");
        assert.deepStrictEqual([l.port, l.protocol, l.defaultActions], [6443, "TCP", [{ type: "forward", targetGroupArn: "arn:tg" }]]);
        const elb = classicElbArgs();
        assert.deepStrictEqual(elb.listeners, [{ lbPort: 6443, lbProtocol: "TCP", instancePort: 6443, instanceProtocol: "TCP" }]);
        assert.strictEqual(elb.healthCheck.target, "HTTPS:6443/readyz");
    });
});

describe("controlplane/sizing: the large-cluster guard", () => {
    const cases: { type: string; nodes: number; warns: boolean }[] = [
        { type: "t3.medium", nodes: 1, warns: false },
        { type: "t3.medium", nodes: 6, warns: true },
        { type: "m7i.large", nodes: 9, warns: false },
        { type: "m7i.large", nodes: 11, warns: true },
        { type: "m7i.xlarge", nodes: 83, warns: false },
        { type: "c7i.xlarge", nodes: 50, warns: true },
        { type: "r7i.2xlarge", nodes: 250, warns: false },
        { type: "m7i.2xlarge", nodes: 400, warns: true },
        { type: "c7i.12xlarge", nodes: 1000, warns: false },
        { type: "i4i.large", nodes: 1000, warns: false },
    ];
    for (const c of cases) {
        it(`${c.type} for ${c.nodes} nodes: ${c.warns ? "warns" : "quiet"}`, () => {
            const w = controlPlaneSizeWarning(c.type, c.nodes);
            assert.strictEqual(w !== undefined, c.warns, w);
            if (w) assert.match(w, new RegExp(`controlPlane\\.instanceType ${c.type.replace(".", "\\.")} .*up to ${c.nodes} nodes: at least \\d+ vCPU and [\\d.]+ GiB`));
        });
    }

    it("reads vCPUs and memory from the instance type, and refuses to guess for unknown families", () => {
        assert.deepStrictEqual(instanceSize("m7i.xlarge"), { vcpus: 4, memoryGiB: 16 });
        assert.deepStrictEqual(instanceSize("c7gn.16xlarge"), { vcpus: 64, memoryGiB: 128 });
        assert.deepStrictEqual(instanceSize("t3.medium"), { vcpus: 2, memoryGiB: 4 });
        assert.strictEqual(instanceSize("p5.48xlarge"), undefined);
        assert.strictEqual(instanceSize("m7i.metal-24xl"), undefined);
    });

    it("counts every pool at its max plus the control plane, against an ascending table", () => {
        assert.strictEqual(maxClusterNodes([{ max: 30 }, { max: 50 }], 3), 83);
        CONTROL_PLANE_SIZES.slice(1).forEach((s, i) => assert.ok(s.upToNodes > CONTROL_PLANE_SIZES[i].upToNodes && s.vcpus >= CONTROL_PLANE_SIZES[i].vcpus));
    });
});

const REGION = SLOT_REGION;
const slots = prodSlots(3);
const common = SLOT_USER_DATA_COMMON;
const cpData = (topology: "stacked" | "external") =>
    controlPlaneUserData({ ...common, slot: slots.controlPlane[0], etcdTopology: topology, controlPlaneCount: 3, controlPlaneEndpoint: SLOT_API_ENDPOINT });
const etcdData = () => etcdMemberUserData({ ...common, slot: slots.etcd[1], etcdTopology: "external", members: slots.etcd, volumeSizeGiB: 50 });

describe("controlplane/userData: what a slot boots with", () => {
    const runcmds = (text: string) => (parse(text.replace(/^#cloud-config\n/, "")).runcmd as string[][]).map((c) => c.join(" "));

    for (const [label, text] of [
        ["control plane, stacked", cpData("stacked")],
        ["control plane, external", cpData("external")],
        ["etcd member", etcdData()],
    ] as const) {
        it(`${label}: fits EC2's 16 KB once compressed, and decodes back to the same text`, () => {
            const encoded = encodeUserData(text);
            const decoded = readUserData(encoded);
            assert.ok(decoded.bytes <= USER_DATA_LIMIT_BYTES, `${decoded.bytes} bytes`);
            assert.ok(decoded.gzipped, "compressed (gzip)");
            assert.strictEqual(decoded.text, text);
            assert.strictEqual(encodeUserData(text), encoded, "deterministic");
        });

        it(`${label}: carries no key material and mounts the tmpfs before anything lands there`, () => {
            assert.deepStrictEqual(keyMaterialIn(text), []);
            const boot = readBoot(Buffer.from(text).toString("base64"));
            const dirs = label === "etcd member" ? ["/etc/kubernetes/pki", "/etc/etcd/pki"] : ["/etc/kubernetes/pki"];
            const problems = tmpfsProblems(boot, {
                required: dirs,
                secretsDirs: ["/etc/kubernetes/pki", "/etc/etcd/pki"],
                secretSource: /secret|pki|private|token|kubeconfig|\.key$|-key\.pem$/i,
                kubeadmCertDir: "/etc/kubernetes/pki",
            });
            assert.deepStrictEqual(problems, []);
        });
    }

    it("runs node setup first, then the slot, the role's secrets, the slot's secrets, and kubeadm last (not holding cloud-init)", () => {
        const order = runcmds(cpData("stacked")).filter((c) => /enable|start/.test(c));
        const at = (s: string) => order.findIndex((c) => c.includes(s));
        const seq = ["k8s-aws-node-setup.service", "k8s-aws-slot.service", SECRETS_UNIT, SLOT_SECRETS_UNIT, CONTROL_PLANE_UNIT];
        seq.forEach((u, i) => assert.ok(at(u) >= 0 && (i === 0 || at(u) > at(seq[i - 1])), `${u} in ${order.join(" | ")}`));
        assert.ok(order.includes(`systemctl start --no-block ${CONTROL_PLANE_UNIT}`));
    });

    it("runs the etcd backup timer where etcd runs: stacked control planes and external members, not an external topology's control plane", () => {
        assert.ok(runcmds(cpData("stacked")).includes("systemctl enable --now k8s-aws-etcd-backup.timer"));
        assert.ok(!runcmds(cpData("external")).some((c) => c.includes("etcd-backup")));
        assert.ok(runcmds(etcdData()).includes("systemctl enable --now k8s-aws-etcd-backup.timer"));
    });

    it("installs on an etcd member only what etcd needs: no runtime, no kubelet, nothing from pkgs.k8s.io", () => {
        const doc = parse(etcdData().replace(/^#cloud-config\n/, "")) as { write_files: { path: string; content: string }[] };
        const setup = doc.write_files.find((f) => f.path === "/usr/local/sbin/k8s-aws-node-setup")!.content;
        assert.match(setup, /^ROLE=etcd$/m);
        assert.doesNotMatch(setup, /pkgs\.k8s\.io|apt-get|containerd\.service|kubelet=/);
        assert.match(setup, /^PINNED_ETCD=\d+\.\d+\.\d+$/m);
        const unit = doc.write_files.find((f) => f.path === "/etc/systemd/system/k8s-aws-node-setup.service")!.content;
        assert.match(unit, /^RequiredBy=etcd\.service$/m);
        assert.ok(!doc.write_files.some((f) => /kubelet|containerd/.test(f.path)), doc.write_files.map((f) => f.path).join(" "));
        // The control plane still gets the runtime and the Kubernetes packages.
        assert.match(cpData("external"), /ROLE=kubernetes/);
    });

    it("configures an etcd member with the member's fixed IP, every member's stable name, and hands it its keys", () => {
        const doc = parse(etcdData().replace(/^#cloud-config\n/, "")) as { write_files: { path: string; content: string }[] };
        const file = (p: string) => doc.write_files.find((f) => f.path === p)!.content;
        const config = parse(file("/etc/etcd/etcd.yaml"));
        assert.strictEqual(config.name, "etcd-b");
        assert.strictEqual(config["listen-peer-urls"], `https://${slots.etcd[1].ip}:2380`);
        assert.strictEqual(config["initial-cluster"], slots.etcd.map((m) => `${m.name}=https://${m.dnsName}:2380`).join(","));
        assert.match(file("/etc/systemd/system/etcd.service.d/10-k8s-aws-pki-owner.conf"), /^ExecStartPre=\+\/bin\/chown -R etcd:etcd \/etc\/etcd\/pki$/m);
        assert.match(file("/usr/local/sbin/k8s-aws-etcd-restore"), /INITIAL_CLUSTER='etcd-a=https:\/\/ip-10-30-0-11\.eu-west-1\.compute\.internal:2380,/);
    });
});

describe("controlplane/slotSecrets: the slot's own secrets onto tmpfs", function () {
    this.timeout(30_000);
    after(removeTempDirs);
    const objects = controlPlaneSlotObjects("control-plane-a");
    const script = renderSlotSecretsScript({ slot: "control-plane-a", bucket: "prod-secrets-0123456789", region: REGION, objects, attempts: 2 });

    it("fetches this slot's kubeadm configurations and the encryption configuration to the paths kubeadm and kube-apiserver read", () => {
        assert.deepStrictEqual(
            objects.map((o) => [objectKey(o), o.path, o.mode, o.secret]),
            [
                ["control-plane/slots/control-plane-a/kubeadm-init.yaml", KUBEADM_INIT_CONFIG, "0600", true],
                ["control-plane/slots/control-plane-a/kubeadm-join.yaml", KUBEADM_JOIN_CONFIG, "0600", true],
                ["control-plane/encryption-config.yaml", ENCRYPTION_CONFIG, "0600", true],
            ],
        );
        assert.strictEqual(controlPlaneExtraObjects(["control-plane-a", "control-plane-b"]).filter((o) => o.name === "encryption-config.yaml").length, 1);
        assert.throws(() => renderSlotSecretsScript({ slot: "a", bucket: "b-bucket", region: REGION, objects: [{ ...objects[0], path: "/var/lib/init.yaml" }] }), /outside the tmpfs/);
    });

    it("is clean POSIX sh", () => assertShellcheckClean(script, "slot secrets script"));

    it("refuses to write anything when the tmpfs is not mounted", async () => {
        const world = makeWorld(tempDir("slot-secrets"), "no-tmpfs", tempDir("s3"));
        const r = await runScript(script, world);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /is not mounted/);
        assert.ok(!world.calls().some((c) => c.startsWith("aws")));
    });

    it("downloads each object through a .part file, sets 0600, and retries a failed download", async () => {
        const world = makeWorld(tempDir("slot-secrets"), "ok", tempDir("s3"));
        fs.writeFileSync(path.join(world.state, "mounted"), "");
        // An aws stub for `s3 cp`: fails the first attempt of each key, then writes "<key>" to the destination.
        fs.writeFileSync(
            path.join(world.root, "..", "bin", "aws"),
            `#!/bin/sh\nprintf '%s\\n' "aws $*" >>"$STUB_LOG"\nsrc=$6; dst=$7\nf="$STUB_STATE/seen-$(printf %s "$src" | tr '/:' '__')"\nif [ ! -f "$f" ]; then touch "$f"; exit 1; fi\nprintf '%s' "$src" >"$dst"\n`,
            { mode: 0o755 },
        );
        const r = await runScript(script, world);
        assert.strictEqual(r.code, 0, r.stderr);
        for (const o of objects) {
            const file = path.join(world.root, o.path);
            assert.strictEqual(fs.readFileSync(file, "utf8"), `s3://prod-secrets-0123456789/${objectKey(o)}`);
            assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600, o.path);
            assert.ok(!fs.existsSync(`${file}.part`));
        }
        assert.strictEqual(fs.statSync(path.join(world.root, "etc/kubernetes/pki/kubeadm")).mode & 0o777, 0o700);
        assert.strictEqual(world.calls().filter((c) => c.startsWith("aws")).length, 2 * objects.length);
    });
});
