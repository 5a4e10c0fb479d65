/**
 * The rendered config.yml and htpasswd served by the real distribution registry on 127.0.0.1, negatives beside
 * positives.
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { bcryptForUser, renderHtpasswd, renderRegistryConfig } from "../../components/internal";
import { makeLabPki } from "../support/labPki";

// The rendered config.yml and htpasswd, served by a real distribution registry (Debian's
// docker-registry 2.8, the binary the lab image carries) on 127.0.0.1. Only the container paths
// and listen addresses are overridden (REGISTRY_* environment); TLS, auth, headers and health
// come from the rendered file as it is.

const registryBinary = "/usr/bin/docker-registry";

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
        s.on("error", reject);
    });
}

function curl(...args: string[]): { code: number; out: string; err: string } {
    const r = spawnSync("curl", ["-sS", "--max-time", "10", ...args], { encoding: "utf8" });
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function openssl(input: string, ...args: string[]): { code: number; out: string } {
    const r = spawnSync("openssl", args, { input, encoding: "utf8", timeout: 15_000 });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe("rendered registry config served by the real registry binary", () => {
    let dir: string;
    let proc: ChildProcess;
    let port: number;
    let debugPort: number;
    let ca: string;
    let log = "";

    before(async () => {
        assert.ok(
            fs.existsSync(registryBinary),
            `${registryBinary} is missing: scripts/ensure-test-tools.sh installs Debian's docker-registry`,
        );
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-registry-binary-"));
        const pki = makeLabPki("localhost");
        ca = path.join(dir, "ca.crt");
        fs.writeFileSync(ca, pki.ca);
        fs.writeFileSync(path.join(dir, "chain.pem"), pki.chain);
        fs.writeFileSync(path.join(dir, "server.key"), pki.serverKey);
        fs.writeFileSync(path.join(dir, "config.yml"), renderRegistryConfig({ httpSecret: "test-http-secret" }));
        fs.writeFileSync(
            path.join(dir, "htpasswd"),
            renderHtpasswd([{ username: "ci", bcryptHash: bcryptForUser("ci", "right-password") }]),
        );
        fs.mkdirSync(path.join(dir, "data"));
        port = await freePort();
        debugPort = await freePort();
        proc = spawn(registryBinary, ["serve", path.join(dir, "config.yml")], {
            env: {
                ...process.env,
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
        for (let i = 0; i < 100; i++) {
            if (curl("-o", "/dev/null", `http://127.0.0.1:${debugPort}/debug/health`).code === 0) return;
            await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`registry did not start:\n${log}`);
    });
    after(() => {
        proc?.kill();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
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
        assert.equal(r.code, 60, `curl exit 60 = peer certificate cannot be authenticated; got ${r.code}: ${r.err}`);
        assert.equal(curl("-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca, url()).out, "401", "positive twin");
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
