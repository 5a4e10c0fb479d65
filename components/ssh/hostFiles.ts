/**
 * HostFiles: a set of files on one host that `pulumi refresh` reads back (SHA-256 and mode of each,
 * measured over SSH), so a file changed or deleted by hand shows as an update of exactly this
 * resource, and the next `up` writes it again.
 */

import * as crypto from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { assertValid, fieldPath } from "../validation";
import { hostFilesProvider, HostConnection, HostFileState, normalizeMode, SshHop, targetOf } from "./hostFilesProvider";
import { checkSshHost, expandHome, pinnedHostKey, privateKeyOf, SshEndpointArgs, SshHostArgs } from "./sshHost";

/** One file of a {@link HostFiles}. */
export interface HostFileArgs {
    /** Absolute path on the host. */
    readonly path: string;
    /** The content (text). May be a secret: only its SHA-256 is an output. */
    readonly content: pulumi.Input<string>;
    /** Octal mode. Default `"0644"` (use `"0600"` for keys). */
    readonly mode?: string;
}

/** Arguments of {@link HostFiles}. */
export interface HostFilesArgs {
    /** How to reach the host over SSH (the project's endpoint Args: pinned host key, optional bastion). */
    readonly ssh: SshHostArgs;
    /**
     * The files. Paths are unique; order does not matter for what is written. May be empty when `check` is given:
     * then the resource is a check that a refresh runs again (a client's verified-TLS request).
     */
    readonly files: readonly HostFileArgs[];
    /**
     * Directories created (mode 0755) before the files, and removed on delete (deepest first) when
     * empty. Parents of the files are created anyway; list those that destroy must remove. Default `[]`.
     */
    readonly directories?: readonly string[];
    /**
     * Shell script run on the host after any file was written or removed, and after delete (e.g.
     * `update-ca-certificates`). Public: never put a secret in it. Default `""` (none).
     */
    readonly onChange?: string;
    /**
     * Shell script that checks the host works with the files, e.g. a request over TLS verified by the trust store
     * the files feed. Run after create and update (which fail when it fails) and on every refresh, on the same
     * connection: a refresh records `checkPassed: false` when it fails, and the next up runs `onChange` and the
     * check again. Keep it quick (it runs on every refresh) and public (no secret in it). Default `""` (none).
     */
    readonly check?: string;
    /**
     * What a refresh runs instead of `check`: a quicker form of it (one try, not a wait for a registry that is still
     * starting). Public. Default `""` (the refresh runs `check`).
     */
    readonly refreshCheck?: string;
    /**
     * Public values whose change is an update that runs `onChange` (when anything is written) and the check again,
     * e.g. the digest of the CA a check verifies against. Default `[]`.
     */
    readonly triggers?: readonly pulumi.Input<string>[];
    /**
     * Public values whose change replaces the resource, delete first (its delete runs the old `onChange` with the
     * files gone), for what `onChange` acts on beyond the files: e.g. the anchor name under which it installed a CA
     * in the trust store, which only the old script can remove. Default `[]`.
     */
    readonly replaceTriggers?: readonly string[];
}

/**
 * The alias of a step that was a `command.remote.Command` before it was a HostFiles (same name and parent): an
 * existing stack's Command is replaced by the HostFiles, delete first (give `deleteBeforeReplace: true`), so the
 * Command's delete script (which removes the files) runs before the HostFiles writes them, never after.
 */
export const formerRemoteCommand: readonly pulumi.Alias[] = [{ type: "command:remote:Command" }];

/** Defaults of {@link HostFilesArgs}, in one place. */
export const hostFilesDefaults = {
    mode: "0644",
    directories: [] as readonly string[],
    onChange: "",
    check: "",
    refreshCheck: "",
};

/** An absolute path HostFiles accepts: no `..`, no characters beyond `[A-Za-z0-9._\-/:@+]`. */
function checkHostPath(field: string, value: unknown): string[] {
    if (typeof value !== "string" || !/^\/[A-Za-z0-9._\-/:@+]*[^/]$/.test(value) || value.split("/").includes("..")) {
        return [
            `\`${field}\` must be an absolute path of letters, digits and '.', '_', '-', '/', ':', '@', '+' (no '..', no trailing '/'), got ${JSON.stringify(value)}`,
        ];
    }
    return [];
}

/** Validates the plain arguments of a HostFiles; messages name its fields under `field`. */
export function checkHostFilesArgs(field: string, args: HostFilesArgs): string[] {
    const problems = [...checkSshHost(fieldPath(field, "ssh"), args.ssh)];
    if (args.files === undefined || args.files === null || args.files.length === 0) {
        if ((args.check ?? "").trim() === "")
            problems.push(`\`${fieldPath(field, "files")}\` must list at least one file (or give a \`check\`)`);
        return problems;
    }
    const seen = new Map<string, number>();
    args.files.forEach((f, i) => {
        const at = fieldPath(field, `files[${i}]`);
        problems.push(...checkHostPath(fieldPath(at, "path"), f.path));
        if (f.mode !== undefined && normalizeMode(f.mode) === undefined) {
            problems.push(
                `\`${fieldPath(at, "mode")}\` must be an octal mode such as "0644", got ${JSON.stringify(f.mode)}`,
            );
        }
        const first = seen.get(f.path);
        if (first !== undefined) problems.push(`\`${fieldPath(at, "path")}\` repeats files[${first}]: ${f.path}`);
        else seen.set(f.path, i);
    });
    (args.directories ?? []).forEach((d, i) =>
        problems.push(...checkHostPath(fieldPath(field, `directories[${i}]`), d)),
    );
    return problems;
}

