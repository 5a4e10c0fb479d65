/** Rendered scripts the engine suite does not reach, run over SSH on the lab hosts. */

import { describe, it, before } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import {
    bcryptForUser,
    certsDirEntries,
    certsDirFiles,
    desiredDaemonKeys,
    factsScript,
    hostsApplyScript,
    hostsCheckScript,
    hostsFragment,
    hostsFragmentPath,
    mergeDaemonJson,
    osTrustApplyScript,
    osTrustCheckScript,
    parseHostFacts,
    renderHtpasswd,
    renderRegistryConfig,
    stagedBundlePath,
} from "../../components/internal";
import {
    daemonJsonScripts,
    dataDirScripts,
    dockerGroupScripts,
    engineScripts,
    loadImageScripts,
    selinuxPermissiveScripts,
} from "../../components/host/hostScripts";
import { populateScript } from "../../components/registry/populationScripts";
import {
    cliRunScripts,
    filesLabelValue,
    readinessScript,
    restartOnHealScript,
    writeFileScripts,
} from "../../components/registry/registryScripts";
import { projectRoot } from "../support/engine";
import { labUp, mustRun, onHost } from "../support/lab";
import { makeLabPki } from "../support/labPki";

// Rendered scripts run over SSH on the lab's hosts for what the engine suite (test/engine, the
// whole graph through `pulumi up`) does not reach: a daemon.json an admin already wrote (merged,
// engine restarted once, original restored), docker-group users, SELinux absent, /etc/hosts
// entries, the key's mode and no secret on any command line, containerd's hosts.toml, and each
// delete undoing its create. Secrets go on stdin, as remote.Command sends them. ClientTrust's
// files (staged CA bundle, hosts fragment) are written here the way HostFiles leaves them, then
// its onChange/check scripts run; a test-only anchor name keeps a real stack's files untouched.

const dataDir = "/var/lib/airgap-registry";
const state = `${dataDir}/.state`;
const port = 5443;
const endpoint = `registry.lab:${port}`;
const image = "airgap-registry/registry:2.8";
const user = "ci";
const password = crypto.randomBytes(18).toString("base64url");
/** Anchor name of the trust tests: no stack uses it, so nothing of a real stack's trust is touched. */
const testAnchor = "airgap-registry-labtest-ca";

let cfg: string;
let ca: string;
let chain: string;
let serverKey: string;
/** The registry's files on registry.lab, in the files label's order, and their digest (set by the registry test). */
let filePaths: string[] = [];
let filesHash = "";
const run = (host: string, command: string, stdin = "") => mustRun(cfg, host, command, stdin);

