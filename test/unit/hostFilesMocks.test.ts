/** HostFiles' resource inputs under mocks: what is secret, what is public, and what the engine receives. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, recordingRoot, resetRecorded, settle } from "../support/mocks";
import { existingFile, fixtureHostKey } from "../support/fixtures";
import { contentSha256, HostFiles } from "../../components/ssh/hostFiles";

installMocks();

const type = "pulumi-nodejs:dynamic/airgap-registry:HostFiles";

async function build(ssh: ConstructorParameters<typeof HostFiles>[1]["ssh"]) {
    resetRecorded();
    const root = recordingRoot("host-files");
    new HostFiles(
        "client-a-trust",
        {
            ssh,
            files: [
                { path: "/etc/docker/certs.d/registry.lab:5443/ca.crt", content: "PEM" },
                { path: "/etc/registry/server.key", content: pulumi.secret("SECRET-KEY"), mode: "600" },
            ],
            directories: ["/etc/docker/certs.d/registry.lab:5443"],
            onChange: "update-ca-certificates",
        },
        { parent: root },
    );
    const all = await settle();
    const r = all.find((x) => x.type === type);
    assert.ok(r, `a ${type} was registered: ${all.map((x) => x.type).join(", ")}`);
    return r;
}

describe("HostFiles inputs", () => {
    it("with key files: the contents are the one secret; files carry modes and digests; the key goes by its path", async () => {
        const key = existingFile();
        const r = await build({
            address: "client-a.lab",
            privateKeyPath: key,
            hostKey: fixtureHostKey,
            bastion: { address: "127.0.0.1", sshPort: 2222, privateKeyPath: key, hostKey: fixtureHostKey },
        });
        assert.deepEqual(r.secretInputs, ["contents"]);
        assert.deepEqual(r.inputs.files, [
            { path: "/etc/docker/certs.d/registry.lab:5443/ca.crt", mode: "0644", sha256: contentSha256("PEM") },
            { path: "/etc/registry/server.key", mode: "0600", sha256: contentSha256("SECRET-KEY") },
        ]);
        assert.deepEqual(r.inputs.contents, {
            "/etc/docker/certs.d/registry.lab:5443/ca.crt": "PEM",
            "/etc/registry/server.key": "SECRET-KEY",
        });
        assert.deepEqual(r.inputs.connection, {
            host: "client-a.lab",
            port: 22,
            user: "root",
            hostKey: fixtureHostKey,
            privateKeyPath: path.resolve(key),
            bastion: {
                host: "127.0.0.1",
                port: 2222,
                user: "root",
                hostKey: fixtureHostKey,
                privateKeyPath: path.resolve(key),
            },
        });
        assert.equal(r.inputs.target, "root@client-a.lab:22 via root@127.0.0.1:2222");
        assert.equal(r.inputs.onChange, "update-ca-certificates");
        assert.equal(typeof r.inputs.__provider, "string", "the provider's serialized code is an input");
        assert.doesNotMatch(
            r.inputs.__provider as string,
            /SECRET-KEY|PRIVATE KEY/,
            "the provider's code captures nothing",
        );
    });

    it("with a key given itself: the connection is a secret too", async () => {
        const r = await build({
            address: "client-a.lab",
            privateKey: pulumi.secret("INLINE-KEY"),
            hostKey: fixtureHostKey,
        });
        assert.deepEqual(r.secretInputs.sort(), ["connection", "contents"]);
        assert.equal((r.inputs.connection as { privateKey: string }).privateKey, "INLINE-KEY");
    });

    it("bad args fail before anything is registered, naming the field", () => {
        assert.throws(
            () =>
                new HostFiles("bad", {
                    ssh: { address: "client-a.lab", privateKey: "k", hostKey: fixtureHostKey },
                    files: [{ path: "etc/x", content: "x" }],
                }),
            /invalid arguments for HostFiles:\n {2}- `files\[0\]\.path` must be an absolute path/,
        );
    });
});
