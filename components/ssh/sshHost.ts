/**
 * How every component reaches a host: SSH endpoint Args, their validation, the pinned host key, the @pulumi/command
 * connection.
 */

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { checkAddress, checkFileExists, checkPort, fieldPath } from "../validation";
import {
    entriesForHost,
    hostKeyProblem,
    keysForHost,
    knownHostsName,
    parseKnownHosts,
    preferredHostKey,
    revokedLine,
} from "./knownHosts";

/** One SSH hop: how the operator's machine reaches a host or a bastion. */
export interface SshEndpointArgs {
    /** Address the operator's machine (or the bastion) connects to: IP address or hostname. */
    readonly address: string;
    /** SSH port. Default `22`. */
    readonly sshPort?: number;
    /** SSH user. Default `"root"`. */
    readonly user?: string;
    /**
     * Path of the SSH private key on the operator's machine. Exactly one of `privateKeyPath`
     * and `privateKey` must be set. The docker-provider runtime needs a path (it runs `ssh`).
     */
    readonly privateKeyPath?: string;
    /** The SSH private key itself (PEM/OpenSSH), treated as a secret. */
    readonly privateKey?: pulumi.Input<string>;
    /**
     * The host's SSH public key, `<type> <base64>` as in its `/etc/ssh/ssh_host_ed25519_key.pub`:
     * every connection verifies that the host presents it. One of `hostKey` and `knownHostsPath`
     * is required (no connection goes unverified). Default: none.
     */
    readonly hostKey?: string;
    /**
     * An OpenSSH known_hosts file on the operator's machine that holds this host's key (plain or
     * hashed entries; `[address]:port` for a port other than 22), e.g. from
     * `ssh-keyscan -p <port> <address>` checked out of band. The docker-provider runtime needs
     * it (the operator's `ssh` reads it). Default: none.
     */
    readonly knownHostsPath?: string;
}

/** A host reached over SSH, optionally through a bastion (jump host). */
export interface SshHostArgs extends SshEndpointArgs {
    /** Jump host between the operator and this host. Default: none (direct connection). */
    readonly bastion?: SshEndpointArgs;
}

/** A key path with a leading `~/` made absolute (the operator's home), as ssh reads it. Pure. */
export function expandHome(p: string): string {
    return p === "~" ? os.homedir() : p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p;
}

/** Validates an SSH endpoint; messages name its fields under `field` (`field.address`, ...). */
export function checkSshEndpoint(field: string, endpoint: SshEndpointArgs | undefined): string[] {
    if (endpoint === undefined || endpoint === null || typeof endpoint !== "object") {
        return [`\`${field}\` is required: an object with at least \`address\``];
    }
    const problems: string[] = [
        ...checkAddress(fieldPath(field, "address"), endpoint.address),
        ...(endpoint.sshPort === undefined ? [] : checkPort(fieldPath(field, "sshPort"), endpoint.sshPort)),
    ];
    if (endpoint.user !== undefined && !/^[a-z_][a-z0-9_-]*[$]?$/i.test(endpoint.user)) {
        problems.push(`\`${fieldPath(field, "user")}\` is not a valid user name: "${endpoint.user}"`);
    }
    if (endpoint.privateKeyPath !== undefined && endpoint.privateKey !== undefined) {
        problems.push(
            `\`${fieldPath(field, "privateKeyPath")}\` and \`${fieldPath(field, "privateKey")}\` are mutually exclusive: set one`,
        );
    } else if (endpoint.privateKeyPath === undefined && endpoint.privateKey === undefined) {
        problems.push(
            `\`${fieldPath(field, "privateKeyPath")}\` (or \`${fieldPath(field, "privateKey")}\`) is required`,
        );
    } else if (endpoint.privateKeyPath !== undefined) {
        problems.push(...checkFileExists(fieldPath(field, "privateKeyPath"), expandHome(endpoint.privateKeyPath)));
    }
    problems.push(...checkHostKey(field, endpoint));
    return problems;
}

/** How to get a host's key, for messages. */
function howToGetKey(endpoint: SshEndpointArgs): string {
    const port = endpoint.sshPort ?? 22;
    return (
        `get it with \`ssh-keyscan${port === 22 ? "" : ` -p ${port}`} ${endpoint.address}\` and compare it out of band ` +
        "with the host's /etc/ssh/ssh_host_ed25519_key.pub"
    );
}

