/**
 * The project's program through pulumi up on the lab: fresh up, push/pull, negatives, the change matrix, runtimes,
 * destroy.
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { RegistryCredential } from "../../components";
import { projectRoot } from "../support/engine";
import { freshLabHosts, labAddress, labUp, mustRun, onHost } from "../support/lab";
import { devStackConfig, diagnosticsOf, mustSucceed, ProjectStack, takeLabFromDevStack } from "../support/stack";
import { assertTransportSecurity, servedCaFingerprint } from "../support/registryChecks";
import { archiveImageId, variantRegistryArchive } from "../support/variants";

// The project's own program (index.ts reading Pulumi.<stack>.yaml) through the real engine on
// the lab: `pulumi up` against real SSH hosts behind the bastion, a registry really serving TLS,
// clients really pulling through the distributed CA with verification on. Every change is first
// shown by the preview's exact resource list, then applied and checked on the hosts.

const stack = new ProjectStack("test-lab");
const endpoint = "registry.lab:5443";
const dataDir = "/var/lib/airgap-registry";
const repositories = `${dataDir}/data/docker/registry/v2/repositories`;
const anchor = "/usr/local/share/ca-certificates/airgap-registry-ca.crt";
const certsD = (ep: string) => `/etc/docker/certs.d/${ep}/ca.crt`;
const image = `${endpoint}/hello:1`;

let cfg: string;
/** The fresh up's output, for the secrets check. */
let freshUpOutput = "";
const run = (host: string, command: string, stdin = "") => mustRun(cfg, host, command, stdin);
const onLab = (host: string, command: string, stdin: string | Buffer = "") => onHost(cfg, host, command, stdin);

/** `op type::name` of the project's resources (the `airgap-registry` prefix is every name's). */
const R = {
    trust: (client: string) => `airgap-registry:trust:ClientTrust::airgap-registry-trust-${client}`,
    command: (name: string) => `command:remote:Command::airgap-registry-${name}`,
    /** A step that a refresh reads back (HostFiles). */
    files: (name: string) => `pulumi-nodejs:dynamic/airgap-registry:HostFiles::airgap-registry-${name}`,
    container: "docker:index/container:Container::airgap-registry-registry-container",
    dockerProvider: "pulumi:providers:docker::airgap-registry-registry-docker",
};
const clientResources = (op: string, client: string, endpoints = [endpoint]) => [
    `${op} ${R.trust(client)}`,
    `${op} ${R.files(`trust-${client}-os-trust`)}`,
    ...endpoints.map((ep) => `${op} ${R.files(`trust-${client}-certs-d-${ep.replace(/:/g, "-")}`)}`),
    `${op} ${R.files(`trust-${client}-check`)}`,
];
const sorted = (xs: string[]) => [...xs].sort();

/** HTTP status of /v2/ from a host through its system trust store; `userPass` goes on stdin (curl -K -). */
function v2Status(
    host: string,
    userPass?: string,
    url = `https://${endpoint}/v2/`,
): { code: number; status: string; stderr: string } {
    const auth = userPass === undefined ? "" : `user = "${userPass}"\n`;
    const r = onLab(host, `curl -sS -K - -o /dev/null -w '%{http_code}' ${url}`, auth);
    return { code: r.code, status: r.stdout.trim(), stderr: r.stderr };
}

function credentials(): RegistryCredential[] {
    return stack.output<RegistryCredential[]>("credentials");
}

function login(host: string, user: RegistryCredential): void {
    run(host, `docker login ${endpoint} --username ${user.username} --password-stdin`, user.password);
}

function repoDigest(host: string): string {
    return run(host, `docker image inspect --format '{{index .RepoDigests 0}}' ${image}`).trim();
}

function containerId(): string {
    return run("registry.lab", "docker inspect --format '{{.Id}}' airgap-registry").trim();
}

