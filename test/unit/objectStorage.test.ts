/**
 * Registry storage on an S3 object store: config.yml rendered for it (the host-directory default unchanged, byte for
 * byte), the store's CA in the container's environment, and the storage Args' validation naming each field.
 */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import {
    checkBucket,
    checkCaPem,
    checkEndpointUrl,
    checkRegistryStorageArgs,
    checkResolvedCredentials,
    containerEnvironment,
    registryConfig,
    registryContainerEnvironment,
    registryStorageDefaults,
    renderRegistryConfig,
    resolveRegistryStorage,
    resolveS3CaPem,
    s3CaContainerPaths,
    s3CaPathOn,
    storageContainerEnvironment,
} from "../../components/internal";
import type { RegistryStorageArgs, RegistryStorageConfig, S3StorageArgs } from "../../components/internal";
import { makeLabPki } from "../support/labPki";

/** An Output's value, or its failure (an apply that throws rejects). */
function settle<T>(output: pulumi.Output<T>): Promise<T> {
    return (output as unknown as { promise(): Promise<T> }).promise();
}

// config.yml of a single host (filesystem storage) as rendered before S3 storage existed (commit f6f581d),
// byte for byte: the default must not change (a changed config rolls every single-host registry's container).
const filesystemConfigBefore = `version: 0.1
log:
  level: info
  formatter: text
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  cache:
    blobdescriptor: inmemory
  delete:
    enabled: false
http:
  addr: :5000
  secret: s3cret
  tls:
    certificate: /certs/chain.pem
    key: /certs/server.key
    minimumtls: tls1.2
  headers:
    X-Content-Type-Options:
      - nosniff
  debug:
    addr: 127.0.0.1:5001
auth:
  htpasswd:
    realm: airgap-registry
    path: /auth/htpasswd
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`;

const s3Config: RegistryStorageConfig = {
    s3: {
        regionendpoint: "https://rgw.site:7480",
        bucket: "registry",
        region: "us-east-1",
        accesskey: "AK-registry",
        secretkey: "SK-registry-secret",
        chunksize: 10485760,
    },
    redirect: { disable: true },
};

describe("config.yml: the host directory stays the default, byte for byte", () => {
    for (const registryVersion of ["2", "3"] as const) {
        it(`${registryVersion}: no storage given renders exactly as before`, () => {
            assert.equal(renderRegistryConfig({ httpSecret: "s3cret", registryVersion }), filesystemConfigBefore);
        });
    }
});

describe("config.yml on an S3 object store", () => {
    for (const registryVersion of ["2", "3"] as const) {
        const config = YAML.parse(renderRegistryConfig({ httpSecret: "shared", registryVersion, storage: s3Config }));
        it(`${registryVersion}: storage.s3 exactly, path style, TLS verified, no filesystem driver`, () => {
            assert.deepEqual(config.storage.s3, {
                regionendpoint: "https://rgw.site:7480",
                forcepathstyle: true,
                secure: true,
                skipverify: false,
                region: "us-east-1",
                bucket: "registry",
                accesskey: "AK-registry",
                secretkey: "SK-registry-secret",
                chunksize: 10485760,
            });
            assert.equal(config.storage.filesystem, undefined, "one storage driver only");
            assert.deepEqual(Object.keys(config.storage).sort(), ["cache", "delete", "redirect", "s3"]);
        });
        it(`${registryVersion}: redirects off, the caller's shared http.secret, the rest as for one host but the storage check`, () => {
            assert.deepEqual(config.storage.redirect, { disable: true });
            assert.equal(config.http.secret, "shared");
            const single = registryConfig({ httpSecret: "shared", registryVersion });
            // Everything but storage and its health check is the single host's config.
            assert.deepEqual(
                { ...config, storage: undefined, health: undefined },
                { ...single, storage: undefined, health: undefined },
            );
            assert.deepEqual(config.storage.delete, { enabled: false });
            assert.deepEqual(config.storage.cache, { blobdescriptor: "inmemory" });
            // A replica whose store fails answers 503 within 4 s (its readiness waits that out), not after 30 s.
            assert.deepEqual(config.health, { storagedriver: { enabled: true, interval: "2s", threshold: 2 } });
            assert.deepEqual(single.health, { storagedriver: { enabled: true, interval: "10s", threshold: 3 } });
        });
    }
    it("an http store: secure false (what the endpoint says), skipverify still false", () => {
        const c = registryConfig({
            httpSecret: "s",
            registryVersion: "3",
            storage: { ...s3Config, s3: { ...s3Config.s3, regionendpoint: "http://10.0.0.9:7070" } },
        }) as { storage: { s3: Record<string, unknown> } };
        assert.equal(c.storage.s3.secure, false);
        assert.equal(c.storage.s3.skipverify, false);
        assert.equal(c.storage.s3.regionendpoint, "http://10.0.0.9:7070");
    });
    it("rootdirectory and redirectendpoint only when given; redirects on when asked", () => {
        const c = registryConfig({
            httpSecret: "s",
            registryVersion: "3",
            storage: {
                s3: { ...s3Config.s3, rootdirectory: "/registry", redirectendpoint: "https://s3.site" },
                redirect: { disable: false },
            },
        }) as { storage: { s3: Record<string, unknown>; redirect: unknown } };
        assert.equal(c.storage.s3.rootdirectory, "/registry");
        assert.equal(c.storage.s3.redirectendpoint, "https://s3.site");
        assert.deepEqual(c.storage.redirect, { disable: false });
        const plain = registryConfig({ httpSecret: "s", registryVersion: "3", storage: s3Config }) as {
            storage: { s3: Record<string, unknown> };
        };
        assert.equal("rootdirectory" in plain.storage.s3, false);
        assert.equal("redirectendpoint" in plain.storage.s3, false);
    });
});

