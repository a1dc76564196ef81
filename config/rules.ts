/**
 * Rules that relate several configuration fields. Each returns problems
 * (never throws), so that every mistake in a stack file is reported at once.
 */
import { ClusterConfigInput } from "./schema";
import { ConfigProblem, keyOf } from "./errors";
import { Cidr, coveredAddresses, formatCidr, mustParseCidr, overlaps, parseCidr } from "../lib/cidr";
import { ifKnown, isUnknownValueError, unlessUnknown } from "./lenient";
import { KNOWN_REGIONS, zonesOf } from "./regions";
import { MAX_ZONES, MAX_VPC_PREFIX, MIN_VPC_PREFIX } from "../lib/subnetLayout";
// Label and taint rules: what a kubelet may set, cluster-autoscaler's tag limits.
import { nodePoolLabelProblems } from "./nodePoolLabels";
import { architectureOf, closestInstanceTypes, INSTANCE_TYPE_SOURCE, isKnownInstanceType, needsDedicatedHost } from "../lib/instanceTypes";
import { poolGroupTags } from "../lib/poolTags";
import { apiInternalDnsName, DLM_TARGET_TAG, slotTags, subnetTags } from "../lib/naming";
import { DNS_NAME_MAX, TAG_LIMITS } from "../lib/awsLimits";
import { ETCD_TIMING_LIMITS } from "../lib/etcdTuning";
import { CLUSTER_AUTOSCALER_TAGS, KubernetesMinor, SUPPORTED_KUBERNETES_MINORS } from "./versions";

type Check = (c: ClusterConfigInput, region: string) => ConfigProblem[];

const problem = (path: PropertyKey[], value: unknown, allowed: string): ConfigProblem => ({ key: keyOf(path), value, allowed });

// A missing region is reported where the stack is read (config/index.ts), once.
const checkRegion = (_c: ClusterConfigInput, region: string): ConfigProblem[] =>
    region === "" || KNOWN_REGIONS.includes(region) ? [] : [{ key: "aws:region", value: region, allowed: `one of ${KNOWN_REGIONS.join(", ")}` }];

const checkZones: Check = (c, region) => {
    const out: ConfigProblem[] = [];
    const known = zonesOf(region);
    const az = c.availabilityZones;
    if (Array.isArray(az)) {
        az.forEach((zone, i) => {
            if (known.length > 0 && !known.includes(zone)) {
                out.push(problem(["availabilityZones", i], zone, `a zone of ${region}: ${known.join(", ")}`));
            }
        });
        const dupes = az.filter((z, i) => az.indexOf(z) !== i);
        if (dupes.length > 0) out.push(problem(["availabilityZones"], az, "distinct zone names"));
    } else if (known.length > 0 && az > known.length) {
        out.push(problem(["availabilityZones"], az, `at most ${known.length} in ${region}`));
    }
    const zoneCount = Array.isArray(az) ? az.length : az;
    if (c.controlPlane.count > zoneCount) {
        out.push(problem(["controlPlane", "count"], c.controlPlane.count, `at most the number of availability zones (${zoneCount}): each slot needs its own zone`));
    }
    if (c.etcd.topology === "external" && c.etcd.members > zoneCount) {
        out.push(problem(["etcd", "members"], c.etcd.members, `at most the number of availability zones (${zoneCount})`));
    }
    return out;
};

const CIDR_ALLOWED = "a valid IPv4 CIDR with no host bits set, such as 10.0.0.0/16";

/** Parses the network CIDR fields (each on its own: one malformed field leaves the others' checks running); reports the unparseable ones. */
function parsedCidrs(c: ClusterConfigInput): { problems: ConfigProblem[]; vpc?: Cidr; pod?: Cidr; service?: Cidr } {
    const problems: ConfigProblem[] = [];
    const parse = (path: PropertyKey[], read: () => string) =>
        ifKnown(() => {
            const text = read();
            const parsed = parseCidr(text);
            if (!parsed) problems.push(problem(path, text, CIDR_ALLOWED));
            return parsed;
        });
    const vpc = parse(["network", "vpcCidr"], () => c.network.vpcCidr);
    const pod = parse(["podCidr"], () => c.podCidr);
    const service = parse(["serviceCidr"], () => c.serviceCidr);
    return { problems, vpc, pod, service };
}

/** Private and shared address space (RFC 1918, RFC 6598): not internet sources, so not counted as exposure. */
const NON_INTERNET = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"].map(mustParseCidr);
/** The most public addresses the admin CIDRs may cover together: one /8, the largest block ever assigned to one organisation. */
const MAX_ADMIN_ADDRESSES = 2 ** 24;

