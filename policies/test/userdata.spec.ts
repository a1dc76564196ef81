import * as assert from "assert";
import { gzipSync } from "zlib";
import { decodeUserData, userDataParts } from "../rules/lib/userdata";
import { readBoot } from "../rules/lib/boot";
import { parseScript, UNKNOWN } from "../rules/lib/shell";
import { keyMaterialIn } from "../rules/lib/keymaterial";
import { parseCidr, contains, admitsTcpPort } from "../rules/lib/net";
import * as f from "./fixtures";

const CC = "#cloud-config\nruncmd:\n  - echo hi\n";
const argvs = (text: string) => parseScript(text).map((p) => p.map((c) => c.argv.join(" ")).join(" | "));

describe("user data decoding", () => {
    it("keeps plain cloud-config as is", () => assert.strictEqual(decodeUserData(CC), CC));
    it("decodes base64", () => assert.strictEqual(decodeUserData(f.b64(CC)), CC));
    it("decodes base64 with line breaks", () => assert.strictEqual(decodeUserData(f.b64(CC).replace(/(.{8})/g, "$1\n")), CC));
    it("decodes gzip inside base64", () => assert.strictEqual(decodeUserData(gzipSync(CC).toString("base64")), CC));
    it("refuses base64 of binary data", () => assert.strictEqual(decodeUserData(Buffer.from([0, 1, 2, 3, 200, 201, 0, 7]).toString("base64")), undefined));

    const mime = [
        'Content-Type: multipart/mixed; boundary="==B=="',
        "MIME-Version: 1.0",
        "",
        "preamble",
        "--==B==",
        'Content-Type: text/cloud-config; charset="us-ascii"',
        "Content-Transfer-Encoding: base64",
        "",
        f.b64(CC),
        "--==B==",
        "Content-Type: text/x-shellscript",
        'Content-Disposition: attachment; filename="00-fetch.sh"',
        "",
        "#!/bin/bash\necho fetch",
        "--==B==",
        "Content-Type: text/plain",
        "",
        "#cloud-boothook\necho early",
        "--==B==--",
        "epilogue",
    ].join("\n");
    it("splits a MIME multipart into typed parts", () => {
        const parts = userDataParts(f.b64(mime))!;
        assert.deepStrictEqual(
            parts.map((p) => [p.kind, p.filename]),
            [
                ["cloud-config", undefined],
                ["shellscript", "00-fetch.sh"],
                ["boothook", undefined],
            ],
        );
        assert.strictEqual(parts[0].body, CC);
    });
    it("runs parts in cloud-init's order", () => {
        const boot = readBoot(mime.replace(f.b64(CC), f.b64("#cloud-config\nbootcmd: [echo boot]\nruncmd: [echo run]\nwrite_files: [{path: /x, content: y}]\n")));
        const order = boot.steps.map((s) => (s.kind === "run" ? s.pipeline[0].argv.join(" ") : s.kind === "file" ? `file ${s.file.path}` : "mount"));
        assert.deepStrictEqual(order, ["echo early", "echo boot", "file /x", "echo fetch", "echo run"]);
    });
    it("reads a nested multipart", () => {
        const inner = ['Content-Type: multipart/alternative; boundary="in"', "", "--in", "Content-Type: text/x-shellscript", "", "#!/bin/sh\ntrue", "--in--"].join("\n");
        const outer = ['Content-Type: multipart/mixed; boundary="out"', "", "--out", inner, "--out--"].join("\n");
        assert.deepStrictEqual(
            userDataParts(outer)!.map((p) => p.kind),
            ["shellscript"],
        );
    });
});

