/**
 * Every version this program pins, in one place. Bump here, re-run
 * `npm run golden:update`, review the diff.
 */

/**
 * Kubernetes minors this program supports, with the patch release it installs.
 * Upstream supports the three newest minors; as of 2026-11 those are 1.35
 * (EOL 2027-02-28), 1.36 (EOL 2027-06-28) and 1.37 (EOL 2027-10-28), per
 * https://kubernetes.io/releases/. Patches: the latest each release page listed.
 */
export const KUBERNETES_RELEASES = {
    "1.35": "1.35.9",
    "1.36": "1.36.4",
    "1.37": "1.37.1",
} as const;

export type KubernetesMinor = keyof typeof KUBERNETES_RELEASES;

export const SUPPORTED_KUBERNETES_MINORS = Object.keys(KUBERNETES_RELEASES) as KubernetesMinor[];

export const DEFAULT_KUBERNETES_MINOR: KubernetesMinor = "1.35";

/**
 * etcd for the external topology (systemd unit on the etcd slots; the node
 * image installs this release's etcd, etcdctl and etcdutl under
 * /usr/local/bin, and the control-plane image installs etcdctl/etcdutl for
 * backups). 3.6 is the line kubeadm pairs with 1.34+ (kubeadm
 * constants.SupportedEtcdVersion: 34-36 -> 3.6.x, MinExternalEtcdVersion
 * 3.5.24); 3.6.16 is the latest 3.6 patch in etcd's CHANGELOG-3.6 (2026-10-22).
 * Stacked etcd keeps kubeadm's own default image for its release, which the
 * Kubernetes release was tested with.
 */
export const ETCD_VERSION = "3.6.16";

// ---------------------------------------------------------------------------------------------
// Addons (addons/): Helm charts and images. Every chart has an exact version; images whose
// release must follow the Kubernetes minor are pinned per minor. Each pin was checked against the
// upstream repository's tags (snapshots taken 2026-08-22/23; nothing newer could be verified) and,
// for registry.k8s.io images, against the promotion manifests of kubernetes/k8s.io. docs/addons-facts.md
// lists every values key the program sets, where the pinned chart reads it.

/** A Helm chart pinned to one exact version in one repository. */
export interface ChartPin {
    readonly chart: string;
    readonly version: string;
    readonly repository: string;
}

export const ADDON_CHARTS = {
    /**
     * Calico's operator chart. v3.32.1 is the newest release tag in projectcalico/calico (2026-06-24; no
     * v3.33.x tag exists there). Since v3.32 the chart ships NO CRDs: they come from the separate
     * `crd.projectcalico.org.v1` chart below, installed first (projectcalico/calico@v3.32.1:charts/tigera-operator/README.md, "Installing").
     */
    calico: { chart: "tigera-operator", version: "v3.32.1", repository: "https://docs.tigera.io/calico/charts" },
    /**
     * The Calico and operator CRDs (crd.projectcalico.org and operator.tigera.io groups), the same release as the
     * operator chart; upstream installs it with `helm template | kubectl apply --server-side`
     * (projectcalico/calico@v3.32.1:charts/crd.projectcalico.org.v1/README.md).
     */
    calicoCrds: { chart: "crd.projectcalico.org.v1", version: "v3.32.1", repository: "https://docs.tigera.io/calico/charts" },
    /** kubernetes-sigs/external-dns tag external-dns-helm-chart-1.21.1 (2026-04-30; charts/external-dns/Chart.yaml version 1.21.1, appVersion 0.21.0). */
    externalDns: { chart: "external-dns", version: "1.21.1", repository: "https://kubernetes-sigs.github.io/external-dns/" },
    /**
     * kubernetes/cloud-provider-aws tag helm-chart-aws-cloud-controller-manager-0.0.11 (2026-03-25, the newest chart tag);
     * its image is overridden per minor (AWS_CLOUD_CONTROLLER_MANAGER_TAGS).
     */
    awsCloudController: { chart: "aws-cloud-controller-manager", version: "0.0.11", repository: "https://kubernetes.github.io/cloud-provider-aws" },
    /** kubernetes-sigs/aws-ebs-csi-driver tag helm-chart-aws-ebs-csi-driver-2.62.0 (2026-06-16; no 2.62.x patch after it; image v1.62.0). */
    ebsCsi: { chart: "aws-ebs-csi-driver", version: "2.62.0", repository: "https://kubernetes-sigs.github.io/aws-ebs-csi-driver" },
    /** kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0 (2026-07-21, the newest chart tag); its image is overridden per minor (CLUSTER_AUTOSCALER_TAGS). */
    clusterAutoscaler: { chart: "cluster-autoscaler", version: "9.59.0", repository: "https://kubernetes.github.io/autoscaler" },
    /** kubernetes-sigs/metrics-server tag metrics-server-helm-chart-3.13.1 (2026-06-11; the newest 3.13 patch, appVersion 0.8.1). */
    metricsServer: { chart: "metrics-server", version: "3.13.1", repository: "https://kubernetes-sigs.github.io/metrics-server/" },
    /**
     * postfinance/kubelet-csr-approver tag v1.2.14 (2026-04-09, the newest); chart and image are versioned
     * together, the chart version being the tag without its `v` (.github/workflows/publish.yaml "Prepare version").
     */
    kubeletCsrApprover: { chart: "kubelet-csr-approver", version: "1.2.14", repository: "https://postfinance.github.io/kubelet-csr-approver" },
} as const satisfies Record<string, ChartPin>;

