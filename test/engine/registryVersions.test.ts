/**
 * Distribution 3.x through the real engine on the lab: the dev-shaped stack on the lab's 3.1.2 image (push on
 * client-a, pull on client-b), then an upgrade in place from 2.8 to 3.1.2 on the same storage.
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import type { RegistryCredential } from "../../components";
import { projectRoot } from "../support/engine";
import { assertTransportSecurity } from "../support/registryChecks";
import { freshLabHosts, mustRun, onHost } from "../support/lab";
import { devStackConfig, mustSucceed, ProjectStack, takeLabFromDevStack } from "../support/stack";

// The same shape as the dev stack (Pulumi.dev.yaml: registry host, client-a, client-b, behind the bastion), once on
// the lab's distribution 3.1.2 image (lab/registry-v3-image.sh) and once on the 2.8 image upgraded in place to
// 3.1.2: a change of registryImage and its archive, nothing else. Storage is a host directory, so what was pushed
// before the upgrade is pulled after it.

const stack = new ProjectStack("test-versions");
const endpoint = "registry.lab:5443";
const image = `${endpoint}/hello:1`;
const v2 = { image: "airgap-registry/registry:2.8", archive: ".lab/images/registry-image.tar" };
const v3 = { image: "airgap-registry/registry:3.1.2", archive: ".lab/images/registry-v3-image.tar" };

let cfg: string;
const run = (host: string, command: string, stdin = "") => mustRun(cfg, host, command, stdin);
const onLab = (host: string, command: string, stdin: string | Buffer = "") => onHost(cfg, host, command, stdin);

function stackConfigOn(version: typeof v2): Record<string, unknown> {
    return {
        ...devStackConfig(),
        "airgap-registry:registryImage": version.image,
        "airgap-registry:registryImageArchive": version.archive,
    };
}

function login(host: string): void {
    const [ci] = stack.output<RegistryCredential[]>("credentials");
    run(host, `docker login ${endpoint} --username ${ci.username} --password-stdin`, ci.password);
}

/** client-a loads the lab's sample image and pushes it; returns the pushed digest. */
function pushFromClientA(): string {
    const sample = fs.readFileSync(path.join(projectRoot, ".lab", "images", "sample-image.tar"));
    assert.equal(onLab("client-a.lab", "docker load >/dev/null", sample).code, 0);
    run("client-a.lab", `docker tag airgap-lab/hello:1 ${image}`);
    login("client-a.lab");
    const pushed = run("client-a.lab", `docker push ${image}`);
    const digest = (/digest: (sha256:[0-9a-f]{64})/.exec(pushed) ?? [])[1] ?? "";
    assert.match(digest, /^sha256:[0-9a-f]{64}$/, pushed);
    return digest;
}

/** client-b pulls the image and runs it; the digest it got must be `digest`. */
function pullOnClientB(digest: string): void {
    login("client-b.lab");
    run("client-b.lab", `docker pull ${image}`);
    assert.equal(
        run("client-b.lab", `docker image inspect --format '{{index .RepoDigests 0}}' ${image}`).trim(),
        `${endpoint}/hello@${digest}`,
    );
    assert.equal(run("client-b.lab", `docker run --rm ${image}`).trim(), "hello from the air-gapped registry");
}

/**
 * What runs on the registry host: the binary's version, where the config is mounted, which file the image reads
 * (its command), the container ID.
 */
function registryOnHost(): { version: string; configMounts: string[]; configRead: string; id: string } {
    const mounts = run(
        "registry.lab",
        "docker inspect --format '{{range .Mounts}}{{.Source}}={{.Destination}}\n{{end}}' airgap-registry",
    );
    // Mounted where either version reads it (a mis-set version never runs the image's own config).
    const configMounts = mounts
        .split("\n")
        .filter((m) => m.startsWith("/var/lib/airgap-registry/config="))
        .map((m) => m.split("=")[1])
        .sort();
    const cmd = run("registry.lab", "docker inspect --format '{{json .Config.Cmd}}' airgap-registry").trim();
    const binary = run(
        "registry.lab",
        "docker inspect --format '{{index .Config.Entrypoint 0}}' airgap-registry",
    ).trim();
    return {
        version: run("registry.lab", `docker exec airgap-registry ${binary} --version`).trim(),
        configMounts,
        configRead: (JSON.parse(cmd) as string[]).find((a) => a.endsWith(".yml")) ?? "",
        id: run("registry.lab", "docker inspect --format '{{.Id}}' airgap-registry").trim(),
    };
}

