/** Signed S3 reads of the lab's object store from a lab host (curl --aws-sigv4; the keys go on stdin). */

import * as assert from "node:assert/strict";
import * as crypto from "crypto";
import { LabObjectStore, onHost } from "./lab";

/** SHA-256 of nothing: the payload hash of a GET. */
const emptySha256 = crypto.createHash("sha256").update("").digest("hex");

/**
 * GET of one object of the store's bucket from `host`, signed with the store's keys (or `secretKey`): its HTTP status
 * and the SHA-256 of the body it answered. The whole script, keys included, goes on stdin: no key on a command line.
 */
export function s3Get(
    sshConfig: string,
    host: string,
    store: LabObjectStore,
    key: string,
    secretKey: string = store.secretKey,
): { status: number; sha256: string } {
    const script = [
        "set -eu",
        "d=$(mktemp -d); trap 'rm -rf \"$d\"' EXIT",
        `printf 'user = "%s:%s"\\n' '${store.accessKey}' '${secretKey}' > "$d/curlrc"`,
        `curl -sS -K "$d/curlrc" --max-time 60 --aws-sigv4 'aws:amz:${store.region}:s3' ` +
            `-H 'x-amz-content-sha256: ${emptySha256}' -o "$d/body" -w '%{http_code}' ` +
            `'${store.endpoint}/${store.bucket}/${key.replace(/^\//, "")}' > "$d/code"`,
        'echo "status=$(cat "$d/code") sha256=$(sha256sum < "$d/body" | cut -d" " -f1)"',
    ].join("\n");
    const r = onHost(sshConfig, host, "sh -s", script, 90_000);
    assert.equal(r.code, 0, `signed GET on ${host} failed:\n${r.stderr}`);
    const m = /status=(\d+) sha256=([0-9a-f]{64})\s*$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    return { status: Number(m[1]), sha256: m[2] };
}

/** Where distribution's storage driver keeps a blob's bytes under `rootdirectory` (its path layout, 2.8 and 3.x). */
export function blobDataKey(rootdirectory: string, digest: string): string {
    const hex = digest.replace(/^sha256:/, "");
    return `${rootdirectory.replace(/^\/+|\/+$/g, "")}/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`;
}
