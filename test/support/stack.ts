/** One of the project's stacks driven through the Pulumi CLI: config, preview, up, destroy, outputs, state. */

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { projectRoot, pulumi, pulumiEnv, PulumiRun, stackResources } from "./engine";

/** What the engine reported for a `--json` preview or update. */
export interface JsonRun extends PulumiRun {
    /**
     * The resources that change (every op but `same` and `refresh`; default providers and the read of the stack's
     * own outputs left out), as `op type::name`.
     */
    readonly changes: string[];
    /** Counts per operation, as the engine's summary gives them (`create`, `same`, ...), less the self-read. */
    readonly summary: Record<string, number>;
}

/** `type::name` of a URN (`urn:pulumi:stack::project::parent$type::name`). */
export function resourceOf(urn: string): string {
    const parts = urn.split("::");
    const types = parts[2].split("$");
    return `${types[types.length - 1]}::${parts.slice(3).join("::")}`;
}

/** Replacement steps of an update (each replaced resource shows several) read as one `replace`. */
const replaceSteps = new Set(["replace", "create-replacement", "delete-replaced", "discard-replaced"]);

function changeList(steps: Array<{ op: string; urn: string }>): string[] {
    const changed = steps
        // `refresh` steps (preview --refresh) read a resource; whatever they find shows as its own op.
        // The program reads its own stack's last outputs (the CA state) on every run: a read, not a change.
        .filter(
            (s) =>
                s.op !== "same" &&
                s.op !== "refresh" &&
                !/^pulumi:providers:[^:]+::default_/.test(resourceOf(s.urn)) &&
                !isSelfRead(s),
        )
        .map((s) => `${replaceSteps.has(s.op) ? "replace" : s.op} ${resourceOf(s.urn)}`);
    return [...new Set(changed)].sort();
}

/** The program's read of its own stack in the state: the StackReference and its default `pulumi` provider. */
export function isSelfReadResource(r: { type: string; urn: string }): boolean {
    return r.type === "pulumi:pulumi:StackReference" || /::pulumi:providers:pulumi::default$/.test(r.urn);
}

/** A read of the stack's own outputs (the program's StackReference to itself). */
function isSelfRead(step: { op: string; urn: string }): boolean {
    return step.op === "read" && resourceOf(step.urn).startsWith("pulumi:pulumi:StackReference::");
}

/** An update's summary without the read of the stack's own outputs, which every run does. */
function withoutSelfRead(
    summary: Record<string, number>,
    steps: ReadonlyArray<{ op: string; urn: string }>,
): Record<string, number> {
    const out = { ...summary };
    const reads = steps.filter(isSelfRead).length;
    if (out.read !== undefined) {
        out.read -= reads;
        if (out.read <= 0) delete out.read;
    }
    return out;
}

/** The engine events of `pulumi up --json` output, one JSON object per line; other lines (diagnostics) skipped. */
export function engineEvents<T>(output: string): T[] {
    return output
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .flatMap((l): T[] => {
            try {
                return [JSON.parse(l) as T];
            } catch {
                return []; // a diagnostic line on stderr, not an event
            }
        });
}

/** Reads `pulumi up --json`: one engine event per line (`resourcePreEvent`s, a `summaryEvent`). */
function parseUpEvents(run: PulumiRun): JsonRun {
    type Event = {
        resourcePreEvent?: { metadata: { op: string; urn: string } };
        summaryEvent?: { resourceChanges: Record<string, number> };
    };
    const events = engineEvents<Event>(run.output);
    const steps = events.flatMap((e) => (e.resourcePreEvent ? [e.resourcePreEvent.metadata] : []));
    return {
        ...run,
        changes: changeList(steps),
        summary: withoutSelfRead(events.find((e) => e.summaryEvent)?.summaryEvent?.resourceChanges ?? {}, steps),
    };
}

/** Reads `pulumi preview --json`: one document with `steps` and `changeSummary`. */
function parsePreview(run: PulumiRun): JsonRun {
    let doc: { steps?: Array<{ op: string; urn: string }>; changeSummary?: Record<string, number> } = {};
    try {
        doc = JSON.parse(run.output.slice(run.output.indexOf("{"), run.output.lastIndexOf("}") + 1));
    } catch {
        // Not JSON (the run failed before the engine started): the caller asserts on status/output.
    }
    return { ...run, changes: changeList(doc.steps ?? []), summary: doc.changeSummary ?? {} };
}

