/**
 * How the offline tools end on an error: a user's mistake (bad stack
 * configuration, unknown stack, unreadable file) is one line per problem and
 * exit 2, never a stack trace; anything else is a bug and shows its trace.
 */
import { ConfigError, formatProblem } from "../../config";
import { StackFileError } from "./stackFile";
import { PolicyConfigFileError } from "../../policies/packconfig";
import { UsageError } from "./usage";

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
    write(`internal error (please report): ${e instanceof Error ? e.stack : String(e)}\n`);
    return 3;
}
