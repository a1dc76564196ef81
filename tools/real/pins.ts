/**
 * What `npm run tools:real` builds, at which versions, and where each tool lands in the
 * version-keyed cache. The Kubernetes, etcd and Pulumi versions come from the program's own
 * pins (config/versions.ts, package.json); the wrapper Go modules under tools/real/go/ must
 * require exactly these versions, and the build refuses to run when they drift.
 */
import * as os from "os";
import * as path from "path";
import { DEFAULT_KUBERNETES_MINOR, ETCD_VERSION, KUBERNETES_RELEASES, KubernetesMinor, SUPPORTED_KUBERNETES_MINORS } from "../../config/versions";
import * as packageJson from "../../package.json";

/** Helm 4: the newest v4 release the Go module proxy serves (helm.sh/helm/v4 @v/list, 2026-12). */
export const HELM_VERSION = "4.3.2";

/** PyPI pins for the AWS API emulator and the AWS CLI (the full lock is tools/real/python/requirements.lock). */
export const MOTO_VERSION = "5.2.5";
export const AWSCLI_VERSION = "1.46.3";

/** The Pulumi CLI follows the Node.js SDK the program uses. */
export const PULUMI_VERSION = packageJson.dependencies["@pulumi/pulumi"];

/**
 * The Node.js language host module is only published as a pseudo-version. v3.248.0 is commit
 * a88168d865b7fd428e5a929cc54aeceaf72d203f, committed 2026-06-24T12:07:34Z
 * (pulumi/pulumi@v3.248.0), and the module has no tag of its own, so its version is
 * v3.0.0-20260624120734-a88168d865b7 (https://go.dev/ref/mod#pseudo-versions).
 */
export const PULUMI_LANGUAGE_NODEJS = {
    module: "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3",
    version: "v3.0.0-20260624120734-a88168d865b7",
} as const;

/**
 * Kubernetes patches the Go module proxy refuses, with the nearest patch of the same minor it
 * serves (issue 16 allows that for Kubernetes, saying which and why). Probed with
 * `go mod download -json k8s.io/kubernetes@v1.35.<n>` on 2026-12-03: v1.35.9, v1.35.10 and
 * v1.35.7 answer "403 Forbidden / This module version is not available."; v1.35.8 is served.
 * The cache and every report name the patch actually built; the pin itself is not changed.
 */
export const KUBERNETES_PROXY_SUBSTITUTES: Partial<Record<string, { built: string; error: string }>> = {
    "1.35.9": {
        built: "1.35.8",
        error: "go: k8s.io/kubernetes@v1.35.9: reading $GOPROXY/k8s.io/kubernetes/@v/v1.35.9.info: 403 Forbidden\n\tserver response: This module version is not available.",
    },
};

/** The Kubernetes patch built for a minor: the pin, or the proxy-served substitute declared above. */
export function kubernetesBuiltVersion(minor: KubernetesMinor): string {
    const pinned = KUBERNETES_RELEASES[minor];
    return KUBERNETES_PROXY_SUBSTITUTES[pinned]?.built ?? pinned;
}

/** Root of the version-keyed cache; K8S_AWS_CACHE overrides it (a temp dir for a cold-build measurement). */
export function cacheRoot(): string {
    return process.env.K8S_AWS_CACHE ?? path.join(os.homedir(), ".cache", "k8s-aws");
}

export const CONTROL_PLANE_BINARIES = ["kubeadm", "kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;

/** Cache directory names, one per tool group and version. */
export const dirs = {
    kubernetes: (version: string) => `kubernetes-${version}`,
    kubeadm: (version: string) => `kubeadm-${version}`,
    etcd: (version: string) => `etcd-${version}`,
    helm: (version: string) => `helm-${version}`,
    pulumi: (version: string) => `pulumi-${version}`,
    python: () => `aws-python-moto-${MOTO_VERSION}-awscli-${AWSCLI_VERSION}`,
};

/** Absolute paths of every tool the tests use, by name. */
export function toolPaths(root = cacheRoot()) {
    const k8sDefault = kubernetesBuiltVersion(DEFAULT_KUBERNETES_MINOR);
    const kubeadmByMinor = Object.fromEntries(
        SUPPORTED_KUBERNETES_MINORS.map((minor) => {
            const version = kubernetesBuiltVersion(minor);
            const dir = minor === DEFAULT_KUBERNETES_MINOR ? dirs.kubernetes(version) : dirs.kubeadm(version);
            return [minor, { version, path: path.join(root, dir, "kubeadm") }];
        }),
    ) as Record<KubernetesMinor, { version: string; path: string }>;
    const cp = path.join(root, dirs.kubernetes(k8sDefault));
    const etcd = path.join(root, dirs.etcd(ETCD_VERSION));
    const venv = path.join(root, dirs.python(), "venv", "bin");
    return {
        kubernetesVersion: k8sDefault,
        kubeadmByMinor,
        kubeApiserver: path.join(cp, "kube-apiserver"),
        kubeControllerManager: path.join(cp, "kube-controller-manager"),
        kubeScheduler: path.join(cp, "kube-scheduler"),
        etcd: path.join(etcd, "etcd"),
        etcdctl: path.join(etcd, "etcdctl"),
        etcdutl: path.join(etcd, "etcdutl"),
        helm: path.join(root, dirs.helm(HELM_VERSION), "helm"),
        pulumi: path.join(root, dirs.pulumi(PULUMI_VERSION), "pulumi"),
        aws: path.join(venv, "aws"),
        motoServer: path.join(venv, "moto_server"),
    };
}
