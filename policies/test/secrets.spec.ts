import { gzipSync } from "zlib";
import { stringify } from "yaml";
import { userDataSecretsOnTmpfs, noKeyMaterialInUserDataOrTags, noKeyMaterialInStackOutputs, imdsv2Required } from "../rules/secrets";
import { checkResource, checkStack, expectViolation, expectNone } from "./helper";
import * as f from "./fixtures";

const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const PEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIVATE KEY-----\n";
const TOKEN = "abcdef.0123456789abcdef";
const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\nusers:\n- name: admin\n  user:\n    token: x\n";

describe("user-data-secrets-on-tmpfs", () => {
    const check = (cloudConfig: string, role?: string, config: Record<string, unknown> = {}) => checkResource(userDataSecretsOnTmpfs, LT, f.launchTemplate(f.b64(cloudConfig), role), config);
    const withScript = (script: string, files: f.File[] = []) => f.cloudConfig([{ path: f.FETCH, content: script }, ...files], [[f.FETCH]]);

    it("accepts the control-plane fetch script", () => expectNone(check(f.controlPlaneCloudConfig())));
    it("accepts an external etcd member", () => expectNone(check(f.etcdCloudConfig(), "k8s.io/role/etcd")));
    it("accepts a MIME multipart with the script as a shell part", () => {
        const mime = [
            'Content-Type: multipart/mixed; boundary="XX"',
            "MIME-Version: 1.0",
            "",
            "--XX",
            "Content-Type: text/x-shellscript",
            "Content-Transfer-Encoding: base64",
            "",
            f.b64(f.fetchScript()),
            "--XX--",
            "",
        ].join("\n");
        expectNone(check(mime));
    });
    it("accepts a tmpfs mounted by bootcmd before write_files", () => {
        const cc = f.cloudConfig([{ path: "/etc/kubernetes/pki/ca.crt", content: "cert" }], [], {
            bootcmd: ["mkdir -p /etc/kubernetes/pki /etc/etcd/pki", "mount -t tmpfs -o mode=0700 tmpfs /etc/kubernetes/pki"],
        });
        expectNone(check(cc));
    });
    it("rejects a tmpfs without a private mode", () =>
        expectViolation(check(withScript(f.fetchScript("control-plane", "size=16m"))), /tmpfs on \/etc\/kubernetes\/pki is not private \(options "size=16m"\)/));
    it("rejects a group-readable tmpfs", () => expectViolation(check(withScript(f.fetchScript("control-plane", "mode=0750"))), /is not private/));
    it("rejects fetching before the mount", () => {
        const script = f.fetchScript().replace("for dir", 'aws s3 cp --recursive "s3://$BUCKET/control-plane/" /etc/kubernetes/pki/\nfor dir');
        expectViolation(
            check(withScript(script)),
            /aws s3 cp --recursive s3:\/\/prod-secrets-0a1b2c3\/control-plane\/ \/etc\/kubernetes\/pki\/` \(runcmd\) writes into \/etc\/kubernetes\/pki before the tmpfs is mounted/,
        );
    });
    it("rejects write_files into the secrets directory (written before runcmd)", () =>
        expectViolation(
            check(withScript(f.fetchScript(), [{ path: "/etc/kubernetes/pki/ca.crt", content: "cert" }])),
            /write_files \/etc\/kubernetes\/pki\/ca\.crt writes into \/etc\/kubernetes\/pki before the tmpfs/,
        ));
    it("rejects kubeadm writing its PKI before the mount", () => {
        const cc = f.cloudConfig([{ path: f.FETCH, content: f.fetchScript() }], ["kubeadm join --config /etc/kubernetes/join.yaml", [f.FETCH]]);
        expectViolation(check(cc), /`kubeadm join --config \/etc\/kubernetes\/join\.yaml` \(runcmd\) writes into \/etc\/kubernetes\/pki before/);
    });
    it("rejects user data that never mounts a tmpfs", () => expectViolation(check(f.cloudConfig([], ["echo hello"])), /never mounts a tmpfs on \/etc\/kubernetes\/pki/));
    it("requires the etcd directory on etcd members", () => {
        const script = f.fetchScript().replace("/etc/kubernetes/pki /etc/etcd/pki", "/etc/kubernetes/pki");
        expectViolation(check(withScript(script), "k8s.io/role/etcd"), /never mounts a tmpfs on \/etc\/etcd\/pki/);
    });
    it("does not require the etcd directory for stacked etcd", () => {
        const script = f.fetchScript().replace("/etc/kubernetes/pki /etc/etcd/pki", "/etc/kubernetes/pki");
        const cc = f.cloudConfig(
            [
                { path: f.FETCH, content: script },
                { path: "/etc/kubernetes/kubeadm.yaml", content: stringify(f.CLUSTER_CONFIGURATION) },
            ],
            [[f.FETCH]],
        );
        expectNone(check(cc, "k8s.io/role/etcd"));
    });
    it("rejects secrets fetched outside the secrets directories", () => {
        const script = `${f.fetchScript()}aws s3 cp "s3://$BUCKET/node/bootstrap-token" /root/token\n`;
        expectViolation(check(withScript(script)), /s3:\/\/prod-secrets-0a1b2c3\/node\/bootstrap-token is fetched to \/root\/token/);
    });
    it("rejects secrets piped from Secrets Manager into another directory", () => {
        const script = `${f.fetchScript()}aws secretsmanager get-secret-value --secret-id prod/sa | jq -r .SecretString > /var/lib/sa.pem\n`;
        expectViolation(check(withScript(script)), /aws secretsmanager get-secret-value is fetched to \/var\/lib\/sa\.pem/);
    });
    it("rejects a fetch into a path it cannot resolve", () => {
        const script = `${f.fetchScript()}aws s3 cp "s3://$BUCKET/node/ca.key" "$(mktemp)"\n`;
        expectViolation(check(withScript(script)), /is fetched to <unknown>/);
    });
    it("rejects key files written outside the secrets directories", () =>
        expectViolation(check(withScript(f.fetchScript(), [{ path: "/etc/ssl/private/api.key", content: "x" }])), /write_files puts key material at \/etc\/ssl\/private\/api\.key/));
    it("rejects a kubeadm certificatesDir outside the secrets directories", () =>
        expectViolation(check(f.controlPlaneCloudConfig({ ...f.CLUSTER_CONFIGURATION, certificatesDir: "/etc/kubernetes/certs" })), /certificatesDir \/etc\/kubernetes\/certs is outside/));
    it("follows a secretsDir override", () => expectViolation(check(f.controlPlaneCloudConfig(), undefined, { secretsDir: "/run/k8s-secrets" }), /never mounts a tmpfs on \/run\/k8s-secrets/));
    it("rejects a launch template without user data", () => expectViolation(checkResource(userDataSecretsOnTmpfs, LT, { ...f.launchTemplate(), userData: undefined }), /has no user data/));
    it("rejects cloud-config that is not YAML", () => expectViolation(check("#cloud-config\nwrite_files: [\n"), /cloud-config is not valid YAML/));
    it("skips user data redacted as [secret]", () => expectNone(checkResource(userDataSecretsOnTmpfs, LT, { ...f.launchTemplate(), userData: "[secret]" })));
});

describe("no-key-material-in-user-data-or-tags", () => {
    const check = (props: Record<string, unknown>, type = LT) => checkResource(noKeyMaterialInUserDataOrTags, type, props);
    const withFile = (file: f.File) => f.launchTemplate(f.b64(f.cloudConfig([file], [])));

    it("accepts the control-plane launch template", () => expectNone(check(f.launchTemplate())));
    it("accepts user data and tags redacted as [secret]", () => expectNone(check({ ...f.launchTemplate(), userData: "[secret]", tags: { token: "[secret]" } })));
    it("does not take a DNS name for a bootstrap token", () => expectNone(check(withFile({ path: "/etc/hosts", content: "10.0.0.1 abcdef.0123456789abcdef.example.com" }))));
    it("finds a PEM private key in a base64-encoded write_files entry", () =>
        expectViolation(check(withFile({ path: "/etc/kubernetes/pki/ca.key", content: f.b64(PEM), encoding: "b64" })), /user data contains a PEM private key/));
    it("finds a PEM private key in a gzip+base64 write_files entry", () =>
        expectViolation(check(withFile({ path: "/x", content: gzipSync(PEM).toString("base64"), encoding: "gz+b64" })), /PEM private key/));
    it("finds a bootstrap token in a kubeadm JoinConfiguration", () => {
        const join = stringify({ apiVersion: "kubeadm.k8s.io/v1beta4", kind: "JoinConfiguration", discovery: { bootstrapToken: { token: TOKEN, apiServerEndpoint: "api:6443" } } });
        expectViolation(check(withFile({ path: "/etc/kubernetes/join.yaml", content: join })), /user data contains a kubeadm bootstrap token/);
    });
    it("finds a kubeconfig with credentials", () => expectViolation(check(withFile({ path: "/root/.kube/config", content: KUBECONFIG })), /user data contains a kubeconfig with credentials/));
    it("finds client-key-data", () => expectViolation(check(withFile({ path: "/etc/kubernetes/admin.conf", content: "client-key-data: LS0t" })), /kubeconfig with credentials/));
    it("finds a token in a launch template tag", () => expectViolation(check({ ...f.launchTemplate(), tags: { join: TOKEN } }), /tag join contains a kubeadm bootstrap token/));
    it("finds a key in an autoscaling group tag list", () =>
        expectViolation(check({ tags: [{ key: "ca", value: PEM, propagateAtLaunch: true }] }, "aws:autoscaling/group:Group"), /tag ca contains a PEM private key/));
    it("finds a token in an aws:ec2/tag:Tag", () =>
        expectViolation(check({ resourceId: "i-1", key: "bootstrap", value: TOKEN }, "aws:ec2/tag:Tag"), /tag bootstrap contains a kubeadm bootstrap token/));
});

describe("no-key-material-in-stack-outputs", () => {
    const outputs = { clusterName: "prod", kubeconfig: "[secret]", vpcId: "vpc-1" };
    const check = (out: Record<string, unknown>, config: Record<string, unknown> = {}) => checkStack(noKeyMaterialInStackOutputs, [], config, out);

    it("accepts plain outputs and a secret kubeconfig", () => expectNone(check(outputs)));
    it("rejects a plain kubeconfig under another name", () => expectViolation(check({ ...outputs, adminConfig: KUBECONFIG }), /stack output adminConfig contains a kubeconfig with credentials/));
    it("skips the program's own secret kubeconfig output by default", () => expectNone(check({ ...outputs, kubeconfig: KUBECONFIG })));
    it("rejects a kubeconfig object with client-key-data", () =>
        expectViolation(
            check({ ...outputs, admin: { kind: "Config", users: [{ user: { "client-key-data": "LS0t" } }] } }),
            /stack output admin\.users\[0\]\.user\.client-key-data contains a kubeconfig/,
        ));
    it("accepts a kubeconfig object whose key is redacted", () => expectNone(check({ ...outputs, admin: { kind: "Config", users: [{ user: { "client-key-data": "[secret]" } }] } })));
    it("rejects a private key nested in an output", () => expectViolation(check({ ...outputs, pki: { ca: { key: PEM } } }), /stack output pki\.ca\.key contains a PEM private key/));
    it("honours ignoreOutputs", () => expectNone(check({ ...outputs, adminConfig: KUBECONFIG }, { ignoreOutputs: ["adminConfig"] })));
});

describe("imdsv2-required", () => {
    const check = (props: Record<string, unknown>, type = LT) => checkResource(imdsv2Required, type, props);
    it("accepts httpTokens required", () => expectNone(check(f.launchTemplate())));
    it("accepts a disabled metadata endpoint", () => expectNone(check({ ...f.launchTemplate(), metadataOptions: { httpEndpoint: "disabled" } })));
    it("rejects httpTokens optional", () => expectViolation(check({ ...f.launchTemplate(), metadataOptions: { httpTokens: "optional" } }), /httpTokens is "optional"/));
    it("rejects missing metadataOptions", () => expectViolation(check({ ...f.launchTemplate(), metadataOptions: undefined }), /unset \(IMDSv1 allowed\)/));
    it("checks instances too", () => expectViolation(check({ ami: "ami-1", instanceType: "t3.micro" }, "aws:ec2/instance:Instance"), /set it to "required"/));
});

describe("user-data-secrets-on-tmpfs: launch templates a user adds beside ours", () => {
    const LT = "aws:ec2/launchTemplate:LaunchTemplate";
    const untagged = (userData?: string) => ({ imageId: "ami-1", instanceType: "t3.micro", ...(userData === undefined ? {} : { userData }) });
    it("accepts a bastion template with no user data and no role tag", () => expectNone(checkResource(userDataSecretsOnTmpfs, LT, untagged())));
    it("accepts an app template that touches no secret", () => expectNone(checkResource(userDataSecretsOnTmpfs, LT, untagged(f.b64("#!/bin/sh\necho hello > /tmp/hello\n")))));
    it("catches an app template that fetches a secret to disk", () => {
        expectViolation(
            checkResource(userDataSecretsOnTmpfs, LT, untagged(f.b64("#!/bin/sh\naws s3 cp s3://acme-secrets/db.key /opt/app/db.key\n"))),
            /s3:\/\/acme-secrets\/db\.key.* is fetched to .*\/opt\/app\/db\.key/,
        );
    });
    it("still requires the tmpfs of a role-tagged template with no user data", () => {
        const { userData: _u, ...rest } = f.launchTemplate();
        expectViolation(checkResource(userDataSecretsOnTmpfs, LT, rest), /has no user data, so nothing mounts a tmpfs/);
    });
});
