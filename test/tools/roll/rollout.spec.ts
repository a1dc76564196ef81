/**
 * `pulumi up` never replaces instances by itself (issue 21): no Auto Scaling
 * group carries an instance refresh, no slot resource is replaced on a change,
 * and the stack output `rollout` names every group a roll covers, in roll
 * order, with what a roll needs. A change of version, instance type or user
 * data changes only the fingerprints of the groups it touches.
 */
import * as assert from "assert";
import { readStackFile, StackFile } from "../../../tools/offline/stackFile";
import { runStack, ProgramRun } from "../../../tools/offline/run";
import { PINNED_NOW, PINNED_SEED } from "../../support/harness";
import type { Rollout } from "../../../components/rollout";
import { pendingRoll, rollSummaryLines } from "../../../tools/offline/rollSummary";

const ASG = "aws:autoscaling/group:Group";
const LT = "aws:ec2/launchTemplate:LaunchTemplate";

/** The stack file with its cluster settings changed by `edit`. */
function edited(stack: string, edit: (cluster: any) => void): StackFile {
    const file = readStackFile(stack);
    const cluster = JSON.parse(file.config["k8s-aws:cluster"]);
    edit(cluster);
    return { ...file, config: { ...file.config, "k8s-aws:cluster": JSON.stringify(cluster) } };
}

const run = (file: StackFile) => runStack(file, { seed: PINNED_SEED, now: PINNED_NOW });
const rolloutOf = (r: ProgramRun) => r.outputs.rollout as Rollout;
const fingerprints = (r: ProgramRun) => Object.fromEntries(rolloutOf(r).groups.map((g) => [`${g.role}/${g.name}`, g.templateFingerprint]));
const groupsInputs = (r: ProgramRun) => JSON.stringify(r.resources.filter((x) => x.type === ASG).map((x) => [x.name, x.inputs]));

