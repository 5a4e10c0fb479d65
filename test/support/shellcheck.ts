/** Runs shellcheck on a rendered script. */

import { spawnSync } from "child_process";

/** Runs shellcheck on a rendered script as POSIX sh; returns its findings ("" when clean). */
export function shellcheck(script: string): string {
    const result = spawnSync("shellcheck", ["--shell=sh", "--severity=style", "-"], {
        input: script,
        encoding: "utf8",
    });
    if (result.error) {
        throw new Error(`shellcheck could not run (${result.error.message}); run scripts/ensure-test-tools.sh`);
    }
    return result.status === 0 ? "" : `${result.stdout}${result.stderr}`;
}
