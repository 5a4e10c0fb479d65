/**
 * The client-scaling bench's table: one row per client count, each figure with its ratio to the smallest count. Pure,
 * but for {@link timed}, which runs a phase.
 */

import type { CpuSplit } from "./cpuUsage";

/** What one client count measured. */
export interface BenchRow {
    /** Clients in the stack. */
    readonly clients: number;
    /** Seconds of the fresh `up`. */
    readonly freshUp: number;
    /** Seconds of `preview --expect-no-changes` right after. */
    readonly noopPreview: number;
    /**
     * Seconds of `preview --refresh --expect-no-changes` right after that: every resource read back from its host
     * (HostFiles over SSH: SHA-256 and mode of its files, and its quick check), with no drift to find.
     */
    readonly refreshPreview: number;
    /** Seconds of the no-op `up`. */
    readonly noopUp: number;
    /** Seconds of the `up` that adds one client. */
    readonly addClientUp: number;
    /** Seconds of `destroy`. */
    readonly destroy: number;
    /** SSH connections through the bastion (its sshd's log) during the fresh up. */
    readonly sshFreshUp: number;
    /** SSH connections through the bastion during the no-drift `preview --refresh`. */
    readonly sshRefreshPreview: number;
    /** SSH connections through the bastion during the no-op up. */
    readonly sshNoopUp: number;
    /** Connections the bastion's sshd turned away during the whole run of this count. */
    readonly sshRefused: number;
    /** Bytes the registry host received during the no-op (second) up. */
    readonly bytesToRegistryNoopUp: number;
    /** Where the fresh up's CPU went on this machine, in CPU seconds. */
    readonly cpuFreshUp: CpuSplit;
    /**
     * Phases that failed (`destroy: <the engine's first error line>`); their seconds are the time to the failure.
     * A failed destroy is run once more so the next count starts from nothing (`destroy (retry)` if that failed too).
     */
    readonly failures: string[];
}

/** The timed columns, in table order. */
export const timedColumns = ["freshUp", "noopPreview", "refreshPreview", "noopUp", "addClientUp", "destroy"] as const;

/** A figure's ratio to the base row's, two decimals (`-` when the base is 0). Pure. */
export function ratio(value: number, base: number): string {
    return base === 0 ? "-" : (value / base).toFixed(2);
}

/** The table as text: seconds with the ratio to the first row's (smallest N) in brackets, then the counts. Pure. */
export function renderBenchTable(rows: readonly BenchRow[]): string {
    if (rows.length === 0) return "(no rows)\n";
    const base = rows[0];
    const header = [
        "clients",
        "fresh up s",
        "no-op preview s",
        "refresh preview s",
        "no-op up s",
        "add-1 up s",
        "destroy s",
        "ssh conns fresh up",
        "ssh conns refresh",
        "ssh conns no-op up",
        "ssh refused",
        "bytes to registry no-op up",
    ];
    const cell = (value: number, baseValue: number, text = String(value)) => {
        const r = ratio(value, baseValue);
        return r === "-" ? `${text} (-)` : `${text} (${r}x)`;
    };
    const failed = (r: BenchRow, c: (typeof timedColumns)[number]) => r.failures.some((f) => f.startsWith(`${c}:`));
    const lines = rows.map((r) => [
        String(r.clients),
        ...timedColumns.map((c) =>
            failed(r, c) ? `FAILED after ${r[c].toFixed(1)}` : cell(r[c], base[c], r[c].toFixed(1)),
        ),
        cell(r.sshFreshUp, base.sshFreshUp),
        cell(r.sshRefreshPreview, base.sshRefreshPreview),
        cell(r.sshNoopUp, base.sshNoopUp),
        String(r.sshRefused),
        cell(r.bytesToRegistryNoopUp, base.bytesToRegistryNoopUp),
    ]);
    const failures = rows.flatMap((r) => r.failures.map((f) => `- ${r.clients} clients: ${f}`));
    return markdownTable(header, lines) + (failures.length > 0 ? `\nFailures:\n${failures.join("\n")}\n` : "");
}

/**
 * What a failed phase reports: the engine's errors that name a resource (`error <type>::<name>: ...`, as
 * `diagnosticsOf` writes them), else its first `error:` line, else the first line. Pure.
 */
export function firstErrorLine(message: string): string {
    const lines = message.split("\n").map((l) => l.trim());
    const onResources = lines.filter((l) => /^error \S+::\S+: /.test(l));
    if (onResources.length > 0) return onResources.join("; ");
    const at = lines.findIndex((l) => /^error: /.test(l));
    const first = at >= 0 ? at : lines.findIndex((l) => l !== "");
    if (first < 0) return message;
    // A line that ends with ':' introduces its list (`invalid arguments for X:` and the problems under it).
    if (!lines[first].endsWith(":")) return lines[first];
    const items: string[] = [];
    for (const l of lines.slice(first + 1).filter((x) => x !== "")) {
        if (!l.startsWith("- ")) break;
        items.push(l);
    }
    return [lines[first], ...items].join(" ");
}

/**
 * Runs a phase and times it (seconds); a failure is recorded in `failures` (as `phase: <firstErrorLine>`), not
 * thrown, so the phases after it still run and the table shows it as `FAILED after N`. Not pure: it runs `run`.
 */
export function timed(phase: string, failures: string[], run: () => void): number {
    const start = process.hrtime.bigint();
    try {
        run();
    } catch (e) {
        failures.push(`${phase}: ${firstErrorLine(e instanceof Error ? e.message : String(e))}`);
    }
    return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The CPU parts of {@link CpuSplit}, in table order. */
export const cpuColumns = ["total", "clients", "registryHost", "bastion", "deployer", "other"] as const;

/**
 * Where each fresh up's CPU went: CPU seconds per part of the machine, the clients' share also per client, and the
 * deployer's (pulumi, program, providers) ratio to the first row's. Pure.
 */
export function renderCpuTable(rows: readonly BenchRow[]): string {
    if (rows.length === 0) return "(no rows)\n";
    const base = rows[0];
    const header = [
        "clients",
        "fresh up CPU s: total",
        "clients",
        "per client",
        "registry host",
        "bastion",
        "deployer",
        "other",
    ];
    const lines = rows.map((r) => {
        const c = r.cpuFreshUp;
        return [
            String(r.clients),
            c.total.toFixed(1),
            c.clients.toFixed(1),
            (c.clients / r.clients).toFixed(2),
            c.registryHost.toFixed(1),
            c.bastion.toFixed(1),
            `${c.deployer.toFixed(1)} (${ratio(c.deployer, base.cpuFreshUp.deployer)}x)`,
            c.other.toFixed(1),
        ];
    });
    return markdownTable(header, lines);
}

/** A markdown table, columns padded to their widest cell. Pure. */
export function markdownTable(header: readonly string[], lines: readonly string[][]): string {
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    const row = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    return [row(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...lines.map(row), ""].join("\n");
}

/** `--parallel` from the command line: a whole number from 1 to 1000. Pure. */
export function parseParallel(text: string): number {
    const n = Number(text.trim());
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
        throw new Error(`--parallel must be a whole number from 1 to 1000, got "${text}"`);
    }
    return n;
}

/** Client counts from the command line (`2,10,25,50`), each a whole number from 1 to 99. Pure. */
export function parseClientCounts(text: string): number[] {
    const counts = text.split(",").map((s) => Number(s.trim()));
    if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1 || n > 98)) {
        throw new Error(`client counts must be whole numbers from 1 to 98, comma-separated, got "${text}"`);
    }
    return counts;
}