/** Validates the host-key fields: one of them set, the key well-formed, the host in the file. */
function checkHostKey(field: string, endpoint: SshEndpointArgs): string[] {
    if (endpoint.hostKey === undefined && endpoint.knownHostsPath === undefined) {
        return [
            `\`${fieldPath(field, "hostKey")}\` (or \`${fieldPath(field, "knownHostsPath")}\`) is required: every SSH connection verifies the host's key; ${howToGetKey(endpoint)}`,
        ];
    }
    const problems: string[] = [];
    if (endpoint.hostKey !== undefined) {
        const problem = typeof endpoint.hostKey === "string" ? hostKeyProblem(endpoint.hostKey) : "is not a string";
        if (problem !== undefined) problems.push(`\`${fieldPath(field, "hostKey")}\` ${problem}`);
    }
    if (endpoint.knownHostsPath !== undefined) {
        const file = expandHome(endpoint.knownHostsPath);
        const missing = checkFileExists(fieldPath(field, "knownHostsPath"), file);
        if (missing.length > 0) return [...problems, ...missing];
        const parsed = parseKnownHosts(fs.readFileSync(file, "utf8"));
        const at = `\`${fieldPath(field, "knownHostsPath")}\` ${file}`;
        problems.push(...parsed.problems.map((p) => `${at}: ${p}`));
        const port = endpoint.sshPort ?? 22;
        const name = knownHostsName(endpoint.address, port);
        if (parsed.problems.length === 0 && endpoint.hostKey === undefined) {
            const listed = entriesForHost(parsed.entries, endpoint.address, port);
            if (listed.length === 0) {
                const byCa = entriesForHost(parsed.authorities, endpoint.address, port).map((e) => e.line);
                problems.push(
                    byCa.length > 0
                        ? `${at} has only a @cert-authority line for ${name} (line ${byCa.join(", ")}): connections are pinned to the host's own key, add it; ${howToGetKey(endpoint)}`
                        : `${at} has no key for ${name}: ${howToGetKey(endpoint)}`,
                );
            } else if (keysForHost(parsed, endpoint.address, port).length === 0) {
                problems.push(
                    `${at}: every key for ${name} is marked @revoked (lines ${listed.map((e) => revokedLine(parsed, e.key)).join(", ")}): the host needs a new key, pinned here; ${howToGetKey(endpoint)}`,
                );
            }
        }
        if (parsed.problems.length === 0 && endpoint.hostKey !== undefined && typeof endpoint.hostKey === "string") {
            const line = revokedLine(parsed, endpoint.hostKey);
            if (line !== undefined) {
                problems.push(`\`${fieldPath(field, "hostKey")}\` is marked @revoked in ${file} (line ${line})`);
            }
        }
    }
    return problems;
}

/**
 * The key a host must present: `hostKey`, else the preferred one of its known_hosts entries.
 * Call after validation.
 */
export function pinnedHostKey(endpoint: SshEndpointArgs): string {
    if (endpoint.hostKey !== undefined) return endpoint.hostKey.trim().split(/\s+/).slice(0, 2).join(" ");
    const parsed = parseKnownHosts(fs.readFileSync(expandHome(endpoint.knownHostsPath as string), "utf8"));
    const key = preferredHostKey(keysForHost(parsed, endpoint.address, endpoint.sshPort ?? 22));
    if (key === undefined) throw new Error(`no host key for ${endpoint.address}`);
    return key;
}

/** Validates a host and its bastion. */
export function checkSshHost(field: string, host: SshHostArgs | undefined): string[] {
    const problems = checkSshEndpoint(field, host);
    if (host && typeof host === "object" && host.bastion !== undefined) {
        problems.push(...checkSshEndpoint(fieldPath(field, "bastion"), host.bastion));
    }
    return problems;
}

/** The private key of an endpoint (read from `privateKeyPath`, or `privateKey`), as a secret. */
export function privateKeyOf(endpoint: SshEndpointArgs): pulumi.Output<string> {
    if (endpoint.privateKeyPath !== undefined) {
        return pulumi.secret(fs.readFileSync(expandHome(endpoint.privateKeyPath), "utf8"));
    }
    return pulumi.secret(pulumi.output(endpoint.privateKey as pulumi.Input<string>));
}

/**
 * The @pulumi/command connection for a host. Build it once per host and share it between that
 * host's commands. The private key is a secret.
 */
export function sshConnection(host: SshHostArgs): command.types.input.remote.ConnectionArgs {
    const connection: command.types.input.remote.ConnectionArgs = {
        host: host.address,
        port: host.sshPort ?? 22,
        user: host.user ?? "root",
        privateKey: privateKeyOf(host),
        hostKey: pinnedHostKey(host),
        dialErrorLimit: 20,
        perDialTimeout: 15,
    };
    if (host.bastion === undefined) {
        return connection;
    }
    return {
        ...connection,
        // Through a bastion, @pulumi/command 1.2.1 retries the SSH handshake on the connection the
        // first attempt consumed, so every retry fails with "EOF" and hides the first error (a
        // host key mismatch, a refused login). No retry (limit 0) reports the real cause at once; the
        // bastion itself is still dialled with retries.
        dialErrorLimit: 0,
        proxy: {
            host: host.bastion.address,
            port: host.bastion.sshPort ?? 22,
            user: host.bastion.user ?? "root",
            privateKey: privateKeyOf(host.bastion),
            hostKey: pinnedHostKey(host.bastion),
            dialErrorLimit: 20,
            perDialTimeout: 15,
        },
    };
}
