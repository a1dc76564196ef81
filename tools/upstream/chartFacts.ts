/**
 * Rung-2 check of the addons' Helm values against the real charts at the pinned versions
 * (docs/addons-facts.md is its output, edited with verdicts). Not part of `npm test`: it needs
 * helm and the upstream repositories, which are fetched, never committed.
 *
 *   npm run render -- --stack prod --out out/prod
 *   npx ts-node --transpile-only tools/upstream/chartFacts.ts --manifests out/prod/manifests \
 *       --mirrors /work/.mirror --helm /path/to/helm [--kube-version 1.35.9] > facts.jsonl
 *
 * For every Helm release the render declares, the chart is extracted from the upstream repository at
 * its tag (CHART_SOURCES), rendered with the release's values, then once per leaf key with that key
 * replaced by a sentinel (booleans flipped) and once with it deleted: a key whose change never reaches
 * the output is one the chart ignores. Each line names where the templates reference the key.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync, execFileSync } from "child_process";
import * as YAML from "yaml";

/** Where each chart lives upstream: mirror directory (`owner+name`), the tag of a chart version, the chart's folder. */
export const CHART_SOURCES: Record<string, { mirror: string; tag: (version: string) => string; dir: string; symlinks?: Record<string, string> }> = {
    "tigera-operator": { mirror: "projectcalico+calico", tag: (v) => v, dir: "charts/tigera-operator" },
    // templates/calico is a symlink to ../../../libcalico-go/config/crd in the repository; packaging resolves it.
    "crd.projectcalico.org.v1": { mirror: "projectcalico+calico", tag: (v) => v, dir: "charts/crd.projectcalico.org.v1", symlinks: { "templates/calico": "libcalico-go/config/crd" } },
    "external-dns": { mirror: "kubernetes-sigs+external-dns", tag: (v) => `external-dns-helm-chart-${v}`, dir: "charts/external-dns" },
    "aws-cloud-controller-manager": { mirror: "kubernetes+cloud-provider-aws", tag: (v) => `helm-chart-aws-cloud-controller-manager-${v}`, dir: "charts/aws-cloud-controller-manager" },
    "aws-ebs-csi-driver": { mirror: "kubernetes-sigs+aws-ebs-csi-driver", tag: (v) => `helm-chart-aws-ebs-csi-driver-${v}`, dir: "charts/aws-ebs-csi-driver" },
    "cluster-autoscaler": { mirror: "kubernetes+autoscaler", tag: (v) => `cluster-autoscaler-chart-${v}`, dir: "cluster-autoscaler/charts/cluster-autoscaler" },
    "metrics-server": { mirror: "kubernetes-sigs+metrics-server", tag: (v) => `metrics-server-helm-chart-${v}`, dir: "charts/metrics-server" },
    "kubelet-csr-approver": { mirror: "postfinance+kubelet-csr-approver", tag: (v) => `v${v}`, dir: "charts/kubelet-csr-approver" },
};

interface Release {
    name: string;
    chart: string;
    version: string;
    namespace: string;
    values: Record<string, unknown>;
}

function arg(name: string, fallback?: string): string {
    const i = process.argv.indexOf(`--${name}`);
    const v = i >= 0 ? process.argv[i + 1] : fallback;
    if (v === undefined) throw new Error(`--${name} is required`);
    return v;
}

function releases(manifestsDir: string): Release[] {
    return fs.readdirSync(manifestsDir).flatMap((f) =>
        YAML.parseAllDocuments(fs.readFileSync(path.join(manifestsDir, f), "utf8"))
            .map((d) => d.toJS() as Record<string, any>)
            .filter((d) => d && (d.helmRelease || d.helmChart))
            .map((d) => ({ name: d.helmRelease ?? d.helmChart, chart: d.chart, version: String(d.version), namespace: d.namespace, values: d.values ?? {} })),
    );
}

