/**
 * The record's port on AWS Systems Manager (@aws-sdk/client-ssm 3.1178.0, pinned with the other
 * clients): GetParameter, answered ParameterNotFound for a missing name, and PutParameter with
 * Overwrite (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html,
 * API_PutParameter.html). The roll user needs ssm:GetParameter and ssm:PutParameter on
 * arn:aws:ssm:<region>:<account>:parameter/k8s-aws/<cluster>/rolled-kubernetes-version.
 */
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { VersionRecordPort } from "./record";

/** The record on AWS: credentials and region as every AWS tool finds them (AWS_ENDPOINT_URL points at an emulator in tests). */
export function ssmVersionRecord(region: string, name: string): VersionRecordPort {
    const ssm = new SSMClient({ region });
    return {
        async read() {
            try {
                const r = await ssm.send(new GetParameterCommand({ Name: name }));
                return r.Parameter?.Value;
            } catch (e) {
                if (e instanceof ParameterNotFound) return undefined;
                throw e;
            }
        },
        async write(version) {
            // Type and Tier as the program created it (String, Standard): an overwrite that named another tier would change it.
            await ssm.send(new PutParameterCommand({ Name: name, Value: version, Type: "String", Tier: "Standard", Overwrite: true }));
        },
    };
}
