/**
 * The HostFiles provider as Pulumi runs it (serialized, then loaded from that text) against SSH servers in this
 * process (ssh2's server on 127.0.0.1, running each exec under sh here): create, read after a file is deleted by
 * hand, update, delete, through a bastion, and refusals of a host key that is not the pinned one on either hop.
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
    diffHostFiles,
    HostConnection,
    HostFilesInputs,
    HostFilesOutputs,
    hostFilesProvider,
    targetOf,
} from "../../components/ssh/hostFilesProvider";
import { contentSha256 } from "../../components/ssh/hostFiles";
import { ed25519KeyPair } from "../support/sshKeys";
import { TestSshServer } from "../support/sshServer";

/** The provider as the dynamic-provider process runs it: serialized by Pulumi, loaded from the text. */
async function deserializedProvider(): Promise<pulumi.dynamic.ResourceProvider> {
    const serialized = await pulumi.runtime.serializeFunction(() => hostFilesProvider);
    assert.doesNotMatch(serialized.text, /BEGIN OPENSSH PRIVATE KEY/, "no key captured in the provider's code");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const requireFromString = require("require-from-string") as (code: string) => { handler(): unknown };
    return requireFromString(serialized.text).handler() as pulumi.dynamic.ResourceProvider;
}

const clientKey = ed25519KeyPair();
const wrongKey = ed25519KeyPair().public;
let host: TestSshServer;
let bastion: TestSshServer;
let provider: pulumi.dynamic.ResourceProvider;
let dir: string;

function connection(over: { hostKey?: string; bastionKey?: string; viaBastion?: boolean } = {}): HostConnection {
    const hop = {
        host: "127.0.0.1",
        port: host.port,
        user: "root",
        privateKey: clientKey.private,
        hostKey: over.hostKey ?? host.hostKey.public,
    };
    if (over.viaBastion === false) return hop;
    return {
        ...hop,
        bastion: {
            host: "127.0.0.1",
            port: bastion.port,
            user: "root",
            privateKey: clientKey.private,
            hostKey: over.bastionKey ?? bastion.hostKey.public,
        },
    };
}

function inputs(conn: HostConnection, files: Record<string, { content: string; mode: string }>): HostFilesInputs {
    return {
        connection: conn,
        target: targetOf(conn),
        files: Object.entries(files).map(([p, f]) => ({ path: p, mode: f.mode, sha256: contentSha256(f.content) })),
        contents: Object.fromEntries(Object.entries(files).map(([p, f]) => [p, f.content])),
        directories: [path.join(dir, "certs.d"), path.join(dir, "certs.d", "registry.lab:5443")],
        onChange: `echo changed >> ${path.join(dir, "onchange.log")}`,
        check: "",
        refreshCheck: "",
        triggers: [],
        replaceTriggers: [],
    };
}

