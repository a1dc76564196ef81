/**
 * Reads `Pulumi.yaml` and `stacks/Pulumi.<stack>.yaml` the way the Pulumi CLI
 * does, and flattens the stack's config into the runtime's form
 * (`namespace:key` -> string, objects as JSON), so the offline render feeds
 * the program exactly the configuration `pulumi up` would.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import type { ConfigProblem } from "../../config";

export interface StackFile {
    readonly project: string;
    readonly stack: string;
    readonly path: string;
    /** Runtime config: keys qualified with their namespace, values as strings. */
    readonly config: Record<string, string>;
    /**
     * Mistakes the Pulumi CLI would stop at, or resolve at random, before the
     * program runs. The render still runs the program, so that one run lists
     * these and the program's own problems together.
     */
    readonly problems: readonly ConfigProblem[];
}

export class StackFileError extends Error {}

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export function projectName(root = PROJECT_ROOT): string {
    const doc = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name?: string; stackConfigDir?: string };
    if (!doc?.name) throw new StackFileError("Pulumi.yaml has no project name");
    return doc.name;
}

export function stackFilePath(stack: string, root = PROJECT_ROOT): string {
    const doc = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { stackConfigDir?: string };
    return path.join(root, doc.stackConfigDir ?? ".", `Pulumi.${stack}.yaml`);
}

export function listStacks(root = PROJECT_ROOT): string[] {
    const dir = path.dirname(stackFilePath("x", root));
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => Boolean(s))
        .sort();
}

/**
 * Why `stack` is not a usable stack name, or undefined. Pulumi's rule: 1-100
 * characters, each a letter, digit, '-', '_' or '.'
 * (pulumi/pulumi@v3.248.0:sdk/go/common/tokens/stack_name.go, ParseStackName).
 * Pulumi accepts "." and "..", but they cannot name the output folder out/<stack>.
 */
export function stackNameProblem(stack: string): string | undefined {
    if (stack.length === 0 || stack.length > 100 || !/^[A-Za-z0-9_.-]+$/.test(stack)) {
        return "a stack name: 1-100 letters, digits, '-', '_' or '.'";
    }
    if (/^\.+$/.test(stack)) return "a stack name that is not only dots (it names the output folder out/<stack>)";
    return undefined;
}

export function readStackFile(stack: string, root = PROJECT_ROOT): StackFile {
    const nameProblem = stackNameProblem(stack);
    if (nameProblem) throw new StackFileError(`--stack: ${JSON.stringify(stack)} is not valid; allowed: ${nameProblem}`);
    const project = projectName(root);
    const file = stackFilePath(stack, root);
    if (!fs.existsSync(file)) {
        throw new StackFileError(`--stack: ${JSON.stringify(stack)} has no stack file ${path.relative(root, file)}; allowed: ${listStacks(root).join(", ")}`);
    }
    return parseStackFile(project, stack, file);
}

/** Reads a stack file at any path (`Pulumi.<stack>.yaml`), e.g. one kept outside stacks/. */
export function readStackFileAt(file: string, root = PROJECT_ROOT): StackFile {
    const stack = /^Pulumi\.(.+)\.yaml$/.exec(path.basename(file))?.[1];
    if (!stack) throw new StackFileError(`--stack-file: ${JSON.stringify(file)} is not valid; allowed: a file named Pulumi.<stack>.yaml`);
    const nameProblem = stackNameProblem(stack);
    if (nameProblem) throw new StackFileError(`--stack-file: ${JSON.stringify(file)} is not valid; allowed: a file named Pulumi.<stack>.yaml, <stack> ${nameProblem}`);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile())
        throw new StackFileError(`--stack-file: ${JSON.stringify(file)} is not valid; allowed: an existing stack file (there is none at that path)`);
    return parseStackFile(projectName(root), stack, path.resolve(file));
}

function parseStackFile(project: string, stack: string, file: string): StackFile {
    let doc: unknown;
    try {
        doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
    } catch (e) {
        throw new StackFileError(`${path.basename(file)}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
    if (!isMapping(doc)) throw new StackFileError(`${path.basename(file)}: ${describeYaml(doc)} is not valid; allowed: a mapping with a config: section`);
    const section = doc.config ?? {};
    if (!isMapping(section)) {
        throw new StackFileError(`${path.basename(file)}: config: ${describeYaml(section)} is not valid; allowed: a mapping of settings such as aws:region and k8s-aws:cluster`);
    }
    const config: Record<string, string> = {};
    const problems: ConfigProblem[] = [];
    const writtenAs = new Map<string, string>();
    for (const [rawKey, value] of Object.entries(section)) {
        // A bare key belongs to the project, as `pulumi` reads it
        // (pulumi/pulumi@v3.248.0:sdk/go/common/workspace/loaders.go, stackConfigNamespacedWithProject).
        const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
        if (containsSecure(value)) {
            throw new StackFileError(`${key}: holds a 'secure:' value, which only the Pulumi CLI can decrypt; the offline render takes plain values`);
        }
        const earlier = writtenAs.get(key);
        if (earlier !== undefined) {
            // The CLI namespaces keys into a Go map: which of the two survives is up to map order, i.e. random.
            problems.push({ key, value: [earlier, rawKey], allowed: `the setting written once, as ${earlier}: or as ${rawKey}: (both name ${key}; the Pulumi CLI would keep either, at random)` });
        }
        writtenAs.set(key, rawKey);
        problems.push(...nonFiniteNumbers(key, value));
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return { project, stack, path: file, config, problems };
}

function isMapping(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describeYaml(v: unknown): string {
    if (Array.isArray(v)) return "a list";
    return JSON.stringify(v) ?? String(v);
}

/**
 * YAML's .inf, -.inf and .nan. The CLI hands structured config to the program
 * as JSON, which has no such numbers: it refuses the stack file
 * (pulumi/pulumi@v3.248.0:sdk/go/common/resource/config/object.go, MarshalString -> json.Marshal).
 */
function nonFiniteNumbers(key: string, value: unknown, at = ""): ConfigProblem[] {
    if (typeof value === "number" && !Number.isFinite(value)) {
        return [{ key: `${key}${at}`, value, allowed: "a finite number (JSON, which carries the configuration to the program, has no infinity or NaN)" }];
    }
    if (Array.isArray(value)) return value.flatMap((v, i) => nonFiniteNumbers(key, v, `${at}[${i}]`));
    if (isMapping(value)) return Object.entries(value).flatMap(([k, v]) => nonFiniteNumbers(key, v, `${at}.${k}`));
    return [];
}

function containsSecure(value: unknown): boolean {
    if (value && typeof value === "object") {
        if ("secure" in (value as object) && Object.keys(value as object).length === 1) return true;
        return Object.values(value as object).some(containsSecure);
    }
    return false;
}
