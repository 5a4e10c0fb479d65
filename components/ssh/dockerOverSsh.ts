/** The docker provider's way to a host: its engine over the operator's own `ssh`, host keys verified. Pure. */

import { expandHome, SshEndpointArgs, SshHostArgs } from "./sshHost";

/** ssh options that verify the host against its known_hosts file and never add to it. */
function verifiedHostOpts(endpoint: SshEndpointArgs): string[] {
    return [
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `UserKnownHostsFile=${expandHome(endpoint.knownHostsPath as string)}`,
        "-o",
        "GlobalKnownHostsFile=/dev/null",
    ];
}

/**
 * The Docker daemon address and ssh options for a docker.Provider that reaches the host's
 * engine over SSH (`ssh://user@host:port`). Pure; needs key paths and known_hosts paths, since
 * the provider runs the operator's `ssh` client, which checks the host (and bastion) against them.
 */
export function dockerOverSsh(host: SshHostArgs): { host: string; sshOpts: string[] } {
    const opts = ["-o", "BatchMode=yes", ...verifiedHostOpts(host), "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=15"];
    if (host.privateKeyPath !== undefined) {
        opts.push("-o", "IdentitiesOnly=yes", "-i", expandHome(host.privateKeyPath));
    }
    if (host.bastion !== undefined) {
        const b = host.bastion;
        const jump = [
            "ssh",
            "-W",
            "%h:%p",
            "-p",
            String(b.sshPort ?? 22),
            "-o",
            "BatchMode=yes",
            ...verifiedHostOpts(b),
            "-o",
            "LogLevel=ERROR",
            ...(b.privateKeyPath !== undefined ? ["-o", "IdentitiesOnly=yes", "-i", expandHome(b.privateKeyPath)] : []),
            `${b.user ?? "root"}@${b.address}`,
        ].join(" ");
        opts.push("-o", `ProxyCommand=${jump}`);
    }
    return { host: `ssh://${host.user ?? "root"}@${host.address}:${host.sshPort ?? 22}`, sshOpts: opts };
}
