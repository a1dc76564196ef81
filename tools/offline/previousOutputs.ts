/**
 * `--previous-outputs <file>`: the stack's outputs from its last deployment, for
 * the offline render (the mock runtime has no backend to read them from). The
 * file is what `pulumi stack output --json` prints, or a render's plan.json
 * (its `outputs`). Values printed as "[secret]" are secrets the file does not
 * hold; they are passed on as secret outputs, as the engine would.
 */
import * as fs from "fs";
import { UsageError } from "./usage";

export interface PreviousOutputs {
    readonly values: Record<string, unknown>;
    readonly secretNames: readonly string[];
}

const OPTION = "--previous-outputs";
const ALLOWED = "a JSON file holding the stack's outputs, as `pulumi stack output --json` prints them (or a render's plan.json)";

export function readPreviousOutputs(file: string): PreviousOutputs {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError([{ option: OPTION, value: file, allowed: `${ALLOWED}; cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
    }
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new UsageError([{ option: OPTION, value: file, allowed: `${ALLOWED}; it is not JSON: ${(e as Error).message}` }]);
    }
    const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
    const values = isObject(doc) && Array.isArray(doc.resources) && isObject(doc.outputs) ? doc.outputs : doc;
    if (!isObject(values)) throw new UsageError([{ option: OPTION, value: file, allowed: `${ALLOWED}; it holds ${Array.isArray(values) ? "an array" : typeof values}` }]);
    return { values, secretNames: Object.keys(values).filter((k) => values[k] === "[secret]") };
}
