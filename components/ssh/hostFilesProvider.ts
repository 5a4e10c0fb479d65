/**
 * The HostFiles dynamic provider: files on one host, written over SSH (ssh2), removed on delete,
 * and read back on refresh (SHA-256 and mode of each file, measured on the host).
 *
 * Pulumi serializes this provider's functions into the state and runs them in its dynamic-provider
 * process, so this module is self-contained: it imports types only, `ssh2`, `crypto` and `Buffer`
 * are taken inside the functions, and every helper the provider calls is a plain function of this
 * file. Nothing here may capture a value of the program (a secret would end up in the serialized
 * code). The pure parts (scripts, parsing, diff, host-key checks) are exported for unit tests.
 */

import type * as pulumi from "@pulumi/pulumi";
import type { Algorithms, Client, ClientChannel, ConnectConfig } from "ssh2";

/**
 * One SSH hop as the provider gets it. The key is named by its absolute path on the operator's machine (read when
 * the provider connects; nothing secret in the state) or given itself (then the connection is a secret).
 */
export interface SshHop {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    /** Absolute path of the private key on the operator's machine. One of `privateKeyPath` and `privateKey`. */
    readonly privateKeyPath?: string;
    /** The private key itself (OpenSSH or PEM). */
    readonly privateKey?: string;
    /** The pinned host key, `<type> <base64>`. */
    readonly hostKey: string;
}

/** How the provider reaches the host: the host's hop and, optionally, the bastion's. */
export interface HostConnection extends SshHop {
    readonly bastion?: SshHop;
}

/** A file as desired (inputs: `sha256` of the content to write) or as found (outputs: `null` when absent). */
export interface HostFileState {
    /** Absolute path on the host. */
    readonly path: string;
    /** Octal mode, four digits (`0644`); `null` when the file is absent. */
    readonly mode: string | null;
    /** SHA-256 (hex) of the content; `null` when the file is absent. */
    readonly sha256: string | null;
}

/** The provider's inputs (what the HostFiles resource passes). */
export interface HostFilesInputs {
    /** How to reach the host: key files by path (public), or keys given inline (then the whole value is a secret). */
    readonly connection: HostConnection;
    /** `user@host:port` (and ` via user@bastion:port`): public, for the preview; another target is a replacement. */
    readonly target: string;
    /** The files, with the mode and SHA-256 they must have. */
    readonly files: readonly HostFileState[];
    /** Secret: the content of each file, keyed by path. Never an output. */
    readonly contents: Readonly<Record<string, string>>;
    /** Directories created (mode 0755) before the files and removed on delete when empty. */
    readonly directories: readonly string[];
    /** Shell script run after files were written or removed (e.g. `update-ca-certificates`); "" for none. */
    readonly onChange: string;
    /**
     * Shell script that checks the host works with the files (e.g. a verified-TLS request): run after create and
     * update (failing them when it fails) and on every refresh (recorded in `checkPassed`); "" for none.
     */
    readonly check: string;
    /** Shell script a refresh runs instead of `check` (a quicker form of it); "" to run `check`. */
    readonly refreshCheck: string;
    /** Public values whose change is an update that runs `onChange` and the check again (e.g. the CA's digest). */
    readonly triggers: readonly string[];
    /**
     * Public values whose change is a replacement, delete first: what `onChange` acts on beyond the listed files
     * (the anchor's name in the trust store, the marker of /etc/hosts lines), which only the old one can undo.
     */
    readonly replaceTriggers: readonly string[];
}

/** The provider's outputs: the inputs less the contents, with each file as measured on the host. */
export interface HostFilesOutputs {
    readonly connection: HostConnection;
    readonly target: string;
    readonly files: readonly HostFileState[];
    readonly directories: readonly string[];
    readonly onChange: string;
    readonly check: string;
    readonly refreshCheck: string;
    readonly triggers: readonly string[];
    readonly replaceTriggers: readonly string[];
    /** Whether `check` passed when last run (create, update or refresh); `null` without a check. */
    readonly checkPassed: boolean | null;
}

