/** Test access to the lab: bring it up, run commands on its hosts over SSH, fresh hosts. */

import { execFileSync, spawnSync } from "child_process";
import * as path from "path";
import { projectRoot } from "./engine";

/** Brings the lab up (idempotent) and returns the path of its ssh config. Throws with the reason when it cannot. */
export function labUp(): string {
    const out = execFileSync("bash", [path.join(projectRoot, "lab", "up.sh")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        timeout: 1_800_000,
    });
    return out.trim().split("\n").pop() as string;
}

/** Result of a command run on a lab host. */
export interface RemoteRun {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/**
 * Runs `command` on a lab host over SSH (through the bastion), with `stdin` (text, or the bytes
 * of a tarball): the way @pulumi/command's remote.Command runs its create/delete text in the
 * user's shell. Killed after `timeoutMs` (default 5 minutes).
 */
export function onHost(
    sshConfig: string,
    host: string,
    command: string,
    stdin: string | Buffer = "",
    timeoutMs = 300_000,
): RemoteRun {
    const r = spawnSync("ssh", ["-F", sshConfig, host, command], {
        input: stdin,
        encoding: "utf8",
        timeout: timeoutMs,
        maxBuffer: 64 << 20,
    });
    if (r.error) throw r.error;
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs and requires exit 0, returning stdout; the error names the host and shows stderr. */
export function mustRun(sshConfig: string, host: string, command: string, stdin = ""): string {
    const r = onHost(sshConfig, host, command, stdin);
    if (r.code !== 0) {
        throw new Error(
            `on ${host} (exit ${r.code}):\n${command.slice(0, 400)}\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout}`,
        );
    }
    return r.stdout;
}

/**
 * Starts the named lab hosts anew (a host is a container: removing it wipes everything an
 * earlier run left on it, its nested dockerd's state included), then brings the lab up.
 * Returns the ssh config path.
 */
export function freshLabHosts(...names: string[]): string {
    spawnSync("docker", ["rm", "-f", ...names.map((n) => `airgap-lab-${n}`)], { stdio: "ignore" });
    return labUp();
}

/** The address of a lab host on the lab network (what an IP SAN of it is). */
export function labAddress(name: string): string {
    return execFileSync(
        "docker",
        ["inspect", "-f", '{{(index .NetworkSettings.Networks "airgap-lab").IPAddress}}', `airgap-lab-${name}`],
        { encoding: "utf8" },
    ).trim();
}
