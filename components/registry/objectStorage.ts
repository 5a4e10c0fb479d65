/**
 * The registry's storage on the site's S3-compatible object store (what replicas share): Args, defaults, validation
 * naming the field, the plain values config.yml is rendered from, and where the store's CA goes in the container.
 */

import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { fieldPath } from "../validation";
import { RegistryVersion } from "./registryVersion";

/**
 * The site's S3-compatible object store (Ceph RGW, MinIO, versitygw, ...) as the registry's storage. The lowercase
 * fields are distribution's own keys under `storage.s3` and are rendered as given; `caCertPem` is this library's.
 * Requests use path-style addressing (`forcepathstyle: true`, always): a bucket needs no DNS name of its own.
 * TLS to an `https` endpoint is always verified (`skipverify` is never rendered true, and is not an Arg).
 */
export interface S3StorageArgs {
    /**
     * URL of the store's S3 API: `http://` or `https://`, a host, an optional port, no path, query or user info (e.g.
     * `https://rgw.site:7480`). Required. With `https` the registry verifies the store's certificate against
     * `caCertPem`.
     */
    readonly regionendpoint: string;
    /**
     * The bucket (it must exist; the registry does not create it). S3 naming: 3 to 63 lowercase letters, digits, '.'
     * and '-', starting and ending with a letter or digit. Required.
     */
    readonly bucket: string;
    /** Region name signed into every request (SigV4). Ceph RGW and versitygw accept any. Default `"us-east-1"`. */
    readonly region?: string;
    /**
     * Access key ID of the registry's user on the store. Required, non-empty, and a Pulumi secret (`pulumi.secret(...)`
     * or a value set with `pulumi config set --secret`): a plain string is refused at preview.
     */
    readonly accesskey: pulumi.Input<string>;
    /** Secret key of that user. Required, non-empty, and a Pulumi secret: a plain string is refused at preview. */
    readonly secretkey: pulumi.Input<string>;
    /** Part size of multipart uploads, in bytes: 5 MiB (5242880) to 5 GiB. Default `10485760` (10 MiB). */
    readonly chunksize?: number;
    /**
     * Prefix of every object the registry writes in the bucket, an absolute path (e.g. `"/registry"`), so one bucket
     * can hold other data too. Default: none (the bucket's root).
     */
    readonly rootdirectory?: string;
    /**
     * The CA certificate(s) the store's TLS certificate chains to, PEM (one or more certificates). Required when
     * `regionendpoint` is `https`, refused when it is `http` (nothing would use it). The registry trusts exactly
     * these for its connections to the store: written to `<dataDir>/certs/s3-ca/ca.pem` on each host, read in the
     * container through `SSL_CERT_FILE`/`SSL_CERT_DIR` (see {@link storageContainerEnvironment}). Default: none.
     */
    readonly caCertPem?: pulumi.Input<string>;
    /**
     * Where clients are sent for blob downloads when redirects are on (`storage.redirect.disable: false`): a URL
     * (`http://` or `https://`, host, optional port, no path or query) at which every client reaches the store.
     * Registry 3.x only (2.8's s3 driver has no such key). Required when redirects are on, refused when they are off.
     * Default: none.
     */
    readonly redirectendpoint?: string;
}

/** `storage.redirect` of the registry config. */
export interface StorageRedirectArgs {
    /**
     * Serve blobs through the registry instead of redirecting the client to the store. Default `true`. With redirects
     * on (distribution's own default) a blob GET answers 307 with a presigned URL on the store's endpoint
     * (`regionendpoint`, plain http if the store is): clients in an air gap often cannot reach the store (only the
     * registry's port is open to them), and the pull fails (`dial tcp ...: connect: connection refused`, seen on the
     * feasibility run). Set `false` only with `s3.redirectendpoint`, a URL every client reaches the store at.
     */
    readonly disable?: boolean;
}

/** The registry's storage. Default: the host directory `<dataDir>/data` (a single host). */
export interface RegistryStorageArgs {
    /**
     * The site's S3-compatible object store, shared by every replica. Default: none (the host directory; one
     * replica only).
     */
    readonly s3?: S3StorageArgs;
    /** Redirects of blob downloads to the store (with `s3` only). Default `{ disable: true }`. */
    readonly redirect?: StorageRedirectArgs;
}

/** Defaults of {@link RegistryStorageArgs}, in one place. */
export const registryStorageDefaults = {
    region: "us-east-1",
    /** 10 MiB: the part size the feasibility run used on Ceph RGW and versitygw. */
    chunksize: 10 * 1024 * 1024,
    redirectDisable: true,
} as const;

