/**
 * A prod-shaped slot plan (three zones of eu-west-1) and the user-data inputs every slot of it
 * shares, for specs that render a slot's user data without running a stack.
 */
import { planSlots } from "../../components/controlplane";

export const SLOT_REGION = "eu-west-1";

/** Three control-plane slots and, unless told otherwise, three external etcd members. */
export function prodSlots(etcdMembers: 0 | 3 = 3): ReturnType<typeof planSlots> {
    return planSlots({
        region: SLOT_REGION,
        zones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        instanceSubnetCidrs: ["10.30.0.0/19", "10.30.32.0/19", "10.30.64.0/19"],
        controlPlaneCount: 3,
        etcdMembers,
    });
}

/** What controlPlaneUserData and etcdMemberUserData take besides the slot itself. */
export const SLOT_USER_DATA_COMMON = {
    cluster: "prod",
    region: SLOT_REGION,
    kubernetes: { minor: "1.35", version: "1.35.9" },
    arch: "amd64" as const,
    bucket: "prod-secrets-0123456789",
    kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-4333-a444-555555555555",
};

/** The internal API endpoint of that cluster's control plane. */
export const SLOT_API_ENDPOINT = "api.internal.prod.k8s.example.net:6443";
