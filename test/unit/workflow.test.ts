/** The PR-preview workflow (.github/workflows/preview.yml) linted by actionlint, and actionlint shown to catch errors. */

import { describe, it, before } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectRoot } from "../support/engine";

// The workflow cannot run here (no GitHub, no runner): actionlint checks what can be checked without one: the
// workflow schema, expressions and their types (contexts, step outputs), the runner labels against
// .github/actionlint.yaml, the inputs of well-known actions, and every `run:` script through shellcheck.

const workflowRel = path.join(".github", "workflows", "preview.yml");
let actionlint: string;

interface Lint {
    readonly code: number;
    readonly output: string;
}

/** actionlint on `.github/workflows/preview.yml` of the project in `dir` (which reads its `.github/actionlint.yaml`). */
function lint(dir: string, ...flags: string[]): Lint {
    const r = spawnSync(actionlint, ["-no-color", ...flags, workflowRel], { cwd: dir, encoding: "utf8" });
    if (r.error) throw r.error;
    return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** A copy of the workflow (changed by `edit`) and, when `withConfig`, of actionlint.yaml, in a temporary project. */
function brokenCopy(edit: (text: string) => string, withConfig = true): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-workflow-"));
    fs.mkdirSync(path.join(dir, ".github", "workflows"), { recursive: true });
    const original = fs.readFileSync(path.join(projectRoot, workflowRel), "utf8");
    const changed = edit(original);
    assert.notEqual(changed, original, "the edit must change the workflow");
    fs.writeFileSync(path.join(dir, workflowRel), changed);
    if (withConfig) {
        fs.copyFileSync(
            path.join(projectRoot, ".github", "actionlint.yaml"),
            path.join(dir, ".github", "actionlint.yaml"),
        );
    }
    return dir;
}

describe("PR-preview workflow, linted by actionlint", () => {
    before(() => {
        actionlint = execFileSync("bash", [path.join(projectRoot, "scripts", "actionlint-binary.sh")], {
            encoding: "utf8",
        })
            .trim()
            .split("\n")
            .pop() as string;
        assert.match(
            execFileSync(actionlint, ["-version"], { encoding: "utf8" }),
            /^v?1\.7\.12\b/m,
            "the pinned actionlint",
        );
    });

    it("the workflow passes actionlint, with shellcheck checking its run: scripts", () => {
        const r = lint(projectRoot, "-verbose");
        assert.equal(r.code, 0, r.output);
        assert.match(r.output, /Found total 0 errors/);
        assert.doesNotMatch(r.output, /Rule "shellcheck" was disabled/, "shellcheck must be on PATH for actionlint");
    });

    it("previews with --diff and the policy pack, comments on the PR, least permissions, secrets named", () => {
        const text = fs.readFileSync(path.join(projectRoot, workflowRel), "utf8");
        assert.match(text, /pulumi preview --diff --policy-pack policy --stack "\$STACK"/);
        assert.match(text, /^permissions: \{\}$/m, "no permissions at the top level");
        assert.match(text, /permissions:\n\s+contents: read[^\n]*\n\s+pull-requests: write[^\n]*\n\s+env:/);
        assert.match(text, /github\.rest\.issues\.(create|update)Comment/);
        for (const secret of [
            "PULUMI_CONFIG_PASSPHRASE",
            "PULUMI_BACKEND_URL",
            "AIRGAP_SSH_PRIVATE_KEY",
            "AIRGAP_SSH_KNOWN_HOSTS",
        ]) {
            assert.match(text, new RegExp(`\\$\\{\\{ secrets\\.${secret} \\}\\}`), secret);
        }
        assert.doesNotMatch(text, /pull_request_target/, "never run a PR's code with the base repository's rights");
    });

    it("negative: a typo in a step output reference fails with actionlint's message (positive twin above)", () => {
        const dir = brokenCopy((t) =>
            t.replace("if: steps.preview.outputs.exit-code != '0'", "if: steps.previw.outputs.exit-code != '0'"),
        );
        const r = lint(dir);
        assert.equal(r.code, 1, r.output);
        assert.match(
            r.output,
            /preview\.yml:\d+:\d+: property "previw" is not defined in object type \{preview: .*\[expression\]/,
        );
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("negative: an unquoted variable in a run: script fails through shellcheck (SC2086)", () => {
        const dir = brokenCopy((t) =>
            t.replace('--stack "$STACK" --non-interactive', "--stack $STACK --non-interactive"),
        );
        const r = lint(dir);
        assert.equal(r.code, 1, r.output);
        assert.match(
            r.output,
            /shellcheck reported issue in this script: SC2086:info:\d+:\d+: Double quote to prevent globbing and word splitting \[shellcheck\]/,
        );
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("negative: without .github/actionlint.yaml the runner label is unknown (the config is what allows it)", () => {
        const dir = brokenCopy((t) => `${t}\n`, false);
        const r = lint(dir);
        assert.equal(r.code, 1, r.output);
        assert.match(r.output, /label "airgap-site" is unknown\. available labels are .* \[runner-label\]/);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("negative: an untrusted PR field interpolated into a script is caught (script injection)", () => {
        const dir = brokenCopy((t) =>
            t.replace(
                "          umask 077\n",
                '          umask 077\n          echo "${{ github.event.pull_request.title }}"\n',
            ),
        );
        const r = lint(dir);
        assert.equal(r.code, 1, r.output);
        assert.match(r.output, /"github\.event\.pull_request\.title" is potentially untrusted\. .* \[expression\]/);
        fs.rmSync(dir, { recursive: true, force: true });
    });
});
