/**
 * The version the cluster's whole control plane was last rolled to: the SSM parameter
 * `/k8s-aws/<cluster>/rolled-kubernetes-version` (lib/naming.ts), created by the program on the
 * first deployment (components/versionRecord.ts) and rewritten by `npm run roll` once every
 * control-plane slot and external etcd member runs the new version (tools/roll/record.ts).
 *
 * Why this and not the stack's previous outputs: those say what the last `pulumi up` wrote into
 * the launch templates, which runs ahead of the instances until the roll is done; judged against
 * them, a second `pulumi up` one minor further would pass while the API server is two behind.
 *
 * Read with GetParametersByPath on the cluster's path rather than GetParameter: a missing parameter
 * (a stack never deployed, or deployed by a release without the record) is then an empty answer,
 * not an error. The provider's getParameter turns AWS's ParameterNotFound into the text
 * "reading SSM Parameter (<name>): couldn't find resource" (hashicorp/terraform-provider-aws
 * internal/service/ssm/parameter_data_source.go dataParameterRead -> findParameterByName ->
 * retry.NotFoundError), which a program could only recognise by matching words; by path, any
 * error (no permission, throttling) stops the preview and nothing is guessed
 * (internal/service/ssm/parameters_by_path_data_source.go: empty lists, no error).
 */
import * as aws from "@pulumi/aws";
import { rolledVersionParameterName, ssmParameterPath } from "../lib/naming";
import { RunningVersion } from "./skew";

export function rolledRecordSource(cluster: string): string {
    return `npm run roll's record, SSM parameter ${rolledVersionParameterName(cluster)}`;
}

/** The recorded version, or undefined when the parameter does not exist (or the name is invalid: validation reports that). */
export async function readRolledVersion(cluster: unknown): Promise<RunningVersion | undefined> {
    if (typeof cluster !== "string" || !/^[a-z][a-z0-9-]*$/.test(cluster)) return undefined;
    const found = await aws.ssm.getParametersByPath({ path: ssmParameterPath(cluster), recursive: false, withDecryption: false });
    const i = found.names.indexOf(rolledVersionParameterName(cluster));
    return i < 0 ? undefined : { version: found.values[i], source: rolledRecordSource(cluster) };
}

/** What a version change is judged against: the roll's record, else the previous outputs, else nothing (a first deployment). */
export function judgedAgainst(rolled: RunningVersion | undefined, previous: RunningVersion | undefined): RunningVersion | undefined {
    return rolled ?? previous;
}
