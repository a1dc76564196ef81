/**
 * Everything outside npm that the test suite runs, in one list: the `pretest` preflight
 * (tools/preflight/index.ts) checks it before `npm test`, and .ci/run installs from it
 * (`tools/preflight/index.ts --install-system`), so the two cannot drift.
 */

export interface SystemTool {
    /** The executable looked up on PATH (or an absolute path). */
    readonly command: string;
    /** The Debian package that ships it. */
    readonly debianPackage: string;
    /** What needs it, for the message. */
    readonly usedBy: string;
}

export const SYSTEM_TOOLS: readonly SystemTool[] = [
    { command: "shellcheck", debianPackage: "shellcheck", usedBy: "lints every rendered shell script (test/realchecks, test/components/bootstrap)" },
    { command: "cloud-init", debianPackage: "cloud-init", usedBy: "`cloud-init schema` on the rendered user data" },
    { command: "openssl", debianPackage: "openssl", usedBy: "verifies the generated certificates and keys" },
    { command: "etcd", debianPackage: "etcd-server", usedBy: "runs the rendered etcd configuration (test/realchecks/etcd, test/components/controlplane/etcd)" },
    { command: "etcdctl", debianPackage: "etcd-client", usedBy: "talks to those etcd members (snapshots, member list)" },
    { command: "systemd-analyze", debianPackage: "systemd", usedBy: "`systemd-analyze verify` on the rendered units" },
    { command: "/usr/bin/time", debianPackage: "time", usedBy: "measures each build of `npm run tools:real`" },
];

/** Where .ci/run and the preflight look for Go besides PATH (the official tarball's place). */
export const EXTRA_GO_DIR = "/usr/local/go/bin";

/** What `npm run tools:real` needs besides the system tools: Go at the version tools/real/go/*\/go.mod ask for (GOTOOLCHAIN=local), and Python for the moto/awscli venv. */
export const REAL_BUILD_TOOLS: readonly { command: string; what: string; debianPackages: readonly string[] }[] = [
    // No Debian package: Debian's golang is older than the 1.26 the wrapper modules ask for.
    { command: "go", what: "Go 1.26 or newer (tools/real/go/*/go.mod; GOTOOLCHAIN=local, so it is never downloaded), on PATH or in /usr/local/go/bin", debianPackages: [] },
    { command: "python3", what: "Python 3 with venv, for the moto/awscli virtualenv", debianPackages: ["python3", "python3-venv"] },
];

/** Set to 1 to run `npm test` without building the real-tool cache; the real tiers then skip (outside CI) with their own message. */
export const SKIP_REAL_ENV = "K8S_AWS_SKIP_REAL";
