/**
 * The staging render's control plane for the roll's tests: etcd, kube-apiserver and
 * kube-controller-manager as controlPlaneRig.ts runs them on 127.0.0.1, kubeadm-config uploaded as
 * `kubeadm init` uploads it (with kubelet-config and the bootstrap-token RBAC), the namespaces' default
 * ServiceAccounts present. No kubelet, no scheduler.
 */
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_KUBERNETES_MINOR } from "../../config/versions";
import { toolPaths } from "../../tools/real/pins";
import { tempDir } from "../support/shell";
import {
    Credentials,
    Fatal,
    advertiseAddress,
    bindClusterAdmins,
    flag,
    localKubeconfigs,
    freePorts,
    isUp,
    kubeadm,
    kubeconfigCredentials,
    localKubeadmConfig,
    manifestCommand,
    placeControlPlaneFiles,
    relocate,
    renderStack,
    request,
    startProcess,
    until,
    writeUnder,
} from "./controlPlaneRig";
import { requireTools } from "./requireTools";
import type { KubeCredentials } from "../../tools/roll/kube";

const STACK = "staging";
const LOCAL_CONFIG = "/etc/kubernetes/k8s-aws-local/kubeadm-init.yaml";

export interface RollControlPlane {
    readonly api: string;
    /** The program's admin kubeconfig's credentials. */
    readonly admin: Credentials;
    readonly creds: KubeCredentials;
    /** The directory kubeadm runs in (`--rootfs`), and the kubeadm config inside it that the rig's kubeadm used. */
    readonly root: string;
    readonly kubeadmConfig: string;
}

/** Starts it (stopAll() from controlPlaneRig.ts stops it); skips the suite when the real tools are not built. */
export async function startRollControlPlane(ctx: Mocha.Context): Promise<RollControlPlane> {
    const tools = requireTools(ctx, ["etcd", "etcdctl", "kubeApiserver", "kubeControllerManager"], { kubeadm: toolPaths().kubeadmByMinor[DEFAULT_KUBERNETES_MINOR].path });
    const kubeadmBin = toolPaths().kubeadmByMinor[DEFAULT_KUBERNETES_MINOR].path;
    const rendered = await renderStack(STACK);
    const dir = tempDir("real-roll-kube");
    const root = path.join(dir, "root");
    const logs = path.join(dir, "logs");
    fs.mkdirSync(logs, { recursive: true });
    placeControlPlaneFiles(rendered, root);
    const [apiPort, etcdClient, etcdPeer, etcdMetrics, kcmPort] = await freePorts(5);
    const api = `https://127.0.0.1:${apiPort}`;
    const init = rendered.objects.get(`control-plane/slots/${rendered.slot}/kubeadm-init.yaml`)!;
    writeUnder(root, LOCAL_CONFIG, localKubeadmConfig(init, apiPort), 0o600);
    for (const phase of [
        ["certs", "all"],
        ["kubeconfig", "all"],
        ["etcd", "local"],
        ["control-plane", "all"],
    ])
        kubeadm(kubeadmBin, root, ["init", "phase", ...phase, "--config", LOCAL_CONFIG]);
    const advertise = advertiseAddress(init);
    localKubeconfigs(root, advertise);
    const to = new Map([
        [`127.0.0.1:2379`, `127.0.0.1:${etcdClient}`],
        [`127.0.0.1:2380`, `127.0.0.1:${etcdPeer}`],
        [`127.0.0.1:2381`, `127.0.0.1:${etcdMetrics}`],
    ]);
    const cmd: Record<string, string[]> = {};
    for (const name of ["etcd", "kube-apiserver", "kube-controller-manager"]) cmd[name] = relocate(manifestCommand(root, name), root, to, new Set([advertise]));
    cmd["kube-apiserver"].push("--bind-address=127.0.0.1");
    for (const d of [flag(cmd.etcd, "data-dir")!, path.dirname(flag(cmd["kube-apiserver"], "audit-log-path")!)]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    const admin = kubeconfigCredentials(rendered.adminKubeconfig);
    startProcess(tools.etcd, cmd.etcd, path.join(logs, "etcd.log"));
    const apiserver = startProcess(tools.kubeApiserver, cmd["kube-apiserver"], path.join(logs, "kube-apiserver.log"));
    await until(
        "kube-apiserver /readyz",
        180_000,
        async () => {
            if (!isUp(apiserver)) throw new Fatal(`kube-apiserver exited: ${fs.readFileSync(path.join(logs, "kube-apiserver.log"), "utf8").slice(-2000)}`);
            return (await request(api, admin, "GET", "/readyz")).status === 200 ? true : undefined;
        },
        500,
    );
    await bindClusterAdmins(api, kubeconfigCredentials(fs.readFileSync(path.join(root, "etc/kubernetes/super-admin.conf"), "utf8")));
    // What `kubeadm init` uploads: the ClusterConfiguration every later join reads (kubeadm-config), the kubelet
    // configuration (kubelet-config), and the bootstrap-token phase's RBAC rules and cluster-info.
    for (const phase of [["upload-config", "kubeadm"], ["upload-config", "kubelet"], ["bootstrap-token"]]) {
        kubeadm(kubeadmBin, root, ["init", "phase", ...phase, "--config", LOCAL_CONFIG, "--kubeconfig", "/etc/kubernetes/super-admin.conf"]);
    }
    startProcess(tools.kubeControllerManager, [...cmd["kube-controller-manager"], `--secure-port=${kcmPort}`], path.join(logs, "kube-controller-manager.log"));
    // Pods need their namespace's default ServiceAccount, which the controller-manager creates.
    for (const ns of ["default", "kube-system"]) {
        await until(
            `ServiceAccount ${ns}/default`,
            120_000,
            async () => ((await request(api, admin, "GET", `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200 ? true : undefined),
            500,
        );
    }
    return { api, admin, creds: { server: api, ca: admin.ca, cert: admin.cert, key: admin.key }, root, kubeadmConfig: LOCAL_CONFIG };
}
