/**
 * Where every secret lives: the single source of truth for the secrets
 * bucket's object keys (by audience), the files an instance of each role
 * fetches, their local paths and modes, and the tmpfs directories that hold
 * them. The bucket, the IAM policies and the boot-time fetch script are all
 * rendered from these tables, so they cannot disagree.
 *
 *   control-plane/      cluster, front-proxy and etcd CAs, service-account key pair, apiserver-etcd-client
 *   nodes/              the cluster CA certificate and the join material (bootstrap token, CA hash): no CA key
 *   etcd/<member>/      one external etcd member's server and peer certificates and the etcd CA certificate
 *
 * The control plane adds objects of its own to its folder (controlPlaneExtraObjects):
 *   control-plane/encryption-config.yaml              the apiserver's EncryptionConfiguration (holds the key)
 *   control-plane/slots/<slot>/kubeadm-{init,join}.yaml  per slot (fixed IP), with the bootstrap token
 */

export type EtcdTopology = "stacked" | "external";

/** Who reads secrets: the control plane, the worker nodes, or one external etcd member. */
export type Audience = { readonly kind: "control-plane" } | { readonly kind: "node" } | { readonly kind: "etcd"; readonly member: string };
export type RoleKind = Audience["kind"];

export const CONTROL_PLANE_PREFIX = "control-plane";
export const NODES_PREFIX = "nodes";
export const ETCD_PREFIX = "etcd";

/** The tmpfs directories secrets are delivered into. */
export const KUBERNETES_PKI_DIR = "/etc/kubernetes/pki";
export const ETCD_PKI_DIR = "/etc/etcd/pki";

/** File modes: private keys and tokens 0600, certificates and public keys 0644, directories 0700. */
export const SECRET_MODE = "0600";
export const PUBLIC_MODE = "0644";
export const DIR_MODE = "0700";

/** An etcd member name: a DNS label, used in object keys and logical names. */
export const ETCD_MEMBER_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** One object in the bucket. */
export interface SecretObject {
    /** The audience folder it lives in: `control-plane`, `nodes` or `etcd/<member>`. */
    readonly prefix: string;
    /** Its name inside that folder (may contain `/`), e.g. `ca.key`, `etcd/ca.crt`. */
    readonly name: string;
    /** Private keys and tokens are secret; certificates, public keys and the CA hash are not. */
    readonly secret: boolean;
    /** The absolute path an instance writes it to. */
    readonly path: string;
    /** `0600` or `0644`. */
    readonly mode: string;
}

/** The object's key in the bucket. */
export function objectKey(o: Pick<SecretObject, "prefix" | "name">): string {
    return `${o.prefix}/${o.name}`;
}

/** The folder an audience owns: `control-plane`, `nodes`, `etcd/<member>`. */
export function audiencePrefix(a: Audience): string {
    switch (a.kind) {
        case "control-plane":
            return CONTROL_PLANE_PREFIX;
        case "node":
            return NODES_PREFIX;
        case "etcd":
            assertMemberName(a.member);
            return `${ETCD_PREFIX}/${a.member}`;
    }
}

export function assertMemberName(member: string): void {
    if (!ETCD_MEMBER_RE.test(member)) throw new Error(`etcd member name ${JSON.stringify(member)} is not a DNS label`);
}

type Entry = readonly [name: string, secret: boolean];
const cert = (name: string): Entry => [name, false];
const key = (name: string): Entry => [name, true];

/** The objects stored under an audience's own folder. */
export function audienceObjects(a: Audience, topology: EtcdTopology): SecretObject[] {
    const prefix = audiencePrefix(a);
    const at =
        (dir: string) =>
        ([name, secret]: Entry): SecretObject => ({
            prefix,
            name,
            secret,
            path: `${dir}/${name}`,
            mode: secret ? SECRET_MODE : PUBLIC_MODE,
        });
    switch (a.kind) {
        case "control-plane":
            return [
                cert("ca.crt"),
                key("ca.key"),
                cert("front-proxy-ca.crt"),
                key("front-proxy-ca.key"),
                cert("etcd/ca.crt"),
                // With stacked etcd, kubeadm issues each slot's etcd server/peer certificates locally and needs the
                // etcd CA key; with external etcd the members' certificates are issued here and the key stays home.
                ...(topology === "stacked" ? [key("etcd/ca.key")] : []),
                key("sa.key"),
                cert("sa.pub"),
                cert("apiserver-etcd-client.crt"),
                key("apiserver-etcd-client.key"),
            ].map(at(KUBERNETES_PKI_DIR));
        case "node":
            return [cert("ca.crt"), key(BOOTSTRAP_TOKEN_FILE), cert(CA_HASH_FILE)].map(at(KUBERNETES_PKI_DIR));
        case "etcd":
            return [cert("ca.crt"), cert("server.crt"), key("server.key"), cert("peer.crt"), key("peer.key")].map(at(ETCD_PKI_DIR));
    }
}

