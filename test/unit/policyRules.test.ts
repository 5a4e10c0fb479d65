/**
 * The policy pack's rules (policy/rules/), each a pure function, table-tested: what the project's components render
 * passes, and each way of breaking a rule gives its message naming the resource and the field.
 */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { dataDirScripts } from "../../components/host/hostScripts";
import { PrivateRegistry } from "../../components";
import {
    contentSha256,
    dockerOverSsh,
    registryConfig,
    renderRegistryConfig,
    trustCheckScript,
    writeFileScripts,
} from "../../components/internal";
import { caKeyStaysLocal, pemBody } from "../../policy/rules/caKeyStaysLocal";
import { clientTrustVerified } from "../../policy/rules/clientTrustVerified";
import { hostFilesType } from "../../policy/rules/hostFiles";
import {
    registryAuthAndTls,
    registryConfigNotKnownYet,
    registryConfigProblems,
    registryConfigsOf,
} from "../../policy/rules/registryAuthAndTls";
import { serverCertificateLifetime } from "../../policy/rules/serverCertificateLifetime";
import { policyDefaults } from "../../policy/rules/settings";
import { sshHostKeyPinned } from "../../policy/rules/sshHostKeyPinned";
import { storageKeptOnDestroy } from "../../policy/rules/storageKeptOnDestroy";
import { ResourceView, unknown, Value } from "../../policy/rules/view";
import { plainValue } from "../../policy/toView";
import { existingFile, knownHostsFile } from "../support/fixtures";
import { installMocks, recordingRoot, resetRecorded, settle } from "../support/mocks";

// The last describe builds the components under mocks and runs every rule on what they register.
installMocks();

const stack = "urn:pulumi:dev::airgap-registry::";

function resource(
    type: string,
    name: string,
    props: Record<string, Value>,
    extra: Partial<Pick<ResourceView, "parent" | "propertyDependencies">> = {},
): ResourceView {
    return { type, name, urn: `${stack}${type}::${name}`, props, propertyDependencies: {}, ...extra };
}

const messages = (vs: Array<{ message: string }>) => vs.map((v) => v.message);

const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEfqcBUhPBFfRSG7PRhwRdsq9z+UP1abFDAOYzC3Hf/7";
const pinned = { host: "registry.lab", user: "root", hostKey };

/** A HostFiles connection as the component renders it: the host's hop through the bastion's, each pinned. */
const hostFilesConnection = {
    host: "registry.lab",
    port: 22,
    user: "root",
    hostKey,
    privateKeyPath: "/home/op/.ssh/id_ed25519",
    bastion: { host: "127.0.0.1", port: 2222, user: "root", hostKey, privateKeyPath: "/home/op/.ssh/id_ed25519" },
};

/** A HostFiles' inputs (components/ssh/hostFiles.ts): `files` public (path, mode, digest), `contents` by path. */
function hostFiles(
    name: string,
    files: Record<string, string>,
    more: Record<string, Value> = {},
    extra: Partial<Pick<ResourceView, "parent" | "propertyDependencies">> = {},
): ResourceView {
    return resource(
        hostFilesType,
        name,
        {
            connection: hostFilesConnection,
            target: "root@registry.lab:22 via root@127.0.0.1:2222",
            files: Object.entries(files).map(([path, text]) => ({ path, mode: "0644", sha256: contentSha256(text) })),
            contents: files,
            directories: [],
            onChange: "",
            check: "",
            refreshCheck: "",
            triggers: [],
            replaceTriggers: [],
            __provider: "exports.handler = __f0; /* serialized provider */",
            ...more,
        },
        extra,
    );
}

