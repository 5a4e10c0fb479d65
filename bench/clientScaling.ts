/**
 * The client-scaling bench: for each client count, a fresh up, a no-change preview, a no-drift `preview --refresh`, a
 * no-op up, an up that adds one client and a destroy of a dev-shaped stack on the lab, timed, with the SSH connections
 * the bastion's sshd logged and the bytes the registry host received.
 */

import { execFileSync } from "child_process";
import * as path from "path";
import { projectRoot } from "../test/support/engine";
import { freshLabHosts } from "../test/support/lab";
import { devStackConfig, mustSucceed, ProjectStack, takeLabFromDevStack } from "../test/support/stack";
import { benchMachine, BenchMachine, writeBenchReport } from "./benchReport";
import { BenchRow, renderBenchTable, renderCpuTable, timed } from "./benchTable";
import { cpuSplit, sampleCpu } from "./cpuUsage";
import { stepKinds, stepSpans } from "./stepTimes";

/** Options of {@link runClientScaling}. */
export interface ClientScalingOptions {
    /** Client counts to measure, in order; the first is the base of every ratio. */
    readonly counts: readonly number[];
    /** JSON file the rows (and the machine) are written to. */
    readonly out: string;
    /** Progress lines. Default: stderr. */
    readonly log?: (line: string) => void;
    /** `pulumi up/destroy --parallel`. Default: the engine's own (4 per CPU). */
    readonly parallel?: number;
}

/** What a bench run wrote to its JSON file. */
export interface ClientScalingReport {
    readonly machine: BenchMachine;
    readonly date: string;
    /** The `--parallel` every up and destroy ran with; absent: the engine's default (4 per CPU). */
    readonly parallel?: number;
    readonly rows: BenchRow[];
    /** Per client count, the fresh up's steps by kind (the same step on every client is one kind), last ending first. */
    readonly freshUpSteps: Array<{ clients: number; kinds: ReturnType<typeof stepKinds> }>;
}

const stack = new ProjectStack("bench");
const lightClient = (i: number) => `light-${String(i).padStart(2, "0")}`;

function docker(...args: string[]): string {
    return execFileSync("docker", args, { encoding: "utf8" });
}

/** Lines of the bastion's sshd log matching `pattern` (grep -E), counted on the bastion. */
function bastionLogCount(pattern: string): number {
    const out = execFileSync(
        "docker",
        ["exec", "airgap-lab-bastion", "sh", "-c", `grep -cE '${pattern}' /var/log/sshd.log || true`],
        { encoding: "utf8" },
    );
    return Number(out.trim()) || 0;
}
const accepted = () => bastionLogCount("Accepted publickey");
const refused = () => bastionLogCount("drop connection|MaxStartups throttling|no more sessions|Connection reset");

/** Bytes the registry host's network interface has received. */
function registryRxBytes(): number {
    return Number(docker("exec", "airgap-lab-registry", "cat", "/sys/class/net/eth0/statistics/rx_bytes").trim());
}

/** The dev stack's config with `count` light clients instead of client-a and client-b. */
function benchConfig(count: number): Record<string, unknown> {
    const config = devStackConfig();
    config["airgap-registry:clients"] = Array.from({ length: count }, (_, i) => ({
        name: lightClient(i + 1),
        address: `${lightClient(i + 1)}.lab`,
        privateKeyPath: ".lab/ssh/id_ed25519",
    }));
    return config;
}

