/**
 * Drift through the real engine: files a HostFiles wrote on a host, one deleted (then one edited) by hand, then
 * `preview --refresh` shows an update of exactly that resource, `up --refresh` writes it back, and a no-drift
 * `preview --refresh --expect-no-changes` passes; secrets stay out of the state and the output throughout. Run
 * against an SSH server of this machine (ssh2's, through a second one as the bastion: no lab needed) and against
 * the lab's client-a through the lab's bastion with its pinned host keys, as the dev stack reaches it.
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { SshHostArgs } from "../../components/ssh/sshHost";
import { projectRoot, pulumi, pulumiEnv, PulumiRun, stackResources } from "../support/engine";
import { writeScratchProgram } from "../support/scratchProgram";
import { labUp, mustRun, onHost } from "../support/lab";
import { diagnosticsOf, engineEvents, resourceOf } from "../support/stack";

const caText = "-----BEGIN CERTIFICATE-----\ndrift-test-not-a-real-certificate\n-----END CERTIFICATE-----\n";
const secretText = `drift-test-secret-${crypto.randomBytes(12).toString("hex")}\n`;
const sha = (s: string) => crypto.createHash("sha256").update(s).digest("hex");
const hostFilesType = "pulumi-nodejs:dynamic/airgap-registry:HostFiles";

/** A throwaway program (like engine.test.ts's) whose one resource is a HostFiles with two files, one a secret. */
function program(): string {
    const hostFilesModule = path.join(projectRoot, "dist", "components", "ssh", "hostFiles");
    return `
import * as pulumi from "@pulumi/pulumi";
import { HostFiles } from ${JSON.stringify(hostFilesModule)};

const config = new pulumi.Config();
const dir = config.require("dir");
const hostFiles = new HostFiles("host-files", {
    ssh: JSON.parse(config.require("ssh")),
    files: [
        { path: dir + "/ca.crt", content: config.require("ca") },
        { path: dir + "/secret.key", content: config.requireSecret("secret"), mode: "0600" },
    ],
    directories: [dir],
    // A stand-in for a trust store: onChange builds a bundle from the anchor, the check compares them.
    onChange: "if [ -f " + dir + "/ca.crt ]; then cat " + dir + "/ca.crt > " + dir + ".bundle; else rm -f " + dir + ".bundle; fi",
    check: "cmp -s " + dir + "/ca.crt " + dir + ".bundle",
});
export const files = hostFiles.files;
`;
}

/** The changes of a `--json` preview, as `op type::name` (refresh and same steps left out). */
function previewChanges(run: PulumiRun): string[] {
    const doc = JSON.parse(run.output.slice(run.output.indexOf("{"), run.output.lastIndexOf("}") + 1)) as {
        steps?: Array<{ op: string; urn: string }>;
    };
    return (doc.steps ?? [])
        .filter((s) => s.op !== "same" && s.op !== "refresh" && !/::default|pulumi:pulumi:Stack::/.test(s.urn))
        .map((s) => `${s.op} ${resourceOf(s.urn)}`)
        .sort();
}

/** The changes of `up --json`, as `op type::name`. */
function upChanges(run: PulumiRun): string[] {
    type Event = { resourcePreEvent?: { metadata: { op: string; urn: string } } };
    return [
        ...new Set(
            engineEvents<Event>(run.output)
                .flatMap((e) => (e.resourcePreEvent ? [e.resourcePreEvent.metadata] : []))
                .filter((s) => s.op !== "same" && s.op !== "refresh" && !/::default|pulumi:pulumi:Stack::/.test(s.urn))
                .map((s) => `${s.op} ${resourceOf(s.urn)}`),
        ),
    ].sort();
}

function ok(r: PulumiRun, what: string): PulumiRun {
    if (r.status !== 0) {
        const d = diagnosticsOf(r.output);
        assert.fail(`${what} failed (exit ${r.status}):\n${d.length > 0 ? d.join("\n") : r.output.slice(-6000)}`);
    }
    return r;
}