describe("client-trust-verified", () => {
    const trust = resource("airgap-registry:trust:ClientTrust", "registry-trust-client-a", {});
    const check = resource("command:remote:Command", "registry-trust-client-a-check", {}, { parent: trust.urn });
    it("passes when the ClientTrust has its check child", () => {
        assert.deepEqual(clientTrustVerified([trust, check]), []);
    });
    it("fails naming the component and `verify` when the check is missing", () => {
        assert.deepEqual(messages(clientTrustVerified([trust])), [
            'airgap-registry:trust:ClientTrust "registry-trust-client-a": `verify` is off: no child command "registry-trust-client-a-check" checks from the client that the registry answers over TLS verified by its trust store (stack config `verifyClients: true`)',
        ]);
    });
    it("a check under another parent does not count", () => {
        const elsewhere = { ...check, parent: `${stack}other` };
        assert.equal(clientTrustVerified([trust, elsewhere]).length, 1);
    });
    const script = trustCheckScript("client-a", ["registry.lab:5443"]);
    const hostFilesCheck = (check: Value, name = "registry-trust-client-a-check") =>
        hostFiles(name, {}, { check, refreshCheck: script }, { parent: trust.urn });
    it("passes when the check child is a HostFiles with a check script (no files), or one not known yet", () => {
        assert.deepEqual(clientTrustVerified([trust, hostFilesCheck(script)]), []);
        assert.deepEqual(clientTrustVerified([trust, hostFilesCheck(unknown)]), []);
    });
    it("fails, with the same message, when the HostFiles check is empty, misnamed or under another parent", () => {
        const expected = [
            'airgap-registry:trust:ClientTrust "registry-trust-client-a": `verify` is off: no child command "registry-trust-client-a-check" checks from the client that the registry answers over TLS verified by its trust store (stack config `verifyClients: true`)',
        ];
        assert.deepEqual(messages(clientTrustVerified([trust, hostFilesCheck("")])), expected);
        assert.deepEqual(messages(clientTrustVerified([trust, hostFilesCheck(" \n")])), expected);
        assert.deepEqual(messages(clientTrustVerified([trust, hostFilesCheck(null)])), expected);
        assert.deepEqual(
            messages(clientTrustVerified([trust, hostFilesCheck(script, "registry-trust-client-a-hosts")])),
            expected,
        );
        const elsewhere = { ...hostFilesCheck(script), parent: `${stack}other` };
        assert.deepEqual(messages(clientTrustVerified([trust, elsewhere])), expected);
    });
    it("the trust's file steps (HostFiles without a check) do not stand in for the check", () => {
        const osTrust = hostFiles(
            "registry-trust-client-a-os-trust",
            { "/etc/airgap-registry/x.pem": "PEM" },
            {},
            {
                parent: trust.urn,
            },
        );
        assert.equal(clientTrustVerified([trust, osTrust]).length, 1);
    });
});

