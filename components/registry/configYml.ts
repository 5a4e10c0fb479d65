/** The registry's config.yml (TLS 1.2+, htpasswd auth, storage health check). Pure. */

import * as YAML from "yaml";

/** Paths inside the registry container; the host directories are mounted there. */
export const containerPaths = {
    storage: "/var/lib/registry",
    certs: "/certs",
    auth: "/auth",
    config: "/etc/docker/registry",
    chain: "/certs/chain.pem",
    key: "/certs/server.key",
    htpasswd: "/auth/htpasswd",
} as const;

/** Port the registry listens on inside its container (published as the registry port). */
export const containerPort = 5000;
/** Loopback-only debug listener inside the container, used by the health check. */
export const debugAddr = "127.0.0.1:5001";

/** Inputs of the registry's config.yml. */
export interface RegistryConfigInput {
    /** The `http.secret` shared by registry instances (secret). */
    readonly httpSecret: string;
    /** Realm in the `WWW-Authenticate` header. Default `"airgap-registry"`. */
    readonly realm?: string;
    /** Log level. Default `"info"`. */
    readonly logLevel?: "error" | "warn" | "info" | "debug";
}

/**
 * The distribution registry's config object: filesystem storage, TLS 1.2 minimum with the
 * server chain, htpasswd auth, a nosniff header, a storage health check and a loopback debug
 * listener for the container health check. Pure.
 */
export function registryConfig(input: RegistryConfigInput): Record<string, unknown> {
    return {
        version: 0.1,
        log: { level: input.logLevel ?? "info", formatter: "text", fields: { service: "registry" } },
        storage: {
            filesystem: { rootdirectory: containerPaths.storage },
            cache: { blobdescriptor: "inmemory" },
            delete: { enabled: false },
        },
        http: {
            addr: `:${containerPort}`,
            secret: input.httpSecret,
            tls: { certificate: containerPaths.chain, key: containerPaths.key, minimumtls: "tls1.2" },
            headers: { "X-Content-Type-Options": ["nosniff"] },
            debug: { addr: debugAddr },
        },
        auth: { htpasswd: { realm: input.realm ?? "airgap-registry", path: containerPaths.htpasswd } },
        health: { storagedriver: { enabled: true, interval: "10s", threshold: 3 } },
    };
}

/** config.yml text for {@link registryConfig}. Pure. */
export function renderRegistryConfig(input: RegistryConfigInput): string {
    return YAML.stringify(registryConfig(input));
}