/** Join material file names (as kubeadm's `--token` and `--discovery-token-ca-cert-hash`). */
export const BOOTSTRAP_TOKEN_FILE = "bootstrap-token";
export const CA_HASH_FILE = "discovery-token-ca-cert-hash";

/** The folders an instance of this role may read. */
export function readablePrefixes(a: Audience): string[] {
    return a.kind === "control-plane" ? [CONTROL_PLANE_PREFIX, NODES_PREFIX] : [audiencePrefix(a)];
}

/**
 * What an instance of the role fetches at boot: its own folder, and for the
 * control plane the join material from `nodes/` too (the CA certificate is
 * already in its own folder; the first entry for a local path wins).
 */
export function fetchedObjects(a: Audience, topology: EtcdTopology): SecretObject[] {
    const all = a.kind === "control-plane" ? [...audienceObjects(a, topology), ...audienceObjects({ kind: "node" }, topology)] : audienceObjects(a, topology);
    const seen = new Set<string>();
    return all.filter((o) => (seen.has(o.path) ? false : (seen.add(o.path), true)));
}

/** Every object in the bucket, for a cluster with these external etcd members (none when stacked). */
export function allObjects(topology: EtcdTopology, etcdMembers: readonly string[]): SecretObject[] {
    const audiences: Audience[] = [{ kind: "control-plane" }, { kind: "node" }, ...(topology === "external" ? etcdMembers.map((member): Audience => ({ kind: "etcd", member })) : [])];
    return audiences.flatMap((a) => audienceObjects(a, topology));
}

/** The tmpfs directories an instance of the role mounts: the Kubernetes PKI everywhere, the etcd PKI on etcd members. */
export function secretsDirs(kind: RoleKind): string[] {
    return kind === "etcd" ? [KUBERNETES_PKI_DIR, ETCD_PKI_DIR] : [KUBERNETES_PKI_DIR];
}

/** The content of every object, by audience folder and name: what the PKI hands the bucket. */
export interface SecretContents<T> {
    readonly controlPlane: Readonly<Record<string, T>>;
    readonly nodes: Readonly<Record<string, T>>;
    /** External etcd member name -> that member's files; empty with stacked etcd. */
    readonly etcd: Readonly<Record<string, Readonly<Record<string, T>>>>;
}

function folderOf<T>(contents: SecretContents<T>, prefix: string): Readonly<Record<string, T>> | undefined {
    if (prefix === CONTROL_PLANE_PREFIX) return contents.controlPlane;
    if (prefix === NODES_PREFIX) return contents.nodes;
    if (prefix.startsWith(`${ETCD_PREFIX}/`)) return contents.etcd[prefix.slice(ETCD_PREFIX.length + 1)];
    return undefined;
}

/**
 * Pairs every object of the layout with its content. Throws, naming each
 * key, when content is missing for an object or given for no object, so a
 * layout change that the PKI does not follow fails at `pulumi preview`.
 */
