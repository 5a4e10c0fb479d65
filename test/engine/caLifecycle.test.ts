/**
 * Day two through the real engine on the lab: server certificate renewal, CA rotation in three ups (generated and
 * brought-in next CA) with a pull between every two steps, and rotation steps out of order refused at preview.
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { CaState, RegistryCredential } from "../../components";
import { projectRoot } from "../support/engine";
import { freshLabHosts, labUp, mustRun, onHost } from "../support/lab";
import { makeLabPki } from "../support/labPki";
import { servedCaFingerprint as servedFingerprint } from "../support/registryChecks";
import { devStackConfig, JsonRun, mustSucceed, ProjectStack, takeLabFromDevStack } from "../support/stack";

const stack = new ProjectStack("test-ca");
const endpoint = "registry.lab:5443";
const image = `${endpoint}/hello:1`;
const anchorDir = "/usr/local/share/ca-certificates";
/** The OS store's anchor files, one certificate each (`.crt`, then `.2.crt` during a rotation), read in that order. */
const anchor = `${anchorDir}/airgap-registry-ca.crt $(ls ${anchorDir}/airgap-registry-ca.[0-9]*.crt 2>/dev/null)`;
/** client-b trusts through every engine's directory, so each holds what the OS store holds. */
const clientBFiles = [
    anchor,
    `/etc/docker/certs.d/${endpoint}/ca.crt`,
    `/etc/containers/certs.d/${endpoint}/ca.crt`,
    `/etc/containerd/certs.d/${endpoint}/ca.crt`,
];

let cfg: string;
const run = (host: string, command: string, stdin = "") => mustRun(cfg, host, command, stdin);

/** `op type::name` of the project's resources. */
const R = {
    ca: (resource: string) => `airgap-registry:pki:CertificateAuthority::airgap-registry-${resource}`,
    key: (ca: string) => `tls:index/privateKey:PrivateKey::airgap-registry-${ca}-key`,
    caCert: (ca: string) => `tls:index/selfSignedCert:SelfSignedCert::airgap-registry-${ca}-cert`,
    serverCert: "tls:index/locallySignedCert:LocallySignedCert::airgap-registry-cert-cert",
    command: (name: string) => `command:remote:Command::airgap-registry-${name}`,
    /** A step that a refresh reads back (HostFiles). */
    files: (name: string) => `pulumi-nodejs:dynamic/airgap-registry:HostFiles::airgap-registry-${name}`,
    container: "docker:index/container:Container::airgap-registry-registry-container",
};
/** What rolling the server certificate changes: the certificate, its file on the host, the container, the check. */
const registryRoll = [
    `replace ${R.serverCert}`,
    `update ${R.files("registry-cert-chain")}`,
    `replace ${R.container}`,
    `replace ${R.command("registry-ready")}`,
];
/** What a new trusted set changes on a client: the CA files (in place) and the check (re-run: its trigger is the CA's digest). */
const clientTrustChangeOn = (c: string) => [
    `update ${R.files(`trust-${c}-os-trust`)}`,
    `update ${R.files(`trust-${c}-certs-d-registry.lab-5443`)}`,
    `update ${R.files(`trust-${c}-check`)}`,
];
const clientTrustChange = ["client-a", "client-b"].flatMap(clientTrustChangeOn);
const generatedCa = (id: string) => [
    `create ${R.ca(`ca-${id}`)}`,
    `create ${R.key(`ca-${id}`)}`,
    `create ${R.caCert(`ca-${id}`)}`,
];
const sorted = (xs: string[]) => [...xs].sort();

function credentials(): RegistryCredential[] {
    return stack.output<RegistryCredential[]>("credentials");
}

/** Pulls the image on client-b from nothing (its copy removed first), TLS verified; returns the repo digest. */
function pullOnClientB(): string {
    run("client-b.lab", `docker rmi -f ${image} >/dev/null 2>&1 || true`);
    run("client-b.lab", `docker pull ${image} >/dev/null`);
    return run("client-b.lab", `docker image inspect --format '{{index .RepoDigests 0}}' ${image}`).trim();
}

/** How many certificates each of a client's trust files holds, and their fingerprints (one list per file). */
function trustedFingerprints(host: string, files: readonly string[]): string[][] {
    return files.map((file) => {
        const out = run(
            host,
            `awk '/BEGIN CERTIFICATE/{n++} {print > ("/tmp/cert." n)}' ${file} && for c in /tmp/cert.*; do openssl x509 -noout -fingerprint -sha256 -in "$c" | cut -d= -f2; done; rm -f /tmp/cert.*`,
        );
        return out.trim().split("\n").filter(Boolean);
    });
}

/** The fingerprint of the CA the registry serves, as client-a sees it. */
const servedCaFingerprint = () => servedFingerprint(cfg, "client-a.lab", endpoint, "registry.lab");

