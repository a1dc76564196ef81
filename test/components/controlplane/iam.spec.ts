/**
 * The control-plane and etcd roles' policies, evaluated as AWS would: slot
 * attachment only for this cluster's slots of the role (interface, volume and
 * the instance alike), the init marker only, backups only under the cluster's
 * prefix; and the bucket policy's confinement of reads and writes per role.
 */
import * as assert from "assert";
import { backupStatements, controlPlaneBucketAccess, initMarkerStatements, renderStatements, slotAttachmentStatements } from "../../../components/controlplane";
import { slotTags } from "../../../lib/naming";
import { SecretsReaders, secretsBucketPolicy } from "../../../components/secrets";
import { Request, decide, decideAll, resourcesOfAction, tagContext } from "../../support/iamEval";

const BUCKET = "arn:aws:s3:::prod-secrets-0123";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-4333-a444-555555555555";
const ec2 = (type: string, id: string) => `arn:aws:ec2:eu-west-1:123456789012:${type}/${id}`;
const CP_SLOTS = ["control-plane-a", "control-plane-b", "control-plane-c"];

const cpPolicy = renderStatements(slotAttachmentStatements({ cluster: "prod", role: "control-plane", slots: CP_SLOTS, region: "eu-west-1", partition: "aws" }));
const etcdAPolicy = renderStatements(slotAttachmentStatements({ cluster: "prod", role: "etcd", slots: ["etcd-a"], region: "eu-west-1", partition: "aws" }));

/** AttachNetworkInterface / AttachVolume: the instance and the attached resource, each with its own tags. */
function attach(kind: "eni" | "volume", resourceTags: Record<string, string>, instanceTags: Record<string, string>): Request[] {
    const action = kind === "eni" ? "ec2:AttachNetworkInterface" : "ec2:AttachVolume";
    const type = kind === "eni" ? "network-interface" : "volume";
    return [
        { action, resource: ec2("instance", "i-0123456789abcdef0"), context: tagContext(instanceTags) },
        { action, resource: ec2(type, kind === "eni" ? "eni-0123456789abcdef0" : "vol-0123456789abcdef0"), context: tagContext(resourceTags) },
    ];
}

