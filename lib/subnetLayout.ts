/**
 * How a new VPC's address range is split: up to six zones, each with one
 * private and one public subnet, never overlapping. The VPC is cut into 8
 * blocks (prefix + 3): blocks 0-5 are the zones' private subnets (where the
 * cluster lives, so they get the room), block 6 is kept free for growth, and
 * block 7 is cut into 8 public subnets (prefix + 6) for load balancers and NAT.
 * A /16 gives /19 private and /22 public subnets, as kops sizes them.
 */
import { Cidr, subnet } from "./cidr";

export const MAX_ZONES = 6;
export const MIN_VPC_PREFIX = 16; // AWS: a VPC is /16 to /28
/** Public subnets are prefix + 6 and AWS's smallest subnet is a /28. */
export const MAX_VPC_PREFIX = 22;

export interface ZoneSubnets {
    readonly private: Cidr;
    readonly public: Cidr;
}

export function zoneSubnets(vpc: Cidr, zoneIndex: number): ZoneSubnets {
    if (zoneIndex < 0 || zoneIndex >= MAX_ZONES) throw new Error(`zone index ${zoneIndex} is outside 0..${MAX_ZONES - 1}`);
    if (vpc.prefix < MIN_VPC_PREFIX || vpc.prefix > MAX_VPC_PREFIX) {
        throw new Error(`a /${vpc.prefix} VPC cannot be laid out; /${MIN_VPC_PREFIX} to /${MAX_VPC_PREFIX} can`);
    }
    const publicBlock = subnet(vpc, vpc.prefix + 3, 7);
    return {
        private: subnet(vpc, vpc.prefix + 3, zoneIndex),
        public: subnet(publicBlock, vpc.prefix + 6, zoneIndex),
    };
}