describe("rollout: pulumi up replaces no instance, the stack output says what a roll covers", function () {
    this.timeout(180_000);
    let prod: ProgramRun;
    before(async () => (prod = await run(readStackFile("prod"))));

    it("no Auto Scaling group starts an instance refresh, and no group or launch template is replaced on a change", () => {
        const groups = prod.resources.filter((r) => r.type === ASG);
        assert.ok(groups.length >= 8, `prod has 3 control-plane slots, 3 etcd members and 2 pools; got ${groups.length} groups`);
        for (const g of groups) {
            assert.strictEqual(g.inputs.instanceRefresh, undefined, `${g.name} carries an instance refresh`);
            assert.deepStrictEqual(g.replaceOnChanges ?? [], [], `${g.name} is replaced on a change`);
        }
        for (const lt of prod.resources.filter((r) => r.type === LT)) assert.deepStrictEqual(lt.replaceOnChanges ?? [], [], `${lt.name} is replaced on a change`);
    });

    it("lists every group in roll order (control-plane slots, etcd members, pools) with its group, template and version", () => {
        const rollout = rolloutOf(prod);
        assert.deepStrictEqual(
            rollout.groups.map((g) => `${g.role}/${g.name}`),
            ["control-plane/control-plane-a", "control-plane/control-plane-b", "control-plane/control-plane-c", "etcd/etcd-a", "etcd/etcd-b", "etcd/etcd-c", "pool/general", "pool/batch"],
        );
        assert.strictEqual(rollout.kubernetesVersion, prod.outputs.kubernetesVersion);
        const asgNames = new Set(prod.resources.filter((r) => r.type === ASG).map((r) => r.outputs.name));
        const lts = new Map(prod.resources.filter((r) => r.type === LT).map((r) => [r.id, r]));
        for (const g of rollout.groups) {
            assert.ok(asgNames.has(g.groupName), `${g.name}: no group named ${g.groupName}`);
            assert.ok(lts.has(g.launchTemplateId), `${g.name}: no launch template ${g.launchTemplateId}`);
            assert.strictEqual(g.launchTemplateVersion, String(lts.get(g.launchTemplateId)!.outputs.latestVersion));
            assert.match(g.templateFingerprint, /^[0-9a-f]{64}$/);
            assert.strictEqual(g.minHealthyPercentage, g.role === "pool" ? 90 : undefined);
        }
        assert.ok(!JSON.stringify(prod.outputs.rollout).includes("[secret]") && !(prod.outputs.rollout as object).constructor.name.includes("Secret"), "a plain output");
    });

    const changes: { name: string; edit: (c: any) => void; changed: RegExp; groupsUnchanged: boolean }[] = [
        { name: "a new Kubernetes minor", edit: (c) => (c.kubernetesVersion = "1.36"), changed: /^(control-plane|pool)\//, groupsUnchanged: true },
        { name: "a pool's instance type", edit: (c) => (c.nodePools[1].instanceTypes = ["c7i.4xlarge", "c6i.4xlarge", "c7a.4xlarge"]), changed: /^pool\/batch$/, groupsUnchanged: false },
        { name: "the control plane's instance type", edit: (c) => (c.controlPlane.instanceType = "m7i.2xlarge"), changed: /^control-plane\//, groupsUnchanged: true },
        {
            name: "a pool's user data (a new label)",
            edit: (c) => (c.nodePools[0].labels = { ...(c.nodePools[0].labels ?? {}), "example.com/tier": "gold" }),
            changed: /^pool\/general$/,
            groupsUnchanged: false,
        },
    ];
    for (const change of changes) {
        it(`${change.name}: changes the fingerprints of exactly the groups it touches${change.groupsUnchanged ? ", and no group input" : ""}`, async () => {
            const after = await run(edited("prod", change.edit));
            const before = fingerprints(prod);
            const now = fingerprints(after);
            const changed = Object.keys(now).filter((k) => now[k] !== before[k]);
            assert.ok(changed.length > 0, "nothing changed");
            for (const k of Object.keys(now)) assert.strictEqual(changed.includes(k), change.changed.test(k), `${k} ${changed.includes(k) ? "changed" : "unchanged"}`);
            // The groups point at a new template version (the provider's latestVersion, known after the update); nothing else of theirs changes.
            if (change.groupsUnchanged) assert.strictEqual(groupsInputs(after), groupsInputs(prod));
            const pending = pendingRoll(rolloutOf(after), prod.outputs.rollout)!;
            assert.deepStrictEqual(
                pending.changed.map((g) => `${g.role}/${g.name}`),
                changed,
                "the summary names the changed groups, in roll order",
            );
        });
    }

    it("the summary names the groups a roll covers, or says how to find out", () => {
        const current = rolloutOf(prod);
        const older = { ...current, kubernetesVersion: "1.34.9", groups: current.groups.map((g) => (g.role === "etcd" ? g : { ...g, templateFingerprint: "0".repeat(64) })) };
        const [line] = rollSummaryLines("prod", { rollout: current }, { rollout: older });
        assert.match(
            line,
            /^Roll pending: pulumi up changes 5 launch template\(s\) and replaces no instance; `npm run roll -- --stack prod` rolls, in this order: Kubernetes 1\.34\.9 -> 1\.35\.\d+: the cluster-wide configuration first, then control-plane-a, control-plane-b, control-plane-c, pool general, pool batch$/,
        );
        assert.deepStrictEqual(rollSummaryLines("prod", { rollout: current }, { rollout: current }), ["Roll: no launch template changes, nothing to roll"]);
        assert.match(rollSummaryLines("prod", { rollout: current }, undefined)[0], /--dry-run` shows which of the 8 group\(s\) roll/);
        assert.match(rollSummaryLines("prod", { rollout: current }, { kubernetesVersion: "1.35.9" })[0], /carry no rollout to compare with/);
        const withNewPool = { ...older, groups: older.groups.filter((g) => g.name !== "batch") };
        assert.match(rollSummaryLines("prod", { rollout: current }, { rollout: withNewPool })[0], /; new group\(s\) start on the new template: pool batch$/);
    });
});
