/** Rule `ssh-host-key-pinned`: every SSH connection verifies the host's key; no opt-out. Pure. */

import { isHostFiles } from "./hostFiles";
import { describe, objectOf, ResourceView, stringOf, stringsIn, unknown, Value, Violation } from "./view";

/** Resources of @pulumi/command that open an SSH connection (`connection`, `connection.proxy`). */
export const sshCommandTypes = ["command:remote:Command", "command:remote:CopyToRemote"];

/** The docker provider: over `ssh://` it runs the operator's `ssh` with `sshOpts`. */
export const dockerProviderType = "pulumi:providers:docker";

/** ssh options that turn host key checking off or make it accept keys it has not seen. */
const optOut = /StrictHostKeyChecking[= ]\s*(no|off|accept-new)\b|UserKnownHostsFile[= ]\s*\/dev\/null(?!\S)/i;

/**
 * What is wrong with a connection (and the hop it goes through: `proxy` for @pulumi/command, `bastion` for
 * HostFiles): a hop whose `hostKey` is absent or empty. A connection or host key not known yet is not judged.
 */
function connectionProblems(r: ResourceView, field: string, connection: Value | undefined): string[] {
    const c = objectOf(connection);
    if (c === undefined) return [];
    const problems: string[] = [];
    const hostKey = c.hostKey;
    if (hostKey !== unknown && (stringOf(hostKey) ?? "").trim() === "") {
        problems.push(
            `${describe(r)}: \`${field}.hostKey\` is not set: the SSH connection to ${JSON.stringify(stringOf(c.host) ?? "?")} would accept any host key (pin it with hostKey or knownHostsPath)`,
        );
    }
    for (const via of ["proxy", "bastion"]) {
        if (c[via] !== undefined && c[via] !== null) problems.push(...connectionProblems(r, `${field}.${via}`, c[via]));
    }
    return problems;
}

/** The docker provider's `sshOpts` as strings: an array, or the JSON text of one (how provider inputs are kept). */
function sshOptsOf(v: Value | undefined): string[] {
    if (typeof v === "string") {
        try {
            const parsed = JSON.parse(v) as unknown;
            if (Array.isArray(parsed)) return parsed.map(String);
        } catch {
            // not JSON: one option string
        }
        return [v];
    }
    return stringsIn(v);
}

function dockerProviderProblems(r: ResourceView): string[] {
    const host = stringOf(r.props.host);
    if (host === undefined || !host.startsWith("ssh://")) return [];
    if (r.props.sshOpts === unknown) return [];
    const opts = sshOptsOf(r.props.sshOpts).join(" ");
    const problems: string[] = [];
    const bad = optOut.exec(opts);
    if (bad !== null) {
        problems.push(
            `${describe(r)}: \`sshOpts\` has "${bad[0]}": ssh to ${host} would not verify the host's key against its known_hosts`,
        );
    }
    if (!/StrictHostKeyChecking[= ]\s*yes\b/i.test(opts)) {
        problems.push(
            `${describe(r)}: \`sshOpts\` lacks "StrictHostKeyChecking=yes": ssh to ${host} would ask about or accept unknown host keys`,
        );
    }
    return problems;
}

/**
 * Findings for one resource: a connection without a pinned host key (a command, a copy, a HostFiles), or docker's ssh
 * told not to check it.
 */
export function sshHostKeyPinned(r: ResourceView): Violation[] {
    const problems =
        sshCommandTypes.includes(r.type) || isHostFiles(r)
            ? connectionProblems(r, "connection", r.props.connection)
            : r.type === dockerProviderType
              ? dockerProviderProblems(r)
              : [];
    return problems.map((message) => ({ urn: r.urn, message }));
}