export type AddonChart = keyof typeof ADDON_CHARTS;

/**
 * kube2iam (typed manifests, no chart). jtblin/kube2iam tag 0.13.0 (2025-05-26). 0.13.0 (Docker Hub, 2025-05) is the
 * first image with IMDSv2 support (PR #344); 0.11.2 crash-loops when the
 * instance requires IMDSv2 tokens, as every launch template here does
 * (jtblin/kube2iam#376, #282). It also wants the region in the environment
 * (AWS_REGION / AWS_DEFAULT_REGION, #376).
 */
export const KUBE2IAM_IMAGE = "docker.io/jtblin/kube2iam:0.13.0";

export const AWS_CLOUD_CONTROLLER_MANAGER_IMAGE = "registry.k8s.io/provider-aws/cloud-controller-manager";
/**
 * cloud-controller-manager per minor, the newest promoted patch of each line. v1.35.2 is tagged in
 * kubernetes/cloud-provider-aws (2026-05-12) and promoted (kubernetes/k8s.io:registry.k8s.io/images/k8s-staging-provider-aws/images.yaml
 * lists cloud-controller-manager v1.35.2); v1.35.1's build failed and was never promoted. v1.36.1 is the only
 * usable 1.36 image (kubernetes/k8s.io#9796, merged 2026-07-30: v1.36.0's build failed). No 1.37 tag exists:
 * 1.37 runs v1.36.1, one minor behind the API server, which the version-skew policy allows for
 * cloud-controller-manager (https://kubernetes.io/releases/version-skew-policy/).
 */
export const AWS_CLOUD_CONTROLLER_MANAGER_TAGS: Record<KubernetesMinor, string> = {
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
    "1.37": "v1.36.1",
};

export const CLUSTER_AUTOSCALER_IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler";
/**
 * cluster-autoscaler must match the minor: upstream tests each release only with its own Kubernetes minor
 * (kubernetes/autoscaler@cluster-autoscaler-1.36.1:cluster-autoscaler/README.md, "Releases"). Tags
 * cluster-autoscaler-1.35.2 and cluster-autoscaler-1.36.1 (both 2026-07-22) are the newest of their lines.
 * No cluster-autoscaler-1.37.x release exists (the v1.37.0 pinned before never did): 1.37 has no
 * autoscaler, and a 1.37 stack that turns it on is refused by the configuration check (config/rules.ts).
 */
export const CLUSTER_AUTOSCALER_TAGS: Partial<Record<KubernetesMinor, string>> = {
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
};

// ---------------------------------------------------------------------------------------------
// The machine image and the node runtime (components/host/).

/** Ubuntu Server LTS release the AMI comes from (Canonical's SSM parameters). */
export const UBUNTU_RELEASE = "24.04";

/**
 * The Debian package revision of kubelet/kubeadm/kubectl in the community
 * repository pkgs.k8s.io (`core:/stable:/v<minor>/deb/`): versions read
 * `<patch version>-1.1` there (https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/install-kubeadm/).
 */
export const KUBERNETES_DEB_REVISION = "1.1";

