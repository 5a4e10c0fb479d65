/** Counts of retries in the logs the scale-out test reads: haproxy's request log and docker push's output. Pure. */

/**
 * The httplog lines (haproxy 2.6) with any retry. The connection counts follow the 4-character termination state
 * and end with the retries, `actconn/feconn/beconn/srv_conn/retries`, `+N` when the request was redispatched to
 * another server after N retries; then the queues and the quoted request.
 */
export function haproxyRetried(lines: readonly string[]): string[] {
    return lines.filter((l) => / [-\w]{4} \d+\/\d+\/\d+\/\d+\/\+?[1-9]\d* \d+\/\d+ "/.test(l));
}

/**
 * How many times `docker push` retried a layer, from its output. Without a terminal docker prints a retry's
 * countdown one line a second (`<layer>: Retrying in 5 seconds`, `... 4 seconds`, ..., `... 1 second`; the n-th
 * retry of a layer counts down from 5n), so a retry is a countdown's first line: one not below the layer's previous
 * countdown line, or after another status of that layer.
 */
export function dockerPushRetries(output: string): number {
    const countdown = new Map<string, number>();
    let retries = 0;
    for (const raw of output.split("\n")) {
        const line = raw.trim();
        const layer = /^([0-9a-f]{6,64}): /.exec(line)?.[1];
        if (layer === undefined) continue;
        const m = /^[0-9a-f]+: Retrying in (\d+) seconds?$/.exec(line);
        if (m === null) {
            countdown.delete(layer);
            continue;
        }
        const n = Number(m[1]);
        const last = countdown.get(layer);
        if (last === undefined || n >= last) retries++;
        countdown.set(layer, n);
    }
    return retries;
}
