/** SHA-256 of files on the operator's machine (read once per preview) and of strings (content hashes). */

import * as crypto from "crypto";
import * as fs from "fs";

const fileHashes = new Map<string, string>();

/**
 * SHA-256 (hex) of a file on the operator's machine, read in chunks (image tarballs are large).
 * Remembered per path, size and modification time, so a file that a preview checks twice (the
 * bundle manifest, then the copy's trigger) is read once.
 */
export function sha256File(path: string): string {
    const stat = fs.statSync(path);
    const key = `${path}\0${stat.size}\0${stat.mtimeMs}`;
    const known = fileHashes.get(key);
    if (known !== undefined) return known;
    const hash = crypto.createHash("sha256");
    const fd = fs.openSync(path, "r");
    try {
        const buffer = Buffer.alloc(1 << 20);
        let read: number;
        while ((read = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) {
            hash.update(buffer.subarray(0, read));
        }
    } finally {
        fs.closeSync(fd);
    }
    const digest = hash.digest("hex");
    fileHashes.set(key, digest);
    return digest;
}

/** SHA-256 (hex) of strings, in order; used as content hashes in triggers and labels. */
export function sha256Of(...parts: string[]): string {
    const hash = crypto.createHash("sha256");
    for (const part of parts) {
        hash.update(String(part.length));
        hash.update(":");
        hash.update(part);
    }
    return hash.digest("hex");
}
