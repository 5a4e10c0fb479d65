/**
 * The rendered config.yml and htpasswd served by the real distribution registry of each version (2.8 and 3.x) on
 * 127.0.0.1, negatives beside positives; and the differences between the versions that the config avoids.
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { bcryptForUser, registryEnvs, renderHtpasswd, renderRegistryConfig } from "../../components/internal";
import type { RegistryVersion } from "../../components/internal";
import { makeLabPki } from "../support/labPki";
import { registryBinary, freePort } from "../support/localServers";

// The rendered config.yml and htpasswd, served by a real distribution registry: Debian's docker-registry 2.8 (the
// binary the lab's 2.8 image carries) and distribution v3.1.2 built from the Go module proxy
// (scripts/registry-v3-binary.sh, the binary the lab's 3.x image carries). Only the container paths and listen
// addresses are overridden (REGISTRY_* environment); TLS, auth, headers and health come from the rendered file as
// it is, and the environment is the container's for that version.

function curl(...args: string[]): { code: number; out: string; err: string } {
    const r = spawnSync("curl", ["-sS", "--max-time", "10", ...args], { encoding: "utf8" });
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function openssl(input: string, ...args: string[]): { code: number; out: string } {
    const r = spawnSync("openssl", args, { input, encoding: "utf8", timeout: 15_000 });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** A registry started on 127.0.0.1 with the files in `dir`: ready (debug health answers) or exited, with its log. */
interface Started {
    proc: ChildProcess;
    port: number;
    debugPort: number;
    log: () => string;
    exited: () => boolean;
    /** The debug listener's storage health check answered. */
    ready: boolean;
}

async function startRegistry(binary: string, version: RegistryVersion, dir: string, config: string): Promise<Started> {
    const port = await freePort();
    const debugPort = await freePort();
    let log = "";
    let exited = false;
    const proc = spawn(binary, ["serve", config], {
        env: {
            ...process.env,
            ...Object.fromEntries(registryEnvs(version).map((e) => e.split("=") as [string, string])),
            REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: path.join(dir, "data"),
            REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
            REGISTRY_HTTP_DEBUG_ADDR: `127.0.0.1:${debugPort}`,
            REGISTRY_HTTP_TLS_CERTIFICATE: path.join(dir, "chain.pem"),
            REGISTRY_HTTP_TLS_KEY: path.join(dir, "server.key"),
            REGISTRY_AUTH_HTPASSWD_PATH: path.join(dir, "htpasswd"),
        },
        stdio: ["ignore", "pipe", "pipe"],
    });
    proc.stdout?.on("data", (d) => (log += d));
    proc.stderr?.on("data", (d) => (log += d));
    proc.on("exit", () => (exited = true));
    let ready = false;
    for (let i = 0; i < 150 && !exited && !ready; i++) {
        ready = curl("-o", "/dev/null", `http://127.0.0.1:${debugPort}/debug/health`).code === 0;
        if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, exited ? 200 : 0));
    return { proc, port, debugPort, log: () => log, exited: () => exited, ready };
}

/** A directory with the lab PKI, the rendered config of `version` and htpasswd (user ci). */
function registryFiles(version: RegistryVersion): { dir: string; ca: string; config: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `airgap-registry-binary-${version}-`));
    const pki = makeLabPki("localhost");
    const ca = path.join(dir, "ca.crt");
    fs.writeFileSync(ca, pki.ca);
    fs.writeFileSync(path.join(dir, "chain.pem"), pki.chain);
    fs.writeFileSync(path.join(dir, "server.key"), pki.serverKey);
    const config = path.join(dir, "config.yml");
    fs.writeFileSync(config, renderRegistryConfig({ httpSecret: "test-http-secret", registryVersion: version }));
    fs.writeFileSync(
        path.join(dir, "htpasswd"),
        renderHtpasswd([{ username: "ci", bcryptHash: bcryptForUser("ci", "right-password") }]),
    );
    fs.mkdirSync(path.join(dir, "data"));
    return { dir, ca, config };
}

for (const version of ["2", "3"] as const) {
    describeVersion(version);
}