/**
 * A stack of the project's own program (index.ts, read from Pulumi.<name>.yaml as any stack
 * config is), driven through the real `pulumi` CLI with the project's scripted environment.
 */
export class ProjectStack {
    readonly env = pulumiEnv();
    readonly configFile: string;

    constructor(readonly name: string) {
        this.configFile = path.join(projectRoot, `Pulumi.${name}.yaml`);
    }

    /** Runs `pulumi <args> --stack <name>` in the project directory. */
    run(...args: string[]): PulumiRun {
        return pulumi(projectRoot, this.env, ...args, "--stack", this.name);
    }

    /** Removes any earlier stack of this name (its state and config file) and creates it anew with `config`. */
    recreate(config: Record<string, unknown>): void {
        // A lock left by an earlier run that was killed would block everything below.
        fs.rmSync(this.lockDir(), { recursive: true, force: true });
        this.run("stack", "rm", "--yes", "--force");
        fs.rmSync(this.configFile, { force: true });
        const init = pulumi(projectRoot, this.env, "stack", "init", this.name);
        if (init.status !== 0) throw new Error(`pulumi stack init ${this.name} failed:\n${init.output}`);
        this.writeConfig(config);
    }

    /** The stack's config (plain keys), as the config file holds it. */
    readConfig(): Record<string, unknown> {
        const doc = YAML.parse(fs.readFileSync(this.configFile, "utf8")) as { config?: Record<string, unknown> };
        return doc.config ?? {};
    }

    /** Replaces the stack's config (keeps the file's encryption salt and secure values). */
    writeConfig(config: Record<string, unknown>): void {
        const doc = (
            fs.existsSync(this.configFile) ? YAML.parse(fs.readFileSync(this.configFile, "utf8")) : {}
        ) as Record<string, unknown>;
        doc.config = config;
        fs.writeFileSync(this.configFile, YAML.stringify(doc));
    }

    /** Changes one config key (`airgap-registry:<key>`) and keeps the rest. */
    setConfig(key: string, value: unknown): void {
        this.writeConfig({ ...this.readConfig(), [`airgap-registry:${key}`]: value });
    }

    /** Sets a secret config value by path (e.g. `passwords.ci`), through `pulumi config set --secret`. */
    setSecret(pathKey: string, value: string): void {
        // The value after `--`: a PEM starts with dashes, which would read as a flag.
        const r = spawnSync(
            "pulumi",
            [
                "config",
                "set",
                "--secret",
                "--path",
                "--stack",
                this.name,
                "--non-interactive",
                `airgap-registry:${pathKey}`,
                "--",
                value,
            ],
            { cwd: projectRoot, env: this.env, encoding: "utf8" },
        );
        if (r.status !== 0) throw new Error(`pulumi config set --secret ${pathKey} failed:\n${r.stdout}${r.stderr}`);
    }

    /** `pulumi preview --json`: the exact resources that would change. */
    preview(...extra: string[]): JsonRun {
        return parsePreview(this.run("preview", "--json", ...extra));
    }

    /** `pulumi up --yes --json`: what the update did. */
    up(...extra: string[]): JsonRun {
        return parseUpEvents(this.run("up", "--yes", "--skip-preview", "--json", ...extra));
    }

    /** `pulumi destroy --yes`. */
    destroy(...extra: string[]): PulumiRun {
        return this.run("destroy", "--yes", "--skip-preview", ...extra);
    }

    /** The file backend's lock directory of this stack. */
    lockDir(): string {
        return path.join(
            projectRoot,
            ".pulumi-state",
            "backend",
            ".pulumi",
            "locks",
            "organization",
            "airgap-registry",
            this.name,
        );
    }

    /** True while an update holds the stack's lock (a killed `up` leaves its lock file in the file backend). */
    locked(): boolean {
        return fs.existsSync(this.lockDir()) && fs.readdirSync(this.lockDir()).length > 0;
    }

