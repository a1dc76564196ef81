import * as assert from "assert";
import { spawnSync } from "child_process";
import * as YAML from "yaml";
import { renderCloudConfig, withoutCommentLines } from "../../../components/host/cloudConfig";

const SCRIPT = [
    "#!/bin/sh",
    "# Why this script exists: a comment the instance does not need.",
    "set -eu",
    "#",
    "# shellcheck disable=SC2016 # a directive shellcheck reads",
    "    # an indented comment",
    'echo "#1 is data" # a trailing comment stays',
    "cat >/tmp/x.sh <<'EOF'",
    "#!/bin/sh",
    "#cloud-config",
    "EOF",
    "",
].join("\n");

describe("cloud-config: scripts reach the instance without their comment lines", () => {
    it("drops whole-line comments and keeps the shebang, shellcheck directives, #! and #word lines and trailing comments", () => {
        const out = withoutCommentLines(SCRIPT);
        assert.deepStrictEqual(out.split("\n"), [
            "#!/bin/sh",
            "set -eu",
            "# shellcheck disable=SC2016 # a directive shellcheck reads",
            'echo "#1 is data" # a trailing comment stays',
            "cat >/tmp/x.sh <<'EOF'",
            "#!/bin/sh",
            "#cloud-config",
            "EOF",
            "",
        ]);
        assert.strictEqual(spawnSync("sh", ["-n"], { input: out }).status, 0, "the stripped script still parses");
    });

    it("applies only to scripts (#!), leaving other files as written", () => {
        const doc = YAML.parse(
            renderCloudConfig([
                {
                    writeFiles: [
                        { path: "/usr/local/sbin/s", owner: "root:root", permissions: "0755", content: SCRIPT },
                        { path: "/etc/x.conf", owner: "root:root", permissions: "0644", content: "# a config comment\nkey = 1\n" },
                    ],
                },
            ]).replace(/^#cloud-config\n/, ""),
        );
        assert.ok(!doc.write_files[0].content.includes("Why this script exists"));
        assert.strictEqual(doc.write_files[1].content, "# a config comment\nkey = 1\n");
    });
});
