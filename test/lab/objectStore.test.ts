/** The lab's S3 stores (lab/objectstore.sh) answer SigV4-signed S3 through the lab network. */

import { describe, it, before } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "crypto";
import { labIfUp, labObjectStore, labUp, onHost, type LabObjectStore } from "../support/lab";
import { s3Get } from "../support/labS3";

// The store a scaled-out registry shares is the site's existing one; the lab has two: versitygw
// (starts at once) and Debian's Ceph RGW (what sites run; about 20 s to start, its rootfs built
// once). Each is started on demand by this test through the checkout's lab/objectstore.sh. The
// requests go from client-a.lab over the lab network (no route outside), signed by curl
// --aws-sigv4 (curl 7.88 on the lab hosts); the whole request script, keys included, goes on
// stdin so no key is on a command line.

const client = "client-a.lab";

/** A signed S3 request from the lab client: prints the HTTP status on the last line after the body. */
function s3Request(
    cfg: string,
    store: LabObjectStore,
    method: "PUT" | "GET",
    key: string,
    secretKey: string,
    body?: Buffer,
): { status: number; body: string; headers: string } {
    const sha = crypto
        .createHash("sha256")
        .update(body ?? Buffer.alloc(0))
        .digest("hex");
    const script = [
        "set -eu",
        "d=$(mktemp -d); trap 'rm -rf \"$d\"' EXIT",
        body ? `echo '${body.toString("base64")}' | base64 -d > "$d/body"` : "",
        `printf 'user = "%s:%s"\\n' '${store.accessKey}' '${secretKey}' > "$d/curlrc"`,
        `curl -sS -K "$d/curlrc" --max-time 30 --aws-sigv4 'aws:amz:${store.region}:s3' ` +
            `-H 'x-amz-content-sha256: ${sha}' -D "$d/headers" -o "$d/out" -w '%{http_code}' ` +
            `${body ? `-T "$d/body"` : `-X ${method}`} '${store.endpoint}/${store.bucket}/${key}' > "$d/code"`,
        'cat "$d/out"; echo; cat "$d/headers"; echo "status=$(cat "$d/code")"',
    ].join("\n");
    const r = onHost(cfg, client, "sh -s", script, 60_000);
    assert.equal(r.code, 0, `curl on ${client} failed:\n${r.stderr}`);
    const m = /status=(\d+)\s*$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    return { status: Number(m[1]), body: r.stdout, headers: r.stdout };
}

for (const kind of ["versitygw", "ceph"] as const) {
    describe(`the lab's S3 store: ${kind}`, { concurrency: false }, () => {
        let cfg: string;
        let store: LabObjectStore;
        const key = `lab-test/${crypto.randomBytes(6).toString("hex")}.bin`;
        const body = crypto.randomBytes(200_000);

        before(() => {
            cfg = labIfUp() ?? labUp();
            store = labObjectStore(kind);
        });

        it("a signed PUT and GET of an object from a lab host round-trip its bytes", () => {
            const put = s3Request(cfg, store, "PUT", key, store.secretKey, body);
            assert.equal(put.status, 200, put.body);
            // A single PUT's ETag is the MD5 of what the store kept.
            const md5 = crypto.createHash("md5").update(body).digest("hex");
            assert.match(put.headers, new RegExp(`ETag: "?${md5}"?`, "i"));
            const got = s3Get(cfg, client, store, key);
            assert.equal(got.status, 200);
            assert.equal(got.sha256, crypto.createHash("sha256").update(body).digest("hex"));
        });

        it("a wrong secret key is refused with 403 SignatureDoesNotMatch; the right one, same request, passes", () => {
            const last = store.secretKey.slice(-1);
            const wrongSecret = `${store.secretKey.slice(0, -1)}${last === "A" ? "B" : "A"}`;
            const wrong = s3Request(cfg, store, "GET", key, wrongSecret);
            assert.equal(wrong.status, 403, wrong.body);
            assert.match(wrong.body, /<Code>SignatureDoesNotMatch<\/Code>/);
            const right = s3Request(cfg, store, "GET", key, store.secretKey);
            assert.equal(right.status, 200, right.body);
        });

        // Ceph RGW answers as S3 does; versitygw 1.8.0 answers 404 XAdminUserNotFound (seen here).
        const unknownKey =
            kind === "ceph" ? { status: 403, code: "InvalidAccessKeyId" } : { status: 404, code: "XAdminUserNotFound" };
        it(`an unknown access key is refused with ${unknownKey.status} ${unknownKey.code}`, () => {
            const r = s3Request(cfg, { ...store, accessKey: "AKNOTALABKEY0000" }, "GET", key, store.secretKey);
            assert.equal(r.status, unknownKey.status, r.body);
            assert.match(r.body, new RegExp(`<Code>${unknownKey.code}</Code>`));
        });
    });
}