/**
 * The admin CIDRs are who may reach the API. Judged by the address space they
 * cover together, not by their spelling: [0.0.0.0/1, 128.0.0.0/1] is the
 * whole internet as surely as 0.0.0.0/0.
 */
const checkAdminCidrs: Check = (c) => {
    const out: ConfigProblem[] = [];
    const parsed: Cidr[] = [];
    c.adminCidrs.forEach((text, i) => {
        const cidr = parseCidr(text);
        if (cidr) parsed.push(cidr);
        else out.push(problem(["adminCidrs", i], text, CIDR_ALLOWED));
    });
    const exposed = coveredAddresses(parsed, NON_INTERNET);
    if (exposed > MAX_ADMIN_ADDRESSES) {
        const share = ((exposed / 2 ** 32) * 100).toFixed(1);
        out.push(
            problem(
                ["adminCidrs"],
                c.adminCidrs,
                `the admins' own networks, together at most ${MAX_ADMIN_ADDRESSES} internet addresses (a /8); these cover ${exposed} (${share}% of all IPv4 addresses), which opens the API to the internet`,
            ),
        );
    }
    return out;
};

const checkCidrs: Check = (c) => {
    const { problems, vpc, pod, service } = parsedCidrs(c);
    if (vpc && c.network.mode === "new" && (vpc.prefix < MIN_VPC_PREFIX || vpc.prefix > MAX_VPC_PREFIX)) {
        problems.push(
            problem(["network", "vpcCidr"], c.network.vpcCidr, `a /${MIN_VPC_PREFIX} to /${MAX_VPC_PREFIX}: smaller cannot hold ${MAX_ZONES} zones' public and private subnets (each at least /28)`),
        );
    }
    if (pod && vpc && overlaps(pod, vpc)) {
        problems.push(problem(["podCidr"], c.podCidr, `a range that does not overlap the VPC ${formatCidr(vpc)}`));
    }
    if (service && vpc && overlaps(service, vpc)) {
        problems.push(problem(["serviceCidr"], c.serviceCidr, `a range that does not overlap the VPC ${formatCidr(vpc)}`));
    }
    if (pod && service && overlaps(pod, service)) {
        problems.push(problem(["serviceCidr"], c.serviceCidr, `a range that does not overlap podCidr ${c.podCidr}`));
    }
    if (pod && pod.prefix > 20) {
        problems.push(problem(["podCidr"], c.podCidr, "a /20 or larger (Calico hands out /26 blocks per node)"));
    }
    if (service && (service.prefix < 12 || service.prefix > 24)) {
        problems.push(problem(["serviceCidr"], c.serviceCidr, "a /12 to /24 (kube-apiserver's limit)"));
    }
    return problems;
};

const checkExistingVpc: Check = (c) => {
    if (c.network.mode !== "existing") return [];
    const out: ConfigProblem[] = [];
    const subnets = c.network.subnets;
    const zones = c.availabilityZones;
    if (Array.isArray(zones)) {
        unlessUnknown(() => {
            for (const zone of zones) {
                if (!subnets[zone]) {
                    out.push(problem(["network", "subnets", zone], undefined, `public and private subnet ids for every zone in availabilityZones`));
                }
            }
            for (const zone of Object.keys(subnets)) {
                if (!zones.includes(zone)) {
                    out.push(problem(["network", "subnets", zone], subnets[zone], `only zones listed in availabilityZones (${zones.join(", ")})`));
                }
            }
        });
    } else {
        out.push(problem(["availabilityZones"], zones, "explicit zone names when network.mode is existing (the subnets are per zone)"));
    }
    unlessUnknown(() => {
        const ids = Object.values(subnets).flatMap((s) => ("public" in s ? [s.public, s.private] : []));
        const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
        if (dupes.length > 0) out.push(problem(["network", "subnets"], dupes, "a distinct subnet id per zone and tier"));
    });
    out.push(...checkCreatedSubnets(c.network));
    return out;
};

/**
 * Subnets the cluster creates inside an existing VPC (given as CIDRs): each a
 * /16 to /28 (EC2's subnet limits), none overlapping another, an internet
 * gateway to route the public ones through, and private subnets with egress
 * (the cluster's instances run there). That they sit inside the VPC and clear
 * its existing subnets is checked against EC2 in config/existingNetwork.ts.
 */
