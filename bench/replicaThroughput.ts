/**
 * The replica-throughput bench: for each replica count, a scaled-out site on the lab (replicas on the lab's Ceph RGW
 * behind haproxy, through the real engine), then pushes of a new image of random bytes from client-a and pulls of it
 * on client-b through the load balancer, each timed on the client.
 */

import * as crypto from "crypto";
import type { RegistryCredential } from "../components";
import { freshLabHosts, labObjectStore, mustRun } from "../test/support/lab";
import {
    freshScaleOutHosts,
    loginThroughLoadBalancer,
    recreateScaleOutStack,
    replicasConfig,
    scaleOutEndpoint,
} from "../test/support/scaleOutStack";
import { mustSucceed, ProjectStack, takeLabFromDevStack } from "../test/support/stack";
import { benchMachine, BenchMachine, writeBenchReport } from "./benchReport";
import { firstErrorLine } from "./benchTable";
import { renderThroughputTable, requestsPerReplica, ThroughputRow, Transfer } from "./throughputTable";

/** Options of {@link runReplicaThroughput}. */
export interface ReplicaThroughputOptions {
    /** Replica counts to measure, in order; the first is the base of every ratio. */
    readonly replicas: readonly number[];
    /** JSON file the rows (and the machine) are written to. */
    readonly out: string;
    /** Size of the image's one layer, in MB (10^6 bytes). Default: 100. */
    readonly megabytes?: number;
    /** Pushes and pulls per replica count (each of a new image). Default: 3. */
    readonly repeats?: number;
    /** Progress lines. Default: stderr. */
    readonly log?: (line: string) => void;
}

/** What a bench run wrote to its JSON file. */
export interface ReplicaThroughputReport {
    readonly machine: BenchMachine;
    readonly date: string;
    readonly megabytes: number;
    readonly store: "ceph";
    readonly rows: ThroughputRow[];
}

const stack = new ProjectStack("bench-scale-out");

/**
 * Runs `command` on `host` and returns its seconds, measured there (`date +%s%N` around it): the bench times the
 * transfer, not the SSH hop to start it.
 */
function timedOnHost(cfg: string, host: string, command: string): number {
    const out = mustRun(
        cfg,
        host,
        `s=$(date +%s%N); ${command} >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))`,
    );
    return Number(out.trim().split("\n").pop()) / 1000;
}

/** haproxy's request log lines on the load balancer host so far. */
function haproxyLog(cfg: string): string[] {
    return mustRun(cfg, "lb.lab", "docker logs airgap-registry-lb 2>&1").split("\n");
}

/** Runs the bench for every replica count, prints the table and writes the report; returns the rows. */
export function runReplicaThroughput(options: ReplicaThroughputOptions): ThroughputRow[] {
    const log = options.log ?? ((line: string) => process.stderr.write(`bench: ${line}\n`));
    const megabytes = options.megabytes ?? 100;
    const repeats = options.repeats ?? 3;
    const bytes = megabytes * 1e6;
    takeLabFromDevStack();
    const cfg = freshLabHosts("client-a", "client-b");
    log("starting the lab's Ceph RGW");
    const store = labObjectStore("ceph");
    freshScaleOutHosts(Math.max(...options.replicas));
    const rootdirectory = `/bench-${crypto.randomBytes(4).toString("hex")}`;
    const rows: ThroughputRow[] = [];
    try {
        recreateScaleOutStack(stack, store, options.replicas[0], rootdirectory);
        for (const count of options.replicas) {
            stack.setConfig("replicas", replicasConfig(count));
            log(`${count} replicas: up`);
            mustSucceed(stack.up(), `${count} replicas: up`);
            const user = stack.output<RegistryCredential[]>("credentials")[0];
            for (const host of ["client-a.lab", "client-b.lab"]) loginThroughLoadBalancer(cfg, host, user);
            const logBefore = haproxyLog(cfg).length;
            const pushes: Transfer[] = [];
            const pulls: Transfer[] = [];
            const failures: string[] = [];
            for (let i = 1; i <= repeats; i++) {
                const tag = `${scaleOutEndpoint}/bench/throughput:r${count}-${i}`;
                // A new layer each time: nothing for the store to have already.
                mustRun(
                    cfg,
                    "client-a.lab",
                    `set -e; d=$(mktemp -d); head -c ${bytes} /dev/urandom > "$d/layer"; ` +
                        `tar -C "$d" -c layer | docker import - ${tag} >/dev/null; rm -rf "$d"`,
                );
                try {
                    pushes.push({ seconds: timedOnHost(cfg, "client-a.lab", `docker push ${tag}`), bytes });
                    mustRun(cfg, "client-b.lab", `docker image rm -f ${tag} >/dev/null 2>&1 || true`);
                    pulls.push({ seconds: timedOnHost(cfg, "client-b.lab", `docker pull ${tag}`), bytes });
                } catch (e) {
                    failures.push(`transfer ${i}: ${firstErrorLine(e instanceof Error ? e.message : String(e))}`);
                }
                for (const host of ["client-a.lab", "client-b.lab"])
                    mustRun(cfg, host, `docker image rm -f ${tag} >/dev/null 2>&1 || true`);
            }
            const row: ThroughputRow = {
                replicas: count,
                pushes,
                pulls,
                requestsByReplica: requestsPerReplica(haproxyLog(cfg).slice(logBefore)),
                failures,
            };
            rows.push(row);
            log(`${count} replicas: ${JSON.stringify(row)}`);
        }
    } finally {
        // A stack that cannot be destroyed is kept (with its config), so its resources can still be removed. The
        // bucket keeps the bench's blobs under its own rootdirectory, as destroy always leaves a store's data.
        if (stack.destroy().status === 0) {
            stack.remove();
            freshScaleOutHosts(0);
        } else
            log(`the bench stack could not be destroyed: pulumi destroy --stack ${stack.name} (scripts/pulumi-env.sh)`);
    }
    const report: ReplicaThroughputReport = {
        machine: benchMachine(),
        date: new Date().toISOString(),
        megabytes,
        store: "ceph",
        rows,
    };
    writeBenchReport(options.out, report);
    process.stdout.write(renderThroughputTable(rows));
    log(`written to ${options.out}`);
    return rows;
}
