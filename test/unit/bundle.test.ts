/** The bundle: manifest, verification, contents, the bundle writer's names, and the bundle's resources under mocks. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { installMocks, recordingRoot, settle, resetRecorded, RecordedResource } from "../support/mocks";
import { existingFile, knownHostsFile } from "../support/fixtures";
import { shellcheck } from "../support/shellcheck";
import {
    BundleFileKind,
    BundleManifest,
    describeFile,
    partSizes,
    manifestName,
    verifyBundle,
    bundleContents,
    PrivateRegistry,
    InvalidArgumentsError,
    engineInstallScripts,
    populateScript,
    servedName,
    storageRestoreScript,
} from "../../components/internal";
import { imageFileName } from "../../bundleWriter/cli";
import {
    lockedPulumiVersions,
    minimumNodeMajor,
    nodeSatisfies,
    pickSha256Sums,
    projectFilesToCarry,
    pulumiDistFileNames,
} from "../../bundleWriter/deployTool";

installMocks();

/** A small bundle on disk: registry image, two engine packages, one image to serve, a storage archive. */
function makeBundle(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-bundle-"));
    const put = (rel: string, content: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), content);
    };
    put("registry/registry-image.tar", "registry image bytes");
    put("packages/debian/docker.io_20.10_amd64.deb", "deb one");
    put("packages/debian/containerd_1.6_amd64.deb", "deb two");
    put("images/team_app_1.tar", "app image bytes");
    put("storage/registry-storage.tar.gz", "storage bytes");
    const manifest: BundleManifest = {
        version: 1,
        created: "2026-11-23T00:00:00Z",
        target: "debian-bookworm",
        files: [
            describeFile(dir, "registry/registry-image.tar", "registry-image", { ref: "airgap-registry/registry:2.8" }),
            describeFile(dir, "packages/debian/containerd_1.6_amd64.deb", "engine-package", { format: "deb" }),
            describeFile(dir, "packages/debian/docker.io_20.10_amd64.deb", "engine-package", { format: "deb" }),
            describeFile(dir, "images/team_app_1.tar", "image", { ref: "team/app:1" }),
            describeFile(dir, "storage/registry-storage.tar.gz", "storage"),
        ],
    };
    fs.writeFileSync(path.join(dir, manifestName), JSON.stringify(manifest));
    return dir;
}

describe("bundle manifest verification", () => {
    it("an intact bundle has no problems", () => {
        assert.deepEqual(verifyBundle(makeBundle()).problems, []);
    });
    const cases: Array<[string, (dir: string) => void, RegExp]> = [
        [
            "a missing file is named",
            (d) => fs.rmSync(path.join(d, "images/team_app_1.tar")),
            /^`bundlePath`: images\/team_app_1\.tar is missing$/,
        ],
        [
            "an altered file of the same size is named",
            (d) => fs.writeFileSync(path.join(d, "packages/debian/containerd_1.6_amd64.deb"), "deb TWO"),
            /^`bundlePath`: packages\/debian\/containerd_1\.6_amd64\.deb does not match its SHA-256 in the manifest \(altered\)$/,
        ],
        [
            "a truncated file is named",
            (d) => fs.writeFileSync(path.join(d, "registry/registry-image.tar"), "short"),
            /^`bundlePath`: registry\/registry-image\.tar has 5 bytes, the manifest says 20/,
        ],
        [
            "a manifest path leaving the bundle is refused",
            (d) => {
                const m = JSON.parse(fs.readFileSync(path.join(d, manifestName), "utf8"));
                m.files.push({ path: "../../etc/passwd", kind: "image", sha256: "x", size: 1 });
                fs.writeFileSync(path.join(d, manifestName), JSON.stringify(m));
            },
            /points outside the bundle/,
        ],
        ["no manifest", (d) => fs.rmSync(path.join(d, manifestName)), /^`bundlePath`: cannot read .*manifest\.json/],
    ];
    for (const [title, damage, message] of cases) {
        it(title, () => {
            const dir = makeBundle();
            damage(dir);
            const { problems } = verifyBundle(dir);
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], message);
        });
    }
    it("bundleContents takes the registry image, the package dir, the images and the storage archive", () => {
        const dir = makeBundle();
        const c = bundleContents(dir, verifyBundle(dir).manifest as BundleManifest);
        assert.deepEqual(c.registryImage, {
            path: path.join(dir, "registry/registry-image.tar"),
            ref: "airgap-registry/registry:2.8",
        });
        assert.equal(c.enginePackages?.dir, path.join(dir, "packages/debian"));
        assert.equal(c.enginePackages?.format, "deb");
        assert.match(c.enginePackages?.contentHash ?? "", /^[0-9a-f]{64}$/);
        assert.deepEqual(
            c.images.map((i) => i.ref),
            ["team/app:1"],
        );
        assert.equal(c.storageArchive, path.join(dir, "storage/registry-storage.tar.gz"));
    });
});

