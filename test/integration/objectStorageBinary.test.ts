/**
 * The config.yml rendered for an S3 object store, served by the real distribution registry of each version (2.8
 * and 3.x) on 127.0.0.1 against a stand-in store (an HTTPS server in this process that records what it is sent):
 * the registry starts with it, reaches the store path-style, signs with the given key and region, and verifies the
 * store's TLS against the CA given through the container's environment (SSL_CERT_FILE/SSL_CERT_DIR). Negative twin:
 * the same with another CA in those variables is refused by the registry (x509), and the store sees no request.
 * The replica's readiness script run against it: ready with the store's CA once the storage health check passed; with
 * another CA not ready, naming the 503 and (3.x) the check's x509 error from the log.
 * A stand-in, not an S3 server: pushes and pulls on a real store (Ceph RGW, versitygw) are the engine suite's job.
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import {
    bcryptForUser,
    registryContainerEnvironment,
    renderHtpasswd,
    renderRegistryConfig,
    readinessScript,
    s3CaContainerPaths,
    storageHealthCheck,
} from "../../components/internal";
import type { RegistryStorageConfig, RegistryVersion } from "../../components/internal";
import { LabPki, makeLabPki } from "../support/labPki";
import { registryBinary, freePort, sleep } from "../support/localServers";

/** A stand-in S3 store over HTTPS: records each request and each failed TLS handshake. */
interface StandInStore {
    readonly port: number;
    readonly requests: Array<{ method: string; url: string; authorization: string }>;
    readonly tlsErrors: string[];
    close(): Promise<void>;
}

async function startStore(pki: LabPki): Promise<StandInStore> {
    const requests: StandInStore["requests"] = [];
    const tlsErrors: string[] = [];
    const server = https.createServer({ cert: pki.chain, key: pki.serverKey }, (req, res) => {
        requests.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization ?? "" });
        req.resume();
        req.on("end", () => {
            // A listing, ListObjectsV2 (3.x) or the first ListObjects (2.8's driver, e.g. its storage health check).
            if (req.method === "GET" && /^\/registry\?.*\bprefix=/.test(req.url ?? "")) {
                res.writeHead(200, { "Content-Type": "application/xml" });
                res.end(
                    '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>registry</Name><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>',
                );
            } else if (req.method === "POST" && /[?&]uploads(=|&|$)/.test(req.url ?? "")) {
                // CreateMultipartUpload: the registry starts each blob upload's data object this way.
                res.writeHead(200, { "Content-Type": "application/xml" });
                res.end(
                    '<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>registry</Bucket><Key>k</Key><UploadId>stand-in-upload</UploadId></InitiateMultipartUploadResult>',
                );
            } else if (req.method === "PUT") {
                res.writeHead(200, { ETag: '"d41d8cd98f00b204e9800998ecf8427e"' });
                res.end();
            } else {
                res.writeHead(404, { "Content-Type": "application/xml" });
                res.end(
                    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>stand-in</Message></Error>',
                );
            }
        });
    });
    server.on("tlsClientError", (err) => tlsErrors.push(err.message));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        port: (server.address() as net.AddressInfo).port,
        requests,
        tlsErrors,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** An HTTPS request to the registry (TLS verified against `ca`), without blocking this process's event loop. */
function request(
    port: number,
    ca: string,
    method: string,
    urlPath: string,
): Promise<{ status: number; body: string; location: string }> {
    return new Promise((resolve, reject) => {
        const req = https.request(
            {
                host: "127.0.0.1",
                port,
                method,
                path: urlPath,
                ca,
                servername: "localhost",
                headers: { Authorization: `Basic ${Buffer.from("ci:right-password").toString("base64")}` },
                agent: false,
                timeout: 30_000,
            },
            (res) => {
                let body = "";
                res.on("data", (d) => (body += d));
                res.on("end", () =>
                    resolve({ status: res.statusCode ?? 0, body, location: String(res.headers.location ?? "") }),
                );
            },
        );
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
        req.end();
    });
}

