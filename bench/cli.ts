/**
 * `npm run bench [-- --only clients|replicas] [--clients 2,10,25,50] [--parallel P] [--replicas 1,2,3]
 * [--megabytes 100] [--out-dir dir]`: the client-scaling bench and the replica-throughput bench on the lab (both
 * unless `--only` names one).
 */

import * as path from "path";
import { projectRoot } from "../test/support/engine";
import { parseClientCounts, parseParallel } from "./benchTable";
import { runClientScaling } from "./clientScaling";
import { runReplicaThroughput } from "./replicaThroughput";
import { parseReplicaCounts } from "./throughputTable";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
};
const known = ["--only", "--clients", "--parallel", "--replicas", "--megabytes", "--out-dir"];
for (let i = 0; i < args.length; i += 2) {
    if (!known.includes(args[i]) || args[i + 1] === undefined)
        throw new Error(`usage: npm run bench [-- ${known.map((k) => `${k} value`).join(" ")}]; got "${args[i]}"`);
}
const only = option("--only");
if (only !== undefined && only !== "clients" && only !== "replicas") {
    throw new Error(`--only must be "clients" or "replicas", got "${only}"`);
}
const megabytes = Number(option("--megabytes") ?? "100");
if (!Number.isInteger(megabytes) || megabytes < 1 || megabytes > 2000) {
    throw new Error(`--megabytes must be a whole number from 1 to 2000, got "${option("--megabytes")}"`);
}
const outDir = option("--out-dir") ?? path.join(projectRoot, "bench-results");
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
let failed = false;

if (only !== "replicas") {
    const parallelOption = option("--parallel");
    const rows = runClientScaling({
        counts: parseClientCounts(option("--clients") ?? "2,10,25,50"),
        out: path.join(outDir, `client-scaling-${stamp}.json`),
        parallel: parallelOption === undefined ? undefined : parseParallel(parallelOption),
    });
    failed ||= rows.some((r) => r.failures.length > 0);
}
if (only !== "clients") {
    const rows = runReplicaThroughput({
        replicas: parseReplicaCounts(option("--replicas") ?? "1,2,3"),
        megabytes,
        out: path.join(outDir, `replica-throughput-${stamp}.json`),
    });
    failed ||= rows.some((r) => r.failures.length > 0);
}
// The reports are written either way; a phase that failed makes the run fail.
if (failed) process.exitCode = 1;
