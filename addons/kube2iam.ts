/**
 * kube2iam: a DaemonSet on every node (control plane included) that
 * intercepts pods' calls to the EC2 metadata service on Calico's `cali+`
 * interfaces and answers with credentials of the role the pod is annotated
 * with, if its namespace permits that role. Typed objects, no chart. The
 * instance roles get sts:AssumeRole on the cluster's pod roles only.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { KUBE2IAM_IMAGE } from "../config/versions";
import { renderPolicy } from "../components/iam";
import { AddonContext, RoleRef, addonNamespace } from "./common";
import { assumePodRolesPolicy, podRoleArnPrefix } from "./podIdentity";

export { POD_ROLE_ANNOTATION, podIamAnnotation, podRole, podRoleTrustPolicy, assumePodRolesPolicy, podRoleArnPrefix } from "./podIdentity";
export type { PodRole, PodRoleArgs } from "./podIdentity";

export const KUBE2IAM_NAMESPACE = "kube2iam";
export const KUBE2IAM_PORT = 8181;

export interface Kube2iamSettings {
    readonly image: string;
    /** --base-role-arn: the pod-role path, so a bare role name resolves inside it. */
    readonly baseRoleArn: string;
    readonly region: string;
}

/**
 * The container's arguments (flags of kube2iam cmd/main.go, the same in 0.11.2 and 0.13.0). Not
 * --auto-discover-base-arn: it derives the base ARN by splitting the instance
 * profile ARN on "/" and, in the releases that require exactly two parts,
 * exits on profiles with a path, which ours have (/k8s-aws/<cluster>/). The
 * base ARN is known here, so it is passed.
 */
export function kube2iamArgs(s: Pick<Kube2iamSettings, "baseRoleArn">): string[] {
    return [
        `--app-port=${KUBE2IAM_PORT}`,
        `--base-role-arn=${s.baseRoleArn}`,
        "--host-interface=cali+",
        "--host-ip=$(HOST_IP)",
        "--iptables=true",
        "--namespace-restrictions",
        "--node=$(NODE_NAME)",
        "--use-regional-sts-endpoint",
    ];
}

/** Read-only access to pods and namespaces, nothing else. */
export function kube2iamClusterRoleRules(): k8s.types.input.rbac.v1.PolicyRule[] {
    return [{ apiGroups: [""], resources: ["namespaces", "pods"], verbs: ["get", "list", "watch"] }];
}

/** Removes the metadata DNAT rule kube2iam installed, so pods reach the metadata service again once kube2iam is gone (as upstream's chart does). */
const REMOVE_IPTABLES_RULE = "iptables-save -t nat | grep -- '-d 169.254.169.254/32' | sed 's/^-A /-D /' | while read -r r; do eval iptables -t nat $r; done";

export function kube2iamDaemonSetSpec(s: Kube2iamSettings): k8s.types.input.apps.v1.DaemonSetSpec {
    const labels = { "app.kubernetes.io/name": "kube2iam" };
    const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
    return {
        selector: { matchLabels: labels },
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
        template: {
            metadata: { labels },
            spec: {
                serviceAccountName: "kube2iam",
                hostNetwork: true,
                priorityClassName: "system-node-critical",
                // Every node, control plane and not-yet-initialised nodes included: a pod anywhere must never reach the instance role.
                tolerations: [{ operator: "Exists" }],
                containers: [
                    {
                        name: "kube2iam",
                        image: s.image,
                        imagePullPolicy: "IfNotPresent",
                        args: kube2iamArgs(s),
                        env: [fieldEnv("HOST_IP", "status.hostIP"), fieldEnv("NODE_NAME", "spec.nodeName"), { name: "AWS_REGION", value: s.region }, { name: "AWS_DEFAULT_REGION", value: s.region }],
                        ports: [{ name: "http", containerPort: KUBE2IAM_PORT, hostPort: KUBE2IAM_PORT, protocol: "TCP" }],
                        // iptables in the host's network namespace needs NET_ADMIN; nothing else is added.
                        securityContext: { privileged: false, allowPrivilegeEscalation: false, capabilities: { add: ["NET_ADMIN"] } },
                        livenessProbe: { httpGet: { path: "/healthz", port: KUBE2IAM_PORT }, initialDelaySeconds: 30, periodSeconds: 5 },
                        readinessProbe: { httpGet: { path: "/healthz", port: KUBE2IAM_PORT }, periodSeconds: 5 },
                        lifecycle: { preStop: { exec: { command: ["/bin/sh", "-c", REMOVE_IPTABLES_RULE] } } },
                        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
                    },
                ],
            },
        },
    };
}

export interface Kube2iamArgs {
    readonly context: AddonContext;
    readonly image?: string;
    /** Instance roles kube2iam runs with; each may assume the cluster's pod roles. */
    readonly nodeRole: RoleRef;
    readonly controlPlaneRole: RoleRef;
}

export class Kube2iam extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: Kube2iamArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:addons:Kube2iam", name, {}, opts);
        const { clusterName, region, partition, provider } = args.context;
        const k = { parent: this, provider };
        const ns = addonNamespace(`${name}-namespace`, { name: KUBE2IAM_NAMESPACE, podSecurity: "privileged" }, k);
        const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: { name: "kube2iam", namespace: ns.metadata.name } }, k);
        const role = new k8s.rbac.v1.ClusterRole(`${name}-role`, { metadata: { name: "kube2iam" }, rules: kube2iamClusterRoleRules() }, k);
        new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-binding`,
            {
                metadata: { name: "kube2iam" },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: ns.metadata.name }],
            },
            k,
        );
        const baseRoleArn = pulumi.output(args.context.accountId).apply((account) => podRoleArnPrefix(partition, account, clusterName));
        new k8s.apps.v1.DaemonSet(
            `${name}-daemonset`,
            {
                metadata: { name: "kube2iam", namespace: ns.metadata.name },
                spec: baseRoleArn.apply((base) => kube2iamDaemonSetSpec({ image: args.image ?? KUBE2IAM_IMAGE, baseRoleArn: base, region })),
            },
            { ...k, dependsOn: [sa] },
        );
        const assume = pulumi.output(args.context.accountId).apply((account) => renderPolicy(assumePodRolesPolicy(partition, account, clusterName)));
        for (const [slug, r] of [
            ["node", args.nodeRole],
            ["control-plane", args.controlPlaneRole],
        ] as const) {
            new aws.iam.RolePolicy(`${name}-${slug}-assume-pod-roles`, { role: r.name, policy: assume }, { parent: this });
        }
        this.namespace = ns.metadata.name;
        this.registerOutputs({ namespace: this.namespace });
    }
}