function checkCreatedSubnets(network: Extract<ClusterConfigInput["network"], { mode: "existing" }>): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    unlessUnknown(() => {
        const created = Object.entries(network.subnets).flatMap(([zone, s]) => ("publicCidr" in s ? (["publicCidr", "privateCidr"] as const).map((tier) => ({ zone, tier, text: s[tier] })) : []));
        if (created.length === 0) return;
        const parsed: { key: PropertyKey[]; text: string; cidr: Cidr }[] = [];
        for (const { zone, tier, text } of created) {
            const key = ["network", "subnets", zone, tier];
            const cidr = parseCidr(text);
            if (!cidr) out.push(problem(key, text, CIDR_ALLOWED));
            // EC2 CreateSubnet: "The allowed block size is between a /28 netmask and /16 netmask" (docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
            else if (cidr.prefix < 16 || cidr.prefix > 28) out.push(problem(key, text, "a /16 to /28 (EC2's subnet sizes)"));
            else {
                const clash = parsed.find((p) => overlaps(p.cidr, cidr));
                if (clash) out.push(problem(key, text, `a range that does not overlap ${clash.text} (${keyOf(clash.key)})`));
                parsed.push({ key, text, cidr });
            }
        }
        if (!network.internetGatewayId) {
            out.push(problem(["network", "internetGatewayId"], undefined, "the id of the VPC's internet gateway (igw-...) when the cluster creates subnets: their public route table points at it"));
        }
        if (network.privateSubnetsHaveNat === false) {
            out.push(
                problem(["network", "privateSubnetsHaveNat"], false, "true when the cluster creates subnets: its private subnets always get a NAT (the VPC's, by natGatewayId, or the cluster's own)"),
            );
        }
    });
    return out;
}

const checkControlPlane: Check = (c) => {
    const out: ConfigProblem[] = [];
    // Comparisons (not !==) so that a lenient run skips the rule when count is unknown (lenient.ts).
    if (c.controlPlane.endpoint === "elasticIp" && c.controlPlane.count > 1) {
        out.push(problem(["controlPlane", "endpoint"], "elasticIp", "loadBalancer when controlPlane.count is more than 1"));
    }
    if (c.controlPlane.endpoint === "elasticIp" && c.controlPlane.apiAccess === "internal") {
        out.push(problem(["controlPlane", "apiAccess"], "internal", "public with an elasticIp endpoint (an Elastic IP is public)"));
    }
    const schedulable = c.controlPlane.schedulable ?? c.controlPlane.count < 2;
    if (!schedulable && c.nodePools.length === 0) {
        out.push(problem(["nodePools"], [], "at least one node pool, or controlPlane.schedulable: true (nothing could run workloads)"));
    }
    return out;
};

/** etcd 3.6 refuses an election timeout under 5 heartbeats (ETCD_TIMING_LIMITS); reported here, before anything is created. */
const checkEtcdTiming: Check = (c) => {
    const { heartbeatIntervalMs: hb, electionTimeoutMs: el } = c.etcd;
    const min = ETCD_TIMING_LIMITS.minElectionHeartbeats;
    if (el < min * hb) {
        return [problem(["etcd", "electionTimeoutMs"], el, `at least ${min} x etcd.heartbeatIntervalMs (${hb} ms), so at least ${min * hb} ms: etcd refuses less (10 x is its tuning guide's advice)`)];
    }
    return [];
};

const checkNodePools: Check = (c) => {
    const out: ConfigProblem[] = [];
    const names = c.nodePools.map((p) => ifKnown(() => p.name));
    c.nodePools.forEach((pool, i) =>
        unlessUnknown(() => {
            if (names.indexOf(pool.name) !== i) out.push(problem(["nodePools", i, "name"], pool.name, "a name no other pool uses"));
            if (pool.min > pool.max) out.push(problem(["nodePools", i, "min"], pool.min, `at most max (${pool.max})`));
            if (pool.desired < pool.min || pool.desired > pool.max) {
                out.push(problem(["nodePools", i, "desired"], pool.desired, `between min (${pool.min}) and max (${pool.max})`));
            }
            if (pool.spotPercentage > 0 && pool.instanceTypes.length < 2) {
                out.push(problem(["nodePools", i, "instanceTypes"], pool.instanceTypes, "at least two instance types when spotPercentage > 0 (spot capacity needs choices)"));
            }
            const archs = new Set(pool.instanceTypes.map(architectureOf));
            if (archs.size > 1) out.push(problem(["nodePools", i, "instanceTypes"], pool.instanceTypes, "instance types of one CPU architecture (one AMI per pool)"));
        }),
    );
    c.nodePools.forEach((pool, i) => unlessUnknown(() => out.push(...nodePoolLabelProblems(pool, keyOf(["nodePools", i])))));
    return out;
};

