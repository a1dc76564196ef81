/**
 * kube2iam: its flags, RBAC, DaemonSet, the instance roles' permission to
 * assume pod roles (and nothing else), the pod roles' trust policies, and the
 * namespaces' permitted-role annotations, evaluated as AWS and kube2iam would.
 */
import * as assert from "assert";
import { KUBE2IAM_IMAGE } from "../../config/versions";
import { POD_ROLE_ANNOTATION, PERMITTED_ROLES_ANNOTATION, kube2iamArgs, kube2iamClusterRoleRules, podIamAnnotation, podRoleArnPrefix } from "../../addons";
import { ACCOUNT, CONTROL_PLANE_ROLE, NODE_ROLE, evaluate, runAddons, AddonsRun } from "../support/addonFixtures";

const T = {
    ds: "kubernetes:apps/v1:DaemonSet",
    sa: "kubernetes:core/v1:ServiceAccount",
    role: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    binding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    ns: "kubernetes:core/v1:Namespace",
    release: "kubernetes:helm.sh/v3:Release",
    iamRole: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
};
const POD_ROLES = `arn:aws:iam::${ACCOUNT}:role/k8s-aws/demo/pods/`;

describe("addons/kube2iam", () => {
    let run: AddonsRun;
    before(async () => (run = await runAddons()));

    it("passes exactly these flags (kube2iam cmd/main.go, unchanged from 0.11.2 to 0.13.0)", () => {
        assert.deepStrictEqual(kube2iamArgs({ baseRoleArn: POD_ROLES }), [
            "--app-port=8181",
            `--base-role-arn=${POD_ROLES}`,
            "--host-interface=cali+",
            "--host-ip=$(HOST_IP)",
            "--iptables=true",
            "--namespace-restrictions",
            "--node=$(NODE_NAME)",
            "--use-regional-sts-endpoint",
        ]);
        assert.strictEqual(podRoleArnPrefix("aws", ACCOUNT, "demo"), POD_ROLES);
    });

    it("may only get, list and watch pods and namespaces", () => {
        const expected = [{ apiGroups: [""], resources: ["namespaces", "pods"], verbs: ["get", "list", "watch"] }];
        assert.deepStrictEqual(kube2iamClusterRoleRules(), expected);
        assert.deepStrictEqual(run.inputs(run.named(T.role, "demo-addons-kube2iam-role")).rules, expected);
        const binding = run.inputs(run.named(T.binding, "demo-addons-kube2iam-binding"));
        assert.deepStrictEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "kube2iam" });
        assert.deepStrictEqual(binding.subjects, [{ kind: "ServiceAccount", name: "kube2iam", namespace: "kube2iam" }]);
    });

    it("runs on every node's host network with NET_ADMIN, the pinned image and the env its flags refer to", () => {
        const ds = run.inputs(run.named(T.ds, "demo-addons-kube2iam-daemonset"));
        const pod = ds.spec.template.spec;
        assert.strictEqual(pod.hostNetwork, true);
        assert.deepStrictEqual(pod.tolerations, [{ operator: "Exists" }], "tolerates every taint, control plane included");
        assert.strictEqual(pod.serviceAccountName, run.inputs(run.named(T.sa, "demo-addons-kube2iam-sa")).metadata.name);
        const c = pod.containers[0];
        assert.strictEqual(c.image, KUBE2IAM_IMAGE);
        assert.deepStrictEqual(c.args, kube2iamArgs({ baseRoleArn: POD_ROLES }));
        assert.deepStrictEqual(c.securityContext.capabilities, { add: ["NET_ADMIN"] });
        assert.strictEqual(c.securityContext.privileged, false);
        const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom.fieldRef.fieldPath]));
        assert.deepStrictEqual(env, { HOST_IP: "status.hostIP", NODE_NAME: "spec.nodeName", AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "eu-west-1" });
        for (const ref of c.args.join(" ").match(/\$\((\w+)\)/g) ?? []) assert.ok(ref.slice(2, -1) in env, `${ref} is defined`);
        assert.match(c.lifecycle.preStop.exec.command[2], /169\.254\.169\.254/, "removes its DNAT rule when it stops");
    });

    it("lets both instance roles assume the cluster's pod roles, and nothing else", () => {
        for (const [slug, role] of [
            ["node", NODE_ROLE],
            ["control-plane", CONTROL_PLANE_ROLE],
        ] as const) {
            const p = run.inputs(run.named(T.rolePolicy, `demo-addons-kube2iam-${slug}-assume-pod-roles`));
            assert.strictEqual(p.role, role.name);
            const can = (action: string, resource: string) => evaluate(p.policy, { action, resource });
            assert.strictEqual(can("sts:AssumeRole", `${POD_ROLES}demo-addons-external-dns-role-5f0bcb2`), "allow");
            assert.strictEqual(can("sts:AssumeRole", CONTROL_PLANE_ROLE.arn), "deny", "not an instance role");
            assert.strictEqual(can("sts:AssumeRole", `arn:aws:iam::${ACCOUNT}:role/k8s-aws/other/pods/x`), "deny", "not another cluster's pod role");
            assert.strictEqual(can("sts:AssumeRole", `arn:aws:iam::${ACCOUNT}:role/admin`), "deny");
            assert.strictEqual(can("sts:AssumeRole", `arn:aws:iam::999999999999:role/k8s-aws/demo/pods/x`), "deny", "not another account");
            assert.strictEqual(can("iam:PassRole", `${POD_ROLES}x`), "deny");
        }
    });

    it("creates pod roles under the pod path, trusted by the two instance roles only", () => {
        const roles = run.ofType(T.iamRole);
        assert.deepStrictEqual(roles.map((r) => r.name).sort(), ["demo-addons-cluster-autoscaler-role", "demo-addons-ebs-csi-role", "demo-addons-external-dns-role"]);
        for (const r of roles) {
            const i = run.inputs(r);
            assert.strictEqual(i.path, "/k8s-aws/demo/pods/");
            const trust = (principal: string, action = "sts:AssumeRole") => evaluate(i.assumeRolePolicy, { action, resource: "*", principal });
            assert.strictEqual(trust(NODE_ROLE.arn), "allow");
            assert.strictEqual(trust(CONTROL_PLANE_ROLE.arn), "allow");
            assert.strictEqual(trust(`arn:aws:iam::${ACCOUNT}:role/k8s-aws/demo/demo-etcd-etcd-a-1234567`), "deny");
            assert.strictEqual(trust(`arn:aws:iam::${ACCOUNT}:root`), "deny");
            assert.strictEqual(trust(NODE_ROLE.arn, "sts:AssumeRoleWithWebIdentity"), "deny");
        }
    });

    it("permits in each addon namespace exactly that addon's role, and annotates its pods with it", async () => {
        const cases = [
            ["external-dns", "externalDns", "demo-addons-external-dns", (v: any) => v.podAnnotations],
            ["aws-ebs-csi", "ebsCsi", "demo-addons-ebs-csi", (v: any) => v.controller.podAnnotations],
            ["cluster-autoscaler", "clusterAutoscaler", "demo-addons-cluster-autoscaler", (v: any) => v.podAnnotations],
        ] as const;
        for (const [namespace, toggle, addon, podAnnotations] of cases) {
            const arn = (await run.outputs(run.result.podRoleArns[toggle])) as string;
            assert.ok(arn.startsWith(POD_ROLES), arn);
            const ns = run.inputs(run.ofType(T.ns).find((n) => run.inputs(n).metadata.name === namespace)!);
            assert.deepStrictEqual(JSON.parse(ns.metadata.annotations[PERMITTED_ROLES_ANNOTATION]), [arn]);
            const values = run.inputs(run.named(T.release, `${addon}-release`)).values;
            assert.deepStrictEqual(podAnnotations(values), { [POD_ROLE_ANNOTATION]: arn });
        }
        for (const name of ["kube2iam", "tigera-operator"]) {
            const ns = run.inputs(run.ofType(T.ns).find((n) => run.inputs(n).metadata.name === name)!);
            assert.strictEqual(ns.metadata.annotations?.[PERMITTED_ROLES_ANNOTATION], undefined, `${name} permits no role`);
        }
    });

    it("renders the pod annotation kube2iam reads", () => {
        assert.deepStrictEqual(podIamAnnotation(`${POD_ROLES}r`), { "iam.amazonaws.com/role": `${POD_ROLES}r` });
    });
});