/** The S3 driver's part-size bounds (distribution v3.1.2 `minChunkSize`, `maxChunkSize` on 64-bit). */
export const s3ChunkSizeBounds = { min: 5 * 1024 * 1024, max: 5 * 1024 * 1024 * 1024 } as const;

/** The plain `storage.s3` values config.yml is rendered from (credentials resolved: handle as secret). */
export interface S3StorageConfig {
    readonly regionendpoint: string;
    readonly bucket: string;
    readonly region: string;
    readonly accesskey: string;
    readonly secretkey: string;
    readonly chunksize: number;
    readonly rootdirectory?: string;
    readonly redirectendpoint?: string;
}

/** The plain storage values config.yml is rendered from: the object store and whether redirects are off. */
export interface RegistryStorageConfig {
    readonly s3: S3StorageConfig;
    readonly redirect: { readonly disable: boolean };
}

/** Where the object store's CA is in the registry container (under the read-only `/certs` mount). */
export const s3CaContainerPaths = { dir: "/certs/s3-ca", file: "/certs/s3-ca/ca.pem" } as const;

/** Where the object store's CA is written on a registry host (inside the certs directory mounted at `/certs`). */
export function s3CaPathOn(dataDir: string): string {
    return `${dataDir}/certs/s3-ca/ca.pem`;
}

/** True when `endpoint` is an `https` URL (the store is reached over TLS). */
export function isHttpsEndpoint(endpoint: string): boolean {
    return /^https:\/\//i.test(endpoint);
}

/**
 * The registry container's environment for its storage, added to the version's ({@link containerEnvironment}):
 * with an `https` store, `SSL_CERT_FILE` and `SSL_CERT_DIR` point at the store's CA and nothing else, so the
 * registry (Go's crypto/x509 reads both variables on Linux, in 2.8 and 3.x) trusts exactly that CA for the store,
 * whatever bundle the image carries (registry:3 carries Alpine's public roots; an image built from the binary carries
 * none). Empty for the host directory and for an `http` store. Pure.
 */
export function storageContainerEnvironment(
    storage: Pick<RegistryStorageArgs, "s3"> | undefined,
): Readonly<Record<string, string>> {
    const endpoint = storage?.s3?.regionendpoint;
    if (endpoint === undefined || !isHttpsEndpoint(endpoint)) return {};
    return { SSL_CERT_DIR: s3CaContainerPaths.dir, SSL_CERT_FILE: s3CaContainerPaths.file };
}

/**
 * Problems of an endpoint URL as the S3 driver uses it (scheme and host; a path or query would be dropped or break
 * the signature; user info would put a credential in the config in the clear), naming `field`.
 */
