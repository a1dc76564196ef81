/**
 * The AWS permissions `npm run roll` needs, as docs/runbooks/README.md lists them (the IAM policy
 * between the roll-iam-policy markers), are exactly the SDK commands tools/roll/aws.ts sends (rung 1:
 * the list follows the code; AWS's own verdict on the policy is rung 4, not available here).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../support/paths";

const ROOT = PROJECT_ROOT;

/** `autoscaling:X` / `ec2:X` for every `new XCommand(` in aws.ts, by the client package it is imported from. */
/** `<service>:X` for every `new XCommand(` the roll's AWS ports send (aws.ts; recordSsm.ts for the version record), by the client package it is imported from. */
function actionsInCode(): string[] {
    const CLIENTS: [string, string][] = [
        ["autoscaling", "@aws-sdk/client-auto-scaling"],
        ["ec2", "@aws-sdk/client-ec2"],
        ["ssm", "@aws-sdk/client-ssm"],
    ];
    const actions = new Set<string>();
    for (const file of ["tools/roll/aws.ts", "tools/roll/recordSsm.ts"]) {
        const src = fs.readFileSync(path.join(ROOT, file), "utf8");
        const importsOf = (pkg: string) =>
            new Set(
                [...src.matchAll(new RegExp(`import \\{([^}]*)\\} from "${pkg}"`, "g"))].flatMap((m) =>
                    m[1]
                        .split(",")
                        .map((x) => x.trim())
                        .filter((x) => x.endsWith("Command")),
                ),
            );
        const services = CLIENTS.map(([service, pkg]) => [service, importsOf(pkg)] as const);
        for (const c of new Set([...src.matchAll(/new (\w+Command)\(/g)].map((m) => m[1]))) {
            const service = services.find(([, names]) => names.has(c));
            assert.ok(service, `${file}: ${c} is imported from none of the clients`);
            actions.add(`${service![0]}:${c.replace(/Command$/, "")}`);
        }
    }
    return [...actions].sort();
}

/**
 * Checked by Auto Scaling on the caller when it starts an instance refresh, as on a group's create or
 * update: launching what the template describes (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-launch-template-permissions.html,
 * "Permissions validation for ec2:RunInstances and iam:PassRole").
 */
const LAUNCH_VALIDATED = ["ec2:RunInstances", "ec2:CreateTags", "iam:PassRole"];

function policyInRunbook(): any {
    const text = fs.readFileSync(path.join(ROOT, "docs/runbooks/README.md"), "utf8");
    const m = /<!-- roll-iam-policy -->\s*```json\n([\s\S]*?)```\s*<!-- \/roll-iam-policy -->/.exec(text);
    assert.ok(m, "docs/runbooks/README.md has the roll's IAM policy between its markers");
    return JSON.parse(m![1]);
}

describe("roll IAM permissions (docs/runbooks/README.md)", () => {
    it("list exactly the AWS actions the roll sends", () => {
        const policy = policyInRunbook();
        const listed = (policy.Statement as any[]).flatMap((s) => s.Action as string[]).sort();
        assert.deepStrictEqual(listed, [...actionsInCode(), ...LAUNCH_VALIDATED].sort());
        assert.ok(listed.includes("autoscaling:CompleteLifecycleAction") && listed.includes("autoscaling:PutLifecycleHook"), "the drain hook's calls are in it");
    });

    it("grant the writes only on groups tagged as the cluster's, the reads on any resource, a role pass only of the cluster's instance roles", () => {
        for (const s of policyInRunbook().Statement as any[]) {
            assert.strictEqual(s.Effect, "Allow");
            if ((s.Action as string[]).every((a) => LAUNCH_VALIDATED.includes(a))) {
                // Passing a role: only the cluster's instance roles (their IAM path), only to EC2.
                if ((s.Action as string[]).includes("iam:PassRole")) {
                    assert.deepStrictEqual(s.Action, ["iam:PassRole"]);
                    assert.strictEqual(s.Resource, "arn:aws:iam::<account>:role/k8s-aws/<cluster>/*");
                    assert.deepStrictEqual(s.Condition, { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } });
                }
                continue;
            }
            if ((s.Action as string[]).every((a) => a.startsWith("ssm:"))) {
                // The version record only: one parameter, by its full name.
                assert.strictEqual(s.Resource, "arn:aws:ssm:<region>:<account>:parameter/k8s-aws/<cluster>/rolled-kubernetes-version");
                continue;
            }
            const writes = (s.Action as string[]).some((a) => !/:Describe/.test(a));
            if (writes) assert.deepStrictEqual(s.Condition, { StringEquals: { "autoscaling:ResourceTag/kubernetes.io/cluster/<cluster>": "owned" } });
            else assert.strictEqual(s.Condition, undefined);
            if (writes)
                assert.ok(
                    (s.Action as string[]).every((a) => !/:Describe/.test(a)),
                    "no describe in the conditioned statement (describes take no resource)",
                );
        }
    });
});
