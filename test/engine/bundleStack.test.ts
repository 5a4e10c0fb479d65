/**
 * The bundle stack on bare.lab through pulumi up: engine and registry from the bundle, images served, no-op re-up,
 * destroy.
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import type { RegistryCredential } from "../../components";
import { freshLabHosts, mustRun, onHost } from "../support/lab";
import * as path from "path";
import { projectRoot } from "../support/engine";
import { ensureLabBundle, labBundleDir } from "../support/labBundle";
import { bundleWithAnotherPackageSet } from "../support/variants";
import { devStackConfig, mustSucceed, ProjectStack, takeLabFromDevStack } from "../support/stack";

// The bundle stack through the real engine: bare.lab has no container engine and no route
// outside. `pulumi up` with `bundlePath` installs the engine from the bundle's packages, runs the
// registry from the bundle's image and pushes the bundle's images; a second `up` sends nothing.

const stack = new ProjectStack("test-bundle");
const endpoint = "bare.lab:5443";
const dataDir = "/var/lib/airgap-registry";

let cfg: string;
const run = (host: string, command: string, stdin = "") => mustRun(cfg, host, command, stdin);

/** Name, size and mtime of every file the stack copied to bare.lab (bundle packages, images). */
const copiedFiles = () =>
    run("bare.lab", `find ${dataDir}/bundle ${dataDir}/images -type f -printf '%p %s %T@\\n' | sort`);

describe("the bundle stack through the real engine on bare.lab", { concurrency: false }, () => {
    let served: string[] = [];

    before(() => {
        takeLabFromDevStack();
        cfg = freshLabHosts("bare", "client-a");
        ensureLabBundle();
        const config = devStackConfig();
        delete config["airgap-registry:registryImage"];
        delete config["airgap-registry:registryImageArchive"];
        stack.recreate({
            ...config,
            "airgap-registry:host": {
                address: "bare.lab",
                privateKeyPath: ".lab/ssh/id_ed25519",
                names: ["bare.lab"],
                port: 5443,
                dataDir,
            },
            "airgap-registry:clients": [
                { name: "client-a", address: "client-a.lab", privateKeyPath: ".lab/ssh/id_ed25519" },
            ],
            "airgap-registry:bundlePath": ".lab/bundle",
        });
    });
    after(() => {
        if (process.env.AIRGAP_REGISTRY_KEEP_TEST_STACK) return;
        stack.destroy();
        stack.remove();
    });

    it("bare.lab starts with no container engine", () => {
        assert.notEqual(onHost(cfg, "bare.lab", "command -v docker").code, 0);
    });

    it("up installs the engine from the bundle, runs the registry from its image and serves its images", () => {
        const up = mustSucceed(stack.up(), "bundle up");
        assert.ok(
            up.changes.includes("create command:remote:Command::airgap-registry-host-engine-install"),
            up.changes.join("\n"),
        );
        assert.match(
            run("bare.lab", "docker version --format '{{.Server.Version}}'"),
            /^\d+\.\d+/,
            "the engine came from the bundle",
        );
        assert.equal(
            run(
                "bare.lab",
                "docker inspect --format '{{.Config.Image}} {{.State.Health.Status}}' airgap-registry",
            ).trim(),
            "airgap-registry/registry:2.8 healthy",
        );
        served = stack.output<string[]>("servedImages");
        assert.equal(served.length, 1);
        assert.match(served[0], /^airgap-lab\/hello:1@sha256:[0-9a-f]{64}$/);
        // A client of this stack pulls the served image by digest, TLS verified by the stack's CA.
        const [ci] = stack.output<RegistryCredential[]>("credentials");
        run("client-a.lab", `docker login ${endpoint} --username ${ci.username} --password-stdin`, ci.password);
        const digest = served[0].split("@")[1];
        run("client-a.lab", `docker pull ${endpoint}/airgap-lab/hello@${digest}`);
        assert.equal(
            run("client-a.lab", `docker run --rm ${endpoint}/airgap-lab/hello@${digest}`).trim(),
            "hello from the air-gapped registry",
        );
    });

    it("a second up is a no-op that sends no file again", () => {
        const before = copiedFiles();
        assert.match(before, /packages-[0-9a-f]{12}\/.*\.deb /, "the engine packages were copied");
        assert.match(before, /images\/registry-image\.tar /);
        const up = mustSucceed(stack.up(), "second bundle up");
        assert.deepEqual(up.changes, []);
        assert.deepEqual(Object.keys(up.summary), ["same"]);
        assert.equal(copiedFiles(), before, "no file was written again");
        assert.deepEqual(stack.output<string[]>("servedImages"), served);
    });

    it("another engine package set on the running host: the engine stays, the registry keeps serving", () => {
        const containerBefore = run("bare.lab", "docker inspect --format '{{.Id}}' airgap-registry").trim();
        const records = () => run("bare.lab", `ls ${dataDir}/.state | grep engine-packages-added || true`).trim();
        const [oldRecord] = records().split("\n");
        stack.setConfig("bundlePath", path.relative(projectRoot, bundleWithAnotherPackageSet(labBundleDir)));
        const preview = mustSucceed(stack.preview(), "preview another package set");
        for (const step of [
            "replace command:remote:CopyToRemote::airgap-registry-host-engine-packages",
            "replace command:remote:Command::airgap-registry-host-engine-install",
        ]) {
            assert.ok(preview.changes.includes(step), `${step} in:\n${preview.changes.join("\n")}`);
        }
        const up = mustSucceed(stack.up(), "up another package set");
        assert.match(up.output, /took over the record of the packages an earlier bundle installed/);
        assert.match(
            run("bare.lab", "docker version --format '{{.Server.Version}}'"),
            /^\d+\.\d+/,
            "the engine is still installed",
        );
        assert.equal(
            run("bare.lab", "docker inspect --format '{{.Id}} {{.State.Health.Status}}' airgap-registry").trim(),
            `${containerBefore} healthy`,
            "the same registry container kept running",
        );
        const [newRecord, ...more] = records().split("\n");
        assert.deepEqual(more, [], "one record of installed packages");
        assert.notEqual(newRecord, oldRecord, "now the new package set's");
        assert.equal(
            run("bare.lab", `ls ${dataDir}/bundle`).trim().split("\n").length,
            1,
            "the old package set's copy is gone",
        );
        const [ci] = stack.output<RegistryCredential[]>("credentials");
        assert.equal(
            onHost(
                cfg,
                "client-a.lab",
                `curl -sS -o /dev/null -w '%{http_code}' -u ci:$(cat) https://${endpoint}/v2/`,
                ci.password,
            ).stdout,
            "200",
        );
    });

    it("destroy removes the registry, the packages its install added and the client's trust; storage stays", () => {
        assert.equal(stack.destroy().status, 0);
        assert.notEqual(
            onHost(cfg, "bare.lab", "command -v docker").code,
            0,
            "the engine installed from the bundle is removed",
        );
        assert.equal(
            onHost(cfg, "bare.lab", "test -x /usr/sbin/sshd && command -v curl").code,
            0,
            "what the host had before stays",
        );
        assert.match(run("bare.lab", `ls ${dataDir}/data/docker/registry/v2/repositories/airgap-lab`), /^hello$/m);
        assert.notEqual(onHost(cfg, "client-a.lab", `test -e /etc/docker/certs.d/${endpoint}`).code, 0);
    });
});
