/** What every bench report starts with (the machine it ran on) and how it is written. */

import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The machine a bench ran on. */
export interface BenchMachine {
    readonly cpus: number;
    readonly memoryGiB: number;
    readonly node: string;
    readonly platform: string;
}

/** This machine. */
export function benchMachine(): BenchMachine {
    return {
        cpus: os.cpus().length,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
    };
}

/** Writes a report as indented JSON to `out`, creating its directory. */
export function writeBenchReport(out: string, report: object): void {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
}