export function pairContents<T>(contents: SecretContents<T>, topology: EtcdTopology): { object: SecretObject; content: T }[] {
    const members = Object.keys(contents.etcd);
    members.forEach(assertMemberName);
    if (topology === "stacked" && members.length > 0) throw new Error(`etcd member secrets given with stacked etcd: ${members.join(", ")}`);
    const objects = allObjects(topology, members);
    const missing = objects.filter((o) => folderOf(contents, o.prefix)?.[o.name] === undefined).map(objectKey);
    const expected = new Set(objects.map(objectKey));
    const given = [
        ...Object.keys(contents.controlPlane).map((n) => `${CONTROL_PLANE_PREFIX}/${n}`),
        ...Object.keys(contents.nodes).map((n) => `${NODES_PREFIX}/${n}`),
        ...members.flatMap((m) => Object.keys(contents.etcd[m]).map((n) => `${ETCD_PREFIX}/${m}/${n}`)),
    ];
    const extra = given.filter((k) => !expected.has(k));
    if (missing.length > 0 || extra.length > 0) {
        throw new Error([missing.length > 0 ? `no content for ${missing.join(", ")}` : "", extra.length > 0 ? `content for unknown objects ${extra.join(", ")}` : ""].filter(Boolean).join("; "));
    }
    return objects.map((object) => ({ object, content: folderOf(contents, object.prefix)![object.name] }));
}

// ---------------------------------------------------------------------------------------------
// The control plane's own objects: not PKI material, but secrets the control-plane component
// renders (kubeadm configurations with the bootstrap token, the encryption key). Same folder,
// same readers; they differ per slot, so each slot fetches its own with a slot-specific unit
// (components/host/slotSecrets.ts) after the role's fetch unit has mounted the tmpfs.

/** Per-slot objects live under `control-plane/slots/<slot>/`. */
export const SLOTS_PREFIX = `${CONTROL_PLANE_PREFIX}/slots`;
export const KUBEADM_INIT_FILE = "kubeadm-init.yaml";
export const KUBEADM_JOIN_FILE = "kubeadm-join.yaml";
export const ENCRYPTION_CONFIG_FILE = "encryption-config.yaml";

/** A control-plane slot's folder: `control-plane/slots/<slot>`. */
export function slotPrefix(slot: string): string {
    if (!ETCD_MEMBER_RE.test(slot)) throw new Error(`slot name ${JSON.stringify(slot)} is not a DNS label`);
    return `${SLOTS_PREFIX}/${slot}`;
}

const secretAt = (prefix: string, name: string, path: string): SecretObject => ({ prefix, name, secret: true, path, mode: SECRET_MODE });

/**
 * What one control-plane slot fetches besides its role's objects: its kubeadm init and join
 * configurations (to the fixed paths its bootstrap unit reads) and the cluster's encryption
 * configuration (in the pki directory, which kubeadm already mounts into kube-apiserver).
 */
export function controlPlaneSlotObjects(slot: string): SecretObject[] {
    return [
        secretAt(slotPrefix(slot), KUBEADM_INIT_FILE, `${KUBERNETES_PKI_DIR}/kubeadm/init.yaml`),
        secretAt(slotPrefix(slot), KUBEADM_JOIN_FILE, `${KUBERNETES_PKI_DIR}/kubeadm/join.yaml`),
        secretAt(CONTROL_PLANE_PREFIX, ENCRYPTION_CONFIG_FILE, `${KUBERNETES_PKI_DIR}/encryption-config.yaml`),
    ];
}

/** Every control-plane extra object of a cluster with these slots (the encryption configuration once). */
export function controlPlaneExtraObjects(slots: readonly string[]): SecretObject[] {
    const all = slots.flatMap(controlPlaneSlotObjects);
    const seen = new Set<string>();
    return all.filter((o) => (seen.has(objectKey(o)) ? false : (seen.add(objectKey(o)), true)));
}

/**
 * Checks objects a caller adds to the bucket next to the layout's: each in the control plane's
 * folder (so exactly the control-plane role may read it), none replacing a layout object, none twice.
 */
export function checkExtraObjects(extra: readonly SecretObject[], layout: readonly SecretObject[]): void {
    const taken = new Set(layout.map(objectKey));
    const seen = new Set<string>();
    for (const o of extra) {
        const key = objectKey(o);
        if (o.prefix !== CONTROL_PLANE_PREFIX && !o.prefix.startsWith(`${CONTROL_PLANE_PREFIX}/`)) throw new Error(`extra object ${key} is outside ${CONTROL_PLANE_PREFIX}/`);
        if (taken.has(key)) throw new Error(`extra object ${key} would replace a PKI object`);
        if (seen.has(key)) throw new Error(`extra object ${key} is given twice`);
        if (o.mode !== (o.secret ? SECRET_MODE : PUBLIC_MODE)) throw new Error(`extra object ${key} has mode ${o.mode}`);
        seen.add(key);
    }
}