function extract(mirrors: string, r: Release, into: string): string {
    const src = CHART_SOURCES[r.chart];
    if (!src) throw new Error(`no upstream source known for chart ${r.chart}`);
    const gitDir = path.join(mirrors, src.mirror, "repo");
    const tag = src.tag(r.version);
    const out = path.join(into, `${r.chart}@${r.version}`);
    fs.mkdirSync(out, { recursive: true });
    const untar = (treePath: string, dest: string) => {
        fs.mkdirSync(dest, { recursive: true });
        const tar = execFileSync("git", ["--git-dir", gitDir, "archive", tag, treePath], { maxBuffer: 1 << 30 });
        spawnSync("tar", ["-x", "-C", dest, `--strip-components=${treePath.split("/").length}`], { input: tar });
    };
    untar(src.dir, out);
    for (const [link, target] of Object.entries(src.symlinks ?? {})) {
        fs.rmSync(path.join(out, link), { force: true, recursive: true });
        untar(target, path.join(out, link));
    }
    return out;
}

function leaves(v: unknown, p: string[] = []): string[][] {
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) return Object.entries(v).flatMap(([k, x]) => leaves(x, [...p, k]));
    return p.length > 0 ? [p] : [];
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
function edit(values: Record<string, unknown>, p: string[], f: (parent: Record<string, unknown>, key: string) => void): Record<string, unknown> {
    const c = clone(values);
    let o = c as Record<string, any>;
    for (const k of p.slice(0, -1)) o = o[k];
    f(o, p[p.length - 1]);
    return c;
}

function main(): void {
    const manifests = arg("manifests");
    const mirrors = arg("mirrors");
    const helm = arg("helm");
    const kubeVersion = arg("kube-version", "1.35.9");
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "chart-facts-"));
    const SENTINEL = "ZZSENTINEL";
    for (const r of releases(manifests)) {
        const chartDir = extract(mirrors, r, work);
        const render = (values: Record<string, unknown>) => {
            const file = path.join(work, "values.json");
            fs.writeFileSync(file, JSON.stringify(values));
            const res = spawnSync(helm, ["template", r.name, chartDir, "-n", r.namespace, "-f", file, "--kube-version", kubeVersion], { encoding: "utf8", maxBuffer: 1 << 28 });
            return { out: res.stdout, err: res.status === 0 ? "" : (res.stderr.trim().split("\n").pop() ?? "failed") };
        };
        const base = render(r.values);
        if (base.err) {
            console.log(JSON.stringify({ release: r.name, chart: `${r.chart}@${r.version}`, error: base.err }));
            continue;
        }
        const templates = execFileSync("find", [path.join(chartDir, "templates"), "-type", "f"], { encoding: "utf8" })
            .trim()
            .split("\n");
        for (const p of leaves(r.values)) {
            const current = p.reduce<any>((o, k) => o[k], r.values);
            const changed = render(edit(r.values, p, (o, k) => (o[k] = Array.isArray(current) ? [SENTINEL] : typeof current === "boolean" ? !current : SENTINEL)));
            const deleted = render(edit(r.values, p, (o, k) => delete o[k]));
            const reached = changed.err
                ? `breaks render (${changed.err.slice(0, 100)})`
                : changed.out.includes(SENTINEL)
                  ? "sentinel rendered"
                  : changed.out !== base.out
                    ? "changes output"
                    : "NO EFFECT";
            const vsDefault = deleted.err ? "deleting breaks render" : deleted.out === base.out ? "same as chart default" : "differs from chart default";
            const at: string[] = [];
            for (let n = p.length; n >= 1 && at.length === 0; n--) {
                const re = new RegExp(
                    `\\.Values\\.${p
                        .slice(0, n)
                        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
                        .join("\\.")}(?![A-Za-z0-9_])`,
                );
                for (const t of templates)
                    fs.readFileSync(t, "utf8")
                        .split("\n")
                        .forEach((line, i) => re.test(line) && at.push(`${path.relative(chartDir, t)}:${i + 1}`));
            }
            console.log(JSON.stringify({ release: r.name, chart: `${r.chart}@${r.version}`, key: p.join("."), value: current, reached, vsDefault, at }));
        }
    }
}

if (require.main === module) main();
