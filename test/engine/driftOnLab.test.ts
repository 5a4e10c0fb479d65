/**
 * Drift of the project's own stack on the lab, through the real engine: what an operator (or a re-image) changes on
 * a host by hand shows in `pulumi preview --refresh` as updates of exactly the steps that own it, and
 * `pulumi up --refresh` heals exactly those:
 * - client-a's CA removed by hand (certs.d deleted, anchor taken out of the OS store): client-a's trust steps and
 *   nothing else; after the heal client-a pulls again with TLS verified;
 * - client-b re-imaged (its lab container recreated empty, its SSH host key restored as a site's provisioning
 *   does): every step of client-b, and nothing else;
 * - the registry's htpasswd edited on the host (ci given the operator's password hash): the htpasswd step alone; the
 *   heal restores it and restarts the registry, and the edited password no longer works;
 * - with nothing drifted, `pulumi preview --refresh --expect-no-changes` passes (before and after every heal).
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { RegistryCredential } from "../../components";
import { projectRoot } from "../support/engine";
import { freshLabHosts, labUp, mustRun, onHost } from "../support/lab";
import { devStackConfig, mustSucceed, ProjectStack, takeLabFromDevStack } from "../support/stack";

const stack = new ProjectStack("test-drift");
const endpoint = "registry.lab:5443";
const image = `${endpoint}/hello:1`;
const htpasswdPath = "/var/lib/airgap-registry/auth/htpasswd";
const anchor = "/usr/local/share/ca-certificates/airgap-registry-ca.crt";
const hostFiles = (name: string) => `pulumi-nodejs:dynamic/airgap-registry:HostFiles::airgap-registry-${name}`;
/** Every step ClientTrust owns on a client of the dev stack (one endpoint, no /etc/hosts entries). */
const clientSteps = (client: string) =>
    [`trust-${client}-os-trust`, `trust-${client}-certs-d-registry.lab-5443`, `trust-${client}-check`]
        .map((n) => `update ${hostFiles(n)}`)
        .sort();

let cfg: string;
const run = (host: string, command: string, stdin = "") => mustRun(cfg, host, command, stdin);
const onLab = (host: string, command: string, stdin: string | Buffer = "") => onHost(cfg, host, command, stdin);

/** HTTP status of /v2/ from a host through its system trust store (curl's exit code too); credentials on stdin. */
function v2(host: string, userPass?: string): { code: number; status: string; stderr: string } {
    const auth = userPass === undefined ? "" : `user = "${userPass}"\n`;
    const r = onLab(host, `curl -sS -K - -o /dev/null -w '%{http_code}' https://${endpoint}/v2/`, auth);
    return { code: r.code, status: r.stdout.trim(), stderr: r.stderr };
}

function credentials(): RegistryCredential[] {
    return stack.output<RegistryCredential[]>("credentials");
}

/** Logs in on `host` as `user` and pulls the sample image (removed locally first), with TLS verified. */
function pull(host: string, user: RegistryCredential): { code: number; stderr: string } {
    run(host, `docker image rm -f ${image} >/dev/null 2>&1 || true`);
    const login = onLab(host, `docker login ${endpoint} --username ${user.username} --password-stdin`, user.password);
    if (login.code !== 0) return login;
    return onLab(host, `docker pull ${image}`);
}

/** The no-drift preview: refresh, then nothing to change (the engine exits non-zero otherwise). */
function assertNoDrift(when: string): void {
    mustSucceed(stack.preview("--refresh", "--expect-no-changes"), `no-drift preview --refresh (${when})`);
}

/** `preview --refresh`: the changes it shows (refresh steps and unchanged resources left out). */
function driftShown(): string[] {
    return mustSucceed(stack.preview("--refresh"), "preview --refresh").changes;
}

