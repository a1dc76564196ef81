/**
 * The AWS controllers and metrics: the cloud controller manager (flags, image
 * per minor, control-plane placement and policy), the EBS CSI driver (pod
 * role policy, default StorageClass), cluster-autoscaler (discovery, image per
 * minor, IAM limited to this cluster's groups) and metrics-server with the
 * kubelet CSR approver (no insecure kubelet TLS, approval limited to the
 * region's node names and the VPC).
 */
import * as assert from "assert";
import { ADDON_CHARTS, AWS_CLOUD_CONTROLLER_MANAGER_TAGS, CLUSTER_AUTOSCALER_TAGS, SUPPORTED_KUBERNETES_MINORS } from "../../config/versions";
import { renderPolicy } from "../../components/iam";
import { autoscalerTags } from "../../lib/naming";
import { addonVersions, cloudControllerPolicy, ec2PrivateDnsDomain, nodeNameRegex } from "../../addons";
import { CLOUD_CONTROLLER_ACTIONS } from "../../addons/awsCloudController";
import { INSECURE_KUBELET_FLAGS } from "../../addons/metricsServer";
import { ACCOUNT, ALL_ON, CONTROL_PLANE_ROLE, evaluate, runAddons } from "../support/addonFixtures";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const CP = "node-role.kubernetes.io/control-plane";

describe("addons/awsCloudController", () => {
    for (const minor of SUPPORTED_KUBERNETES_MINORS) {
        it(`runs the ${minor} controller on the control plane, without cloud routes (Kubernetes ${minor})`, async () => {
            // No cluster-autoscaler exists for every minor (config/versions.ts); this test is about the controller.
            const run = await runAddons({ versions: addonVersions(minor), toggles: { ...ALL_ON, clusterAutoscaler: CLUSTER_AUTOSCALER_TAGS[minor] !== undefined } });
            const r = run.inputs(run.named(RELEASE, "demo-addons-aws-cloud-controller-release"));
            assert.deepStrictEqual([r.chart, r.version, r.namespace], ["aws-cloud-controller-manager", ADDON_CHARTS.awsCloudController.version, "kube-system"]);
            assert.deepStrictEqual(r.values.image, { repository: "registry.k8s.io/provider-aws/cloud-controller-manager", tag: AWS_CLOUD_CONTROLLER_MANAGER_TAGS[minor] });
            assert.deepStrictEqual(r.values.args, [
                "--v=2",
                "--cloud-provider=aws",
                "--cluster-name=demo",
                "--cluster-cidr=100.64.0.0/16",
                "--configure-cloud-routes=false",
                "--allocate-node-cidrs=false",
            ]);
            assert.deepStrictEqual(r.values.nodeSelector, { [CP]: "" });
            const tolerated = r.values.tolerations.map((t: any) => t.key);
            assert.ok(tolerated.includes("node.cloudprovider.kubernetes.io/uninitialized") && tolerated.includes(CP), tolerated.join());
            assert.strictEqual(r.values.hostNetworking, true);
        });
    }

    it("images match the Kubernetes minor, or trail it by at most one (version-skew policy)", () => {
        for (const minor of SUPPORTED_KUBERNETES_MINORS) {
            const tag = AWS_CLOUD_CONTROLLER_MANAGER_TAGS[minor].match(/^v1\.(\d+)\.\d+$/);
            assert.ok(tag, AWS_CLOUD_CONTROLLER_MANAGER_TAGS[minor]);
            const skew = Number(minor.split(".")[1]) - Number(tag[1]);
            assert.ok(skew === 0 || skew === 1, `${minor}: ${AWS_CLOUD_CONTROLLER_MANAGER_TAGS[minor]}`);
        }
    });

    it("puts the upstream control-plane policy on the control-plane role", async () => {
        const run = await runAddons();
        const p = run.inputs(run.named(ROLE_POLICY, "demo-addons-aws-cloud-controller-control-plane-policy"));
        assert.strictEqual(p.role, CONTROL_PLANE_ROLE.name);
        assert.strictEqual(p.policy, renderPolicy(cloudControllerPolicy()));
        const actions = JSON.parse(p.policy).Statement[0].Action as string[];
        assert.deepStrictEqual(actions, [...new Set(CLOUD_CONTROLLER_ACTIONS)].sort());
        for (const a of ["ec2:CreateRoute", "elasticloadbalancing:CreateLoadBalancer", "ec2:DescribeInstanceTopology", "kms:DescribeKey"]) assert.ok(actions.includes(a), a);
        assert.strictEqual(evaluate(p.policy, { action: "iam:PassRole", resource: "*" }), "deny");
    });
});