describe("ssh-host-key-pinned", () => {
    it("passes a pinned connection, a pinned proxy and an unknown host key", () => {
        const connections: Value[] = [
            pinned,
            { ...pinned, proxy: { host: "127.0.0.1", hostKey } },
            { ...pinned, hostKey: unknown },
        ];
        for (const connection of connections) {
            assert.deepEqual(sshHostKeyPinned(resource("command:remote:Command", "c", { connection })), []);
        }
    });
    it("fails naming connection.hostKey, and connection.proxy.hostKey", () => {
        const { hostKey: _k, ...unpinned } = pinned;
        void _k;
        assert.deepEqual(
            messages(sshHostKeyPinned(resource("command:remote:Command", "c", { connection: unpinned }))),
            [
                'command:remote:Command "c": `connection.hostKey` is not set: the SSH connection to "registry.lab" would accept any host key (pin it with hostKey or knownHostsPath)',
            ],
        );
        const viaProxy = { ...pinned, proxy: { host: "127.0.0.1", hostKey: "" } };
        assert.deepEqual(
            messages(sshHostKeyPinned(resource("command:remote:CopyToRemote", "copy", { connection: viaProxy }))),
            [
                'command:remote:CopyToRemote "copy": `connection.proxy.hostKey` is not set: the SSH connection to "127.0.0.1" would accept any host key (pin it with hostKey or knownHostsPath)',
            ],
        );
    });
    const ssh = {
        address: "registry.lab",
        privateKeyPath: "/k",
        knownHostsPath: "/kh",
        bastion: { address: "127.0.0.1", privateKeyPath: "/k", knownHostsPath: "/kh" },
    };
    it("passes the docker provider's ssh options as the components render them (array or JSON text)", () => {
        const { host, sshOpts } = dockerOverSsh(ssh);
        for (const opts of [sshOpts, JSON.stringify(sshOpts)]) {
            const p = resource("pulumi:providers:docker", "registry-docker", { host, sshOpts: opts });
            assert.deepEqual(sshHostKeyPinned(p), []);
        }
    });
    it("fails a docker provider whose ssh options opt out of host key checking", () => {
        const { host, sshOpts } = dockerOverSsh(ssh);
        const optedOut = sshOpts.map((o) => o.replace("StrictHostKeyChecking=yes", "StrictHostKeyChecking=no"));
        const p = resource("pulumi:providers:docker", "registry-docker", { host, sshOpts: optedOut });
        assert.deepEqual(messages(sshHostKeyPinned(p)), [
            'pulumi:providers:docker "registry-docker": `sshOpts` has "StrictHostKeyChecking=no": ssh to ssh://root@registry.lab:22 would not verify the host\'s key against its known_hosts',
            'pulumi:providers:docker "registry-docker": `sshOpts` lacks "StrictHostKeyChecking=yes": ssh to ssh://root@registry.lab:22 would ask about or accept unknown host keys',
        ]);
        const devNull = resource("pulumi:providers:docker", "d", {
            host,
            sshOpts: [...sshOpts, "-o", "UserKnownHostsFile=/dev/null"],
        });
        assert.match(messages(sshHostKeyPinned(devNull))[0], /`sshOpts` has "UserKnownHostsFile=\/dev\/null"/);
    });
    it("ignores a docker provider that does not use ssh", () => {
        assert.deepEqual(
            sshHostKeyPinned(resource("pulumi:providers:docker", "d", { host: "unix:///run/docker.sock" })),
            [],
        );
    });
    it("passes a HostFiles pinned on both hops, one without a bastion, and one whose key or connection is not known yet", () => {
        const { bastion: _b, ...direct } = hostFilesConnection;
        void _b;
        const connections: Value[] = [
            hostFilesConnection,
            direct,
            { ...hostFilesConnection, hostKey: unknown },
            { ...hostFilesConnection, bastion: { ...hostFilesConnection.bastion, hostKey: unknown } },
            unknown,
        ];
        for (const connection of connections) {
            assert.deepEqual(sshHostKeyPinned(hostFiles("registry-config", {}, { connection })), []);
        }
    });
    it("fails a HostFiles without connection.hostKey, or with an empty connection.bastion.hostKey", () => {
        const { hostKey: _k, ...unpinned } = hostFilesConnection;
        void _k;
        assert.deepEqual(messages(sshHostKeyPinned(hostFiles("registry-config", {}, { connection: unpinned }))), [
            'pulumi-nodejs:dynamic/airgap-registry:HostFiles "registry-config": `connection.hostKey` is not set: the SSH connection to "registry.lab" would accept any host key (pin it with hostKey or knownHostsPath)',
        ]);
        const viaBastion = { ...hostFilesConnection, bastion: { ...hostFilesConnection.bastion, hostKey: " " } };
        assert.deepEqual(messages(sshHostKeyPinned(hostFiles("trust-os", {}, { connection: viaBastion }))), [
            'pulumi-nodejs:dynamic/airgap-registry:HostFiles "trust-os": `connection.bastion.hostKey` is not set: the SSH connection to "127.0.0.1" would accept any host key (pin it with hostKey or knownHostsPath)',
        ]);
        const neither = { ...unpinned, bastion: { ...hostFilesConnection.bastion, hostKey: null } };
        assert.equal(sshHostKeyPinned(hostFiles("h", {}, { connection: neither })).length, 2);
    });
    it("leaves other dynamic resources alone", () => {
        const other = resource("pulumi-nodejs:dynamic:Resource", "d", { connection: { host: "h" } });
        assert.deepEqual(sshHostKeyPinned(other), []);
    });
});

describe("server-certificate-lifetime", () => {
    const cert = (props: Record<string, Value>) =>
        resource("tls:index/locallySignedCert:LocallySignedCert", "registry-cert-cert", {
            allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
            ...props,
        });
    const max = policyDefaults.maxServerCertificateDays;
    it("passes the defaults (8760 h, 720 h early renewal) and exactly the maximum", () => {
        assert.deepEqual(
            serverCertificateLifetime(cert({ validityPeriodHours: 8760, earlyRenewalHours: 720 }), max),
            [],
        );
        assert.deepEqual(
            serverCertificateLifetime(cert({ validityPeriodHours: 398 * 24, earlyRenewalHours: 1 }), max),
            [],
        );
    });
    it("fails a longer validity naming validityPeriodHours and the limit", () => {
        assert.deepEqual(
            messages(serverCertificateLifetime(cert({ validityPeriodHours: 9600, earlyRenewalHours: 720 }), max)),
            [
                'tls:index/locallySignedCert:LocallySignedCert "registry-cert-cert": `validityPeriodHours` is 9600 (400 days), more than the 398 days (9552 hours) a server certificate may be valid (policy config maxServerCertificateDays)',
            ],
        );
    });
    it("takes the maximum from the policy config", () => {
        assert.equal(
            serverCertificateLifetime(cert({ validityPeriodHours: 8760, earlyRenewalHours: 720 }), 90).length,
            1,
        );
    });
    it("fails a missing or zero renewal window naming earlyRenewalHours", () => {
        assert.deepEqual(messages(serverCertificateLifetime(cert({ validityPeriodHours: 8760 }), max)), [
            'tls:index/locallySignedCert:LocallySignedCert "registry-cert-cert": `earlyRenewalHours` is not set: no renewal window, so no `pulumi up` re-issues the certificate before it expires (stack config `certificate.earlyRenewalHours`, default 720)',
        ]);
        assert.match(
            messages(serverCertificateLifetime(cert({ validityPeriodHours: 8760, earlyRenewalHours: 0 }), max))[0],
            /`earlyRenewalHours` is 0: no renewal window/,
        );
    });
    it("leaves certificates that are not for TLS servers alone", () => {
        const client = resource("tls:index/locallySignedCert:LocallySignedCert", "c", {
            allowedUses: ["client_auth"],
            validityPeriodHours: 87600,
        });
        assert.deepEqual(serverCertificateLifetime(client, max), []);
    });
});

