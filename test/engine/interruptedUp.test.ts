/** A `pulumi up` killed while the registry container is being replaced, and what the next `up` does (real engine, lab). */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "child_process";
import { projectRoot } from "../support/engine";
import { freshLabHosts, mustRun, onHost } from "../support/lab";
import { devStackConfig, mustSucceed, ProjectStack, takeLabFromDevStack } from "../support/stack";

// The operator's laptop dies, or someone presses Ctrl-C twice, in the middle of an `up` that is
// replacing the registry container. The next `up` must finish the job: one registry container,
// serving with the new password, the stored images still there, nothing twice in the state.

const stack = new ProjectStack("test-interrupt");
const endpoint = "registry.lab:5443";
const dataDir = "/var/lib/airgap-registry";
const containerUrn = "docker:index/container:Container::airgap-registry-registry-container";

let cfg: string;
const run = (host: string, command: string, stdin = "") => mustRun(cfg, host, command, stdin);

/** Starts `pulumi up` and kills it (the whole process group, SIGKILL) once the engine starts `step` on the container. */
function upKilledAt(step: RegExp): Promise<{ killed: boolean; output: string }> {
    return new Promise((resolve) => {
        const child = spawn(
            "pulumi",
            ["up", "--yes", "--skip-preview", "--json", "--stack", stack.name, "--non-interactive"],
            { cwd: projectRoot, env: stack.env, detached: true },
        );
        let output = "";
        let killed = false;
        child.stdout.on("data", (chunk: Buffer) => {
            output += chunk.toString();
            const started = output
                .split("\n")
                .some((line) => line.includes(containerUrn.split("::")[1]) && step.test(line));
            if (!killed && started) {
                killed = true;
                // Let the provider get into the container's create, then pull the plug.
                setTimeout(() => process.kill(-(child.pid as number), "SIGKILL"), 1500);
            }
        });
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.on("exit", () => resolve({ killed, output }));
    });
}

function v2Status(userPass: string): string {
    return onHost(
        cfg,
        "client-a.lab",
        `curl -sS -K - -o /dev/null -w '%{http_code}' https://${endpoint}/v2/`,
        `user = "${userPass}"\n`,
    ).stdout;
}

describe("an up killed mid-way through the real engine", { concurrency: false }, () => {
    before(() => {
        takeLabFromDevStack();
        cfg = freshLabHosts("registry", "client-a");
        const config = devStackConfig();
        stack.recreate({
            ...config,
            "airgap-registry:clients": [
                { name: "client-a", address: "client-a.lab", privateKeyPath: ".lab/ssh/id_ed25519" },
            ],
        });
        mustSucceed(stack.up(), "first up");
        // Something stored that must survive.
        run(`registry.lab`, `mkdir -p ${dataDir}/data/docker/registry/v2/repositories/kept`);
    });
    after(() => {
        if (process.env.AIRGAP_REGISTRY_KEEP_TEST_STACK) return;
        if (stack.locked()) stack.run("cancel", "--yes");
        stack.destroy();
        stack.remove();
    });

    it("the next up completes: one container, the new password served, storage kept, nothing twice in the state", async () => {
        const next = "password-after-the-interrupted-up-0123";
        stack.setSecret("passwords.ci", next);
        const interrupted = await upKilledAt(/"op":"(create-replacement|replace|create|delete-replaced)"/);
        assert.ok(
            interrupted.killed,
            `the up was killed while replacing the container:\n${interrupted.output.slice(-3000)}`,
        );

        // The operator's recovery, with the engine's own tools: release the file backend's lock
        // the killed up left, then resolve what it left pending (a create the host finished is
        // imported by its ID, one it did not is cleared), then up.
        const started = Date.now();
        const steps: string[] = [];
        if (stack.locked()) {
            steps.push("pulumi cancel");
            mustSucceed(stack.run("cancel", "--yes"), "pulumi cancel");
        }
        const pending = stack.pendingOperations();
        console.log(
            `# interrupted up left ${pending.length} pending operation(s): ${pending.map((p) => `${p.type} ${p.urn.split("::").pop()}`).join(", ")}`,
        );
        if (pending.length > 0) {
            steps.push("pulumi refresh --clear-pending-creates");
            mustSucceed(
                stack.run("refresh", "--yes", "--clear-pending-creates"),
                "refresh clearing what the killed up left pending",
            );
        }
        // The docker provider cannot adopt a container the killed create left running (with
        // `--import-pending-creates` the next up still created another one and failed on the
        // name): a registry container the state does not know is removed on the host; its
        // storage lives in the data directory.
        const tracked = stack.resources().find((r) => r.urn.endsWith(containerUrn)) as { id?: string } | undefined;
        const onHostId = run("registry.lab", "docker ps -aq --no-trunc --filter name=^airgap-registry$").trim();
        if (onHostId !== "" && onHostId !== tracked?.id) {
            steps.push("docker rm -f airgap-registry (on the registry host)");
            run("registry.lab", `docker rm -f ${onHostId} >/dev/null`);
        }
        mustSucceed(stack.up(), `up after the interrupted one (${steps.join(", ") || "no extra step"})`);
        console.log(
            `# interrupted up: recovered with ${[...steps, "pulumi up"].join(" + ")} in ${Math.round((Date.now() - started) / 1000)} s`,
        );

        assert.equal(
            run("registry.lab", "docker ps -a --filter name=^airgap-registry$ --format '{{.ID}}' | wc -l").trim(),
            "1",
            "one registry container",
        );
        assert.equal(v2Status(`ci:${next}`), "200", "the new password is served");
        assert.equal(
            onHost(cfg, "registry.lab", `test -d ${dataDir}/data/docker/registry/v2/repositories/kept`).code,
            0,
        );
        const urns = stack.resources().map((r) => r.urn);
        assert.equal(new Set(urns).size, urns.length, "no resource twice in the state");
        assert.deepEqual(mustSucceed(stack.preview("--refresh", "--expect-no-changes"), "converged").changes, []);
    });
});