describe("the HostFiles provider over SSH (servers in this process)", { concurrency: false }, () => {
    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-registry-hostfiles-ssh-"));
        host = new TestSshServer(clientKey.public);
        bastion = new TestSshServer(clientKey.public);
        await host.listen();
        await bastion.listen();
        provider = await deserializedProvider();
    });
    after(() => {
        host.close();
        bastion.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    let outs: HostFilesOutputs;
    let desired: HostFilesInputs;
    const ca = () => path.join(dir, "certs.d", "registry.lab:5443", "ca.crt");
    const key = () => path.join(dir, "key");

    it("create writes every file through the bastion, with its mode, and runs onChange; outputs hold no content", async () => {
        desired = inputs(connection(), {
            [ca()]: { content: "-----BEGIN CERTIFICATE-----\nCA\n", mode: "0644" },
            [key()]: { content: "SECRET-KEY-MATERIAL\n", mode: "0600" },
        });
        const before = { host: host.connections, bastion: bastion.connections };
        const created = await provider.create(desired);
        outs = created.outs as HostFilesOutputs;
        assert.equal(fs.readFileSync(ca(), "utf8"), "-----BEGIN CERTIFICATE-----\nCA\n");
        assert.equal((fs.statSync(key()).mode & 0o777).toString(8), "600");
        assert.deepEqual(outs.files, desired.files);
        assert.doesNotMatch(JSON.stringify({ ...outs, connection: undefined }), /SECRET-KEY-MATERIAL/);
        assert.equal("contents" in outs, false);
        assert.equal(fs.readFileSync(path.join(dir, "onchange.log"), "utf8"), "changed\n");
        assert.deepEqual(
            { host: host.connections - before.host, bastion: bastion.connections - before.bastion },
            { host: 1, bastion: 1 },
            "one connection per hop",
        );
        assert.ok(
            host.execs.every((c) => !c.includes("SECRET-KEY-MATERIAL")),
            "no content in a command line",
        );
    });

    it("read measures the host: a file deleted by hand reads as absent, and the diff is an update", async () => {
        fs.rmSync(key());
        const before = host.execs.length;
        const read = await (provider.read as NonNullable<typeof provider.read>)("id", outs);
        const props = read.props as HostFilesOutputs;
        assert.deepEqual(props.files, [desired.files[0], { path: key(), sha256: null, mode: null }]);
        assert.equal(host.execs.length - before, 1, "one exec reads every file");
        assert.deepEqual(diffHostFiles(props, desired), { changes: true, replaces: [], deleteBeforeReplace: false });
        outs = props;
    });

    it("update writes back exactly the missing file", async () => {
        const caInode = fs.statSync(ca()).ino;
        const updated = await (provider.update as NonNullable<typeof provider.update>)("id", outs, desired);
        outs = updated.outs as HostFilesOutputs;
        assert.equal(fs.readFileSync(key(), "utf8"), "SECRET-KEY-MATERIAL\n");
        assert.equal(fs.statSync(ca()).ino, caInode, "the unchanged file was not rewritten");
        assert.deepEqual(outs.files, desired.files);
        assert.equal(diffHostFiles(outs, desired).changes, false);
    });

    it("a direct connection (no bastion), with the key by its path, works the same", async () => {
        const keyFile = path.join(dir, "id_ed25519");
        fs.writeFileSync(keyFile, clientKey.private, { mode: 0o600 });
        const byPath = { ...connection({ viaBastion: false }), privateKey: undefined, privateKeyPath: keyFile };
        const direct = { ...outs, connection: byPath };
        const read = await (provider.read as NonNullable<typeof provider.read>)("id", direct);
        assert.deepEqual((read.props as HostFilesOutputs).files, desired.files);
    });

    it("resources on one host share its connection, and hosts behind one bastion share the bastion's: 12 concurrent reads open at most 1 of each", async () => {
        const before = { host: host.connections, bastion: bastion.connections, execs: host.execs.length };
        const reads = await Promise.all(
            Array.from({ length: 12 }, () => (provider.read as NonNullable<typeof provider.read>)("id", outs)),
        );
        assert.ok(reads.every((r) => (r.props as HostFilesOutputs).files.length === 2));
        assert.equal(host.execs.length - before.execs, 12, "each read ran its command");
        assert.ok(host.connections - before.host <= 1, `${host.connections - before.host} host connections`);
        assert.ok(
            bastion.connections - before.bastion <= 1,
            `${bastion.connections - before.bastion} bastion connections`,
        );
    });

    it("refuses a host whose key is not the pinned one, on the host's hop and on the bastion's", async () => {
        const execs = host.execs.length;
        await assert.rejects(
            (provider.read as NonNullable<typeof provider.read>)("id", {
                ...outs,
                connection: connection({ hostKey: wrongKey }),
            }),
            /the host key of 127\.0\.0\.1:\d+ \(SHA256:[^)]+\) is not the pinned one/,
        );
        await assert.rejects(
            (provider.read as NonNullable<typeof provider.read>)("id", {
                ...outs,
                connection: connection({ bastionKey: wrongKey }),
            }),
            /the host key of 127\.0\.0\.1:\d+ \(SHA256:[^)]+\) is not the pinned one/,
        );
        assert.equal(host.execs.length, execs, "nothing ran");
    });

    it("delete removes the files and the emptied directories, and runs onChange", async () => {
        await (provider.delete as NonNullable<typeof provider.delete>)("id", outs);
        assert.equal(fs.existsSync(key()), false);
        assert.equal(fs.existsSync(path.join(dir, "certs.d")), false);
        assert.equal(fs.readFileSync(path.join(dir, "onchange.log"), "utf8"), "changed\nchanged\nchanged\n");
    });

    it("a check: refresh records it failing, the update runs onChange and passes it; a check that still fails fails the update", async () => {
        const checked = path.join(dir, "checked");
        const marker = path.join(checked, "trusted");
        const c = connection();
        const withCheck: HostFilesInputs = {
            connection: c,
            target: targetOf(c),
            files: [{ path: path.join(checked, "ca.crt"), mode: "0644", sha256: contentSha256("CA") }],
            contents: { [path.join(checked, "ca.crt")]: "CA" },
            directories: [checked],
            onChange: `touch ${marker}`,
            check: `test -f ${marker} || { echo 'not trusted' >&2; exit 1; }`,
            refreshCheck: "",
            triggers: [],
            replaceTriggers: [],
        };
        const p = provider as Required<pulumi.dynamic.ResourceProvider>;
        let state = (await p.create(withCheck)).outs as HostFilesOutputs;
        assert.equal(state.checkPassed, true);
        fs.rmSync(marker);
        state = (await p.read("id", state)).props as HostFilesOutputs;
        assert.equal(state.checkPassed, false, "the refresh records the failing check");
        assert.deepEqual(state.files, withCheck.files, "while every file is right");
        assert.equal(diffHostFiles(state, withCheck).changes, true);
        state = (await p.update("id", state, withCheck)).outs as HostFilesOutputs;
        assert.equal(state.checkPassed, true, "onChange ran again and the check passes");
        await assert.rejects(
            p.update(
                "id",
                { ...state, checkPassed: false },
                { ...withCheck, onChange: "true", check: "echo 'still not trusted' >&2; exit 1" },
            ),
            /the check failed after writing the files: still not trusted/,
        );
        await p.delete("id", state);
    });

    it("a check alone (no files): the refresh runs refreshCheck, not check; new triggers are an update that runs the check", async () => {
        const log = path.join(dir, "check-only.log");
        const gate = path.join(dir, "check-only-gate");
        const c = connection();
        const checkOnly: HostFilesInputs = {
            connection: c,
            target: targetOf(c),
            files: [],
            contents: {},
            directories: [],
            onChange: "",
            check: `echo full >> ${log}; test -f ${gate}`,
            refreshCheck: `echo quick >> ${log}; test -f ${gate}`,
            triggers: ["ca-1"],
            replaceTriggers: [],
        };
        const p = provider as Required<pulumi.dynamic.ResourceProvider>;
        fs.writeFileSync(gate, "");
        let state = (await p.create(checkOnly)).outs as HostFilesOutputs;
        assert.deepEqual([state.files, state.checkPassed], [[], true]);
        fs.rmSync(gate);
        state = (await p.read("id", state)).props as HostFilesOutputs;
        assert.equal(state.checkPassed, false);
        assert.equal(fs.readFileSync(log, "utf8"), "full\nquick\n", "create ran check, the refresh refreshCheck");
        fs.writeFileSync(gate, "");
        state = (await p.read("id", state)).props as HostFilesOutputs;
        assert.equal(diffHostFiles(state, checkOnly).changes, false, "passing again: nothing to do");
        assert.equal(diffHostFiles(state, { ...checkOnly, triggers: ["ca-2"] }).changes, true);
        state = (await p.update("id", state, { ...checkOnly, triggers: ["ca-2"] })).outs as HostFilesOutputs;
        assert.deepEqual(state.triggers, ["ca-2"]);
        assert.equal(fs.readFileSync(log, "utf8"), "full\nquick\nquick\nfull\n", "the update ran the full check");
        await p.delete("id", state);
    });
});