// ---------------------------------------------------------------------------------------------
// Pure parts.

/** Quotes a value for a POSIX shell (the same rule as shell.ts's shellQuote; repeated here: see the module doc). */
export function quote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A mode as four octal digits (`644` -> `0644`), or undefined when it is not an octal file mode. */
export function normalizeMode(mode: string): string | undefined {
    if (!/^[0-7]{3,4}$/.test(mode)) return undefined;
    return mode.padStart(4, "0");
}

/** The host-key algorithms to offer for a pinned key, so the server presents that key and no other. */
export function hostKeyAlgorithms(pinned: string): string[] {
    const type = pinned.trim().split(/\s+/)[0];
    return type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type];
}

/** Whether the key a server presented (the SSH wire blob, as ssh2's hostVerifier gets it) is the pinned one. */
export function hostKeyMatches(presented: Buffer, pinned: string): boolean {
    const [type, blob] = pinned.trim().split(/\s+/);
    if (type === undefined || blob === undefined) return false;
    const expected = Buffer.from(blob, "base64");
    if (expected.length === 0 || !expected.equals(presented)) return false;
    // The blob names its own type; the pinned line's type must agree with it.
    const len = presented.length >= 4 ? presented.readUInt32BE(0) : -1;
    return len > 0 && presented.length >= 4 + len && presented.subarray(4, 4 + len).toString() === type;
}