/** Runs the bench for every count, prints the table and writes the report; returns the rows. */
export function runClientScaling(options: ClientScalingOptions): BenchRow[] {
    const log = options.log ?? ((line: string) => process.stderr.write(`bench: ${line}\n`));
    const parallel = options.parallel === undefined ? [] : ["--parallel", String(options.parallel)];
    takeLabFromDevStack();
    freshLabHosts("registry");
    const rows: BenchRow[] = [];
    const freshUpSteps: ClientScalingReport["freshUpSteps"] = [];
    try {
        for (const count of options.counts) {
            log(`${count} clients: starting ${count + 1} light clients`);
            execFileSync("bash", [path.join(projectRoot, "lab", "clients.sh"), String(count + 1)], {
                stdio: ["ignore", "ignore", "inherit"],
            });
            stack.recreate(benchConfig(count));
            const refusedBefore = refused();
            let sshBefore = accepted();
            const clientNames = Array.from({ length: count }, (_, i) => `airgap-lab-${lightClient(i + 1)}`);
            const lab = { clients: clientNames, registryHost: "airgap-lab-registry", bastion: "airgap-lab-bastion" };
            const labContainers = [...clientNames, lab.registryHost, lab.bastion];
            let freshOutput = "";
            const failures: string[] = [];
            const cpuBefore = sampleCpu(labContainers);
            const freshUp = timed("freshUp", failures, () => {
                freshOutput = mustSucceed(stack.up(...parallel), `${count} clients: fresh up`).output;
            });
            const cpuFreshUp = cpuSplit(cpuBefore, sampleCpu(labContainers), lab);
            log(`${count} clients: fresh up CPU seconds ${JSON.stringify(cpuFreshUp)}`);
            const kinds = stepKinds(stepSpans(freshOutput));
            freshUpSteps.push({ clients: count, kinds });
            log(
                `${count} clients: fresh up steps ending last: ${kinds
                    .slice(0, 6)
                    .map(
                        (k) =>
                            `${k.kind} x${k.count} (mean ${k.meanSeconds}s, max ${k.maxSeconds}s, ends ${k.lastEnd}s)`,
                    )
                    .join("; ")}`,
            );
            const sshFreshUp = accepted() - sshBefore;
            const noopPreview = timed("noopPreview", failures, () =>
                mustSucceed(stack.preview("--expect-no-changes"), `${count} clients: no-change preview`),
            );
            // Every resource read back from its host (HostFiles: its files' SHA-256 and mode, and its quick check):
            // what finding drift costs when there is none.
            sshBefore = accepted();
            const refreshPreview = timed("refreshPreview", failures, () => {
                const preview = mustSucceed(
                    stack.preview("--refresh", "--expect-no-changes"),
                    `${count} clients: no-drift preview --refresh`,
                );
                if (preview.changes.length > 0)
                    throw new Error(`${count} clients: preview --refresh found drift: ${preview.changes.join(", ")}`);
            });
            const sshRefreshPreview = accepted() - sshBefore;
            sshBefore = accepted();
            const rxBefore = registryRxBytes();
            const noopUp = timed("noopUp", failures, () => {
                const up = mustSucceed(stack.up(...parallel), `${count} clients: no-op up`);
                if (up.changes.length > 0)
                    throw new Error(`${count} clients: the no-op up changed ${up.changes.join(", ")}`);
            });
            const bytesToRegistryNoopUp = registryRxBytes() - rxBefore;
            const sshNoopUp = accepted() - sshBefore;
            stack.writeConfig(benchConfig(count + 1));
            const addClientUp = timed("addClientUp", failures, () =>
                mustSucceed(stack.up(...parallel), `${count} clients: add-one-client up`),
            );
            const destroy = timed("destroy", failures, () =>
                mustSucceed(stack.destroy(...parallel), `${count} clients: destroy`),
            );
            if (failures.some((f) => f.startsWith("destroy:"))) {
                // Once more, so the next count starts from nothing; its time is not the destroy's.
                timed("destroy (retry)", failures, () =>
                    mustSucceed(stack.destroy(...parallel), `${count} clients: destroy, run again`),
                );
            }
            for (const f of failures) log(`${count} clients: FAILED ${f}`);
            const row: BenchRow = {
                clients: count,
                freshUp,
                noopPreview,
                refreshPreview,
                noopUp,
                addClientUp,
                destroy,
                sshFreshUp,
                sshRefreshPreview,
                sshNoopUp,
                sshRefused: refused() - refusedBefore,
                bytesToRegistryNoopUp,
                cpuFreshUp,
                failures,
            };
            rows.push(row);
            log(`${count} clients: ${JSON.stringify(row)}`);
        }
    } finally {
        // A stack that cannot be destroyed is kept (with its config), so its resources can still be removed.
        if (stack.destroy().status === 0) stack.remove();
        else
            log(`the bench stack could not be destroyed: pulumi destroy --stack ${stack.name} (scripts/pulumi-env.sh)`);
        execFileSync("bash", [path.join(projectRoot, "lab", "clients.sh"), "0"], {
            stdio: ["ignore", "ignore", "inherit"],
        });
    }
    const report: ClientScalingReport = {
        machine: benchMachine(),
        date: new Date().toISOString(),
        ...(options.parallel === undefined ? {} : { parallel: options.parallel }),
        rows,
        freshUpSteps,
    };
    writeBenchReport(options.out, report);
    process.stdout.write(`${renderBenchTable(rows)}\n${renderCpuTable(rows)}`);
    log(`written to ${options.out}`);
    return rows;
}
