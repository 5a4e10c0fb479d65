/** The bench's table: ratios to the smallest client count, and the client counts it accepts. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import {
    BenchRow,
    firstErrorLine,
    parseClientCounts,
    parseParallel,
    ratio,
    renderBenchTable,
    renderCpuTable,
    timed,
    timedColumns,
} from "../../bench/benchTable";

const row = (clients: number, k: number): BenchRow => ({
    clients,
    freshUp: 20 * k,
    noopPreview: 5 * k,
    refreshPreview: 6 * k,
    noopUp: 8 * k,
    addClientUp: 10 * k,
    destroy: 12 * k,
    sshFreshUp: 30 * k,
    sshRefreshPreview: 4 * clients,
    sshNoopUp: 0,
    sshRefused: 0,
    bytesToRegistryNoopUp: 1000 * k,
    cpuFreshUp: { total: 40 * k, clients: 5 * clients, registryHost: 6, bastion: 2 * k, deployer: 10 * k, other: 1 },
    failures: [],
});

describe("bench table", () => {
    it("each figure with its ratio to the first row", () => {
        const text = renderBenchTable([row(2, 1), row(50, 1.5)]);
        const lines = text.trim().split("\n");
        assert.equal(lines.length, 4);
        assert.match(
            lines[2],
            /^\| 2 +\| 20\.0 \(1\.00x\) +\| 5\.0 \(1\.00x\) +\| 6\.0 \(1\.00x\) +\| 8\.0 \(1\.00x\)/,
        );
        assert.match(
            lines[3],
            /^\| 50 +\| 30\.0 \(1\.50x\) +\| 7\.5 \(1\.50x\) +\| 9\.0 \(1\.50x\) +\| 12\.0 \(1\.50x\)/,
        );
        assert.match(lines[3], /\| 0 \(-\) /, "a base of 0 has no ratio");
    });
    it("the refresh preview: its seconds after the no-change preview's, its SSH connections after the fresh up's", () => {
        const lines = renderBenchTable([row(2, 1), row(25, 2)])
            .trim()
            .split("\n");
        const cells = (line: string) =>
            line
                .split("|")
                .slice(1, -1)
                .map((c) => c.trim());
        const header = cells(lines[0]);
        assert.deepEqual(header.slice(2, 4), ["no-op preview s", "refresh preview s"]);
        assert.deepEqual(header.slice(7, 10), ["ssh conns fresh up", "ssh conns refresh", "ssh conns no-op up"]);
        assert.deepEqual(cells(lines[3]).slice(2, 4), ["10.0 (2.00x)", "12.0 (2.00x)"]);
        assert.deepEqual(cells(lines[3]).slice(7, 10), ["60 (2.00x)", "100 (12.50x)", "0 (-)"]);
        for (const line of lines) assert.equal(cells(line).length, header.length, "every row has every column");
    });
    it("a failed phase shows as FAILED with its time, and the failures are listed under the table", () => {
        const failed = { ...row(50, 1.5), failures: ["destroy: error: EOF: running rm", "destroy (retry): error: x"] };
        const text = renderBenchTable([row(2, 1), failed]);
        const lines = text.trim().split("\n");
        assert.match(lines[3], /\| 15\.0 \(1\.50x\) +\| FAILED after 18\.0 +\|/, "add-1 fine, destroy failed");
        assert.match(
            text,
            /\nFailures:\n- 50 clients: destroy: error: EOF: running rm\n- 50 clients: destroy \(retry\): error: x\n$/,
        );
        assert.doesNotMatch(renderBenchTable([row(2, 1)]), /FAILED|Failures/, "negative twin");
    });
    it("a failed refresh preview shows as FAILED in its own column only", () => {
        const failed = {
            ...row(25, 2),
            failures: ["refreshPreview: error: preview --refresh found drift: update x::y"],
        };
        const text = renderBenchTable([row(2, 1), failed]);
        const lines = text.trim().split("\n");
        assert.match(lines[3], /\| 10\.0 \(2\.00x\) +\| FAILED after 12\.0 +\| 16\.0 \(2\.00x\) +\|/);
        assert.equal((lines[3].match(/FAILED/g) ?? []).length, 1, "the other phases are not marked");
        assert.match(text, /\nFailures:\n- 25 clients: refreshPreview: error: preview --refresh found drift/);
    });
    it("timed: a failing phase is recorded with its first error line and timed to the failure, not thrown", () => {
        const failures: string[] = [];
        const ok = timed("noopPreview", failures, () => undefined);
        const refresh = timed("refreshPreview", failures, () => {
            const until = process.hrtime.bigint() + 25_000_000n;
            while (process.hrtime.bigint() < until) {
                // the phase's work
            }
            throw new Error(
                "25 clients: no-drift preview --refresh failed (exit 255):\nerror pulumi-nodejs:dynamic:Resource::airgap-registry-trust-light-03-os-trust: changed\nerror: preview failed",
            );
        });
        assert.ok(ok >= 0 && ok < 1, `${ok}`);
        assert.ok(refresh >= 0.02 && refresh < 5, `${refresh}: the time to the failure`);
        assert.deepEqual(failures, [
            "refreshPreview: error pulumi-nodejs:dynamic:Resource::airgap-registry-trust-light-03-os-trust: changed",
        ]);
    });
    it("the timed phases in run order: the refresh preview right after the no-change preview", () => {
        assert.deepEqual(timedColumns, [
            "freshUp",
            "noopPreview",
            "refreshPreview",
            "noopUp",
            "addClientUp",
            "destroy",
        ]);
    });
    it("firstErrorLine: the errors on resources, else the engine's error line, else the first line", () => {
        assert.equal(
            firstErrorLine(
                "50 clients: destroy failed (exit 1):\nerror command:remote:Command::a-os-trust: EOF: running x\nerror command:remote:Command::b-check: boom\nerror: update failed\n",
            ),
            "error command:remote:Command::a-os-trust: EOF: running x; error command:remote:Command::b-check: boom",
        );
        assert.equal(
            firstErrorLine("destroy failed (exit 1):\n  warning: w\nerror: update failed\n"),
            "error: update failed",
        );
        assert.equal(firstErrorLine("\nsomething broke\nmore"), "something broke");
        // A line ending with ':' keeps its list (validation errors name their fields there).
        assert.equal(
            firstErrorLine(
                "error: invalid arguments for PrivateRegistry:\n  - `clients[0].address`: no key\n  - `x` bad\nerror: update failed\n",
            ),
            "error: invalid arguments for PrivateRegistry: - `clients[0].address`: no key - `x` bad",
        );
    });
    it("the CPU table: seconds per part, the clients' share per client, the deployer's ratio to the first row", () => {
        const lines = renderCpuTable([row(2, 1), row(50, 1.5)])
            .trim()
            .split("\n");
        assert.equal(lines.length, 4);
        assert.match(
            lines[2],
            /^\| 2 +\| 40\.0 +\| 10\.0 +\| 5\.00 +\| 6\.0 +\| 2\.0 +\| 10\.0 \(1\.00x\) +\| 1\.0 +\|$/,
        );
        assert.match(
            lines[3],
            /^\| 50 +\| 60\.0 +\| 250\.0 +\| 5\.00 +\| 6\.0 +\| 3\.0 +\| 15\.0 \(1\.50x\) +\| 1\.0 +\|$/,
        );
    });
    it("--parallel: a whole number from 1 to 1000, anything else refused naming the input", () => {
        assert.equal(parseParallel("64"), 64);
        for (const bad of ["", "0", "x", "2.5", "1001"])
            assert.throws(() => parseParallel(bad), new RegExp(`got "${bad}"`));
    });
    it("ratio", () => {
        assert.equal(ratio(3, 2), "1.50");
        assert.equal(ratio(1, 0), "-");
    });
    it("client counts: a comma list of 1..98; anything else is refused naming the input", () => {
        assert.deepEqual(parseClientCounts("2,10, 25,50"), [2, 10, 25, 50]);
        for (const bad of ["", "2,x", "0", "2.5", "99"])
            assert.throws(() => parseClientCounts(bad), new RegExp(`got "${bad.replace(".", "\\.")}"`));
    });
});
