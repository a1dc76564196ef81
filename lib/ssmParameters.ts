/**
 * AWS Systems Manager Parameter Store facts the program, the roll and the mocks share
 * (PutParameter, "Naming Constraints" and Tier:
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html;
 * "Managing parameter tiers": https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html):
 * - names are case sensitive, use only a-zA-Z0-9_.- and `/` between hierarchy levels, a name in a
 *   hierarchy begins with `/`, no name is prefixed with "aws" or "ssm" (case-insensitive; checked here
 *   on the first level, where `/aws/service/...` is AWS's own public namespace), a hierarchy has at most
 *   15 levels, and the name with its ARN is at most 1011 characters;
 * - a Standard parameter holds a value of at most 4 KB (4096 characters), costs nothing and is the
 *   default tier; Advanced holds 8 KB and is charged.
 * A missing name: GetParameter answers the error ParameterNotFound
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html, Errors),
 * GetParametersByPath answers an empty list.
 */
export const SSM_PARAMETER_NAME_CHARS = /^[a-zA-Z0-9_.\-/]+$/;
export const SSM_PARAMETER_MAX_LEVELS = 15;
export const SSM_PARAMETER_NAME_WITH_ARN_MAX = 1011;
export const SSM_STANDARD_VALUE_MAX = 4096;

/** Why AWS would refuse this parameter name (undefined: it would accept it). */
export function ssmParameterNameProblem(name: string, arnPrefix: string): string | undefined {
    if (!SSM_PARAMETER_NAME_CHARS.test(name)) return "only a-zA-Z0-9_.- and / are allowed in a parameter name";
    const bare = name.replace(/^\//, "");
    if (/^(aws|ssm)/i.test(bare)) return `a parameter name can't be prefixed with "aws" or "ssm"`;
    const levels = name.startsWith("/") ? bare.split("/") : [name];
    if (name.includes("/") && !name.startsWith("/")) return "a parameter name in a hierarchy begins with /";
    if (levels.some((l) => l === "")) return "empty hierarchy level";
    if (levels.length > SSM_PARAMETER_MAX_LEVELS) return `parameter hierarchies are limited to ${SSM_PARAMETER_MAX_LEVELS} levels`;
    if (`${arnPrefix}${name}`.length > SSM_PARAMETER_NAME_WITH_ARN_MAX) return `a parameter name with its ARN is at most ${SSM_PARAMETER_NAME_WITH_ARN_MAX} characters`;
    return undefined;
}
