/**
 * How the offline tools end on an error: a user's mistake (bad stack
 * configuration, unknown stack, unreadable file) is one line per problem and
 * exit 2, never a stack trace; a resource AWS would refuse is one line per
 * refusal and exit 3; anything else is a bug and shows its trace.
 */
import { ConfigError, formatProblem } from "../../config";
import { StackFileError } from "./stackFile";
import { PolicyConfigFileError } from "../../policies/packconfig";
import { UsageError } from "./usage";
import { RegistrationError } from "./run";

export function reportFailure(e: unknown, write: (text: string) => void = (t) => process.stderr.write(t)): number {
    if (ConfigError.is(e)) {
        for (const p of e.problems) write(`${formatProblem(p)}\n`);
        return 2;
    }
    if (e instanceof PolicyConfigFileError) {
        for (const line of e.lines) write(`${line}\n`);
        return 2;
    }
    if (e instanceof StackFileError || e instanceof UsageError) {
        write(`${e.message}\n`);
        return 2;
    }
    if (e instanceof RegistrationError) {
        // The mocked AWS refused a resource (tools/mocks/awsLimits.ts): `pulumi up` would fail the same way.
        write(`the plan would fail on AWS: ${e.errors.length} resource(s) refused (a defect of the program unless the configuration allows it; please report):\n`);
        for (const err of e.errors) write(`  ${err.message}\n`);
        return 3;
    }
    write(`internal error (please report): ${e instanceof Error ? e.stack : String(e)}\n`);
    return 3;
}
