/**
 * The Args of a replicated registry (N replicas on the site's S3 object store behind a load balancer), their
 * validation with paths as a stack config would name them, and the load balancer's config input they give
 * (ReplicatedRegistry's own Args build on them).
 */

import { HaproxyConfigInput } from "../loadBalancer/haproxyConfig";
import { checkLoadBalancerArgs, LoadBalancerArgs, loadBalancerDefaults } from "../loadBalancer/loadBalancerArgs";
import { checkRegistryStorageArgs, RegistryStorageArgs } from "../registry/objectStorage";
import { RegistryVersion } from "../registry/registryVersion";
import { checkSshHost, SshHostArgs } from "../ssh/sshHost";
import { checkAddress, checkIdentifier, checkPort, checkRemotePath, checkUnique, fieldPath } from "../validation";

/** Defaults of a replica, in one place (the same as a single registry host's). */
export const registryReplicaDefaults = {
    port: 5000,
    dataDir: "/var/lib/airgap-registry",
} as const;

/** A registry host that runs one replica (prepared as a single registry host is). */
export interface RegistryReplicaArgs extends SshHostArgs {
    /** Unique replica name; keys the replica's resources (re-ordering replicas replaces nothing). */
    readonly name: string;
    /** Address the load balancer reaches the replica's registry port at. Default: `address`. */
    readonly serviceAddress?: string;
    /** The replica's registry port (TLS, the registry's certificate). Default `5000`. */
    readonly port?: number;
    /** Directory on the host for certs, auth and config (no blobs: they are in the store). Default `"/var/lib/airgap-registry"`. */
    readonly dataDir?: string;
}

/** Arguments of a replicated registry. */
export interface ReplicatedRegistryArgs {
    /**
     * The registry hosts, one replica each. At least one; more than one needs `storage.s3` (the replicas share data
     * only through the store) and `loadBalancer`. Every replica runs with the same generated `http.secret`.
     */
    readonly replicas: readonly RegistryReplicaArgs[];
    /** The replicas' storage. Default: the host directory (one replica only). */
    readonly storage?: RegistryStorageArgs;
    /** The load balancer clients use. Required with more than one replica. Default: none. */
    readonly loadBalancer?: LoadBalancerArgs;
    /**
     * The distribution version the replicas run (`"2"` or `"3"`), for what the storage may use (`redirectendpoint`
     * is 3.x only). Default: not known here (the image decides, as for a single registry).
     */
    readonly registryVersion?: RegistryVersion;
}

/**
 * Validates a replicated registry's plain Args at once, naming fields under `field` (`replicas[1].name`,
 * `storage.s3.bucket`, `loadBalancer.port`). Pure (reads only the existence of key and known_hosts files).
 */
export function checkReplicatedRegistryArgs(field: string, args: ReplicatedRegistryArgs): string[] {
    if (args === undefined || args === null || typeof args !== "object") return ["arguments are required"];
    const f = (name: string) => fieldPath(field, name);
    const problems: string[] = [];
    const replicas: readonly RegistryReplicaArgs[] = Array.isArray(args.replicas) ? args.replicas : [];
    if (!Array.isArray(args.replicas) || replicas.length === 0)
        problems.push(`\`${f("replicas")}\` needs at least one replica`);
    replicas.forEach((r, i) => {
        const rf = `${f("replicas")}[${i}]`;
        if (r === undefined || r === null || typeof r !== "object") {
            problems.push(`\`${rf}\` must be an object`);
            return;
        }
        problems.push(...checkSshHost(rf, r), ...checkIdentifier(fieldPath(rf, "name"), r.name));
        if (r.serviceAddress !== undefined)
            problems.push(...checkAddress(fieldPath(rf, "serviceAddress"), r.serviceAddress));
        if (r.port !== undefined) problems.push(...checkPort(fieldPath(rf, "port"), r.port));
        if (r.dataDir !== undefined) problems.push(...checkRemotePath(fieldPath(rf, "dataDir"), r.dataDir));
    });
    problems.push(
        ...checkUnique(
            f("replicas"),
            replicas.map((r) => r?.name),
            "name",
        ),
    );
    if (replicas.length > 1 && args.storage?.s3 === undefined)
        problems.push(
            `\`${f("storage.s3")}\` is required with more than one replica (\`${f("replicas")}\` has ${replicas.length}): replicas share blobs and manifests only through the object store, one host's directory is not seen by the others`,
        );
    if (replicas.length > 1 && args.loadBalancer === undefined)
        problems.push(
            `\`${f("loadBalancer")}\` is required with more than one replica (\`${f("replicas")}\` has ${replicas.length}): clients reach the replicas through it`,
        );
    problems.push(...checkRegistryStorageArgs(f("storage"), args.storage, args.registryVersion));
    if (args.loadBalancer !== undefined) problems.push(...checkLoadBalancerArgs(f("loadBalancer"), args.loadBalancer));
    return problems;
}

/** The load balancer's config input for validated Args: every replica by name, in the given order. Pure. */
export function haproxyInputFor(args: ReplicatedRegistryArgs & { loadBalancer: LoadBalancerArgs }): HaproxyConfigInput {
    const lb = args.loadBalancer;
    return {
        port: lb.port ?? loadBalancerDefaults.port,
        serverName: lb.names[0],
        replicas: args.replicas.map((r) => ({
            name: r.name,
            address: r.serviceAddress ?? r.address,
            port: r.port ?? registryReplicaDefaults.port,
        })),
        ...(lb.timeouts === undefined ? {} : { timeouts: lb.timeouts }),
        ...(lb.healthCheck === undefined ? {} : { healthCheck: lb.healthCheck }),
    };
}
