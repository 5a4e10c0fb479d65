/** OpenSSH known_hosts parsing (plain and hashed entries, `[host]:port`, wildcards) and host-key checks. Pure. */

import * as crypto from "crypto";

/**
 * SSH host keys: the key a host must present, taken from a public-key line or an OpenSSH
 * known_hosts file (plain and hashed entries). Every connection verifies it. Pure.
 */

/** Host key types a connection can be pinned to, most preferred first. */
export const hostKeyTypes = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp521",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp256",
    "ssh-rsa",
] as const;

/** One usable line of a known_hosts file. */
export interface KnownHostsEntry {
    /** Host patterns (`name`, `[name]:port`, wildcards), or one `|1|salt|hash` hashed name. */
    readonly hosts: readonly string[];
    /** `<type> <base64>` */
    readonly key: string;
    /** 1-based line number in the file. */
    readonly line: number;
}

/** How a host is named in known_hosts: `address` on port 22, `[address]:port` otherwise. */
export function knownHostsName(address: string, port: number): string {
    return port === 22 ? address : `[${address}]:${port}`;
}

/** Why `line` is not a usable `<type> <base64>` public key, or undefined when it is. */
export function hostKeyProblem(line: string): string | undefined {
    const [type, blob, ...rest] = line.trim().split(/\s+/);
    if (type === undefined || type === "" || blob === undefined) return "is not an SSH public key (`<type> <base64>`)";
    if (!(hostKeyTypes as readonly string[]).includes(type)) {
        return `has an unsupported key type "${type}" (supported: ${hostKeyTypes.join(", ")})`;
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return "has a key that is not base64";
    const raw = Buffer.from(blob, "base64");
    const len = raw.length >= 4 ? raw.readUInt32BE(0) : -1;
    if (len < 0 || raw.length < 4 + len || raw.subarray(4, 4 + len).toString() !== type) {
        return `has a key whose data is not a ${type} key`;
    }
    return rest.length > 0 && rest[0].startsWith("@") ? "is malformed" : undefined;
}

/** What a known_hosts file holds, as far as pinning goes. */
export interface KnownHosts {
    /** Plain and hashed host-key lines. */
    readonly entries: KnownHostsEntry[];
    /** Keys of `@revoked` lines: never pinned, whichever host they name. */
    readonly revoked: KnownHostsEntry[];
    /** `@cert-authority` lines: skipped (a connection is pinned to the host's own key, not to a CA). */
    readonly authorities: KnownHostsEntry[];
    /** Lines that are not usable, with their numbers. */
    readonly problems: string[];
}

/**
 * Parses a known_hosts file. Comments and blank lines are skipped; `@revoked` keys are kept apart (never pinned),
 * `@cert-authority` lines are kept apart and not used for pinning; any other `@` marker and a malformed line is a
 * problem.
 */
export function parseKnownHosts(text: string): KnownHosts {
    const parsed: KnownHosts = { entries: [], revoked: [], authorities: [], problems: [] };
    text.split("\n").forEach((raw, i) => {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) return;
        let fields = line.split(/\s+/);
        let into = parsed.entries;
        if (fields[0].startsWith("@")) {
            if (fields[0] === "@revoked") into = parsed.revoked;
            else if (fields[0] === "@cert-authority") into = parsed.authorities;
            else {
                parsed.problems.push(`line ${i + 1}: unknown marker ${fields[0]}`);
                return;
            }
            fields = fields.slice(1);
        }
        if (fields.length < 3) {
            parsed.problems.push(
                `line ${i + 1}: expected \`${into === parsed.entries ? "" : "<marker> "}<hosts> <type> <base64>\``,
            );
            return;
        }
        const key = `${fields[1]} ${fields[2]}`;
        const problem = hostKeyProblem(key);
        if (problem !== undefined) {
            parsed.problems.push(`line ${i + 1}: ${problem}`);
            return;
        }
        into.push({ hosts: fields[0].split(","), key, line: i + 1 });
    });
    return parsed;
}

/** The `@revoked` line that revokes `key`, if any (revocation applies to the key, whatever host it names). */
export function revokedLine(known: Pick<KnownHosts, "revoked">, key: string): number | undefined {
    const [type, blob] = key.trim().split(/\s+/);
    return known.revoked.find((r) => r.key === `${type} ${blob}`)?.line;
}

function patternMatches(pattern: string, name: string): boolean {
    if (pattern.startsWith("|1|")) {
        const [, , salt, hash] = pattern.split("|");
        if (salt === undefined || hash === undefined) return false;
        const digest = crypto.createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
        return digest === hash;
    }
    const re = new RegExp(
        `^${pattern
            .replace(/[.+^${}()|\\]/g, "\\$&")
            .replace(/\[/g, "\\[")
            .replace(/\*/g, ".*")
            .replace(/\?/g, ".")}$`,
        "i",
    );
    return re.test(name);
}

/** The entries that name a host (negated patterns exclude, as in OpenSSH). */
export function entriesForHost(entries: readonly KnownHostsEntry[], address: string, port: number): KnownHostsEntry[] {
    const name = knownHostsName(address, port);
    return entries.filter((e) => {
        const negated = e.hosts.filter((h) => h.startsWith("!"));
        if (negated.some((h) => patternMatches(h.slice(1), name))) return false;
        return e.hosts.filter((h) => !h.startsWith("!")).some((h) => patternMatches(h, name));
    });
}

function isEntryList(known: readonly KnownHostsEntry[] | KnownHosts): known is readonly KnownHostsEntry[] {
    return Array.isArray(known);
}

/**
 * The keys known_hosts holds for a host: a plain entry list, or a parsed file, whose `@revoked` keys are left out.
 */
export function keysForHost(known: readonly KnownHostsEntry[] | KnownHosts, address: string, port: number): string[] {
    if (isEntryList(known)) return entriesForHost(known, address, port).map((e) => e.key);
    return entriesForHost(known.entries, address, port)
        .map((e) => e.key)
        .filter((k) => revokedLine(known, k) === undefined);
}

/** The key to pin a connection to: the most preferred type among a host's keys. */
export function preferredHostKey(keys: readonly string[]): string | undefined {
    const rank = (k: string) => (hostKeyTypes as readonly string[]).indexOf(k.split(" ")[0]);
    return [...keys].sort((a, b) => rank(a) - rank(b))[0];
}