/** Where the scenario runs: how the program reaches the host, and how the test acts on it by hand. */
interface DriftHost {
    /** What the test reports (`client-a.lab`). */
    readonly name: string;
    /** The directory of the files on the host. */
    readonly dir: string;
    /** The HostFiles' `ssh` args. */
    readonly ssh: SshHostArgs;
    /** Runs a command on the host (by hand, outside Pulumi); returns stdout, throws on failure. */
    run(command: string): string;
    /** Text whose presence in the state or an output would be a leaked SSH key. */
    readonly privateKeyLine: string;
    /** SSH connections the bastion has accepted so far, where the test can count them. */
    bastionConnections?(): number;
}

/** The drift scenario through the real engine on one host. */
function driftScenario(name: string, setUp: () => DriftHost, tearDown: () => void = () => undefined): void {
    describe(`drift through the real engine: ${name}`, { concurrency: false }, () => {
        let host: DriftHost;
        let dir: string;
        let env: NodeJS.ProcessEnv;
        const run = (...args: string[]) => pulumi(dir, env, ...args);
        const outputs: string[] = [];
        const logged = (r: PulumiRun) => {
            outputs.push(r.output);
            return r;
        };
        /** `pulumi config set` with the value after `--` (a PEM starts with dashes) and the flags before it. */
        const configSet = (key: string, value: string, ...flags: string[]) => {
            const r = spawnSync("pulumi", ["config", "set", ...flags, "--non-interactive", key, "--", value], {
                cwd: dir,
                env,
                encoding: "utf8",
            });
            if (r.status !== 0) assert.fail(`pulumi config set ${key} failed:\n${r.stdout}${r.stderr}`);
        };
        const ca = () => `${host.dir}/ca.crt`;
        const secret = () => `${host.dir}/secret.key`;

        before(() => {
            host = setUp();
            host.run(`rm -rf ${host.dir} ${host.dir}.bundle`);
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-registry-drift-"));
            writeScratchProgram(dir, "drift-check", program(), path.join(projectRoot, "node_modules"));
            env = pulumiEnv(path.join(dir, ".state"));
            ok(run("stack", "init", "drift"), "stack init");
            configSet("dir", host.dir);
            configSet("ssh", JSON.stringify(host.ssh));
            configSet("ca", caText);
            configSet("secret", secretText, "--secret");
        });
        after(() => {
            if (dir && !process.env.AIRGAP_REGISTRY_KEEP_TEST_STACK) {
                run("destroy", "--yes", "--skip-preview");
                fs.rmSync(dir, { recursive: true, force: true });
            }
            tearDown();
        });

        it("up writes the files with their modes", () => {
            const up = logged(ok(run("up", "--yes", "--skip-preview", "--json"), "up"));
            assert.deepEqual(upChanges(up), [`create ${hostFilesType}::host-files`]);
            assert.equal(host.run(`cat ${ca()}`), caText);
            assert.equal(host.run(`stat -c %a ${secret()}`).trim(), "600");
            assert.equal(host.run(`sha256sum < ${secret()}`).split(" ")[0], sha(secretText));
        });

        it("with nothing drifted, preview --refresh --expect-no-changes passes (and what the refresh costs)", () => {
            const connectionsBefore = host.bastionConnections?.();
            const started = Date.now();
            logged(ok(run("preview", "--refresh", "--expect-no-changes"), "preview --refresh --expect-no-changes"));
            const refreshMs = Date.now() - started;
            const connections =
                connectionsBefore === undefined
                    ? ""
                    : `, ${(host.bastionConnections?.() ?? 0) - connectionsBefore} SSH connection(s) to the bastion`;
            const plainStarted = Date.now();
            logged(ok(run("preview", "--expect-no-changes"), "preview --expect-no-changes"));
            const plainMs = Date.now() - plainStarted;
            console.log(
                `# drift (${host.name}): no-drift preview --refresh ${refreshMs} ms, preview ${plainMs} ms (1 HostFiles, 2 files, through a bastion${connections})`,
            );
        });

        it("a file deleted by hand: preview --refresh shows an update of exactly that resource", () => {
            host.run(`rm -f ${secret()}`);
            const preview = logged(ok(run("preview", "--refresh", "--json"), "preview --refresh --json"));
            assert.deepEqual(previewChanges(preview), [`update ${hostFilesType}::host-files`]);
            const text = logged(ok(run("preview", "--refresh", "--diff"), "preview --refresh --diff"));
            // The refresh shows what it found: the deleted file's mode and hash gone; then the update.
            assert.match(text.output, new RegExp(`- sha256: "${sha(secretText)}"`));
            assert.match(text.output, /~ pulumi-nodejs:dynamic\/airgap-registry:HostFiles: \(update\)/);
            assert.match(text.output, /1 to update/);
        });

        it("up --refresh writes it back, and then nothing is left to change", () => {
            const up = logged(ok(run("up", "--yes", "--skip-preview", "--refresh", "--json"), "up --refresh"));
            assert.deepEqual(upChanges(up), [`update ${hostFilesType}::host-files`]);
            assert.equal(host.run(`sha256sum < ${secret()}`).split(" ")[0], sha(secretText));
            assert.equal(host.run(`stat -c %a ${secret()}`).trim(), "600");
            logged(ok(run("preview", "--refresh", "--expect-no-changes"), "preview --refresh after the heal"));
        });

        it("a file edited by hand is found and healed the same way", () => {
            host.run(`echo edited >> ${ca()}`);
            const preview = logged(ok(run("preview", "--refresh", "--json"), "preview --refresh --json"));
            assert.deepEqual(previewChanges(preview), [`update ${hostFilesType}::host-files`]);
            logged(ok(run("up", "--yes", "--skip-preview", "--refresh"), "up --refresh"));
            assert.equal(host.run(`cat ${ca()}`), caText);
            logged(ok(run("preview", "--refresh", "--expect-no-changes"), "preview --refresh after the heal"));
        });

        it("a check that fails while every file is right (the bundle rebuilt without the anchor) is found and healed", () => {
            host.run(`: > ${host.dir}.bundle`);
            const preview = logged(ok(run("preview", "--refresh", "--json"), "preview --refresh --json"));
            assert.deepEqual(previewChanges(preview), [`update ${hostFilesType}::host-files`]);
            const text = logged(ok(run("preview", "--refresh", "--diff"), "preview --refresh --diff"));
            assert.match(text.output, /~ checkPassed\s*: true => false/);
            logged(ok(run("up", "--yes", "--skip-preview", "--refresh"), "up --refresh"));
            assert.equal(host.run(`cat ${host.dir}.bundle`), caText);
            logged(ok(run("preview", "--refresh", "--expect-no-changes"), "preview --refresh after the heal"));
        });

        it("no secret in the state (after the refreshes too) or in any output", () => {
            const state = ok(run("stack", "export"), "stack export").output;
            for (const [what, text] of [
                ["the state", state],
                ...outputs.map((o, i): [string, string] => [`output ${i}`, o]),
            ]) {
                assert.ok(!text.includes(secretText.trim()), `${what} holds the secret file's content`);
                assert.ok(!text.includes(host.privateKeyLine), `${what} holds the SSH private key`);
            }
            // The contents are a secret input and never an output; the connection names the key by its path.
            const secretSig = "4dabf18193072939515e22adb298388d";
            type Res = { type: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> };
            const doc = JSON.parse(state.slice(state.indexOf("{"))) as { deployment: { resources: Res[] } };
            const res = doc.deployment.resources.find((r) => r.type === hostFilesType) as Res;
            assert.ok(secretSig in (res.inputs.contents as object), "contents is a secret input");
            assert.equal(res.outputs.contents, undefined, "contents is no output");
            for (const conn of [res.inputs.connection, res.outputs.connection] as Array<Record<string, unknown>>) {
                assert.equal(typeof conn.privateKeyPath, "string");
                assert.equal(conn.privateKey, undefined);
            }
        });

        it("destroy removes the files and the directory", () => {
            logged(ok(run("destroy", "--yes", "--skip-preview"), "destroy"));
            assert.equal(host.run(`test -e ${host.dir} && echo present || echo absent`).trim(), "absent");
            assert.equal(host.run(`test -e ${host.dir}.bundle && echo present || echo absent`).trim(), "absent");
            assert.deepEqual(stackResources(dir, env, "drift"), []);
        });
    });
}

