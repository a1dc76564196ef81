/**
 * The record of the version the cluster's control plane was last rolled to: an SSM String
 * parameter `/k8s-aws/<cluster>/rolled-kubernetes-version` (lib/naming.ts). The program creates
 * it once, with the version the cluster runs at that moment (the version judged against, else the
 * first deployment's own); from then on only `npm run roll` writes it (PutParameter, Overwrite),
 * after every control-plane slot and external etcd member runs the new version. The program reads
 * it back live at every preview and update (config/rolled.ts).
 *
 * `ignoreChanges: ["insecureValue"]`: the value is used on create only; later updates keep the
 * value from the state, so `pulumi up` never writes the templates' version over the roll's
 * (https://www.pulumi.com/docs/iac/concepts/options/ignorechanges/). The provider's update sends
 * the value again (PutParameter) when any property other than tags changes
 * (hashicorp/terraform-provider-aws internal/service/ssm/parameter.go resourceParameterUpdate,
 * `HasChangesExcept("overwrite", tags, tags_all)`), and the state's value may be older than the
 * roll's: so every other property here is a constant, never derived from configuration.
 * A plain String (the version is no secret: insecureValue keeps it readable in plans), Standard
 * tier (free, values up to 4 KB: lib/ssmParameters.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { namedTags, rolledVersionParameterName, Tags } from "../lib/naming";
import { parseKubernetesVersion, RunningVersion } from "../config/skew";

export interface VersionRecordArgs {
    readonly clusterName: string;
    /** The version the templates install (`x.y.z`): the record's value when nothing runs yet. */
    readonly wantedVersion: string;
    /** What the version change was judged against; its x.y.z is the record's first value. */
    readonly running?: RunningVersion;
    readonly tags: Tags;
}

/** The record's first value: the version the cluster runs when it is created, else the first deployment's. */
export function initialRecordValue(args: Pick<VersionRecordArgs, "wantedVersion" | "running">): string {
    const was = parseKubernetesVersion(args.running?.version);
    return was ? `${was.major}.${was.minor}.${was.patch}` : args.wantedVersion;
}

export class VersionRecord extends pulumi.ComponentResource {
    readonly parameter: aws.ssm.Parameter;
    readonly name: string;

    constructor(name: string, args: VersionRecordArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:upgrade:VersionRecord", name, {}, opts);
        this.name = rolledVersionParameterName(args.clusterName);
        this.parameter = new aws.ssm.Parameter(
            `${name}-parameter`,
            {
                name: this.name,
                type: "String",
                tier: "Standard",
                dataType: "text",
                description: "Kubernetes version every control-plane instance runs; written by npm run roll, read by the program",
                insecureValue: initialRecordValue(args),
                tags: namedTags(args.clusterName, args.tags, `${args.clusterName}-rolled-kubernetes-version`),
            },
            { parent: this, ignoreChanges: ["insecureValue"] },
        );
        this.registerOutputs({ name: this.name });
    }
}