describe("rendered scripts on real lab hosts", { concurrency: false }, () => {
    before(() => {
        cfg = labUp();
        ({ ca, chain, serverKey } = makeLabPki("registry.lab"));
        // Start from a clean registry host and clients (the lab is reused between runs).
        run(
            "registry.lab",
            `docker rm -f airgap-registry >/dev/null 2>&1 || true; docker rmi -f ${image} >/dev/null 2>&1 || true; rm -rf ${dataDir} /etc/docker/daemon.json`,
        );
        for (const c of ["client-a.lab", "client-b.lab", "outsider.lab"]) {
            run(
                c,
                `rm -rf /etc/docker/certs.d/registry.lab:5443 /etc/containerd/certs.d/registry.lab:5443 /usr/local/share/ca-certificates/airgap-registry-ca*.crt /usr/local/share/ca-certificates/${testAnchor}*.crt /etc/airgap-registry/${testAnchor}.* && update-ca-certificates --fresh >/dev/null 2>&1; docker logout registry.lab:5443 >/dev/null 2>&1 || true; docker rmi -f registry.lab:5443/hello:1 >/dev/null 2>&1 || true; t=$(mktemp); grep -v -F 'airgap-registry:labtest' /etc/hosts > "$t" || true; cat "$t" > /etc/hosts; rm -f "$t"`,
            );
        }
    });

    it("the lab network is internal: a lab host cannot leave it (traffic only between lab hosts)", () => {
        // The bastion sits on the lab network and on a second (edge) network. From a lab host its
        // lab address answers and its edge address does not: nothing leaves the internal network.
        assert.equal(
            execFileSync("docker", ["network", "inspect", "-f", "{{.Internal}}", "airgap-lab"], {
                encoding: "utf8",
            }).trim(),
            "true",
        );
        const ip = (net: string) =>
            execFileSync(
                "docker",
                ["inspect", "-f", `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, "airgap-lab-bastion"],
                { encoding: "utf8" },
            ).trim();
        const probe = (addr: string) => onHost(cfg, "client-a.lab", `timeout 3 bash -c '</dev/tcp/${addr}/22'`).code;
        assert.equal(probe(ip("airgap-lab")), 0, "positive twin: the bastion's lab address answers");
        assert.notEqual(probe(ip("airgap-lab-edge")), 0, "the bastion's edge address must be unreachable from the lab");
    });

    it("host preparation: facts, data dir, engine, daemon.json merged (engine restarted once), image loaded once", () => {
        const facts = parseHostFacts(run("registry.lab", factsScript()));
        assert.deepEqual({ osFamily: facts.osFamily, engine: facts.engine }, { osFamily: "debian", engine: "docker" });
        run(
            "registry.lab",
            'printf \'%s\' \'{"debug": false, "log-opts": {"labels": "site"}}\' > /etc/docker/daemon.json',
        );
        const existing = parseHostFacts(run("registry.lab", factsScript())).daemonJson;
        const dirs = dataDirScripts(dataDir, false);
        run("registry.lab", dirs.create);
        assert.match(run("registry.lab", engineScripts().create), /engine .* ready/);
        const merged = mergeDaemonJson(existing, desiredDaemonKeys()).text;
        const daemon = daemonJsonScripts(state);
        assert.match(
            run("registry.lab", daemon.create, merged),
            /daemon\.json updated\nrestarting the container engine/,
        );
        assert.deepEqual(JSON.parse(run("registry.lab", "cat /etc/docker/daemon.json")), {
            debug: false,
            "log-opts": { labels: "site", "max-size": "10m", "max-file": "3" },
            "live-restore": true,
            "log-driver": "json-file",
        });
        assert.equal(
            run("registry.lab", "docker info --format '{{.LiveRestoreEnabled}}'").trim(),
            "true",
            "the restarted engine runs with the merged file",
        );
        assert.equal(
            run("registry.lab", daemon.create, merged).trim(),
            "daemon.json unchanged",
            "a second run changes nothing",
        );

        const tarball = fs.readFileSync(path.join(projectRoot, ".lab", "images", "registry-image.tar"));
        const copied = onHost(cfg, "registry.lab", `cat > ${dataDir}/images/registry-image.tar`, tarball);
        assert.equal(copied.code, 0, copied.stderr);
        const load = loadImageScripts(state, image, { path: `${dataDir}/images/registry-image.tar`, id: "lab" });
        assert.match(run("registry.lab", load.create), /loading airgap-registry\/registry:2\.8/);
        assert.match(run("registry.lab", load.create), /already present/);
    });

    it("docker group: a user is added and removed again; SELinux absent: nothing changes", () => {
        run("registry.lab", "id ops >/dev/null 2>&1 || useradd --no-create-home ops");
        const group = dockerGroupScripts(state, ["ops"]);
        run("registry.lab", group.create);
        assert.match(run("registry.lab", "id -nG ops"), /\bdocker\b/);
        run("registry.lab", group.create);
        assert.equal(
            run("registry.lab", `cat ${state}/docker-group-added`).trim(),
            "ops",
            "recorded once, though run twice",
        );
        run("registry.lab", group.delete);
        assert.doesNotMatch(run("registry.lab", "id -nG ops"), /\bdocker\b/);
        run("registry.lab", "userdel ops");
        const selinux = selinuxPermissiveScripts(state);
        assert.match(run("registry.lab", selinux.create), /selinux: absent/);
        assert.equal(onHost(cfg, "registry.lab", `test -e ${state}/selinux-was-enforcing`).code, 1);
        run("registry.lab", selinux.delete);
    });

    it("/etc/hosts from the hosts fragment: applied in place (a bind mount here), checked, healed, and removed without touching other lines", () => {
        const before = run("client-b.lab", "cat /etc/hosts");
        const marker = "airgap-registry:labtest";
        const fragment = hostsFragmentPath(testAnchor);
        // What HostFiles leaves on the host: the fragment file.
        run(
            "client-b.lab",
            `mkdir -p /etc/airgap-registry && cat > ${fragment}`,
            hostsFragment([{ ip: "10.99.0.7", names: ["mirror.lab", "mirror"] }], marker),
        );
        const check = () => onHost(cfg, "client-b.lab", hostsCheckScript(fragment));
        assert.equal(check().code, 1, "negative twin: not in /etc/hosts before the apply");
        assert.equal(
            run("client-b.lab", hostsApplyScript(fragment, marker)).trim(),
            `/etc/hosts: 1 line(s) for ${marker}`,
        );
        run("client-b.lab", hostsApplyScript(fragment, marker));
        assert.equal(run("client-b.lab", "getent hosts mirror.lab").trim(), "10.99.0.7       mirror.lab mirror");
        assert.equal(run("client-b.lab", `grep -c '${marker}' /etc/hosts`).trim(), "1", "one line after two runs");
        assert.equal(check().code, 0, check().stderr);

        // Removed by hand (in place: /etc/hosts is a bind mount).
        run("client-b.lab", `t=$(mktemp); grep -v -F '${marker}' /etc/hosts > "$t"; cat "$t" > /etc/hosts; rm -f "$t"`);
        const lost = check();
        assert.equal(lost.code, 1);
        assert.equal(lost.stderr, `/etc/hosts lacks: 10.99.0.7 mirror.lab mirror # ${marker}\n`);
        run("client-b.lab", hostsApplyScript(fragment, marker));
        assert.equal(check().code, 0, "the apply healed it");
        assert.equal(run("client-b.lab", "getent hosts mirror.lab").trim(), "10.99.0.7       mirror.lab mirror");

        // The HostFiles deleted: the fragment is gone, the apply removes our lines.
        run("client-b.lab", `rm -f ${fragment}`);
        assert.equal(
            run("client-b.lab", hostsApplyScript(fragment, marker)).trim(),
            `/etc/hosts: 0 line(s) for ${marker}`,
        );
        assert.equal(run("client-b.lab", "cat /etc/hosts"), before);
        assert.match(check().stderr, /airgap-registry-labtest-ca\.hosts is missing/);
    });

    it("registry: files from stdin (key 0600), container healthy, 401 over verified TLS on the host", () => {
        const files: Array<[string, "0600" | "0644", string]> = [
            [`${dataDir}/certs/chain.pem`, "0644", chain],
            [`${dataDir}/certs/server.key`, "0600", serverKey],
            [
                `${dataDir}/config/config.yml`,
                "0644",
                renderRegistryConfig({
                    httpSecret: crypto.randomBytes(24).toString("hex"),
                    registryVersion: "2",
                }),
            ],
            [
                `${dataDir}/auth/htpasswd`,
                "0644",
                renderHtpasswd([{ username: user, bcryptHash: bcryptForUser(user, password) }]),
            ],
        ];
        for (const [file, mode, content] of files) run("registry.lab", writeFileScripts(file, mode).create, content);
        filePaths = files.map(([file]) => file);
        filesHash = filesLabelValue(files.map(([, , content]) => content));
        assert.equal(run("registry.lab", `stat -c %a ${dataDir}/certs/server.key`).trim(), "600");
        assert.ok(!run("registry.lab", "ps -eo args").includes(password), "no password on any command line");
        const container = cliRunScripts({
            engine: "docker",
            containerName: "airgap-registry",
            image,
            port,
            dataDir,
            registryVersion: "2",
            contentHash: "a".repeat(64),
            filesHash,
            healthcheck: true,
        });
        assert.match(run("registry.lab", container.create), /^[0-9a-f]{64}$/m);
        assert.match(
            run("registry.lab", readinessScript(port), ca),
            /registry ready: https:\/\/localhost:5443\/v2\/ answers 401 over verified TLS/,
        );
    });

    it("restart on heal: the container started for the files on the host is restarted and healthy again; after another file is written, it is left alone", () => {
        const startedAt = () =>
            run("registry.lab", "docker inspect --format '{{.State.StartedAt}}' airgap-registry").trim();
        assert.equal(
            run(
                "registry.lab",
                `docker inspect --format '{{index .Config.Labels "airgap-registry.files-sha256"}}' airgap-registry`,
            ).trim(),
            filesHash,
            "the container carries the digest of its files",
        );
        const first = startedAt();
        const heal = restartOnHealScript("docker", "airgap-registry", filePaths);
        assert.equal(run("registry.lab", heal).trim(), "restarted airgap-registry to read the files written back");
        assert.notEqual(startedAt(), first, "restarted");
        assert.equal(
            run("registry.lab", "docker inspect --format '{{.State.Health.Status}}' airgap-registry").trim(),
            "healthy",
        );
        assert.match(run("registry.lab", readinessScript(port), ca), /registry ready/);

        // The config changed on the host (as a new up would write it): not the container's files, no restart.
        const config = filePaths.find((f) => f.endsWith("config.yml")) as string;
        run("registry.lab", `cp ${config} ${config}.orig && printf '# changed\\n' >> ${config}`);
        try {
            const second = startedAt();
            assert.match(run("registry.lab", heal), /does not run these files yet/);
            assert.equal(startedAt(), second, "not restarted");
        } finally {
            run("registry.lab", `mv ${config}.orig ${config}`);
        }
    });

    it("image population: a push that fails after the login leaves no credentials on the host", () => {
        run("registry.lab", "docker logout localhost:5443 >/dev/null 2>&1 || true");
        const failed = onHost(
            cfg,
            "registry.lab",
            populateScript(
                port,
                user,
                [{ ref: "team/missing:1", archivePath: "/nonexistent/missing.tar" }],
                `${dataDir}/certs/chain.pem`,
            ),
            `${password}\n`,
        );
        assert.notEqual(failed.code, 0, "the population must fail: its archive does not exist");
        assert.match(failed.stderr, /missing\.tar/, "it failed at the archive, after the login");
        assert.doesNotMatch(
            run("registry.lab", "cat /root/.docker/config.json 2>/dev/null || true"),
            /localhost:5443/,
            "docker forgot the login: the password is not left in root's docker config",
        );
    });

    it("OS trust store from the staged bundle: a two-CA bundle is one anchor file a CA, both in OpenSSL's hashed directory; the check finds an anchor removed by hand, the apply heals it; a shorter bundle and a gone one take exactly the extra files away", () => {
        // outsider.lab trusts neither lab CA elsewhere. Both CAs have the same subject, as a rotation's may.
        const next = makeLabPki("registry.lab");
        const leaf = (pemChain: string) => pemChain.slice(0, pemChain.indexOf("-----END CERTIFICATE-----") + 26);
        const store = "/usr/local/share/ca-certificates";
        const bundle = stagedBundlePath(testAnchor);
        const apply = osTrustApplyScript(testAnchor, "auto");
        const check = () => onHost(cfg, "outsider.lab", osTrustCheckScript(testAnchor, "auto"));
        // What HostFiles leaves on the host: the staged bundle.
        const stage = (pem: string) => run("outsider.lab", `mkdir -p /etc/airgap-registry && cat > ${bundle}`, pem);
        const anchors = () =>
            run("outsider.lab", `ls ${store} | grep '^${testAnchor}' || true`).trim().split("\n").filter(Boolean);
        // Verified with the hashed directory only, as TLS clients that use CApath see it. A failure must be the
        // missing issuer, not anything else.
        const verify = (pemChain: string) => {
            const r = onHost(
                cfg,
                "outsider.lab",
                "openssl verify -no-CAfile -CApath /etc/ssl/certs /dev/stdin 2>&1",
                leaf(pemChain),
            );
            return r.code === 0 && /: OK$/m.test(r.stdout)
                ? "trusted"
                : /unable to get local issuer certificate/.test(r.stdout)
                  ? "untrusted"
                  : `verify failed otherwise: ${r.stdout}`;
        };
        assert.equal(verify(chain), "untrusted", "negative twin: not trusted before");
        assert.match(check().stderr, /airgap-registry-labtest-ca\.pem is missing/);

        stage(ca + next.ca);
        assert.match(
            run("outsider.lab", apply),
            /installed airgap-registry-labtest-ca\.crt airgap-registry-labtest-ca\.2\.crt in the debian trust store \(\/usr\/local\/share\/ca-certificates\)/,
        );
        assert.deepEqual(anchors(), [`${testAnchor}.2.crt`, `${testAnchor}.crt`]);
        assert.equal(verify(chain), "trusted", "the current CA is in the hashed directory");
        assert.equal(verify(next.chain), "trusted", "and so is the next one");
        const ok = check();
        assert.equal(ok.code, 0, ok.stderr);
        assert.match(
            ok.stdout,
            /the debian trust store holds the 2 certificate\(s\) of \/etc\/airgap-registry\/airgap-registry-labtest-ca\.pem/,
        );

        // An anchor removed by hand (and the store rebuilt without it): the check names it, the apply heals it.
        run("outsider.lab", `rm -f ${store}/${testAnchor}.2.crt && update-ca-certificates --fresh >/dev/null 2>&1`);
        assert.equal(verify(next.chain), "untrusted", "the removed anchor is out of the hashed directory");
        const lost = check();
        assert.equal(lost.code, 1);
        assert.match(
            lost.stderr,
            /\/usr\/local\/share\/ca-certificates\/airgap-registry-labtest-ca\.2\.crt is missing or is not certificate 2 of/,
        );
        run("outsider.lab", apply);
        assert.equal(check().code, 0, "healed");
        assert.equal(verify(next.chain), "trusted", "back in the hashed directory");

        stage(next.ca);
        run("outsider.lab", apply);
        assert.deepEqual(anchors(), [`${testAnchor}.crt`], "the second anchor is gone");
        assert.equal(verify(chain), "untrusted", "the retired CA is no longer trusted");
        assert.equal(verify(next.chain), "trusted");
        assert.equal(check().code, 0);

        // The HostFiles deleted: the bundle is gone, the apply removes the anchors.
        run("outsider.lab", `rm -f ${bundle}`);
        assert.match(run("outsider.lab", apply), /removed airgap-registry-labtest-ca\.crt and its numbered anchors/);
        assert.deepEqual(anchors(), []);
        assert.equal(verify(next.chain), "untrusted", "nothing of ours left in the store");
        assert.equal(check().code, 1);
    });

    it("containerd trusts the registry through its hosts directory alone (certsDirFiles: ca.crt and hosts.toml; no OS trust store), and stops when they are gone", () => {
        // outsider.lab has the CA nowhere else, so what ctr trusts comes from hosts.toml.
        const entries = certsDirEntries(endpoint, ["containerd"]);
        const files = certsDirFiles(entries, ca);
        assert.deepEqual(
            files.map((f) => f.path),
            [`/etc/containerd/certs.d/${endpoint}/ca.crt`, `/etc/containerd/certs.d/${endpoint}/hosts.toml`],
        );
        const pull = (hostsDir: boolean) =>
            onHost(
                cfg,
                "outsider.lab",
                `ctr --address /run/docker/containerd/containerd.sock images pull ${hostsDir ? "--hosts-dir /etc/containerd/certs.d " : ""}${endpoint}/hello:1 2>&1`,
            );
        assert.match(
            pull(false).stdout,
            /x509: certificate signed by unknown authority/,
            "negative twin: no hosts dir",
        );
        // Placed as HostFiles places them: the directory, then each file's content.
        for (const f of files) run("outsider.lab", `mkdir -p "$(dirname '${f.path}')" && cat > '${f.path}'`, f.content);
        const trusted = pull(true);
        assert.notEqual(trusted.code, 0);
        assert.match(
            trusted.stdout,
            /401 Unauthorized/,
            "TLS verified through hosts.toml; the registry then asks for credentials",
        );
        assert.doesNotMatch(trusted.stdout, /x509/);
        run("outsider.lab", `rm -rf '/etc/containerd/certs.d/${endpoint}'`);
        assert.match(pull(true).stdout, /x509: certificate signed by unknown authority/);
    });

    it("deletes undo exactly what the creates did, and the registry data stays", () => {
        run(
            "registry.lab",
            cliRunScripts({
                engine: "docker",
                containerName: "airgap-registry",
                image,
                port,
                dataDir,
                registryVersion: "2",
                contentHash: "b".repeat(64),
                filesHash: "c".repeat(64),
                healthcheck: true,
            }).delete,
        );
        assert.equal(run("registry.lab", "docker ps -aq --filter name=^airgap-registry$").trim(), "");
        run(
            "registry.lab",
            loadImageScripts(state, image, { path: `${dataDir}/images/registry-image.tar`, id: "lab" }).delete,
        );
        assert.equal(
            onHost(cfg, "registry.lab", `docker image inspect ${image}`).code,
            1,
            "the image this step loaded is removed",
        );
        run("registry.lab", daemonJsonScripts(state).delete);
        assert.deepEqual(
            JSON.parse(run("registry.lab", "cat /etc/docker/daemon.json")),
            { debug: false, "log-opts": { labels: "site" } },
            "original daemon.json restored",
        );
        run("registry.lab", `mkdir -p ${dataDir}/data/docker/registry/v2/repositories/hello`);
        run("registry.lab", dataDirScripts(dataDir, false).delete);
        assert.match(
            run("registry.lab", `ls ${dataDir}/data/docker/registry/v2/repositories`),
            /hello/,
            "registry storage kept on destroy",
        );
        assert.equal(run("registry.lab", `ls ${dataDir}`).trim(), "data");
        run("registry.lab", dataDirScripts(dataDir, true).delete);
        assert.equal(
            onHost(cfg, "registry.lab", `test -e ${dataDir}`).code,
            1,
            "removeDataOnDestroy: the storage goes too",
        );
    });
});
