/** HostFiles' pure parts: the scripts it runs on a host (run here under sh), their output's parsing, the diff, host keys. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    diffHostFiles,
    HostConnection,
    HostFilesInputs,
    HostFilesOutputs,
    hostKeyAlgorithms,
    hostKeyMatches,
    keyFingerprint,
    normalizeMode,
    parseReadOutput,
    planWrites,
    prepareScript,
    readScript,
    removeScript,
    targetOf,
    writeScript,
} from "../../components/ssh/hostFilesProvider";
import { checkHostFilesArgs, contentSha256, hostFilesTarget } from "../../components/ssh/hostFiles";
import { fixtureHostKey } from "../support/fixtures";
import { shellcheck } from "../support/shellcheck";

/** Runs a rendered script under sh, as sshd runs an exec request in the user's shell. */
function sh(script: string, stdin = ""): { code: number; stdout: string; stderr: string } {
    const r = spawnSync("sh", ["-c", script], { input: stdin, encoding: "utf8" });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function tmpDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "airgap-registry-hostfiles-"));
}

const mode = (p: string) => (fs.statSync(p).mode & 0o7777).toString(8).padStart(4, "0");

/** An ed25519 public key line and its wire blob, as a server presents it. */
function ed25519Key(): { line: string; blob: Buffer } {
    const { publicKey } = crypto.generateKeyPairSync("ed25519");
    const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const type = Buffer.from("ssh-ed25519");
    const blob = Buffer.alloc(4 + type.length + 4 + raw.length);
    blob.writeUInt32BE(type.length, 0);
    type.copy(blob, 4);
    blob.writeUInt32BE(raw.length, 4 + type.length);
    raw.copy(blob, 8 + type.length);
    return { line: `ssh-ed25519 ${blob.toString("base64")}`, blob };
}

const hop = { host: "client-a.lab", port: 22, user: "root", privateKey: "KEY-A", hostKey: "ssh-ed25519 AAAA" };
const connection: HostConnection = {
    ...hop,
    bastion: { ...hop, host: "127.0.0.1", port: 2222, hostKey: "ssh-ed25519 BBBB" },
};
const sha = (s: string) => contentSha256(s);

function inputs(over: Partial<HostFilesInputs> = {}): HostFilesInputs {
    return {
        connection,
        target: targetOf(connection),
        files: [
            { path: "/etc/a/ca.crt", mode: "0644", sha256: sha("ca") },
            { path: "/etc/a/key", mode: "0600", sha256: sha("key") },
        ],
        contents: { "/etc/a/ca.crt": "ca", "/etc/a/key": "key" },
        directories: ["/etc/a"],
        onChange: "",
        check: "",
        refreshCheck: "",
        triggers: [],
        replaceTriggers: [],
        ...over,
    };
}

function outputs(over: Partial<HostFilesOutputs> = {}): HostFilesOutputs {
    const i = inputs();
    return {
        connection: i.connection,
        target: i.target,
        files: i.files,
        directories: i.directories,
        onChange: i.onChange,
        check: i.check,
        refreshCheck: i.refreshCheck,
        triggers: i.triggers,
        replaceTriggers: i.replaceTriggers,
        checkPassed: null,
        ...over,
    };
}

