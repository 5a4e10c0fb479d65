/** The project's own shell scripts (scripts/, lab/, .ci/, anything tracked as *.sh) pass shellcheck. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The checkout (this file runs from dist/test/unit). */
const projectRootDir = path.resolve(__dirname, "..", "..", "..");

/** Every tracked shell script of the project, by git (so a new one is covered without listing it). */
function trackedScripts(): string[] {
    const out = execFileSync("git", ["ls-files", "*.sh", ".ci/run"], { cwd: projectRootDir, encoding: "utf8" });
    return out.split("\n").filter((f) => f !== "" && !f.startsWith("examples/"));
}

/** shellcheck with sourced files followed, at warning level; "" when clean. */
function check(files: readonly string[], cwd: string): string {
    const r = spawnSync("shellcheck", ["-x", "--severity=warning", ...files], { cwd, encoding: "utf8" });
    if (r.error) throw new Error(`shellcheck could not run (${r.error.message}); run scripts/ensure-test-tools.sh`);
    return r.status === 0 ? "" : `${r.stdout}${r.stderr}`;
}

describe("the project's own shell scripts", () => {
    it("every tracked script passes shellcheck -x at warning level", () => {
        const files = trackedScripts();
        assert.ok(files.includes("scripts/test.sh") && files.includes("lab/up.sh"), files.join(", "));
        assert.equal(check(files, projectRootDir), "");
    });
    it("negative twin: a cd that may fail, unchecked, is found", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shellcheck-"));
        try {
            fs.writeFileSync(path.join(dir, "bad.sh"), '#!/usr/bin/env bash\ncd "$1"\nrm -rf cache\n');
            assert.match(check(["bad.sh"], dir), /SC2164 \(warning\)/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