/** OpenSSH's `SHA256:<base64>` fingerprint of a key blob, for messages. */
export function keyFingerprint(blob: Buffer): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const crypto = require("crypto") as typeof import("crypto");
    return `SHA256:${crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** `user@host:port`, and ` via user@bastion:port` through a bastion: where the files are. */
export function targetOf(connection: HostConnection): string {
    const hop = (h: SshHop) => `${h.user}@${h.host}:${h.port}`;
    return connection.bastion === undefined ? hop(connection) : `${hop(connection)} via ${hop(connection.bastion)}`;
}

/**
 * The script that measures the files: one line per file, in order, `<index> <sha256> <mode>`, or
 * `<index> - -` when the path is not a regular file. Reads nothing but the listed paths.
 */
export function readScript(paths: readonly string[]): string {
    const lines = ["set -eu"];
    paths.forEach((p, i) => {
        const q = quote(p);
        lines.push(
            `if [ -f ${q} ]; then h=$(sha256sum < ${q}); m=$(stat -c %a ${q}); echo "${i} \${h%% *} $m"; else echo "${i} - -"; fi`,
        );
    });
    return lines.join("\n") + "\n";
}

/** Reads the output of {@link readScript} for `paths` (in the same order). Throws on anything else. */
export function parseReadOutput(output: string, paths: readonly string[]): HostFileState[] {
    const found = new Map<number, { sha256: string | null; mode: string | null }>();
    for (const line of output.split("\n")) {
        if (line.trim() === "") continue;
        const m = /^(\d+) (?:([0-9a-f]{64}) ([0-7]{3,4})|- -)$/.exec(line.trim());
        if (m === null) throw new Error(`unexpected line from the host: ${JSON.stringify(line.slice(0, 200))}`);
        found.set(Number(m[1]), {
            sha256: m[2] ?? null,
            mode: m[3] === undefined ? null : (normalizeMode(m[3]) ?? null),
        });
    }
    return paths.map((path, i) => {
        const f = found.get(i);
        if (f === undefined) throw new Error(`the host did not report ${path}`);
        return { path, ...f };
    });
}

/** Creates directories (0755 for every level it creates) under umask 022. */
function mkdirLines(dirs: readonly string[]): string[] {
    return dirs.length === 0 ? [] : [`(umask 022; mkdir -p -- ${dirs.map(quote).join(" ")})`];
}

/** The parent directory of an absolute path. */
function parentOf(path: string): string {
    const i = path.replace(/\/+$/, "").lastIndexOf("/");
    return i <= 0 ? "/" : path.slice(0, i);
}

/**
 * The script that writes one file from stdin, atomically: a temporary file in the same directory
 * (created under umask 077, so never readable by others while it is written), its mode set, then
 * renamed over the path. The content never appears in the script.
 */
export function writeScript(path: string, mode: string): string {
    const q = quote(path);
    return (
        [
            "set -eu",
            ...mkdirLines([parentOf(path)]),
            "umask 077",
            `tmp=$(mktemp ${quote(`${path}.airgap-XXXXXX`)})`,
            `trap 'rm -f -- "$tmp"' EXIT`,
            `cat > "$tmp"`,
            `chmod ${mode} "$tmp"`,
            `mv -f -- "$tmp" ${q}`,
            "trap - EXIT",
        ].join("\n") + "\n"
    );
}

/** The script run before writing: the directories a HostFiles declares. `undefined` when there are none. */
export function prepareScript(directories: readonly string[]): string | undefined {
    return directories.length === 0 ? undefined : ["set -eu", ...mkdirLines(directories)].join("\n") + "\n";
}

/**
 * The script that removes files and then directories (deepest first, each only when empty), then
 * runs `onChange`. Used by delete, and by an update for files and directories no longer listed.
 */
export function removeScript(paths: readonly string[], directories: readonly string[], onChange: string): string {
    const byDepth = [...directories].sort((a, b) => b.split("/").length - a.split("/").length || b.localeCompare(a));
    return (
        [
            "set -eu",
            ...(paths.length > 0 ? [`rm -f -- ${paths.map(quote).join(" ")}`] : []),
            ...byDepth.map((d) => `rmdir -- ${quote(d)} 2>/dev/null || true`),
            ...(onChange.trim() !== "" ? [onChange.trim()] : []),
        ].join("\n") + "\n"
    );
}

/** Whether a file as found has the mode and content desired. */
export function fileMatches(found: HostFileState | undefined, desired: HostFileState): boolean {
    return found !== undefined && found.sha256 === desired.sha256 && found.mode === desired.mode;
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
    return JSON.stringify([...(a ?? [])].sort()) === JSON.stringify([...(b ?? [])].sort());
}

/** The connection's credentials and pins, compared as one value (a rotated key is an update, not a no-op). */
function credentials(c: HostConnection | undefined): string {
    if (c === undefined) return "";
    const hop = (h: SshHop) => [
        h.user,
        h.privateKeyPath ?? null,
        h.privateKey ?? null,
        h.hostKey.trim().split(/\s+/).slice(0, 2).join(" "),
    ];
    return JSON.stringify([hop(c), c.bastion === undefined ? null : hop(c.bastion)]);
}

/** What a diff found: the engine's `changes`, `replaces` and `deleteBeforeReplace`. */
export interface HostFilesDiff {
    readonly changes: boolean;
    readonly replaces: string[];
    readonly deleteBeforeReplace: boolean;
}

/**
 * The diff of old outputs (after a refresh: what is on the host) against new inputs. Another
 * target host is a replacement (delete first: the same host under another name must not lose the
 * files the create just wrote); any file whose content or mode differs, a file added or dropped,
 * other directories, another `onChange` or `check`, a check that failed on the last refresh, or
 * other credentials is an update.
 */
export function diffHostFiles(olds: Partial<HostFilesOutputs>, news: HostFilesInputs): HostFilesDiff {
    if (olds.target !== news.target) return { changes: true, replaces: ["target"], deleteBeforeReplace: true };
    // A state from before replaceTriggers existed has no opinion.
    if (
        olds.replaceTriggers !== undefined &&
        JSON.stringify(olds.replaceTriggers) !== JSON.stringify(news.replaceTriggers ?? [])
    ) {
        return { changes: true, replaces: ["replaceTriggers"], deleteBeforeReplace: true };
    }
    const found = new Map((olds.files ?? []).map((f) => [f.path, f]));
    const filesDiffer =
        (olds.files ?? []).length !== news.files.length || news.files.some((f) => !fileMatches(found.get(f.path), f));
    const changes =
        filesDiffer ||
        !sameList(olds.directories, news.directories) ||
        (olds.onChange ?? "") !== news.onChange ||
        (olds.check ?? "") !== news.check ||
        (olds.refreshCheck ?? "") !== (news.refreshCheck ?? "") ||
        JSON.stringify(olds.triggers ?? []) !== JSON.stringify(news.triggers ?? []) ||
        (news.check !== "" && olds.checkPassed !== true) ||
        credentials(olds.connection) !== credentials(news.connection);
    return { changes, replaces: [], deleteBeforeReplace: false };
}

/** What an update does on the host: files to write (content differs or absent) and paths to remove. */
export function planWrites(
    found: readonly HostFileState[],
    desired: readonly HostFileState[],
    previous: readonly string[],
): { write: HostFileState[]; remove: string[] } {
    const byPath = new Map(found.map((f) => [f.path, f]));
    const keep = new Set(desired.map((f) => f.path));
    return {
        write: desired.filter((f) => !fileMatches(byPath.get(f.path), f)),
        remove: previous.filter((p) => !keep.has(p)),
    };
}

// ---------------------------------------------------------------------------------------------
// SSH (ssh2), taken inside the functions.

/** Result of one command on the host. */
interface ExecResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** An open SSH session to the host (through the bastion when there is one). */
interface HostSession {
    exec(script: string, stdin?: string): Promise<ExecResult>;
    close(): void;
}

/** Opens one SSH hop, verifying the pinned host key; `sock` is the channel through the bastion. */
function openHop(hop: SshHop, sock: ClientChannel | undefined): Promise<Client> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client: SshClient } = require("ssh2") as typeof import("ssh2");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require("fs") as typeof import("fs");
    return new Promise((resolve, reject) => {
        let privateKey: string;
        try {
            privateKey = hop.privateKey ?? fs.readFileSync(hop.privateKeyPath as string, "utf8");
        } catch (e) {
            return reject(new Error(`the SSH key of ${hop.host}: ${(e as Error).message}`));
        }
        const client = new SshClient();
        let mismatch: string | undefined;
        const config: ConnectConfig = {
            host: hop.host,
            port: hop.port,
            username: hop.user,
            privateKey,
            readyTimeout: 30_000,
            algorithms: { serverHostKey: hostKeyAlgorithms(hop.hostKey) as Algorithms["serverHostKey"] },
            hostVerifier: (key: Buffer) => {
                if (hostKeyMatches(key, hop.hostKey)) return true;
                mismatch =
                    `the host key of ${hop.host}:${hop.port} (${keyFingerprint(key)}) is not the pinned one ` +
                    `(${keyFingerprint(Buffer.from(hop.hostKey.trim().split(/\s+/)[1] ?? "", "base64"))}): refusing to connect`;
                return false;
            },
        };
        if (sock !== undefined) config.sock = sock;
        client.on("ready", () => resolve(client));
        client.on("error", (e: Error) => {
            client.end();
            reject(new Error(mismatch ?? `ssh ${hop.user}@${hop.host}:${hop.port}: ${e.message}`));
        });
        client.connect(config);
    });
}

/** How long one command on a host may run (a hung `update-ca-certificates`, a full disk) before it fails. */
const execTimeoutMs = 300_000;

/** Runs a script on an open client, with optional stdin; collects its output and exit code. */
function execOn(client: Client, script: string, stdin: string | undefined): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
        client.exec(script, (err, stream) => {
            if (err) return reject(err);
            let stdout = "";
            let stderr = "";
            let code = -1;
            const timer = setTimeout(() => {
                reject(new Error(`a command on the host did not finish within ${execTimeoutMs / 1000} s`));
                stream.close();
            }, execTimeoutMs);
            stream.on("data", (d: Buffer) => (stdout += d.toString()));
            stream.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            stream.on("exit", (c: number | null) => (code = c ?? -1));
            stream.on("close", () => {
                clearTimeout(timer);
                resolve({ code, stdout, stderr });
            });
            stream.on("error", (e: Error) => {
                clearTimeout(timer);
                reject(e);
            });
            if (stdin !== undefined) stream.end(stdin);
            else stream.end();
        });
    });
}

/** An SSH connection shared by the sessions of this provider process that go to the same hop. */
interface SharedConnection {
    readonly client: Promise<Client>;
    users: number;
    idle?: ReturnType<typeof setTimeout>;
    /** Commands running on it now, and those waiting for a channel (a host allows 10 sessions a connection). */
    running: number;
    readonly waiting: Array<() => void>;
}

/**
 * The shared connections of this provider process, one per hop (the bastion, and each host through it): every
 * HostFiles of a host uses that host's one connection (a channel per command), and every host behind a bastion goes
 * through the bastion's one connection (a forwarded channel per host). A refresh of N hosts, however many HostFiles
 * each has, opens N + 1 connections, and a bastion with OpenSSH's default MaxStartups sees one handshake instead of
 * one per resource. Kept on `globalThis`: module state does not survive the provider's serialization.
 */
function connectionPool(): Map<string, SharedConnection> {
    const g = globalThis as { __airgapRegistryConnections?: Map<string, SharedConnection> };
    g.__airgapRegistryConnections ??= new Map();
    return g.__airgapRegistryConnections;
}

/** The pool's key of a hop (and of the way to it): everything that makes it another connection. */
function hopKey(hop: SshHop, via: string): string {
    return JSON.stringify([
        via,
        hop.host,
        hop.port,
        hop.user,
        hop.hostKey,
        hop.privateKeyPath ?? "",
        hop.privateKey ?? "",
    ]);
}

/** Commands that may run at once on one shared connection (OpenSSH's MaxSessions defaults to 10). */
const channelsPerConnection = 6;

/** A taken shared connection: the client, a slot-limited exec, and `release` (closes it once idle 2 s). */
interface TakenConnection {
    readonly client: Client;
    exec(script: string, stdin: string | undefined): Promise<ExecResult>;
    release(): void;
}

/** Takes the shared connection for `key` (opening it with `open` when there is none). */
async function acquireShared(key: string, open: () => Promise<Client>): Promise<TakenConnection> {
    const pool = connectionPool();
    let entry = pool.get(key);
    if (entry === undefined) {
        const opened = open();
        const created: SharedConnection = { client: opened, users: 0, running: 0, waiting: [] };
        entry = created;
        pool.set(key, created);
        const forget = () => {
            if (pool.get(key) === created) pool.delete(key);
        };
        opened.then((c) => c.on("close", forget), forget);
    }
    const shared = entry;
    shared.users++;
    if (shared.idle !== undefined) clearTimeout(shared.idle);
    shared.idle = undefined;
    let client: Client;
    try {
        client = await shared.client;
    } catch (e) {
        shared.users--;
        throw e;
    }
    let released = false;
    return {
        client,
        exec: async (script, stdin) => {
            if (shared.running >= channelsPerConnection) await new Promise<void>((r) => shared.waiting.push(r));
            shared.running++;
            try {
                return await execOn(client, script, stdin);
            } finally {
                shared.running--;
                shared.waiting.shift()?.();
            }
        },
        release: () => {
            if (released) return;
            released = true;
            shared.users--;
            if (shared.users > 0) return;
            shared.idle = setTimeout(() => {
                if (shared.users > 0) return;
                if (pool.get(key) === shared) pool.delete(key);
                client.end();
            }, 2000);
        },
    };
}

/** Opens a forwarded channel from the bastion's connection to the host's SSH port. */
function forwardThrough(bastion: Client, connection: HostConnection): Promise<ClientChannel> {
    return new Promise<ClientChannel>((resolve, reject) =>
        bastion.forwardOut("127.0.0.1", 0, connection.host, connection.port, (err, channel) =>
            err
                ? reject(
                      new Error(
                          `the bastion ${connection.bastion?.host} could not reach ${connection.host}:${connection.port}: ${err.message}`,
                      ),
                  )
                : resolve(channel),
        ),
    );
}

/**
 * Opens a session to the host: the host's shared connection, opened (through the bastion's shared connection when
 * there is one) by the first session that needs it.
 */
async function openSession(connection: HostConnection): Promise<HostSession> {
    const done: Array<() => void> = [];
    const close = () => done.reverse().forEach((f) => f());
    try {
        const bastion = connection.bastion;
        const host = await acquireShared(
            hopKey(connection, bastion === undefined ? "" : hopKey(bastion, "")),
            async () => {
                if (bastion === undefined) return openHop(connection, undefined);
                const through = await acquireShared(hopKey(bastion, ""), () => openHop(bastion, undefined));
                try {
                    const client = await openHop(connection, await forwardThrough(through.client, connection));
                    // The bastion's connection is held as long as the host's is open.
                    client.on("close", () => through.release());
                    return client;
                } catch (e) {
                    through.release();
                    throw e;
                }
            },
        );
        done.push(() => host.release());
        return { exec: (script, stdin) => host.exec(script, stdin), close };
    } catch (e) {
        close();
        throw e;
    }
}

/** Whether an error is worth another try (a dropped connection), not a refusal (host key, login). */
function transient(e: unknown): boolean {
    const m = e instanceof Error ? e.message : String(e);
    return !/not the pinned one|authentication methods failed|All configured authentication/i.test(m);
}

/** Runs `work` in a session to the host; a connection that fails for a transient reason is tried up to 3 times. */
async function withSession<T>(connection: HostConnection, work: (s: HostSession) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
        let session: HostSession;
        try {
            session = await openSession(connection);
        } catch (e) {
            lastError = e;
            if (!transient(e) || attempt === 3) break;
            await new Promise((r) => setTimeout(r, attempt * 1000));
            continue;
        }
        try {
            return await work(session);
        } finally {
            session.close();
        }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

/** Runs a script and requires exit 0; the error shows stderr (scripts never carry a secret in their text). */
async function mustExec(session: HostSession, what: string, script: string, stdin?: string): Promise<string> {
    const r = await session.exec(script, stdin);
    if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.trim().slice(0, 2000)}`);
    return r.stdout;
}

