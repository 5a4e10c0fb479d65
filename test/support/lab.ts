/** Test access to the lab: bring it up, run commands on its hosts over SSH, fresh hosts. */

import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
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
    spawnSync("docker", ["rm", "-f", "-v", ...names.map((n) => `airgap-lab-${n}`)], { stdio: "ignore" });
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

/**
 * The ssh config of the lab when it is already up from this checkout (its bastion running and
 * labelled with this checkout's .lab, symlinks resolved), else undefined: a test that only needs
 * the lab to be there uses it and calls labUp() only when it is not.
 */
export function labIfUp(): string | undefined {
    const state = path.join(projectRoot, ".lab");
    const config = path.join(state, "ssh", "config");
    const r = spawnSync(
        "docker",
        ["inspect", "-f", '{{.State.Running}} {{index .Config.Labels "airgap-lab.state"}}', "airgap-lab-bastion"],
        { encoding: "utf8" },
    );
    if (r.status !== 0 || !fs.existsSync(config)) return undefined;
    const [running, label] = r.stdout.trim().split(" ");
    if (running !== "true" || !label || !fs.existsSync(label)) return undefined;
    return fs.realpathSync(label) === fs.realpathSync(state) ? config : undefined;
}

/** What lab/objectstore.sh prints: the S3 store's endpoint on the lab network, bucket, region, keys. */
export interface LabObjectStore {
    readonly endpoint: string;
    readonly bucket: string;
    readonly region: string;
    readonly accessKey: string;
    readonly secretKey: string;
    /** The same store over TLS (Ceph RGW only): its https endpoint and the CA its certificate is signed by. */
    readonly tls?: { readonly endpoint: string; readonly caCertPath: string };
}

/** The KEY=value lines of a lab env file. */
function readEnvFile(file: string): Map<string, string> {
    const env = new Map<string, string>();
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        const eq = line.indexOf("=");
        if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1));
    }
    return env;
}

/**
 * Starts (or keeps) the lab's S3 store of that kind with this checkout's lab/objectstore.sh (needs
 * the lab up) and returns its endpoint and keys, read from the env file it names.
 */
export function labObjectStore(kind: "versitygw" | "ceph"): LabObjectStore {
    const out = execFileSync("bash", [path.join(projectRoot, "lab", "objectstore.sh"), kind], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        timeout: 900_000,
    });
    const envFile = out.trim().split("\n").pop() as string;
    const need = (file: string, env: Map<string, string>, k: string): string => {
        const v = env.get(k);
        if (!v) throw new Error(`${file} has no ${k}`);
        return v;
    };
    const env = readEnvFile(envFile);
    const tlsFile = envFile.replace(/\.env$/, "-tls.env");
    const tlsEnv = kind === "ceph" ? readEnvFile(tlsFile) : undefined;
    return {
        endpoint: need(envFile, env, "S3_ENDPOINT"),
        bucket: need(envFile, env, "S3_BUCKET"),
        region: need(envFile, env, "S3_REGION"),
        accessKey: need(envFile, env, "S3_ACCESS_KEY"),
        secretKey: need(envFile, env, "S3_SECRET_KEY"),
        tls:
            tlsEnv === undefined
                ? undefined
                : {
                      endpoint: need(tlsFile, tlsEnv, "S3_TLS_ENDPOINT"),
                      caCertPath: need(tlsFile, tlsEnv, "S3_CA_CERT"),
                  },
    };
}
