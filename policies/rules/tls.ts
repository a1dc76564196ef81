/**
 * TLS: the API endpoint, etcd, the secrets bucket and the cluster PKI.
 * Everything in the control plane speaks TLS with certificates the cluster
 * issues itself; these policies catch plain-text paths and weak keys before
 * they are created.
 */
import type { ResourceValidationPolicy, StackValidationPolicy, PolicyConfigSchema } from "@pulumi/policy";
import { T, TAG, str, num, bool, strings, records, tagsOf, hasTag } from "./lib/resources";
import { MACHINE_TYPES, bootOf, isEtcdMember } from "./lib/instances";
import { findEtcd, memberProblems, kubeadmProblems } from "./lib/etcd";
import { sensitiveBuckets, sensitiveBucketSchema, policyDocuments } from "./lib/buckets";
import { statements, deniesInsecureTransport } from "./lib/iam";
import { withDefaults } from "./lib/config";

const LISTENERS: readonly string[] = [T.lbListener, T.albListener];
const TARGET_GROUPS: readonly string[] = [T.lbTargetGroup, T.albTargetGroup];
const CERTS: readonly string[] = [T.tlsSelfSignedCert, T.tlsLocallySignedCert];

export const apiLoadBalancerTls: ResourceValidationPolicy = {
    name: "api-lb-tls-only",
    description: "Load-balancer listeners pass TCP/TLS through to the API server (6443) or terminate TLS with a certificate; " + "nothing listens or forwards in plain HTTP.",
    remediationSteps:
        "NLB: use protocol TCP (pass-through) or TLS with certificateArn. Classic ELB: lbProtocol TCP or SSL/HTTPS with " +
        "sslCertificateId, and instanceProtocol TCP/SSL/HTTPS. Target groups: TCP, TLS or HTTPS, never HTTP.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const p = args.props;
        if (LISTENERS.includes(args.type)) {
            const protocol = str(p.protocol)?.toUpperCase();
            const port = num(p.port) ?? "?";
            if (protocol === undefined) report(`listener on port ${port} sets no protocol (an ALB listener then speaks HTTP); use TCP or TLS`);
            else if (!["TCP", "TLS", "HTTPS"].includes(protocol)) report(`listener on port ${port} uses ${protocol}; use TCP pass-through or TLS`);
            else if (protocol !== "TCP" && !str(p.certificateArn)) report(`listener on port ${port} terminates ${protocol} without a certificateArn`);
        } else if (TARGET_GROUPS.includes(args.type)) {
            if (str(p.protocol)?.toUpperCase() === "HTTP") report(`target group forwards plain HTTP to port ${num(p.port) ?? "?"}; use TCP, TLS or HTTPS`);
        } else if (args.type === T.elb) {
            for (const l of records(p.listeners)) {
                const lb = str(l.lbProtocol)?.toUpperCase() ?? "";
                const inst = str(l.instanceProtocol)?.toUpperCase() ?? "";
                const where = `listener ${num(l.lbPort) ?? "?"} -> ${num(l.instancePort) ?? "?"}`;
                if (!["TCP", "SSL", "HTTPS"].includes(lb)) report(`${where} accepts ${lb || "no protocol"}; use TCP pass-through or SSL/HTTPS`);
                else if (lb !== "TCP" && !str(l.sslCertificateId)) report(`${where} terminates ${lb} without an sslCertificateId`);
                if (!["TCP", "SSL", "HTTPS"].includes(inst)) report(`${where} forwards ${inst || "no protocol"} to the instances; use TCP, SSL or HTTPS`);
            }
        }
    },
};

