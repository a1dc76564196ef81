/**
 * What instances will run, checked by the real tools: every launch
 * template's user data in every stack passes `cloud-init schema`, and every
 * shell script in it (write_files with a shell shebang, `sh -c` commands)
 * passes shellcheck.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as YAML from "yaml";
import { listStacks } from "../../tools/offline/stackFile";
import { userDataFiles } from "../../tools/offline/plan";
import { runStackFixture } from "../support/harness";
import { shellcheck } from "../support/shell";
import { scriptsIn } from "../../tools/check/scripts";

describe("user data of every stack, checked by cloud-init and shellcheck", function () {
    this.timeout(180_000);
    for (const stack of listStacks()) {
        it(`${stack}: every launch template's user data is valid cloud-config and its scripts pass shellcheck`, async () => {
            const run = await runStackFixture(stack);
            const files = userDataFiles(run.resources);
            assert.ok(files.size >= 1, `${stack} has no launch template user data`);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), `userdata-${stack}-`));
            let scripts = 0;
            for (const [name, text] of files) {
                assert.ok(text.startsWith("#cloud-config\n"), `${name}: not a cloud-config document`);
                const file = path.join(dir, `${name}.yaml`);
                fs.writeFileSync(file, text);
                const schema = spawnSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
                assert.ok(!schema.error, `cloud-init is required (apt-get install cloud-init): ${schema.error}`);
                assert.strictEqual(schema.status, 0, `${name}: ${schema.stdout}${schema.stderr}`);
                for (const s of scriptsIn(YAML.parse(text))) {
                    const r = shellcheck(s.text);
                    assert.strictEqual(r.status, 0, `${name} ${s.where}:\n${r.out}`);
                    scripts++;
                }
            }
            assert.ok(scripts >= files.size, `expected at least one script per launch template, found ${scripts}`);
            fs.rmSync(dir, { recursive: true, force: true });
        });
    }

    it("finds scripts in write_files and sh -c commands, and a broken one fails shellcheck", () => {
        const scripts = scriptsIn({
            write_files: [
                { path: "/a", content: "#!/bin/sh\necho $1\n" },
                { path: "/b", content: "not a script" },
            ],
            runcmd: [
                ["sh", "-c", "cd /tmp; ls"],
                ["systemctl", "daemon-reload"],
            ],
        });
        assert.deepStrictEqual(
            scripts.map((s) => s.where),
            ["/a", "runcmd[0]"],
        );
        assert.notStrictEqual(shellcheck(scripts[0].text).status, 0, "unquoted $1 must be flagged");
    });
});
