/** The load balancer's Args (its host, the names clients use, port, timeouts, health check) and their validation. */

import { checkSshHost, SshHostArgs } from "../ssh/sshHost";
import {
    checkFileExists,
    checkHostname,
    checkIdentifier,
    checkIp,
    checkPort,
    checkRemotePath,
    fieldPath,
} from "../validation";
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
    /** haproxy's image on the host (`haproxy` on its PATH). Default `"haproxy:2.6"` (Debian 12's haproxy version). */
    readonly image?: string;
    /**
     * A `docker save` tarball of `image` on the operator's machine, copied (when its SHA-256 changed) and loaded as
     * the registry image is. Default: none (the image must be on the host).
     */
    readonly imageArchive?: string;
    /** Directory on the host for the preparation's state and the image archive. Default `"/var/lib/airgap-registry-lb"`. */
    readonly dataDir?: string;
    /** haproxy's container name. Default `"airgap-registry-lb"`. */
    readonly containerName?: string;
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
    if (lb.image !== undefined && (typeof lb.image !== "string" || !/^[a-z0-9][a-z0-9._/:@-]*$/.test(lb.image)))
        problems.push(`\`${fieldPath(field, "image")}\` is not an image reference: ${JSON.stringify(lb.image)}`);
    if (lb.imageArchive !== undefined)
        problems.push(...checkFileExists(fieldPath(field, "imageArchive"), lb.imageArchive));
    if (lb.dataDir !== undefined) problems.push(...checkRemotePath(fieldPath(field, "dataDir"), lb.dataDir));
    if (lb.containerName !== undefined)
        problems.push(...checkIdentifier(fieldPath(field, "containerName"), lb.containerName));
    return problems;
}