/** Measures the files on the host. */
async function measure(session: HostSession, paths: readonly string[]): Promise<HostFileState[]> {
    if (paths.length === 0) return [];
    return parseReadOutput(await mustExec(session, "reading the files", readScript(paths)), paths);
}

/**
 * Brings the host to the inputs: creates the directories, writes every file that differs, removes
 * `previous` paths no longer listed, runs `onChange` when anything was written or removed (or
 * `always`), and measures again: what it returns is what the host holds. Fails when a written file
 * does not read back as desired.
 */
async function converge(
    session: HostSession,
    inputs: HostFilesInputs,
    previous: { paths: readonly string[]; directories: readonly string[] },
    always: boolean,
): Promise<HostFileState[]> {
    const paths = inputs.files.map((f) => f.path);
    const prepare = prepareScript(inputs.directories);
    if (prepare !== undefined) await mustExec(session, "creating the directories", prepare);
    const plan = planWrites(await measure(session, paths), inputs.files, previous.paths);
    for (const f of plan.write) {
        const content = inputs.contents[f.path];
        if (typeof content !== "string") throw new Error(`no content for ${f.path}`);
        await mustExec(session, `writing ${f.path}`, writeScript(f.path, f.mode ?? "0644"), content);
    }
    const droppedDirs = previous.directories.filter((d) => !inputs.directories.includes(d));
    const changed = plan.write.length > 0 || plan.remove.length > 0;
    if (plan.remove.length > 0 || droppedDirs.length > 0 || (inputs.onChange.trim() !== "" && (changed || always))) {
        await mustExec(
            session,
            "removing files no longer listed / running onChange",
            removeScript(plan.remove, droppedDirs, changed || always ? inputs.onChange : ""),
        );
    }
    const after = await measure(session, paths);
    const wrong = after.filter((f, i) => !fileMatches(f, inputs.files[i]));
    if (wrong.length > 0) {
        throw new Error(`after writing, these files differ on the host: ${wrong.map((f) => f.path).join(", ")}`);
    }
    return after;
}