/** A registry started on 127.0.0.1 with the rendered config (storage untouched) and `env` added; its log. */
async function startRegistry(
    version: RegistryVersion,
    dir: string,
    env: Record<string, string>,
): Promise<{ port: number; log: () => string; stop: () => Promise<void> }> {
    const port = await freePort();
    const debugPort = await freePort();
    let log = "";
    let exited = false;
    const proc: ChildProcess = spawn(registryBinary(version), ["serve", path.join(dir, "config.yml")], {
        env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            HOME: dir,
            ...env,
            REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
            REGISTRY_HTTP_DEBUG_ADDR: `127.0.0.1:${debugPort}`,
            REGISTRY_HTTP_TLS_CERTIFICATE: path.join(dir, "certs/chain.pem"),
            REGISTRY_HTTP_TLS_KEY: path.join(dir, "certs/server.key"),
            REGISTRY_AUTH_HTPASSWD_PATH: path.join(dir, "htpasswd"),
        },
        stdio: ["ignore", "pipe", "pipe"],
    });
    // Also in dir/registry.log, where a stand-in `docker logs` reads it (the readiness script quotes it).
    const keep = (d: Buffer) => {
        log += d.toString();
        fs.appendFileSync(path.join(dir, "registry.log"), d);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    proc.on("exit", () => (exited = true));
    for (let i = 0; i < 150 && !exited; i++) {
        const up = await new Promise<boolean>((resolve) => {
            const s = net.connect(port, "127.0.0.1", () => {
                s.destroy();
                resolve(true);
            });
            s.on("error", () => resolve(false));
        });
        if (up) break;
        await sleep(100);
    }
    if (exited) throw new Error(`registry ${version} exited:\n${log}`);
    return {
        port,
        log: () => log,
        stop: () =>
            new Promise<void>((resolve) => {
                if (exited) return resolve();
                proc.on("exit", () => resolve());
                proc.kill("SIGTERM");
            }),
    };
}

/** Runs a rendered host script under sh with `stdin` and `env` added: exit code, stdout, stderr. */
function runScript(
    text: string,
    stdin: string,
    env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn("sh", ["-c", text], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
        child.stdin.end(stdin);
    });
}

/**
 * The container's environment for this storage with its container paths mapped into `dir` (the container mounts
 * `<dataDir>/certs` at `/certs`; here `dir/certs` plays that directory).
 */
function hostEnvironment(
    version: RegistryVersion,
    storage: RegistryStorageConfig,
    dir: string,
): Record<string, string> {
    return Object.fromEntries(
        Object.entries(registryContainerEnvironment(version, storage)).map(([k, v]) => [
            k,
            v.startsWith("/certs/") ? path.join(dir, v) : v,
        ]),
    );
}