describe(
    "drift on the lab: preview --refresh shows it per host and per step, up --refresh heals it",
    { concurrency: false },
    () => {
        before(() => {
            takeLabFromDevStack();
            cfg = freshLabHosts("registry", "client-a", "client-b");
            stack.recreate(devStackConfig());
            mustSucceed(stack.up(), "fresh up");
            // An image in the registry, pushed by client-a with TLS verified.
            const [ci] = credentials();
            const sample = fs.readFileSync(path.join(projectRoot, ".lab", "images", "sample-image.tar"));
            assert.equal(onLab("client-a.lab", "docker load >/dev/null", sample).code, 0);
            run("client-a.lab", `docker tag airgap-lab/hello:1 ${image}`);
            run("client-a.lab", `docker login ${endpoint} --username ci --password-stdin`, ci.password);
            run("client-a.lab", `docker push ${image}`);
        });
        after(() => {
            if (process.env.AIRGAP_REGISTRY_KEEP_TEST_STACK) return;
            stack.destroy();
            stack.remove();
        });

        it("nothing drifted: preview --refresh --expect-no-changes passes", () => {
            const started = Date.now();
            assertNoDrift("fresh stack");
            console.log(`# no-drift preview --refresh, 2 clients: ${((Date.now() - started) / 1000).toFixed(1)} s`);
        });

        it("client-a's CA removed by hand: the refresh shows client-a's trust steps and nothing else; up --refresh heals them", () => {
            run(
                "client-a.lab",
                `rm -rf /etc/docker/certs.d/${endpoint} && rm -f ${anchor} && update-ca-certificates --fresh >/dev/null`,
            );
            const broken = v2("client-a.lab");
            assert.equal(broken.code, 60, `curl fails on the certificate: ${broken.stderr}`);
            // dockerd reads the system trust store once, when it starts: after a restart (what a reboot does) it no
            // longer trusts the registry either.
            run(
                "client-a.lab",
                "pkill -x dockerd; sleep 2; i=0; until docker info >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 60 ]; sleep 1; done",
            );
            const refused = pull("client-a.lab", credentials()[0]);
            assert.notEqual(refused.code, 0, "negative twin: client-a cannot pull");
            assert.match(refused.stderr, /x509|certificate/, `refused for the certificate: ${refused.stderr}`);

            assert.deepEqual(driftShown(), clientSteps("client-a"));
            const healed = mustSucceed(stack.up("--refresh"), "up --refresh");
            assert.deepEqual(healed.changes, clientSteps("client-a"), "the up changed exactly what the preview showed");

            assert.equal(v2("client-a.lab").status, "401", "TLS verified again by the system trust store");
            assert.equal(run("client-a.lab", `test -s /etc/docker/certs.d/${endpoint}/ca.crt && echo ok`).trim(), "ok");
            const pulled = pull("client-a.lab", credentials()[0]);
            assert.equal(pulled.code, 0, `client-a pulls again: ${pulled.stderr}`);
            assertNoDrift("after healing client-a");
        });

        it("client-b re-imaged (recreated empty, host key kept): every step of client-b and nothing else; then it pulls", () => {
            // The site's provisioning restores a re-imaged host's SSH host keys (else the pinned key refuses it).
            const keys = execFileSync("docker", [
                "exec",
                "airgap-lab-client-b",
                "sh",
                "-c",
                "cd /etc/ssh && tar -cf - ssh_host_* .lab-host-keys",
            ]);
            execFileSync("docker", ["rm", "-f", "airgap-lab-client-b"], { stdio: "ignore" });
            cfg = labUp();
            execFileSync("docker", ["exec", "-i", "airgap-lab-client-b", "tar", "-C", "/etc/ssh", "-xf", "-"], {
                input: keys,
            });
            execFileSync("docker", ["exec", "airgap-lab-client-b", "sh", "-c", "kill -HUP $(cat /run/sshd.pid)"]);
            cfg = labUp(); // records the restored key again
            assert.notEqual(
                onLab("client-b.lab", `test -e /etc/docker/certs.d/${endpoint}/ca.crt`).code,
                0,
                "the re-imaged client has none of the stack's files",
            );
            assert.equal(v2("client-b.lab").code, 60, "and does not trust the registry");

            assert.deepEqual(driftShown(), clientSteps("client-b"));
            assert.deepEqual(mustSucceed(stack.up("--refresh"), "up --refresh").changes, clientSteps("client-b"));
            assert.equal(v2("client-b.lab").status, "401");
            const pulled = pull("client-b.lab", credentials()[0]);
            assert.equal(pulled.code, 0, `client-b pulls: ${pulled.stderr}`);
            assertNoDrift("after healing client-b");
        });

        it("the registry's htpasswd edited on the host: the htpasswd step alone; the heal restores it and the edited password stops working", () => {
            const [ci, operator] = credentials();
            const containerBefore = run("registry.lab", "docker inspect --format '{{.Id}}' airgap-registry").trim();
            // Someone gives ci the operator's password (their bcrypt hash) and restarts the registry (2.8 reads
            // htpasswd when it starts).
            run(
                "registry.lab",
                `hash=$(grep '^operator:' ${htpasswdPath} | cut -d: -f2-) && ` +
                    `sed -i "s|^ci:.*|ci:$hash|" ${htpasswdPath} && docker restart airgap-registry >/dev/null`,
            );
            const edited = () => v2("client-a.lab", `ci:${operator.password}`).status;
            for (let i = 0; i < 30 && edited() !== "200"; i++) execFileSync("sleep", ["1"]);
            assert.equal(edited(), "200", "the edit took effect: ci answers to the operator's password");
            assert.equal(v2("client-a.lab", `ci:${ci.password}`).status, "401", "and no longer to its own");

            assert.deepEqual(driftShown(), [`update ${hostFiles("registry-htpasswd")}`]);
            assert.deepEqual(mustSucceed(stack.up("--refresh"), "up --refresh").changes, [
                `update ${hostFiles("registry-htpasswd")}`,
            ]);
            assert.equal(v2("client-a.lab", `ci:${ci.password}`).status, "200", "ci's own password works again");
            assert.equal(
                v2("client-a.lab", `ci:${operator.password}`).status,
                "401",
                "the edited password no longer works",
            );
            assert.equal(
                run("registry.lab", "docker inspect --format '{{.Id}}' airgap-registry").trim(),
                containerBefore,
                "the container was restarted, not replaced",
            );
            assertNoDrift("after healing the htpasswd");
        });
    },
);
