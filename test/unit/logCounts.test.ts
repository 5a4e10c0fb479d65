/** The retry counts the scale-out test reports: haproxy's httplog lines and docker push's countdowns. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { dockerPushRetries, haproxyRetried } from "../support/logCounts";

const httplog = (timers: string, conns: string) =>
    `10.1.0.5:40122 [05/Dec/2026:23:00:00.000] registry~ replicas/replica-1 ${timers} 201 300 - - ---- ${conns} 0/0 "PUT /v2/scale/random/blobs/uploads/x HTTP/1.1"`;

describe("retry counts from the logs", () => {
    it("haproxy: a line with retries or a redispatch counts; timers that look alike do not", () => {
        const plain = httplog("0/0/3001/5/3006", "1/1/0/0/0");
        const retried = httplog("0/0/1/5/6", "2/2/1/1/1");
        const redispatched = httplog("0/0/3001/5/3006", "1/1/0/0/+1");
        assert.deepEqual(haproxyRetried([plain, retried, redispatched]), [retried, redispatched]);
        // Timers in the conn-count shape (a/b/c/d/N with N > 0) are not retries.
        assert.deepEqual(haproxyRetried([httplog("10/0/41/15/66", "1/1/0/0/0")]), []);
    });

    it("docker push: each retry once, however many countdown lines it printed", () => {
        const output = [
            "The push refers to repository [lb.lab:5443/scale/random]",
            "5f70bf18a086: Preparing",
            "5f70bf18a086: Pushing",
            ...[5, 4, 3, 2, 1].map((n) => `5f70bf18a086: Retrying in ${n} second${n === 1 ? "" : "s"}`),
            "5f70bf18a086: Pushing",
            ...[10, 9, 8, 7, 6, 5, 4, 3, 2, 1].map((n) => `5f70bf18a086: Retrying in ${n} second${n === 1 ? "" : "s"}`),
            "5f70bf18a086: Pushed",
            "0a1b2c3d4e5f: Retrying in 5 seconds",
            "0a1b2c3d4e5f: Retrying in 4 seconds",
            "0a1b2c3d4e5f: Pushed",
            "1: digest: sha256:0000 size: 528",
        ].join("\n");
        assert.equal(dockerPushRetries(output), 3);
        assert.equal(dockerPushRetries("5f70bf18a086: Pushed\nexit=0\n"), 0);
    });
});
