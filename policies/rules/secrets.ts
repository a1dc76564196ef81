/**
 * Secrets on instances: key material reaches a machine only at boot, from
 * the secrets bucket, onto a private tmpfs; never inside user data, tags or
 * plain stack outputs (readable by far more principals than the bucket); and
 * the instance metadata service requires session tokens (IMDSv2), so an SSRF
 * in a pod cannot lift the instance role that reads the bucket.
 */
import type { ResourceValidationPolicy, StackValidationPolicy, PolicyConfigSchema } from "@pulumi/policy";
import { T, str, get, tagsOf, tagMap, isRecord } from "./lib/resources";
import { MACHINE_TYPES, bootOf, isEtcdMember, rawUserData } from "./lib/instances";
import { tmpfsProblems } from "./lib/tmpfs";
import { findEtcd } from "./lib/etcd";
import { keyMaterialIn, keyMaterialInValue } from "./lib/keymaterial";
import { withDefaults } from "./lib/config";
import { roleOf } from "./lib/topology";

/** kubeadm writes its PKI here unless ClusterConfiguration.certificatesDir says otherwise. */
const KUBEADM_CERT_DIR = "/etc/kubernetes/pki";

const tmpfsSchema: PolicyConfigSchema = {
    properties: {
        secretsDir: { type: "string", pattern: "^/", default: "/etc/kubernetes/pki", description: "Secrets directory every instance mounts a tmpfs on." },
        etcdSecretsDir: { type: "string", pattern: "^/", default: "/etc/etcd/pki", description: "Secrets directory of external etcd members." },
        secretSourcePattern: {
            type: "string",
            default: "secret|pki|private|token|kubeconfig|\\.key$|-key\\.pem$",
            description: "Case-insensitive regular expression: an S3 URL fetched at boot that matches is a secret.",
        },
    },
};

interface TmpfsConfig {
    secretsDir: string;
    etcdSecretsDir: string;
    secretSourcePattern: string;
}

export const userDataSecretsOnTmpfs: ResourceValidationPolicy = {
    name: "user-data-secrets-on-tmpfs",
    description:
        "Every cluster launch template's (role-tagged) user data mounts a private tmpfs (mode 0700) on the secrets directory (and on " +
        "the etcd one for etcd members) before anything fetches or writes there, and no launch template puts key material anywhere else.",
    remediationSteps:
        "In the fetch script, for each secrets directory run `mkdir -p <dir> && mount -t tmpfs -o size=16m,mode=0700 tmpfs <dir>` " +
        "before any `aws s3 cp` or kubeadm command; fetch secrets only into those directories; keep certificatesDir inside them.",
    enforcementLevel: "mandatory",
    configSchema: tmpfsSchema,
    validateResource: (args, report) => {
        if (args.type !== T.launchTemplate) return;
        const cfg = withDefaults<TmpfsConfig>(tmpfsSchema, args.getConfig());
        // A cluster machine (role-tagged) must mount the tmpfs; any other template is judged on what it does:
        // it fails only if it fetches or writes secrets outside a tmpfs.
        const clusterMachine = roleOf(args.props) !== "";
        const read = bootOf(args.props);
        if (read.kind === "secret") return args.notApplicable("user data is a redacted secret");
        if (read.kind === "none") return clusterMachine ? report(`has no user data, so nothing mounts a tmpfs on ${cfg.secretsDir}`) : undefined;
        if (read.kind === "error") return clusterMachine ? report(read.message) : undefined;
        const etcd = findEtcd(read.boot);
        const required = clusterMachine ? [cfg.secretsDir] : [];
        // External etcd members keep their PKI in the etcd directory; stacked etcd (kubeadm) keeps it under the Kubernetes one.
        const stacked = etcd.kubeadm.some((k) => k.localExtraArgs !== undefined);
        if ((isEtcdMember(args.props) && !stacked) || etcd.members.length > 0) required.push(cfg.etcdSecretsDir);
        const problems = tmpfsProblems(read.boot, {
            required,
            secretsDirs: [cfg.secretsDir, cfg.etcdSecretsDir],
            secretSource: new RegExp(cfg.secretSourcePattern, "i"),
            kubeadmCertDir: etcd.kubeadm.find((k) => k.certificatesDir)?.certificatesDir ?? KUBEADM_CERT_DIR,
        });
        new Set(problems).forEach((p) => report(p));
    },
};

