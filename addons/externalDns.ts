/**
 * external-dns (kubernetes-sigs chart): publishes Services and Ingresses in
 * the cluster's Route53 zone, owning its records through TXT records marked
 * with the cluster's name. Its AWS access is a kube2iam pod role that may
 * change records in that one hosted zone and nothing else.
 */
import * as pulumi from "@pulumi/pulumi";
import { ChartPin, ADDON_CHARTS } from "../config/versions";
import { PolicyDocument, policyDocument } from "../components/iam";
import { AddonContext, RoleRef, addonNamespace, pinnedRelease } from "./common";
import { podIamAnnotation, podRole } from "./podIdentity";

export const EXTERNAL_DNS_NAMESPACE = "external-dns";

export type ExternalDnsPolicy = "upsert-only" | "sync" | "create-only";

export interface ExternalDnsSettings {
    readonly clusterName: string;
    readonly region: string;
    readonly zoneName: string;
    readonly zoneId: string;
    /** A private hosted zone: external-dns must look at private zones only (it looks at public ones otherwise). */
    readonly private?: boolean;
    /** upsert-only (default) never deletes records; sync also removes the ones it owns. */
    readonly policy?: ExternalDnsPolicy;
}

/** The hosted zone's ARN (Route53 ARNs have no region or account). */
export function hostedZoneArn(partition: string, zoneId: string): string {
    return `arn:${partition}:route53:::hostedzone/${zoneId}`;
}

/**
 * Route53 access for one hosted zone (external-dns docs, tutorials/aws.md,
 * narrowed from `hostedzone/*` to the zone): records are changed and listed
 * in that zone only; ListHostedZones has no resource-level permission.
 */
export function externalDnsPolicy(partition: string, zoneId: string): PolicyDocument {
    return policyDocument([
        {
            Sid: "ChangeRecordsInClusterZone",
            Effect: "Allow",
            Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets", "route53:ListTagsForResources"],
            Resource: hostedZoneArn(partition, zoneId),
        },
        { Sid: "ListHostedZones", Effect: "Allow", Action: "route53:ListHostedZones", Resource: "*" },
    ]);
}

/** The chart's values (external-dns chart 1.21: provider.name, sources, policy, registry, txtOwnerId, domainFilters, extraArgs, podAnnotations, env). */
export function externalDnsValues(s: ExternalDnsSettings, roleArn: string): Record<string, unknown> {
    return {
        provider: { name: "aws" },
        sources: ["service", "ingress"],
        domainFilters: [s.zoneName],
        policy: s.policy ?? "upsert-only",
        registry: "txt",
        txtOwnerId: s.clusterName,
        // --aws-zone-type filters the zones external-dns manages: "", "public" or "private" (chart 1.21.1 ships app 0.21.0;
        // kubernetes-sigs/external-dns@v0.21.0:pkg/apis/externaldns/types.go:594, an EnumVar of exactly those).
        extraArgs: [`--zone-id-filter=${s.zoneId}`, `--aws-zone-type=${s.private ? "private" : "public"}`],
        env: [{ name: "AWS_DEFAULT_REGION", value: s.region }],
        podAnnotations: podIamAnnotation(roleArn),
    };
}

export interface ExternalDnsArgs {
    readonly context: AddonContext;
    readonly settings: Omit<ExternalDnsSettings, "clusterName" | "region">;
    readonly nodeRole: RoleRef;
    readonly controlPlaneRole: RoleRef;
    readonly chart?: ChartPin;
}

export class ExternalDns extends pulumi.ComponentResource {
    readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: ExternalDnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:addons:ExternalDns", name, {}, opts);
        const { clusterName, region, partition, provider } = args.context;
        const settings: ExternalDnsSettings = { ...args.settings, clusterName, region };
        const { role } = podRole(
            `${name}-role`,
            { cluster: clusterName, addon: "external-dns", nodeRoleArn: args.nodeRole.arn, controlPlaneRoleArn: args.controlPlaneRole.arn, policy: externalDnsPolicy(partition, settings.zoneId) },
            { parent: this },
        );
        const k = { parent: this, provider };
        const ns = addonNamespace(`${name}-namespace`, { name: EXTERNAL_DNS_NAMESPACE, podSecurity: "baseline", permittedRoleArns: [role.arn] }, k);
        pinnedRelease(
            `${name}-release`,
            { pin: args.chart ?? ADDON_CHARTS.externalDns, releaseName: "external-dns", namespace: ns.metadata.name, values: role.arn.apply((arn) => externalDnsValues(settings, arn)) },
            k,
        );
        this.roleArn = role.arn;
        this.registerOutputs({ roleArn: this.roleArn });
    }
}