export const etcdTlsClientAuth: ResourceValidationPolicy = {
    name: "etcd-tls-client-auth",
    description:
        "etcd client and peer traffic is https only, with client-certificate authentication on both and no auto-TLS, " +
        "as configured in the user data (etcd config file, flags, ETCD_* environment, or kubeadm's etcd section).",
    remediationSteps:
        "Set https:// for listen/advertise client and peer URLs; client-transport-security and peer-transport-security " +
        "with cert-file, key-file, trusted-ca-file and client-cert-auth: true; auto-tls false. In kubeadm, do not override " +
        "these in etcd.local.extraArgs; for etcd.external use https endpoints with caFile, certFile and keyFile.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!MACHINE_TYPES.includes(args.type)) return;
        const member = isEtcdMember(args.props);
        const read = bootOf(args.props);
        if (read.kind === "secret") return args.notApplicable("user data is a redacted secret");
        if (read.kind !== "ok") {
            if (member) report(read.kind === "error" ? `etcd member: ${read.message}` : "etcd member has no user data configuring etcd");
            return;
        }
        const found = findEtcd(read.boot);
        const problems = [
            ...found.problems,
            ...found.members.flatMap((m) => memberProblems(m.settings).map((p) => `etcd (${m.origin}): ${p}`)),
            ...found.kubeadm.flatMap((k) => kubeadmProblems(k).map((p) => `kubeadm ClusterConfiguration (${k.origin}): ${p}`)),
        ];
        // An external member must say how it runs etcd; a stacked one (also tagged control-plane) may get kubeadm's secure defaults.
        const stacked = hasTag(tagsOf(args.props), TAG.controlPlane) || found.kubeadm.some((k) => k.localExtraArgs !== undefined);
        if (member && !stacked && found.members.length === 0 && found.problems.length === 0) {
            problems.push("tagged k8s.io/role/etcd, but its user data configures etcd in no form this policy reads (config file, flags, ETCD_* environment)");
        }
        new Set(problems).forEach((p) => report(p));
    },
};

export const secretsBucketDeniesInsecureTransport: StackValidationPolicy = {
    name: "secrets-bucket-deny-insecure-transport",
    description: "Buckets holding secrets or backups have a bucket policy that denies every request made without TLS (aws:SecureTransport false).",
    remediationSteps: 'Add to the bucket policy: {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":[bucketArn, bucketArn + "/*"],' + '"Condition":{"Bool":{"aws:SecureTransport":"false"}}}.',
    enforcementLevel: "mandatory",
    configSchema: sensitiveBucketSchema,
    validateStack: (args, report) => {
        const { sensitiveBucketPattern } = withDefaults<{ sensitiveBucketPattern: string }>(sensitiveBucketSchema, args.getConfig());
        for (const b of sensitiveBuckets(args.resources, sensitiveBucketPattern)) {
            const docs = policyDocuments(b).map(statements);
            // A bucket has one policy: with several policy resources the one applied last replaces the others, so each must deny.
            if (docs.some((d) => d === undefined)) report(`bucket ${b.name} has a bucket policy that is not a valid policy document`, b.urn);
            else if (docs.length === 0 || !docs.every((d) => d!.some(deniesInsecureTransport))) {
                const which = docs.length > 1 ? ` in every one of its ${docs.length} bucket policies (the one applied last replaces the others)` : "";
                report(`bucket ${b.name} does not deny requests made without TLS (aws:SecureTransport)${which}`, b.urn);
            }
        }
    },
};

const keyStrengthSchema: PolicyConfigSchema = {
    properties: {
        minRsaBits: { type: "integer", minimum: 2048, default: 2048, description: "Smallest RSA modulus accepted." },
        allowedEcdsaCurves: {
            type: "array",
            items: { type: "string", enum: ["P256", "P384", "P521"] },
            default: ["P256", "P384", "P521"],
            description: "ECDSA curves accepted (P-256 and stronger).",
        },
    },
};