describe("shell reading", () => {
    it("expands variables and unrolls for loops", () => assert.deepStrictEqual(argvs('D=/a\nfor x in "$D" /b; do mkdir -p "$x/pki"; done'), ["mkdir -p /a/pki", "mkdir -p /b/pki"]));
    it("splits unquoted list variables in for loops", () => assert.deepStrictEqual(argvs('L="/a /b"\nfor x in $L; do echo $x; done'), ["echo /a", "echo /b"]));
    it("follows a function where it is called", () => assert.deepStrictEqual(argvs("f() {\n  echo in\n}\necho before\nf"), ["echo before", "echo in"]));
    it("marks command substitutions and unset variables unknown", () => assert.deepStrictEqual(argvs('cp a "$(mktemp)" ${NOPE}/x ${NOPE:-/d}'), [`cp a ${UNKNOWN} ${UNKNOWN}/x /d`]));
    it("keeps pipelines and redirections", () => {
        const [p] = parseScript("aws ssm get-parameter --with-decryption | jq -r .x > /tmp/k 2>&1");
        assert.deepStrictEqual(
            [p.length, p[1].redirects],
            [
                2,
                [
                    { op: ">", target: "/tmp/k" },
                    { op: ">&", target: "1" },
                ],
            ],
        );
    });
    it("skips here-document bodies as commands", () => assert.deepStrictEqual(argvs("cat > /f <<EOF\nrm -rf /\nEOF\necho after"), ["cat", "echo after"]));
    it("joins continuation lines and drops comments", () => assert.deepStrictEqual(argvs("# note\nmount -t tmpfs \\\n  tmpfs /d # why"), ["mount -t tmpfs tmpfs /d"]));
    it("follows scripts written by write_files and sh -c", () => {
        const boot = readBoot(f.cloudConfig([{ path: "/s", content: "#!/bin/sh\necho from-s" }], ["/s", ["sh", "-c", "echo from-c"]]));
        assert.deepStrictEqual(
            boot.steps.filter((s) => s.kind === "run").map((s) => (s.kind === "run" ? s.pipeline[0].argv.join(" ") : "")),
            ["echo from-s", "echo from-c"],
        );
    });
});

describe("key material patterns", () => {
    it("finds PEM private keys of any kind", () =>
        ["RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"].forEach((k) => assert.deepStrictEqual(keyMaterialIn(`-----BEGIN ${k}-----`), ["a PEM private key"])));
    it("ignores certificates and public keys", () => assert.deepStrictEqual(keyMaterialIn("-----BEGIN CERTIFICATE-----\n-----BEGIN PUBLIC KEY-----"), []));
    it("finds a bootstrap token but not a longer name", () =>
        assert.deepStrictEqual([keyMaterialIn("token: abcdef.0123456789abcdef"), keyMaterialIn("abcdef.0123456789abcdef.elb.amazonaws.com")], [["a kubeadm bootstrap token"], []]));
    it("tells a kubeconfig from a ConfigMap", () =>
        assert.deepStrictEqual(
            [keyMaterialIn("kind: Config\nusers:\n- name: a\n  user:\n    token: t"), keyMaterialIn("kind: ConfigMap\ndata:\n  token: t")],
            [["a kubeconfig with credentials"], []],
        ));
    it("accepts a kubeconfig whose users only name key files", () =>
        assert.deepStrictEqual(
            keyMaterialIn(
                "kind: Config\nusers:\n- name: kubelet\n  user:\n    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem",
            ),
            [],
        ));
    it("never flags the [secret] marker", () => assert.deepStrictEqual(keyMaterialIn("[secret]"), []));
});

describe("CIDRs and ports", () => {
    it("contains IPv4 and IPv6 subnets", () =>
        assert.deepStrictEqual(
            [
                contains(parseCidr("10.0.0.0/8")!, parseCidr("10.1.2.0/24")!),
                contains(parseCidr("10.0.0.0/16")!, parseCidr("10.0.0.0/8")!),
                contains(parseCidr("2001:db8::/32")!, parseCidr("2001:db8:1::/48")!),
            ],
            [true, false, true],
        ));
    it("rejects malformed CIDRs", () => assert.deepStrictEqual(["10.0.0.256/8", "10.0.0.0/33", "1::2::3/64"].map(parseCidr), [undefined, undefined, undefined]));
    it("reads protocols and port ranges as AWS does", () =>
        assert.deepStrictEqual(
            [admitsTcpPort("-1", 0, 0, 2379), admitsTcpPort("udp", 0, 65535, 2379), admitsTcpPort("6", 2379, 2380, 2380), admitsTcpPort("tcp", 22, 22, 2379)],
            [true, false, true, false],
        ));
});