/** The client's CA files (OS anchor and certs.d) as path -> sha256, for "untouched" checks. */
function trustFiles(host: string): Record<string, string> {
    const out = run(host, `sha256sum ${anchor} /etc/docker/certs.d/*/ca.crt 2>/dev/null || true`);
    return Object.fromEntries(
        out
            .trim()
            .split("\n")
            .filter(Boolean)
            .map((l): [string, string] => {
                const [hash, file] = l.split(/\s+/);
                return [file, hash];
            }),
    );
}

describe("the project's program through the real engine on the lab", { concurrency: false }, () => {
    let pushedDigest = "";
    let registryIp = "";

    before(() => {
        // The lab's hosts are shared by every lab stack: the dev stack (npm run demo) gives them up
        // first, then they start clean.
        takeLabFromDevStack();
        cfg = freshLabHosts("registry", "client-a", "client-b", "outsider");
        registryIp = labAddress("registry");
        stack.recreate(devStackConfig());
    });
    after(() => {
        if (process.env.AIRGAP_REGISTRY_KEEP_TEST_STACK) return;
        stack.destroy();
        stack.remove();
    });

    it("a fresh up creates the whole graph on the lab and the outputs describe it", () => {
        const up = mustSucceed(stack.up(), "fresh up");
        freshUpOutput = up.output;
        // The engine's count leaves out default providers (tls, command, random).
        // Default providers and the read of the stack's own last outputs (the CA state) are not created.
        const state = stack.createdResources();
        assert.deepEqual(up.summary, { create: state.length }, "every resource in the state was created by this up");
        assert.equal(state.length, 36, "the stack, 5 components, 2 ClientTrusts, the docker provider and 27 resources");
        assert.equal(stack.output<string>("endpoint"), endpoint);
        // Every step on a client waits for the registry's container: clients are changed once it serves.
        const container = state.find((r) => r.type === "docker:index/container:Container");
        assert.ok(container, "the registry container is in the state");
        const clientSteps = stack
            .resources()
            .filter(
                (r) =>
                    r.type === "pulumi-nodejs:dynamic/airgap-registry:HostFiles" &&
                    /::airgap-registry-trust-client-[ab]-/.test(r.urn),
            );
        assert.equal(clientSteps.length, 6, "os-trust, certs.d and check on each client");
        for (const step of clientSteps) {
            assert.ok(step.dependencies?.includes(container.urn), `${step.urn} waits for the registry container`);
        }
        // The fingerprint output is the CA the registry really serves (last certificate of its chain).
        assert.equal(
            servedCaFingerprint(cfg, "client-a.lab", endpoint, "registry.lab"),
            stack.output<string>("caFingerprintSha256"),
        );
    });

    it("a preview right after up expects no changes, and a no-op up changes nothing", () => {
        const id = containerId();
        const preview = mustSucceed(stack.preview("--expect-no-changes"), "no-change preview");
        assert.deepEqual(preview.changes, []);
        const up = mustSucceed(stack.up(), "no-op up");
        assert.deepEqual(up.changes, []);
        assert.deepEqual(Object.keys(up.summary), ["same"]);
        assert.equal(up.summary.same, 36);
        assert.equal(containerId(), id, "the container was not touched");
    });

    it("a certificate inside the expiry warning window is a warning in the preview, not a change", () => {
        const notAfter = stack.output<string>("serverCertificateNotAfter");
        assert.match(stack.output<string>("caCertificateNotAfter"), /^\d{4}-\d\d-\d\dT/);
        const quiet = mustSucceed(stack.preview("--expect-no-changes"), "preview with the default window");
        assert.doesNotMatch(quiet.output, /certificate expires on/, "negative twin: a year away is outside 30 days");
        stack.setConfig("expiryWarningDays", 400);
        const warned = mustSucceed(stack.preview("--expect-no-changes"), "preview with a 400-day window");
        assert.match(
            warned.output,
            new RegExp(`the registry's server certificate expires on ${notAfter.replace(/[.]/g, "\\.")}`),
        );
        const config = stack.readConfig();
        delete config["airgap-registry:expiryWarningDays"];
        stack.writeConfig(config);
    });

    it("client-a logs in and pushes, client-b pulls the same digest, both with TLS verified", () => {
        const [ci] = credentials();
        const sample = fs.readFileSync(path.join(projectRoot, ".lab", "images", "sample-image.tar"));
        assert.equal(onLab("client-a.lab", "docker load >/dev/null", sample).code, 0);
        run("client-a.lab", `docker tag airgap-lab/hello:1 ${image}`);
        const anonymous = onLab("client-a.lab", `docker push ${image}`);
        assert.notEqual(anonymous.code, 0, "negative twin: a push without login is refused");
        assert.match(anonymous.stderr + anonymous.stdout, /no basic auth credentials/);
        login("client-a.lab", ci);
        const pushed = run("client-a.lab", `docker push ${image}`);
        pushedDigest = (/digest: (sha256:[0-9a-f]{64})/.exec(pushed) ?? [])[1] ?? "";
        assert.match(pushedDigest, /^sha256:[0-9a-f]{64}$/, pushed);
        login("client-b.lab", ci);
        run("client-b.lab", `docker pull ${image}`);
        assert.equal(repoDigest("client-b.lab"), `${endpoint}/hello@${pushedDigest}`);
        assert.equal(run("client-b.lab", `docker run --rm ${image}`).trim(), "hello from the air-gapped registry");
    });

    it("the outsider (not a client) fails on the certificate where client-a gets 401", () => {
        assert.deepEqual(
            { code: v2Status("client-a.lab").code, status: v2Status("client-a.lab").status },
            { code: 0, status: "401" },
        );
        const outsider = v2Status("outsider.lab");
        assert.equal(outsider.code, 60, outsider.stderr);
        assert.match(outsider.stderr, /SSL certificate problem: self-signed certificate in certificate chain/);
        const pull = onLab("outsider.lab", `docker pull ${image}`);
        assert.notEqual(pull.code, 0);
        assert.match(pull.stderr, /x509: certificate signed by unknown authority/);
    });

    it("no credentials and a wrong password get 401; the right password gets 200", () => {
        const [ci] = credentials();
        assert.equal(v2Status("client-a.lab").status, "401");
        assert.equal(v2Status("client-a.lab", `${ci.username}:wrong-${ci.password}`).status, "401");
        assert.equal(v2Status("client-a.lab", `${ci.username}:${ci.password}`).status, "200");
    });

    it("plain HTTP and TLS 1.1 are refused; TLS 1.2 with the name verifies", () => {
        assertTransportSecurity(cfg, "client-a.lab", endpoint, "registry.lab");
    });

    it("the state holds no password, private key or bcrypt hash in clear", () => {
        const secrets = credentials().map((c) => c.password);
        assert.equal(secrets.length, 2);
        const files = stack.stateFiles();
        assert.ok(files.length >= 2, `state and history files found: ${files.join(", ")}`);
        const exported = stack.run("stack", "export").output;
        // The fresh up's --json output as the tests keep it (the SDK's debug events, which hold secrets, dropped).
        assert.ok(freshUpOutput.includes("resourcePreEvent"), "the fresh up's events were kept");
        for (const [what, text] of [
            ["stack export", exported],
            ["the fresh up's output", freshUpOutput],
            ...files.map((f) => [f, fs.readFileSync(f, "utf8")]),
        ]) {
            for (const s of secrets) assert.ok(!text.includes(s), `${what} holds a registry password in clear`);
            assert.doesNotMatch(text, /PRIVATE KEY/, `${what} holds a private key in clear`);
            assert.doesNotMatch(text, /\$2[aby]\$\d\d\$/, `${what} holds a bcrypt hash in clear`);
        }
        assert.match(
            exported,
            /4dabf18193072939515e22adb298388d/,
            "the positive twin: secrets are there, as ciphertext (secret sig)",
        );
    });

    it("add a client: the preview lists only its resources; after up it pulls", () => {
        const before = { a: trustFiles("client-a.lab"), b: trustFiles("client-b.lab") };
        const clients = stack.readConfig()["airgap-registry:clients"] as object[];
        stack.setConfig("clients", [
            ...clients,
            { name: "outsider", address: "outsider.lab", privateKeyPath: ".lab/ssh/id_ed25519" },
        ]);
        const preview = mustSucceed(stack.preview(), "preview add client");
        assert.deepEqual(preview.changes, sorted(clientResources("create", "outsider")));
        const up = mustSucceed(stack.up(), "up add client");
        assert.deepEqual(up.changes, preview.changes);
        const [ci] = credentials();
        login("outsider.lab", ci);
        run("outsider.lab", `docker pull ${image}`);
        assert.equal(repoDigest("outsider.lab"), `${endpoint}/hello@${pushedDigest}`);
        assert.deepEqual(
            { a: trustFiles("client-a.lab"), b: trustFiles("client-b.lab") },
            before,
            "the other clients are untouched",
        );
    });

    it("remove a client: its CA files leave that host, which fails on the certificate again; the others are untouched", () => {
        const before = { a: trustFiles("client-a.lab"), b: trustFiles("client-b.lab") };
        const clients = stack.readConfig()["airgap-registry:clients"] as Array<{ name: string }>;
        stack.setConfig(
            "clients",
            clients.filter((c) => c.name !== "outsider"),
        );
        const preview = mustSucceed(stack.preview(), "preview remove client");
        assert.deepEqual(preview.changes, sorted(clientResources("delete", "outsider")));
        mustSucceed(stack.up(), "up remove client");
        assert.equal(
            onLab("outsider.lab", `test -e ${certsD(endpoint)} || test -e ${anchor}`).code,
            1,
            "no CA file left on the host",
        );
        assert.equal(v2Status("outsider.lab").code, 60);
        assert.deepEqual({ a: trustFiles("client-a.lab"), b: trustFiles("client-b.lab") }, before);
        assert.equal(v2Status("client-a.lab").status, "401");
    });

    it("reordering clients changes nothing", () => {
        const clients = stack.readConfig()["airgap-registry:clients"] as object[];
        stack.setConfig("clients", [...clients].reverse());
        assert.deepEqual(mustSucceed(stack.preview("--expect-no-changes"), "preview reordered").changes, []);
    });

    it("add an IP SAN: the certificate and container roll; clients get only the new endpoint's directory", () => {
        const ipEndpoint = `${registryIp}:5443`;
        const byIp = v2Status("client-a.lab", undefined, `https://${ipEndpoint}/v2/`);
        assert.equal(byIp.code, 60, "negative twin: by IP the certificate does not match yet");
        assert.match(byIp.stderr, /no alternative certificate subject name matches target host name/);
        const before = { a: trustFiles("client-a.lab"), id: containerId() };
        stack.setConfig("host", { ...(stack.readConfig()["airgap-registry:host"] as object), ips: [registryIp] });
        const preview = mustSucceed(stack.preview(), "preview IP SAN");
        const newDir = (client: string) =>
            `create ${R.files(`trust-${client}-certs-d-${ipEndpoint.replace(/:/g, "-")}`)}`;
        assert.deepEqual(
            preview.changes,
            sorted([
                "replace tls:index/certRequest:CertRequest::airgap-registry-cert-csr",
                "replace tls:index/locallySignedCert:LocallySignedCert::airgap-registry-cert-cert",
                `update ${R.files("registry-cert-chain")}`,
                `replace ${R.container}`,
                `replace ${R.command("registry-ready")}`,
                newDir("client-a"),
                newDir("client-b"),
                `update ${R.files("trust-client-a-check")}`,
                `update ${R.files("trust-client-b-check")}`,
            ]),
        );
        mustSucceed(stack.up(), "up IP SAN");
        assert.notEqual(containerId(), before.id, "the container rolled");
        assert.equal(v2Status("client-a.lab", undefined, `https://${ipEndpoint}/v2/`).status, "401", "by IP, verified");
        const after = trustFiles("client-a.lab");
        const added = certsD(ipEndpoint);
        assert.deepEqual(
            Object.keys(after).sort(),
            [...Object.keys(before.a), added].sort(),
            "exactly one new CA file",
        );
        assert.deepEqual(
            { ...after, [added]: undefined },
            { ...before.a, [added]: undefined },
            "the existing files are unchanged",
        );
        assert.deepEqual(stack.output<string[]>("endpoints"), [endpoint, ipEndpoint]);
    });

    it("change a user's password: htpasswd and container roll; the old password gets 401, the new one 200", () => {
        const [ci] = credentials();
        const next = "a-new-password-for-ci-0123456789";
        stack.setSecret("passwords.ci", next);
        const preview = mustSucceed(stack.preview(), "preview password");
        assert.deepEqual(
            preview.changes,
            sorted([
                "delete random:index/randomPassword:RandomPassword::airgap-registry-registry-password-ci",
                `update ${R.files("registry-htpasswd")}`,
                `replace ${R.container}`,
                `replace ${R.command("registry-ready")}`,
            ]),
        );
        mustSucceed(stack.up(), "up password");
        assert.equal(v2Status("client-a.lab", `ci:${ci.password}`).status, "401", "the old password is refused");
        assert.equal(v2Status("client-a.lab", `ci:${next}`).status, "200");
        assert.equal(credentials()[0].password, next);
        const text = fs.readFileSync(
            stack.stateFiles().find((f) => f.endsWith(`${stack.name}.json`)) as string,
            "utf8",
        );
        assert.ok(!text.includes(next), "the configured password is not in the state in clear");
    });

    it("another engine list on a client updates its certs.d steps: what the old list wrote is removed", () => {
        const endpoints = stack.output<string[]>("endpoints");
        const podmanCa = (ep: string) => `/etc/containers/certs.d/${ep}/ca.crt`;
        const setEngines = (engines: string[] | undefined) => {
            const clients = stack.readConfig()["airgap-registry:clients"] as Array<Record<string, unknown>>;
            stack.setConfig(
                "clients",
                clients.map((c) => {
                    if (c.name !== "client-a") return c;
                    const rest = { ...c };
                    delete rest.engines;
                    return engines === undefined ? rest : { ...rest, engines };
                }),
            );
        };
        const updated = sorted(
            endpoints.map((ep) => `update ${R.files(`trust-client-a-certs-d-${ep.replace(/:/g, "-")}`)}`),
        );
        setEngines(["docker", "podman"]);
        assert.deepEqual(mustSucceed(stack.preview(), "preview add podman").changes, updated);
        mustSucceed(stack.up(), "up add podman");
        for (const ep of endpoints) assert.equal(onLab("client-a.lab", `test -s ${podmanCa(ep)}`).code, 0, ep);

        setEngines(undefined);
        assert.deepEqual(mustSucceed(stack.preview(), "preview remove podman").changes, updated);
        mustSucceed(stack.up(), "up remove podman");
        for (const ep of endpoints) {
            assert.notEqual(
                onLab("client-a.lab", `test -e ${podmanCa(ep)}`).code,
                0,
                `${ep}: podman's CA file is gone`,
            );
            assert.equal(onLab("client-a.lab", `test -s ${certsD(ep)}`).code, 0, `${ep}: docker's stays`);
        }
        assert.equal(v2Status("client-a.lab").status, "401");
    });

    it("a daemon.json key an admin added after the first up survives the next daemon change", () => {
        const current = JSON.parse(run("registry.lab", "cat /etc/docker/daemon.json")) as Record<string, unknown>;
        run(
            "registry.lab",
            "cat > /etc/docker/daemon.json",
            JSON.stringify({ ...current, "max-concurrent-downloads": 2 }),
        );
        stack.setConfig("host", {
            ...(stack.readConfig()["airgap-registry:host"] as object),
            daemon: { logOpts: { "max-size": "20m", "max-file": "3" } },
        });
        const preview = mustSucceed(stack.preview(), "preview daemon change");
        assert.deepEqual(
            preview.changes,
            sorted([`replace ${R.command("host-facts")}`, `update ${R.command("host-daemon-json")}`]),
        );
        mustSucceed(stack.up(), "up daemon change");
        const merged = JSON.parse(run("registry.lab", "cat /etc/docker/daemon.json")) as Record<string, unknown>;
        assert.equal(merged["max-concurrent-downloads"], 2, "the admin's key is kept");
        assert.deepEqual(merged["log-opts"], { "max-size": "20m", "max-file": "3" }, "the new setting is merged in");
        assert.equal(run("registry.lab", "docker info --format '{{.LiveRestoreEnabled}}'").trim(), "true");
        assert.equal(v2Status("client-a.lab").status, "401", "the registry serves after the engine restart");
    });

    it("a new registry image archive with the same tag is loaded, the container rolls onto it, the old image goes", () => {
        const tagId = () =>
            run("registry.lab", "docker image inspect --format '{{.Id}}' airgap-registry/registry:2.8").trim();
        const runningImage = () => run("registry.lab", "docker inspect --format '{{.Image}}' airgap-registry").trim();
        const original = { archive: stack.readConfig()["airgap-registry:registryImageArchive"] as string, id: tagId() };
        assert.equal(runningImage(), original.id);
        const archive = variantRegistryArchive("1");
        const variantId = archiveImageId(archive);
        assert.notEqual(variantId, original.id);
        stack.setConfig("registryImageArchive", archive);
        const preview = mustSucceed(stack.preview(), "preview new archive");
        assert.deepEqual(
            preview.changes,
            sorted([
                "replace command:remote:CopyToRemote::airgap-registry-host-image-archive",
                `replace ${R.command("host-image")}`,
                `replace ${R.container}`,
                `replace ${R.command("registry-ready")}`,
            ]),
        );
        mustSucceed(stack.up(), "up new archive");
        assert.equal(tagId(), variantId, "the tag now names the new archive's image");
        assert.equal(runningImage(), variantId, "the container runs it");
        assert.notEqual(
            onLab("registry.lab", `docker image inspect ${original.id}`).code,
            0,
            "the image the old archive brought is removed",
        );
        assert.equal(v2Status("client-a.lab").status, "401");

        stack.setConfig("registryImageArchive", original.archive);
        mustSucceed(stack.up(), "up back to the lab's archive");
        assert.equal(runningImage(), original.id);
        assert.notEqual(onLab("registry.lab", `docker image inspect ${variantId}`).code, 0, "the variant is removed");
        fs.rmSync(archive, { force: true });
    });

    it("a host whose SSH key changed is refused before any secret reaches it; with the key re-pinned the change applies", () => {
        // Someone else answers as registry.lab: same address, another host key (the lab's
        // known_hosts still holds the real one). Checks go through docker exec, not SSH.
        const onRegistry = (command: string) =>
            execFileSync("docker", ["exec", "airgap-lab-registry", "sh", "-c", command], { encoding: "utf8" });
        onRegistry("rm -f /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && kill -HUP $(cat /run/sshd.pid)");
        const htpasswd = () => onRegistry(`sha256sum ${dataDir}/auth/htpasswd`);
        const before = { htpasswd: htpasswd(), a: trustFiles("client-a.lab") };
        const next = "the-operator-password-0123456789";
        stack.setSecret("passwords.operator", next);
        const refused = stack.up();
        assert.notEqual(refused.status, 0, "up must fail");
        assert.match(
            refused.output,
            /airgap-registry-registry-htpasswd[\s\S]*(host key mismatch|is not the pinned one)|(host key mismatch|is not the pinned one)[\s\S]*airgap-registry-registry-htpasswd/,
        );
        assert.equal(
            htpasswd(),
            before.htpasswd,
            "the htpasswd file (a secret, sent on stdin) never reached the impostor",
        );
        assert.doesNotMatch(refused.output, new RegExp(next));
        assert.deepEqual(trustFiles("client-a.lab"), before.a, "the clients are untouched");

        // The operator checks the new key out of band and pins it (the lab records it again).
        cfg = labUp();
        mustSucceed(stack.up(), "up with the new key pinned");
        assert.notEqual(htpasswd(), before.htpasswd);
        assert.equal(v2Status("client-a.lab", `operator:${next}`).status, "200");
    });

    it("runtime cli and docker-provider both serve, and switch in both directions", () => {
        login("client-b.lab", credentials()[0]);
        stack.setConfig("runtime", "cli");
        const toCli = mustSucceed(stack.preview(), "preview to cli");
        assert.deepEqual(
            toCli.changes,
            sorted([
                `create ${R.command("registry-container")}`,
                `delete ${R.container}`,
                `delete ${R.dockerProvider}`,
                `delete ${R.command("registry-handover")}`,
                `replace ${R.command("registry-ready")}`,
            ]),
        );
        mustSucceed(stack.up(), "up to cli");
        assert.equal(
            run(
                "registry.lab",
                "docker inspect --format '{{index .Config.Labels \"airgap-registry.runtime\"}} {{.State.Health.Status}}' airgap-registry",
            ).trim(),
            "cli healthy",
        );
        run("client-b.lab", `docker rmi ${image} >/dev/null && docker pull ${image} >/dev/null`);
        assert.equal(repoDigest("client-b.lab"), `${endpoint}/hello@${pushedDigest}`);

        stack.setConfig("runtime", "docker-provider");
        const back = mustSucceed(stack.preview(), "preview to docker-provider");
        assert.deepEqual(
            back.changes,
            sorted([
                `delete ${R.command("registry-container")}`,
                `create ${R.container}`,
                `create ${R.dockerProvider}`,
                `create ${R.command("registry-handover")}`,
                `replace ${R.command("registry-ready")}`,
            ]),
        );
        mustSucceed(stack.up(), "up to docker-provider");
        assert.equal(
            run(
                "registry.lab",
                "docker inspect --format '[{{index .Config.Labels \"airgap-registry.runtime\"}}] {{.State.Health.Status}}' airgap-registry",
            ).trim(),
            "[] healthy",
        );
        run("client-b.lab", `docker rmi ${image} >/dev/null && docker pull ${image} >/dev/null`);
        assert.equal(repoDigest("client-b.lab"), `${endpoint}/hello@${pushedDigest}`);
        assert.deepEqual(mustSucceed(stack.preview("--expect-no-changes"), "preview after switching back").changes, []);
    });

    it("destroy removes the container and every client's trust, and keeps the registry storage", () => {
        const r = stack.destroy();
        assert.equal(r.status, 0, r.output);
        assert.deepEqual(stack.resources(), []);
        assert.equal(run("registry.lab", "docker ps -aq --filter name=airgap-registry").trim(), "");
        for (const host of ["client-a.lab", "client-b.lab"]) {
            assert.deepEqual(trustFiles(host), {}, `${host}: no CA file left`);
            assert.notEqual(onLab(host, `test -d /etc/docker/certs.d/${endpoint}`).code, 0);
        }
        assert.match(
            run("registry.lab", `ls ${repositories}`),
            /^hello$/m,
            "the pushed repository is still on the host",
        );
    });

    it("a client host down during up: the rest converges, up fails naming it; back up, the next up changes only its resources", () => {
        execFileSync("docker", ["stop", "-t", "1", "airgap-lab-client-b"], { stdio: "ignore" });
        let started = Date.now();
        const down = stack.up();
        const failedAfter = Date.now() - started;
        execFileSync("docker", ["start", "airgap-lab-client-b"], { stdio: "ignore" });
        assert.notEqual(down.status, 0, "up must fail while client-b is down");
        assert.match(
            down.output,
            /airgap-registry-trust-client-b[^\n]*(error|failed)|client-b\.lab/,
            "the failure names client-b",
        );
        assert.ok(
            down.changes.includes(`create ${R.container}`) && down.changes.includes(`create ${R.trust("client-a")}`),
            "the registry and client-a were deployed in the same up",
        );
        assert.equal(v2Status("client-a.lab").status, "401", "client-a trusts the registry");
        console.log(`# client-b down: up failed after ${Math.round(failedAfter / 1000)} s`);
        for (const d of diagnosticsOf(down.output).filter((m) => m.startsWith("error")))
            console.log(`#   ${d.split("\n")[0]}`);

        cfg = labUp(); // client-b's sshd is up again (same host key)
        started = Date.now();
        const preview = mustSucceed(stack.preview(), "preview with client-b back");
        assert.ok(preview.changes.length > 0);
        for (const change of preview.changes)
            assert.match(change, /trust-client-b/, `only client-b's resources: ${change}`);
        mustSucceed(stack.up(), "up with client-b back");
        console.log(`# client-b back: preview and up took ${Math.round((Date.now() - started) / 1000)} s`);
        assert.equal(v2Status("client-b.lab").status, "401");
        assert.deepEqual(mustSucceed(stack.preview("--expect-no-changes"), "converged").changes, []);
    });

    it("a re-up on the kept storage serves the earlier images", () => {
        mustSucceed(stack.up(), "re-up");
        const [ci] = credentials();
        login("client-b.lab", ci);
        run("client-b.lab", `docker rmi ${image} >/dev/null; docker pull ${endpoint}/hello@${pushedDigest} >/dev/null`);
        run("client-b.lab", `docker pull ${image} >/dev/null`);
        assert.equal(repoDigest("client-b.lab"), `${endpoint}/hello@${pushedDigest}`);
    });

    it("the registry process killed and the registry host's dockerd restarted: the container comes back, refresh finds no change", () => {
        const id = containerId();
        const restarts = () =>
            Number(run("registry.lab", "docker inspect --format '{{.RestartCount}}' airgap-registry").trim());
        const waitFor401 = (what: string) => {
            const deadline = Date.now() + 90_000;
            while (v2Status("client-a.lab").status !== "401") {
                if (Date.now() > deadline) throw new Error(`the registry did not come back after ${what}`);
                execFileSync("sleep", ["2"]);
            }
        };
        const before = restarts();
        let started = Date.now();
        run("registry.lab", "kill -KILL $(docker inspect --format '{{.State.Pid}}' airgap-registry)");
        waitFor401("its process was killed");
        console.log(`# registry process killed: serving again after ${Math.round((Date.now() - started) / 1000)} s`);
        assert.ok(restarts() > before, "restarted by its restart policy");

        started = Date.now();
        run("registry.lab", "pkill -x dockerd; sleep 3; until docker info >/dev/null 2>&1; do sleep 1; done");
        waitFor401("dockerd restarted");
        console.log(`# dockerd restarted: serving again after ${Math.round((Date.now() - started) / 1000)} s`);
        assert.equal(containerId(), id, "the same container (live-restore / restart policy), not a new one");
        assert.deepEqual(
            mustSucceed(stack.preview("--refresh", "--expect-no-changes"), "refresh after the faults").changes,
            [],
        );
    });

    it("removeDataOnDestroy: true removes the storage on destroy", () => {
        stack.setConfig("host", {
            ...(stack.readConfig()["airgap-registry:host"] as object),
            removeDataOnDestroy: true,
        });
        const preview = mustSucceed(stack.preview(), "preview removeDataOnDestroy");
        assert.deepEqual(preview.changes, [`update ${R.command("host-data-dir")}`]);
        mustSucceed(stack.up(), "up removeDataOnDestroy");
        assert.equal(stack.destroy().status, 0);
        assert.equal(onLab("registry.lab", `test -e ${dataDir}`).code, 1, `${dataDir} is gone`);
    });
});