export const tlsKeyStrength: ResourceValidationPolicy = {
    name: "tls-key-strength",
    description: "Private keys are ECDSA P-256 or stronger, ED25519, or RSA of at least 2048 bits.",
    remediationSteps: 'Set algorithm "ECDSA" with ecdsaCurve "P256" (the provider defaults to P224), or "RSA" with rsaBits >= 2048, or "ED25519".',
    enforcementLevel: "mandatory",
    configSchema: keyStrengthSchema,
    validateResource: (args, report) => {
        if (args.type !== T.tlsPrivateKey) return;
        const cfg = withDefaults<{ minRsaBits: number; allowedEcdsaCurves: string[] }>(keyStrengthSchema, args.getConfig());
        const algorithm = str(args.props.algorithm)?.toUpperCase();
        if (algorithm === "RSA") {
            const bits = num(args.props.rsaBits) ?? 2048; // the tls provider's default
            if (bits < cfg.minRsaBits) report(`RSA key of ${bits} bits; at least ${cfg.minRsaBits} required`);
        } else if (algorithm === "ECDSA") {
            const curve = str(args.props.ecdsaCurve) ?? "P224"; // the tls provider's default
            if (!cfg.allowedEcdsaCurves.includes(curve)) report(`ECDSA key on curve ${curve}; use one of ${cfg.allowedEcdsaCurves.join(", ")}`);
        } else if (algorithm !== "ED25519") {
            report(`key algorithm ${algorithm ?? "(unset)"} is not ECDSA, ED25519 or RSA`);
        }
    },
};

const caSchema: PolicyConfigSchema = {
    properties: {
        allowSelfSignedLeaf: {
            type: "boolean",
            default: false,
            description: "Allow self-signed certificates that are not CAs (the cluster's only self-signed certificates are its roots).",
        },
    },
};

export const tlsCaCertificates: ResourceValidationPolicy = {
    name: "tls-ca-certificates",
    description: "CA certificates carry the CA flag and cert_signing; leaf certificates carry neither; self-signed certificates are CAs.",
    remediationSteps: 'For a CA set isCaCertificate: true and include "cert_signing" (and "crl_signing") in allowedUses; for a leaf, drop "cert_signing".',
    enforcementLevel: "mandatory",
    configSchema: caSchema,
    validateResource: (args, report) => {
        if (!CERTS.includes(args.type)) return;
        const { allowSelfSignedLeaf } = withDefaults<{ allowSelfSignedLeaf: boolean }>(caSchema, args.getConfig());
        const isCa = bool(args.props.isCaCertificate) === true;
        const signs = strings(args.props.allowedUses).includes("cert_signing");
        if (isCa && !signs) report('CA certificate without "cert_signing" in allowedUses: it cannot sign certificates');
        if (!isCa && signs) report('certificate allows "cert_signing" but is not a CA (isCaCertificate is not true)');
        if (!isCa && args.type === T.tlsSelfSignedCert && !allowSelfSignedLeaf) report("self-signed certificate that is not a CA: nothing can verify it; sign it with a cluster CA");
    },
};

const validitySchema: PolicyConfigSchema = {
    properties: {
        maxLeafValidityHours: { type: "integer", minimum: 1, default: 8760, description: "Longest validity of a leaf (non-CA) certificate, in hours." },
    },
};

export const tlsLeafValidity: ResourceValidationPolicy = {
    name: "tls-leaf-validity",
    description: "Leaf certificates are valid for at most maxLeafValidityHours (default 8760h, one year), so a leaked key expires.",
    remediationSteps: "Lower validityPeriodHours (and set earlyRenewalHours so the certificate is rotated before it expires).",
    enforcementLevel: "mandatory",
    configSchema: validitySchema,
    validateResource: (args, report) => {
        if (!CERTS.includes(args.type) || bool(args.props.isCaCertificate) === true) return;
        const { maxLeafValidityHours } = withDefaults<{ maxLeafValidityHours: number }>(validitySchema, args.getConfig());
        const hours = num(args.props.validityPeriodHours);
        if (hours === undefined) report("leaf certificate sets no validityPeriodHours");
        else if (hours > maxLeafValidityHours) report(`leaf certificate valid for ${hours}h; at most ${maxLeafValidityHours}h allowed`);
    },
};

export const tlsPolicies = [apiLoadBalancerTls, etcdTlsClientAuth, secretsBucketDeniesInsecureTransport, tlsKeyStrength, tlsCaCertificates, tlsLeafValidity];
