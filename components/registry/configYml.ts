/** The registry's config.yml per distribution version (TLS 1.2+, htpasswd auth, storage health check). Pure. */

import * as YAML from "yaml";
import { RegistryVersion, registryVersions } from "./registryVersion";

/** Paths inside the registry container that are the same in every version; the host directories are mounted there. */
export const containerPaths = {
    storage: "/var/lib/registry",
    certs: "/certs",
    auth: "/auth",
    chain: "/certs/chain.pem",
    key: "/certs/server.key",
    htpasswd: "/auth/htpasswd",
} as const;

/**
 * The directory each version's image reads `config.yml` from (its `CMD`): 2.8 `/etc/docker/registry`, 3.x
 * `/etc/distribution`. The host's config directory is mounted there.
 */
export const containerConfigDirs: Readonly<Record<RegistryVersion, string>> = {
    "2": "/etc/docker/registry",
    "3": "/etc/distribution",
};

/**
 * Environment of the registry container per version. 3.x exports OpenTelemetry traces to an OTLP collector on
 * localhost unless told otherwise (the upstream registry:3 image sets this too); an air-gapped site has none.
 */
export const containerEnvironment: Readonly<Record<RegistryVersion, Readonly<Record<string, string>>>> = {
    "2": {},
    "3": { OTEL_TRACES_EXPORTER: "none" },
};

/** Port the registry listens on inside its container (published as the registry port). */
export const containerPort = 5000;
/** Loopback-only debug listener inside the container, used by the health check. */
export const debugAddr = "127.0.0.1:5001";

/** Inputs of the registry's config.yml. */
export interface RegistryConfigInput {
    /** The distribution registry version the config is for. */
    readonly registryVersion: RegistryVersion;
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
 *
 * The same keys and values for 2.8 and 3.x: each is parsed alike by both (configuration.go of v2.8.2 and v3.1.2;
 * both read YAML leniently, so a key one version lacks would be ignored, not refused). What differs between them and
 * is avoided here: `http.tls.minimumtls` takes tls1.0-tls1.3 in 2.8 but only tls1.2/tls1.3 in 3.x (tls1.2 is valid
 * in both); `storage.tag` exists only in 3.x (2.8 reads it as a second storage driver and refuses to start). The
 * version decides where the file is read ({@link containerConfigDirs}) and the environment
 * ({@link containerEnvironment}).
 */
export function registryConfig(input: RegistryConfigInput): Record<string, unknown> {
    if (!registryVersions.includes(input.registryVersion))
        throw new Error(`no registry config for distribution version ${JSON.stringify(input.registryVersion)}`);
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