// --- An SSH server of this machine, reached through a second one as the bastion (no lab needed).

let servers: ChildProcess[] = [];
// However this file ends, its servers end with it.
process.on("exit", () => servers.forEach((s) => s.kill()));

/** Starts test/support/sshServer.js as a process (the engine's runs block this one) and returns what it printed. */
function startServer(dir: string): { port: number; hostKey: string; privateKeyPath: string } {
    const out = path.join(dir, "server.json");
    const fd = fs.openSync(out, "w");
    servers.push(
        spawn(process.execPath, [path.join(__dirname, "..", "support", "sshServer.js"), dir], {
            stdio: ["ignore", fd, "inherit"],
        }),
    );
    fs.closeSync(fd);
    // The rest of the test is synchronous: wait for its one line (bounded) by polling the file.
    for (let i = 0; i < 150 && !fs.readFileSync(out, "utf8").includes("\n"); i++) spawnSync("sleep", ["0.1"]);
    return JSON.parse(fs.readFileSync(out, "utf8")) as { port: number; hostKey: string; privateKeyPath: string };
}

driftScenario(
    "a local SSH server through a local bastion",
    () => {
        const work = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-registry-drift-host-"));
        const hostDir = path.join(work, "host");
        const bastionDir = path.join(work, "bastion");
        fs.mkdirSync(hostDir);
        fs.mkdirSync(bastionDir);
        const target = startServer(hostDir);
        const bastion = startServer(bastionDir);
        return {
            name: "local",
            dir: path.join(work, "files"),
            ssh: {
                address: "127.0.0.1",
                sshPort: target.port,
                privateKeyPath: target.privateKeyPath,
                hostKey: target.hostKey,
                bastion: {
                    address: "127.0.0.1",
                    sshPort: bastion.port,
                    privateKeyPath: bastion.privateKeyPath,
                    hostKey: bastion.hostKey,
                },
            },
            run: (command) => {
                const r = spawnSync("sh", ["-c", command], { encoding: "utf8" });
                if (r.status !== 0) throw new Error(`${command}: exit ${r.status}\n${r.stderr}`);
                return r.stdout;
            },
            privateKeyLine: fs.readFileSync(target.privateKeyPath, "utf8").split("\n")[1],
            bastionConnections: () => {
                spawnSync("sleep", ["0.3"]); // the server writes its count every 200 ms
                return Number(fs.readFileSync(path.join(bastionDir, "connections.log"), "utf8").trim());
            },
        };
    },
    () => {
        servers.forEach((s) => s.kill());
        servers = [];
    },
);

