/** Every pure renderer, table-tested, and shellcheck on every rendered script. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import * as bcrypt from "bcryptjs";
import { execFileSync, spawnSync } from "child_process";
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
    osTrustApplyScript,
    osTrustCheckScript,
    stagedBundlePath,
    hostsFragmentPath,
    trustStateDir,
    certsDirFiles,
    certsDirEntries,
    hostsFragment,
    hostsApplyScript,
    hostsCheckScript,
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
    filesLabel,
    filesLabelValue,
    readinessScript,
    restartOnHealScript,
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
    it("state paths: the staged bundle and the hosts fragment under /etc/airgap-registry", () => {
        assert.equal(trustStateDir, "/etc/airgap-registry");
        assert.equal(stagedBundlePath("airgap-registry-ca"), "/etc/airgap-registry/airgap-registry-ca.pem");
        assert.equal(hostsFragmentPath("airgap-registry-ca"), "/etc/airgap-registry/airgap-registry-ca.hosts");
    });
    it("Debian family: the staged bundle into /usr/local/share/ca-certificates + update-ca-certificates", () => {
        const apply = osTrustApplyScript("airgap-registry-ca", "debian");
        assert.match(apply, /^family=debian$/m);
        assert.match(apply, /^ {2}debian\) dir='\/usr\/local\/share\/ca-certificates' ;;$/m);
        assert.match(apply, /^if \[ -f '\/etc\/airgap-registry\/airgap-registry-ca\.pem' \]; then$/m);
        assert.match(
            apply,
            /install_anchors "\$dir" 'airgap-registry-ca' '\/etc\/airgap-registry\/airgap-registry-ca\.pem'/,
        );
        assert.match(apply, /remove_anchors "\$dir" 'airgap-registry-ca' 0/);
        assert.match(apply, /debian\) update-ca-certificates \$\{refresh:\+--fresh\} >\/dev\/null ;;/);
        const check = osTrustCheckScript("airgap-registry-ca", "debian");
        assert.match(check, /^family=debian$/m);
        assert.match(check, /debian\) dir='\/usr\/local\/share\/ca-certificates' ;;/);
        assert.match(check, /cmp -s "\$split\/\$n\.pem" "\$dir\/\$name"/);
    });
    it("RHEL family: /etc/pki/ca-trust/source/anchors + update-ca-trust extract", () => {
        const apply = osTrustApplyScript("airgap-registry-ca", "rhel");
        assert.match(apply, /^family=rhel$/m);
        assert.match(apply, /rhel\) dir='\/etc\/pki\/ca-trust\/source\/anchors' ;;/);
        assert.match(apply, /rhel\) update-ca-trust extract >\/dev\/null ;;/);
        assert.match(osTrustCheckScript("airgap-registry-ca", "rhel"), /^family=rhel$/m);
    });
    it("auto reads /etc/os-release", () => {
        assert.match(osTrustApplyScript("a", "auto"), /\. \/etc\/os-release/);
        assert.match(osTrustCheckScript("a", "auto"), /\. \/etc\/os-release/);
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
    for (const family of ["debian", "rhel"] as const) {
        it(`${family}: apply installs the staged bundle, check finds an anchor removed or changed by hand, apply heals it, a gone bundle removes the anchors (run in sh, paths in a temporary directory)`, () => {
            const t = trustSandbox();
            try {
                const anchor = "airgap-registry-ca";
                const store =
                    family === "debian" ? "/usr/local/share/ca-certificates" : "/etc/pki/ca-trust/source/anchors";
                const update = family === "debian" ? "update-ca-certificates" : "update-ca-trust";
                const apply = () => t.run(osTrustApplyScript(anchor, family), { [store]: t.store });
                const check = () => t.run(osTrustCheckScript(anchor, family), { [store]: t.store });
                const anchors = () => fs.readdirSync(t.store).sort();
                const read = (f: string) => fs.readFileSync(path.join(t.store, f), "utf8");
                fs.writeFileSync(path.join(t.store, "other.crt"), pemOf(9));

                const before = check();
                assert.equal(before.code, 1, "no bundle yet: the check fails");
                assert.match(before.stderr, /airgap-registry-ca\.pem is missing/);

                fs.writeFileSync(t.bundle(anchor), pemOf(1) + pemOf(2));
                const installed = apply();
                assert.equal(installed.code, 0, installed.stderr);
                assert.equal(
                    installed.stdout,
                    `installed airgap-registry-ca.crt airgap-registry-ca.2.crt in the ${family} trust store (${t.store})\n`,
                );
                assert.deepEqual(anchors(), ["airgap-registry-ca.2.crt", "airgap-registry-ca.crt", "other.crt"]);
                assert.equal(read("airgap-registry-ca.crt"), pemOf(1));
                assert.equal(read("airgap-registry-ca.2.crt"), pemOf(2));
                assert.deepEqual(t.updates(), [family === "debian" ? update : `${update} extract`]);

                const ok = check();
                assert.equal(ok.code, 0, ok.stderr);
                assert.equal(
                    ok.stdout,
                    `the ${family} trust store holds the 2 certificate(s) of ${t.bundle(anchor)}\n`,
                );

                fs.rmSync(path.join(t.store, "airgap-registry-ca.2.crt"));
                const lost = check();
                assert.equal(lost.code, 1);
                assert.match(lost.stderr, /airgap-registry-ca\.2\.crt is missing or is not certificate 2 of/);
                fs.writeFileSync(path.join(t.store, "airgap-registry-ca.crt"), pemOf(7));
                const changed = check();
                assert.equal(changed.code, 1);
                assert.match(changed.stderr, /\/airgap-registry-ca\.crt is missing or is not certificate 1 of/);

                assert.equal(apply().code, 0);
                assert.equal(check().code, 0, "apply healed both anchors");
                assert.equal(read("airgap-registry-ca.crt"), pemOf(1));
                if (family === "debian") {
                    assert.equal(
                        t.updates().pop(),
                        `${update} --fresh`,
                        "an anchor rewritten: the store is rebuilt in full",
                    );
                }

                fs.writeFileSync(t.bundle(anchor), pemOf(2));
                assert.equal(apply().code, 0);
                assert.deepEqual(
                    anchors(),
                    ["airgap-registry-ca.crt", "other.crt"],
                    "a shorter bundle: the extra anchor goes",
                );
                assert.equal(read("airgap-registry-ca.crt"), pemOf(2));
                assert.equal(check().code, 0);

                fs.rmSync(t.bundle(anchor));
                const removed = apply();
                assert.equal(removed.code, 0, removed.stderr);
                assert.match(
                    removed.stdout,
                    /removed airgap-registry-ca\.crt and its numbered anchors from the trust store/,
                );
                assert.deepEqual(anchors(), ["other.crt"], "only the anchor's own files go");
                assert.equal(read("other.crt"), pemOf(9));
                assert.equal(check().code, 1, "no bundle: the check fails");
            } finally {
                t.cleanup();
            }
        });
    }
    it("auto on an OS of neither family: apply and check exit 3 naming osFamily (run in sh)", () => {
        const t = trustSandbox();
        try {
            const osRelease = path.join(t.root, "os-release");
            fs.writeFileSync(osRelease, "ID=arch\n");
            fs.writeFileSync(t.bundle("a"), pemOf(1));
            for (const text of [osTrustApplyScript("a", "auto"), osTrustCheckScript("a", "auto")]) {
                const r = t.run(text, { "/etc/os-release": osRelease });
                assert.equal(r.code, 3);
                assert.match(r.stderr, /unknown OS family: set osFamily to "debian" or "rhel"/);
            }
            fs.writeFileSync(osRelease, 'ID=rocky\nID_LIKE="rhel centos fedora"\n');
            const rhel = t.run(osTrustApplyScript("a", "auto"), {
                "/etc/os-release": osRelease,
                "/etc/pki/ca-trust/source/anchors": t.store,
            });
            assert.equal(rhel.code, 0, rhel.stderr);
            assert.match(rhel.stdout, /in the rhel trust store/);
        } finally {
            t.cleanup();
        }
    });
    it("certs.d files: ca.crt per directory, hosts.toml for containerd", () => {
        const entries = [
            ...certsDirEntries("registry.lab:5443", ["docker"]),
            ...certsDirEntries("registry.lab:5443", ["containerd"]),
        ];
        assert.deepEqual(certsDirFiles(entries, "CA-PEM"), [
            { path: "/etc/docker/certs.d/registry.lab:5443/ca.crt", content: "CA-PEM" },
            { path: "/etc/containerd/certs.d/registry.lab:5443/ca.crt", content: "CA-PEM" },
            {
                path: "/etc/containerd/certs.d/registry.lab:5443/hosts.toml",
                content:
                    'server = "https://registry.lab:5443"\nca = "/etc/containerd/certs.d/registry.lab:5443/ca.crt"\n',
            },
        ]);
        assert.deepEqual(certsDirFiles([], "CA-PEM"), []);
    });
    it("containerd: ca.crt plus a hosts.toml naming the server and its CA", () => {
        const [entry] = certsDirEntries("registry.lab:5443", ["containerd"]);
        assert.equal(entry.dir, "/etc/containerd/certs.d/registry.lab:5443");
        assert.equal(
            entry.hostsToml,
            'server = "https://registry.lab:5443"\nca = "/etc/containerd/certs.d/registry.lab:5443/ca.crt"\n',
        );
        assert.deepEqual(certsDirEntries("r:1", ["docker", "podman"]), [
            { dir: "/etc/docker/certs.d/r:1" },
            { dir: "/etc/containers/certs.d/r:1" },
        ]);
    });
    it("/etc/hosts lines are tagged; the fragment is those lines, one a line", () => {
        const entries = [
            { ip: "10.0.0.5", names: ["registry.lab", "reg"] },
            { ip: "10.0.0.6", names: ["mirror.lab"] },
        ];
        assert.deepEqual(hostsLines(entries.slice(0, 1), "airgap-registry:x"), [
            "10.0.0.5 registry.lab reg # airgap-registry:x",
        ]);
        assert.equal(
            hostsFragment(entries, "airgap-registry:x"),
            "10.0.0.5 registry.lab reg # airgap-registry:x\n10.0.0.6 mirror.lab # airgap-registry:x\n",
        );
        assert.match(
            hostsApplyScript("/etc/airgap-registry/x.hosts", "airgap-registry:x"),
            /grep -v -F -- '# airgap-registry:x' \/etc\/hosts/,
        );
    });
    it("/etc/hosts from the fragment (run in sh on a copy): apply replaces only tagged lines, check finds a line removed by hand, a gone fragment removes ours", () => {
        const t = trustSandbox();
        try {
            const hosts = path.join(t.root, "hosts");
            const fragment = path.join(t.root, "state", "airgap-registry-ca.hosts");
            const marker = "airgap-registry:ca";
            const site = "127.0.0.1 localhost\n10.1.1.1 site.lab # site\n10.2.2.2 other.lab # airgap-registry:other\n";
            fs.writeFileSync(hosts, site + "10.9.9.9 stale.lab # airgap-registry:ca\n");
            const entries = [
                { ip: "10.0.0.5", names: ["registry.lab", "reg"] },
                { ip: "10.0.0.6", names: ["mirror.lab"] },
            ];
            fs.writeFileSync(fragment, hostsFragment(entries, marker));
            const apply = () => t.run(hostsApplyScript(fragment, marker), { "/etc/hosts": hosts });
            const check = () => t.run(hostsCheckScript(fragment), { "/etc/hosts": hosts });
            const ours = site + hostsFragment(entries, marker);

            assert.equal(check().code, 1, "negative twin: the lines are not there yet");
            const applied = apply();
            assert.equal(applied.code, 0, applied.stderr);
            assert.equal(applied.stdout, `${hosts}: 2 line(s) for ${marker}\n`);
            assert.equal(fs.readFileSync(hosts, "utf8"), ours, "the stale tagged line replaced, other lines kept");
            assert.equal(apply().code, 0);
            assert.equal(fs.readFileSync(hosts, "utf8"), ours, "a second apply changes nothing");
            const ok = check();
            assert.equal(ok.code, 0, ok.stderr);

            fs.writeFileSync(hosts, site + "10.0.0.5 registry.lab reg # airgap-registry:ca\n");
            const lost = check();
            assert.equal(lost.code, 1);
            assert.equal(lost.stderr, `${hosts} lacks: 10.0.0.6 mirror.lab # airgap-registry:ca\n`);
            assert.equal(apply().code, 0);
            assert.equal(fs.readFileSync(hosts, "utf8"), ours, "apply heals it");

            fs.rmSync(fragment);
            const removed = apply();
            assert.equal(removed.code, 0, removed.stderr);
            assert.equal(removed.stdout, `${hosts}: 0 line(s) for ${marker}\n`);
            assert.equal(fs.readFileSync(hosts, "utf8"), site, "only our tagged lines are gone");
            const missing = check();
            assert.equal(missing.code, 1);
            assert.match(missing.stderr, /airgap-registry-ca\.hosts is missing/);
        } finally {
            t.cleanup();
        }
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
    it("on an object store, readiness waits out the storage health check and quotes its error from the engine's log; on the host directory it does not", () => {
        const s = readinessScript(5443, {
            storage: {
                check: { intervalSeconds: 2, threshold: 2 },
                engine: "podman",
                containerName: "airgap-registry",
            },
        });
        assert.match(s, /^sleep 5$/m);
        assert.match(s, /podman logs --tail 500 'airgap-registry' 2>&1 \| awk/);
        assert.equal(shellcheck(s), "");
        const single = readinessScript(5443);
        assert.doesNotMatch(single, /^sleep 5$|storage_error|logs --tail/m);
    });
});

describe("the registry files' label and the restart after a heal", () => {
    const contents = ["chain\n", "key without a newline", "config: é\n", "ci:$2y$10$abc\n"];
    it("filesLabelValue is the SHA-256 of the files concatenated (what `cat f1 f2 ... | sha256sum` gives on the host)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "files-label-"));
        try {
            const files = contents.map((c, i) => {
                const f = path.join(dir, `f${i}`);
                fs.writeFileSync(f, c);
                return f;
            });
            const onHost = execFileSync("sh", ["-c", 'cat "$@" | sha256sum | cut -d" " -f1', "sh", ...files], {
                encoding: "utf8",
            }).trim();
            assert.equal(filesLabelValue(contents), onHost);
            assert.match(onHost, /^[0-9a-f]{64}$/);
            assert.notEqual(filesLabelValue([...contents].reverse()), onHost, "the order counts");
            assert.notEqual(filesLabelValue([...contents.slice(0, 3), "ci:other\n"]), onHost);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
    it("the cli runtime labels the container with the files' digest", () => {
        const create = cliRunScripts({
            engine: "docker",
            containerName: "reg",
            image: "registry:2",
            port: 5443,
            dataDir: "/var/lib/r",
            registryVersion: "2",
            contentHash: "abc",
            filesHash: "f".repeat(64),
            healthcheck: true,
        }).create;
        assert.equal(filesLabel, "airgap-registry.files-sha256");
        assert.ok(create.includes(`--label 'airgap-registry.files-sha256=${"f".repeat(64)}'`), create);
    });

    /** Runs restartOnHealScript under sh with a fake `docker` on PATH (label, health sequence, calls logged). */
    function runRestart(opts: { label?: string; missing?: boolean; health?: string[]; files?: number }) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "restart-on-heal-"));
        try {
            const bin = path.join(dir, "bin");
            fs.mkdirSync(bin);
            const files = contents.slice(0, opts.files ?? contents.length).map((c, i) => {
                const f = path.join(dir, `f${i}`);
                fs.writeFileSync(f, c);
                return f;
            });
            const paths = contents.map((_, i) => path.join(dir, `f${i}`));
            assert.equal(files.length <= paths.length, true);
            fs.writeFileSync(path.join(dir, "label"), opts.label ?? "");
            fs.writeFileSync(path.join(dir, "health"), (opts.health ?? ["healthy"]).join("\n") + "\n");
            if (opts.missing) fs.writeFileSync(path.join(dir, "missing"), "");
            // docker inspect --format <fmt> <name> | docker restart <name>; every call logged.
            fs.writeFileSync(
                path.join(bin, "docker"),
                [
                    "#!/bin/sh",
                    `d=${JSON.stringify(dir)}`,
                    'echo "$*" >> "$d/calls"',
                    'if [ -e "$d/missing" ]; then echo "Error: No such object: $3" >&2; exit 1; fi',
                    'case "$1" in',
                    "  inspect)",
                    '    case "$3" in',
                    '      *files-sha256*) cat "$d/label"; echo ;;',
                    "      *Health*)",
                    '        n=$(cat "$d/polls" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$d/polls"',
                    '        s=$(sed -n "${n}p" "$d/health"); [ -n "$s" ] || s=$(tail -n 1 "$d/health"); echo "$s" ;;',
                    '      *) echo "unexpected format $3" >&2; exit 2 ;;',
                    "    esac ;;",
                    '  restart) echo "$2" ;;',
                    '  *) echo "unexpected docker $1" >&2; exit 2 ;;',
                    "esac",
                ].join("\n") + "\n",
                { mode: 0o755 },
            );
            const r = spawnSync("sh", ["-c", restartOnHealScript("docker", "reg", paths)], {
                encoding: "utf8",
                env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
                timeout: 30_000,
            });
            const calls = fs.existsSync(path.join(dir, "calls"))
                ? fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n")
                : [];
            return { code: r.status, stdout: r.stdout, stderr: r.stderr, calls };
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    it("restartOnHealScript (run in sh, fake docker): the container started for exactly these files is restarted and awaited until healthy", () => {
        const r = runRestart({ label: filesLabelValue(contents), health: ["starting", "healthy"] });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "restarted reg to read the files written back\n");
        assert.deepEqual(
            r.calls.map(
                (c) =>
                    c.split(" ")[0] +
                    (c.includes("Health") ? " (health)" : c.includes("files-sha256") ? " (label)" : ""),
            ),
            ["inspect (label)", "restart", "inspect (health)", "inspect (health)"],
            "restarted once, then polled until healthy",
        );
        assert.ok(r.calls.includes("restart reg"));
    });
    it("restartOnHealScript: a container with another files label is not restarted (this up replaces it), exit 0", () => {
        const r = runRestart({ label: filesLabelValue(["other"]) });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "container reg does not run these files yet: this up starts it\n");
        assert.ok(!r.calls.some((c) => c.startsWith("restart")), r.calls.join("\n"));
    });
    it("restartOnHealScript: a container without the label, or no container at all, is not restarted, exit 0", () => {
        for (const opts of [{ label: "" }, { missing: true, label: filesLabelValue(contents) }]) {
            const r = runRestart(opts);
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, /does not run these files yet/);
            assert.ok(!r.calls.some((c) => c.startsWith("restart")), r.calls.join("\n"));
        }
    });
    it("restartOnHealScript: a file missing on the host is not the files the label names, even when the others hash to it", () => {
        // The label of the first three files only: without the fourth on the host, `cat` fails.
        const r = runRestart({ label: filesLabelValue(contents.slice(0, 3)), files: 3 });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /does not run these files yet/);
        assert.ok(!r.calls.some((c) => c.startsWith("restart")), r.calls.join("\n"));
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
                filesHash: "def",
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
                filesHash: "def",
                healthcheck: false,
            }),
        ),
        ready: readinessScript(5443),
        handover: runtimeHandoverScript("reg"),
        "os-trust-auto (apply)": osTrustApplyScript("airgap-registry-ca", "auto"),
        "os-trust-auto (check)": osTrustCheckScript("airgap-registry-ca", "auto"),
        "os-trust-rhel (apply)": osTrustApplyScript("airgap-registry-ca", "rhel"),
        "os-trust-rhel (check)": osTrustCheckScript("airgap-registry-ca", "rhel"),
        "hosts (apply)": hostsApplyScript(hostsFragmentPath("airgap-registry-ca"), "airgap-registry:ca"),
        "hosts (check)": hostsCheckScript(hostsFragmentPath("airgap-registry-ca")),
        "restart on heal (docker)": restartOnHealScript("docker", "reg", [
            "/var/lib/r/certs/chain.pem",
            "/var/lib/r/auth/htpasswd",
        ]),
        "restart on heal (podman)": restartOnHealScript("podman", "reg", [
            "/var/lib/r/certs/chain.pem",
            "/var/lib/r/certs/server.key",
            "/var/lib/r/config/config.yml",
            "/var/lib/r/auth/htpasswd",
        ]),
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