describe("ca-key-stays-local", () => {
    const caKeyPem = `-----BEGIN PRIVATE KEY-----\n${"A".repeat(64)}\n${"B".repeat(40)}\n-----END PRIVATE KEY-----\n`;
    const key = resource("tls:index/privateKey:PrivateKey", "ca-key", { algorithm: "ECDSA" });
    const caCert = resource(
        "tls:index/selfSignedCert:SelfSignedCert",
        "ca-cert",
        { isCaCertificate: true, privateKeyPem: unknown },
        { propertyDependencies: { privateKeyPem: [key.urn] } },
    );
    const serverCert = resource(
        "tls:index/locallySignedCert:LocallySignedCert",
        "registry-cert-cert",
        { caPrivateKeyPem: unknown, caCertPem: unknown },
        { propertyDependencies: { caPrivateKeyPem: [key.urn], caCertPem: [caCert.urn] } },
    );
    const write = writeFileScripts("/etc/x", "0600");
    it("passes commands that carry the CA certificate and the server chain", () => {
        const trust = resource(
            "command:remote:Command",
            "trust-os",
            { connection: pinned, create: write.create, stdin: unknown },
            { propertyDependencies: { stdin: [caCert.urn] } },
        );
        assert.deepEqual(caKeyStaysLocal([key, caCert, serverCert, trust]), []);
    });
    it("fails a command whose stdin is made from the CA key resource, naming the field and the key", () => {
        const copy = resource(
            "command:remote:Command",
            "ca-key-copy",
            { connection: pinned, create: write.create, stdin: unknown },
            { propertyDependencies: { stdin: [key.urn] } },
        );
        assert.deepEqual(messages(caKeyStaysLocal([key, caCert, serverCert, copy])), [
            'command:remote:Command "ca-key-copy": `stdin` is made from the CA private key (tls:index/privateKey:PrivateKey "ca-key"): the CA\'s private key must never be written to a host',
        ]);
    });
    it("fails a command or container whose known text holds an existing CA's key, re-wrapped or not", () => {
        const signed = resource("tls:index/locallySignedCert:LocallySignedCert", "registry-cert-cert", {
            caPrivateKeyPem: caKeyPem,
        });
        const env = resource("command:remote:Command", "env", { environment: { KEY: pemBody(caKeyPem) } });
        const container = resource("docker:index/container:Container", "c", {
            uploads: [{ file: "/k", content: caKeyPem }],
        });
        assert.deepEqual(messages(caKeyStaysLocal([signed, env, container])), [
            'command:remote:Command "env": `environment` holds the CA private key: the CA\'s private key must never be written to a host',
            'docker:index/container:Container "c": `uploads` holds the CA private key: the CA\'s private key must never be written to a host',
        ]);
    });
    it("a key that is not behind a CA is not a CA key", () => {
        const serverKey = resource("tls:index/privateKey:PrivateKey", "server-key", {});
        const keyWrite = resource(
            "command:remote:Command",
            "server-key",
            { stdin: unknown },
            { propertyDependencies: { stdin: [serverKey.urn] } },
        );
        assert.deepEqual(caKeyStaysLocal([key, caCert, serverCert, serverKey, keyWrite]), []);
    });
    it("passes HostFiles that carry the CA certificate, and a server key that is not the CA's", () => {
        const serverKey = resource("tls:index/privateKey:PrivateKey", "server-key", {});
        const trust = hostFiles(
            "trust-os",
            { "/etc/airgap-registry/x.pem": "PEM" },
            { contents: unknown },
            { propertyDependencies: { contents: [caCert.urn], files: [caCert.urn] } },
        );
        const keyFile = hostFiles(
            "registry-server-key",
            { "/var/lib/airgap-registry/certs/server.key": "K" },
            { contents: unknown },
            { propertyDependencies: { contents: [serverKey.urn], files: [serverKey.urn] } },
        );
        assert.deepEqual(caKeyStaysLocal([key, caCert, serverCert, serverKey, trust, keyFile]), []);
    });
    it("fails a HostFiles whose contents are made from the CA key resource, naming contents (not the digests in files)", () => {
        const copy = hostFiles(
            "ca-key-copy",
            { "/etc/airgap-registry/ca.key": "K" },
            { contents: unknown },
            { propertyDependencies: { contents: [key.urn], files: [key.urn], connection: [] } },
        );
        assert.deepEqual(messages(caKeyStaysLocal([key, caCert, serverCert, copy])), [
            'pulumi-nodejs:dynamic/airgap-registry:HostFiles "ca-key-copy": `contents` is made from the CA private key (tls:index/privateKey:PrivateKey "ca-key"): the CA\'s private key must never be written to a host',
        ]);
    });
    it("fails a HostFiles whose known contents or scripts hold an existing CA's key; its provider code is not searched", () => {
        const signed = resource("tls:index/locallySignedCert:LocallySignedCert", "registry-cert-cert", {
            caPrivateKeyPem: caKeyPem,
        });
        const inContents = hostFiles("bundle", { "/etc/x/bundle.pem": `cert\n${caKeyPem}` });
        const inScript = hostFiles("h", { "/etc/x": "x" }, { onChange: `echo '${pemBody(caKeyPem)}' > /k` });
        const inProvider = hostFiles("p", { "/etc/x": "x" }, { __provider: caKeyPem });
        assert.deepEqual(messages(caKeyStaysLocal([signed, inContents, inScript, inProvider])), [
            'pulumi-nodejs:dynamic/airgap-registry:HostFiles "bundle": `contents` holds the CA private key: the CA\'s private key must never be written to a host',
            'pulumi-nodejs:dynamic/airgap-registry:HostFiles "h": `onChange` holds the CA private key: the CA\'s private key must never be written to a host',
        ]);
    });
});

