/**
 * Drift through the real engine on the lab: files a HostFiles wrote on client-a, one deleted by hand, then
 * `preview --refresh` shows an update of exactly that resource, `up --refresh` writes it back, and a no-drift
 * `preview --refresh --expect-no-changes` passes. Secrets stay out of the state and the output throughout.
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectRoot, pulumi, pulumiEnv, PulumiRun, stackResources } from "../support/engine";
import { labUp, mustRun, onHost } from "../support/lab";
import { diagnosticsOf, engineEvents, resourceOf } from "../support/stack";

// A throwaway program (like engine.test.ts's) whose one resource is a HostFiles on client-a, reached
// through the lab's bastion with the lab's pinned host keys, exactly as the dev stack reaches it.

const dirOnHost = "/etc/airgap-registry-drift-test";
const caPath = `${dirOnHost}/ca.crt`;
const secretPath = `${dirOnHost}/secret.key`;
const caText = "-----BEGIN CERTIFICATE-----\ndrift-test-not-a-real-certificate\n-----END CERTIFICATE-----\n";
const secretText = `drift-test-secret-${crypto.randomBytes(12).toString("hex")}\n`;
const sha = (s: string) => crypto.createHash("sha256").update(s).digest("hex");
const hostFilesType = "pulumi-nodejs:dynamic/airgap-registry:HostFiles";

function program(): string {
    const hostFilesModule = path.join(projectRoot, "dist", "components", "ssh", "hostFiles");
    return `
import * as pulumi from "@pulumi/pulumi";
import { HostFiles } from ${JSON.stringify(hostFilesModule)};

const config = new pulumi.Config();
const lab = config.require("labDir");
const key = lab + "/ssh/id_ed25519";
const knownHosts = lab + "/ssh/known_hosts";
const hostFiles = new HostFiles("client-a-files", {
    ssh: {
        address: "client-a.lab",
        privateKeyPath: key,
        knownHostsPath: knownHosts,
        bastion: { address: "127.0.0.1", sshPort: 2222, privateKeyPath: key, knownHostsPath: knownHosts },
    },
    files: [
        { path: ${JSON.stringify(caPath)}, content: config.require("ca") },
        { path: ${JSON.stringify(secretPath)}, content: config.requireSecret("secret"), mode: "0600" },
    ],
    directories: [${JSON.stringify(dirOnHost)}],
});
export const files = hostFiles.files;
`;
}

/** The lab's ssh config: the lab as it is when client-a answers, else brought up (as the other lab tests do). */
function labSshConfig(): string {
    const config = path.join(projectRoot, ".lab", "ssh", "config");
    if (fs.existsSync(config) && onHost(config, "client-a.lab", "true").code === 0) return config;
    return labUp();
}