/**
 * containerd per Kubernetes minor, from containerd's static release tarball
 * (checksum-verified at boot against the `.sha256sum` file the release
 * publishes beside it: containerd/containerd@v2.3.4:Makefile, target
 * `release`). Each pin must be a line containerd's own matrix recommends for
 * that minor (containerd/containerd@v2.3.4:RELEASES.md, "Kubernetes Support";
 * mirrored in CONTAINERD_KUBERNETES_MATRIX and checked by a test):
 *   1.35: 2.2.0+, 2.1.5+, 1.7.28+   1.36: 2.3.0+, 2.2.0+
 * 1.35 is the last minor that supports containerd 1.x; 1.36 needs 2.2+.
 * The matrix at v2.3.4 (2026-08-12) has no 1.37 row yet: 1.37 takes the
 * newest line listed for 1.36 (2.3, the LTS line, supported to 2028-04-30).
 * 1.35 keeps 2.2 because 2.3 is not listed for it; 2.2's support ended on
 * 2026-11-06 (same file), so 1.35 clusters should move to 1.36.
 */
export const CONTAINERD_VERSIONS: Record<KubernetesMinor, string> = {
    "1.35": "2.2.7",
    "1.36": "2.3.4",
    "1.37": "2.3.4",
};

/** containerd/containerd@v2.3.4:RELEASES.md "Kubernetes Support": minimum patch of each line, per Kubernetes minor. */
export const CONTAINERD_KUBERNETES_MATRIX: Readonly<Record<string, readonly string[]>> = {
    "1.35": ["2.2.0", "2.1.5", "1.7.28"],
    "1.36": ["2.3.0", "2.2.0"],
};

/**
 * runc for each pinned containerd: the release containerd tests with
 * (script/setup/runc-version at the tag: v2.2.7 -> v1.3.6, v2.3.4 -> v1.4.3).
 * Downloaded as `runc.<arch>` and checked against the release's `runc.sha256sum`
 * (opencontainers/runc@v1.4.3:script/release_build.sh).
 */
export const RUNC_VERSIONS: Readonly<Record<string, string>> = {
    "2.2.7": "1.3.6",
    "2.3.4": "1.4.3",
};

// ---------------------------------------------------------------------------------------------
// kubeadm's own addons. `kubeadm init` on the first control-plane slot deploys CoreDNS and kube-proxy
// (components/controlplane/render/kubeadm.ts skips only its upload-certs phase); `npm run roll` moves
// them to what the target minor's kubeadm deploys once every API server runs it (tools/roll/plan.ts).

/** kubeadm's CoreDNS image name: GetDNSImage appends /coredns to registry.k8s.io (kubernetes/kubernetes@v1.36.4:cmd/kubeadm/app/images/images.go). */
export const KUBEADM_COREDNS_IMAGE = "registry.k8s.io/coredns/coredns";

/**
 * The CoreDNS tag kubeadm deploys at each minor: constants.CoreDNSVersion in
 * kubernetes/kubernetes@v<patch>:cmd/kubeadm/app/constants/constants.go, read at v1.35.8, v1.36.4 and
 * v1.37.1 (the sources the Go module proxy serves; v1.35.9 is refused there, see tools/real/pins.ts) and
 * confirmed by the built binaries' `kubeadm config images list`. The same tag for every patch of a minor
 * is an assumption for 1.35.9 only.
 */
export const KUBEADM_COREDNS_TAGS: Record<KubernetesMinor, string> = {
    "1.35": "v1.13.1",
    "1.36": "v1.14.2",
    "1.37": "v1.14.6",
};

/**
 * CoreDNS releases whose Corefile plugins and options are the same, so a Corefile moves between them
 * unchanged: coredns/corefile-migration@v1.0.34:migration/versions.go (the library kubeadm v1.37.1 uses;
 * v1.0.31 for v1.36.4 says the same) gives 1.13.0-1.13.2 plugins_1_13_0 and 1.14.0-1.14.6 plugins_1_14_0,
 * and the two maps are equal, so migration.Deprecated reports nothing between them and kubeadm keeps the
 * Corefile (kubernetes/kubernetes@v1.36.4:cmd/kubeadm/app/phases/addons/dns/dns.go
 * isCoreDNSConfigMapMigrationRequired). A CoreDNS outside this list is not moved by the roll.
 */
export const COREFILE_COMPATIBLE_COREDNS_TAGS: readonly string[] = ["v1.13.0", "v1.13.1", "v1.13.2", "v1.14.0", "v1.14.1", "v1.14.2", "v1.14.3", "v1.14.4", "v1.14.6"];