describe("registry-auth-and-tls", () => {
    const write = writeFileScripts("/var/lib/airgap-registry/config/config.yml", "0644");
    const configCommand = (stdin: Value) =>
        resource("command:remote:Command", "registry-registry-config", { create: write.create, stdin });
    it("passes the config.yml the components render, for each registry version", () => {
        for (const registryVersion of ["2", "3"] as const) {
            const text = renderRegistryConfig({ registryVersion, httpSecret: "s" });
            assert.deepEqual(registryAuthAndTls(configCommand(text)), []);
        }
    });
    it("does not judge a config whose text is not known yet, and says so", () => {
        assert.deepEqual(registryAuthAndTls(configCommand(unknown)), []);
        assert.equal(registryConfigNotKnownYet(configCommand(unknown)), true);
        assert.equal(
            registryConfigNotKnownYet(configCommand(renderRegistryConfig({ registryVersion: "2", httpSecret: "s" }))),
            false,
        );
    });
    it("fails without auth, naming stdin", () => {
        const doc = registryConfig({ registryVersion: "3", httpSecret: "s" });
        delete doc.auth;
        assert.deepEqual(messages(registryAuthAndTls(configCommand(JSON.stringify(doc)))), [
            'command:remote:Command "registry-registry-config": `stdin` (the registry\'s config.yml) has no `auth.htpasswd` (or `auth.token`): anyone who reaches the registry could push and pull',
        ]);
    });
    it("fails TLS below 1.2, a missing minimum and no TLS at all", () => {
        assert.deepEqual(
            registryConfigProblems({
                auth: { htpasswd: {} },
                http: { tls: { certificate: "/c", minimumtls: "tls1.1" } },
            }),
            ['has `http.tls.minimumtls` "tls1.1": it must be one of tls1.2, tls1.3'],
        );
        assert.deepEqual(registryConfigProblems({ auth: { htpasswd: {} }, http: { tls: { certificate: "/c" } } }), [
            "has `http.tls.minimumtls` null: it must be one of tls1.2, tls1.3",
        ]);
        assert.deepEqual(registryConfigProblems({ auth: { token: {} }, http: {} }), [
            "has no `http.tls.certificate`: the registry would serve plain HTTP",
        ]);
        assert.deepEqual(messages(registryAuthAndTls(configCommand("- a list"))), [
            'command:remote:Command "registry-registry-config": `stdin` (the registry\'s config.yml) is not a YAML mapping',
        ]);
    });
    it("leaves other file writes alone", () => {
        const other = writeFileScripts("/var/lib/airgap-registry/auth/htpasswd", "0644");
        assert.deepEqual(
            registryAuthAndTls(resource("command:remote:Command", "h", { create: other.create, stdin: "x" })),
            [],
        );
    });

    const configPath = "/var/lib/airgap-registry/config/config.yml";
    const configFiles = (text: string, more: Record<string, Value> = {}) =>
        hostFiles("registry-registry-config", { [configPath]: text }, more);
    const field = `\`contents["${configPath}"]\``;
    it("passes the config.yml the components render, placed by a HostFiles, for each registry version", () => {
        for (const registryVersion of ["2", "3"] as const) {
            const r = configFiles(renderRegistryConfig({ registryVersion, httpSecret: "s" }));
            assert.deepEqual(registryAuthAndTls(r), []);
            assert.deepEqual(
                registryConfigsOf(r).map((c) => [c.field, c.at]),
                [[`contents[${JSON.stringify(configPath)}]`, ["contents", configPath]]],
            );
        }
    });
    it("does not judge a HostFiles config whose contents (or its entry) are not known yet, and says so", () => {
        const unknownContents = configFiles("", { contents: unknown });
        const unknownEntry = configFiles("", { contents: { [configPath]: unknown } });
        for (const r of [unknownContents, unknownEntry]) {
            assert.deepEqual(registryAuthAndTls(r), []);
            assert.equal(registryConfigNotKnownYet(r), true);
        }
        assert.equal(
            registryConfigNotKnownYet(configFiles(renderRegistryConfig({ registryVersion: "2", httpSecret: "s" }))),
            false,
        );
    });
    it("fails a HostFiles config without auth and with TLS 1.0, naming contents[path]", () => {
        const doc = registryConfig({ registryVersion: "3", httpSecret: "s" });
        delete doc.auth;
        (doc.http as { tls: Record<string, unknown> }).tls.minimumtls = "tls1.0";
        assert.deepEqual(messages(registryAuthAndTls(configFiles(YAML.stringify(doc)))), [
            `pulumi-nodejs:dynamic/airgap-registry:HostFiles "registry-registry-config": ${field} (the registry's config.yml) has no \`auth.htpasswd\` (or \`auth.token\`): anyone who reaches the registry could push and pull`,
            `pulumi-nodejs:dynamic/airgap-registry:HostFiles "registry-registry-config": ${field} (the registry's config.yml) has \`http.tls.minimumtls\` "tls1.0": it must be one of tls1.2, tls1.3`,
        ]);
        assert.deepEqual(messages(registryAuthAndTls(configFiles("- a list"))), [
            `pulumi-nodejs:dynamic/airgap-registry:HostFiles "registry-registry-config": ${field} (the registry's config.yml) is not a YAML mapping`,
        ]);
    });
    it("finds config.yml among several files, and leaves HostFiles without one alone", () => {
        const doc = registryConfig({ registryVersion: "2", httpSecret: "s" });
        delete doc.auth;
        const both = hostFiles("r", {
            "/var/lib/airgap-registry/auth/htpasswd": "u:x",
            [configPath]: JSON.stringify(doc),
        });
        assert.equal(registryAuthAndTls(both).length, 1);
        const htpasswd = hostFiles("h", { "/var/lib/airgap-registry/auth/htpasswd": "not yaml: [" });
        assert.deepEqual(registryAuthAndTls(htpasswd), []);
        assert.equal(registryConfigNotKnownYet(hostFiles("h", { "/x/other.yml": "" }, { contents: unknown })), false);
        // A config.yml whose text is absent from contents (null, or no entry) gives nothing to judge.
        const absent: Value[] = [null, {}, { [configPath]: null }];
        for (const contents of absent) {
            const r = configFiles("", { contents });
            assert.deepEqual(registryAuthAndTls(r), []);
            assert.equal(registryConfigNotKnownYet(r), false);
        }
        // Only config/config.yml is the registry's; a file merely named config.yml elsewhere is not.
        assert.deepEqual(registryAuthAndTls(hostFiles("o", { "/etc/app/config.yml": "- x" })), []);
    });
});

