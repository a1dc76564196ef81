/**
 * The AWS provider, mocked: ids, ARNs and DNS names shaped like the real ones
 * (17-hex-digit EC2 ids, partition/region/account ARNs, NLB DNS names), Pulumi
 * auto-naming of physical names and AWS's limits (awsLimits.ts: an input over a
 * limit fails the resource, never shortened), and answers for the data sources
 * the program calls. Outputs the real provider computes are added to the inputs.
 */
import { MockContext, MockResourceRequest, ProviderMock, ResourceMock, CallMock } from "./types";
import { seededBytes } from "./deterministic";
import { zonesOf } from "../../config/regions";
import { existingVpcCalls } from "./world";
import { enforceLimits, withAutoNames } from "./awsLimits";

const hex = (ctx: MockContext, label: string, n: number) =>
    seededBytes(ctx, label, Math.ceil(n / 2))
        .toString("hex")
        .slice(0, n);

/** An EC2-style id: `<prefix>-` + 17 hex digits. */
const ec2Id = (ctx: MockContext, req: MockResourceRequest, prefix: string) => `${prefix}-${hex(ctx, `${req.type}::${req.name}`, 17)}`;

function uuid(ctx: MockContext, label: string): string {
    const h = hex(ctx, label, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const arn = (ctx: MockContext, service: string, resource: string) => `arn:${ctx.partition}:${service}:${ctx.region}:${ctx.accountId}:${resource}`;

/** Zone id as AWS reports it: region short code + `-az` + number (e.g. euw1-az1). */
function zoneId(zone: string): string {
    const region = zone.slice(0, -1);
    const [geo, dir, num] = region.split("-");
    const short = `${geo}${dir.replace(/(north|south)(east|west)/, (_, a: string, b: string) => a[0] + b[0]).replace(/^(north|south|east|west|central)$/, (d: string) => d[0])}${num}`;
    return `${short}-az${"abcdef".indexOf(zone.slice(-1)) + 1}`;
}

/** Canonical hosted zone ids of network load balancers per region (AWS "Elastic Load Balancing endpoints and quotas"). */
const NLB_ZONE_IDS: Record<string, string> = {
    "us-east-1": "Z26RNL4JYFTOTI",
    "us-east-2": "ZLMOA37VPKANP",
    "us-west-1": "Z24FKFUX50B4VW",
    "us-west-2": "Z18D5FSROUN65G",
    "eu-west-1": "Z2IFOLAFXWLO4F",
    "eu-west-2": "ZD4D7Y8KGAS4G",
    "eu-west-3": "Z1CMS0P5QUZ6D5",
    "eu-central-1": "Z3F0SRJ5LGBH90",
    "eu-north-1": "Z1UDT6IFJ4EJM",
    "ap-south-1": "ZVDDRBQ08TROA",
    "ap-southeast-1": "ZKVM4W9LS7TM",
    "ap-southeast-2": "ZCT6FZBF4DROD",
    "ap-northeast-1": "Z31USIVHYNEOWT",
    "ap-northeast-2": "ZIBE1TIR4HY56",
    "ca-central-1": "Z2EPGBW3API2WT",
    "sa-east-1": "ZTK26PT1VY4CU",
};

function publicIp(ctx: MockContext, label: string): string {
    const b = seededBytes(ctx, label, 3);
    return `52.${b[0]}.${b[1]}.${Math.max(1, b[2] % 254)}`;
}

/**
 * PutLifecycleHook's validation (Amazon EC2 Auto Scaling API Reference, PutLifecycleHook and
 * LifecycleHookSpecification): a name of 1-255 characters of [A-Za-z0-9-_/], the transition
 * autoscaling:EC2_INSTANCE_LAUNCHING or autoscaling:EC2_INSTANCE_TERMINATING, DefaultResult
 * CONTINUE or ABANDON, a HeartbeatTimeout of 30 to 7200 seconds.
 */
function checkLifecycleHook(h: Record<string, unknown>): void {
    const name = String(h.name ?? "");
    if (!/^[A-Za-z0-9\-_/]{1,255}$/.test(name)) throw new Error(`ValidationError: lifecycle hook name ${JSON.stringify(name)} is not 1-255 characters of [A-Za-z0-9-_/]`);
    if (!["autoscaling:EC2_INSTANCE_LAUNCHING", "autoscaling:EC2_INSTANCE_TERMINATING"].includes(String(h.lifecycleTransition))) {
        throw new Error(`ValidationError: lifecycle transition ${String(h.lifecycleTransition)} is not autoscaling:EC2_INSTANCE_LAUNCHING or autoscaling:EC2_INSTANCE_TERMINATING`);
    }
    if (h.defaultResult !== undefined && !["CONTINUE", "ABANDON"].includes(String(h.defaultResult)))
        throw new Error(`ValidationError: DefaultResult ${String(h.defaultResult)} is not CONTINUE or ABANDON`);
    const t = h.heartbeatTimeout;
    if (t !== undefined && !(Number.isInteger(t) && (t as number) >= 30 && (t as number) <= 7200)) throw new Error(`ValidationError: HeartbeatTimeout ${String(t)} is not 30-7200 seconds`);
}

type Computed = (req: MockResourceRequest, ctx: MockContext) => { id: string; outputs?: Record<string, unknown> };

const byId =
    (prefix: string, arnType?: string): Computed =>
    (req, ctx) => {
        const id = ec2Id(ctx, req, prefix);
        return { id, outputs: arnType ? { arn: arn(ctx, "ec2", `${arnType}/${id}`), ownerId: ctx.accountId } : { ownerId: ctx.accountId } };
    };

const COMPUTED: Record<string, Computed> = {
    "aws:ec2/vpc:Vpc": (req, ctx) => {
        const id = ec2Id(ctx, req, "vpc");
        return {
            id,
            outputs: {
                arn: arn(ctx, "ec2", `vpc/${id}`),
                ownerId: ctx.accountId,
                defaultRouteTableId: `rtb-${hex(ctx, `${id}:rtb`, 17)}`,
                mainRouteTableId: `rtb-${hex(ctx, `${id}:rtb`, 17)}`,
                defaultSecurityGroupId: `sg-${hex(ctx, `${id}:sg`, 17)}`,
                defaultNetworkAclId: `acl-${hex(ctx, `${id}:acl`, 17)}`,
                dhcpOptionsId: `dopt-${hex(ctx, `${id}:dopt`, 17)}`,
                instanceTenancy: req.inputs.instanceTenancy ?? "default",
                enableDnsSupport: req.inputs.enableDnsSupport ?? true,
                enableDnsHostnames: req.inputs.enableDnsHostnames ?? false,
            },
        };
    },
    "aws:ec2/subnet:Subnet": (req, ctx) => {
        const id = ec2Id(ctx, req, "subnet");
        const zone = String(req.inputs.availabilityZone ?? `${ctx.region}a`);
        return { id, outputs: { arn: arn(ctx, "ec2", `subnet/${id}`), ownerId: ctx.accountId, availabilityZoneId: zoneId(zone), mapPublicIpOnLaunch: req.inputs.mapPublicIpOnLaunch ?? false } };
    },
    "aws:ec2/internetGateway:InternetGateway": byId("igw", "internet-gateway"),
    "aws:ec2/eip:Eip": (req, ctx) => {
        const id = ec2Id(ctx, req, "eipalloc");
        const ip = publicIp(ctx, `${req.type}::${req.name}`);
        return {
            id,
            outputs: { allocationId: id, publicIp: ip, publicDns: `ec2-${ip.replace(/\./g, "-")}.${ctx.region}.compute.amazonaws.com`, domain: "vpc", arn: arn(ctx, "ec2", `elastic-ip/${id}`) },
        };
    },
    "aws:ec2/natGateway:NatGateway": (req, ctx) => {
        const id = ec2Id(ctx, req, "nat");
        return { id, outputs: { networkInterfaceId: `eni-${hex(ctx, `${id}:eni`, 17)}`, privateIp: "10.0.224.10", connectivityType: req.inputs.connectivityType ?? "public" } };
    },
    "aws:ec2/routeTable:RouteTable": byId("rtb", "route-table"),
    "aws:ec2/route:Route": (req, ctx) => ({ id: `r-${req.inputs.routeTableId ?? ec2Id(ctx, req, "rtb")}${parseInt(hex(ctx, `${req.type}::${req.name}`, 8), 16)}` }),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": byId("rtbassoc"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (req, ctx) => {
        const id = ec2Id(ctx, req, "vpce");
        return { id, outputs: { arn: arn(ctx, "ec2", `vpc-endpoint/${id}`), prefixListId: `pl-${hex(ctx, `${id}:pl`, 8)}`, state: "available", ownerId: ctx.accountId } };
    },
    "aws:ec2/securityGroup:SecurityGroup": (req, ctx) => {
        const id = ec2Id(ctx, req, "sg");
        return { id, outputs: { arn: arn(ctx, "ec2", `security-group/${id}`), ownerId: ctx.accountId, name: String(req.inputs.name) } };
    },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (req, ctx) => {
        const id = ec2Id(ctx, req, "sgr");
        return { id, outputs: { arn: arn(ctx, "ec2", `security-group-rule/${id}`), securityGroupRuleId: id } };
    },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (req, ctx) => {
        const id = ec2Id(ctx, req, "sgr");
        return { id, outputs: { arn: arn(ctx, "ec2", `security-group-rule/${id}`), securityGroupRuleId: id } };
    },
    "aws:ec2/launchTemplate:LaunchTemplate": (req, ctx) => {
        const id = ec2Id(ctx, req, "lt");
        return { id, outputs: { arn: arn(ctx, "ec2", `launch-template/${id}`), name: String(req.inputs.name), latestVersion: 1, defaultVersion: 1 } };
    },
    "aws:ec2/networkInterface:NetworkInterface": (req, ctx) => {
        const id = ec2Id(ctx, req, "eni");
        const ips: string[] = req.inputs.privateIps ?? (req.inputs.privateIp ? [req.inputs.privateIp] : []);
        const mac = hex(ctx, `${id}:mac`, 10).replace(/(..)/g, "$1:");
        return { id, outputs: { arn: arn(ctx, "ec2", `network-interface/${id}`), privateIp: ips[0], privateIps: ips, macAddress: `02:${mac.slice(0, -1)}`, ownerId: ctx.accountId } };
    },
    "aws:ebs/volume:Volume": (req, ctx) => {
        const id = ec2Id(ctx, req, "vol");
        return {
            id,
            outputs: {
                arn: arn(ctx, "ec2", `volume/${id}`),
                throughput: req.inputs.throughput ?? (req.inputs.type === "gp3" ? 125 : undefined),
                iops: req.inputs.iops ?? (req.inputs.type === "gp3" ? 3000 : undefined),
            },
        };
    },
    "aws:ec2/tag:Tag": (req) => ({ id: `${req.inputs.resourceId},${req.inputs.key}` }),
    "aws:autoscaling/group:Group": (req, ctx) => {
        const name = String(req.inputs.name);
        for (const hook of (req.inputs.initialLifecycleHooks as Record<string, unknown>[] | undefined) ?? []) checkLifecycleHook(hook);
        return {
            id: name,
            outputs: { name, arn: `arn:${ctx.partition}:autoscaling:${ctx.region}:${ctx.accountId}:autoScalingGroup:${uuid(ctx, `${req.type}::${req.name}`)}:autoScalingGroupName/${name}` },
        };
    },
    // The provider's id is the hook's name (aws_autoscaling_lifecycle_hook: d.SetId(name)).
    "aws:autoscaling/lifecycleHook:LifecycleHook": (req) => {
        checkLifecycleHook(req.inputs);
        return { id: String(req.inputs.name) };
    },
    "aws:lb/loadBalancer:LoadBalancer": (req, ctx) => {
        const name = String(req.inputs.name);
        const kind = req.inputs.loadBalancerType === "network" ? "net" : req.inputs.loadBalancerType === "gateway" ? "gwy" : "app";
        const h = hex(ctx, `${req.type}::${req.name}`, 16);
        const internal = req.inputs.internal === true ? "internal-" : "";
        const dnsName = `${internal}${name}-${h}.elb.${ctx.region}.amazonaws.com`;
        const lbArn = arn(ctx, "elasticloadbalancing", `loadbalancer/${kind}/${name}/${h}`);
        return { id: lbArn, outputs: { arn: lbArn, arnSuffix: `${kind}/${name}/${h}`, name, dnsName, zoneId: NLB_ZONE_IDS[ctx.region] ?? "Z2IFOLAFXWLO4F", vpcId: "vpc-unknown" } };
    },
    "aws:lb/targetGroup:TargetGroup": (req, ctx) => {
        const name = String(req.inputs.name);
        const h = hex(ctx, `${req.type}::${req.name}`, 16);
        const tgArn = arn(ctx, "elasticloadbalancing", `targetgroup/${name}/${h}`);
        return { id: tgArn, outputs: { arn: tgArn, arnSuffix: `targetgroup/${name}/${h}`, name } };
    },
    // ELBv2 RegisterTargets with IP targets: the address must be private (RFC 1918 or 100.64.0.0/10:
    // "you can't specify publicly routable IP addresses", Network Load Balancer guide, "Target type").
    // The provider's id is the target group ARN, a dash and a timestamp-derived number.
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": (req, ctx) => {
        const target = String(req.inputs.targetId ?? "");
        const ip = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(target);
        if (ip) {
            const [a, b] = [Number(ip[1]), Number(ip[2])];
            const isPrivate = a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
            if (!isPrivate) throw new Error(`ValidationError: IP target ${target} is publicly routable; IP targets must be private addresses`);
        }
        if (req.inputs.port !== undefined && !(Number.isInteger(req.inputs.port) && req.inputs.port >= 1 && req.inputs.port <= 65535)) {
            throw new Error(`ValidationError: target port ${req.inputs.port} is not 1-65535`);
        }
        return { id: `${req.inputs.targetGroupArn}-${parseInt(hex(ctx, `${req.type}::${req.name}`, 12), 16)}` };
    },
    "aws:lb/listener:Listener": (req, ctx) => {
        const lbArn = String(req.inputs.loadBalancerArn ?? "");
        const listenerArn = `${lbArn.replace(":loadbalancer/", ":listener/")}/${hex(ctx, `${req.type}::${req.name}`, 16)}`;
        return { id: listenerArn, outputs: { arn: listenerArn } };
    },
    "aws:elb/loadBalancer:LoadBalancer": (req, ctx) => {
        const name = String(req.inputs.name);
        const n = parseInt(hex(ctx, `${req.type}::${req.name}`, 8), 16) % 2_000_000_000;
        return {
            id: name,
            outputs: {
                name,
                arn: arn(ctx, "elasticloadbalancing", `loadbalancer/${name}`),
                dnsName: `${req.inputs.internal ? "internal-" : ""}${name}-${n}.${ctx.region}.elb.amazonaws.com`,
                zoneId: "Z32O12XQLNTSW2",
            },
        };
    },
    "aws:s3/bucket:Bucket": (req, ctx) => {
        const bucket = String(req.inputs.bucket);
        return {
            id: bucket,
            outputs: {
                bucket,
                arn: `arn:${ctx.partition}:s3:::${bucket}`,
                bucketDomainName: `${bucket}.s3.amazonaws.com`,
                bucketRegionalDomainName: `${bucket}.s3.${ctx.region}.amazonaws.com`,
                region: ctx.region,
                hostedZoneId: "Z1BKCTXD74EZPE",
            },
        };
    },
    "aws:s3/bucketObjectv2:BucketObjectv2": (req, ctx) => ({
        id: String(req.inputs.key),
        outputs: { etag: hex(ctx, `${req.type}::${req.name}:etag`, 32), versionId: hex(ctx, `${req.type}::${req.name}:v`, 32), serverSideEncryption: req.inputs.serverSideEncryption ?? "aws:kms" },
    }),
    "aws:kms/key:Key": (req, ctx) => {
        const keyId = uuid(ctx, `${req.type}::${req.name}`);
        return { id: keyId, outputs: { keyId, arn: arn(ctx, "kms", `key/${keyId}`) } };
    },
    "aws:kms/alias:Alias": (req, ctx) => ({ id: String(req.inputs.name), outputs: { arn: arn(ctx, "kms", String(req.inputs.name)), targetKeyArn: arn(ctx, "kms", `key/${req.inputs.targetKeyId}`) } }),
    "aws:iam/role:Role": (req, ctx) => {
        const name = String(req.inputs.name);
        const path = req.inputs.path ?? "/";
        return {
            id: name,
            outputs: {
                name,
                path,
                arn: `arn:${ctx.partition}:iam::${ctx.accountId}:role${path}${name}`,
                uniqueId: `AROA${hex(ctx, `${req.type}::${req.name}`, 17).toUpperCase()}`,
                createDate: ctx.now.toISOString(),
            },
        };
    },
    "aws:iam/instanceProfile:InstanceProfile": (req, ctx) => {
        const name = String(req.inputs.name);
        const path = req.inputs.path ?? "/";
        return {
            id: name,
            outputs: { name, path, arn: `arn:${ctx.partition}:iam::${ctx.accountId}:instance-profile${path}${name}`, uniqueId: `AIPA${hex(ctx, `${req.type}::${req.name}`, 17).toUpperCase()}` },
        };
    },
    "aws:iam/policy:Policy": (req, ctx) => {
        const name = String(req.inputs.name);
        const path = req.inputs.path ?? "/";
        const policyArn = `arn:${ctx.partition}:iam::${ctx.accountId}:policy${path}${name}`;
        return { id: policyArn, outputs: { name, path, arn: policyArn, policyId: `ANPA${hex(ctx, `${req.type}::${req.name}`, 17).toUpperCase()}` } };
    },
    "aws:iam/rolePolicy:RolePolicy": (req, _ctx) => {
        const name = String(req.inputs.name);
        return { id: `${req.inputs.role}:${name}`, outputs: { name } };
    },
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (req, ctx) => ({
        id: `${req.inputs.role}-${ctx.now.toISOString().replace(/\D/g, "").slice(0, 14)}${hex(ctx, `${req.type}::${req.name}`, 12)}`,
    }),
    "aws:route53/record:Record": (req) => ({ id: `${req.inputs.zoneId}_${req.inputs.name}_${req.inputs.type}`, outputs: { fqdn: req.inputs.name } }),
    "aws:dlm/lifecyclePolicy:LifecyclePolicy": (req, ctx) => {
        const id = ec2Id(ctx, req, "policy");
        return { id, outputs: { arn: arn(ctx, "dlm", `policy/${id}`) } };
    },
    "aws:ec2/eipAssociation:EipAssociation": (req, ctx) => ({ id: ec2Id(ctx, req, "eipassoc") }),
    // Hosted zone ids: "Z" + 20 upper-case alphanumerics; private zones have no name servers of their own to show.
    "aws:route53/zone:Zone": (req, ctx) => {
        const zoneId = `Z${hex(ctx, `${req.type}::${req.name}`, 20).toUpperCase()}`;
        const priv = Array.isArray(req.inputs.vpcs) && req.inputs.vpcs.length > 0;
        return {
            id: zoneId,
            outputs: {
                zoneId,
                arn: `arn:${ctx.partition}:route53:::hostedzone/${zoneId}`,
                nameServers: priv ? [] : ["ns-1.awsdns-01.org", "ns-2.awsdns-02.co.uk"],
                primaryNameServer: priv ? undefined : "ns-1.awsdns-01.org",
            },
        };
    },
};