describe("served names and archive names (table)", () => {
    const cases: Array<[string, string, string]> = [
        ["team/app:1", "team/app", "1"],
        ["registry.lab:5443/team/app:1.2", "team/app", "1.2"],
        ["localhost:5000/app", "app", "latest"],
        ["busybox", "busybox", "latest"],
    ];
    for (const [ref, repository, tag] of cases) {
        it(ref, () => assert.deepEqual(servedName(ref), { repository, tag }));
    }
    it("archive file names carry no registry host or slashes", () => {
        assert.equal(imageFileName("registry.lab:5443/team/app:1"), "team_app_1.tar");
        assert.equal(imageFileName("airgap-lab/hello:1"), "airgap-lab_hello_1.tar");
    });
});

describe("bundle scripts", () => {
    it("engine install: offline apt, names missing dependencies, records what it added; leaves engines alone", () => {
        const s = engineInstallScripts("/var/lib/r/bundle/packages", "deb", "/var/lib/r/.state", "0123abcd");
        assert.match(s.create, /index=\$\(find '\/var\/lib\/r\/bundle\/packages' -name Packages -type f -print/);
        assert.match(s.create, /echo "deb \[trusted=yes\] file:\$pkgdir \.\/" > "\$repo\/sources\.list"/);
        assert.match(
            s.create,
            /-o Dir::Etc::SourceParts=\/nonexistent -o Dir::State::Lists=\$repo\/lists/,
            "the host's own sources are not used",
        );
        assert.match(
            s.create,
            /apt-get \$apt_opts install -y --no-install-recommends -o Dpkg::Options::=--force-confold 'docker\.io'/,
        );
        assert.match(s.create, /missing dependencies: \$\(grep -oE 'Depends: \[\^ \]\+'/);
        assert.match(s.create, /a container engine is already installed: bundle packages not used/);
        assert.match(
            s.delete,
            /xargs env DEBIAN_FRONTEND=noninteractive apt-get remove -y < '\/var\/lib\/r\/\.state\/engine-packages-added\.0123abcd'/,
        );
        assert.match(s.delete, /rm -rf '\/var\/lib\/r\/bundle\/packages'$/m, "the copied packages go with it");
        const rpm = engineInstallScripts("/p", "rpm", "/s", "0123abcd");
        assert.match(rpm.create, /dnf install -y --disablerepo='\*' --nogpgcheck "\$pkgdir"\/\*\.rpm/);
    });
    it("engine install: a new package set on a host with an engine takes over the earlier sets' records", () => {
        const s = engineInstallScripts("/d/bundle/packages-b", "deb", "/d/.state", "bbbb");
        const adopt = s.create.slice(0, s.create.indexOf("a container engine is already installed"));
        assert.match(adopt, /for earlier in '\/d\/\.state\/engine-packages-added'\*; do/);
        assert.match(adopt, /"\$earlier" != '\/d\/\.state\/engine-packages-added\.bbbb'/);
        assert.match(adopt, /cat "\$earlier" >> '\/d\/\.state\/engine-packages-added\.bbbb'\n\s+rm -f "\$earlier"/);
    });
    it("restore only into an empty data directory", () => {
        assert.match(
            storageRestoreScript("/var/lib/r", "/var/lib/r/images/s.tar.gz"),
            /is not empty: storage archive not restored, existing data kept/,
        );
    });
    it("population: password on stdin, the CA from the served chain; no password on any command line", () => {
        const s = populateScript(
            5443,
            "ci",
            [{ ref: "team/app:1", archivePath: "/var/lib/r/images/serve-team-app-1.tar" }],
            "/var/lib/r/certs/chain.pem",
        );
        assert.match(s, /^IFS= read -r password$/m);
        assert.match(s, /--password-stdin/);
        assert.doesNotMatch(s, /-u "|--password[ =]/);
        assert.match(s, /serve '\/var\/lib\/r\/images\/serve-team-app-1\.tar' 'team\/app:1' 'team\/app' '1'/);
    });
    for (const [name, text] of Object.entries({
        "engine install deb (create)": engineInstallScripts("/p", "deb", "/s", "0123abcd").create,
        "engine install deb (delete)": engineInstallScripts("/p", "deb", "/s", "0123abcd").delete,
        "engine install rpm (create)": engineInstallScripts("/p", "rpm", "/s", "0123abcd").create,
        "storage restore": storageRestoreScript("/d", "/d/a.tgz"),
        populate: populateScript(
            5443,
            "ci",
            [
                { ref: "team/app:1", archivePath: "/a.tar" },
                { ref: "b", archivePath: "/b.tar" },
            ],
            "/d/certs/chain.pem",
        ),
    })) {
        it(`shellcheck: ${name}`, () => assert.equal(shellcheck(`#!/bin/sh\n${text}`), ""));
    }
});

describe("PrivateRegistry with a bundle", () => {
    const key = existingFile();
    const knownHosts = knownHostsFile();
    const args = (bundlePath: string) => ({
        host: {
            address: "registry.lab",
            privateKeyPath: key,
            knownHostsPath: knownHosts,
            names: ["registry.lab"],
            port: 5443,
        },
        users: [{ name: "ci" }],
        bundlePath,
    });
    it("installs the engine from the bundle, restores storage, loads its registry image and serves its images", async () => {
        resetRecorded();
        const dir = makeBundle();
        new PrivateRegistry("b", args(dir), { parent: recordingRoot("bundle-main") });
        const all = await settle();
        const get = (n: string): RecordedResource => {
            const r = all.find((x) => x.name === n);
            assert.ok(r, `${n} missing`);
            return r;
        };
        assert.deepEqual(
            all.filter((r) => r.parent.endsWith("::b-host")).map((r) => r.name),
            [
                "b-host-facts",
                "b-host-data-dir",
                "b-host-engine-packages",
                "b-host-engine-install",
                "b-host-engine",
                "b-host-daemon-json",
                "b-host-storage-archive",
                "b-host-storage-restore",
                "b-host-image-archive",
                "b-host-image",
            ],
        );
        assert.equal(get("b-host-engine-packages").type, "command:remote:CopyToRemote");
        assert.match(
            get("b-host-engine-packages").inputs.remotePath,
            /^\/var\/lib\/airgap-registry\/bundle\/packages-[0-9a-f]{12}$/,
        );
        // The copied directory lands inside remotePath, under its own name (packages/debian -> .../debian).
        assert.match(
            get("b-host-engine-install").inputs.create,
            new RegExp(`find '${get("b-host-engine-packages").inputs.remotePath}' -name Packages`),
        );
        assert.match(
            get("b-host-image").inputs.create,
            /docker image inspect --format '\{\{\.Id\}\}' 'airgap-registry\/registry:2\.8'/,
        );
        assert.deepEqual(
            all.filter((r) => r.parent.endsWith("::b-images")).map((r) => [r.type, r.name]),
            [
                ["command:remote:CopyToRemote", "b-images-archive-team-app-1"],
                ["command:remote:Command", "b-images-push"],
            ],
        );
        const push = get("b-images-push");
        assert.ok(push.secretInputs.includes("stdin"), "the password reaches the host as a secret stdin");
        assert.equal(push.inputs.stdin, "SECRET-password-b-registry-password-ci\n");
        // The push trusts the CA the registry serves, read from its chain on the host: no CA input to change.
        assert.match(push.inputs.create, /awk .* '\/var\/lib\/airgap-registry\/certs\/chain\.pem' > "\$ca\.new"/);
        assert.ok(!push.inputs.create.includes("SECRET-password"));
    });
    it("a tampered bundle fails before anything is registered, naming the file", () => {
        const dir = makeBundle();
        fs.appendFileSync(path.join(dir, "images/team_app_1.tar"), "tampered");
        assert.throws(
            () => new PrivateRegistry("bad-bundle", args(dir)),
            (err: unknown) =>
                err instanceof InvalidArgumentsError &&
                /`bundlePath`: images\/team_app_1\.tar has 23 bytes, the manifest says 15/.test(err.message),
        );
    });
    it("two bundle images served under one name are refused at preview, both named", () => {
        const dir = makeBundle();
        fs.writeFileSync(path.join(dir, "images/team-app_1.tar"), "other app bytes");
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, manifestName), "utf8")) as BundleManifest;
        (manifest.files as BundleManifest["files"][number][]).push(
            describeFile(dir, "images/team-app_1.tar", "image", { ref: "team-app:1" }),
        );
        fs.writeFileSync(path.join(dir, manifestName), JSON.stringify(manifest));
        assert.throws(
            () => new PrivateRegistry("same-name", args(dir)),
            (err: unknown) =>
                err instanceof InvalidArgumentsError &&
                /`bundlePath`: images\/team-app_1\.tar holds "team-app:1" is served under the same name \(team-app-1\) as `bundlePath`: images\/team_app_1\.tar holds "team\/app:1"/.test(
                    err.message,
                ),
        );
        // The positive twin: the same bundle without the second image passes (the test above).
    });
    it("a bundle and a registry image archive together are refused", () => {
        assert.throws(
            () => new PrivateRegistry("both", { ...args(makeBundle()), registryImageArchive: key }),
            /`bundlePath` and `registryImage`\/`registryImageArchive` are mutually exclusive/,
        );
    });
});

