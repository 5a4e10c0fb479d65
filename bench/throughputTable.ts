/**
 * The replica-throughput bench's table: one row per replica count, push and pull throughput through the load
 * balancer with each figure's ratio to the first row's. Pure.
 */

import { markdownTable, ratio } from "./benchTable";

/** One push or pull of the bench image, timed on the client. */
export interface Transfer {
    /** Seconds from the command's start to its end, measured on the client. */
    readonly seconds: number;
    /** Bytes of the image's layer (uncompressed random bytes: gzip leaves them as large). */
    readonly bytes: number;
}

/** What one replica count measured. */
export interface ThroughputRow {
    /** Replicas behind the load balancer. */
    readonly replicas: number;
    /** Every `docker push` of a new image of random bytes from client-a, in order. */
    readonly pushes: Transfer[];
    /** Every `docker pull` of that image on client-b (nothing of it there before), in order. */
    readonly pulls: Transfer[];
    /** Requests haproxy sent to each replica during this count's transfers (its log), by replica name. */
    readonly requestsByReplica: Record<string, number>;
    /** Transfers that failed (`transfer 2: <first error line>`); a failed one is in neither `pushes` nor `pulls`. */
    readonly failures: string[];
}

/** MB (10^6 bytes) per second of a transfer. Pure. */
export function megabytesPerSecond(t: Transfer): number {
    return t.seconds > 0 ? t.bytes / 1e6 / t.seconds : 0;
}

/** The median throughput of transfers, MB/s (0 when there are none). Pure. */
export function medianThroughput(transfers: readonly Transfer[]): number {
    const values = transfers.map(megabytesPerSecond).sort((a, b) => a - b);
    if (values.length === 0) return 0;
    const mid = Math.floor(values.length / 2);
    return values.length % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

/**
 * The table as text: per replica count the median push and pull MB/s with the ratio to the first row's in
 * brackets, the runs behind each median, and how haproxy spread the requests over the replicas. Pure.
 */
export function renderThroughputTable(rows: readonly ThroughputRow[]): string {
    if (rows.length === 0) return "(no rows)\n";
    const basePush = medianThroughput(rows[0].pushes);
    const basePull = medianThroughput(rows[0].pulls);
    const mbs = (value: number, base: number) => `${value.toFixed(1)} (${ratio(value, base)}x)`;
    const runs = (ts: readonly Transfer[]) => ts.map((t) => t.seconds.toFixed(1)).join(", ") || "-";
    const lines = rows.map((r) => [
        String(r.replicas),
        mbs(medianThroughput(r.pushes), basePush),
        runs(r.pushes),
        mbs(medianThroughput(r.pulls), basePull),
        runs(r.pulls),
        Object.entries(r.requestsByReplica)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, n]) => `${name} ${n}`)
            .join(", ") || "-",
    ]);
    const header = ["replicas", "push MB/s", "push runs s", "pull MB/s", "pull runs s", "requests per replica"];
    const failures = rows.flatMap((r) => r.failures.map((f) => `- ${r.replicas} replicas: ${f}`));
    return markdownTable(header, lines) + (failures.length > 0 ? `\nFailures:\n${failures.join("\n")}\n` : "");
}

/** Replica counts from the command line (`1,2,3`), each a whole number from 1 to 9 (the lab's replica hosts). Pure. */
export function parseReplicaCounts(text: string): number[] {
    const counts = text.split(",").map((s) => Number(s.trim()));
    if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 9)) {
        throw new Error(`replica counts must be whole numbers from 1 to 9, comma-separated, got "${text}"`);
    }
    return counts;
}

/**
 * How many requests haproxy's httplog lines sent to each server of the `replicas` backend
 * (`... registry~ replicas/replica-2 ...`). Pure.
 */
export function requestsPerReplica(lines: readonly string[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const line of lines) {
        const m = / registry~? replicas\/(\S+) /.exec(line);
        if (m && m[1] !== "<NOSRV>") out[m[1]] = (out[m[1]] ?? 0) + 1;
    }
    return out;
}