export function checkEndpointUrl(field: string, value: unknown): string[] {
    const expected = `\`${field}\` must be a URL (http:// or https://)`;
    if (typeof value !== "string" || value.length === 0) return [`${expected}, got ${JSON.stringify(value)}`];
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return [`${expected}, got ${JSON.stringify(value)}`];
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return [`${expected}, got ${JSON.stringify(value)}`];
    if (!/^https?:\/\/[^/?#]/i.test(value) || url.hostname === "")
        return [`${expected} with a host, got ${JSON.stringify(value)}`];
    const problems: string[] = [];
    if (url.username !== "" || url.password !== "")
        problems.push(`\`${field}\` must not carry user info (credentials go in accesskey/secretkey as secrets)`);
    if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || /[?#]/.test(value))
        problems.push(
            `\`${field}\` must be a scheme, host and port only, without a path or query: ${JSON.stringify(value)}`,
        );
    return problems;
}

/** S3 bucket naming (3-63 of a-z, 0-9, '.', '-', starting and ending alphanumeric, not an IP address, no '..'). */
export function checkBucket(field: string, value: unknown): string[] {
    if (value === undefined || value === null || value === "")
        return [`\`${field}\` is required: the bucket the registry stores blobs and manifests in`];
    if (
        typeof value !== "string" ||
        !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value) ||
        value.includes("..") ||
        /^\d+\.\d+\.\d+\.\d+$/.test(value)
    ) {
        return [
            `\`${field}\` must be an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit), got ${JSON.stringify(value)}`,
        ];
    }
    return [];
}

/** A credential: required, non-empty, and a Pulumi secret (an Output), never a plain string in a program. */
function checkCredential(field: string, value: unknown): string[] {
    if (value === undefined || value === null || value === "") return [`\`${field}\` is required (a Pulumi secret)`];
    if (typeof value === "string")
        return [
            `\`${field}\` must be a Pulumi secret (pulumi.secret(...), or a value set with \`pulumi config set --secret\`), not a plain string`,
        ];
    return [];
}

/** The PEM certificates in `pem`; `undefined` when it holds none or a block does not parse. */
export function pemCertificates(pem: string): crypto.X509Certificate[] | undefined {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) return undefined;
    try {
        return blocks.map((b) => new crypto.X509Certificate(b));
    } catch {
        return undefined;
    }
}

/** Problems of a CA given as PEM (one or more certificates, each parsed), naming `field`. Pure. */
export function checkCaPem(field: string, value: string): string[] {
    return pemCertificates(value) === undefined
        ? [`\`${field}\` must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)`]
        : [];
}

/**
 * Validates a registry's storage Args, naming fields under `field` (`storage.s3.bucket`). `registryVersion`, when
 * known, refuses what that version cannot do (`redirectendpoint` on 2.8). Plain values only; credentials given as
 * Outputs are checked when known ({@link resolveRegistryStorage}). Pure.
 */
export function checkRegistryStorageArgs(
    field: string,
    storage: RegistryStorageArgs | undefined,
    registryVersion?: RegistryVersion,
): string[] {
    if (storage === undefined) return [];
    if (storage === null || typeof storage !== "object") return [`\`${field}\` must be an object`];
    const problems: string[] = [];
    const s3Field = fieldPath(field, "s3");
    const redirectField = fieldPath(field, "redirect");
    const disableField = fieldPath(redirectField, "disable");
    const redirect = storage.redirect;
    if (redirect !== undefined) {
        if (redirect === null || typeof redirect !== "object") problems.push(`\`${redirectField}\` must be an object`);
        else if (redirect.disable !== undefined && typeof redirect.disable !== "boolean")
            problems.push(`\`${disableField}\` must be true or false, got ${JSON.stringify(redirect.disable)}`);
    }
    const s3 = storage.s3;
    if (s3 === undefined) {
        if (redirect !== undefined)
            problems.push(
                `\`${redirectField}\` applies only with \`${s3Field}\`: the host directory storage never redirects`,
            );
        return problems;
    }
    if (s3 === null || typeof s3 !== "object") return [...problems, `\`${s3Field}\` must be an object`];
    const f = (name: string) => fieldPath(s3Field, name);
    const endpointProblems = checkEndpointUrl(f("regionendpoint"), s3.regionendpoint);
    problems.push(...endpointProblems);
    problems.push(...checkBucket(f("bucket"), s3.bucket));
    if (
        s3.region !== undefined &&
        (typeof s3.region !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(s3.region))
    )
        problems.push(
            `\`${f("region")}\` must be a region name of letters, digits, '-' and '_', got ${JSON.stringify(s3.region)}`,
        );
    problems.push(...checkCredential(f("accesskey"), s3.accesskey));
    problems.push(...checkCredential(f("secretkey"), s3.secretkey));
    if (
        s3.chunksize !== undefined &&
        (typeof s3.chunksize !== "number" ||
            !Number.isInteger(s3.chunksize) ||
            s3.chunksize < s3ChunkSizeBounds.min ||
            s3.chunksize > s3ChunkSizeBounds.max)
    ) {
        problems.push(
            `\`${f("chunksize")}\` must be a whole number of bytes from ${s3ChunkSizeBounds.min} (5 MiB) to ${s3ChunkSizeBounds.max} (5 GiB), got ${JSON.stringify(s3.chunksize)}`,
        );
    }
    if (
        s3.rootdirectory !== undefined &&
        (typeof s3.rootdirectory !== "string" ||
            !/^\/[A-Za-z0-9._\-/]*$/.test(s3.rootdirectory) ||
            s3.rootdirectory.includes(".."))
    ) {
        problems.push(
            `\`${f("rootdirectory")}\` must be an absolute path of letters, digits, '.', '_', '-' and '/', got ${JSON.stringify(s3.rootdirectory)}`,
        );
    }
    if (endpointProblems.length === 0) {
        const https = isHttpsEndpoint(s3.regionendpoint);
        if (https && (s3.caCertPem === undefined || s3.caCertPem === ""))
            problems.push(
                `\`${f("caCertPem")}\` is required when \`${f("regionendpoint")}\` is https: the registry verifies the store's certificate against it`,
            );
        if (!https && s3.caCertPem !== undefined)
            problems.push(
                `\`${f("caCertPem")}\` is set but \`${f("regionendpoint")}\` is http (no TLS to verify): use an https endpoint or remove it`,
            );
    }
    if (typeof s3.caCertPem === "string" && s3.caCertPem !== "")
        problems.push(...checkCaPem(f("caCertPem"), s3.caCertPem));
    const disable = redirect?.disable ?? registryStorageDefaults.redirectDisable;
    if (s3.redirectendpoint !== undefined) {
        problems.push(...checkEndpointUrl(f("redirectendpoint"), s3.redirectendpoint));
        if (disable === true)
            problems.push(
                `\`${f("redirectendpoint")}\` has no effect while \`${disableField}\` is true (the default): set it to false to redirect blob downloads there, or remove \`${f("redirectendpoint")}\``,
            );
        if (registryVersion === "2")
            problems.push(
                `\`${f("redirectendpoint")}\` needs registry 3.x: 2.8's s3 driver has no such key and would redirect clients to \`${f("regionendpoint")}\``,
            );
    } else if (disable === false) {
        problems.push(
            `\`${f("redirectendpoint")}\` is required when \`${disableField}\` is false: otherwise blob downloads are redirected to \`${f("regionendpoint")}\`, which clients in an air gap often cannot reach`,
        );
    }
    return problems;
}

/**
 * Problems of the credentials once their values are known (an Output given at preview may resolve empty), naming
 * fields under `field`. Pure.
 */
export function checkResolvedCredentials(field: string, accesskey: unknown, secretkey: unknown): string[] {
    const f = (name: string) => fieldPath(fieldPath(field, "s3"), name);
    const problems: string[] = [];
    if (typeof accesskey !== "string" || accesskey.length === 0)
        problems.push(`\`${f("accesskey")}\` is empty: the registry needs its user's access key ID on the store`);
    if (typeof secretkey !== "string" || secretkey.length === 0)
        problems.push(`\`${f("secretkey")}\` is empty: the registry needs its user's secret key on the store`);
    return problems;
}

function fail(problems: readonly string[], resource: pulumi.Resource | undefined): never {
    const message = problems.join("; ");
    throw resource === undefined ? new Error(message) : new pulumi.ResourceError(message, resource);
}

/**
 * The plain storage values config.yml is rendered from, defaults applied, as one secret Output (it holds the
 * credentials); fails when a credential resolves empty or a CA given as an Output is not PEM, naming the field under
 * `field` (a ResourceError of `resource` when given). `undefined` for the host directory. Validate with
 * {@link checkRegistryStorageArgs} first.
 */
export function resolveRegistryStorage(
    field: string,
    storage: RegistryStorageArgs | undefined,
    resource?: pulumi.Resource,
): pulumi.Output<RegistryStorageConfig> | undefined {
    const s3 = storage?.s3;
    if (s3 === undefined) return undefined;
    return pulumi.secret(
        pulumi.all([s3.accesskey, s3.secretkey]).apply(([a, s]) => {
            const problems = checkResolvedCredentials(field, a, s);
            if (problems.length > 0) fail(problems, resource);
            return {
                s3: {
                    regionendpoint: s3.regionendpoint,
                    bucket: s3.bucket,
                    region: s3.region ?? registryStorageDefaults.region,
                    accesskey: a,
                    secretkey: s,
                    chunksize: s3.chunksize ?? registryStorageDefaults.chunksize,
                    ...(s3.rootdirectory === undefined ? {} : { rootdirectory: s3.rootdirectory }),
                    ...(s3.redirectendpoint === undefined ? {} : { redirectendpoint: s3.redirectendpoint }),
                },
                redirect: { disable: storage?.redirect?.disable ?? registryStorageDefaults.redirectDisable },
            };
        }),
    );
}

/**
 * The store's CA as written to {@link s3CaPathOn} (public; not a secret), checked to be PEM certificates when it
 * resolves (naming the field); `undefined` when the store is not https or no CA is given.
 */
export function resolveS3CaPem(
    field: string,
    storage: RegistryStorageArgs | undefined,
    resource?: pulumi.Resource,
): pulumi.Output<string> | undefined {
    const s3 = storage?.s3;
    if (s3 === undefined || s3.caCertPem === undefined || !isHttpsEndpoint(s3.regionendpoint)) return undefined;
    const caField = fieldPath(fieldPath(field, "s3"), "caCertPem");
    return pulumi.output(s3.caCertPem).apply((pem) => {
        const problems = checkCaPem(caField, pem);
        if (problems.length > 0) fail(problems, resource);
        return pem.endsWith("\n") ? pem : `${pem}\n`;
    });
}
