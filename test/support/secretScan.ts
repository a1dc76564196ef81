/**
 * Finds secret material outside secrets in a mocked program run: every value
 * the run holds as a secret (program inputs, provider state, stack outputs),
 * and recognisable pieces of it, searched for in everything the engine would
 * store or show in plain text: resource ids, names, URNs, plain inputs, plain
 * provider state, plain stack outputs, and the render's files.
 */
import { RecordedResource, Secret } from "../../tools/mocks";
import { ProgramRun } from "../../tools/offline/run";
import { buildPlan, manifestFiles, policyDocumentFiles, userDataFiles } from "../../tools/offline/plan";

/** Shorter values match plain text by chance (and bootstrap token ids, 6 characters, are public by kubeadm's design). */
const MIN_ATOM = 12;

/** Settings inside a secret document whose value is itself the secret (kubeconfig key data, EncryptionConfiguration, kubeadm token). */
const SECRET_SETTING = /(?:^|[\s"'{,])(?:client-key-data|token|secret|password)["']?\s*[:=]\s*["']?([A-Za-z0-9+/=._-]{12,})/gim;
const PEM_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;

/** Every string inside a Secret marker, however deep. */
export function secretStrings(value: unknown, inSecret = false, out: string[] = []): string[] {
    if (value instanceof Secret) return secretStrings(value.value, true, out);
    if (typeof value === "string") {
        if (inSecret) out.push(value);
    } else if (Array.isArray(value)) value.forEach((v) => secretStrings(v, inSecret, out));
    else if (value && typeof value === "object") Object.values(value).forEach((v) => secretStrings(v, inSecret, out));
    return out;
}

/** A secret value and the pieces of it a leak would show: private key blocks and bodies, base64 forms, secret settings inside documents. */
export function atomsOf(secret: string): string[] {
    const atoms = new Set<string>([secret]);
    const add = (a: string) => {
        if (a.length >= MIN_ATOM) atoms.add(a);
    };
    for (const block of secret.match(PEM_BLOCK) ?? []) {
        add(block);
        // The longest base64 line: the same key re-wrapped or pasted without its armour still contains it.
        const lines = block.split(/\r?\n/).filter((l) => l && !l.startsWith("-----"));
        add(lines.sort((a, b) => b.length - a.length)[0] ?? "");
        add(Buffer.from(block).toString("base64").slice(0, 64));
        add(Buffer.from(`${block}\n`).toString("base64").slice(0, 64));
    }
    for (const m of secret.matchAll(SECRET_SETTING)) add(m[1]);
    add(Buffer.from(secret).toString("base64").slice(0, 64));
    return [...atoms].filter((a) => a.length >= MIN_ATOM);
}

/** Everything a run holds as secret: program inputs, provider state and stack outputs. */
export function runSecrets(run: Pick<ProgramRun, "resources" | "outputs">): string[] {
    const all = [...run.resources.flatMap((r) => [...secretStrings(r.inputs), ...secretStrings(r.outputs)]), ...secretStrings(run.outputs)];
    return [...new Set(all.flatMap(atomsOf))];
}

/** Plain text the engine stores or shows: one entry per place, secrets replaced by "[secret]" (Secret.toJSON). */
export function plainPlaces(run: ProgramRun): { where: string; text: string }[] {
    const places: { where: string; text: string }[] = [];
    const plan = buildPlan(run);
    for (const r of plan.resources) places.push({ where: `plan ${r.urn}`, text: JSON.stringify(r) });
    places.push({ where: "plan outputs", text: JSON.stringify(plan.outputs) });
    for (const r of run.resources as RecordedResource[]) {
        places.push({ where: `state id of ${r.urn}`, text: r.id ?? "" });
        places.push({ where: `state outputs of ${r.urn}`, text: JSON.stringify(r.outputs) });
    }
    for (const [name, text] of userDataFiles(run.resources)) places.push({ where: `userdata/${name}.yaml`, text });
    for (const [name, text] of manifestFiles(run.resources)) places.push({ where: `manifests/${name}.yaml`, text });
    for (const [name, text] of policyDocumentFiles(run.resources)) places.push({ where: `iam/${name}.json`, text });
    return places;
}

/** "<secret prefix>... in <place>" for every secret atom found in plain text. */
export function leaks(run: ProgramRun): string[] {
    const atoms = runSecrets(run);
    const found: string[] = [];
    for (const place of plainPlaces(run)) {
        for (const a of atoms) if (place.text.includes(a)) found.push(`${JSON.stringify(a.slice(0, 24))}... in ${place.where}`);
    }
    return found;
}