describe("the deployment tool (--deploy-tool)", () => {
    const lock = {
        packages: {
            "node_modules/@pulumi/pulumi": { version: "3.248.0" },
            "node_modules/@pulumi/tls": { version: "5.5.1" },
            "node_modules/@pulumi/random": { version: "4.21.1" },
            "node_modules/@pulumi/command": { version: "1.2.1" },
            "node_modules/@pulumi/docker": { version: "5.0.0" },
        },
    };

    it("carries the Pulumi CLI and the plugins at the versions of package-lock.json", () => {
        const versions = lockedPulumiVersions(lock);
        assert.deepEqual(versions, {
            pulumi: "3.248.0",
            plugins: { tls: "5.5.1", random: "4.21.1", command: "1.2.1", docker: "5.0.0" },
        });
        assert.deepEqual(pulumiDistFileNames(versions), [
            "pulumi-v3.248.0-linux-x64.tar.gz",
            "pulumi-resource-tls-v5.5.1-linux-amd64.tar.gz",
            "pulumi-resource-random-v4.21.1-linux-amd64.tar.gz",
            "pulumi-resource-command-v1.2.1-linux-amd64.tar.gz",
            "pulumi-resource-docker-v5.0.0-linux-amd64.tar.gz",
        ]);
        const withoutDocker: Record<string, { version: string }> = { ...lock.packages };
        delete withoutDocker["node_modules/@pulumi/docker"];
        assert.throws(
            () => lockedPulumiVersions({ packages: withoutDocker }),
            /package-lock\.json has no @pulumi\/docker/,
        );
    });

    it("the repository's own lockfile pins the versions the shared dist has", () => {
        const root = path.resolve(__dirname, "..", "..", "..");
        const versions = lockedPulumiVersions(
            JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")) as Parameters<
                typeof lockedPulumiVersions
            >[0],
        );
        assert.equal(versions.pulumi, "3.248.0");
    });

    it("picks the needed SHA256SUMS lines and names every file the dist does not list", () => {
        const a = "a".repeat(64);
        const b = "b".repeat(64);
        const sums = `${a}  one.tar.gz\n${b} *two.tar.gz\n${"c".repeat(64)}  other.tar.gz\n\n`;
        assert.deepEqual(
            [...pickSha256Sums(sums, ["one.tar.gz", "two.tar.gz"])],
            [
                ["one.tar.gz", a],
                ["two.tar.gz", b],
            ],
        );
        assert.throws(
            () => pickSha256Sums(sums, ["one.tar.gz", "three.tar.gz", "four.tar.gz"]),
            /does not list three\.tar\.gz, four\.tar\.gz/,
        );
    });

    it("carries the project's sources, never dependencies, build output, lab or engine state (table)", () => {
        assert.deepEqual(
            projectFilesToCarry([
                "index.ts",
                "Pulumi.yaml",
                "Pulumi.dev.yaml",
                "Pulumi.test-bundle.yaml",
                "Pulumi.bench.yaml",
                "package.json",
                "package-lock.json",
                ".npmrc",
                "components/index.ts",
                "node_modules",
                "node_modules/yaml/package.json",
                ".lab",
                "dist/index.js",
                ".pulumi-state/home/x",
                "bench-results/r.json",
                "scripts/toolchain.sh",
                "index.ts",
                "",
            ]),
            [
                ".npmrc",
                "Pulumi.dev.yaml",
                "Pulumi.yaml",
                "components/index.ts",
                "index.ts",
                "package-lock.json",
                "package.json",
                "scripts/toolchain.sh",
            ],
        );
    });

    it("checks Node.js versions against engines.node (table)", () => {
        const table: Array<[string, string, boolean]> = [
            ["20.20.2", ">=20", true],
            ["v22.1.0", ">=20", true],
            ["18.20.4", ">=20", false],
            ["19.9.0", ">= 20.0.0", false],
            ["20.0.0", ">=20.0.0", true],
        ];
        for (const [version, engines, ok] of table)
            assert.equal(nodeSatisfies(version, engines), ok, `${version} ${engines}`);
        assert.throws(() => nodeSatisfies("20", ">=20"), /not a Node\.js version/);
        assert.throws(() => minimumNodeMajor("^20 || ^22"), /not of the form >=N/);
    });

    it("the bundle's parts and their sizes, in manifest order", () => {
        const file = (kind: BundleFileKind, size: number) => ({ path: `${kind}/${size}`, kind, sha256: "0", size });
        assert.deepEqual(
            partSizes({
                files: [
                    file("registry-image", 10),
                    file("pulumi-dist", 5),
                    file("pulumi-dist", 7),
                    file("bootstrap", 1),
                ],
            }),
            [
                { kind: "registry-image", files: 1, bytes: 10 },
                { kind: "pulumi-dist", files: 2, bytes: 12 },
                { kind: "bootstrap", files: 1, bytes: 1 },
            ],
        );
    });

    const root = path.resolve(__dirname, "..", "..", "..");

    it("bootstrap.sh and lab/workstation.sh pass shellcheck", () => {
        for (const script of ["bundleWriter/bootstrap.sh", "lab/workstation.sh"]) {
            const r = spawnSync("shellcheck", ["--severity=style", "-x", path.join(root, script)], {
                encoding: "utf8",
                cwd: path.join(root, path.dirname(script)),
            });
            assert.equal(r.status, 0, `${script}:\n${r.stdout}${r.stderr}`);
        }
    });

    /** A bundle with bootstrap.sh and the given files (path -> content), its manifest listing them. */
    function bootstrapBundle(parts: Record<string, [BundleFileKind, string]>): string {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-bootstrap-"));
        fs.copyFileSync(path.join(root, "bundleWriter", "bootstrap.sh"), path.join(dir, "bootstrap.sh"));
        const files = [describeFile(dir, "bootstrap.sh", "bootstrap")];
        for (const [rel, [kind, content]] of Object.entries(parts)) {
            fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
            fs.writeFileSync(path.join(dir, rel), content);
            files.push(describeFile(dir, rel, kind));
        }
        const manifest: BundleManifest = { version: 1, created: "2026-01-01T00:00:00Z", files };
        fs.writeFileSync(path.join(dir, manifestName), `${JSON.stringify(manifest, null, 2)}\n`);
        return dir;
    }
    const bootstrap = (dir: string) =>
        spawnSync("bash", [path.join(dir, "bootstrap.sh"), "--stack", "site"], { encoding: "utf8", cwd: os.tmpdir() });
    const tool: Record<string, [BundleFileKind, string]> = {
        "deploy-tool/pulumi-dist/SHA256SUMS": ["pulumi-dist", "sums"],
        "deploy-tool/project.tar.gz": ["project", "project bytes"],
        "deploy-tool/npm-cache.tar": ["npm-cache", "cache bytes"],
    };

    it("bootstrap: an altered file stops it before anything is unpacked, naming the file (table)", () => {
        const cases: Array<[string, (dir: string) => void, RegExp]> = [
            [
                "altered",
                (d) => fs.appendFileSync(path.join(d, "deploy-tool/project.tar.gz"), "x"),
                /deploy-tool\/project\.tar\.gz does not match its SHA-256 in manifest\.json/,
            ],
            [
                "missing",
                (d) => fs.rmSync(path.join(d, "deploy-tool/npm-cache.tar")),
                /deploy-tool\/npm-cache\.tar is missing \(listed in manifest\.json as npm-cache\)/,
            ],
            [
                "outside",
                (d) => {
                    const m = JSON.parse(fs.readFileSync(path.join(d, manifestName), "utf8")) as BundleManifest;
                    const files = [...m.files, { path: "../x", kind: "image", sha256: "a".repeat(64), size: 1 }];
                    fs.writeFileSync(path.join(d, manifestName), JSON.stringify({ ...m, files }, null, 2));
                },
                /manifest entry \.\.\/x points outside the bundle/,
            ],
            ["no manifest", (d) => fs.rmSync(path.join(d, manifestName)), /manifest\.json is missing/],
        ];
        for (const [title, damage, message] of cases) {
            const dir = bootstrapBundle(tool);
            damage(dir);
            const r = bootstrap(dir);
            assert.equal(r.status, 1, title);
            assert.match(r.stderr, message, title);
            assert.equal(fs.existsSync(path.join(dir, "project")), false, `${title}: nothing unpacked`);
        }
    });

    it("bootstrap: a bundle without the deployment tool is refused, saying how to write one", () => {
        const dir = bootstrapBundle({ "registry/registry-image.tar": ["registry-image", "image"] });
        const r = bootstrap(dir);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /verified 2 files against manifest\.json/);
        assert.match(r.stderr, /the bundle carries no pulumi-dist: write it with npm run bundle -- --deploy-tool/);
    });
});
