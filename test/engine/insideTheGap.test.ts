/**
 * Deploying from inside the air gap: a bundle with the deployment tool is carried onto workstation.lab (no route
 * outside, no Node.js, no Pulumi), bootstrapped there, and `pulumi up` runs on the workstation against registry.lab and
 * the clients, with the stack's state and secrets on the workstation; a client pulls.
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import type { RegistryCredential } from "../../components";
import { BundleManifest, partSizes, verifyBundle } from "../../components/internal";
import { projectRoot } from "../support/engine";
import { freshLabHosts, mustRun, onHost } from "../support/lab";
import { devStackConfig, ProjectStack, takeLabFromDevStack } from "../support/stack";

const ws = "workstation.lab";
const bundleOnWs = "/root/bundle";
const sshOnWs = "/root/lab-ssh";
const stackName = "inside";
const endpoint = "registry.lab:5443";
/** The workstation stack's passphrase: its own, not the lab's; it reaches the workstation on stdin only. */
const passphrase = "inside-the-gap-test-only";
const bundleDir = process.env.AIRGAP_REGISTRY_INSIDE_BUNDLE ?? path.join(os.tmpdir(), "airgap-registry-inside-bundle");

let cfg: string;
const run = (host: string, command: string, stdin = "") => mustRun(cfg, host, command, stdin);
const lab = (...args: string[]) =>
    execFileSync("bash", [path.join(projectRoot, "lab", "workstation.sh"), ...args], {
        stdio: ["ignore", "inherit", "inherit"],
    });
/** A pulumi command on the workstation, in its project with its environment; the passphrase from stdin. */
const onWs = (command: string) =>
    onHostLong(
        ws,
        `read -r PULUMI_CONFIG_PASSPHRASE; export PULUMI_CONFIG_PASSPHRASE; . ${bundleOnWs}/deploy/env.sh && cd ${bundleOnWs}/project && ${command}`,
        `${passphrase}\n`,
    );
/** onHost for the long runs (bootstrap, up, destroy on two shared cores): 15 minutes. */
const onHostLong = (host: string, command: string, stdin = "") => onHost(cfg, host, command, stdin, 900_000);
const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