    /** Operations a killed `up` left unfinished (`creating`, `updating`, `deleting`), from the state. */
    pendingOperations(): Array<{ type: string; urn: string }> {
        const r = this.run("stack", "export");
        if (r.status !== 0) throw new Error(`pulumi stack export failed:\n${r.output}`);
        const state = JSON.parse(r.output.slice(r.output.indexOf("{"))) as {
            deployment?: { pending_operations?: Array<{ type: string; resource: { urn: string } }> };
        };
        return (state.deployment?.pending_operations ?? []).map((op) => ({ type: op.type, urn: op.resource.urn }));
    }

    /** A stack output (secrets shown), parsed from JSON. */
    output<T>(name: string): T {
        const r = this.run("stack", "output", name, "--json", "--show-secrets");
        if (r.status !== 0) throw new Error(`pulumi stack output ${name} failed:\n${r.output}`);
        return JSON.parse(r.output) as T;
    }

    /** Whether the stack exists in the backend. */
    exists(): boolean {
        return this.run("stack", "export").status === 0;
    }

    /** Resources in the stack's state. */
    resources(): Array<{ type: string; urn: string; dependencies?: string[] }> {
        return stackResources(projectRoot, this.env, this.name);
    }

    /**
     * The resources an up creates: the state less default providers and the read of the stack's own outputs (the
     * program's StackReference to itself, with its default `pulumi` provider).
     */
    createdResources(): Array<{ type: string; urn: string }> {
        return this.resources().filter((r) => !/::default(_[^:]*)?$/.test(r.urn) && !isSelfReadResource(r));
    }

    /** The raw checkpoint files of the stack in the file backend (current state, history and backups). */
    stateFiles(): string[] {
        const backend = (this.env.PULUMI_BACKEND_URL as string).replace(/^file:\/\//, "");
        const found: string[] = [];
        const walk = (dir: string) => {
            if (!fs.existsSync(dir)) return;
            for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
                const p = path.join(dir, e.name);
                if (e.isDirectory()) walk(p);
                else if (e.name.startsWith(this.name)) found.push(p);
            }
        };
        walk(path.join(backend, ".pulumi"));
        return found;
    }

    /** Removes the stack (state and config file), whatever it holds. */
    remove(): void {
        this.run("stack", "rm", "--yes", "--force");
        fs.rmSync(this.configFile, { force: true });
    }
}

/** The dev stack's config (Pulumi.dev.yaml), the shape every lab stack starts from. */
export function devStackConfig(): Record<string, unknown> {
    const doc = YAML.parse(fs.readFileSync(path.join(projectRoot, "Pulumi.dev.yaml"), "utf8")) as {
        config: Record<string, unknown>;
    };
    return structuredClone(doc.config);
}

/**
 * The lab's hosts serve one stack at a time: a deployed dev stack (`npm run demo`) is destroyed
 * before a test stack takes them over.
 */
export function takeLabFromDevStack(): void {
    const dev = new ProjectStack("dev");
    if (dev.exists() && dev.resources().length > 0) {
        console.log("# the dev stack is deployed on the lab: destroying it first (the tests need its hosts)");
        const r = dev.destroy();
        if (r.status !== 0) throw new Error(`destroying the dev stack failed:\n${r.output}`);
    }
}

/** The engine's error and warning messages in a run's output (`--json` events or plain text). */
export function diagnosticsOf(output: string): string[] {
    const messages: string[] = [];
    for (const line of output.split("\n")) {
        if (!line.includes('"diagnosticEvent"')) continue;
        try {
            const event = JSON.parse(line) as { diagnosticEvent?: { severity: string; message: string; urn?: string } };
            const d = event.diagnosticEvent;
            if (d && (d.severity === "error" || d.severity === "warning")) {
                messages.push(`${d.severity}${d.urn ? ` ${resourceOf(d.urn)}` : ""}: ${d.message.trim()}`);
            }
        } catch {
            // not an event line
        }
    }
    return messages;
}

/** Fails with the run's errors and last output when a `pulumi` run did not succeed; returns it otherwise. */
export function mustSucceed<T extends PulumiRun>(r: T, what: string): T {
    if (r.status !== 0) {
        const diagnostics = diagnosticsOf(r.output);
        throw new Error(
            `${what} failed (exit ${r.status}):\n${diagnostics.length > 0 ? diagnostics.join("\n") : r.output.slice(-6000)}`,
        );
    }
    return r;
}
