/**
 * The load balancer's haproxy config: the rendered text, its validation naming fields, and the real haproxy 2.6
 * (Debian's, installed by scripts/ensure-test-tools.sh) checking it with `haproxy -c`, negatives beside positives.
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    checkHaproxyConfigInput,
    haproxyCertificatePem,
    haproxyDefaults,
    haproxyPaths,
    renderHaproxyConfig,
} from "../../components/internal";
import type { HaproxyConfigInput } from "../../components/internal";
import { makeLabPki } from "../support/labPki";

const haproxyBinary = "/usr/sbin/haproxy";

const twoReplicas: HaproxyConfigInput = {
    port: 5000,
    serverName: "registry.site",
    replicas: [
        { name: "replica-a", address: "10.0.0.11", port: 5000 },
        { name: "replica-b", address: "10.0.0.12", port: 5000 },
    ],
};

const tls =
    "check ssl verify required ca-file /etc/haproxy/airgap-registry/ca.pem verifyhost registry.site sni str(registry.site) check-sni registry.site";

describe("haproxy config text", () => {
    const text = renderHaproxyConfig(twoReplicas);
    it("is exactly this, with the defaults", () => {
        assert.equal(
            text,
            [
                "# haproxy config of the airgap-registry load balancer (rendered by airgap-registry; edits are overwritten)",
                "global",
                "    log stdout format raw local0",
                "    maxconn 4096",
                "    ssl-default-bind-options ssl-min-ver TLSv1.2",
                "    ssl-default-server-options ssl-min-ver TLSv1.2",
                "",
                "defaults",
                "    mode http",
                "    log global",
                "    option httplog",
                "    option forwardfor",
                "    retries 3",
                "    option redispatch 1",
                "    retry-on conn-failure empty-response response-timeout",
                "    timeout connect 5s",
                "    timeout client 600s",
                "    timeout server 600s",
                "    timeout http-request 30s",
                "    timeout http-keep-alive 30s",
                "    timeout queue 30s",
                "    timeout check 5s",
                "",
                "frontend registry",
                "    bind :5000 ssl crt /etc/haproxy/airgap-registry/server.pem ssl-min-ver TLSv1.2 alpn http/1.1",
                "    http-request set-header X-Forwarded-Proto https",
                "    default_backend replicas",
                "",
                "backend replicas",
                "    balance roundrobin",
                "    option httpchk GET /v2/",
                "    http-check expect status 200,401",
                "    default-server inter 2s fall 2 rise 2",
                `    server replica-a 10.0.0.11:5000 ${tls}`,
                `    server replica-b 10.0.0.12:5000 ${tls}`,
                "",
            ].join("\n"),
        );
    });
    it("one server line per replica, each verifying TLS against the CA; in the given order", () => {
        const servers = text.split("\n").filter((l) => l.trimStart().startsWith("server "));
        assert.equal(servers.length, 2);
        for (const s of servers) assert.match(s, / check ssl verify required ca-file \S+ verifyhost registry\.site /);
        const three = renderHaproxyConfig({
            ...twoReplicas,
            replicas: [...twoReplicas.replicas, { name: "replica-c", address: "fd00::13", port: 5443 }],
        });
        const lines = three.split("\n").filter((l) => l.trimStart().startsWith("server "));
        assert.deepEqual(
            lines.map((l) => l.trim().split(" ").slice(0, 3).join(" ")),
            ["server replica-a 10.0.0.11:5000", "server replica-b 10.0.0.12:5000", "server replica-c [fd00::13]:5443"],
        );
        // A third replica changes only its own server line (what a preview of adding one shows in this file).
        assert.deepEqual(
            three.split("\n").filter((l) => !text.split("\n").includes(l)),
            [lines[2]],
        );
    });
    it("timeouts, health check, bind address and paths as given", () => {
        const t = renderHaproxyConfig({
            ...twoReplicas,
            port: 443,
            bindAddress: "10.0.0.10",
            timeouts: { clientSeconds: 3600, serverSeconds: 1800 },
            healthCheck: { intervalSeconds: 5, fall: 3, rise: 1 },
            paths: { certificate: "/srv/lb/server.pem", caFile: "/srv/lb/ca.pem" },
        });
        assert.match(
            t,
            /\n {4}bind 10\.0\.0\.10:443 ssl crt \/srv\/lb\/server\.pem ssl-min-ver TLSv1\.2 alpn http\/1\.1\n/,
        );
        assert.match(t, /\n {4}timeout client 3600s\n {4}timeout server 1800s\n/);
        assert.match(t, /\n {4}timeout connect 5s\n/, "the other timeouts keep their defaults");
        assert.match(t, /\n {4}default-server inter 5s fall 3 rise 1\n/);
        assert.match(t, / ca-file \/srv\/lb\/ca\.pem /);
        assert.match(renderHaproxyConfig({ ...twoReplicas, bindAddress: "fd00::10" }), /\n {4}bind \[fd00::10\]:5000 /);
    });
    it("the defaults and paths, in one place", () => {
        assert.equal(haproxyDefaults.timeouts.clientSeconds, 600);
        assert.equal(haproxyDefaults.retries, 3);
        assert.equal(haproxyPaths.certificate, "/etc/haproxy/airgap-registry/server.pem");
    });
    it("the crt file: the chain, then the key, each ending in a newline", () => {
        assert.equal(haproxyCertificatePem("CHAIN", "KEY\n"), "CHAIN\nKEY\n");
        assert.equal(haproxyCertificatePem("CHAIN\n", "KEY"), "CHAIN\nKEY\n");
    });
});

describe("haproxy config input validation names the field (the renderer refuses it)", () => {
    const cases: Array<{ name: string; input: HaproxyConfigInput; expected: string[] }> = [
        {
            name: "no replicas",
            input: { ...twoReplicas, replicas: [] },
            expected: ["`replicas` needs at least one replica"],
        },
        {
            name: "a repeated replica name",
            input: {
                ...twoReplicas,
                replicas: [twoReplicas.replicas[0], { ...twoReplicas.replicas[1], name: "replica-a" }],
            },
            expected: ['`replicas[1].name` repeats "replica-a", already used by `replicas[0].name`'],
        },
        {
            name: "a replica name that would break the line",
            input: { ...twoReplicas, replicas: [{ ...twoReplicas.replicas[0], name: "a b\nbackend x" }] },
            expected: [
                "`replicas[0].name` must start with a letter or digit and use only letters, digits, '.', '_' and '-' (at most 63), got \"a b\\nbackend x\"",
            ],
        },
        {
            name: "a bad replica address and port",
            input: { ...twoReplicas, replicas: [{ name: "r", address: "10.0.0..1", port: 0 }] },
            expected: [
                '`replicas[0].address` is not a valid IP address or hostname: "10.0.0..1"',
                "`replicas[0].port` must be a port number from 1 to 65535, got 0",
            ],
        },
        {
            name: "a server name that is an IP address",
            input: { ...twoReplicas, serverName: "10.0.0.10" },
            expected: ['`serverName` is not a valid hostname: "10.0.0.10"'],
        },
        {
            name: "a zero timeout and an unknown one",
            input: {
                ...twoReplicas,
                timeouts: { serverSeconds: 0, tunnelSeconds: 5 } as HaproxyConfigInput["timeouts"],
            },
            expected: [
                "`timeouts.serverSeconds` must be a whole number of seconds from 1 to 86400, got 0",
                "`timeouts.tunnelSeconds` is not a timeout (known: connectSeconds, clientSeconds, serverSeconds, httpRequestSeconds, httpKeepAliveSeconds, queueSeconds, checkSeconds)",
            ],
        },
        {
            name: "a health check that never falls",
            input: { ...twoReplicas, healthCheck: { fall: 0 } },
            expected: ["`healthCheck.fall` must be a whole number of checks from 1 to 100, got 0"],
        },
        {
            name: "a bind address that is a name",
            input: { ...twoReplicas, bindAddress: "lb.site" },
            expected: ['`bindAddress` is not a valid IP address: "lb.site"'],
        },
        {
            name: "a path with a space",
            input: { ...twoReplicas, paths: { certificate: "/etc/x y.pem", caFile: "/etc/ca.pem" } },
            expected: [
                "`paths.certificate` must be an absolute path of letters, digits, '.', '_', '-' and '/', got \"/etc/x y.pem\"",
            ],
        },
    ];
    for (const c of cases) {
        it(`${c.name}: exactly that problem, and no config`, () => {
            assert.deepEqual(checkHaproxyConfigInput(c.input), c.expected);
            assert.throws(
                () => renderHaproxyConfig(c.input),
                (e: Error) => e.message.includes(c.expected[0]),
            );
        });
    }
    it("positive twin: the good input has no problems", () => {
        assert.deepEqual(checkHaproxyConfigInput(twoReplicas), []);
    });
});

describe("the real haproxy (Debian's 2.6) checks the rendered config", () => {
    let dir: string;
    let files: { certificate: string; caFile: string; chainOnly: string };

    /** `haproxy -c -f <config>`: its exit code and output. */
    function haproxyCheck(config: string): { code: number; out: string } {
        const file = path.join(dir, `haproxy-${Math.random().toString(16).slice(2)}.cfg`);
        fs.writeFileSync(file, config);
        const r = spawnSync(haproxyBinary, ["-c", "-f", file], { encoding: "utf8", timeout: 30_000 });
        return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    }

    before(() => {
        // No skip: a machine without haproxy fails here, saying how to get it.
        assert.ok(
            fs.existsSync(haproxyBinary),
            `${haproxyBinary} is missing: scripts/ensure-test-tools.sh installs Debian's haproxy (apt-get install haproxy)`,
        );
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-haproxy-"));
        const pki = makeLabPki("registry.site");
        files = {
            certificate: path.join(dir, "server.pem"),
            caFile: path.join(dir, "ca.pem"),
            chainOnly: path.join(dir, "chain-only.pem"),
        };
        fs.writeFileSync(files.certificate, haproxyCertificatePem(pki.chain, pki.serverKey), { mode: 0o600 });
        fs.writeFileSync(files.caFile, pki.ca);
        fs.writeFileSync(files.chainOnly, pki.chain);
    });
    after(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("is haproxy 2.6", () => {
        const r = spawnSync(haproxyBinary, ["-v"], { encoding: "utf8" });
        assert.match(r.stdout, /HAProxy version 2\.6\./);
    });
    it("the rendered config is valid, without a warning (two and three replicas, IPv6, custom timeouts)", () => {
        const paths = { certificate: files.certificate, caFile: files.caFile };
        for (const input of [
            { ...twoReplicas, paths },
            {
                ...twoReplicas,
                paths,
                bindAddress: "127.0.0.1",
                replicas: [...twoReplicas.replicas, { name: "replica-c", address: "fd00::13", port: 5443 }],
                timeouts: { clientSeconds: 3600 },
                healthCheck: { intervalSeconds: 1, fall: 1, rise: 1 },
            },
        ]) {
            const r = haproxyCheck(renderHaproxyConfig(input));
            assert.equal(r.code, 0, r.out);
            assert.match(r.out, /Configuration file is valid/);
            assert.doesNotMatch(r.out, /WARNING|ALERT/, r.out);
        }
    });
    it("negative: a crt file without its key is refused (the check loads the files; positive twin above)", () => {
        const r = haproxyCheck(
            renderHaproxyConfig({ ...twoReplicas, paths: { certificate: files.chainOnly, caFile: files.caFile } }),
        );
        assert.notEqual(r.code, 0);
        assert.match(r.out, /No Private Key found in '[^']*chain-only\.pem/, r.out);
    });
    it("negative: a missing CA file for the replicas' verification is refused", () => {
        const r = haproxyCheck(
            renderHaproxyConfig({
                ...twoReplicas,
                paths: { certificate: files.certificate, caFile: path.join(dir, "no-such-ca.pem") },
            }),
        );
        assert.notEqual(r.code, 0);
        assert.match(r.out, /'server replicas\/replica-a' : Couldn't open the ca-file '[^']*no-such-ca\.pem'/, r.out);
    });
    it("negative: haproxy does parse the health check line (a status list with a space is refused)", () => {
        const good = renderHaproxyConfig({
            ...twoReplicas,
            paths: { certificate: files.certificate, caFile: files.caFile },
        });
        const broken = good.replace("http-check expect status 200,401", "http-check expect status 200 401");
        assert.notEqual(broken, good);
        const r = haproxyCheck(broken);
        assert.notEqual(r.code, 0);
        assert.match(r.out, /'http-check expect' : .* but got '401' as argument/, r.out);
    });
});