for (const version of ["2", "3"] as const) {
    describe(`config.yml on an S3 store (version ${version}), served by the real registry binary`, () => {
        let dir: string;
        let registryPki: LabPki;
        let storePki: LabPki;
        let otherPki: LabPki;
        const cleanups: Array<() => Promise<void>> = [];

        before(() => {
            const binary = registryBinary(version);
            assert.ok(
                fs.existsSync(binary),
                `${binary} is missing: scripts/ensure-test-tools.sh installs Debian's docker-registry and builds 3.x`,
            );
            registryPki = makeLabPki("localhost");
            storePki = makeLabPki("rgw.lab");
            otherPki = makeLabPki("rgw.lab");
        });
        after(async () => {
            for (const c of cleanups.reverse()) await c();
        });

        /** Files of one run: the rendered config for a store on `storePort`, and `caPem` where the store's CA goes. */
        function files(storePort: number, caPem: string, httpSecret = "shared-http-secret"): RegistryStorageConfig {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), `airgap-registry-s3-${version}-`));
            const made = dir;
            cleanups.push(() => fs.promises.rm(made, { recursive: true, force: true }));
            const storage: RegistryStorageConfig = {
                s3: {
                    regionendpoint: `https://localhost:${storePort}`,
                    bucket: "registry",
                    region: "us-east-1",
                    accesskey: "AK-test",
                    secretkey: "SK-test-secret",
                    chunksize: 10485760,
                    rootdirectory: "/airgap",
                },
                redirect: { disable: true },
            };
            fs.mkdirSync(path.join(dir, "certs/s3-ca"), { recursive: true });
            fs.writeFileSync(path.join(dir, "certs/chain.pem"), registryPki.chain);
            fs.writeFileSync(path.join(dir, "certs/server.key"), registryPki.serverKey, { mode: 0o600 });
            // Where the container reads the store's CA: /certs/s3-ca/ca.pem, under the certs mount.
            fs.writeFileSync(path.join(dir, s3CaContainerPaths.file), caPem);
            fs.writeFileSync(
                path.join(dir, "config.yml"),
                renderRegistryConfig({ httpSecret, registryVersion: version, storage }),
            );
            fs.writeFileSync(
                path.join(dir, "htpasswd"),
                renderHtpasswd([{ username: "ci", bcryptHash: bcryptForUser("ci", "right-password") }]),
            );
            return storage;
        }

        it("starts, reaches the store path-style with the key and region given, over TLS verified against the store's CA", async (t) => {
            const store = await startStore(storePki);
            cleanups.push(() => store.close());
            const storage = files(store.port, storePki.ca);
            const env = hostEnvironment(version, storage, dir);
            assert.deepEqual(Object.keys(env).sort(), [
                ...(version === "3" ? ["OTEL_TRACES_EXPORTER"] : []),
                "SSL_CERT_DIR",
                "SSL_CERT_FILE",
            ]);
            const registry = await startRegistry(version, dir, env);
            cleanups.push(() => registry.stop());
            const upload = await request(registry.port, registryPki.ca, "POST", "/v2/library/probe/blobs/uploads/");
            for (let i = 0; i < 50 && store.requests.length === 0; i++) await sleep(100);
            assert.ok(store.requests.length > 0, `the store saw no request; registry log:\n${registry.log()}`);
            assert.deepEqual(store.tlsErrors, [], "every TLS handshake with the store succeeded");
            for (const r of store.requests) {
                assert.match(r.url, /^\/registry(\/airgap\/|\?)/, "path style: the bucket is the path's first segment");
                assert.match(
                    r.authorization,
                    /^AWS4-HMAC-SHA256 Credential=AK-test\/\d{8}\/us-east-1\/s3\/aws4_request,/,
                );
            }
            assert.ok(
                store.requests.some((r) =>
                    r.url.startsWith("/registry/airgap/docker/registry/v2/repositories/library/probe/"),
                ),
                JSON.stringify(store.requests),
            );
            t.diagnostic(
                `upload answered ${upload.status}; the store saw ${store.requests.map((r) => `${r.method} ${r.url.split("?")[0]}`).join(", ")}`,
            );
            assert.equal(upload.status, 202, `${upload.status} ${upload.body}\n${registry.log()}`);
            assert.match(upload.location, /^https:\/\//, "upload URLs handed out as https");
            assert.doesNotMatch(
                registry.log(),
                /localhost:4318/,
                "no trace exporter (OTEL_TRACES_EXPORTER=none on 3.x)",
            );
        });

        it("negative twin: another CA in SSL_CERT_FILE/SSL_CERT_DIR: the registry refuses the store's certificate, the store sees no request", async () => {
            const store = await startStore(storePki);
            cleanups.push(() => store.close());
            const storage = files(store.port, otherPki.ca);
            const registry = await startRegistry(version, dir, hostEnvironment(version, storage, dir));
            cleanups.push(() => registry.stop());
            const upload = await request(registry.port, registryPki.ca, "POST", "/v2/library/probe/blobs/uploads/");
            for (let i = 0; i < 50 && store.tlsErrors.length === 0; i++) await sleep(100);
            assert.deepEqual(store.requests, [], "no request got through");
            assert.ok(store.tlsErrors.length > 0, "the registry did reach the store's port (and failed in TLS)");
            assert.match(store.tlsErrors[0], /alert bad certificate|alert unknown ca/, store.tlsErrors[0]);
            assert.match(registry.log(), /x509: certificate signed by unknown authority/);
            assert.ok(upload.status >= 500, `${upload.status} ${upload.body}`);
        });

        // The replica's readiness (RegistryContainer's `-ready` step) run under sh against this registry: `docker logs`
        // is a stand-in printing the registry's log, everything else is the script as the host runs it.
        for (const right of [true, false]) {
            it(`readiness on an object store: ${right ? "the store's CA: ready once the storage health check passed" : "negative twin: another CA: not ready, naming 503 and the check's x509 error"}`, async () => {
                const store = await startStore(storePki);
                cleanups.push(() => store.close());
                const storage = files(store.port, right ? storePki.ca : otherPki.ca);
                const registry = await startRegistry(version, dir, hostEnvironment(version, storage, dir));
                cleanups.push(() => registry.stop());
                const bin = path.join(dir, "bin");
                fs.mkdirSync(bin);
                fs.writeFileSync(
                    path.join(bin, "docker"),
                    `#!/bin/sh\n[ "$1" = logs ] && [ "$4" = airgap-registry ] && exec cat ${JSON.stringify(path.join(dir, "registry.log"))}\nexit 2\n`,
                    { mode: 0o755 },
                );
                const check = storageHealthCheck(true);
                const ready = await runScript(
                    readinessScript(registry.port, {
                        timeoutSeconds: 30,
                        storage: { check, engine: "docker", containerName: "airgap-registry" },
                    }),
                    registryPki.ca,
                    { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}` },
                );
                if (right) {
                    assert.equal(ready.code, 0, `${ready.stderr}\n${registry.log()}`);
                    assert.match(
                        ready.stdout,
                        /answers 401 over verified TLS, still 5 s later \(its storage health check has not turned it 503\)/,
                    );
                } else {
                    assert.notEqual(ready.code, 0, ready.stdout);
                    const cause =
                        version === "3"
                            ? // 3.x logs the check's error: quoted on one line, with its "caused by".
                              /storage driver health check: s3aws: RequestError: send request failed\\ncaused by: .*x509: certificate signed by unknown authority/
                            : // 2.8 does not log it: the script says where to look.
                              /the registry did not log it \(2\.8 does not log this check\): GET \/debug\/health/;
                    assert.match(
                        ready.stderr,
                        /^registry not ready: https:\/\/localhost:\d+\/v2\/ answered 503 5 s after its first 401: its storage health check fails: /,
                    );
                    assert.match(ready.stderr, cause);
                    assert.equal(ready.stderr.trim().split("\n").length, 1, "one line");
                }
            });
        }

        // Two replicas on one store: an upload started on one and continued on the other (what a load balancer does)
        // needs the same http.secret: it signs the upload state the client carries between requests.
        for (const same of [true, false]) {
            it(`${same ? "the same" : "negative twin: another"} http.secret on a second replica: ${same ? "it accepts the upload state and resumes from the store" : "BLOB_UPLOAD_INVALID (invalid secret), the store is not asked"}`, async (t) => {
                const store = await startStore(storePki);
                cleanups.push(() => store.close());
                const storage = files(store.port, storePki.ca, "secret-of-replica-a");
                const a = await startRegistry(version, dir, hostEnvironment(version, storage, dir));
                cleanups.push(() => a.stop());
                files(store.port, storePki.ca, same ? "secret-of-replica-a" : "secret-of-replica-b");
                const b = await startRegistry(version, dir, hostEnvironment(version, storage, dir));
                cleanups.push(() => b.stop());
                const started = await request(a.port, registryPki.ca, "POST", "/v2/library/probe/blobs/uploads/");
                assert.equal(started.status, 202, started.body);
                const location = new URL(started.location);
                const uuid = location.pathname.split("/").pop() as string;
                assert.match(location.search, /_state=/);
                const before = store.requests.length;
                // The next step of a push: PATCH with the state A handed out (3.x checks the state on PATCH/PUT, not GET).
                const resumed = await request(
                    b.port,
                    registryPki.ca,
                    "PATCH",
                    `${location.pathname}${location.search}`,
                );
                await sleep(200);
                const fromB = store.requests.slice(before).filter((r) => r.url.includes(uuid));
                if (same) {
                    assert.doesNotMatch(resumed.body, /BLOB_UPLOAD_INVALID/, resumed.body);
                    assert.ok(fromB.length > 0, "replica b looked the upload up in the store");
                    assert.doesNotMatch(b.log(), /invalid secret/);
                    // The stand-in keeps no objects, so B then finds no upload there: an answer about the store, not the state.
                    t.diagnostic(
                        `replica b answered ${resumed.status} ${resumed.body.trim()}; store requests from b: ${fromB.length}`,
                    );
                } else {
                    assert.equal(resumed.status, 404, resumed.body); // distribution answers BLOB_UPLOAD_INVALID with 404
                    assert.match(resumed.body, /"code":"BLOB_UPLOAD_INVALID"/);
                    assert.match(b.log(), /error resolving upload: invalid secret/);
                    assert.deepEqual(fromB, [], "refused before the store");
                }
            });
        }
    });
}