/** Runs the check: `null` without one, else whether it exited 0 (with its output's last lines). */
async function runCheck(session: HostSession, check: string): Promise<{ passed: boolean | null; report: string }> {
    if (check.trim() === "") return { passed: null, report: "" };
    const r = await session.exec(check);
    return { passed: r.code === 0, report: `${r.stdout}${r.stderr}`.trim().slice(-2000) };
}

/** Runs the check after a write: fails the create or update when it does not pass. */
async function mustPassCheck(session: HostSession, check: string): Promise<boolean | null> {
    const result = await runCheck(session, check);
    if (result.passed === false) throw new Error(`the check failed after writing the files: ${result.report}`);
    return result.passed;
}

/** The outputs: the inputs less the contents, with the files as measured and the check's result. */
function outputsOf(inputs: HostFilesInputs, files: HostFileState[], checkPassed: boolean | null): HostFilesOutputs {
    return {
        connection: inputs.connection,
        target: inputs.target,
        files,
        directories: inputs.directories,
        onChange: inputs.onChange,
        check: inputs.check,
        refreshCheck: inputs.refreshCheck ?? "",
        triggers: inputs.triggers ?? [],
        replaceTriggers: inputs.replaceTriggers ?? [],
        checkPassed,
    };
}

/** A stable ID: the target and the paths (an update keeps the ID it was created with). */
function idOf(inputs: HostFilesInputs): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const crypto = require("crypto") as typeof import("crypto");
    const digest = crypto
        .createHash("sha256")
        .update(JSON.stringify([inputs.target, inputs.files.map((f) => f.path)]))
        .digest("hex");
    return `hostfiles-${digest.slice(0, 16)}`;
}

