import { describe, it, before } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import {
    bcryptForUser, certsDirScripts, engineInstallScripts, filesOfKind, osTrustScripts, populateScript, renderHtpasswd,
    renderRegistryConfig, storageRestoreScript, verifyBundle, BundleManifest,
} from "../../components";
import { dataDirScripts, engineScripts, loadImageScripts } from "../../components/host/hostScripts";
import { cliRunScripts, readinessScript, writeFileScripts } from "../../components/registry/registryScripts";
import { projectRoot } from "../support/engine";
import { labUp, mustRun, onHost } from "../support/lab";
import { makeLabPki } from "../support/labPki";

// The carry-in bundle on real lab hosts: bare.lab has no container engine and no route outside;
// it gets Docker from the bundle's packages, runs the registry from the bundle's image, serves the
// bundle's images (pushed once, not again), and a storage archive restores only into an empty dir.

const bundleDir = path.join(projectRoot, ".lab", "bundle");
const dataDir = "/var/lib/airgap-registry";
const state = `${dataDir}/.state`;
const remotePackages = `${dataDir}/bundle/packages`;
const port = 5443;
const user = "ci";
const password = crypto.randomBytes(18).toString("base64url");

let cfg: string;
let manifest: BundleManifest;
const run = (host: string, command: string, stdin = "") => mustRun(cfg, host, command, stdin);

