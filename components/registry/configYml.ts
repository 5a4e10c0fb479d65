/** The registry's config.yml per distribution version (TLS 1.2+, htpasswd auth, storage health check). Pure. */

import * as YAML from "yaml";
import {
    isHttpsEndpoint,
    RegistryStorageArgs,
    RegistryStorageConfig,
    storageContainerEnvironment,
} from "./objectStorage";
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

/**
 * The registry container's whole environment: the version's ({@link containerEnvironment}: 3.x gets
 * `OTEL_TRACES_EXPORTER=none`) and the storage's (an https object store: `SSL_CERT_FILE`/`SSL_CERT_DIR` at its CA).
 * Pure.
 */
export function registryContainerEnvironment(
    version: RegistryVersion,
    storage?: Pick<RegistryStorageArgs, "s3">,
): Readonly<Record<string, string>> {
    return { ...containerEnvironment[version], ...storageContainerEnvironment(storage) };
}

/** Port the registry listens on inside its container (published as the registry port). */
export const containerPort = 5000;
/** Loopback-only debug listener inside the container, used by the health check. */
export const debugAddr = "127.0.0.1:5001";

/** Inputs of the registry's config.yml. */
export interface RegistryConfigInput {
    /** The distribution registry version the config is for. */
    readonly registryVersion: RegistryVersion;
    /**
     * The `http.secret` (secret): it signs upload state, so every replica behind one load balancer must be given the
     * same one (an upload started on one replica and continued on another fails with `BLOB_UPLOAD_INVALID ...
     * invalid secret` otherwise).
     */
    readonly httpSecret: string;
    /**
     * Storage. Default: the host directory mounted at `/var/lib/registry` (`storage.filesystem`; a single host).
     * Given, `storage.s3` on the site's object store (see {@link s3StorageSection}) with `storage.redirect`.
     */
    readonly storage?: RegistryStorageConfig;
    /** Realm in the `WWW-Authenticate` header. Default `"airgap-registry"`. */
    readonly realm?: string;
    /** Log level. Default `"info"`. */
    readonly logLevel?: "error" | "warn" | "info" | "debug";
}

/** distribution's storage health check: how often it runs, and how many failures in a row make the registry unhealthy. */
export interface StorageHealthCheck {
    /** Seconds between two checks (config.yml's `health.storagedriver.interval`). */
    readonly intervalSeconds: number;
    /** Failures in a row that make every answer 503 (`health.storagedriver.threshold`). */
    readonly threshold: number;
}

/**
 * The storage health check for a registry on the host directory (`objectStore` false: every 10 s, 3 failures) or on
 * an object store (every 2 s, 2 failures). distribution stats the storage root each interval and, after `threshold`
 * failures in a row, answers every request 503 until one passes. An object store is a network service a replica can
 * fail to use (its address, its keys, its CA), so it is checked often enough that the replica's readiness
 * (readinessScript in registryScripts.ts) knows within seconds; the host directory's check is as it always was. Pure.
 */
export function storageHealthCheck(objectStore: boolean): StorageHealthCheck {
    return objectStore ? { intervalSeconds: 2, threshold: 2 } : { intervalSeconds: 10, threshold: 3 };
}

/**
 * The distribution registry's config object: storage (the host directory by default, else the site's S3 object
 * store, {@link s3StorageSection}), TLS 1.2 minimum with the
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
    const check = storageHealthCheck(input.storage !== undefined);
    return {
        version: 0.1,
        log: { level: input.logLevel ?? "info", formatter: "text", fields: { service: "registry" } },
        storage: {
            ...(input.storage === undefined
                ? { filesystem: { rootdirectory: containerPaths.storage } }
                : s3StorageSection(input.storage)),
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
        health: {
            storagedriver: { enabled: true, interval: `${check.intervalSeconds}s`, threshold: check.threshold },
        },
    };
}

/**
 * `storage.s3` and `storage.redirect` of the config for an object store. Path-style requests (`forcepathstyle`: a
 * bucket needs no DNS name; 2.8 reads no such key but forces path style whenever `regionendpoint` is set); `secure`
 * follows the endpoint's scheme (the SDK keeps the scheme of a `regionendpoint` that has one, so it only makes
 * the rendered file say what happens); `skipverify: false` always (TLS to the store is verified, against the CA in
 * {@link s3CaContainerPaths} through the container's environment). Pure.
 */
export function s3StorageSection(storage: RegistryStorageConfig): Record<string, unknown> {
    const s3 = storage.s3;
    return {
        s3: {
            regionendpoint: s3.regionendpoint,
            forcepathstyle: true,
            secure: isHttpsEndpoint(s3.regionendpoint),
            skipverify: false,
            region: s3.region,
            bucket: s3.bucket,
            accesskey: s3.accesskey,
            secretkey: s3.secretkey,
            chunksize: s3.chunksize,
            ...(s3.rootdirectory === undefined ? {} : { rootdirectory: s3.rootdirectory }),
            ...(s3.redirectendpoint === undefined ? {} : { redirectendpoint: s3.redirectendpoint }),
        },
        redirect: { disable: storage.redirect.disable },
    };
}

/** config.yml text for {@link registryConfig}. Pure. */
export function renderRegistryConfig(input: RegistryConfigInput): string {
    return YAML.stringify(registryConfig(input));
}
