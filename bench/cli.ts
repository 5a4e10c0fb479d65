/** `npm run bench [-- --clients 2,10,25,50] [--parallel P] [--out file.json]`: the client-scaling bench on the lab. */

import * as path from "path";
import { projectRoot } from "../test/support/engine";
import { parseClientCounts, parseParallel } from "./benchTable";
import { runClientScaling } from "./clientScaling";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
};
const counts = parseClientCounts(option("--clients") ?? "2,10,25,50");
const out =
    option("--out") ??
    path.join(projectRoot, "bench-results", `client-scaling-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
const parallelOption = option("--parallel");
const parallel = parallelOption === undefined ? undefined : parseParallel(parallelOption);
const rows = runClientScaling({ counts, out, parallel });
// The report is written either way; a phase that failed makes the run fail.
if (rows.some((r) => r.failures.length > 0)) process.exitCode = 1;
