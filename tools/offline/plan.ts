/**
 * Turns a mocked program run into the render contract's artifacts
 * (../shared/contracts/render.md): plan.json, user data per launch template,
 * and Kubernetes manifests per addon. Pure functions over recorded resources.
 */
import { decodeUserData } from "../../components/host/userData";
import * as YAML from "yaml";
import { RecordedResource, Secret } from "../mocks";
import { ProgramRun } from "./run";

export interface PlanResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string | null;
    readonly custom: boolean;
    /** The id the (mocked) provider assigned; null for components. An addition to the contract's fields. */
    readonly id: string | null;
    readonly inputs: Record<string, unknown>;
}

export interface Plan {
    readonly project: string;
    readonly stack: string;
    readonly resources: PlanResource[];
    readonly outputs: Record<string, unknown>;
}

export const SECRET_TEXT = "[secret]";

/** Plain JSON with every secret replaced by "[secret]" (Secret.toJSON does the replacing). */
function redact<T>(value: T): T {
    return JSON.parse(JSON.stringify(value ?? null)) as T;
}

export function buildPlan(run: ProgramRun): Plan {
    return {
        project: run.project,
        stack: run.stack,
        resources: run.resources.map((r) => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            parent: r.parent,
            custom: r.custom,
            id: r.id,
            inputs: redact(r.inputs),
        })),
        outputs: redact(run.outputs),
    };
}

export const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";

/** Each launch template's user data, decoded, keyed by the template's name. Secret user data is itself a finding: it is written as "[secret]". */
export function userDataFiles(resources: readonly RecordedResource[]): Map<string, string> {
    const files = new Map<string, string>();
    for (const r of resources.filter((x) => x.type === LAUNCH_TEMPLATE)) {
        const name = typeof r.inputs.name === "string" ? r.inputs.name : r.name;
        const data = r.inputs.userData;
        if (data === undefined) continue;
        files.set(name, data instanceof Secret ? `${SECRET_TEXT}\n` : decodeUserData(String(data)));
    }
    return files;
}

/** Resource inputs that hold an IAM or bucket policy document (JSON text). */
const POLICY_DOCUMENTS: Record<string, string> = {
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:kms/key:Key": "policy",
};

/** Every IAM, bucket and key policy document, pretty-printed, keyed by resource name: large blobs reviewed on their own. */
export function policyDocumentFiles(resources: readonly RecordedResource[]): Map<string, string> {
    const files = new Map<string, string>();
    for (const r of resources) {
        const prop = POLICY_DOCUMENTS[r.type];
        const text = prop ? r.inputs[prop] : undefined;
        if (typeof text !== "string") continue;
        let doc: unknown;
        try {
            doc = JSON.parse(text);
        } catch {
            doc = text;
        }
        files.set(r.name, `${JSON.stringify(doc, null, 2)}\n`);
    }
    return files;
}

const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";
/** A chart rendered client-side and applied object by object (a component the provider expands; its inputs are what we declare). */
const HELM_CHART = "kubernetes:helm.sh/v4:Chart";

/** Kubernetes objects as the API server would receive them, grouped by the component (addon) that declares them. */
export function manifestFiles(resources: readonly RecordedResource[]): Map<string, string> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const groups = new Map<string, unknown[]>();
    for (const r of resources) {
        if (!(r.custom || r.type === HELM_CHART) || !r.type.startsWith("kubernetes:")) continue;
        const owner = r.parent ? byUrn.get(r.parent) : undefined;
        const group = owner && !owner.custom ? owner.name : r.name;
        const doc = r.type === HELM_RELEASE ? helmReleaseDoc(r) : r.type === HELM_CHART ? helmChartDoc(r) : redact(r.inputs);
        groups.set(group, [...(groups.get(group) ?? []), doc]);
    }
    const files = new Map<string, string>();
    for (const [group, docs] of groups) {
        files.set(group, docs.map((d) => YAML.stringify(d, { sortMapEntries: false })).join("---\n"));
    }
    return files;
}

function helmChartDoc(r: RecordedResource): Record<string, unknown> {
    const i = redact(r.inputs) as Record<string, unknown>;
    return {
        helmChart: r.name,
        applied: "rendered client-side, applied server-side",
        chart: i.chart,
        version: i.version,
        repository: (i.repositoryOpts as { repo?: string } | undefined)?.repo,
        namespace: i.namespace,
        values: i.values ?? {},
    };
}

function helmReleaseDoc(r: RecordedResource): Record<string, unknown> {
    const i = redact(r.inputs) as Record<string, unknown>;
    return { helmRelease: r.name, chart: i.chart, version: i.version, repository: (i.repositoryOpts as { repo?: string } | undefined)?.repo, namespace: i.namespace, values: i.values ?? {} };
}