/** The registry's security as a client sees it: 401 without credentials, TLS 1.1 refused, TLS 1.2 verified. */
function assertServesSecurely(): void {
    const status = onLab("client-a.lab", `curl -sS -o /dev/null -w '%{http_code}' https://${endpoint}/v2/`);
    assert.equal(status.stdout.trim(), "401", status.stderr);
    assertTransportSecurity(cfg, "client-a.lab", endpoint, "registry.lab");
}

describe("registry 2.8 and 3.x through the real engine on the lab", { concurrency: false }, () => {
    before(() => {
        takeLabFromDevStack();
        cfg = freshLabHosts("registry", "client-a", "client-b");
        for (const archive of [v2.archive, v3.archive]) {
            assert.ok(fs.existsSync(path.join(projectRoot, archive)), `${archive}: lab/images.sh builds it`);
        }
    });
    after(() => {
        if (process.env.AIRGAP_REGISTRY_KEEP_TEST_STACK) return;
        stack.destroy();
        stack.remove();
    });

    it("the dev-shaped stack on 3.1.2: up, served securely, push on client-a, pull on client-b", () => {
        stack.recreate(stackConfigOn(v3));
        const up = mustSucceed(stack.up(), "fresh up on 3.1.2");
        const state = stack.createdResources();
        assert.deepEqual(up.summary, { create: state.length });
        assert.equal(stack.output<string>("registryVersion"), "3", "detected from the tag 3.1.2");
        const running = registryOnHost();
        assert.match(running.version, / v3\.1\.2/);
        assert.equal(running.configRead, "/etc/distribution/config.yml");
        assert.deepEqual(running.configMounts, ["/etc/distribution", "/etc/docker/registry"]);
        assertServesSecurely();
        pullOnClientB(pushFromClientA());
        mustSucceed(stack.preview("--expect-no-changes"), "no-change preview on 3.1.2");
    });

    it("upgrade in place 2.8 -> 3.1.2: only the registry's image and container change; what was pushed is pulled", () => {
        // Clean hosts: the upgrade starts from a 2.8 registry with its own storage.
        mustSucceed(stack.destroy(), "destroy the 3.1.2 stack");
        cfg = freshLabHosts("registry", "client-a", "client-b");
        stack.recreate(stackConfigOn(v2));
        mustSucceed(stack.up(), "up on 2.8");
        assert.equal(stack.output<string>("registryVersion"), "2", "detected from the tag 2.8");
        const before28 = registryOnHost();
        assert.match(before28.version, / 2\.8\./);
        assert.equal(before28.configRead, "/etc/docker/registry/config.yml");
        assert.deepEqual(before28.configMounts, ["/etc/distribution", "/etc/docker/registry"]);
        const digest = pushFromClientA();

        stack.setConfig("registryImage", v3.image);
        stack.setConfig("registryImageArchive", v3.archive);
        const preview = mustSucceed(stack.preview(), "preview of the upgrade");
        assert.ok(
            preview.changes.includes("replace docker:index/container:Container::airgap-registry-registry-container"),
            `the registry container is replaced: ${preview.changes.join(", ")}`,
        );
        for (const change of preview.changes) {
            assert.match(
                change,
                /::airgap-registry-(host-image|registry-container|registry-ready)/,
                `only the registry image and container change (nothing on clients, no certificate, no file): ${change}`,
            );
        }
        assert.ok(!preview.changes.some((c) => /trust|cert|ca-|data-dir|config|htpasswd/.test(c)), "nothing else");

        const up = mustSucceed(stack.up(), "up: the upgrade");
        assert.deepEqual(up.changes, preview.changes, "the up did what the preview showed");
        assert.equal(stack.output<string>("registryVersion"), "3");
        const after3 = registryOnHost();
        assert.match(after3.version, / v3\.1\.2/);
        assert.equal(after3.configRead, "/etc/distribution/config.yml");
        assert.notEqual(after3.id, before28.id, "a new container");
        assertServesSecurely();
        pullOnClientB(digest);
        mustSucceed(stack.preview("--expect-no-changes"), "no-change preview after the upgrade");
    });
});