describe("controlplane/iam: slot attachment", () => {
    const cp = (slot: string, cluster = "prod") => slotTags(cluster, {}, "control-plane", slot);
    const etcd = (slot: string, cluster = "prod") => slotTags(cluster, {}, "etcd", slot);
    const cases: { name: string; policy: string; kind: "eni" | "volume"; resource: Record<string, string>; instance: Record<string, string>; allowed: boolean }[] = [
        { name: "its own slot's interface to its instance", policy: cpPolicy, kind: "eni", resource: cp("control-plane-a"), instance: cp("control-plane-a"), allowed: true },
        { name: "its own slot's volume to its instance", policy: cpPolicy, kind: "volume", resource: cp("control-plane-b"), instance: cp("control-plane-b"), allowed: true },
        { name: "an etcd member's volume", policy: cpPolicy, kind: "volume", resource: etcd("etcd-a"), instance: cp("control-plane-a"), allowed: false },
        { name: "another cluster's control-plane volume", policy: cpPolicy, kind: "volume", resource: cp("control-plane-a", "staging"), instance: cp("control-plane-a"), allowed: false },
        { name: "a slot volume onto an untagged instance (a node, anything else)", policy: cpPolicy, kind: "volume", resource: cp("control-plane-a"), instance: { Name: "x" }, allowed: false },
        { name: "a volume tagged with an unknown slot", policy: cpPolicy, kind: "volume", resource: cp("control-plane-z"), instance: cp("control-plane-a"), allowed: false },
        {
            name: "a volume without the cluster tag",
            policy: cpPolicy,
            kind: "eni",
            resource: { "k8s.io/slot": "control-plane-a", "k8s.io/role/control-plane": "1" },
            instance: cp("control-plane-a"),
            allowed: false,
        },
        { name: "etcd-a: its own interface", policy: etcdAPolicy, kind: "eni", resource: etcd("etcd-a"), instance: etcd("etcd-a"), allowed: true },
        { name: "etcd-a: etcd-b's volume (another member's data)", policy: etcdAPolicy, kind: "volume", resource: etcd("etcd-b"), instance: etcd("etcd-a"), allowed: false },
        { name: "etcd-a: a control-plane volume", policy: etcdAPolicy, kind: "volume", resource: cp("control-plane-a"), instance: etcd("etcd-a"), allowed: false },
    ];
    for (const c of cases) {
        it(`${c.allowed ? "allows" : "denies"} ${c.name}`, async () => {
            assert.strictEqual(await decideAll(c.policy, attach(c.kind, c.resource, c.instance)), c.allowed ? "allow" : "implicit-deny");
        });
    }

    it("lets the slot script describe (EC2 has no resource-level permissions there) but never detach, create or delete", async () => {
        for (const action of ["ec2:DescribeNetworkInterfaces", "ec2:DescribeVolumes"]) assert.strictEqual(await decide(cpPolicy, { action, resource: "*" }), "allow");
        for (const action of ["ec2:DetachVolume", "ec2:DeleteVolume", "ec2:CreateVolume", "ec2:DetachNetworkInterface", "ec2:ModifyInstanceAttribute"]) {
            // Each call names only the resource types the action has (iam-data): DeleteVolume a volume, ModifyInstanceAttribute an instance.
            const kind = action.includes("NetworkInterface") ? "eni" : "volume";
            const requests = (await resourcesOfAction(action, attach(kind, cp("control-plane-a"), cp("control-plane-a")))).map((r) => ({ ...r, action }));
            assert.ok(requests.length > 0, action);
            assert.strictEqual(await decideAll(cpPolicy, requests), "implicit-deny", action);
        }
    });

    it("scopes every Attach statement by the cluster, role and slot tags", () => {
        for (const st of JSON.parse(cpPolicy).Statement.filter((s: any) => /Attach/.test(s.Sid))) {
            assert.deepStrictEqual(Object.keys(st.Condition.StringEquals).sort(), [
                "aws:ResourceTag/k8s.io/role/control-plane",
                "aws:ResourceTag/k8s.io/slot",
                "aws:ResourceTag/kubernetes.io/cluster/prod",
            ]);
            assert.deepStrictEqual(st.Condition.StringEquals["aws:ResourceTag/k8s.io/slot"], CP_SLOTS);
        }
    });
});

describe("controlplane/iam: init marker and backups", () => {
    const marker = renderStatements(initMarkerStatements(BUCKET, KEY));
    const backups = renderStatements(backupStatements("prod", BUCKET, KEY));
    const obj = (key: string) => `${BUCKET}/${key}`;

    it("claims and reads the init marker only", async () => {
        for (const action of ["s3:PutObject", "s3:GetObject"]) assert.strictEqual(await decide(marker, { action, resource: obj("control-plane/cluster-initialized") }), "allow");
        for (const key of ["control-plane/ca.key", "control-plane/cluster-initialized-x", "nodes/bootstrap-token"])
            assert.strictEqual(await decide(marker, { action: "s3:PutObject", resource: obj(key) }), "implicit-deny", key);
        assert.strictEqual(await decide(marker, { action: "s3:DeleteObject", resource: obj("control-plane/cluster-initialized") }), "implicit-deny");
        assert.strictEqual(await decide(marker, { action: "kms:GenerateDataKey", resource: KEY }), "allow");
    });

    it("writes, reads and lists backups under backups/etcd/<cluster>/ only, and never deletes", async () => {
        for (const action of ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"])
            assert.strictEqual(await decide(backups, { action, resource: obj("backups/etcd/prod/hourly/2026-01-01T00.db") }), "allow", action);
        assert.strictEqual(await decide(backups, { action: "s3:PutObject", resource: obj("backups/etcd/staging/hourly/x.db") }), "implicit-deny");
        assert.strictEqual(await decide(backups, { action: "s3:PutObject", resource: obj("control-plane/ca.key") }), "implicit-deny");
        assert.strictEqual(await decide(backups, { action: "s3:DeleteObject", resource: obj("backups/etcd/prod/daily/x.db") }), "implicit-deny");
        assert.strictEqual(await decide(backups, { action: "s3:ListBucket", resource: BUCKET, context: { "s3:prefix": "backups/etcd/prod/hourly/" } }), "allow");
        assert.strictEqual(await decide(backups, { action: "s3:ListBucket", resource: BUCKET, context: { "s3:prefix": "control-plane/" } }), "implicit-deny");
        assert.strictEqual(await decide(backups, { action: "s3:ListBucket", resource: BUCKET }), "implicit-deny");
        for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) assert.strictEqual(await decide(backups, { action, resource: KEY }), "allow");
    });
});