describe("the container's environment: the version's, plus the store's CA for an https store", () => {
    it("3.x keeps OTEL_TRACES_EXPORTER=none; an https store adds SSL_CERT_FILE/SSL_CERT_DIR at the CA only", () => {
        assert.deepEqual(
            registryContainerEnvironment("3", { s3: { regionendpoint: "https://rgw.site" } as S3StorageArgs }),
            {
                OTEL_TRACES_EXPORTER: "none",
                SSL_CERT_DIR: "/certs/s3-ca",
                SSL_CERT_FILE: "/certs/s3-ca/ca.pem",
            },
        );
        assert.deepEqual(
            registryContainerEnvironment("2", { s3: { regionendpoint: "https://rgw.site" } as S3StorageArgs }),
            {
                SSL_CERT_DIR: "/certs/s3-ca",
                SSL_CERT_FILE: "/certs/s3-ca/ca.pem",
            },
        );
    });
    it("the host directory and an http store add nothing (the version's environment is unchanged)", () => {
        assert.deepEqual(registryContainerEnvironment("3"), { OTEL_TRACES_EXPORTER: "none" });
        assert.deepEqual(registryContainerEnvironment("3"), containerEnvironment["3"]);
        assert.deepEqual(registryContainerEnvironment("2"), {});
        assert.deepEqual(
            storageContainerEnvironment({ s3: { regionendpoint: "http://rgw.site" } as S3StorageArgs }),
            {},
        );
        assert.deepEqual(storageContainerEnvironment(undefined), {});
    });
    it("the CA file is in the certs directory, which the container mounts at /certs", () => {
        assert.equal(s3CaPathOn("/var/lib/airgap-registry"), "/var/lib/airgap-registry/certs/s3-ca/ca.pem");
        assert.equal(s3CaContainerPaths.file, `${s3CaContainerPaths.dir}/ca.pem`);
        assert.ok(s3CaContainerPaths.dir.startsWith("/certs/"));
    });
});

function goodS3(): S3StorageArgs {
    return {
        regionendpoint: "https://rgw.site:7480",
        bucket: "registry",
        accesskey: pulumi.secret("AK"),
        secretkey: pulumi.secret("SK"),
        caCertPem: makeLabPki("rgw.site").ca,
    };
}