describe("storage-kept-on-destroy", () => {
    const dataDir = (remove: boolean) => {
        const s = dataDirScripts("/var/lib/airgap-registry", remove);
        return resource("command:remote:Command", "registry-host-data-dir", { create: s.create, delete: s.delete });
    };
    it("passes the data-dir step that keeps the storage", () => {
        assert.deepEqual(storageKeptOnDestroy(dataDir(false), false), []);
    });
    it("fails the step with removeDataOnDestroy, naming delete and the directory", () => {
        assert.deepEqual(messages(storageKeptOnDestroy(dataDir(true), false)), [
            'command:remote:Command "registry-host-data-dir": `delete` removes the registry storage /var/lib/airgap-registry/data on destroy (stack config `host.removeDataOnDestroy: true`); keep it, or choose this explicitly with the policy config allowStorageRemovalOnDestroy: true',
        ]);
    });
    it("passes it when the policy config allows it explicitly", () => {
        assert.deepEqual(storageKeptOnDestroy(dataDir(true), true), []);
    });
    it("a delete that removes a data directory the command did not create is not the registry storage", () => {
        const r = resource("command:remote:Command", "x", { create: "true", delete: "rm -rf /tmp/data" });
        assert.deepEqual(storageKeptOnDestroy(r, false), []);
    });
    const dataHostFiles = (onChange: string, directories: Value = ["/var/lib/airgap-registry/data"]) =>
        hostFiles("registry-data", { "/var/lib/airgap-registry/data/.keep": "" }, { onChange, directories });
    it("passes a HostFiles that lists the data directory (removed on delete only when empty)", () => {
        assert.deepEqual(storageKeptOnDestroy(dataHostFiles(""), false), []);
        assert.deepEqual(storageKeptOnDestroy(dataHostFiles("update-ca-certificates"), false), []);
    });
    it("fails a HostFiles whose onChange (run after delete) removes the data directory it places, naming onChange", () => {
        const expected = [
            'pulumi-nodejs:dynamic/airgap-registry:HostFiles "registry-data": `onChange` removes the registry storage /var/lib/airgap-registry/data, and it runs after delete, so on destroy; keep it, or choose this explicitly with the policy config allowStorageRemovalOnDestroy: true',
        ];
        assert.deepEqual(
            messages(storageKeptOnDestroy(dataHostFiles("rm -rf '/var/lib/airgap-registry'/data"), false)),
            expected,
        );
        assert.deepEqual(
            messages(storageKeptOnDestroy(dataHostFiles("rm -r /var/lib/airgap-registry/data", []), false)),
            expected,
        );
        assert.deepEqual(storageKeptOnDestroy(dataHostFiles("rm -rf /var/lib/airgap-registry/data"), true), []);
        // A data directory it neither lists nor places a file in is not the registry storage it manages.
        assert.deepEqual(
            storageKeptOnDestroy(hostFiles("x", { "/etc/x": "x" }, { onChange: "rm -rf /tmp/data" }), false),
            [],
        );
    });
});

