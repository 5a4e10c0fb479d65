/** The registry's htpasswd file (bcrypt), with hashes stable across runs for an unchanged password. Pure. */

import * as crypto from "crypto";
import * as bcrypt from "bcryptjs";

/** bcrypt cost of hashes this library computes itself. */
export const bcryptCost = 10;

/**
 * The bcrypt hash of a password the user supplied. The salt is derived from the user name and
 * the password (HMAC-SHA-256), so the same password gives the same line on every `pulumi up`
 * and the stack shows no change; a changed password gives a new line. Pure.
 */
export function bcryptForUser(username: string, password: string): string {
    const saltBytes = crypto
        .createHmac("sha256", `airgap-registry:${username}`)
        .update(password)
        .digest()
        .subarray(0, 16);
    const salt = `$2b$${String(bcryptCost).padStart(2, "0")}$${bcrypt.encodeBase64(saltBytes, 16)}`;
    return bcrypt.hashSync(password, salt);
}

/** One htpasswd entry. */
export interface HtpasswdEntry {
    readonly username: string;
    /** A bcrypt hash (`$2a$`, `$2b$` or `$2y$`), the only scheme the registry accepts. */
    readonly bcryptHash: string;
}

/** htpasswd file text, one `user:hash` line per entry, sorted by user name. Pure. */
export function renderHtpasswd(entries: readonly HtpasswdEntry[]): string {
    for (const e of entries) {
        if (!/^\$2[aby]\$\d\d\$/.test(e.bcryptHash)) {
            throw new Error(`htpasswd entry for "${e.username}" is not a bcrypt hash`);
        }
        if (e.username.includes(":")) {
            throw new Error(`htpasswd user name "${e.username}" contains ':'`);
        }
    }
    return [...entries]
        .sort((a, b) => a.username.localeCompare(b.username))
        .map((e) => `${e.username}:${e.bcryptHash}\n`)
        .join("");
}
