/**
 * Shared fixtures for the addon specs: a happy-path Addons argument set that
 * each test changes in one place, a run helper under the mock runtime (also
 * used by the real-apiserver tier, test/real/controlPlane.spec.ts), and a
 * small IAM evaluator.
 */
import * as pulumi from "@pulumi/pulumi";
import { Addons, AddonsArgs, AddonToggles, WaitForApiOptions, addonVersions } from "../../addons";
import { MOCK_ACCOUNT_ID } from "../../tools/offline/run";
import { runComponents, Recorded, RecordedResource } from "./harness";

export const CLUSTER = "demo";
export const REGION = "eu-west-1";
export const ACCOUNT = MOCK_ACCOUNT_ID;
export const NODE_ROLE = { name: "demo-node-0a1b2c3", arn: `arn:aws:iam::${ACCOUNT}:role/k8s-aws/demo/demo-node-0a1b2c3` };
export const CONTROL_PLANE_ROLE = { name: "demo-control-plane-4d5e6f7", arn: `arn:aws:iam::${ACCOUNT}:role/k8s-aws/demo/demo-control-plane-4d5e6f7` };
export const ZONE = { zoneName: "k8s.example.com", zoneId: "Z0123456789ABCDEFGHIJ" };
export const API_URL = "https://api.demo.k8s.example.com:6443";
/** What nodes dial: the internal name (components/controlplane/endpoint.ts). */
export const IN_CLUSTER_API = "api.internal.demo.k8s.example.com:6443";
export const FAKE_CA = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
export const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n";

export const ALL_ON: AddonToggles = {
    calico: true,
    kube2iam: true,
    externalDns: true,
    awsCloudController: true,
    ebsCsi: true,
    clusterAutoscaler: true,
    metricsServer: true,
};

export const TOGGLES = Object.keys(ALL_ON) as (keyof AddonToggles)[];

/** Records each call instead of waiting for a real API. */
export class WaitRecorder {
    readonly calls: WaitForApiOptions[] = [];
    readonly wait = async (o: WaitForApiOptions) => {
        this.calls.push(o);
    };
}

export function addonsArgs(overrides: Partial<AddonsArgs> = {}, wait = new WaitRecorder()): AddonsArgs {
    return {
        clusterName: CLUSTER,
        region: REGION,
        accountId: ACCOUNT,
        kubeconfig: pulumi.secret(KUBECONFIG),
        apiUrl: API_URL,
        inClusterApiEndpoint: IN_CLUSTER_API,
        clusterCaPem: FAKE_CA,
        podCidr: "100.64.0.0/16",
        serviceCidr: "10.96.0.0/12",
        vpcCidr: "10.0.0.0/16",
        dns: ZONE,
        toggles: ALL_ON,
        versions: addonVersions("1.35"),
        nodeRole: NODE_ROLE,
        controlPlaneRole: CONTROL_PLANE_ROLE,
        waitForApi: wait.wait,
        ...overrides,
    };
}

export type AddonsRun = Recorded & { result: Addons; outputs: (v: unknown) => Promise<any> };

export function runAddons(overrides: Partial<AddonsArgs> = {}, opts: { preview?: boolean; wait?: WaitRecorder; providers?: Map<string, string>; seed?: string } = {}): Promise<AddonsRun> {
    return runComponents(
        () => {
            if (opts.providers) captureProviderRefs(opts.providers);
            return new Addons(`${CLUSTER}-addons`, addonsArgs(overrides, opts.wait));
        },
        { region: REGION, preview: opts.preview, seed: opts.seed },
    );
}

/** Records, per custom resource's logical name, the provider reference it was registered with ("" = the default provider). */
export function captureProviderRefs(into: Map<string, string>): void {
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: any, resp: any) => void) => {
        if (req.getCustom()) into.set(req.getName(), req.getProvider() ?? "");
        register(req, callback);
    };
}

/** The component (addon) a resource belongs to: its nearest component ancestor's name. */
export function ownerOf(run: Recorded, r: RecordedResource): string {
    const byUrn = new Map(run.resources.map((x) => [x.urn, x]));
    let p = r.parent ? byUrn.get(r.parent) : undefined;
    while (p && p.custom) p = p.parent ? byUrn.get(p.parent) : undefined;
    return p?.name ?? "";
}

/** A resource's identity across runs: type and logical name. */
export const key = (r: RecordedResource) => `${r.type}::${r.name}`;

// ---------------------------------------------------------------------------------------------
// A small IAM evaluator: wildcards in actions and resources, principals, StringEquals/StringLike
// conditions against a request context; explicit deny beats allow, nothing matched is denied.

export interface IamRequest {
    readonly action: string;
    readonly resource: string;
    /** For trust policies: the calling principal's ARN. */
    readonly principal?: string;
    /** Condition keys of the request (aws:ResourceTag/..., aws:RequestTag/..., ec2:CreateAction). */
    readonly context?: Record<string, string>;
}

const list = (v: unknown): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v as string]);
const glob = (pattern: string, flags = "") =>
    new RegExp(
        `^${pattern
            .split("")
            .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/]/g, "\\$&")))
            .join("")}$`,
        flags,
    );
const anyMatch = (patterns: string[], value: string, flags = "") => patterns.some((p) => glob(p, flags).test(value));

function matches(st: any, req: IamRequest): boolean {
    if (st.Principal !== undefined && (req.principal === undefined || (st.Principal !== "*" && !anyMatch(list(st.Principal.AWS) ?? [], req.principal)))) return false;
    if (!anyMatch(list(st.Action)!, req.action, "i")) return false;
    if (st.Resource !== undefined && !anyMatch(list(st.Resource)!, req.resource)) return false;
    for (const [op, kv] of Object.entries<Record<string, string | string[]>>(st.Condition ?? {})) {
        for (const [k, v] of Object.entries(kv)) {
            const actual = req.context?.[k];
            if (actual === undefined) return false;
            if (op === "StringEquals" && !list(v)!.includes(actual)) return false;
            else if (op === "StringLike" && !anyMatch(list(v)!, actual)) return false;
            else if (op !== "StringEquals" && op !== "StringLike") throw new Error(`evaluator does not know condition ${op}`);
        }
    }
    return true;
}

export function evaluate(policyJson: string, req: IamRequest): "allow" | "deny" {
    const statements = JSON.parse(policyJson).Statement as any[];
    if (statements.some((s) => s.Effect === "Deny" && matches(s, req))) return "deny";
    return statements.some((s) => s.Effect === "Allow" && matches(s, req)) ? "allow" : "deny";
}