describe("HostFiles scripts, run here under sh", () => {
    it("every script passes shellcheck", () => {
        for (const s of [
            readScript(["/etc/docker/certs.d/registry.lab:5443/ca.crt", "/it's/quoted"]),
            writeScript("/etc/docker/certs.d/registry.lab:5443/ca.crt", "0644"),
            prepareScript(["/etc/docker/certs.d/registry.lab:5443"]) as string,
            removeScript(["/a b/c"], ["/a b"], "update-ca-certificates"),
            removeScript([], [], ""),
        ]) {
            assert.equal(shellcheck(s), "", s);
        }
    });

    it("the write script puts stdin in place atomically with the mode, creating the parents 0755", () => {
        const dir = tmpDir();
        const file = path.join(dir, "certs.d", "registry.lab:5443", "ca.crt");
        const r = sh(writeScript(file, "0640"), "PEM\n");
        assert.equal(r.code, 0, r.stderr);
        assert.equal(fs.readFileSync(file, "utf8"), "PEM\n");
        assert.equal(mode(file), "0640");
        assert.equal(mode(path.dirname(file)), "0755");
        assert.deepEqual(fs.readdirSync(path.dirname(file)), ["ca.crt"], "no temporary file left");
        // Over an existing file of another mode: replaced, new mode.
        fs.chmodSync(file, 0o666);
        assert.equal(sh(writeScript(file, "0600"), "KEY").code, 0);
        assert.equal(fs.readFileSync(file, "utf8"), "KEY");
        assert.equal(mode(file), "0600");
    });

    it("the content goes on stdin, never into the script text", () => {
        const s = writeScript("/etc/registry/htpasswd", "0600");
        assert.doesNotMatch(s, /\$2[aby]\$/);
        assert.match(s, /cat > "\$tmp"/);
        assert.match(s, /umask 077/);
    });

    it("the read script reports sha256 and mode per file, and '- -' for a missing one", () => {
        const dir = tmpDir();
        const a = path.join(dir, "a.crt");
        const b = path.join(dir, "it's here");
        fs.writeFileSync(a, "ca");
        fs.writeFileSync(b, "");
        fs.chmodSync(b, 0o600);
        fs.mkdirSync(path.join(dir, "a-dir"));
        const paths = [a, path.join(dir, "missing"), b, path.join(dir, "a-dir")];
        const r = sh(readScript(paths));
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(parseReadOutput(r.stdout, paths), [
            { path: a, sha256: sha("ca"), mode: "0644" },
            { path: paths[1], sha256: null, mode: null },
            { path: b, sha256: sha(""), mode: "0600" },
            { path: paths[3], sha256: null, mode: null },
        ]);
    });

    it("the remove script removes the files, then empty directories deepest first, then runs onChange", () => {
        const dir = tmpDir();
        const inner = path.join(dir, "certs.d", "registry.lab:5443");
        const kept = path.join(dir, "kept");
        fs.mkdirSync(inner, { recursive: true });
        fs.mkdirSync(kept);
        fs.writeFileSync(path.join(inner, "ca.crt"), "x");
        fs.writeFileSync(path.join(kept, "other"), "y");
        const marker = path.join(dir, "changed");
        const r = sh(
            removeScript(
                [path.join(inner, "ca.crt"), path.join(dir, "never-there")],
                [path.join(dir, "certs.d"), inner, kept],
                `touch ${marker}`,
            ),
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal(fs.existsSync(path.join(dir, "certs.d")), false, "emptied directories removed");
        assert.equal(fs.existsSync(path.join(kept, "other")), true, "a directory with other files stays");
        assert.equal(fs.existsSync(marker), true, "onChange ran");
    });
});

describe("HostFiles read output", () => {
    it("refuses anything but the script's lines, and a file not reported", () => {
        assert.throws(() => parseReadOutput("0 nothex 644\n", ["/a"]), /unexpected line/);
        assert.throws(() => parseReadOutput("", ["/a"]), /did not report \/a/);
        assert.deepEqual(parseReadOutput(`0 ${sha("x")} 755\n`, ["/a"]), [
            { path: "/a", sha256: sha("x"), mode: "0755" },
        ]);
    });
    it("modes are four octal digits", () => {
        assert.equal(normalizeMode("644"), "0644");
        assert.equal(normalizeMode("0600"), "0600");
        assert.equal(normalizeMode("4755"), "4755");
        assert.equal(normalizeMode("rw-r--r--"), undefined);
        assert.equal(normalizeMode("0888"), undefined);
    });
});

describe("HostFiles diff (old outputs, after a refresh what the host holds, against new inputs)", () => {
    const cases: Array<[string, Partial<HostFilesOutputs>, Partial<HostFilesInputs>, boolean, string[]]> = [
        ["nothing differs", {}, {}, false, []],
        [
            "a file deleted by hand (sha256 and mode null)",
            { files: [inputs().files[0], { path: "/etc/a/key", mode: null, sha256: null }] },
            {},
            true,
            [],
        ],
        [
            "a file edited by hand",
            { files: [{ ...inputs().files[0], sha256: sha("edited") }, inputs().files[1]] },
            {},
            true,
            [],
        ],
        [
            "a file's mode changed by hand",
            { files: [{ ...inputs().files[0], mode: "0666" }, inputs().files[1]] },
            {},
            true,
            [],
        ],
        ["a file added", { files: [inputs().files[0]] }, {}, true, []],
        ["a file dropped", {}, { files: [inputs().files[0]] }, true, []],
        ["the same files in another order", { files: [...inputs().files].reverse() }, {}, false, []],
        ["another directory list", { directories: [] }, {}, true, []],
        ["another onChange", {}, { onChange: "update-ca-certificates" }, true, []],
        ["a rotated private key", {}, { connection: { ...connection, privateKey: "KEY-B" } }, true, []],
        [
            "a key file instead of the key",
            {},
            { connection: { ...connection, privateKey: undefined, privateKeyPath: "/keys/id" } },
            true,
            [],
        ],
        ["the contents alone (never an output) do not count", {}, { contents: {} }, false, []],
        ["a check that passed on the refresh", { check: "c", checkPassed: true }, { check: "c" }, false, []],
        ["a check that failed on the refresh", { check: "c", checkPassed: false }, { check: "c" }, true, []],
        ["a check added", {}, { check: "c" }, true, []],
        ["another refresh check", { check: "c", checkPassed: true }, { check: "c", refreshCheck: "q" }, true, []],
        ["other triggers (a new CA's digest)", { triggers: ["a"] }, { triggers: ["b"] }, true, []],
        ["the same triggers", { triggers: ["a"] }, { triggers: ["a"] }, false, []],
        [
            "other replaceTriggers (another anchor name) is a replacement",
            { replaceTriggers: ["ca", "auto"] },
            { replaceTriggers: ["ca-2", "auto"] },
            true,
            ["replaceTriggers"],
        ],
        [
            "a state written before refreshCheck and triggers existed, same inputs",
            { refreshCheck: undefined, triggers: undefined, replaceTriggers: undefined },
            {},
            false,
            [],
        ],
        ["another host is a replacement", {}, { target: "root@client-b.lab:22" }, true, ["target"]],
    ];
    for (const [what, olds, news, changes, replaces] of cases) {
        it(what, () => {
            const d = diffHostFiles(outputs(olds), inputs(news));
            assert.equal(d.changes, changes);
            assert.deepEqual(d.replaces, replaces);
            assert.equal(d.deleteBeforeReplace, replaces.length > 0);
        });
    }

    it("an update writes exactly the files that differ and removes the dropped ones", () => {
        const found = [
            { path: "/a", mode: "0644", sha256: sha("a") },
            { path: "/b", mode: null, sha256: null },
            { path: "/c", mode: "0600", sha256: sha("c") },
        ];
        const desired = [
            { path: "/a", mode: "0644", sha256: sha("a") },
            { path: "/b", mode: "0644", sha256: sha("b") },
            { path: "/c", mode: "0644", sha256: sha("c") },
        ];
        const plan = planWrites(found, desired, ["/a", "/b", "/c", "/old"]);
        assert.deepEqual(
            plan.write.map((f) => f.path),
            ["/b", "/c"],
        );
        assert.deepEqual(plan.remove, ["/old"]);
    });
});

describe("HostFiles host keys", () => {
    it("accepts exactly the pinned key", () => {
        const pinned = ed25519Key();
        const other = ed25519Key();
        assert.equal(hostKeyMatches(pinned.blob, pinned.line), true);
        assert.equal(hostKeyMatches(pinned.blob, `${pinned.line} root@host`), true, "a comment is ignored");
        assert.equal(hostKeyMatches(other.blob, pinned.line), false);
        assert.equal(hostKeyMatches(Buffer.alloc(0), pinned.line), false);
        assert.equal(hostKeyMatches(pinned.blob, ""), false);
    });
    it("refuses a pinned line whose type disagrees with its key", () => {
        const pinned = ed25519Key();
        assert.equal(hostKeyMatches(pinned.blob, pinned.line.replace("ssh-ed25519", "ssh-rsa")), false);
    });
    it("matches the project's fixture host key and names it by OpenSSH's fingerprint", () => {
        const line = fixtureHostKey;
        const blob = Buffer.from(line.split(" ")[1], "base64");
        assert.equal(hostKeyMatches(blob, line), true);
        const expected = `SHA256:${crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
        assert.equal(keyFingerprint(blob), expected);
    });
    it("offers only the pinned key's algorithm (RSA: its SHA-2 signatures too)", () => {
        assert.deepEqual(hostKeyAlgorithms("ssh-ed25519 AAAA"), ["ssh-ed25519"]);
        assert.deepEqual(hostKeyAlgorithms("ecdsa-sha2-nistp256 AAAA"), ["ecdsa-sha2-nistp256"]);
        assert.deepEqual(hostKeyAlgorithms("ssh-rsa AAAA"), ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
    });
});

describe("HostFiles args", () => {
    const ssh = { address: "client-a.lab", privateKey: "k", hostKey: fixtureHostKey };
    it("names each bad field", () => {
        assert.deepEqual(checkHostFilesArgs("", { ssh, files: [] }), [
            "`files` must list at least one file (or give a `check`)",
        ]);
        assert.deepEqual(checkHostFilesArgs("", { ssh, files: [], check: "curl -sf https://r/v2/" }), []);
        const problems = checkHostFilesArgs("trust", {
            ssh,
            files: [
                { path: "relative/ca.crt", content: "x" },
                { path: "/etc/a", content: "x", mode: "rw" },
                { path: "/etc/a", content: "y" },
                { path: "/etc/../shadow", content: "y" },
            ],
            directories: ["/etc/docker/certs.d/registry.lab:5443/"],
        });
        assert.equal(problems.length, 5, problems.join("\n"));
        assert.match(problems[0], /^`trust.files\[0\].path` must be an absolute path/);
        assert.match(problems[1], /^`trust.files\[1\].mode` must be an octal mode/);
        assert.match(problems[2], /^`trust.files\[2\].path` repeats files\[1\]/);
        assert.match(problems[3], /^`trust.files\[3\].path` must be an absolute path/);
        assert.match(problems[4], /^`trust.directories\[0\]` must be an absolute path/);
    });
    it("accepts certs.d paths (a colon) and reports the target without secrets", () => {
        assert.deepEqual(
            checkHostFilesArgs("", {
                ssh,
                files: [{ path: "/etc/docker/certs.d/registry.lab:5443/ca.crt", content: "x" }],
            }),
            [],
        );
        const target = hostFilesTarget({
            ...ssh,
            bastion: { address: "127.0.0.1", sshPort: 2222, privateKey: "k", hostKey: ssh.hostKey },
        });
        assert.equal(target, "root@client-a.lab:22 via root@127.0.0.1:2222");
    });
    it("the content hash is sha256sum's", () => {
        const r = sh("printf 'PEM\\n' | sha256sum");
        assert.equal(r.stdout.split(" ")[0], contentSha256("PEM\n"));
    });
});