/** The dynamic provider. */
export const hostFilesProvider: pulumi.dynamic.ResourceProvider = {
    diff(_id: string, olds: HostFilesOutputs, news: HostFilesInputs) {
        return Promise.resolve(diffHostFiles(olds, news));
    },
    async create(inputs: HostFilesInputs) {
        return withSession(inputs.connection, async (s) => {
            const files = await converge(s, inputs, { paths: [], directories: [] }, true);
            return { id: idOf(inputs), outs: outputsOf(inputs, files, await mustPassCheck(s, inputs.check)) };
        });
    },
    async read(id: string, props: HostFilesOutputs) {
        const paths = (props.files ?? []).map((f) => f.path);
        return withSession(props.connection, async (s) => {
            const files = await measure(s, paths);
            const { passed } = await runCheck(s, props.refreshCheck || props.check || "");
            return { id, props: { ...props, files, checkPassed: passed } };
        });
    },
    async update(_id: string, olds: HostFilesOutputs, news: HostFilesInputs) {
        return withSession(news.connection, async (s) => {
            // A check that failed on the refresh runs onChange again even when every file is right (a trust
            // store rebuilt without the anchor is healed by rebuilding it).
            const files = await converge(
                s,
                news,
                { paths: (olds.files ?? []).map((f) => f.path), directories: olds.directories ?? [] },
                olds.checkPassed === false,
            );
            return { outs: outputsOf(news, files, await mustPassCheck(s, news.check)) };
        });
    },
    async delete(_id: string, props: HostFilesOutputs) {
        await withSession(props.connection, (s) =>
            mustExec(
                s,
                "removing the files",
                removeScript(
                    (props.files ?? []).map((f) => f.path),
                    props.directories ?? [],
                    props.onChange ?? "",
                ),
            ),
        );
    },
};
