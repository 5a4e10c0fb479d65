/** Every pure renderer, table-tested, and shellcheck on every rendered script. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import * as bcrypt from "bcryptjs";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { shellcheck } from "../support/shellcheck";
import {
    desiredDaemonKeys,
    mergeDaemonJson,
    parseHostFacts,
    factsScript,
    renderRegistryConfig,
    renderHtpasswd,
    bcryptForUser,
    osTrustScripts,
    certsDirScripts,
    certsDirEntries,
    hostsScripts,
    hostsLines,
    trustCheckScript,
    anchorFileName,
    anchorShellFunctions,
} from "../../components/internal";
import {
    daemonJsonScripts,
    dataDirScripts,
    dockerGroupScripts,
    engineScripts,
    loadImageScripts,
    selinuxPermissiveScripts,
} from "../../components/host/hostScripts";
import {
    cliRunScripts,
    readinessScript,
    runtimeHandoverScript,
    writeFileScripts,
} from "../../components/registry/registryScripts";

describe("mergeDaemonJson (table)", () => {
    const desired = desiredDaemonKeys({ maxConcurrentDownloads: 6, cgroupDriver: "systemd" });
    const cases: Array<[string, string, Record<string, unknown>, boolean]> = [
        [
            "no file: desired keys only",
            "",
            {
                "live-restore": true,
                "log-driver": "json-file",
                "log-opts": { "max-size": "10m", "max-file": "3" },
                "max-concurrent-downloads": 6,
                "exec-opts": ["native.cgroupdriver=systemd"],
            },
            true,
        ],
        [
            "keeps keys the host has; merges log-opts; replaces only the cgroup driver",
            JSON.stringify({
                "data-root": "/srv/docker",
                "log-opts": { labels: "team", "max-size": "1g" },
                "exec-opts": ["native.cgroupdriver=cgroupfs", "foo=bar"],
            }),
            {
                "data-root": "/srv/docker",
                "log-opts": { labels: "team", "max-size": "10m", "max-file": "3" },
                "exec-opts": ["foo=bar", "native.cgroupdriver=systemd"],
                "live-restore": true,
                "log-driver": "json-file",
                "max-concurrent-downloads": 6,
            },
            true,
        ],
    ];
    for (const [title, existing, want, changed] of cases) {
        it(title, () => {
            const out = mergeDaemonJson(existing, desired);
            assert.deepEqual(JSON.parse(out.text), want);
            assert.equal(out.changed, changed);
            assert.ok(out.text.endsWith("\n"));
        });
    }
    it("a second merge of its own output changes nothing", () => {
        const first = mergeDaemonJson(`{"debug": true}`, desired);
        const second = mergeDaemonJson(first.text, desired);
        assert.equal(second.changed, false);
        assert.equal(second.text, first.text);
    });
    it("names the host when the existing file is not JSON", () => {
        assert.throws(
            () => mergeDaemonJson("{nope", desired, "registry.lab"),
            /\/etc\/docker\/daemon\.json on registry\.lab is not valid JSON/,
        );
        assert.throws(() => mergeDaemonJson("[]", desired, "registry.lab"), /is not a JSON object/);
    });
    it("defaults: live-restore and log rotation, nothing else", () => {
        assert.deepEqual(desiredDaemonKeys(), {
            "live-restore": true,
            "log-driver": "json-file",
            "log-opts": { "max-size": "10m", "max-file": "3" },
        });
    });
});

describe("parseHostFacts", () => {
    it("reads family, engine and base64 daemon.json", () => {
        const facts = parseHostFacts(
            `os_family=rhel\nengine=podman\ndaemon_json=${Buffer.from('{"a":1}').toString("base64")}\n`,
        );
        assert.deepEqual(facts, { osFamily: "rhel", engine: "podman", daemonJson: '{"a":1}' });
    });
    it("unknown values fall back to unknown/none", () => {
        assert.deepEqual(parseHostFacts("os_family=arch\nengine=lxc\ndaemon_json=\n"), {
            osFamily: "unknown",
            engine: "none",
            daemonJson: "",
        });
    });
});

describe("registry config.yml, per distribution version", () => {
    // The same security settings for 2.8 and 3.x: one table row per version, every key compared.
    for (const registryVersion of ["2", "3"] as const) {
        const text = renderRegistryConfig({ httpSecret: "s3cret", registryVersion });
        const config = YAML.parse(text);
        it(`${registryVersion}: TLS 1.2 minimum with the chain and key`, () => {
            assert.deepEqual(config.http.tls, {
                certificate: "/certs/chain.pem",
                key: "/certs/server.key",
                minimumtls: "tls1.2",
            });
        });
        it(`${registryVersion}: htpasswd auth, nosniff, filesystem storage, storage health check, http secret`, () => {
            assert.deepEqual(config.auth, { htpasswd: { realm: "airgap-registry", path: "/auth/htpasswd" } });
            assert.deepEqual(config.http.headers, { "X-Content-Type-Options": ["nosniff"] });
            assert.equal(config.storage.filesystem.rootdirectory, "/var/lib/registry");
            assert.equal(config.health.storagedriver.enabled, true);
            assert.equal(config.http.secret, "s3cret");
            assert.equal(config.http.addr, ":5000");
            assert.equal(config.http.debug.addr, "127.0.0.1:5001");
        });
    }
});

describe("htpasswd", () => {
    it("one sorted bcrypt line per user, verifiable", () => {
        const a = bcryptForUser("alice", "pw-a");
        const text = renderHtpasswd([
            { username: "zed", bcryptHash: bcryptForUser("zed", "pw-z") },
            { username: "alice", bcryptHash: a },
        ]);
        const lines = text.trimEnd().split("\n");
        assert.deepEqual(
            lines.map((l) => l.split(":")[0]),
            ["alice", "zed"],
        );
        assert.ok(bcrypt.compareSync("pw-a", lines[0].slice("alice:".length)));
        assert.ok(!bcrypt.compareSync("wrong", lines[0].slice("alice:".length)));
    });
    it("the same password hashes the same (no diff on every up); another password does not", () => {
        assert.equal(bcryptForUser("alice", "pw"), bcryptForUser("alice", "pw"));
        assert.notEqual(bcryptForUser("alice", "pw"), bcryptForUser("alice", "pw2"));
        assert.notEqual(bcryptForUser("alice", "pw"), bcryptForUser("bob", "pw"));
    });
    it("refuses non-bcrypt hashes and ':' in names", () => {
        assert.throws(() => renderHtpasswd([{ username: "a", bcryptHash: "{SHA}abc" }]), /not a bcrypt hash/);
        assert.throws(() => renderHtpasswd([{ username: "a:b", bcryptHash: bcryptForUser("a", "b") }]), /contains ':'/);
    });
});

describe("trust scripts", () => {
    it("Debian family: /usr/local/share/ca-certificates + update-ca-certificates, one anchor file a certificate", () => {
        const s = osTrustScripts("airgap-registry-ca", "debian");
        assert.match(s.create, /^family=debian$/m);
        assert.match(s.create, /install_anchors '\/usr\/local\/share\/ca-certificates' 'airgap-registry-ca' "\$ca"/);
        assert.match(s.create, /update-ca-certificates/);
        assert.match(s.delete, /remove_anchors '\/usr\/local\/share\/ca-certificates' 'airgap-registry-ca' 0/);
    });
    it("RHEL family: /etc/pki/ca-trust/source/anchors + update-ca-trust", () => {
        const s = osTrustScripts("airgap-registry-ca", "rhel");
        assert.match(s.create, /^family=rhel$/m);
        assert.match(s.create, /install_anchors '\/etc\/pki\/ca-trust\/source\/anchors' 'airgap-registry-ca' "\$ca"/);
        assert.match(s.create, /update-ca-trust extract/);
        assert.match(s.delete, /remove_anchors '\/etc\/pki\/ca-trust\/source\/anchors' 'airgap-registry-ca' 0/);
    });
    it("anchor files: <anchor>.crt for the first certificate, <anchor>.<n>.crt after it", () => {
        assert.equal(anchorFileName("airgap-registry-ca", 1), "airgap-registry-ca.crt");
        assert.equal(anchorFileName("airgap-registry-ca", 2), "airgap-registry-ca.2.crt");
    });
    it("install_anchors/remove_anchors (run in sh): a two-CA bundle is two files, a shorter one removes the extra, 0 removes all", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anchors-"));
        try {
            const store = path.join(dir, "store");
            fs.mkdirSync(store);
            const pem = (n: number) => `-----BEGIN CERTIFICATE-----\nQ0Et${n}\n-----END CERTIFICATE-----\n`;
            fs.writeFileSync(path.join(store, "other.crt"), pem(9));
            fs.writeFileSync(path.join(store, "airgap-registry-ca.x.crt"), pem(8)); // not a numbered anchor
            const run = (body: string) =>
                execFileSync("sh", ["-eu", "-c", [...anchorShellFunctions, body].join("\n")], {
                    encoding: "utf8",
                    env: { ...process.env, STORE: store, BUNDLE: path.join(dir, "bundle.pem") },
                });
            const files = () => fs.readdirSync(store).sort();
            const read = (f: string) => fs.readFileSync(path.join(store, f), "utf8");

            fs.writeFileSync(path.join(dir, "bundle.pem"), pem(1) + "\n" + pem(2));
            assert.equal(
                run('ca=""; install_anchors "$STORE" airgap-registry-ca "$BUNDLE"; echo "$anchors"'),
                " airgap-registry-ca.crt airgap-registry-ca.2.crt\n",
            );
            assert.deepEqual(files(), [
                "airgap-registry-ca.2.crt",
                "airgap-registry-ca.crt",
                "airgap-registry-ca.x.crt",
                "other.crt",
            ]);
            assert.equal(read("airgap-registry-ca.crt"), pem(1));
            assert.equal(read("airgap-registry-ca.2.crt"), pem(2));

            const refreshAfter = (body: string) => run(`ca=""; ${body}; echo "refresh=$refresh"`).trim();
            assert.equal(
                refreshAfter('install_anchors "$STORE" airgap-registry-ca "$BUNDLE"'),
                "refresh=",
                "the same bundle again: nothing removed or rewritten, no full rebuild",
            );
            fs.writeFileSync(path.join(dir, "bundle.pem"), pem(2));
            assert.equal(
                refreshAfter('install_anchors "$STORE" airgap-registry-ca "$BUNDLE"'),
                "refresh=1",
                "a file rewritten and one removed: the store is rebuilt in full",
            );
            assert.deepEqual(files(), ["airgap-registry-ca.crt", "airgap-registry-ca.x.crt", "other.crt"]);
            assert.equal(read("airgap-registry-ca.crt"), pem(2));

            run('remove_anchors "$STORE" airgap-registry-ca 0');
            assert.deepEqual(files(), ["airgap-registry-ca.x.crt", "other.crt"], "only the anchor's own files go");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
    it("auto reads /etc/os-release", () => {
        assert.match(osTrustScripts("a", "auto").create, /\. \/etc\/os-release/);
    });
    it("certs.d: ca.crt per directory; delete removes exactly that file", () => {
        const s = certsDirScripts(["/etc/docker/certs.d/registry.lab:5443"]);
        assert.match(s.create, /install -m 0644 "\$ca" '\/etc\/docker\/certs\.d\/registry\.lab:5443\/ca\.crt'/);
        assert.equal(
            s.delete,
            "set -eu\nrm -f '/etc/docker/certs.d/registry.lab:5443/ca.crt'\nrmdir '/etc/docker/certs.d/registry.lab:5443' 2>/dev/null || true\n",
        );
    });
    it("containerd: ca.crt plus a hosts.toml naming the server and its CA", () => {
        const [entry] = certsDirEntries("registry.lab:5443", ["containerd"]);
        assert.equal(entry.dir, "/etc/containerd/certs.d/registry.lab:5443");
        assert.equal(
            entry.hostsToml,
            'server = "https://registry.lab:5443"\nca = "/etc/containerd/certs.d/registry.lab:5443/ca.crt"\n',
        );
        const s = certsDirScripts([entry]);
        assert.match(s.create, /> '\/etc\/containerd\/certs\.d\/registry\.lab:5443\/hosts\.toml'/);
        assert.match(
            s.delete,
            /rm -f '\/etc\/containerd\/certs\.d\/registry\.lab:5443\/ca\.crt' '\/etc\/containerd\/certs\.d\/registry\.lab:5443\/hosts\.toml'/,
        );
        assert.deepEqual(certsDirEntries("r:1", ["docker", "podman"]), [
            { dir: "/etc/docker/certs.d/r:1" },
            { dir: "/etc/containers/certs.d/r:1" },
        ]);
    });
    it("/etc/hosts lines are tagged; delete strips only tagged lines", () => {
        assert.deepEqual(hostsLines([{ ip: "10.0.0.5", names: ["registry.lab", "reg"] }], "airgap-registry:x"), [
            "10.0.0.5 registry.lab reg # airgap-registry:x",
        ]);
        assert.match(
            hostsScripts([{ ip: "10.0.0.5", names: ["registry.lab"] }], "airgap-registry:x").delete,
            /grep -v -F -- '# airgap-registry:x' \/etc\/hosts/,
        );
    });
    it("the check expects 401 through the system trust store, with no -k and no --cacert", () => {
        const s = trustCheckScript("client-a", ["registry.lab:5443"]);
        assert.match(s, /= 401/);
        assert.doesNotMatch(s, /(^|\s)(-k|--insecure|--cacert)(\s|$)/m);
        assert.match(s, /check 'registry\.lab:5443'/);
    });
});

describe("the 401 checks", () => {
    it("the readiness check verifies against the CA from stdin and keeps curl's errors in a temporary file", () => {
        const s = readinessScript(5443);
        assert.match(s, /await_401 https:\/\/localhost:5443\/v2\/ --cacert "\$ca"/);
        assert.match(s, /curl_err=\$\(mktemp\)/);
        assert.doesNotMatch(s, /\/tmp\//, "no fixed path another user could pre-create or read");
    });
});

describe("every rendered script passes shellcheck", () => {
    const scripts: Record<string, string> = {
        facts: factsScript(),
        ...pairs("engine", engineScripts()),
        ...pairs("docker-group", dockerGroupScripts("/var/lib/r/.state", ["ops", "ci"])),
        ...pairs("selinux", selinuxPermissiveScripts("/var/lib/r/.state")),
        ...pairs("daemon-json", daemonJsonScripts("/var/lib/r/.state")),
        ...pairs("data-dir-keep", dataDirScripts("/var/lib/r", false)),
        ...pairs("data-dir-remove", dataDirScripts("/var/lib/r", true)),
        ...pairs(
            "image-archive",
            loadImageScripts("/var/lib/r/.state", "registry:2", {
                path: "/var/lib/r/images/registry-image.tar",
                id: "0123abcd",
            }),
        ),
        ...pairs("image-present", loadImageScripts("/var/lib/r/.state", "registry:2", undefined)),
        ...pairs("write-file", writeFileScripts("/var/lib/r/certs/server.key", "0600")),
        ...pairs(
            "cli-docker",
            cliRunScripts({
                engine: "docker",
                containerName: "reg",
                image: "registry:2",
                port: 5443,
                dataDir: "/var/lib/r",
                registryVersion: "2",
                contentHash: "abc",
                healthcheck: true,
            }),
        ),
        ...pairs(
            "cli-podman",
            cliRunScripts({
                engine: "podman",
                containerName: "reg",
                image: "registry:2",
                port: 5443,
                dataDir: "/var/lib/r",
                registryVersion: "3",
                contentHash: "abc",
                healthcheck: false,
            }),
        ),
        ready: readinessScript(5443),
        handover: runtimeHandoverScript("reg"),
        ...pairs("os-trust-auto", osTrustScripts("airgap-registry-ca", "auto")),
        ...pairs("os-trust-rhel", osTrustScripts("airgap-registry-ca", "rhel")),
        ...pairs(
            "certs-d",
            certsDirScripts(["/etc/docker/certs.d/registry.lab:5443", "/etc/containers/certs.d/registry.lab:5443"]),
        ),
        ...pairs("certs-d containerd", certsDirScripts(certsDirEntries("registry.lab:5443", ["containerd"]))),
        ...pairs("hosts", hostsScripts([{ ip: "10.0.0.5", names: ["registry.lab"] }], "airgap-registry:ca")),
        check: trustCheckScript("client-a", ["registry.lab:5443", "10.0.0.5:5443"]),
    };
    for (const [name, text] of Object.entries(scripts)) {
        it(name, () => {
            assert.ok(text.startsWith("set -eu\n"), "strict mode first");
            assert.equal(shellcheck(`#!/bin/sh\n${text}`), "");
        });
    }
});

function pairs(name: string, s: { create: string; delete: string }): Record<string, string> {
    return { [`${name} (create)`]: s.create, [`${name} (delete)`]: s.delete };
}
