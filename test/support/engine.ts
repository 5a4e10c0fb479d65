/** Runs the Pulumi CLI from the toolchain for tests, with the project's PULUMI_HOME and a file backend. */

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { withoutDebugEvents } from "./engineOutput";

/** The project root (dist/test/support -> repository root). */
export const projectRoot = path.resolve(__dirname, "..", "..", "..");

/** Lab-only passphrase of the dev and test stacks' secrets; never use it for a real site. */
export const labPassphrase = "airgap-registry-lab-only";

/**
 * The environment of every scripted Pulumi run (as scripts/pulumi-env.sh): the toolchain first on
 * PATH, PULUMI_HOME in the gitignored .pulumi-state/ (where scripts/toolchain.sh installed the
 * plugins), a file backend in `stateDir`, no update checks, no plugin downloads and only the exact
 * plugin versions of PULUMI_HOME.
 */
export function pulumiEnv(stateDir = path.join(projectRoot, ".pulumi-state")): NodeJS.ProcessEnv {
    const bin = process.env.AIRGAP_REGISTRY_TOOLCHAIN_BIN;
    if (!bin) {
        throw new Error(
            "AIRGAP_REGISTRY_TOOLCHAIN_BIN is not set: run the engine tests through `npm test` (scripts/test.sh builds the toolchain)",
        );
    }
    fs.mkdirSync(path.join(stateDir, "backend"), { recursive: true });
    return {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        PULUMI_HOME: path.join(projectRoot, ".pulumi-state", "home"),
        PULUMI_BACKEND_URL: `file://${path.join(stateDir, "backend")}`,
        PULUMI_CONFIG_PASSPHRASE: labPassphrase,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        PULUMI_CONTINUE_ON_ERROR: "true",
        PULUMI_NODEJS_TRANSPILE_ONLY: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        NO_COLOR: "1",
    };
}

/** Result of one `pulumi` run. */
export interface PulumiRun {
    readonly status: number;
    readonly output: string;
}

/** How long one `pulumi` run may take before it is killed: 5 minutes, or AIRGAP_REGISTRY_PULUMI_TIMEOUT_S seconds. */
function pulumiTimeoutMs(): number {
    const seconds = Number(process.env.AIRGAP_REGISTRY_PULUMI_TIMEOUT_S);
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 300_000;
}

/** Runs `pulumi <args>` in `cwd` and returns its exit status and combined output. */
export function pulumi(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): PulumiRun {
    const r = spawnSync("pulumi", [...args, "--non-interactive", "--color", "never"], {
        cwd,
        env,
        encoding: "utf8",
        timeout: pulumiTimeoutMs(),
        // `up --json` writes an event per step: tens of MB with many clients.
        maxBuffer: 256 << 20,
    });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, output: withoutDebugEvents(`${r.stdout}${r.stderr}`) };
}

/** The resources a stack's state holds (after `up`/`destroy`). */
export function stackResources(
    cwd: string,
    env: NodeJS.ProcessEnv,
    stack: string,
): Array<{ type: string; urn: string; dependencies?: string[] }> {
    const r = pulumi(cwd, env, "stack", "export", "--stack", stack);
    if (r.status !== 0) throw new Error(`pulumi stack export failed:\n${r.output}`);
    const state = JSON.parse(r.output.slice(r.output.indexOf("{")));
    return (state.deployment?.resources ?? []) as Array<{ type: string; urn: string; dependencies?: string[] }>;
}
