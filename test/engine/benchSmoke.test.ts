/** A small run of `npm run bench` (2 and 5 clients) through the real engine on the lab: the table and its file. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { timedColumns } from "../../bench/benchTable";
import { ClientScalingReport, runClientScaling } from "../../bench/clientScaling";

describe("the client-scaling bench, small", { concurrency: false }, () => {
    it("measures 2 and 5 clients: every phase timed (the no-drift preview --refresh too), SSH connections counted on the bastion, none refused", () => {
        const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "airgap-bench-")), "smoke.json");
        const lines: string[] = [];
        const rows = runClientScaling({ counts: [2, 5], out, log: (l) => lines.push(l) });
        assert.deepEqual(
            rows.map((r) => r.clients),
            [2, 5],
        );
        for (const r of rows) {
            assert.deepEqual(r.failures, [], `${r.clients} clients: no phase failed`);
            for (const c of timedColumns) assert.ok(r[c] > 0, `${r.clients} clients: ${c} was timed`);
            // The registry host's command steps log in at the bastion each; the clients' steps (HostFiles) share one
            // bastion connection, inside which each host gets its one connection.
            assert.ok(r.sshFreshUp >= 1, `${r.clients} clients: ${r.sshFreshUp} bastion logins on a fresh up`);
            // The no-drift preview --refresh reads every HostFiles back over SSH: it logs in at the bastion (once
            // per shared connection, however many hosts it reaches through it: 2 at both 2 and 25 clients here).
            assert.ok(
                r.sshRefreshPreview >= 1,
                `${r.clients} clients: ${r.sshRefreshPreview} bastion logins on a preview --refresh`,
            );
            assert.equal(r.sshRefused, 0, `${r.clients} clients: the bastion refused none`);
            assert.ok(r.bytesToRegistryNoopUp >= 0);
        }
        // Shared connections: more clients add no bastion logins (remote.Command steps added 3 a client).
        assert.ok(
            rows[1].sshFreshUp < rows[0].sshFreshUp + 3 * (rows[1].clients - rows[0].clients),
            `fresh up logins: ${rows[0].sshFreshUp} at 2 clients, ${rows[1].sshFreshUp} at 5`,
        );
        const report = JSON.parse(fs.readFileSync(out, "utf8")) as ClientScalingReport;
        assert.deepEqual(report.rows, rows);
        assert.equal(report.machine.cpus, os.cpus().length);
    });
});
