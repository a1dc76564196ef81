/**
 * The API as in-cluster consumers reach it. Components that talk to the API
 * server directly instead of through the service VIP (Calico's operator,
 * calico-node and Typha through the `kubernetesServiceEndpoint` chart value and
 * the `kubernetes-services-endpoint` ConfigMap; anything given a
 * KUBERNETES_SERVICE_HOST) must be given an endpoint every node can reach: the
 * internal name, whose record holds private addresses (the control-plane
 * slots' fixed IPs) or aliases an internal load balancer. Never the public
 * name: an internet-facing balancer admits only the admin CIDRs (node traffic
 * arrives from the NAT gateways and is refused), and an Elastic IP hairpins.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { Props, get, isRecord, records, str, strings } from "./lib/resources";
import { isPrivate, parseCidr } from "./lib/net";

const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";
const HELM_CHART = "kubernetes:helm.sh/v4:Chart";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const ROUTE53_RECORD = "aws:route53/record:Record";
const SERVICE_HOST = "KUBERNETES_SERVICE_HOST";

/** An API host some in-cluster consumer is given, and where. */
interface ApiHostUse {
    readonly host: string;
    readonly where: string;
    readonly urn: string;
}

/** `{ name: KUBERNETES_SERVICE_HOST, value }` env entries anywhere in a value tree. */
function envHosts(v: unknown, path: string, out: { host: string; path: string }[]): void {
    if (Array.isArray(v)) {
        v.forEach((x, i) => envHosts(x, `${path}[${i}]`, out));
    } else if (isRecord(v)) {
        if (v.name === SERVICE_HOST && typeof v.value === "string") out.push({ host: v.value, path: `${path}.value` });
        for (const [k, x] of Object.entries(v)) envHosts(x, path ? `${path}.${k}` : k, out);
    }
}

/** Every API host the stack hands to an in-cluster consumer. */
export function inClusterApiHosts(resources: readonly PolicyResource[]): ApiHostUse[] {
    const out: ApiHostUse[] = [];
    for (const r of resources) {
        if (!r.type.startsWith("kubernetes:")) continue;
        const p = r.props as Props;
        const found: { host: string; path: string }[] = [];
        if (r.type === HELM_RELEASE || r.type === HELM_CHART) {
            const host = str(get(p.values, "kubernetesServiceEndpoint", "host"));
            if (host) found.push({ host, path: "values.kubernetesServiceEndpoint.host" });
            envHosts(p.values, "values", found);
        } else if (r.type === CONFIG_MAP) {
            const host = str(get(p.data, SERVICE_HOST));
            if (host) found.push({ host, path: `data.${SERVICE_HOST}` });
        } else {
            envHosts(p.spec, "spec", found);
        }
        for (const f of found) out.push({ host: f.host, where: `${r.type.split(":").pop()} ${r.name} ${f.path}`, urn: r.urn });
    }
    return out;
}

const isPrivateIp = (s: string) => {
    const c = parseCidr(`${s}/32`);
    return c !== undefined && isPrivate(c);
};

/**
 * Names whose record every node reaches: A records of private addresses only, or an alias of an
 * internal load balancer (AWS names those `internal-<name>-<id>...elb.amazonaws.com`,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/elb-internal-load-balancers.html).
 */
export function nodeReachableNames(resources: readonly PolicyResource[]): Set<string> {
    const names = new Set<string>();
    for (const r of resources.filter((x) => x.type === ROUTE53_RECORD)) {
        const p = r.props as Props;
        const name = str(p.name)?.replace(/\.$/, "").toLowerCase();
        if (!name) continue;
        const targets = strings(p.records);
        const aliases = records(p.aliases).map((a) => str(a.name) ?? "");
        const privateRecords = targets.length > 0 && targets.every(isPrivateIp);
        const internalAlias =
            aliases.length > 0 &&
            aliases.every((a) =>
                a
                    .toLowerCase()
                    .replace(/^dualstack\./, "")
                    .startsWith("internal-"),
            );
        if (privateRecords || internalAlias) names.add(name);
    }
    return names;
}

export const inClusterApiEndpointInternal: StackValidationPolicy = {
    name: "in-cluster-api-endpoint-internal",
    description:
        "Every in-cluster consumer given an API host (Calico's kubernetesServiceEndpoint, a KUBERNETES_SERVICE_HOST) is given one every node " +
        "reaches: a private address, or a name whose record holds only private addresses or aliases an internal load balancer — never the public API name.",
    remediationSteps: "Give the consumer the internal endpoint (api.internal.<cluster>.<zone>, kubeadm's controlPlaneEndpoint), not the public API name or load balancer.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const uses = inClusterApiHosts(args.resources);
        if (uses.length === 0) return;
        const reachable = nodeReachableNames(args.resources);
        for (const u of uses) {
            const host = u.host.replace(/\.$/, "").toLowerCase();
            if (isPrivateIp(host) || reachable.has(host)) continue;
            report(
                `${u.where} is ${u.host}, which not every node can reach: it is neither a private address nor a name whose record holds only private addresses or aliases an internal load balancer` +
                    (reachable.size > 0 ? ` (use ${[...reachable].sort().join(" or ")})` : ""),
                u.urn,
            );
        }
    },
};

export const apiReachabilityPolicies = [inClusterApiEndpointInternal];