/** The changes of a `--json` preview, as `op type::name` (refresh and same steps left out). */
function previewChanges(run: PulumiRun): string[] {
    const doc = JSON.parse(run.output.slice(run.output.indexOf("{"), run.output.lastIndexOf("}") + 1)) as {
        steps?: Array<{ op: string; urn: string }>;
    };
    return (doc.steps ?? [])
        .filter((s) => s.op !== "same" && s.op !== "refresh" && !/::default/.test(s.urn))
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
                .filter((s) => s.op !== "same" && s.op !== "refresh" && !/::default/.test(s.urn))
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

describe("drift on a lab host through the real engine (HostFiles)", { concurrency: false }, () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    let sshConfig: string;
    const run = (...args: string[]) => pulumi(dir, env, ...args);
    const outputs: string[] = [];
    const logged = (r: PulumiRun) => {
        outputs.push(r.output);
        return r;
    };
    const onClient = (command: string) => mustRun(sshConfig, "client-a.lab", command);

    before(() => {
        sshConfig = labSshConfig();
        onHost(sshConfig, "client-a.lab", `rm -rf ${dirOnHost}`);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-registry-drift-"));
        fs.writeFileSync(
            path.join(dir, "Pulumi.yaml"),
            "name: drift-check\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
        );
        fs.writeFileSync(path.join(dir, "index.ts"), program());
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "drift-check", main: "index.ts" }));
        fs.writeFileSync(
            path.join(dir, "tsconfig.json"),
            JSON.stringify({
                compilerOptions: { strict: true, target: "ES2022", module: "commonjs", moduleResolution: "node" },
            }),
        );
        fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(dir, "node_modules"));
        env = pulumiEnv(path.join(dir, ".state"));
        ok(run("stack", "init", "drift"), "stack init");
        ok(run("config", "set", "labDir", path.join(projectRoot, ".lab")), "config set labDir");
        ok(run("config", "set", "ca", "--", caText), "config set ca");
        ok(run("config", "set", "--secret", "secret", "--", secretText), "config set --secret secret");
    });
    after(() => {
        if (!dir) return;
        if (!process.env.AIRGAP_REGISTRY_KEEP_TEST_STACK) {
            run("destroy", "--yes", "--skip-preview");
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("up writes the files on client-a with their modes", () => {
        const up = logged(ok(run("up", "--yes", "--skip-preview", "--json"), "up"));
        assert.deepEqual(upChanges(up), [`create ${hostFilesType}::client-a-files`]);
        assert.equal(onClient(`cat ${caPath}`), caText);
        assert.equal(onClient(`stat -c %a ${secretPath}`).trim(), "600");
        assert.equal(onClient(`sha256sum < ${secretPath}`).split(" ")[0], sha(secretText));
    });

    it("with nothing drifted, preview --refresh --expect-no-changes passes", () => {
        const started = Date.now();
        logged(ok(run("preview", "--refresh", "--expect-no-changes"), "preview --refresh --expect-no-changes"));
        const refreshMs = Date.now() - started;
        const plainStarted = Date.now();
        logged(ok(run("preview", "--expect-no-changes"), "preview --expect-no-changes"));
        const plainMs = Date.now() - plainStarted;
        console.log(
            `# drift: no-drift preview --refresh ${refreshMs} ms vs preview ${plainMs} ms (1 HostFiles, 2 files, 1 host through the bastion)`,
        );
    });

    it("a file deleted by hand: preview --refresh shows an update of exactly that resource, the file's hash gone in the refresh", () => {
        onClient(`rm -f ${secretPath}`);
        const preview = logged(ok(run("preview", "--refresh", "--json", "--diff"), "preview --refresh"));
        assert.deepEqual(previewChanges(preview), [`update ${hostFilesType}::client-a-files`]);
        const text = logged(ok(run("preview", "--refresh", "--diff"), "preview --refresh --diff"));
        // The refresh shows what it found on the host: the deleted file's mode and hash gone; then the update.
        assert.match(text.output, new RegExp(`- sha256: "${sha(secretText)}"`));
        assert.match(text.output, /~ pulumi-nodejs:dynamic\/airgap-registry:HostFiles: \(update\)/);
        assert.match(text.output, /1 to update/);
    });

    it("up --refresh writes it back, and then nothing is left to change", () => {
        const up = logged(ok(run("up", "--yes", "--skip-preview", "--refresh", "--json"), "up --refresh"));
        assert.deepEqual(upChanges(up), [`update ${hostFilesType}::client-a-files`]);
        assert.equal(onClient(`sha256sum < ${secretPath}`).split(" ")[0], sha(secretText));
        assert.equal(onClient(`stat -c %a ${secretPath}`).trim(), "600");
        logged(ok(run("preview", "--refresh", "--expect-no-changes"), "preview --refresh after the heal"));
    });

    it("a file edited by hand is found the same way", () => {
        onClient(`echo edited >> ${caPath}`);
        const preview = logged(ok(run("preview", "--refresh", "--json"), "preview --refresh"));
        assert.deepEqual(previewChanges(preview), [`update ${hostFilesType}::client-a-files`]);
        logged(ok(run("up", "--yes", "--skip-preview", "--refresh"), "up --refresh"));
        assert.equal(onClient(`cat ${caPath}`), caText);
    });

    it("no secret in the state (after refreshes too) or in any output", () => {
        const state = ok(run("stack", "export"), "stack export").output;
        const privateKey = fs.readFileSync(path.join(projectRoot, ".lab", "ssh", "id_ed25519"), "utf8");
        const keyLine = privateKey.split("\n")[1];
        for (const [what, text] of [
            ["the state", state],
            ...outputs.map((o, i): [string, string] => [`output ${i}`, o]),
        ]) {
            assert.ok(!text.includes(secretText.trim()), `${what} holds the secret file's content`);
            assert.ok(!text.includes(keyLine), `${what} holds the SSH private key`);
        }
        assert.match(
            state,
            /"connection":\s*\{\s*"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"/,
        );
    });

    it("destroy removes the files and the directory from client-a", () => {
        logged(ok(run("destroy", "--yes", "--skip-preview"), "destroy"));
        assert.equal(onHost(sshConfig, "client-a.lab", `test -e ${dirOnHost}`).code, 1);
        assert.deepEqual(stackResources(dir, env, "drift"), []);
    });
});