describe("storage Args validation names the field", () => {
    it("good storage has no problems (https with its CA; http without one; the host directory)", () => {
        assert.deepEqual(checkRegistryStorageArgs("storage", { s3: goodS3() }, "3"), []);
        const http = { ...goodS3(), regionendpoint: "http://10.0.0.9:7070", caCertPem: undefined };
        assert.deepEqual(checkRegistryStorageArgs("storage", { s3: http }, "2"), []);
        assert.deepEqual(checkRegistryStorageArgs("storage", undefined), []);
        assert.deepEqual(checkRegistryStorageArgs("storage", {}), []);
    });
    const cases: Array<{ name: string; storage: RegistryStorageArgs; version?: "2" | "3"; expected: string[] }> = [
        {
            name: "an endpoint that is not a URL",
            storage: { s3: { ...goodS3(), regionendpoint: "rgw.site:7480" } },
            expected: ['`storage.s3.regionendpoint` must be a URL (http:// or https://), got "rgw.site:7480"'],
        },
        {
            name: "an endpoint with another scheme",
            storage: { s3: { ...goodS3(), regionendpoint: "s3://rgw.site" } },
            expected: ['`storage.s3.regionendpoint` must be a URL (http:// or https://), got "s3://rgw.site"'],
        },
        {
            name: "an endpoint with a path",
            storage: { s3: { ...goodS3(), regionendpoint: "https://rgw.site/bucket" } },
            expected: [
                '`storage.s3.regionendpoint` must be a scheme, host and port only, without a path or query: "https://rgw.site/bucket"',
            ],
        },
        {
            name: "an endpoint with user info",
            storage: { s3: { ...goodS3(), regionendpoint: "https://ak:sk@rgw.site" } },
            expected: [
                "`storage.s3.regionendpoint` must not carry user info (credentials go in accesskey/secretkey as secrets)",
            ],
        },
        {
            name: "a missing bucket",
            storage: { s3: { ...goodS3(), bucket: undefined as unknown as string } },
            expected: ["`storage.s3.bucket` is required: the bucket the registry stores blobs and manifests in"],
        },
        {
            name: "a bucket S3 would refuse",
            storage: { s3: { ...goodS3(), bucket: "Registry_Blobs" } },
            expected: [
                "`storage.s3.bucket` must be an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit), got \"Registry_Blobs\"",
            ],
        },
        {
            name: "redirects on without a redirectendpoint",
            storage: { s3: goodS3(), redirect: { disable: false } },
            expected: [
                "`storage.s3.redirectendpoint` is required when `storage.redirect.disable` is false: otherwise blob downloads are redirected to `storage.s3.regionendpoint`, which clients in an air gap often cannot reach",
            ],
        },
        {
            name: "a redirectendpoint while redirects are off (the default)",
            storage: { s3: { ...goodS3(), redirectendpoint: "https://s3.site" } },
            expected: [
                "`storage.s3.redirectendpoint` has no effect while `storage.redirect.disable` is true (the default): set it to false to redirect blob downloads there, or remove `storage.s3.redirectendpoint`",
            ],
        },
        {
            name: "a redirectendpoint on 2.8",
            storage: { s3: { ...goodS3(), redirectendpoint: "https://s3.site" }, redirect: { disable: false } },
            version: "2",
            expected: [
                "`storage.s3.redirectendpoint` needs registry 3.x: 2.8's s3 driver has no such key and would redirect clients to `storage.s3.regionendpoint`",
            ],
        },
        {
            name: "a redirectendpoint that is not a URL",
            storage: { s3: { ...goodS3(), redirectendpoint: "s3.site" }, redirect: { disable: false } },
            expected: ['`storage.s3.redirectendpoint` must be a URL (http:// or https://), got "s3.site"'],
        },
        {
            name: "redirect.disable that is not a boolean",
            storage: { s3: goodS3(), redirect: { disable: "yes" as unknown as boolean } },
            expected: ['`storage.redirect.disable` must be true or false, got "yes"'],
        },
        {
            name: "redirect without an object store",
            storage: { redirect: { disable: true } },
            expected: ["`storage.redirect` applies only with `storage.s3`: the host directory storage never redirects"],
        },
        {
            name: "plain-string credentials",
            storage: { s3: { ...goodS3(), accesskey: "AK", secretkey: "SK" } },
            expected: [
                "`storage.s3.accesskey` must be a Pulumi secret (pulumi.secret(...), or a value set with `pulumi config set --secret`), not a plain string",
                "`storage.s3.secretkey` must be a Pulumi secret (pulumi.secret(...), or a value set with `pulumi config set --secret`), not a plain string",
            ],
        },
        {
            name: "missing and empty credentials",
            storage: { s3: { ...goodS3(), accesskey: undefined as unknown as string, secretkey: "" } },
            expected: [
                "`storage.s3.accesskey` is required (a Pulumi secret)",
                "`storage.s3.secretkey` is required (a Pulumi secret)",
            ],
        },
        {
            name: "an https store without its CA",
            storage: { s3: { ...goodS3(), caCertPem: undefined } },
            expected: [
                "`storage.s3.caCertPem` is required when `storage.s3.regionendpoint` is https: the registry verifies the store's certificate against it",
            ],
        },
        {
            name: "a CA for an http store",
            storage: { s3: { ...goodS3(), regionendpoint: "http://rgw.site:7480" } },
            expected: [
                "`storage.s3.caCertPem` is set but `storage.s3.regionendpoint` is http (no TLS to verify): use an https endpoint or remove it",
            ],
        },
        {
            name: "a CA that is not PEM",
            storage: { s3: { ...goodS3(), caCertPem: "not a certificate" } },
            expected: ["`storage.s3.caCertPem` must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)"],
        },
        {
            name: "a chunk size below S3's 5 MiB part minimum",
            storage: { s3: { ...goodS3(), chunksize: 1048576 } },
            expected: [
                "`storage.s3.chunksize` must be a whole number of bytes from 5242880 (5 MiB) to 5368709120 (5 GiB), got 1048576",
            ],
        },
        {
            name: "a rootdirectory that is not an absolute path",
            storage: { s3: { ...goodS3(), rootdirectory: "registry/../x" } },
            expected: [
                "`storage.s3.rootdirectory` must be an absolute path of letters, digits, '.', '_', '-' and '/', got \"registry/../x\"",
            ],
        },
        {
            name: "a region with a space",
            storage: { s3: { ...goodS3(), region: "us east" } },
            expected: ["`storage.s3.region` must be a region name of letters, digits, '-' and '_', got \"us east\""],
        },
    ];
    for (const c of cases) {
        it(`${c.name}: exactly that problem`, () => {
            assert.deepEqual(checkRegistryStorageArgs("storage", c.storage, c.version ?? "3"), c.expected);
        });
    }
    it("the positive twins of the redirect rules: on with a redirectendpoint on 3.x; 5 MiB chunks; a rootdirectory", () => {
        assert.deepEqual(
            checkRegistryStorageArgs(
                "storage",
                {
                    s3: { ...goodS3(), redirectendpoint: "https://s3.site", chunksize: 5242880, rootdirectory: "/r" },
                    redirect: { disable: false },
                },
                "3",
            ),
            [],
        );
    });
    it("a prefix names fields where the storage sits (replicated.storage.s3.bucket)", () => {
        assert.deepEqual(checkBucket("replicated.storage.s3.bucket", ""), [
            "`replicated.storage.s3.bucket` is required: the bucket the registry stores blobs and manifests in",
        ]);
        assert.deepEqual(checkEndpointUrl("x", "https://rgw.site:7480"), []);
        assert.deepEqual(checkEndpointUrl("x", "http://[fd00::9]:7070"), []);
        assert.deepEqual(checkEndpointUrl("x", "https://rgw.site?x=1"), [
            '`x` must be a scheme, host and port only, without a path or query: "https://rgw.site?x=1"',
        ]);
    });
});

