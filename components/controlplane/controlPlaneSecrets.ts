/**
 * The control plane's own secrets, as objects for the secrets bucket: per
 * slot its kubeadm init and join configurations (bootstrap token, fixed IP),
 * and the apiserver's EncryptionConfiguration with the cluster's key for
 * Secrets at rest. Everything here is a Pulumi secret end to end.
 *
 * The key: 32 bytes for secretbox, the SHA-256 of a 64-character random
 * password (about 381 bits). Not random.RandomBytes: the Pulumi bridge makes
 * the bytes' base64 that resource's ID, and IDs are stored and shown in plain
 * text; a RandomPassword's ID is "none" and its result a secret output.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ExtraSecretObject } from "../secrets/secretsBucket";
import { controlPlaneSlotObjects, ENCRYPTION_CONFIG_FILE, KUBEADM_INIT_FILE, KUBEADM_JOIN_FILE } from "../secrets/layout";
import { renderEncryptionConfig } from "../host";
import { ControlPlaneKubeadmInput, slotKubeadmConfigs } from "./kubeadmConfigs";
import { SlotPlan } from "./slots";

/** The key's name in the configuration; a rotation adds the next one in front. */
export const ENCRYPTION_KEY_NAME = "k8s-aws-1";

export interface ControlPlaneSecretsArgs {
    /** Everything but the secret and late-known parts. */
    readonly kubeadm: Omit<ControlPlaneKubeadmInput, "certSans" | "token" | "caCertHash">;
    readonly certSans: pulumi.Input<string[]>;
    readonly token: pulumi.Input<string>;
    readonly caCertHash: pulumi.Input<string>;
    readonly slots: readonly SlotPlan[];
}

/** The secretbox key (base64 of 32 bytes) derived from the random password. */
export function encryptionKeyFrom(password: string): string {
    if (password.length < 32) throw new Error("the encryption key's password is too short");
    return crypto.createHash("sha256").update(password, "utf8").digest("base64");
}

export class ControlPlaneSecrets extends pulumi.ComponentResource {
    /** For SecretsBucket.extraObjects. */
    readonly objects: ExtraSecretObject[];

    constructor(name: string, args: ControlPlaneSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-aws:controlplane:ControlPlaneSecrets", name, {}, opts);
        const password = new random.RandomPassword(`${name}-encryption-key`, { length: 64, special: false }, { parent: this, additionalSecretOutputs: ["result"] });
        const encryptionConfig = pulumi.secret(password.result.apply((p) => renderEncryptionConfig({ name: ENCRYPTION_KEY_NAME, secret: encryptionKeyFrom(p) })));
        const configs = pulumi.secret(
            pulumi
                .all([args.certSans, args.token, args.caCertHash])
                .apply(([certSans, token, caCertHash]) => Object.fromEntries(args.slots.map((s) => [s.name, slotKubeadmConfigs({ ...args.kubeadm, certSans, token, caCertHash }, s.ip)]))),
        );
        const content: Record<string, (slot: string) => pulumi.Output<string>> = {
            [KUBEADM_INIT_FILE]: (slot) => configs.apply((c) => c[slot].init),
            [KUBEADM_JOIN_FILE]: (slot) => configs.apply((c) => c[slot].join),
            [ENCRYPTION_CONFIG_FILE]: () => encryptionConfig,
        };
        const seen = new Set<string>();
        this.objects = args.slots
            .flatMap((s) => controlPlaneSlotObjects(s.name).map((object) => ({ object, content: content[object.name](s.name) })))
            .filter(({ object }) => {
                const key = `${object.prefix}/${object.name}`;
                return seen.has(key) ? false : (seen.add(key), true);
            });
        this.registerOutputs({ objectKeys: this.objects.map((o) => `${o.object.prefix}/${o.object.name}`) });
    }
}
