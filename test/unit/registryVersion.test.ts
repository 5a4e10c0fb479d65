/** Registry version: the config per version, detection from the image tag, and validation naming the field. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import {
    checkPrivateRegistryArgs,
    cliRunScripts,
    containerConfigDirs,
    hostPreparationDefaults,
    imageTag,
    registryConfig,
    registryEnvs,
    registryVersionFromImage,
    registryVolumes,
    renderRegistryConfig,
    resolveRegistryVersion,
    siteRegistryImage,
} from "../../components/internal";
import type { PrivateRegistryArgs, RegistryVersion } from "../../components/internal";
import { BundleManifest } from "../../components/bundle/manifest";
import { existingFile, fixtureHostKey } from "../support/fixtures";

describe("registry config per version", () => {
    const rows: Array<{ version: RegistryVersion; configDir: string; envs: string[] }> = [
        { version: "2", configDir: "/etc/docker/registry", envs: [] },
        { version: "3", configDir: "/etc/distribution", envs: ["OTEL_TRACES_EXPORTER=none"] },
    ];
    for (const row of rows) {
        it(`${row.version}: config dir ${row.configDir}, environment ${JSON.stringify(row.envs)}`, () => {
            assert.equal(containerConfigDirs[row.version], row.configDir);
            assert.deepEqual(registryEnvs(row.version), row.envs);
            const config = registryVolumes("/srv/r", row.version).filter((v) => v.hostPath === "/srv/r/config");
            // The version's own directory first; the other's too, so a mis-set version never runs the image's own config.
            assert.deepEqual(config, [
                { hostPath: "/srv/r/config", containerPath: row.configDir, readOnly: true },
                {
                    hostPath: "/srv/r/config",
                    containerPath: row.version === "2" ? "/etc/distribution" : "/etc/docker/registry",
                    readOnly: true,
                },
            ]);
        });
        it(`${row.version}: the security settings, exactly`, () => {
            const c = YAML.parse(renderRegistryConfig({ httpSecret: "s", registryVersion: row.version }));
            assert.equal(c.http.tls.minimumtls, "tls1.2");
            assert.deepEqual(Object.keys(c.auth), ["htpasswd"], "htpasswd is the only auth");
            assert.equal(c.http.addr, ":5000", "one listener, TLS (http.tls is set)");
            assert.equal(c.http.debug.addr, "127.0.0.1:5001", "debug listener on loopback only");
            assert.equal(c.storage.delete.enabled, false);
            assert.equal(c.storage.tag, undefined, "storage.tag: 3.x only, 2.8 reads it as a second driver");
        });
    }
    it("2.8 and 3.x get the same config text (the keys we use are parsed alike)", () => {
        assert.equal(
            renderRegistryConfig({ httpSecret: "s", registryVersion: "2" }),
            renderRegistryConfig({ httpSecret: "s", registryVersion: "3" }),
        );
    });
    it("an unknown version has no config (positive twin: 3)", () => {
        assert.throws(
            () => registryConfig({ httpSecret: "s", registryVersion: "4" as RegistryVersion }),
            /no registry config for distribution version "4"/,
        );
        assert.ok(registryConfig({ httpSecret: "s", registryVersion: "3" }));
    });
    it("the cli runtime mounts the config where the version reads it and sets its environment", () => {
        const spec = {
            engine: "docker" as const,
            containerName: "reg",
            image: "registry:3",
            port: 5000,
            dataDir: "/srv/r",
            contentHash: "abc",
            filesHash: "def",
            healthcheck: true,
        };
        const v3 = cliRunScripts({ ...spec, registryVersion: "3" }).create;
        const v2 = cliRunScripts({ ...spec, registryVersion: "2" }).create;
        assert.match(v3, /-v '\/srv\/r\/config:\/etc\/distribution:ro'/);
        assert.match(v3, /-e 'OTEL_TRACES_EXPORTER=none'/);
        assert.match(v2, /-v '\/srv\/r\/config:\/etc\/docker\/registry:ro'/);
        assert.doesNotMatch(v2, / -e /);
    });
});

describe("registry version from the image tag", () => {
    const table: Array<[string, RegistryVersion | undefined]> = [
        ["registry:2", "2"],
        ["registry:2.8", "2"],
        ["registry:2.8.3", "2"],
        ["docker.io/library/registry:2.8.3", "2"],
        ["airgap-registry/registry:2.8", "2"],
        ["mirror.lab:5000/registry:2", "2"],
        ["registry:3", "3"],
        ["registry:3.1.2", "3"],
        ["registry:3.0.0-alpine", "3"],
        ["airgap-registry/registry:3.1.2", "3"],
        ["mirror.lab:5000/team/registry:v3.1.2", "3"],
        ["registry:3.1.2@sha256:" + "a".repeat(64), "3"],
        // The tag says nothing: latest, none, a digest only, a port but no tag, a major we do not know.
        ["registry:latest", undefined],
        ["registry", undefined],
        ["registry@sha256:" + "a".repeat(64), undefined],
        ["mirror.lab:5000/registry", undefined],
        ["registry:4", undefined],
        ["registry:20", undefined],
        ["registry:edge", undefined],
    ];
    for (const [image, expected] of table) {
        it(`${image} → ${expected ?? "unknown"}`, () => assert.equal(registryVersionFromImage(image), expected));
    }
    it("the tag, not a registry host's port", () => {
        assert.equal(imageTag("mirror.lab:5000/registry"), undefined);
        assert.equal(imageTag("mirror.lab:5000/registry:3"), "3");
    });
    it("the default image of new stacks is registry:3, detected as 3", () => {
        assert.equal(hostPreparationDefaults.registryImage, "registry:3");
        assert.equal(registryVersionFromImage(hostPreparationDefaults.registryImage), "3");
    });
});

describe("registry version resolved and validated, naming the field", () => {
    const resolve = (given: unknown, image: string) =>
        resolveRegistryVersion("registryVersion", given, "`registryImage`", image);
    it("detected when not given", () => {
        assert.deepEqual(resolve(undefined, "registry:2.8"), { version: "2", problems: [] });
        assert.deepEqual(resolve(undefined, "registry:3"), { version: "3", problems: [] });
    });
    it("a tag that says nothing needs registryVersion (positive twin: given)", () => {
        const r = resolve(undefined, "registry:latest");
        assert.equal(r.version, undefined);
        assert.match(r.problems[0], /^`registryVersion` is required: the tag of `registryImage` "registry:latest"/);
        assert.deepEqual(resolve("3", "registry:latest"), { version: "3", problems: [] });
    });
    it('an unknown version names the field (positive twin: "3")', () => {
        assert.match(resolve("4", "registry:3").problems[0], /^`registryVersion` must be "2" or "3", got "4"$/);
        assert.match(
            resolve(3, "registry:3").problems[0],
            /^`registryVersion` must be "2" or "3", got 3 \(a number; write it as the string "3"\)$/,
        );
        assert.deepEqual(resolve("3", "registry:3").problems, []);
    });
    it("a version that contradicts the tag names both (positive twin: agreeing)", () => {
        const r = resolve("3", "registry:2.8");
        assert.match(
            r.problems[0],
            /^`registryVersion` is "3" but `registryImage` "registry:2.8" is tagged as distribution 2/,
        );
        assert.deepEqual(resolve("2", "registry:2.8").problems, []);
    });
});

describe("PrivateRegistryArgs: registryVersion", () => {
    const base: PrivateRegistryArgs = {
        host: { address: "10.0.0.5", names: ["registry.lab"], privateKeyPath: existingFile(), hostKey: fixtureHostKey },
        users: [{ name: "ci" }],
        runtime: "cli",
    };
    const versionProblems = (args: PrivateRegistryArgs) =>
        checkPrivateRegistryArgs(args).filter((p) => p.includes("registryVersion"));
    it("the base args are valid (the twin every negative below differs from in one field)", () => {
        assert.deepEqual(checkPrivateRegistryArgs(base), []);
    });
    it('"4" and 3 (a number) are refused naming `registryVersion`', () => {
        assert.deepEqual(versionProblems({ ...base, registryVersion: "4" as RegistryVersion }), [
            '`registryVersion` must be "2" or "3", got "4"',
        ]);
        assert.match(
            versionProblems({ ...base, registryVersion: 3 as unknown as RegistryVersion })[0],
            /`registryVersion` must be "2" or "3", got 3/,
        );
        assert.deepEqual(checkPrivateRegistryArgs({ ...base, registryVersion: "3" }), []);
    });
    it("registryImage :latest without registryVersion is refused; with it, accepted", () => {
        const problems = checkPrivateRegistryArgs({ ...base, registryImage: "registry:latest" });
        assert.equal(problems.length, 1);
        assert.match(problems[0], /^`registryVersion` is required: the tag of `registryImage` "registry:latest"/);
        assert.deepEqual(
            checkPrivateRegistryArgs({ ...base, registryImage: "registry:latest", registryVersion: "2" }),
            [],
        );
    });
    it("the image comes from the bundle when there is one, and detection applies to it", () => {
        const manifest = (ref: string): BundleManifest =>
            ({
                files: [{ path: "registry/registry-image.tar", kind: "registry-image", ref, sha256: "0", size: 1 }],
            }) as unknown as BundleManifest;
        assert.deepEqual(siteRegistryImage({}, manifest("airgap-registry/registry:2.8")), {
            image: "airgap-registry/registry:2.8",
            version: "2",
            problems: [],
        });
        const untagged = siteRegistryImage({}, manifest("mirror.lab:5000/registry"));
        assert.match(
            untagged.problems[0],
            /^`registryVersion` is required: the tag of the registry image of `bundlePath`/,
        );
        assert.deepEqual(
            siteRegistryImage({ registryVersion: "3" }, manifest("mirror.lab:5000/registry")).problems,
            [],
        );
        assert.deepEqual(siteRegistryImage({}), { image: "registry:3", version: "3", problems: [] });
    });
});