/**
 * Runs the preview, asserts it shows exactly `expected`, then the up (which also does `alsoInUp`: what an earlier,
 * failed up left pending, which the preview does not list); returns the up and its seconds.
 */
function step(what: string, expected: string[], alsoInUp: string[] = []): { up: JsonRun; seconds: number } {
    const preview = mustSucceed(stack.preview(), `${what}: preview`);
    assert.deepEqual(preview.changes, sorted(expected), `${what}: the preview shows exactly these resources`);
    const start = Date.now();
    const up = mustSucceed(stack.up(), `${what}: up`);
    const seconds = (Date.now() - start) / 1000;
    assert.deepEqual(up.changes, sorted([...expected, ...alsoInUp]), `${what}: the up did what the preview showed`);
    console.log(`${what}: up ${seconds.toFixed(1)} s, ${expected.length} resources changed`);
    return { up, seconds };
}

/** A preview that must fail before anything changes, with a message matching `expected`. */
function refused(what: string, expected: RegExp): void {
    const before = stack.resources().length;
    // The plain preview, as an operator reads it.
    const preview = stack.run("preview");
    assert.notEqual(preview.status, 0, `${what}: the preview must fail`);
    assert.match(preview.output, /error: invalid arguments for PrivateRegistry:/, `${what}: ${preview.output}`);
    assert.match(preview.output, expected, `${what}: the message names the field`);
    assert.equal(stack.resources().length, before, `${what}: nothing changed in the state`);
}

