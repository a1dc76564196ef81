/**
 * What launch templates and instances say about the machine they start: its
 * user data (read into a boot sequence) and its cluster role tags.
 */
import { Props, str, tagsOf, hasTag, TAG, T, SECRET } from "./resources";
import { readBoot, Boot, UserDataError } from "./boot";

export const MACHINE_TYPES: readonly string[] = [T.launchTemplate, T.instance];

/** The raw user data: launch templates carry base64; instances plain text or base64. */
export function rawUserData(props: Props): string | undefined {
    return str(props.userData) ?? str(props.userDataBase64);
}

export type BootRead = { kind: "none" } | { kind: "secret" } | { kind: "error"; message: string } | { kind: "ok"; boot: Boot };

/** The machine's boot sequence, or why there is none to check. */
export function bootOf(props: Props): BootRead {
    const raw = rawUserData(props);
    if (raw === undefined || raw === "") return { kind: "none" };
    if (raw === SECRET) return { kind: "secret" };
    try {
        return { kind: "ok", boot: readBoot(raw) };
    } catch (e) {
        if (e instanceof UserDataError) return { kind: "error", message: e.message };
        throw e;
    }
}

export function isEtcdMember(props: Props): boolean {
    return hasTag(tagsOf(props), TAG.etcd);
}
