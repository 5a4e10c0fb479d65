/**
 * The replicated registry's graph under mocks (issue 16): replicas on S3 sharing one http secret and one htpasswd,
 * the load balancer listing them, the certificate's SANs, clients on the load balancer's endpoint; a third replica
 * adds only its resources and changes only haproxy.cfg; bad input fails naming the field before anything registers.
 * Also RegistryContainer's httpSecret and storage options, and LoadBalancer's cli runtime.
 */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import {
    installMocks,
    recordingRoot,
    settle,
    resetRecorded,
    valueOf,
    mockSecrets,
    RecordedResource,
    mockCertificateNotAfter,
    warningsDuring,
} from "../support/mocks";
import { existingFile, pemFixtures, knownHostsFile } from "../support/fixtures";
import { RegistryContainer } from "../../components";
import { LoadBalancer, ReplicatedRegistry } from "../../components/internal";
import type { ReplicatedRegistryComponentArgs } from "../../components/internal";
import { bcryptForUser } from "../../components/registry/htpasswd";

installMocks();

const key = existingFile();
const knownHosts = knownHostsFile();
const hostFilesType = "pulumi-nodejs:dynamic/airgap-registry:HostFiles";
const children = (all: RecordedResource[], parentName: string) =>
    all.filter((r) => r.parent.endsWith(`::${parentName}`));
const byName = (all: RecordedResource[], name: string) => {
    const r = all.find((x) => x.name === name);
    assert.ok(r, `resource ${name} was not registered`);
    return r;
};
const contentOf = (r: RecordedResource): string => Object.values(r.inputs.contents as Record<string, string>)[0];
const pathOf = (r: RecordedResource): string => Object.keys(r.inputs.contents as Record<string, string>)[0];

const s3 = () => ({
    regionendpoint: "https://rgw.site:7480",
    bucket: "registry",
    accesskey: pulumi.secret("AK-SECRET"),
    secretkey: pulumi.secret("SK-SECRET"),
    caCertPem: pemFixtures().caCert,
});

function args(
    replicas: string[],
    overrides: Partial<ReplicatedRegistryComponentArgs> = {},
): ReplicatedRegistryComponentArgs {
    return {
        replicas: replicas.map((n, i) => ({ name: n, address: `10.0.0.${11 + i}`, privateKeyPath: key })),
        storage: { s3: s3() },
        loadBalancer: {
            address: "10.0.0.10",
            privateKeyPath: key,
            names: ["registry.site"],
            ips: ["10.0.0.10"],
        },
        users: [{ name: "ci" }, { name: "ops", password: pulumi.secret("given-SECRET-pw") }],
        clients: [{ name: "client-a", address: "10.0.0.50", privateKeyPath: key, hostsEntry: true }],
        knownHostsPath: knownHosts,
        ...overrides,
    };
}

