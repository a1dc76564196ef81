/**
 * The API load balancer's settings as data: listeners, target group and
 * health checks for the Network Load Balancer, and the classic ELB
 * alternative. Pure; apiEndpoint.ts turns them into resources.
 *
 * TCP pass-through only: the apiserver terminates TLS itself (clients verify
 * it against the cluster CA and authenticate with client certificates, which
 * a TLS-terminating balancer would break), so listener 6443/TCP forwards to
 * target port 6443/TCP.
 */
import { API_SERVER_PORT } from "../host/paths";

export interface HealthCheck {
    readonly protocol: "HTTPS";
    readonly path: string;
    readonly intervalSeconds: number;
    readonly timeoutSeconds: number;
    readonly healthyThreshold: number;
    readonly unhealthyThreshold: number;
}

/**
 * HTTPS GET /readyz on the traffic port. kube-apiserver answers it without
 * credentials (apiserverFiles.ts ANONYMOUS_PATHS) and only when it can serve:
 * etcd reachable, informers synced. A master that is up but cut off from etcd
 * leaves rotation too, which a TCP check would miss.
 *
 * Limits (ELBv2 CreateTargetGroup: interval 5-300 s, timeout 2-120 s,
 * thresholds 2-10; classic ELB: timeout below the interval).
 *
 * How long a dead master stays in rotation, worst case: it dies just after a
 * passing check; the next check starts at most one interval later and fails
 * after the timeout; the balancer needs unhealthyThreshold failures in a row:
 *
 *   interval x unhealthyThreshold + timeout = 10 x 2 + 5 = 25 s  (<= 30 s)
 *
 * (NLB's passive health checks, which watch real connections, can take it out
 * sooner.) Coming back needs healthyThreshold passes: 2 x 10 = 20 s.
 */
export const API_HEALTH_CHECK: HealthCheck = {
    protocol: "HTTPS",
    path: "/readyz",
    intervalSeconds: 10,
    timeoutSeconds: 5,
    healthyThreshold: 2,
    unhealthyThreshold: 2,
};

/** The worst-case seconds a dead target keeps receiving new connections (see API_HEALTH_CHECK). */
export function secondsToLeaveRotation(h: HealthCheck): number {
    return h.intervalSeconds * h.unhealthyThreshold + h.timeoutSeconds;
}

/**
 * Seconds a deregistering target keeps its connections: long watches
 * (kubectl, controllers) are cut after it and reconnect to a live member.
 * The ASG waits this long before terminating a replaced instance.
 */
export const DEREGISTRATION_DELAY_SECONDS = 30;

/** aws.lb.TargetGroup arguments (without vpcId and tags). */
export function nlbTargetGroupArgs(h: HealthCheck = API_HEALTH_CHECK) {
    return {
        port: API_SERVER_PORT,
        protocol: "TCP",
        targetType: "instance",
        deregistrationDelay: DEREGISTRATION_DELAY_SECONDS,
        connectionTermination: true,
        healthCheck: {
            enabled: true,
            protocol: h.protocol,
            path: h.path,
            port: "traffic-port",
            interval: h.intervalSeconds,
            timeout: h.timeoutSeconds,
            healthyThreshold: h.healthyThreshold,
            unhealthyThreshold: h.unhealthyThreshold,
        },
    };
}

/**
 * The internal API balancer's target group (without vpcId and tags): the
 * slots' fixed IPs as IP targets, the same /readyz health check, and client
 * IP preservation off, so that a member balanced to itself still connects
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-target-groups.html,
 * "Client IP preservation": NAT loopback is not supported while it is on;
 * off is the default for IP targets over TCP, written out here).
 */
export function internalTargetGroupArgs(h: HealthCheck = API_HEALTH_CHECK) {
    const base = nlbTargetGroupArgs(h);
    return { ...base, targetType: "ip", preserveClientIp: "false" };
}

/** The NLB listener: TCP 6443, forwarding to the target group. */
export function nlbListenerArgs<T>(targetGroupArn: T) {
    return { port: API_SERVER_PORT, protocol: "TCP", defaultActions: [{ type: "forward", targetGroupArn }] };
}

/** aws.elb.LoadBalancer listeners and health check: TCP 6443 -> TCP 6443, HTTPS /readyz. */
export function classicElbArgs(h: HealthCheck = API_HEALTH_CHECK) {
    return {
        listeners: [{ lbPort: API_SERVER_PORT, lbProtocol: "TCP", instancePort: API_SERVER_PORT, instanceProtocol: "TCP" }],
        healthCheck: {
            target: `${h.protocol}:${API_SERVER_PORT}${h.path}`,
            interval: h.intervalSeconds,
            timeout: h.timeoutSeconds,
            healthyThreshold: h.healthyThreshold,
            unhealthyThreshold: h.unhealthyThreshold,
        },
        crossZoneLoadBalancing: true,
        connectionDraining: true,
        connectionDrainingTimeout: DEREGISTRATION_DELAY_SECONDS,
        // Watches idle for long stretches; the classic default (60 s) would cut them.
        idleTimeout: 3600,
    };
}