describe("plainValue (the policy SDK's props as the rules see them)", () => {
    it("copies plain data and marks what throws on reading (an unknown) as unknown", () => {
        const props = {
            a: "x",
            n: [1, true, null],
            get later(): string {
                throw new Error("string value at .later can't be known during preview");
            },
        };
        assert.deepEqual(
            plainValue(() => props),
            { a: "x", n: [1, true, null], later: unknown },
        );
    });
    it("treats class instances (assets, archives) as opaque", () => {
        class FileAsset {
            path = Promise.resolve("/x");
        }
        assert.equal(
            plainValue(() => new FileAsset()),
            unknown,
        );
    });
});

// What the components register (HostFiles for the trust and the registry's files since e521fbb), under mocks: every
// rule passes it, and the rules do see the HostFiles they are about.
describe("the components' resources under mocks", () => {
    const key = existingFile();
    const knownHosts = knownHostsFile();
    async function build(verify: boolean): Promise<ResourceView[]> {
        resetRecorded();
        const root = recordingRoot(`policy-${verify}`);
        new PrivateRegistry(
            "reg",
            {
                host: {
                    address: "registry.lab",
                    privateKeyPath: key,
                    knownHostsPath: knownHosts,
                    names: ["registry.lab"],
                    ips: ["10.10.0.2"],
                    port: 5443,
                },
                clients: [
                    { name: "client-a", address: "client-a.lab", privateKeyPath: key, knownHostsPath: knownHosts },
                    {
                        name: "client-b",
                        address: "client-b.lab",
                        privateKeyPath: key,
                        knownHostsPath: knownHosts,
                        hostsEntry: true,
                    },
                ],
                users: [{ name: "ci" }],
                bastion: { address: "127.0.0.1", sshPort: 2222, privateKeyPath: key, knownHostsPath: knownHosts },
                verifyClients: verify,
            },
            { parent: root },
        );
        const all = await settle();
        const urnOf = (typeAndName: string) => `${stack}${typeAndName}`;
        return all.map((r) => ({
            type: r.type,
            name: r.name,
            urn: urnOf(`${r.type}::${r.name}`),
            ...(r.parent !== "" ? { parent: urnOf(r.parent) } : {}),
            props: Object.fromEntries(
                Object.entries(r.inputs)
                    .filter(([, v]) => v !== undefined)
                    .map(([k, v]) => [k, plainValue(() => v)]),
            ),
            propertyDependencies: {},
        }));
    }
    const everyRule = (rs: ResourceView[]) => [
        ...clientTrustVerified(rs),
        ...caKeyStaysLocal(rs),
        ...rs.flatMap((r) => [
            ...sshHostKeyPinned(r),
            ...serverCertificateLifetime(r, policyDefaults.maxServerCertificateDays),
            ...registryAuthAndTls(r),
            ...storageKeptOnDestroy(r, policyDefaults.allowStorageRemovalOnDestroy),
        ]),
    ];

    it("pass every rule; the checks, the trust files and config.yml are HostFiles the rules read", async () => {
        const rs = await build(true);
        assert.deepEqual(messages(everyRule(rs)), []);
        const ofHostFiles = rs.filter((r) => r.type === hostFilesType).map((r) => r.name);
        for (const name of [
            "reg-trust-client-a-check",
            "reg-trust-client-a-os-trust",
            "reg-trust-client-b-hosts",
            "reg-registry-config",
            "reg-registry-server-key",
        ]) {
            assert.ok(ofHostFiles.includes(name), `${name} is a HostFiles: ${ofHostFiles.join(", ")}`);
        }
        const config = rs.find((r) => r.name === "reg-registry-config") as ResourceView;
        const texts = registryConfigsOf(config);
        assert.equal(texts.length, 1);
        assert.equal(typeof texts[0].text, "string", "config.yml's text is read from contents");
        for (const r of rs.filter((x) => x.type === hostFilesType)) {
            const c = r.props.connection as { hostKey?: Value; bastion?: { hostKey?: Value } };
            assert.ok(typeof c.hostKey === "string" && typeof c.bastion?.hostKey === "string", `${r.name} is pinned`);
        }
    });
    it("with verifyClients false, client-trust-verified fails each ClientTrust and nothing else fails", async () => {
        const rs = await build(false);
        assert.deepEqual(
            messages(everyRule(rs)).map((m) => m.replace(/": .*/s, '"')),
            [
                'airgap-registry:trust:ClientTrust "reg-trust-client-a"',
                'airgap-registry:trust:ClientTrust "reg-trust-client-b"',
            ],
        );
    });
    it("a config.yml HostFiles without auth, or a HostFiles unpinned, is caught in that graph", async () => {
        const rs = await build(true);
        const config = rs.find((r) => r.name === "reg-registry-config") as ResourceView;
        const [{ at, text }] = registryConfigsOf(config);
        const doc = YAML.parse(text as string) as Record<string, unknown>;
        delete doc.auth;
        const contents = { ...(config.props.contents as Record<string, Value>), [at[1]]: YAML.stringify(doc) };
        assert.match(
            messages(registryAuthAndTls({ ...config, props: { ...config.props, contents } })).join("\n"),
            /HostFiles "reg-registry-config": `contents\[".*\/config\/config\.yml"\]` \(the registry's config\.yml\) has no `auth\.htpasswd`/,
        );
        const conn = config.props.connection as Record<string, Value>;
        const unpinned = { ...config, props: { ...config.props, connection: { ...conn, hostKey: "" } } };
        assert.match(messages(sshHostKeyPinned(unpinned)).join("\n"), /`connection\.hostKey` is not set/);
    });
});
