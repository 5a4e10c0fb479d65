/** The load balancer's Args (its host, the names clients use, port, timeouts, health check) and their validation. */

import { checkSshHost, SshHostArgs } from "../ssh/sshHost";
import { checkHostname, checkIp, checkPort, fieldPath } from "../validation";
import {
    checkLoadBalancerHealthCheck,
    checkLoadBalancerTimeouts,
    LoadBalancerHealthCheck,
    LoadBalancerTimeouts,
} from "./haproxyConfig";

/** Defaults of {@link LoadBalancerArgs}, in one place (haproxy's own are {@link haproxyDefaults}). */
export const loadBalancerDefaults = {
    port: 5000,
} as const;

/**
 * The host that runs haproxy in front of the replicas, and the endpoint clients use: the registry's certificate
 * covers `names` and `ips`, clients trust and check this endpoint, and haproxy terminates TLS with that certificate.
 */
export interface LoadBalancerArgs extends SshHostArgs {
    /**
     * DNS names clients use for the registry; the first is the primary endpoint and the name each replica's
     * certificate is verified for by the load balancer. At least one (a name, not only IPs: haproxy verifies the
     * replicas by name).
     */
    readonly names: readonly string[];
    /** IP addresses clients use for the registry (IP SANs). Default `[]`. */
    readonly ips?: readonly string[];
    /** Port clients connect to (TLS). Default `5000`. */
    readonly port?: number;
    /** haproxy's timeouts, in seconds. Default: {@link haproxyDefaults}`.timeouts` (600 s inactivity for large blobs). */
    readonly timeouts?: LoadBalancerTimeouts;
    /** The replicas' health check. Default: every 2 s, down after 2 failures, up after 2 passes. */
    readonly healthCheck?: LoadBalancerHealthCheck;
}

/** Validates a load balancer's plain Args, naming fields under `field` (`loadBalancer.names[0]`). Pure. */
export function checkLoadBalancerArgs(field: string, lb: LoadBalancerArgs | undefined): string[] {
    if (lb === undefined || lb === null || typeof lb !== "object") return [`\`${field}\` must be an object`];
    const problems: string[] = [...checkSshHost(field, lb)];
    const names = Array.isArray(lb.names) ? lb.names : [];
    if (names.length === 0)
        problems.push(
            `\`${fieldPath(field, "names")}\` needs at least one DNS name: clients use it, and the load balancer verifies each replica's certificate for it`,
        );
    names.forEach((n, i) => problems.push(...checkHostname(`${fieldPath(field, "names")}[${i}]`, n)));
    (lb.ips ?? []).forEach((ip, i) => problems.push(...checkIp(`${fieldPath(field, "ips")}[${i}]`, ip)));
    if (lb.port !== undefined) problems.push(...checkPort(fieldPath(field, "port"), lb.port));
    problems.push(...checkLoadBalancerTimeouts(fieldPath(field, "timeouts"), lb.timeouts));
    problems.push(...checkLoadBalancerHealthCheck(fieldPath(field, "healthCheck"), lb.healthCheck));
    return problems;
}