describe("day two through the real engine: renewal and CA rotation", { concurrency: false }, () => {
    let pushedDigest = "";

    before(() => {
        takeLabFromDevStack();
        cfg = freshLabHosts("registry", "client-a", "client-b", "outsider");
        const config = devStackConfig();
        const clients = config["airgap-registry:clients"] as Array<Record<string, unknown>>;
        clients[1].engines = ["docker", "podman", "containerd"];
        stack.recreate(config);
    });
    after(() => {
        if (process.env.AIRGAP_REGISTRY_KEEP_TEST_STACK) return;
        stack.destroy();
        stack.remove();
    });

    it("the first up serves, client-a pushes, client-b pulls", () => {
        mustSucceed(stack.up(), "fresh up");
        const [ci] = credentials();
        const sample = fs.readFileSync(path.join(projectRoot, ".lab", "images", "sample-image.tar"));
        assert.equal(onHost(cfg, "client-a.lab", "docker load >/dev/null", sample).code, 0);
        run("client-a.lab", `docker tag airgap-lab/hello:1 ${image}`);
        for (const host of ["client-a.lab", "client-b.lab"])
            run(host, `docker login ${endpoint} --username ${ci.username} --password-stdin`, ci.password);
        const pushed = run("client-a.lab", `docker push ${image}`);
        pushedDigest = (/digest: (sha256:[0-9a-f]{64})/.exec(pushed) ?? [])[1] ?? "";
        assert.match(pushedDigest, /^sha256:[0-9a-f]{64}$/, pushed);
        assert.equal(pullOnClientB(), `${endpoint}/hello@${pushedDigest}`);
        const state = stack.output<CaState>("caState");
        assert.deepEqual(
            { step: state.step, serving: state.serving, trusted: state.trusted.map((t) => t.id) },
            { step: "none", serving: "ca", trusted: ["ca"] },
        );
        assert.match(state.trusted[0].digest, /^generated:[0-9a-f]{64}$/);
    });

    it("renewal: inside the early-renewal window the preview replaces the certificate and rolls the registry, nothing on a client", () => {
        // A window as long as the validity is open from the start: every preview is inside it.
        stack.setConfig("certificate", { validityHours: 1, earlyRenewalHours: 1 });
        mustSucceed(stack.up(), "up with a one-hour certificate");
        const issued = stack.output<string>("serverCertificateNotAfter");
        const filesBefore = trustedFingerprints("client-b.lab", clientBFiles);
        // No config change: the window alone makes the certificate due.
        step("renewal", registryRoll);
        assert.notEqual(stack.output<string>("serverCertificateNotAfter"), issued, "a new certificate was issued");
        assert.deepEqual(trustedFingerprints("client-b.lab", clientBFiles), filesBefore, "the clients are untouched");
        assert.equal(pullOnClientB(), `${endpoint}/hello@${pushedDigest}`);
        // Back to the default certificate.
        stack.writeConfig({ ...stack.readConfig(), "airgap-registry:certificate": {} });
        mustSucceed(stack.up(), "up with the default certificate");
        mustSucceed(stack.preview("--expect-no-changes"), "the default certificate is not due");
    });

    it("rotation to a generated CA: trust-next, serve-next, retire, with a pull between every two steps", () => {
        const oldCa = stack.output<string>("caCertificate");
        const oldFingerprint = stack.output<string>("caFingerprintSha256");
        const next = { id: "2027", keyAlgorithm: "ECDSA", ecdsaCurve: "P256", subject: { commonName: "lab CA 2027" } };

        // 1. The next CA exists and every client trusts both (the OS store and every engine's directory).
        stack.setConfig("caRotation", { step: "trust-next", next });
        step("rotation 1 trust-next", [...generatedCa("2027"), ...clientTrustChange]);
        const state = stack.output<CaState>("caState");
        assert.deepEqual(
            { step: state.step, serving: state.serving, trusted: state.trusted.map((t) => t.id) },
            { step: "trust-next", serving: "ca", trusted: ["ca", "2027"] },
        );
        const both = trustedFingerprints("client-b.lab", clientBFiles);
        for (const [i, file] of clientBFiles.entries()) {
            assert.equal(both[i].length, 2, `${file} holds both CAs`);
            assert.equal(both[i][0], oldFingerprint, `${file} still holds the current CA first`);
        }
        assert.deepEqual(
            trustedFingerprints("client-b.lab", [
                `${anchorDir}/airgap-registry-ca.crt`,
                `${anchorDir}/airgap-registry-ca.2.crt`,
            ]),
            [[both[0][0]], [both[0][1]]],
            "the OS store holds one CA a file (OpenSSL's hashed directory skips a file of two)",
        );
        assert.equal(servedCaFingerprint(), oldFingerprint, "the current CA still signs the served certificate");
        assert.equal(pullOnClientB(), `${endpoint}/hello@${pushedDigest}`);

        // 2. The server certificate is re-issued by the next CA; the clients are not touched.
        stack.setConfig("caRotation", { step: "serve-next", next });
        const filesBefore = trustedFingerprints("client-b.lab", clientBFiles);
        step("rotation 2 serve-next", registryRoll);
        const served = servedCaFingerprint();
        assert.equal(served, stack.output<string>("caFingerprintSha256"));
        assert.notEqual(served, oldFingerprint, "the registry now serves a certificate of the next CA");
        assert.ok(filesBefore[0].includes(served), "which every client already trusted");
        assert.deepEqual(trustedFingerprints("client-b.lab", clientBFiles), filesBefore, "the clients are untouched");
        assert.equal(pullOnClientB(), `${endpoint}/hello@${pushedDigest}`);

        // 3. The old CA is retired: the next CA's settings move to `ca`, the rotation goes.
        stack.writeConfig({ ...stack.readConfig(), "airgap-registry:ca": next, "airgap-registry:caRotation": {} });
        step("rotation 3 retire", [
            `delete ${R.ca("ca")}`,
            `delete ${R.key("ca")}`,
            `delete ${R.caCert("ca")}`,
            ...clientTrustChange,
        ]);
        for (const [i, file] of clientBFiles.entries())
            assert.deepEqual(
                trustedFingerprints("client-b.lab", clientBFiles)[i],
                [served],
                `${file} holds the next CA only`,
            );
        assert.equal(pullOnClientB(), `${endpoint}/hello@${pushedDigest}`);
        mustSucceed(stack.preview("--expect-no-changes"), "the rotation is complete");

        // A host that trusts only the old CA now fails on the certificate; the new CA's twin gets 401.
        const probe = (caPem: string) =>
            onHost(
                cfg,
                "outsider.lab",
                `cat > /tmp/ca.pem && curl -sS -o /dev/null -w '%{http_code}' --cacert /tmp/ca.pem https://${endpoint}/v2/`,
                caPem,
            );
        const withOld = probe(oldCa);
        assert.equal(withOld.code, 60, withOld.stderr);
        assert.match(withOld.stderr, /SSL certificate problem/);
        const withNew = probe(stack.output<string>("caCertificate"));
        assert.deepEqual({ code: withNew.code, status: withNew.stdout }, { code: 0, status: "401" });
    });

    it("steps out of order and a next CA that is not a CA are refused at preview, naming the field", () => {
        const current = stack.readConfig()["airgap-registry:ca"];
        // serve-next without trust-next first.
        stack.setConfig("caRotation", { step: "serve-next", next: { id: "2028" } });
        refused("serve-next first", /`caRotation\.step` is "serve-next" but the clients do not trust CA "2028" yet/);
        // A new CA in one up.
        stack.writeConfig({
            ...stack.readConfig(),
            "airgap-registry:ca": { id: "2028" },
            "airgap-registry:caRotation": {},
        });
        refused("a new CA in one up", /`ca\.id` is "2028", a CA the clients do not trust yet/);
        // The current CA's settings changed under its id.
        stack.writeConfig({
            ...stack.readConfig(),
            "airgap-registry:ca": { ...(current as object), ecdsaCurve: "P384" },
        });
        refused("other settings under the same id", /`ca` \(id "2027"\) has other settings/);
        // A leaf certificate as the next CA.
        const leaf = makeLabPki("not-a-ca.lab");
        const leafCert = leaf.chain.slice(0, leaf.chain.indexOf("-----END CERTIFICATE-----") + 25);
        stack.writeConfig({
            ...stack.readConfig(),
            "airgap-registry:ca": current,
            "airgap-registry:caRotation": { step: "trust-next", next: { id: "byo" } },
            "airgap-registry:nextCaCertPem": leafCert,
        });
        stack.setSecret("nextCaKeyPem", leaf.serverKey);
        refused("a leaf as the next CA", /`nextCaCertPem` is not a CA certificate/);
    });

    it("rotation to a brought-in CA: trust-next, serve-next, retire, with a pull between every two steps", () => {
        const byo = makeLabPki("unused.lab");
        stack.writeConfig({ ...stack.readConfig(), "airgap-registry:nextCaCertPem": byo.ca });
        stack.setSecret("nextCaKeyPem", byo.caKey);
        const next = { id: "byo" };
        stack.setConfig("caRotation", { step: "trust-next", next });

        // client-b is down for trust-next and still down for serve-next: the registry must not serve the next CA's
        // certificate while a client lacks it. During serve-next the registry's files wait for every client's trust
        // files, so that up fails on client-b before the registry changes; once client-b is back, serve-next gives
        // client-b the CAs first and then rolls the registry.
        const stopB = () => execFileSync("docker", ["stop", "-t", "1", "airgap-lab-client-b"], { stdio: "ignore" });
        const servedBefore = servedCaFingerprint();
        stopB();
        try {
            const trustNext = stack.up();
            assert.notEqual(trustNext.status, 0, "trust-next must fail while client-b is down");
            assert.match(trustNext.output, /airgap-registry-trust-client-b/, "the failure names client-b");
            assert.ok(trustNext.changes.includes(`create ${R.ca("ca-byo")}`), "the next CA was created all the same");
            assert.equal(trustedFingerprints("client-a.lab", [anchor])[0].length, 2, "client-a trusts both");

            stack.setConfig("caRotation", { step: "serve-next", next });
            const serveNext = stack.up();
            assert.notEqual(serveNext.status, 0, "serve-next must fail while client-b is down");
            assert.match(serveNext.output, /airgap-registry-trust-client-b/, "the failure names client-b");
            for (const held of [`update ${R.files("registry-cert-chain")}`, `replace ${R.container}`]) {
                assert.ok(!serveNext.changes.includes(held), `${held}: held back while client-b lacks the next CA`);
            }
            assert.equal(servedCaFingerprint(), servedBefore, "the registry still serves the current CA's certificate");
        } finally {
            execFileSync("docker", ["start", "airgap-lab-client-b"], { stdio: "ignore" });
        }
        cfg = labUp(); // client-b's sshd is up again (same host key)
        step(
            "byo rotation 2 serve-next, client-b back",
            [
                `update ${R.files("registry-cert-chain")}`,
                `replace ${R.container}`,
                `replace ${R.command("registry-ready")}`,
                ...clientTrustChangeOn("client-b"),
            ],
            // The failed serve-next replaced the server certificate (nothing on a host) and left the old one's delete
            // pending: this up runs it.
            [`replace ${R.serverCert}`],
        );
        assert.equal(trustedFingerprints("client-b.lab", [anchor])[0].length, 2, "client-b trusts both");
        assert.equal(servedCaFingerprint(), stack.output<string>("caFingerprintSha256"));
        assert.notEqual(servedCaFingerprint(), servedBefore, "the registry now serves the next CA's certificate");
        assert.equal(pullOnClientB(), `${endpoint}/hello@${pushedDigest}`);

        // Retire: the brought-in CA becomes `ca` (its PEMs move to existingCaCertPem/KeyPem).
        const config = stack.readConfig();
        delete config["airgap-registry:nextCaCertPem"];
        delete config["airgap-registry:nextCaKeyPem"];
        stack.writeConfig({
            ...config,
            "airgap-registry:ca": next,
            "airgap-registry:caRotation": {},
            "airgap-registry:existingCaCertPem": byo.ca,
        });
        stack.setSecret("existingCaKeyPem", byo.caKey);
        step("byo rotation 3 retire", [
            `delete ${R.ca("ca-2027")}`,
            `delete ${R.key("ca-2027")}`,
            `delete ${R.caCert("ca-2027")}`,
            ...clientTrustChange,
        ]);
        assert.equal(trustedFingerprints("client-b.lab", [anchor])[0].length, 1);
        assert.equal(pullOnClientB(), `${endpoint}/hello@${pushedDigest}`);
        mustSucceed(stack.preview("--expect-no-changes"), "the second rotation is complete");
    });
});