describe("ReplicatedRegistry with 2 replicas", () => {
    it("its parts: names, types, parents; one http secret and one password per user for the stack", async () => {
        resetRecorded();
        const root = recordingRoot("rr-graph");
        const rr = new ReplicatedRegistry("rr", args(["a", "b"]), { parent: root });
        const all = await settle();
        assert.deepEqual(
            children(all, "rr").map((r) => [r.type, r.name]),
            [
                ["airgap-registry:pki:CertificateAuthority", "rr-ca"],
                ["airgap-registry:pki:RegistryCertificate", "rr-cert"],
                ["random:index/randomPassword:RandomPassword", "rr-http-secret"],
                ["random:index/randomPassword:RandomPassword", "rr-password-ci"],
                ["airgap-registry:host:HostPreparation", "rr-a-host"],
                ["airgap-registry:registry:RegistryContainer", "rr-a-registry"],
                ["airgap-registry:host:HostPreparation", "rr-b-host"],
                ["airgap-registry:registry:RegistryContainer", "rr-b-registry"],
                ["airgap-registry:loadBalancer:LoadBalancer", "rr-lb"],
                ["airgap-registry:trust:ClientTrust", "rr-trust-client-a"],
            ],
        );
        // Each replica: no secret or password of its own; the S3 CA as one more file.
        for (const r of ["a", "b"]) {
            assert.deepEqual(
                children(all, `rr-${r}-registry`).map((x) => [x.type, x.name]),
                [
                    [hostFilesType, `rr-${r}-registry-cert-chain`],
                    [hostFilesType, `rr-${r}-registry-server-key`],
                    [hostFilesType, `rr-${r}-registry-config`],
                    [hostFilesType, `rr-${r}-registry-htpasswd`],
                    [hostFilesType, `rr-${r}-registry-s3-ca`],
                    ["pulumi:providers:docker", `rr-${r}-registry-docker`],
                    ["command:remote:Command", `rr-${r}-registry-handover`],
                    ["docker:index/container:Container", `rr-${r}-registry-container`],
                    ["command:remote:Command", `rr-${r}-registry-ready`],
                ],
            );
            assert.equal(
                byName(all, `rr-${r}-registry-config`).inputs.connection.host,
                r === "a" ? "10.0.0.11" : "10.0.0.12",
            );
        }
        assert.deepEqual(
            children(all, "rr-lb").map((x) => [x.type, x.name]),
            [
                ["airgap-registry:host:HostPreparation", "rr-lb-host"],
                [hostFilesType, "rr-lb-config"],
                [hostFilesType, "rr-lb-certificate"],
                [hostFilesType, "rr-lb-ca"],
                ["pulumi:providers:docker", "rr-lb-docker"],
                ["command:remote:Command", "rr-lb-handover"],
                ["docker:index/container:Container", "rr-lb-container"],
                ["command:remote:Command", "rr-lb-ready"],
            ],
        );
        assert.equal(all.filter((r) => r.type === "random:index/randomPassword:RandomPassword").length, 2);
        assert.deepEqual(await valueOf(rr.endpoints), ["registry.site:5000", "10.0.0.10:5000"]);
        assert.equal(await valueOf(rr.endpoint), "registry.site:5000");
        assert.deepEqual(await valueOf(rr.replicaEndpoints), { a: "10.0.0.11:5000", b: "10.0.0.12:5000" });
        assert.deepEqual(await valueOf(rr.credentials), [
            { username: "ci", password: mockSecrets.password("rr-password-ci") },
            { username: "ops", password: "given-SECRET-pw" },
        ]);
        assert.equal(await valueOf(rr.registryVersion), "3");
    });

    it("every replica: the same http secret, the same htpasswd, the S3 storage and its CA, the env", async () => {
        resetRecorded();
        const root = recordingRoot("rr-files");
        new ReplicatedRegistry("rs", args(["a", "b"]), { parent: root });
        const all = await settle();
        const configs = ["a", "b"].map(
            (r) => YAML.parse(contentOf(byName(all, `rs-${r}-registry-config`))) as Record<string, any>,
        );
        for (const c of configs) {
            assert.equal(c.http.secret, mockSecrets.password("rs-http-secret"));
            assert.deepEqual(c.storage.s3, {
                regionendpoint: "https://rgw.site:7480",
                forcepathstyle: true,
                secure: true,
                skipverify: false,
                region: "us-east-1",
                bucket: "registry",
                accesskey: "AK-SECRET",
                secretkey: "SK-SECRET",
                chunksize: 10485760,
            });
            assert.deepEqual(c.storage.redirect, { disable: true });
            assert.equal(c.storage.filesystem, undefined);
        }
        assert.deepEqual(configs[0], configs[1], "the replicas' configs are the same file");
        const htpasswds = ["a", "b"].map((r) => contentOf(byName(all, `rs-${r}-registry-htpasswd`)));
        assert.equal(htpasswds[0], htpasswds[1]);
        assert.equal(
            htpasswds[0],
            `ci:${bcryptForUser("ci", mockSecrets.password("rs-password-ci"))}\nops:${bcryptForUser("ops", "given-SECRET-pw")}\n`,
        );
        for (const r of ["a", "b"]) {
            const ca = byName(all, `rs-${r}-registry-s3-ca`);
            assert.equal(pathOf(ca), "/var/lib/airgap-registry/certs/s3-ca/ca.pem");
            assert.equal(
                contentOf(ca),
                pemFixtures().caCert.endsWith("\n") ? pemFixtures().caCert : `${pemFixtures().caCert}\n`,
            );
            const c = byName(all, `rs-${r}-registry-container`).inputs;
            assert.deepEqual(c.envs, [
                "OTEL_TRACES_EXPORTER=none",
                "SSL_CERT_DIR=/certs/s3-ca",
                "SSL_CERT_FILE=/certs/s3-ca/ca.pem",
            ]);
            assert.ok(byName(all, `rs-${r}-registry-config`).secretInputs.includes("contents"));
        }
        // No secret in any command text.
        for (const r of all.filter((x) => x.type === "command:remote:Command")) {
            const text = `${r.inputs.create ?? ""}${r.inputs.delete ?? ""}`;
            assert.doesNotMatch(text, /SECRET/, `${r.name} carries no secret`);
        }
    });

    it("the load balancer: haproxy.cfg lists both replicas, the certificate file 0600, the CA, the SANs", async () => {
        resetRecorded();
        const root = recordingRoot("rr-lb");
        const rr = new ReplicatedRegistry("rl", args(["a", "b"]), { parent: root });
        const all = await settle();
        const cfg = byName(all, "rl-lb-config");
        assert.equal(pathOf(cfg), "/etc/haproxy/airgap-registry/haproxy.cfg");
        const text = contentOf(cfg);
        assert.equal(text, await valueOf(rr.loadBalancer.config));
        const servers = text.split("\n").filter((l) => l.trim().startsWith("server "));
        assert.deepEqual(
            servers.map((l) => l.trim().split(" ").slice(0, 3).join(" ")),
            ["server a 10.0.0.11:5000", "server b 10.0.0.12:5000"],
        );
        assert.match(servers[0], /verifyhost registry\.site /);
        assert.match(text, /bind :5000 ssl crt \/etc\/haproxy\/airgap-registry\/server\.pem/);
        const pem = byName(all, "rl-lb-certificate");
        assert.equal(pathOf(pem), "/etc/haproxy/airgap-registry/server.pem");
        assert.equal(pem.inputs.files[0].mode, "0600");
        assert.ok(pem.secretInputs.includes("contents"));
        assert.match(contentOf(pem), /BEGIN CERTIFICATE[\s\S]*SECRET-key-rl-cert-key/);
        assert.equal(pathOf(byName(all, "rl-lb-ca")), "/etc/haproxy/airgap-registry/ca.pem");
        for (const f of ["config", "certificate", "ca"]) {
            const onChange = byName(all, `rl-lb-${f}`).inputs.onChange as string;
            assert.match(onChange, /docker exec 'airgap-registry-lb' haproxy -c -q -f/);
            assert.match(onChange, /docker kill -s USR2 'airgap-registry-lb'/);
        }
        const c = byName(all, "rl-lb-container").inputs;
        assert.equal(c.image, "haproxy:2.6");
        assert.equal(c.user, "0");
        assert.deepEqual(c.entrypoints, ["haproxy"]);
        assert.deepEqual(c.command, ["-W", "-db", "-f", "/etc/haproxy/airgap-registry/haproxy.cfg"]);
        // On the host's network: haproxy binds the load balancer's port there itself, nothing is published.
        assert.equal(c.networkMode, "host");
        assert.equal(c.ports, undefined);
        assert.deepEqual(c.volumes, [
            { hostPath: "/etc/haproxy/airgap-registry", containerPath: "/etc/haproxy/airgap-registry", readOnly: true },
        ]);
        assert.match(byName(all, "rl-lb-ready").inputs.create, /https:\/\/localhost:5000\/v2\//);
        // The LB host is prepared as a registry host is, with haproxy's image.
        assert.match(byName(all, "rl-lb-host-image").inputs.create, /haproxy:2\.6/);
        // SANs: the load balancer's names and IPs (plus localhost), not the replicas'.
        const csr = byName(all, "rl-cert-csr").inputs;
        assert.ok(csr.dnsNames.includes("registry.site"));
        assert.ok(csr.ipAddresses.includes("10.0.0.10"));
        assert.ok(!csr.ipAddresses.includes("10.0.0.11") && !csr.ipAddresses.includes("10.0.0.12"));
    });

    it("clients trust the CA and check the load balancer's endpoints", async () => {
        resetRecorded();
        const root = recordingRoot("rr-clients");
        new ReplicatedRegistry("rt", args(["a", "b"]), { parent: root });
        const all = await settle();
        const mine = children(all, "rt-trust-client-a");
        const text = JSON.stringify(mine.map((r) => r.inputs));
        assert.match(text, /registry\.site:5000/);
        assert.match(text, /10\.0\.0\.10:5000/);
        assert.doesNotMatch(text, /10\.0\.0\.1[12]/, "clients are not pointed at a replica");
        const hosts = byName(all, "rt-trust-client-a-hosts");
        assert.match(contentOf(hosts) ?? JSON.stringify(hosts.inputs), /10\.0\.0\.10\s+registry\.site/);
    });
});

describe("ReplicatedRegistry: certificate expiry", () => {
    it("outputs both certificates' ends and warns (not fails) within expiryWarningDays of the server certificate's", async () => {
        const mockNotAfter = mockCertificateNotAfter;
        const daysLeft = Math.floor((Date.parse(mockNotAfter) - Date.now()) / 86_400_000);
        const run = async (expiryWarningDays: number) => {
            const { result: site, warned } = await warningsDuring(
                () =>
                    new ReplicatedRegistry(`rx-${expiryWarningDays}`, args(["a", "b"], { expiryWarningDays }), {
                        parent: recordingRoot(`rr-expiry-${expiryWarningDays}`),
                    }),
            );
            return {
                warned,
                certEnd: await valueOf(site.serverCertificateNotAfter),
                caEnd: await valueOf(site.caCertificateNotAfter),
            };
        };
        // The mocks' CA ends sooner than their server certificate: each warning is checked on its own.
        const serverWarnings = (w: string[]) => w.filter((m) => m.includes("server certificate"));
        const none = await run(0);
        assert.deepEqual(none.warned, [], "0 days: neither expires within it, no warning");
        assert.equal(none.certEnd, mockNotAfter);
        assert.match(none.caEnd, /^\d{4}-\d{2}-\d{2}T/);
        assert.deepEqual(serverWarnings((await run(daysLeft - 1)).warned), [], "negative twin: outside the window");
        const inside = (await run(daysLeft + 1)).warned;
        assert.equal(serverWarnings(inside).length, 1, inside.join("\n"));
        assert.match(
            serverWarnings(inside)[0],
            new RegExp(`^the registry's server certificate expires on ${mockNotAfter} \\(in ${daysLeft} days?\\)`),
        );
        assert.match(
            inside.find((w) => w.includes("CA certificate")) ?? "",
            /^the CA certificate expires on .*: CA rotation is not supported with `replicas` yet/,
        );
    });

    it("a bad expiryWarningDays fails naming it, before anything registers", () => {
        assert.throws(
            () => new ReplicatedRegistry("rx-bad", args(["a", "b"], { expiryWarningDays: -1 })),
            /`expiryWarningDays` must be a whole number of days \(0 or more\), got -1/,
        );
    });
});

describe("ReplicatedRegistry: cli runtime, an existing CA, the image archive", () => {
    it("every replica loads the archive and runs with the S3 environment; the existing CA signs; haproxy by the CLI", async () => {
        resetRecorded();
        const root = recordingRoot("rr-cli");
        const archive = existingFile("registry-image.tar");
        const rr = new ReplicatedRegistry(
            "rc",
            args(["a", "b"], {
                runtime: "cli",
                registryImage: "airgap-registry/registry:3.1.2",
                registryImageArchive: archive,
                ca: { existing: { certPem: pemFixtures().caCert, keyPem: pulumi.secret(pemFixtures().caKey) } },
            }),
            { parent: root },
        );
        const all = await settle();
        assert.ok(!all.some((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert"), "no CA generated");
        assert.equal(await valueOf(rr.caCertificate), pemFixtures().caCert);
        for (const r of ["a", "b"]) {
            assert.equal(byName(all, `rc-${r}-host-image-archive`).type, "command:remote:CopyToRemote");
            assert.match(byName(all, `rc-${r}-host-image`).inputs.create, /airgap-registry\/registry:3\.1\.2/);
            const create = byName(all, `rc-${r}-registry-container`).inputs.create as string;
            assert.match(create, /-e 'SSL_CERT_FILE=\/certs\/s3-ca\/ca\.pem'/);
            assert.match(create, /'airgap-registry\/registry:3\.1\.2'/);
        }
        assert.equal(byName(all, "rc-lb-container").type, "command:remote:Command");
        assert.ok(!all.some((r) => r.name === "rc-lb-docker"));
    });
});

describe("ReplicatedRegistry: a third replica", () => {
    it("adds only that replica's resources and changes only haproxy.cfg", async () => {
        // The same component name both times (under two roots), as two ups of one stack: generated secrets and
        // keys (named after their resources) are then the same, and so are the digests of the files holding them.
        const run = async (rootName: string, replicas: string[]) => {
            resetRecorded();
            const root = recordingRoot(rootName);
            new ReplicatedRegistry("rx", args(replicas), { parent: root });
            const all = await settle();
            return new Map(
                all
                    .filter((r) => r.type !== "test:index:Root")
                    .map((r) => [`${r.type}::${r.name.replace(/^rx-/, "X-")}`, JSON.stringify(r.inputs)]),
            );
        };
        const two = await run("r2", ["a", "b"]);
        const three = await run("r3", ["a", "b", "c"]);
        const added = [...three.keys()].filter((k) => !two.has(k));
        const removed = [...two.keys()].filter((k) => !three.has(k));
        assert.deepEqual(removed, []);
        assert.ok(added.length > 0);
        for (const k of added) assert.match(k, /::X-c-/, `${k} belongs to the new replica`);
        assert.ok(added.includes("airgap-registry:registry:RegistryContainer::X-c-registry"));
        assert.ok(added.includes("airgap-registry:host:HostPreparation::X-c-host"));
        const changed = [...two.keys()].filter((k) => two.get(k) !== three.get(k));
        assert.deepEqual(changed, [`${hostFilesType}::X-lb-config`]);
    });
});

describe("ReplicatedRegistry: bad input fails naming the field, before anything registers", () => {
    const cases: Array<[string, () => ReplicatedRegistryComponentArgs, RegExp]> = [
        [
            "replicas without S3",
            () => args(["a", "b"], { storage: undefined }),
            /`storage\.s3` is required with more than one replica/,
        ],
        [
            "an endpoint that is not a URL",
            () => args(["a", "b"], { storage: { s3: { ...s3(), regionendpoint: "rgw.site:7480" } } }),
            /`storage\.s3\.regionendpoint` must be a URL/,
        ],
        [
            "a missing bucket",
            () => args(["a", "b"], { storage: { s3: { ...s3(), bucket: "" } } }),
            /`storage\.s3\.bucket` is required/,
        ],
        [
            "redirects on without redirectendpoint",
            () => args(["a", "b"], { storage: { s3: s3(), redirect: { disable: false } } }),
            /`storage\.s3\.redirectendpoint` is required when `storage\.redirect\.disable` is false/,
        ],
        [
            "a plain-string credential",
            () => args(["a"], { storage: { s3: { ...s3(), secretkey: "plain" as unknown as pulumi.Output<string> } } }),
            /`storage\.s3\.secretkey` must be a Pulumi secret/,
        ],
        [
            "no load balancer",
            () =>
                args(["a"], { loadBalancer: undefined as unknown as ReplicatedRegistryComponentArgs["loadBalancer"] }),
            /`loadBalancer` is required/,
        ],
        [
            "a load balancer without names",
            () => args(["a", "b"], { loadBalancer: { address: "10.0.0.10", privateKeyPath: key, names: [] } }),
            /`loadBalancer\.names` needs at least one DNS name/,
        ],
        ["a repeated replica name", () => args(["a", "a"]), /`replicas\[1\]\.name` repeats "a"/],
        ["a replica named lb", () => args(["lb", "b"]), /`replicas\[0\]\.name` "lb" is taken/],
        ["no users", () => args(["a", "b"], { users: [] }), /`users` is empty/],
        [
            "a host with no host key source",
            () => args(["a", "b"], { knownHostsPath: undefined }),
            /`replicas\[0\]\.hostKey` \(or `replicas\[0\]\.knownHostsPath`\) is required[\s\S]*`loadBalancer\.hostKey`/,
        ],
        [
            "a client hosts entry without load balancer IPs",
            () =>
                args(["a", "b"], {
                    loadBalancer: { address: "10.0.0.10", privateKeyPath: key, names: ["registry.site"] },
                }),
            /`clients\[0\]\.hostsEntry` needs `loadBalancer\.ips`/,
        ],
    ];
    for (const [what, make, message] of cases) {
        it(what, async () => {
            resetRecorded();
            const root = recordingRoot(`bad-${what.replace(/[^a-z]+/g, "-")}`);
            assert.throws(() => new ReplicatedRegistry("bad", make(), { parent: root }), message);
            const all = await settle();
            assert.deepEqual(
                all.filter((r) => r.type !== "test:index:Root").map((r) => r.name),
                [],
                "nothing registered",
            );
        });
    }
});

describe("RegistryContainer: httpSecret and object storage", () => {
    const base = () => ({
        ssh: { address: "registry.lab", privateKeyPath: key, knownHostsPath: knownHosts },
        certChainPem: pemFixtures().caCert + pemFixtures().caCert,
        privateKeyPem: mockSecrets.privateKey("server"),
        caCertPem: pemFixtures().caCert,
        users: [{ name: "ci", password: pulumi.secret("ci-SECRET-pw") }],
    });
    it("a given http secret replaces its own RandomPassword; S3 config, CA file and env (docker provider)", async () => {
        resetRecorded();
        const root = recordingRoot("rc-s3");
        new RegistryContainer(
            "rs3",
            { ...base(), httpSecret: pulumi.secret("given-http-SECRET"), storage: { s3: s3() } },
            { parent: root },
        );
        const all = await settle();
        assert.deepEqual(
            children(all, "rs3").map((r) => r.name),
            [
                "rs3-cert-chain",
                "rs3-server-key",
                "rs3-config",
                "rs3-htpasswd",
                "rs3-s3-ca",
                "rs3-docker",
                "rs3-handover",
                "rs3-container",
                "rs3-ready",
            ],
        );
        const config = YAML.parse(contentOf(byName(all, "rs3-config")));
        assert.equal(config.http.secret, "given-http-SECRET");
        assert.equal(config.storage.s3.bucket, "registry");
        assert.equal(config.storage.s3.regionendpoint, "https://rgw.site:7480");
        assert.deepEqual(config.storage.redirect, { disable: true });
        assert.equal(pathOf(byName(all, "rs3-s3-ca")), "/var/lib/airgap-registry/certs/s3-ca/ca.pem");
        // The heal script restarts the container for the CA file too.
        assert.match(byName(all, "rs3-config").inputs.onChange, /certs\/s3-ca\/ca\.pem/);
        assert.deepEqual(byName(all, "rs3-container").inputs.envs, [
            "OTEL_TRACES_EXPORTER=none",
            "SSL_CERT_DIR=/certs/s3-ca",
            "SSL_CERT_FILE=/certs/s3-ca/ca.pem",
        ]);
        // On an object store the readiness step decides (naming the store's error), not the provider's wait.
        const container = byName(all, "rs3-container").inputs;
        assert.ok(container.healthcheck, "the container keeps its health check");
        assert.equal(container.wait, undefined, "no wait for healthy");
        const ready = byName(all, "rs3-ready").inputs.create as string;
        assert.match(ready, /^sleep 5$/m);
        assert.match(ready, /docker logs --tail 500 'airgap-registry'/);
    });
    it("an http store: no CA file, no SSL_CERT_* (cli runtime); 2.8 refuses redirectendpoint", async () => {
        resetRecorded();
        const root = recordingRoot("rc-s3-http");
        const { caCertPem: _ca, ...plain } = s3();
        void _ca;
        new RegistryContainer(
            "rsh",
            {
                ...base(),
                runtime: "cli",
                httpSecret: pulumi.secret("given-http-SECRET"),
                storage: { s3: { ...plain, regionendpoint: "http://rgw.site:7480" } },
            },
            { parent: root },
        );
        const all = await settle();
        assert.ok(!children(all, "rsh").some((r) => r.name === "rsh-s3-ca"));
        const create = byName(all, "rsh-container").inputs.create as string;
        assert.match(create, /-e 'OTEL_TRACES_EXPORTER=none'/);
        assert.match(create, /--health-cmd/);
        assert.match(create, /\{\{\.State\.Status\}\}' 'airgap-registry'\)" = running \]/, "waits for running");
        assert.doesNotMatch(create, /SSL_CERT/);
        assert.equal(YAML.parse(contentOf(byName(all, "rsh-config"))).storage.s3.secure, false);
        assert.throws(
            () =>
                new RegistryContainer("rs2", {
                    ...base(),
                    image: "registry:2",
                    storage: { s3: { ...s3(), redirectendpoint: "https://s3.site" }, redirect: { disable: false } },
                }),
            /`storage\.s3\.redirectendpoint` needs registry 3\.x/,
        );
    });
});

describe("LoadBalancer: the cli runtime", () => {
    it("haproxy run by the engine CLI as root, reloaded in place", async () => {
        resetRecorded();
        const root = recordingRoot("lb-cli");
        new LoadBalancer(
            "lbc",
            {
                ssh: { address: "10.0.0.10", privateKeyPath: key, knownHostsPath: knownHosts },
                haproxy: {
                    port: 443,
                    serverName: "registry.site",
                    replicas: [{ name: "a", address: "10.0.0.11", port: 5000 }],
                },
                certChainPem: pemFixtures().caCert,
                privateKeyPem: mockSecrets.privateKey("server"),
                caCertPem: pemFixtures().caCert,
                runtime: "cli",
                cliEngine: "podman",
                image: "airgap-registry/haproxy:2.6",
            },
            { parent: root },
        );
        const all = await settle();
        assert.deepEqual(
            children(all, "lbc").map((r) => r.name),
            ["lbc-host", "lbc-config", "lbc-certificate", "lbc-ca", "lbc-container", "lbc-ready"],
        );
        const create = byName(all, "lbc-container").inputs.create as string;
        assert.match(create, /podman run -d --name 'airgap-registry-lb' --restart always --user 0/);
        assert.match(create, /--network host/);
        assert.doesNotMatch(create, /-p \d/, "nothing published: haproxy binds 443 on the host's network");
        assert.match(
            create,
            /--entrypoint 'haproxy' \\\n {2}'airgap-registry\/haproxy:2\.6' \\\n {2}'-W' \\\n {2}'-db'/,
        );
        assert.match(byName(all, "lbc-config").inputs.onChange, /podman kill -s USR2/);
        assert.throws(
            () =>
                new LoadBalancer("lbbad", {
                    ssh: { address: "10.0.0.10", privateKeyPath: key, knownHostsPath: knownHosts },
                    haproxy: { port: 443, serverName: "registry.site", replicas: [] },
                    certChainPem: "",
                    privateKeyPem: "",
                    caCertPem: "",
                }),
            /`haproxy\.replicas` needs at least one replica/,
        );
    });
});
