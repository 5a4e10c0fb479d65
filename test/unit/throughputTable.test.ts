/** The replica-throughput bench's table: medians, ratios to the first replica count, haproxy's spread, the counts. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import {
    medianThroughput,
    megabytesPerSecond,
    parseReplicaCounts,
    renderThroughputTable,
    requestsPerReplica,
    ThroughputRow,
} from "../../bench/throughputTable";

const mb100 = 100e6;

describe("the replica-throughput table", () => {
    it("throughput is MB (10^6 bytes) per second; the median of an even count is the mean of the middle two", () => {
        assert.equal(megabytesPerSecond({ seconds: 4, bytes: mb100 }), 25);
        assert.equal(megabytesPerSecond({ seconds: 0, bytes: mb100 }), 0);
        assert.equal(medianThroughput([10, 2, 5].map((seconds) => ({ seconds, bytes: mb100 }))), 20, "100 MB in 5 s");
        assert.equal(medianThroughput([4, 5].map((seconds) => ({ seconds, bytes: mb100 }))), 22.5);
        assert.equal(medianThroughput([]), 0);
    });

    it("each row's medians with their ratio to the first row's, the runs' seconds, the requests per replica, failures under it", () => {
        const rows: ThroughputRow[] = [
            {
                replicas: 1,
                pushes: [{ seconds: 10, bytes: mb100 }],
                pulls: [{ seconds: 5, bytes: mb100 }],
                requestsByReplica: { "replica-1": 12 },
                failures: [],
            },
            {
                replicas: 2,
                pushes: [{ seconds: 8, bytes: mb100 }],
                pulls: [],
                requestsByReplica: { "replica-2": 5, "replica-1": 7 },
                failures: ["transfer 1: error: received unexpected HTTP status: 502 Bad Gateway"],
            },
        ];
        const text = renderThroughputTable(rows);
        const cells = (line: string) =>
            line
                .split("|")
                .slice(1, -1)
                .map((c) => c.trim());
        const lines = text.split("\n");
        assert.deepEqual(cells(lines[0]), [
            "replicas",
            "push MB/s",
            "push runs s",
            "pull MB/s",
            "pull runs s",
            "requests per replica",
        ]);
        assert.deepEqual(cells(lines[2]), ["1", "10.0 (1.00x)", "10.0", "20.0 (1.00x)", "5.0", "replica-1 12"]);
        assert.deepEqual(cells(lines[3]), ["2", "12.5 (1.25x)", "8.0", "0.0 (0.00x)", "-", "replica-1 7, replica-2 5"]);
        assert.match(
            text,
            /\nFailures:\n- 2 replicas: transfer 1: error: received unexpected HTTP status: 502 Bad Gateway\n$/,
        );
        assert.equal(renderThroughputTable([]), "(no rows)\n");
    });

    it("counts haproxy's httplog lines per server of the replicas backend, not the ones it could not route", () => {
        const lines = [
            '10.0.0.5:4711 [01/Dec/2026:22:10:01.123] registry~ replicas/replica-1 0/0/1/3/4 401 312 - - ---- 1/1/0/0/0 0/0 "GET /v2/ HTTP/1.1"',
            '10.0.0.5:4712 [01/Dec/2026:22:10:01.223] registry~ replicas/replica-2 0/0/1/3/4 200 312 - - ---- 1/1/0/0/0 0/0 "HEAD /v2/x/blobs/sha256:ab HTTP/1.1"',
            '10.0.0.5:4713 [01/Dec/2026:22:10:01.323] registry~ replicas/replica-1 0/0/1/3/4 202 312 - - ---- 1/1/0/0/+1 0/0 "PATCH /v2/x/blobs/uploads/u HTTP/1.1"',
            '10.0.0.5:4714 [01/Dec/2026:22:10:01.423] registry~ replicas/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 1/1/0/0/0 0/0 "GET /v2/ HTTP/1.1"',
            "[WARNING]  (8) : Server replicas/replica-2 is DOWN, reason: Layer4 connection problem",
        ];
        assert.deepEqual(requestsPerReplica(lines), { "replica-1": 2, "replica-2": 1 });
    });

    it("replica counts are whole numbers from 1 to 9, the lab's replica hosts", () => {
        assert.deepEqual(parseReplicaCounts("1, 2,3"), [1, 2, 3]);
        for (const bad of ["0", "10", "1,x", "1.5", ""])
            assert.throws(() => parseReplicaCounts(bad), /replica counts must be whole numbers from 1 to 9/, bad);
    });
});