describe("addons/ebsCsi", () => {
    it("installs the pinned driver with its pod role and region, tolerating every taint on nodes", async () => {
        const run = await runAddons();
        const r = run.inputs(run.named(RELEASE, "demo-addons-ebs-csi-release"));
        assert.deepStrictEqual([r.chart, r.version, r.namespace], ["aws-ebs-csi-driver", ADDON_CHARTS.ebsCsi.version, "aws-ebs-csi"]);
        assert.strictEqual(r.values.controller.region, "eu-west-1");
        assert.strictEqual(r.values.controller.k8sTagClusterId, "demo");
        assert.strictEqual(r.values.node.tolerateAllTaints, true);
        assert.deepStrictEqual(r.values.storageClasses, []);
    });

    it("makes gp3, encrypted, WaitForFirstConsumer, expandable the default StorageClass", async () => {
        const run = await runAddons();
        const sc = run.inputs(run.named("kubernetes:storage.k8s.io/v1:StorageClass", "demo-addons-ebs-csi-storage-class"));
        assert.strictEqual(sc.metadata.annotations["storageclass.kubernetes.io/is-default-class"], "true");
        assert.strictEqual(sc.provisioner, "ebs.csi.aws.com");
        assert.deepStrictEqual([sc.parameters.type, sc.parameters.encrypted], ["gp3", "true"]);
        assert.deepStrictEqual([sc.volumeBindingMode, sc.allowVolumeExpansion], ["WaitForFirstConsumer", true]);
    });

    it("may manage volumes of this account and region, delete only driver-created ones", async () => {
        const run = await runAddons();
        const p = run.inputs(run.named(ROLE_POLICY, "demo-addons-ebs-csi-role-policy")).policy;
        const vol = `arn:aws:ec2:eu-west-1:${ACCOUNT}:volume/vol-0123456789abcdef0`;
        const inst = `arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/i-0123456789abcdef0`;
        assert.strictEqual(evaluate(p, { action: "ec2:AttachVolume", resource: vol }), "allow");
        assert.strictEqual(evaluate(p, { action: "ec2:AttachVolume", resource: inst }), "allow");
        assert.strictEqual(evaluate(p, { action: "ec2:AttachVolume", resource: `arn:aws:ec2:eu-west-1:999999999999:volume/vol-1` }), "deny");
        assert.strictEqual(evaluate(p, { action: "ec2:CreateVolume", resource: vol, context: { "aws:RequestTag/ebs.csi.aws.com/cluster": "true" } }), "allow");
        assert.strictEqual(evaluate(p, { action: "ec2:CreateVolume", resource: vol }), "deny", "untagged creation");
        assert.strictEqual(evaluate(p, { action: "ec2:DeleteVolume", resource: vol, context: { "ec2:ResourceTag/CSIVolumeName": "pvc-1" } }), "allow");
        assert.strictEqual(evaluate(p, { action: "ec2:DeleteVolume", resource: vol }), "deny", "volumes the driver did not create");
        assert.strictEqual(evaluate(p, { action: "ec2:CreateTags", resource: vol, context: { "ec2:CreateAction": "CreateVolume" } }), "allow");
        assert.strictEqual(evaluate(p, { action: "ec2:CreateTags", resource: vol }), "deny", "tags only on create");
    });
});