function describeVersion(version: RegistryVersion): void {
    describe(`rendered registry config (version ${version}) served by the real registry binary`, () => {
        let dir: string;
        let ca: string;
        let started: Started;
        let port: number;
        let debugPort: number;

        before(async () => {
            const binary = registryBinary(version);
            assert.ok(
                fs.existsSync(binary),
                `${binary} is missing: scripts/ensure-test-tools.sh installs Debian's docker-registry and builds 3.x`,
            );
            const files = registryFiles(version);
            dir = files.dir;
            ca = files.ca;
            started = await startRegistry(binary, version, dir, files.config);
            if (!started.ready) throw new Error(`registry ${version} did not start:\n${started.log()}`);
            port = started.port;
            debugPort = started.debugPort;
        });
        after(() => {
            started?.proc.kill();
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });

        it("is the version it is meant to be", () => {
            const v = spawnSync(registryBinary(version), ["--version"], { encoding: "utf8" });
            assert.match(`${v.stdout}${v.stderr}`, version === "2" ? / v?2\.8\./ : / v3\.1\.2/);
        });
        const url = () => `https://localhost:${port}/v2/`;

        it("no credentials: 401 over TLS verified against the CA, Basic realm, nosniff", () => {
            const r = curl("-o", "/dev/null", "-D", "-", "--cacert", ca, url());
            assert.equal(r.code, 0, r.err);
            assert.match(r.out, /^HTTP\/\S+ 401/m);
            assert.match(r.out, /^www-authenticate: Basic realm="airgap-registry"/im);
            assert.match(r.out, /^x-content-type-options: nosniff/im);
        });
        it("right password: 200; wrong password: 401 (same URL, same trust)", () => {
            assert.equal(
                curl("-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca, "-u", "ci:right-password", url()).out,
                "200",
            );
            assert.equal(
                curl("-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca, "-u", "ci:wrong-password", url()).out,
                "401",
            );
        });
        it("a client without the CA fails on the certificate, not on the network", () => {
            // The machine's own trust store, which does not hold the lab CA: what an untrusted client has.
            const r = curl("-o", "/dev/null", url());
            assert.equal(
                r.code,
                60,
                `curl exit 60 = peer certificate cannot be authenticated; got ${r.code}: ${r.err}`,
            );
            assert.equal(
                curl("-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca, url()).out,
                "401",
                "positive twin",
            );
        });
        it("a name that is not in the SANs is refused", () => {
            const r = curl(
                "-o",
                "/dev/null",
                "--cacert",
                ca,
                "--resolve",
                `not-in-sans.lab:${port}:127.0.0.1`,
                `https://not-in-sans.lab:${port}/v2/`,
            );
            assert.equal(r.code, 60, r.err);
            assert.match(r.err, /no alternative certificate subject name matches|does not match target host name/);
        });
        it("plain HTTP to the TLS port gets no registry answer", () => {
            const r = curl("-o", "-", "-w", "\n%{http_code}", `http://localhost:${port}/v2/`);
            assert.match(r.out, /Client sent an HTTP request to an HTTPS server/);
            assert.match(r.out, /400$/);
        });
        it("TLS 1.1 offered by the client is refused by the server; TLS 1.2 is accepted", () => {
            const old = openssl(
                "",
                "s_client",
                "-connect",
                `127.0.0.1:${port}`,
                "-tls1_1",
                "-cipher",
                "DEFAULT@SECLEVEL=0",
            );
            assert.notEqual(old.code, 0);
            assert.match(old.out, /alert protocol version|tlsv1 alert protocol version/i);
            const ok = openssl(
                "",
                "s_client",
                "-connect",
                `127.0.0.1:${port}`,
                "-tls1_2",
                "-CAfile",
                ca,
                "-servername",
                "localhost",
            );
            assert.match(ok.out, /Verify return code: 0 \(ok\)/);
        });
        it("the served chain verifies against the CA", () => {
            const shown = openssl(
                "",
                "s_client",
                "-connect",
                `127.0.0.1:${port}`,
                "-showcerts",
                "-servername",
                "localhost",
            ).out;
            const pems = shown.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
            assert.equal(pems.length, 2, "leaf + CA served");
            fs.writeFileSync(path.join(dir, "served-leaf.pem"), pems[0]);
            const v = spawnSync("openssl", ["verify", "-CAfile", ca, path.join(dir, "served-leaf.pem")], {
                encoding: "utf8",
            });
            assert.match(v.stdout, /served-leaf\.pem: OK/);
        });
        it("the storage health check answers on the loopback debug listener", () => {
            assert.equal(
                curl("-o", "/dev/null", "-w", "%{http_code}", `http://127.0.0.1:${debugPort}/debug/health`).out,
                "200",
            );
        });
    });
}

// What the source says differs between 2.8 and 3.x for keys near ours, shown on the real binaries: why the config
// keeps tls1.2 (3.x refuses tls1.0/tls1.1 as a minimum) and renders no `storage.tag` (2.8 refuses it).
describe("the differences between 2.8 and 3.x that the rendered config avoids", () => {
    type Config = { http: { tls: Record<string, unknown> }; storage: Record<string, unknown> };
    /** The rendered config with one change, served by `version`: did it exit at start, and its log. */
    const variant = async (
        version: RegistryVersion,
        change: (c: Config) => void,
    ): Promise<{ exited: boolean; ready: boolean; log: string }> => {
        const files = registryFiles(version);
        const c = YAML.parse(fs.readFileSync(files.config, "utf8")) as Config;
        change(c);
        fs.writeFileSync(files.config, YAML.stringify(c));
        const s = await startRegistry(registryBinary(version), version, files.dir, files.config);
        const result = { exited: s.exited(), ready: s.ready, log: s.log() };
        s.proc.kill();
        fs.rmSync(files.dir, { recursive: true, force: true });
        return result;
    };
    it("http.tls.minimumtls tls1.1: 3.x refuses to start, 2.8 starts", async () => {
        const v3 = await variant("3", (c) => (c.http.tls.minimumtls = "tls1.1"));
        assert.ok(v3.exited, "3.x exited");
        assert.match(v3.log, /unknown minimum TLS level 'tls1.1' specified for http.tls.minimumtls/);
        const v2 = await variant("2", (c) => (c.http.tls.minimumtls = "tls1.1"));
        assert.ok(v2.ready, `2.8 runs: ${v2.log}`);
    });
    it("storage.tag: 2.8 refuses to start (a second storage driver), 3.x starts", async () => {
        const v2 = await variant("2", (c) => (c.storage.tag = { concurrencylimit: 8 }));
        assert.ok(v2.exited, "2.8 exited");
        assert.match(v2.log, /must provide exactly one storage type/);
        const v3 = await variant("3", (c) => (c.storage.tag = { concurrencylimit: 8 }));
        assert.ok(v3.ready, `3.x runs: ${v3.log}`);
    });
});