/** Instance-type facts live in lib/instanceTypes.ts; re-exported for the components that pick an image by architecture. */
export { architectureOf };

/** Every configured instance type (control plane, etcd, every pool's on-demand and spot mix) is one EC2 knows and this program can run. */
const checkInstanceTypes: Check = (c) => {
    const configured: [PropertyKey[], string][] = [
        [["controlPlane", "instanceType"], c.controlPlane.instanceType],
        [["etcd", "instanceType"], c.etcd.instanceType],
        ...c.nodePools.flatMap((pool, i) => pool.instanceTypes.map((t, j): [PropertyKey[], string] => [["nodePools", i, "instanceTypes", j], t])),
    ];
    return configured.flatMap(([path, type]) => {
        if (!isKnownInstanceType(type)) {
            return [problem(path, type, `an instance type EC2 offers (${INSTANCE_TYPE_SOURCE}); closest: ${closestInstanceTypes(type).join(", ")}`)];
        }
        if (needsDedicatedHost(type)) {
            return [problem(path, type, "an instance type that runs Linux on shared tenancy (Mac instances need a Dedicated Host and macOS)")];
        }
        return [];
    });
};

const checkDns: Check = (c) => {
    const out: ConfigProblem[] = [];
    if (c.addons.externalDns && !c.dns) {
        out.push(problem(["addons", "externalDns"], true, "false, or set dns.zoneName and dns.zoneId (external-dns needs a zone)"));
    }
    // A private zone answers only in the VPCs associated with it; a VPC the cluster creates does not exist yet to be
    // associated, so private DNS goes with network.mode existing, whose association is checked before anything is created.
    if (c.dns?.private && c.network.mode !== "existing") {
        out.push(problem(["dns", "private"], true, "false, or network.mode existing with a private hosted zone already associated with that VPC"));
    }
    return out;
};

/** Addons whose AWS access is a kube2iam pod role. */
export const POD_ROLE_ADDONS = ["externalDns", "ebsCsi", "clusterAutoscaler"] as const;

/** Addons that need other addons: pod roles need kube2iam, which intercepts pods on Calico's interfaces. */
export function addonDependencyProblems(addons: ClusterConfigInput["addons"]): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    for (const addon of POD_ROLE_ADDONS) {
        if (addons[addon] && !addons.kube2iam) {
            out.push(problem(["addons", addon], true, "false, or addons.kube2iam: true (its AWS access is a kube2iam pod role)"));
        }
    }
    if (addons.kube2iam && !addons.calico) {
        out.push(problem(["addons", "kube2iam"], true, "false, or addons.calico: true (kube2iam intercepts pods' metadata calls on Calico's cali+ interfaces)"));
    }
    return out;
}

const checkAddons: Check = (c) => addonDependencyProblems(c.addons);

/** A certificate is trusted only while the CA that signed it is valid: the CA must last at least as long as the leaves it signs. */
const checkPki: Check = (c) =>
    c.pki.caValidityHours < c.pki.leafValidityHours
        ? [problem(["pki", "caValidityHours"], c.pki.caValidityHours, `at least leafValidityHours (${c.pki.leafValidityHours}): a certificate stops being trusted when its CA expires`)]
        : [];

/** An addon whose image must match the Kubernetes minor cannot run on a minor it has no release for (config/versions.ts). */
const checkAddonReleases: Check = (c) => {
    const minor = c.kubernetesVersion as KubernetesMinor;
    if (!c.addons.clusterAutoscaler || CLUSTER_AUTOSCALER_TAGS[minor] !== undefined) return [];
    const released = SUPPORTED_KUBERNETES_MINORS.filter((m) => CLUSTER_AUTOSCALER_TAGS[m] !== undefined);
    return [problem(["addons", "clusterAutoscaler"], true, `false with kubernetesVersion ${minor}: cluster-autoscaler has no ${minor} release yet (it has for ${released.join(", ")})`)];
};

/**
 * What no shortening can fix: the user's tags reach every AWS resource as they are, so a key AWS
 * reserves (`aws:`) or too many tags in all (AWS: 50 per resource, the program's own included)
 * would be refused at the first resource (lib/awsLimits.ts TAG_LIMITS). The count is taken on the
 * resources that carry the most program tags: each pool's autoscaling group (its node-template
 * tags grow with labels and taints), a slot's resources and a subnet.
 */