describe("addons/clusterAutoscaler", () => {
    for (const minor of SUPPORTED_KUBERNETES_MINORS.filter((m) => CLUSTER_AUTOSCALER_TAGS[m] !== undefined)) {
        it(`runs the autoscaler of Kubernetes ${minor}, discovering this cluster's groups`, async () => {
            const run = await runAddons({ versions: addonVersions(minor) });
            const v = run.inputs(run.named(RELEASE, "demo-addons-cluster-autoscaler-release")).values;
            assert.deepStrictEqual(v.image, { repository: "registry.k8s.io/autoscaling/cluster-autoscaler", tag: CLUSTER_AUTOSCALER_TAGS[minor] });
            assert.ok(CLUSTER_AUTOSCALER_TAGS[minor]!.startsWith(`v${minor}.`), "the autoscaler's minor is the cluster's");
            assert.deepStrictEqual(v.autoDiscovery, { clusterName: "demo", tags: Object.keys(autoscalerTags("demo")) });
            assert.deepStrictEqual([v.cloudProvider, v.awsRegion], ["aws", "eu-west-1"]);
            assert.deepStrictEqual(v.extraArgs, { expander: "least-waste", "balance-similar-node-groups": true, "skip-nodes-with-local-storage": false, "skip-nodes-with-system-pods": false });
            assert.deepStrictEqual(v.nodeSelector, { [CP]: "" });
        });
    }

    it("has no autoscaler for 1.37 (no cluster-autoscaler 1.37 release exists) and refuses to deploy one", async () => {
        assert.strictEqual(CLUSTER_AUTOSCALER_TAGS["1.37"], undefined);
        await assert.rejects(runAddons({ versions: addonVersions("1.37") }), /clusterAutoscaler/);
        const run = await runAddons({ versions: addonVersions("1.37"), toggles: { ...ALL_ON, clusterAutoscaler: false } });
        assert.ok(!run.resources.some((r) => r.name === "demo-addons-cluster-autoscaler-release"));
    });

    it("may resize and terminate only in groups tagged for this cluster", async () => {
        const run = await runAddons();
        const p = run.inputs(run.named(ROLE_POLICY, "demo-addons-cluster-autoscaler-role-policy")).policy;
        const asg = `arn:aws:autoscaling:eu-west-1:${ACCOUNT}:autoScalingGroup:11111111-2222-4333-a444-555555555555:autoScalingGroupName/demo-general`;
        const ours = Object.fromEntries(Object.entries(autoscalerTags("demo")).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
        const theirs = Object.fromEntries(Object.entries(autoscalerTags("other")).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
        for (const action of ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]) {
            assert.strictEqual(evaluate(p, { action, resource: asg, context: ours }), "allow", action);
            assert.strictEqual(evaluate(p, { action, resource: asg, context: theirs }), "deny", `${action} on another cluster's group`);
            assert.strictEqual(evaluate(p, { action, resource: asg }), "deny", `${action} on an untagged group`);
        }
        assert.strictEqual(evaluate(p, { action: "autoscaling:DescribeAutoScalingGroups", resource: "*" }), "allow");
        assert.strictEqual(evaluate(p, { action: "autoscaling:UpdateAutoScalingGroup", resource: asg, context: ours }), "deny");
    });
});

describe("addons/metricsServer and kubelet-csr-approver", () => {
    it("verifies kubelet certificates (no --kubelet-insecure-tls)", async () => {
        const run = await runAddons();
        const r = run.inputs(run.named(RELEASE, "demo-addons-metrics-server-release"));
        assert.deepStrictEqual([r.chart, r.version, r.namespace], ["metrics-server", ADDON_CHARTS.metricsServer.version, "kube-system"]);
        for (const flag of INSECURE_KUBELET_FLAGS) assert.ok(!JSON.stringify(r.values).includes(flag), flag);
    });

    it("approves serving CSRs only for the region's EC2 node names and VPC addresses", async () => {
        const run = await runAddons();
        const v = run.inputs(run.named(RELEASE, "demo-addons-kubelet-csr-approver-release")).values;
        assert.deepStrictEqual(v.providerIpPrefixes, ["10.0.0.0/16"]);
        // Was false: DNS resolution refuses every control plane (its --node-ip is not what its name resolves to); servingCerts.spec.ts.
        assert.strictEqual(v.bypassDnsResolution, true);
        const re = new RegExp(v.providerRegex);
        assert.ok(re.test("ip-10-0-32-10.eu-west-1.compute.internal"));
        for (const bad of [
            "ip-10-0-32-10.eu-west-2.compute.internal",
            "evil.eu-west-1.compute.internal",
            "ip-10-0-32-10.eu-west-1.compute.internal.evil.com",
            "i-0123456789abcdef0.eu-west-1.compute.internal",
        ]) {
            assert.ok(!re.test(bad), bad);
        }
    });

    it("knows us-east-1's node domain", () => {
        assert.strictEqual(ec2PrivateDnsDomain("us-east-1"), "ec2.internal");
        assert.ok(new RegExp(nodeNameRegex("us-east-1")).test("ip-172-31-0-5.ec2.internal"));
        assert.ok(!new RegExp(nodeNameRegex("us-east-1")).test("ip-172-31-0-5.us-east-1.compute.internal"));
    });
});
