/** The bench's CPU accounting: /proc/stat's busy time, the children's CPU, and the split between two samples. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import { busySeconds, childrenSeconds, cpuSplit, CpuSample } from "../../bench/cpuUsage";

describe("bench CPU accounting", () => {
    it("busy seconds count user, nice, system, irq, softirq and steal, not idle or iowait", () => {
        assert.equal(busySeconds("cpu  100 20 300 9999 888 4 6 10 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n"), 4.4);
    });
    it("children's CPU from /proc/self/stat, with a command name holding spaces and brackets", () => {
        const fields = ["S", ...Array.from({ length: 12 }, (_, i) => String(i)), "250", "50", "7", "8"];
        assert.equal(childrenSeconds(`1234 (node (x) y) ${fields.join(" ")}`), 3);
    });
    it("a child that burnt CPU shows in this process's children's time once waited for", () => {
        const before = childrenSeconds(fs.readFileSync("/proc/self/stat", "utf8"));
        execFileSync("sh", ["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"]);
        const after = childrenSeconds(fs.readFileSync("/proc/self/stat", "utf8"));
        assert.ok(after - before >= 0.1, `the busy child's CPU was counted: ${after - before} s`);
    });
    it("the split: per part, clients summed, the rest is other; a container missing from the first sample counts from 0", () => {
        const sample = (total: number, deployer: number, c: Record<string, number>): CpuSample => ({
            total,
            deployer,
            containers: new Map(Object.entries(c)),
        });
        const before = sample(100, 10, { a: 1, b: 2, reg: 5, bastion: 1 });
        const after = sample(160, 25, { a: 11, b: 7, reg: 8, bastion: 3, c: 4 });
        assert.deepEqual(
            cpuSplit(before, after, { clients: ["a", "b", "c"], registryHost: "reg", bastion: "bastion" }),
            { total: 60, clients: 19, registryHost: 3, bastion: 2, deployer: 15, other: 21 },
        );
    });
});