/** SHA-256 (hex) of a file's content, as `sha256sum` on the host computes it. */
export function contentSha256(content: string): string {
    return crypto.createHash("sha256").update(content, "utf8").digest("hex");
}

/** Whether any hop of a host gives its private key itself (then the connection is a secret). */
function hasInlineKey(ssh: SshHostArgs): boolean {
    return ssh.privateKeyPath === undefined || (ssh.bastion !== undefined && ssh.bastion.privateKeyPath === undefined);
}

/**
 * One hop as the provider takes it: a key file by its absolute path (read by the provider when it connects, so
 * neither the state nor the engine's event stream ever holds it), or the key itself.
 */
function hopOf(endpoint: SshEndpointArgs): pulumi.Output<SshHop> {
    const hop = {
        host: endpoint.address,
        port: endpoint.sshPort ?? 22,
        user: endpoint.user ?? "root",
        hostKey: pinnedHostKey(endpoint),
    };
    if (endpoint.privateKeyPath !== undefined) {
        return pulumi.output({ ...hop, privateKeyPath: path.resolve(expandHome(endpoint.privateKeyPath)) });
    }
    return privateKeyOf(endpoint).apply((privateKey) => ({ ...hop, privateKey }));
}

/**
 * The provider's connection for a host; a secret when a hop gives its key itself (not a path). Call after
 * validation.
 */
export function hostFilesConnection(ssh: SshHostArgs): pulumi.Output<HostConnection> {
    const host = hopOf(ssh);
    const bastion = ssh.bastion === undefined ? undefined : hopOf(ssh.bastion);
    const connection = pulumi
        .all([host, bastion])
        .apply(([h, b]): HostConnection => (b === undefined ? h : { ...h, bastion: b }));
    return hasInlineKey(ssh) ? pulumi.secret(connection) : connection;
}

/** The public `user@host:port (via user@bastion:port)` of a host's SSH args. */
export function hostFilesTarget(ssh: SshHostArgs): string {
    const hop = (e: SshEndpointArgs) => ({
        host: e.address,
        port: e.sshPort ?? 22,
        user: e.user ?? "root",
        hostKey: "",
    });
    return targetOf(ssh.bastion === undefined ? hop(ssh) : { ...hop(ssh), bastion: hop(ssh.bastion) });
}

/**
 * Files on one host, owned by the stack. Create and update write them over SSH (atomically, each
 * file's content on stdin, never in a command line); delete removes them. A refresh measures each
 * file's SHA-256 and mode on the host, so `pulumi preview --refresh` shows a file changed or removed
 * by hand as an update of this resource (`files[i].sha256`), and `pulumi up --refresh` writes it again.
 *
 * State: the contents are a secret input and never an output; the outputs carry only paths, modes
 * and SHA-256 digests of the contents (public on purpose: a digest of a key or a bcrypt htpasswd
 * tells nothing usable; do not put a low-entropy secret alone in a file). The SSH key goes by its
 * path (`privateKeyPath`, read by the provider when it connects): nothing secret in the connection.
 * A key given itself (`privateKey`) must be an output for refresh and delete to connect, so the
 * connection is then a secret; note that @pulumi/pulumi's Node SDK writes every resource's outputs,
 * secrets in clear, into a debug event of `pulumi up --json` (the same holds for a
 * @pulumi/command connection), so prefer `privateKeyPath` where `--json` output is kept.
 */
export class HostFiles extends pulumi.dynamic.Resource {
    /** The files as last measured on the host (`sha256`/`mode` are `null` for a missing file). */
    declare public readonly files: pulumi.Output<HostFileState[]>;
    /** `user@host:port` (via the bastion) where the files are. */
    declare public readonly target: pulumi.Output<string>;
    /** Whether `check` passed when last run (create, update or refresh); `null` without a check. */
    declare public readonly checkPassed: pulumi.Output<boolean | null>;
    /** The last check's output (its last 2000 characters; public: checks carry no secret); "" without a check. */
    declare public readonly checkReport: pulumi.Output<string>;

    constructor(name: string, args: HostFilesArgs, opts?: pulumi.CustomResourceOptions) {
        assertValid("HostFiles", checkHostFilesArgs("", args));
        const files = args.files.map((f) => ({
            path: f.path,
            mode: normalizeMode(f.mode ?? hostFilesDefaults.mode) as string,
            // The digest of a secret is public on purpose (see the class doc): the diff shows which file differs.
            sha256: pulumi.unsecret(pulumi.output(f.content).apply(contentSha256)),
        }));
        const contents = pulumi.secret(
            pulumi
                .all(args.files.map((f) => pulumi.output(f.content)))
                .apply((texts) => Object.fromEntries(args.files.map((f, i) => [f.path, texts[i]]))),
        );
        super(
            hostFilesProvider,
            name,
            {
                connection: hostFilesConnection(args.ssh),
                target: hostFilesTarget(args.ssh),
                files,
                contents,
                directories: [...(args.directories ?? hostFilesDefaults.directories)],
                onChange: args.onChange ?? hostFilesDefaults.onChange,
                check: args.check ?? hostFilesDefaults.check,
                refreshCheck: args.refreshCheck ?? hostFilesDefaults.refreshCheck,
                triggers: [...(args.triggers ?? [])],
                replaceTriggers: [...(args.replaceTriggers ?? [])],
                checkPassed: undefined,
                checkReport: undefined,
                // Outputs, filled in by the provider.
            },
            {
                ...opts,
                additionalSecretOutputs: [
                    ...(opts?.additionalSecretOutputs ?? []),
                    ...(hasInlineKey(args.ssh) ? ["connection"] : []),
                    "contents",
                ],
            },
            "airgap-registry",
            "HostFiles",
        );
    }
}