describe("controlplane/iam: the bucket policy confines every role's reads and writes", () => {
    const ROLE = (n: string) => `arn:aws:iam::123456789012:role/k8s-aws/prod/${n}`;
    const readers: SecretsReaders = { controlPlane: ROLE("cp"), node: ROLE("node"), etcd: { "etcd-a": ROLE("etcd-a"), "etcd-b": ROLE("etcd-b") } };
    const put = (key: string, principal: string): Request => ({ action: "s3:PutObject", resource: `${BUCKET}/${key}`, principal });
    const get = (key: string, principal: string): Request => ({ action: "s3:GetObject", resource: `${BUCKET}/${key}`, principal });
    const backup = "backups/etcd/prod/hourly/2026-01-01T00.db";

    for (const topology of ["stacked", "external"] as const) {
        describe(topology, () => {
            const policy = secretsBucketPolicy(BUCKET, readers, controlPlaneBucketAccess("prod", topology));
            const runsEtcd = (who: string) => (topology === "stacked" ? who === readers.controlPlane : who === readers.etcd["etcd-a"] || who === readers.etcd["etcd-b"]);

            it("lets only the control plane write the init marker", async () => {
                assert.notStrictEqual(await decide(policy, put("control-plane/cluster-initialized", readers.controlPlane)), "explicit-deny");
                for (const p of [readers.node, readers.etcd["etcd-a"]]) assert.strictEqual(await decide(policy, put("control-plane/cluster-initialized", p)), "explicit-deny");
            });

            it("lets exactly the members that run etcd write and read backups", async () => {
                for (const p of [readers.controlPlane, readers.node, readers.etcd["etcd-a"], readers.etcd["etcd-b"]]) {
                    const want = runsEtcd(p) ? "not-denied" : "explicit-deny";
                    for (const req of [put(backup, p), get(backup, p)]) {
                        const d = await decide(policy, req);
                        assert.strictEqual(d === "explicit-deny" ? "explicit-deny" : "not-denied", want, `${p} ${req.action}`);
                    }
                }
            });

            it("denies every instance role any other write, and every deletion", async () => {
                for (const p of [readers.controlPlane, readers.node, readers.etcd["etcd-a"]]) {
                    for (const key of ["control-plane/ca.key", "nodes/bootstrap-token", "etcd/etcd-a/server.key", "control-plane/slots/control-plane-a/kubeadm-init.yaml"]) {
                        assert.strictEqual(await decide(policy, put(key, p)), "explicit-deny", `${p} ${key}`);
                    }
                    for (const key of [backup, "control-plane/cluster-initialized"]) {
                        assert.strictEqual(await decide(policy, { action: "s3:DeleteObject", resource: `${BUCKET}/${key}`, principal: p }), "explicit-deny");
                    }
                }
            });

            it("keeps the slot secrets (kubeadm configurations, encryption key) readable by the control plane only", async () => {
                for (const key of ["control-plane/slots/control-plane-a/kubeadm-join.yaml", "control-plane/encryption-config.yaml"]) {
                    assert.strictEqual(await decide(policy, get(key, readers.controlPlane)), "allow", key);
                    for (const p of [readers.node, readers.etcd["etcd-a"]]) assert.strictEqual(await decide(policy, get(key, p)), "explicit-deny", `${p} ${key}`);
                }
            });
        });
    }
});