const checkTags: Check = (c) => {
    const out: ConfigProblem[] = [];
    for (const [key, value] of Object.entries(c.tags)) {
        const keyLength = [...key].length;
        if (keyLength === 0 || keyLength > TAG_LIMITS.keyMax) {
            // The key is what is wrong, so it is what the line shows.
            out.push(problem(["tags", key], key, `a tag key of 1-${TAG_LIMITS.keyMax} characters (this one has ${keyLength}; AWS tag limit: ${TAG_LIMITS.citation})`));
        }
        if ([...value].length > TAG_LIMITS.valueMax) {
            out.push(problem(["tags", key], value, `a tag value of at most ${TAG_LIMITS.valueMax} characters (this one has ${[...value].length}; AWS tag limit: ${TAG_LIMITS.citation})`));
        }
        if (key.toLowerCase().startsWith(TAG_LIMITS.reservedPrefix)) {
            out.push(problem(["tags", key], c.tags[key], `a key not beginning with '${TAG_LIMITS.reservedPrefix}' (AWS reserves that prefix: ${TAG_LIMITS.citation})`));
        }
    }
    const userKeys = Object.keys(c.tags).length;
    const counted = [
        // A slot's data volume: the slot's tags and the DLM snapshot policy's target tag.
        { path: ["tags"], n: Object.keys({ ...slotTags(c.name, c.tags, "control-plane", "control-plane-a"), [DLM_TARGET_TAG]: c.name }).length, on: "a control-plane slot's data volume" },
        { path: ["tags"], n: Object.keys(subnetTags(c.name, c.tags, "private", "zone")).length, on: "each subnet" },
        ...c.nodePools.map((pool, i) => ({
            path: ["nodePools", i, "labels"],
            n: poolGroupTags({ clusterName: c.name, pool, tags: c.tags }).length,
            on: `node pool ${pool.name}'s autoscaling group (its labels and taints become cluster-autoscaler tags)`,
        })),
    ];
    // One line per key: for the cluster's tags, the resource that carries the most.
    const worst = counted.filter((x) => x.path[0] === "tags").sort((x, y) => y.n - x.n)[0];
    for (const { path, n, on } of [worst, ...counted.filter((x) => x.path[0] !== "tags")]) {
        if (n > TAG_LIMITS.maxTags) {
            const value = path[0] === "tags" ? c.tags : c.nodePools[path[1] as number].labels;
            out.push(
                problem(path, value, `at most ${TAG_LIMITS.maxTags} tags per resource in all: ${on} would carry ${n} (${userKeys} from tags, the rest the program's own) (${TAG_LIMITS.citation})`),
            );
        }
    }
    return out;
};

/** DNS names the cluster registers: `api.internal.<cluster>.<zone>` is the longest (Route 53: 255 characters with the final dot). */
const checkDnsNames: Check = (c) => {
    if (!c.dns) return [];
    const longest = apiInternalDnsName(c.name, c.dns.zoneName);
    return longest.length > DNS_NAME_MAX
        ? [
              problem(
                  ["dns", "zoneName"],
                  c.dns.zoneName,
                  `a zone name short enough that ${longest.length > 60 ? "api.internal.<cluster>.<zone>" : longest} stays within ${DNS_NAME_MAX} characters (it is ${longest.length}; at most ${DNS_NAME_MAX - (longest.length - c.dns.zoneName.length)} for the zone with this cluster name)`,
              ),
          ]
        : [];
};

const CHECKS: Check[] = [
    checkRegion,
    checkZones,
    checkCidrs,
    checkAdminCidrs,
    checkExistingVpc,
    checkControlPlane,
    checkEtcdTiming,
    checkInstanceTypes,
    checkNodePools,
    checkDns,
    checkAddons,
    checkAddonReleases,
    checkPki,
    checkTags,
    checkDnsNames,
];

/**
 * Runs every rule. `tolerant` is for a configuration with malformed or
 * missing fields (already reported, and UNKNOWN here: lenient.ts): a rule
 * that reads one is skipped; any other error is a bug and is thrown.
 */
export function crossFieldProblems(c: ClusterConfigInput, region: string, opts: { tolerant?: boolean } = {}): ConfigProblem[] {
    return CHECKS.flatMap((check) => {
        if (!opts.tolerant) return check(c, region);
        try {
            return check(c, region);
        } catch (e) {
            if (isUnknownValueError(e)) return [];
            throw e;
        }
    });
}