describe("resolved storage: defaults applied, credentials secret, empty ones refused when known", () => {
    it("defaults: region us-east-1, 10 MiB chunks, redirects off; the result is a secret", async () => {
        const out = resolveRegistryStorage("storage", { s3: goodS3() });
        assert.ok(out);
        assert.equal(await pulumi.isSecret(out), true, "the storage values carry the credentials: secret");
        assert.deepEqual(await settle(out), {
            s3: {
                regionendpoint: "https://rgw.site:7480",
                bucket: "registry",
                region: registryStorageDefaults.region,
                accesskey: "AK",
                secretkey: "SK",
                chunksize: 10 * 1024 * 1024,
            },
            redirect: { disable: true },
        });
        assert.equal(registryStorageDefaults.region, "us-east-1");
        assert.equal(resolveRegistryStorage("storage", {}), undefined, "the host directory: nothing to resolve");
    });
    it("credentials that resolve empty are problems naming the field (the Output path throws them)", () => {
        assert.deepEqual(checkResolvedCredentials("storage", "AK", ""), [
            "`storage.s3.secretkey` is empty: the registry needs its user's secret key on the store",
        ]);
        assert.deepEqual(checkResolvedCredentials("storage", undefined, "SK"), [
            "`storage.s3.accesskey` is empty: the registry needs its user's access key ID on the store",
        ]);
        assert.deepEqual(checkResolvedCredentials("storage", "AK", "SK"), []);
    });
    it("the store's CA: given as an Output, returned when known; none for an http store; PEM checked", async () => {
        const ca = makeLabPki("rgw.site").ca;
        const good = resolveS3CaPem("storage", { s3: { ...goodS3(), caCertPem: pulumi.output(ca) } });
        assert.ok(good);
        assert.equal(await settle(good), ca.endsWith("\n") ? ca : `${ca}\n`);
        assert.equal(
            resolveS3CaPem("storage", { s3: { ...goodS3(), regionendpoint: "http://rgw.site", caCertPem: undefined } }),
            undefined,
        );
        assert.deepEqual(checkCaPem("storage.s3.caCertPem", "nope"), [
            "`storage.s3.caCertPem` must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)",
        ]);
        const corrupt = ca.replace(/\n[A-Za-z0-9+/]{10}/, "\n##########");
        assert.equal(checkCaPem("storage.s3.caCertPem", corrupt).length, 1, "a block that does not parse");
        assert.deepEqual(checkCaPem("storage.s3.caCertPem", `${ca}${makeLabPki("other").ca}`), [], "a bundle of two");
    });
});
