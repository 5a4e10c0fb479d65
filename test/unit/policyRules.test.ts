/**
 * The policy pack's rules (policy/rules/), each a pure function, table-tested: what the project's components render
 * passes, and each way of breaking a rule gives its message naming the resource and the field.
 */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { dataDirScripts } from "../../components/host/hostScripts";
import { dockerOverSsh, registryConfig, renderRegistryConfig, writeFileScripts } from "../../components/internal";
import { caKeyStaysLocal, pemBody } from "../../policy/rules/caKeyStaysLocal";
import { clientTrustVerified } from "../../policy/rules/clientTrustVerified";
import {
    registryAuthAndTls,
    registryConfigNotKnownYet,
    registryConfigProblems,
} from "../../policy/rules/registryAuthAndTls";
import { serverCertificateLifetime } from "../../policy/rules/serverCertificateLifetime";
import { policyDefaults } from "../../policy/rules/settings";
import { sshHostKeyPinned } from "../../policy/rules/sshHostKeyPinned";
import { storageKeptOnDestroy } from "../../policy/rules/storageKeptOnDestroy";
import { ResourceView, unknown, Value } from "../../policy/rules/view";
import { plainValue } from "../../policy/toView";

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