/** Tag values a resource carries, wherever its type keeps them. */
function tagTexts(type: string, props: Record<string, unknown>): { where: string; text: string }[] {
    const tags = { ...tagsOf(props) };
    if (type === T.ec2Tag && str(props.key) !== undefined) tags[str(props.key)!] = str(props.value) ?? "";
    if (type === T.asgTag && isRecord(props.tag)) Object.assign(tags, tagMap([props.tag]));
    return Object.entries(tags).map(([k, v]) => ({ where: `tag ${k}`, text: v }));
}

export const noKeyMaterialInUserDataOrTags: ResourceValidationPolicy = {
    name: "no-key-material-in-user-data-or-tags",
    description:
        "No PEM private key, kubeadm bootstrap token or kubeconfig with credentials appears in user data (decoded, including " +
        "MIME parts and encoded write_files) or in tags: both are readable by anyone who may describe the instance.",
    remediationSteps:
        "Put the material in the secrets bucket (or Secrets Manager) and fetch it at boot onto the tmpfs; pass bootstrap tokens " +
        "the same way, and export kubeconfigs only as secret stack outputs.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const texts = tagTexts(args.type, args.props);
        if (MACHINE_TYPES.includes(args.type)) {
            const raw = rawUserData(args.props);
            if (raw !== undefined) texts.push({ where: "user data", text: raw });
            const read = bootOf(args.props);
            if (read.kind === "ok") texts.push(...read.boot.texts.map((text) => ({ where: "user data", text })));
        }
        const found = new Set<string>();
        for (const t of texts) for (const kind of keyMaterialIn(t.text)) found.add(`${t.where} contains ${kind}`);
        found.forEach((f) => report(f));
    },
};

const outputsSchema: PolicyConfigSchema = {
    properties: {
        ignoreOutputs: {
            type: "array",
            items: { type: "string" },
            // The program exports the admin kubeconfig as a Pulumi secret by design (its tests prove the
            // secretness); a live preview would show it to this policy in plain text.
            default: ["kubeconfig"],
            description:
                'Stack outputs not to scan. The offline render sees secret outputs as "[secret]"; a live `pulumi preview` shows ' +
                "policies their plain values, so list secret outputs that hold credentials by design (e.g. an admin kubeconfig).",
        },
    },
};

export const noKeyMaterialInStackOutputs: StackValidationPolicy = {
    name: "no-key-material-in-stack-outputs",
    description: "No plain (non-secret) stack output holds a PEM private key, a bootstrap token or a kubeconfig with credentials.",
    remediationSteps: "Wrap the value in pulumi.secret(...) before exporting it, or do not export it.",
    enforcementLevel: "mandatory",
    configSchema: outputsSchema,
    validateStack: (args, report) => {
        const { ignoreOutputs } = withDefaults<{ ignoreOutputs: string[] }>(outputsSchema, args.getConfig());
        for (const stack of args.resources.filter((r) => r.type === T.stack)) {
            for (const [name, value] of Object.entries(stack.props)) {
                if (ignoreOutputs.includes(name)) continue;
                for (const f of keyMaterialInValue(value, name)) report(`stack output ${f.path} contains ${f.kinds.join(" and ")}`, stack.urn);
            }
        }
    },
};

export const imdsv2Required: ResourceValidationPolicy = {
    name: "imdsv2-required",
    description: 'Launch templates and instances require IMDSv2 session tokens (metadataOptions.httpTokens = "required").',
    remediationSteps: 'Set metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 or 2 }.',
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!MACHINE_TYPES.includes(args.type)) return;
        const tokens = str(get(args.props, "metadataOptions", "httpTokens"));
        // With the endpoint off there is no metadata service to steal credentials from.
        if (str(get(args.props, "metadataOptions", "httpEndpoint")) === "disabled") return;
        if (tokens !== "required") report(`metadataOptions.httpTokens is ${tokens === undefined ? "unset (IMDSv1 allowed)" : `"${tokens}"`}; set it to "required"`);
    },
};

export const secretsPolicies = [userDataSecretsOnTmpfs, noKeyMaterialInUserDataOrTags, noKeyMaterialInStackOutputs, imdsv2Required];