// --- The lab's client-a, through the lab's bastion, pinned by the lab's known_hosts.

/** The lab's ssh config: the lab as it is when client-a answers, else brought up (as the other lab tests do). */
function labSshConfig(): string {
    const config = path.join(projectRoot, ".lab", "ssh", "config");
    if (fs.existsSync(config) && onHost(config, "client-a.lab", "true").code === 0) return config;
    return labUp();
}

driftScenario("client-a.lab through the lab's bastion", () => {
    const sshConfig = labSshConfig();
    const key = path.join(projectRoot, ".lab", "ssh", "id_ed25519");
    const knownHosts = path.join(projectRoot, ".lab", "ssh", "known_hosts");
    return {
        name: "client-a.lab",
        dir: "/etc/airgap-registry-drift-test",
        ssh: {
            address: "client-a.lab",
            privateKeyPath: key,
            knownHostsPath: knownHosts,
            bastion: { address: "127.0.0.1", sshPort: 2222, privateKeyPath: key, knownHostsPath: knownHosts },
        },
        run: (command) => mustRun(sshConfig, "client-a.lab", command),
        privateKeyLine: fs.readFileSync(key, "utf8").split("\n")[1],
        // The lab's bastion logs each connection it accepts (lab/bastion-entrypoint.sh).
        bastionConnections: () =>
            Number(
                spawnSync(
                    "docker",
                    ["exec", "airgap-lab-bastion", "grep", "-c", "Accepted publickey", "/var/log/sshd.log"],
                    { encoding: "utf8" },
                ).stdout.trim() || "0",
            ),
    };
});
