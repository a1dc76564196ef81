/**
 * Reads `Pulumi.yaml` and `stacks/Pulumi.<stack>.yaml` the way the Pulumi CLI
 * does, and flattens the stack's config into the runtime's form
 * (`namespace:key` -> string, objects as JSON), so the offline render feeds
 * the program exactly the configuration `pulumi up` would.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

export interface StackFile {
    readonly project: string;
    readonly stack: string;
    readonly path: string;
    /** Runtime config: keys qualified with their namespace, values as strings. */
    readonly config: Record<string, string>;
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

export function readStackFile(stack: string, root = PROJECT_ROOT): StackFile {
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new StackFileError(`--stack: ${JSON.stringify(stack)} is not a stack name; allowed: letters, digits, '-', '_', '.'`);
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
    if (!stack) throw new StackFileError(`--stack-file: ${JSON.stringify(file)} is not named Pulumi.<stack>.yaml`);
    if (!fs.existsSync(file)) throw new StackFileError(`--stack-file: ${JSON.stringify(file)} does not exist`);
    return parseStackFile(projectName(root), stack, path.resolve(file));
}

function parseStackFile(project: string, stack: string, file: string): StackFile {
    let doc: { config?: Record<string, unknown> };
    try {
        doc = (YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    } catch (e) {
        throw new StackFileError(`${path.basename(file)}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
    const config: Record<string, string> = {};
    for (const [rawKey, value] of Object.entries(doc.config ?? {})) {
        const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
        if (containsSecure(value)) {
            throw new StackFileError(`${key}: holds a 'secure:' value, which only the Pulumi CLI can decrypt; the offline render takes plain values`);
        }
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return { project, stack, path: file, config };
}

function containsSecure(value: unknown): boolean {
    if (value && typeof value === "object") {
        if ("secure" in (value as object) && Object.keys(value as object).length === 1) return true;
        return Object.values(value as object).some(containsSecure);
    }
    return false;
}