/** Sub-resources of a bucket are identified by the bucket's name. */
const BUCKET_CHILDREN = [
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
];
for (const type of BUCKET_CHILDREN) COMPUTED[type] = (req) => ({ id: String(req.inputs.bucket) });

/** Names filled in as Pulumi auto-names them, every limit checked (awsLimits.ts), then the computed outputs. */
const resourceMock =
    (computed: Computed): ResourceMock =>
    (req, ctx) => {
        const inputs = withAutoNames(req, ctx);
        enforceLimits(req, inputs, ctx);
        const { id, outputs } = computed({ ...req, inputs }, ctx);
        const state: Record<string, unknown> = { ...inputs, ...(outputs ?? {}) };
        if (state.tags !== undefined && state.tagsAll === undefined) state.tagsAll = state.tags;
        return { id, state };
    };

const calls: Record<string, CallMock> = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": (_inputs, ctx) => {
        const names = zonesOf(ctx.region);
        if (names.length === 0) throw new Error(`mock AWS does not know region ${ctx.region}`);
        return { id: ctx.region, names, zoneIds: names.map(zoneId), state: "available", groupNames: [ctx.region] };
    },
    "aws:index/getRegion:getRegion": (_inputs, ctx) => ({ id: ctx.region, name: ctx.region, region: ctx.region, endpoint: `ec2.${ctx.region}.amazonaws.com`, description: ctx.region }),
    "aws:index/getCallerIdentity:getCallerIdentity": (_inputs, ctx) => ({
        id: ctx.accountId,
        accountId: ctx.accountId,
        arn: `arn:${ctx.partition}:iam::${ctx.accountId}:user/pulumi-deployer`,
        userId: "AIDA6ODU5ZXLL4OFFLINE",
    }),
    "aws:index/getPartition:getPartition": (_inputs, ctx) => ({ id: ctx.partition, partition: ctx.partition, dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" }),
    // Answers like an owner-filtered AMI lookup (e.g. Canonical's 099720109477): the name follows the filter, the architecture too.
    "aws:ec2/getAmi:getAmi": (inputs, ctx) => {
        const filters = (inputs.filters ?? []) as { name: string; values: string[] }[];
        const pattern = filters.find((f) => f.name === "name")?.values[0] ?? "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*";
        const architecture = filters.find((f) => f.name === "architecture")?.values[0] ?? (pattern.includes("arm64") ? "arm64" : "x86_64");
        const name = pattern.replace("*", "20261101");
        const id = `ami-${hex(ctx, `ami:${name}`, 17)}`;
        return {
            id,
            imageId: id,
            name,
            architecture,
            ownerId: (inputs.owners ?? ["099720109477"])[0],
            rootDeviceName: "/dev/sda1",
            rootDeviceType: "ebs",
            virtualizationType: "hvm",
            enaSupport: true,
            bootMode: "uefi-preferred",
            creationDate: "2026-11-01T08:12:45.000Z",
            state: "available",
            arn: `arn:${ctx.partition}:ec2:${ctx.region}::image/${id}`,
        };
    },
    ...existingVpcCalls,
};

export const awsMock: ProviderMock = {
    resources: Object.fromEntries(Object.entries(COMPUTED).map(([type, c]) => [type, resourceMock(c)])),
    calls,
    secretOutputs: {},
};

export { zoneId };