/** A test PEM certificate body (the scripts only split on the BEGIN/END lines). */
function pemOf(n: number): string {
    return `-----BEGIN CERTIFICATE-----\nQ0Et${n}\n-----END CERTIFICATE-----\n`;
}

/**
 * A temporary directory standing in for a client: the trust state directory (/etc/airgap-registry), an anchor
 * store, and fake `update-ca-certificates` / `update-ca-trust` on PATH that log their calls. `run` runs a rendered
 * script under sh with /etc/airgap-registry (and the given fixed paths) replaced by paths in the directory.
 */
function trustSandbox() {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "trust-"));
    const state = path.join(root, "state");
    const store = path.join(root, "store");
    const bin = path.join(root, "bin");
    const log = path.join(root, "updates.log");
    for (const d of [state, store, bin]) fs.mkdirSync(d);
    for (const tool of ["update-ca-certificates", "update-ca-trust"]) {
        fs.writeFileSync(
            path.join(bin, tool),
            `#!/bin/sh\necho "$(basename "$0")\${*:+ $*}" >> ${JSON.stringify(log)}\n`,
            { mode: 0o755 },
        );
    }
    return {
        root,
        store,
        bundle: (anchor: string) => path.join(state, `${anchor}.pem`),
        updates: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []),
        run(text: string, subs: Record<string, string> = {}) {
            let body = text.split(`${trustStateDir}/`).join(`${state}/`);
            for (const [from, to] of Object.entries(subs)) {
                assert.ok(body.includes(from), `the script names ${from}`);
                body = body.split(from).join(to);
            }
            const r = spawnSync("sh", ["-c", body], {
                encoding: "utf8",
                env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
            });
            return { code: r.status, stdout: r.stdout, stderr: r.stderr };
        },
        cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
    };
}