describe("inside the air gap: bootstrap and pulumi up on workstation.lab", { concurrency: false }, () => {
    let nextLine = "";
    let deployed = false;
    let fileCount = 0;

    before(() => {
        takeLabFromDevStack();
        cfg = freshLabHosts("registry", "client-a", "client-b");
        lab("down");
        lab("up");
        if (!process.env.AIRGAP_REGISTRY_INSIDE_BUNDLE) {
            fs.rmSync(bundleDir, { recursive: true, force: true });
            const t = process.hrtime.bigint();
            execFileSync(
                process.execPath,
                [
                    path.join(projectRoot, "dist", "bundleWriter", "cli.js"),
                    "--out",
                    bundleDir,
                    "--registry-image",
                    "airgap-registry/registry:2.8",
                    "--image",
                    "airgap-lab/hello:1",
                    "--packages",
                    "none",
                    "--deploy-tool",
                    "--node-runtime",
                ],
                { stdio: ["ignore", "ignore", "inherit"] },
            );
            console.log(`# bundle written in ${seconds(t).toFixed(1)} s`);
        }
        const { manifest, problems } = verifyBundle(bundleDir);
        assert.deepEqual(problems, []);
        fileCount = (manifest as BundleManifest).files.length;
        for (const part of partSizes(manifest as BundleManifest))
            console.log(`# bundle part ${part.kind}: ${part.files} files, ${(part.bytes / 1048576).toFixed(1)} MiB`);
        // Out of band, like carrying a disk in.
        execFileSync("docker", ["cp", bundleDir, `airgap-lab-workstation:${bundleOnWs}`]);
    });

    after(() => {
        if (process.env.AIRGAP_REGISTRY_KEEP_TEST_STACK) return;
        if (deployed) {
            const t = process.hrtime.bigint();
            const r = onWs(`pulumi destroy --yes --skip-preview --non-interactive --stack ${stackName}`);
            console.log(`# workstation pulumi destroy: exit ${r.code} in ${seconds(t).toFixed(1)} s`);
            if (r.code !== 0) console.log(r.stdout.slice(-3000), r.stderr.slice(-3000));
        }
        lab("down");
        // The lab as other tests find it: the hosts this stack used, fresh.
        freshLabHosts("registry", "client-a", "client-b");
    });

    it("the workstation has no Node.js, no npm, no Pulumi and no route outside", () => {
        for (const tool of ["node", "npm", "pulumi"])
            assert.notEqual(onHost(cfg, ws, `command -v ${tool}`).code, 0, `${tool} is not on the workstation`);
        const outsideName = onHost(cfg, ws, "getent hosts registry.npmjs.org");
        assert.equal(outsideName.code, 2, "an outside name does not resolve (getent: not found)");
        const outsideHttp = onHost(cfg, ws, "curl -sS --max-time 5 https://registry.npmjs.org/");
        // The lab's DNS has no way out either: the name fails to resolve (6), or resolving times out (28).
        assert.ok([6, 28].includes(outsideHttp.code), `curl exit ${outsideHttp.code}: ${outsideHttp.stderr}`);
        assert.match(outsideHttp.stderr, /Could not resolve host|Resolving timed out/);
        const outsideIp = onHost(cfg, ws, "curl -sS --max-time 5 -o /dev/null https://1.1.1.1/");
        assert.ok([7, 28].includes(outsideIp.code), `curl to an outside address fails: ${outsideIp.stderr}`);
        // (Docker's --internal network leaves the container a default route; the host drops what is sent on it,
        // so the proof is the failed connection above, not the routing table.)
        // The positive twin from the same place: the lab's own hosts answer.
        assert.match(run(ws, "getent hosts registry.lab"), /registry\.lab/);
    });

    it("a tampered bundle stops the bootstrap before anything is unpacked, naming the file", () => {
        const r = onHost(
            cfg,
            ws,
            `cd ${bundleOnWs} && cp deploy-tool/project.tar.gz /tmp/project.tar.gz && printf x >> deploy-tool/project.tar.gz; ` +
                `bash bootstrap.sh --stack ${stackName}; rc=$?; mv /tmp/project.tar.gz deploy-tool/project.tar.gz; ` +
                `test ! -e project || echo UNPACKED; rm -rf deploy; exit $rc`,
        );
        assert.equal(r.code, 1);
        assert.match(r.stderr, /deploy-tool\/project\.tar\.gz does not match its SHA-256 in manifest\.json/);
        assert.doesNotMatch(r.stdout, /UNPACKED/);
    });

    it("the bootstrap installs Node.js, the npm dependencies and Pulumi offline and prints the next line", () => {
        const t = process.hrtime.bigint();
        const r = onHostLong(ws, `bash ${bundleOnWs}/bootstrap.sh --stack ${stackName}`);
        const took = seconds(t);
        assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
        console.log(`# bootstrap on the workstation: ${took.toFixed(1)} s`);
        assert.match(r.stderr, new RegExp(`verified ${fileCount} files against manifest\\.json`));
        assert.match(r.stderr, /Node\.js 20\.\d+\.\d+ and npm \S+ from the bundle/);
        assert.match(r.stderr, /npm dependencies installed offline/);
        nextLine = r.stdout.trim().split("\n").pop() as string;
        assert.equal(
            nextLine,
            `. ${bundleOnWs}/deploy/env.sh && cd ${bundleOnWs}/project && pulumi stack select --create ${stackName} && pulumi up --stack ${stackName}`,
        );
        assert.equal(
            run(ws, `. ${bundleOnWs}/deploy/env.sh && pulumi version && node --version`).trim(),
            `v3.248.0\n${run(ws, `${bundleOnWs}/deploy/node/bin/node --version`).trim()}`,
        );
    });

    it("pulumi up on the workstation deploys the registry; its state and secrets stay there; client-b pulls", () => {
        // The lab's SSH key and pinned host keys, carried to the workstation; the stack reaches the hosts
        // directly (the workstation is on the lab network): no bastion.
        run(
            ws,
            `mkdir -p ${sshOnWs} && chmod 700 ${sshOnWs} && umask 077 && cat > ${sshOnWs}/id_ed25519`,
            fs.readFileSync(path.join(projectRoot, ".lab", "ssh", "id_ed25519"), "utf8"),
        );
        run(
            ws,
            `cat > ${sshOnWs}/known_hosts`,
            fs.readFileSync(path.join(projectRoot, ".lab", "ssh", "known_hosts"), "utf8"),
        );
        const key = `${sshOnWs}/id_ed25519`;
        const config = devStackConfig();
        delete config["airgap-registry:bastion"];
        delete config["airgap-registry:registryImage"];
        delete config["airgap-registry:registryImageArchive"];
        Object.assign(config, {
            "airgap-registry:knownHostsPath": `${sshOnWs}/known_hosts`,
            "airgap-registry:host": {
                address: "registry.lab",
                user: "root",
                privateKeyPath: key,
                names: ["registry.lab"],
                port: 5443,
                dataDir: "/var/lib/airgap-registry",
            },
            "airgap-registry:clients": [
                { name: "client-a", address: "client-a.lab", privateKeyPath: key },
                { name: "client-b", address: "client-b.lab", privateKeyPath: key },
            ],
            "airgap-registry:bundlePath": "..",
        });
        run(ws, `cat > ${bundleOnWs}/project/Pulumi.${stackName}.yaml`, YAML.stringify({ config }));

        const t = process.hrtime.bigint();
        const up = onHostLong(
            ws,
            `read -r PULUMI_CONFIG_PASSPHRASE; export PULUMI_CONFIG_PASSPHRASE; ${nextLine} --yes --skip-preview --non-interactive`,
            `${passphrase}\n`,
        );
        const took = seconds(t);
        deployed = true;
        assert.equal(up.code, 0, `${up.stdout.slice(-6000)}\n${up.stderr.slice(-3000)}`);
        console.log(`# pulumi up on the workstation: ${took.toFixed(1)} s`);
        assert.match(up.stdout, /Resources:\s*\n\s*\+ \d+ created/);

        const outputs = JSON.parse(onWs(`pulumi stack output --stack ${stackName} --json --show-secrets`).stdout) as {
            credentials: RegistryCredential[];
            servedImages: string[];
            endpoint: string;
            caCertificate: string;
        };
        assert.equal(outputs.endpoint, endpoint);
        assert.equal(outputs.servedImages.length, 1);
        assert.match(outputs.servedImages[0], /^airgap-lab\/hello:1@sha256:[0-9a-f]{64}$/);

        // The state is on the workstation, encrypted with its passphrase; this machine's backend has no such stack.
        const state = run(
            ws,
            `cat ${bundleOnWs}/project/.pulumi-state/backend/.pulumi/stacks/airgap-registry/${stackName}.json`,
        );
        assert.match(state, /"type": ?"passphrase"/, "secrets encrypted with the workstation's passphrase");
        assert.ok(!state.includes(outputs.credentials[0].password), "no password in the clear in the state");
        assert.equal(new ProjectStack(stackName).exists(), false, "no such stack on the machine outside");

        // client-b pulls by digest, TLS verified with the CA the workstation's stack made (certs.d and the OS store).
        const [ci] = outputs.credentials;
        const digest = outputs.servedImages[0].split("@")[1];
        run("client-b.lab", `docker login ${endpoint} --username ${ci.username} --password-stdin`, ci.password);
        run("client-b.lab", `docker pull ${endpoint}/airgap-lab/hello@${digest}`);
        assert.equal(
            run(
                "client-b.lab",
                `docker image inspect --format '{{index .RepoDigests 0}}' ${endpoint}/airgap-lab/hello@${digest}`,
            ).trim(),
            `${endpoint}/airgap-lab/hello@${digest}`,
        );
        assert.equal(
            run("client-b.lab", `docker run --rm ${endpoint}/airgap-lab/hello@${digest}`).trim(),
            "hello from the air-gapped registry",
        );
        assert.equal(run("client-b.lab", `curl -sS -o /dev/null -w '%{http_code}' https://${endpoint}/v2/`), "401");
        // And the workstation reaches the registry with that CA, while the outside stays unreachable.
        assert.equal(
            run(
                ws,
                `cat > /tmp/ca.crt && curl -sS -o /dev/null -w '%{http_code}' --cacert /tmp/ca.crt https://${endpoint}/v2/`,
                outputs.caCertificate,
            ),
            "401",
        );
        assert.notEqual(onHost(cfg, ws, "getent hosts registry.npmjs.org").code, 0);
    });

    it("a second pulumi up on the workstation changes nothing", () => {
        const t = process.hrtime.bigint();
        const r = onWs(`pulumi preview --expect-no-changes --stack ${stackName} --non-interactive`);
        assert.equal(r.code, 0, `${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`);
        console.log(`# no-op preview on the workstation: ${seconds(t).toFixed(1)} s`);
    });
});