/** Copies local files into a directory on a lab host (tar over SSH; CopyToRemote's job in a stack). */
function copyTo(host: string, files: string[], remoteDir: string): void {
    const tar = spawnSync("tar", ["-cf", "-", "-C", path.dirname(files[0]), ...files.map((f) => path.basename(f))], { maxBuffer: 1 << 30 });
    const r = spawnSync("ssh", ["-F", cfg, host, `mkdir -p '${remoteDir}' && tar -xf - -C '${remoteDir}'`], { input: tar.stdout, encoding: "utf8", maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
}

function ensureBundle(): void {
    if (fs.existsSync(path.join(bundleDir, "manifest.json")) && verifyBundle(bundleDir).problems.length === 0) return;
    fs.rmSync(bundleDir, { recursive: true, force: true });
    if (!fs.existsSync("/var/lib/apt/lists") || fs.readdirSync("/var/lib/apt/lists").filter((f) => f.endsWith("Packages")).length === 0) {
        execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    }
    execFileSync(process.execPath, [path.join(projectRoot, "dist", "bundle", "cli.js"), "--out", bundleDir,
        "--registry-image", "airgap-registry/registry:2.8", "--image", "airgap-lab/hello:1"], { stdio: ["ignore", "ignore", "inherit"] });
}

describe("carry-in bundle on real lab hosts", { concurrency: false }, () => {
    before(() => {
        cfg = labUp();
        // A fresh bare host every run: no engine, nothing from an earlier run.
        execFileSync("docker", ["rm", "-f", "airgap-lab-bare"], { stdio: "ignore" });
        cfg = labUp();
        ensureBundle();
        const checked = verifyBundle(bundleDir);
        assert.deepEqual(checked.problems, []);
        manifest = checked.manifest as BundleManifest;
    });

    it("bare.lab starts with no container engine", () => {
        assert.notEqual(onHost(cfg, "bare.lab", "command -v docker").code, 0);
        assert.equal(run("bare.lab", "ip route show default; ip -4 addr show eth0 | grep -c inet").trim().split("\n").pop(), "1");
    });

    it("a missing dependency fails by name and leaves the host unchanged", () => {
        const packages = filesOfKind(manifest, "engine-package").map((f) => path.join(bundleDir, f.path));
        // The same bundle with containerd's package gone (its index entry removed too, as if never carried).
        const withoutContainerd = packages.filter((p) => !/\/containerd_/.test(p) && !p.endsWith("/Packages"));
        assert.equal(withoutContainerd.length, packages.length - 2, "the bundle has containerd and an index");
        copyTo("bare.lab", withoutContainerd, "/tmp/partial-packages");
        const index = fs.readFileSync(path.join(bundleDir, "packages", "debian", "Packages"), "utf8").split("\n\n").filter((p) => !/^Package: containerd$/m.test(p)).join("\n\n");
        run("bare.lab", "cat > /tmp/partial-packages/Packages", index);
        const before = run("bare.lab", "dpkg-query -W -f '${Package}\\n' | sort | sha256sum");
        const r = onHost(cfg, "bare.lab", engineInstallScripts("/tmp/partial-packages", "deb", state, manifest.install).create);
        assert.equal(r.code, 5, r.stderr);
        assert.match(r.stderr, /engine install from the bundle failed; missing dependencies: .*containerd/);
        assert.equal(run("bare.lab", "dpkg-query -W -f '${Package}\\n' | sort | sha256sum"), before, "no package was installed");
        assert.notEqual(onHost(cfg, "bare.lab", "command -v docker").code, 0);
        run("bare.lab", "rm -rf /tmp/partial-packages");
    });

    it("the engine installs from the bundle with no network and starts; a second run leaves it alone", () => {
        run("bare.lab", dataDirScripts(dataDir, false).create);
        copyTo("bare.lab", filesOfKind(manifest, "engine-package").map((f) => path.join(bundleDir, f.path)), remotePackages);
        const install = engineInstallScripts(remotePackages, "deb", state, manifest.install);
        const out = run("bare.lab", install.create);
        assert.match(out, /installing docker\.io, curl, ca-certificates from \d+ bundle packages \(no network\)/);
        assert.match(out, /engine .* ready/);
        assert.match(run("bare.lab", engineScripts().create), /engine .* ready/);
        assert.match(run("bare.lab", install.create), /already installed: bundle packages not used/);
    });

    let served = "";
    it("the registry runs from the bundle's image and serves the bundle's images; a re-run pushes nothing", () => {
        const pki = makeLabPki("bare.lab");
        const registryFile = filesOfKind(manifest, "registry-image")[0];
        copyTo("bare.lab", [path.join(bundleDir, registryFile.path)], `${dataDir}/images`);
        assert.match(run("bare.lab", loadImageScripts(state, registryFile.ref as string, `${dataDir}/images/registry-image.tar`).create), /loading/);
        const files: Array<[string, "0600" | "0644", string]> = [
            [`${dataDir}/certs/chain.pem`, "0644", pki.chain],
            [`${dataDir}/certs/server.key`, "0600", pki.serverKey],
            [`${dataDir}/config/config.yml`, "0644", renderRegistryConfig({ httpSecret: crypto.randomBytes(24).toString("hex") })],
            [`${dataDir}/auth/htpasswd`, "0644", renderHtpasswd([{ username: user, bcryptHash: bcryptForUser(user, password) }])],
        ];
        for (const [file, mode, content] of files) run("bare.lab", writeFileScripts(file, mode).create, content);
        run("bare.lab", cliRunScripts({ engine: "docker", containerName: "airgap-registry", image: registryFile.ref as string, port, dataDir, contentHash: "c".repeat(64), healthcheck: true }).create);
        run("bare.lab", readinessScript(port), pki.ca);

        const images = filesOfKind(manifest, "image");
        copyTo("bare.lab", images.map((f) => path.join(bundleDir, f.path)), `${dataDir}/images`);
        const script = populateScript(port, user, images.map((f) => ({ ref: f.ref as string, archivePath: `${dataDir}/images/${path.basename(f.path)}` })));
        const first = onHost(cfg, "bare.lab", script, `${password}\n${pki.ca}`);
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stderr, /airgap-lab\/hello:1@sha256:[0-9a-f]{64} pushed/);
        served = first.stdout.trim();
        assert.match(served, /^airgap-lab\/hello:1@sha256:[0-9a-f]{64}$/);
        const second = onHost(cfg, "bare.lab", script, `${password}\n${pki.ca}`);
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stderr, /already served/);
        assert.doesNotMatch(second.stderr, / pushed/);
        assert.equal(second.stdout.trim(), served, "same digest on the re-run");
        assert.ok(!run("bare.lab", "ps -eo args").includes(password));

        // A client that trusts this registry pulls the served image by digest.
        run("client-a.lab", osTrustScripts("airgap-registry-bare-ca", "auto").create, pki.ca);
        run("client-a.lab", certsDirScripts([`/etc/docker/certs.d/bare.lab:${port}`]).create, pki.ca);
        run("client-a.lab", `docker login bare.lab:${port} --username ${user} --password-stdin`, password);
        const digest = served.split("@")[1];
        run("client-a.lab", `docker pull bare.lab:${port}/airgap-lab/hello@${digest}`);
        run("client-a.lab", `docker logout bare.lab:${port}; docker rmi bare.lab:${port}/airgap-lab/hello@${digest} >/dev/null`);
        run("client-a.lab", certsDirScripts([`/etc/docker/certs.d/bare.lab:${port}`]).delete);
        run("client-a.lab", osTrustScripts("airgap-registry-bare-ca", "auto").delete);
    });

    it("a storage archive restores only into an empty data directory", () => {
        run("bare.lab", `tar -czf /tmp/storage.tar.gz -C ${dataDir}/data .`);
        const restored = "/var/lib/airgap-registry-restored";
        assert.match(run("bare.lab", storageRestoreScript(restored, "/tmp/storage.tar.gz")), /restored registry storage into/);
        assert.match(run("bare.lab", `ls ${restored}/data/docker/registry/v2/repositories/airgap-lab`), /hello/);
        run("bare.lab", `echo keep > ${restored}/data/marker`);
        assert.match(run("bare.lab", storageRestoreScript(restored, "/tmp/storage.tar.gz")), /is not empty: storage archive not restored, existing data kept/);
        assert.equal(run("bare.lab", `cat ${restored}/data/marker`).trim(), "keep");
        run("bare.lab", `rm -rf ${restored} /tmp/storage.tar.gz`);
    });

    it("delete removes exactly the packages the install added", () => {
        run("bare.lab", "docker rm -f airgap-registry >/dev/null");
        run("bare.lab", engineInstallScripts(remotePackages, "deb", state).delete);
        assert.notEqual(onHost(cfg, "bare.lab", "command -v docker").code, 0);
        assert.equal(onHost(cfg, "bare.lab", "command -v sshd || ls /usr/sbin/sshd").code, 0, "what was there before stays");
    });
});
