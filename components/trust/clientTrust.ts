/** ClientTrust: one client made to trust the registry (OS trust store, per-engine certs.d, /etc/hosts, the check). */

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { sha256Of } from "../ssh/fileHash";
import { checkSshHost, sshConnection, SshHostArgs } from "../ssh/sshHost";
import { assertValid, checkIdentifier, checkIp, checkHostname, fieldPath } from "../validation";
import {
    certsDirEntries,
    certsDirRoots,
    certsDirScripts,
    HostsEntry,
    hostsScripts,
    OsFamily,
    osTrustScripts,
    trustCheckScript,
    TrustEngine,
} from "./trustScripts";

/** Arguments of {@link ClientTrust}. */
export interface ClientTrustArgs {
    /** How to reach the client over SSH. */
    readonly ssh: SshHostArgs;
    /** The client's name, used in messages and resource names. */
    readonly clientName: string;
    /** The CA certificate to trust, PEM. */
    readonly caCertPem: pulumi.Input<string>;
    /** Every `host:port` the registry answers to; each gets a certs.d directory and a check. */
    readonly endpoints: readonly string[];
    /** OS family of the client. Default `"auto"` (read /etc/os-release). */
    readonly osFamily?: OsFamily;
    /**
     * Engines whose per-registry directories get the CA. Default `["docker"]`; add `"podman"`
     * for podman clients and `"containerd"` for Kubernetes nodes (CRI with `config_path`).
     */
    readonly engines?: readonly TrustEngine[];
    /** /etc/hosts entries to add. Default `[]` (DNS resolves the registry). */
    readonly hostsEntries?: readonly HostsEntry[];
    /** File name (without `.crt`) of the anchor in the OS trust store. Default `"airgap-registry-ca"`. */
    readonly anchorName?: string;
    /** Check from the client that each endpoint answers 401 over verified TLS. Default `true`. */
    readonly verify?: boolean;
    /** Resources the check waits for (the registry container). Default `[]`. */
    readonly waitFor?: pulumi.Input<pulumi.Resource>[];
    /**
     * Resources the steps that write this client's files (OS store, certs.d, /etc/hosts) wait for. PrivateRegistry
     * passes its registry outside a CA rotation's serve-next, so a client is changed only once the registry serves
     * (and not at all when the registry's host failed), and the registry's steps do not queue behind every client's
     * for the engine's `--parallel` slots. Default `[]`.
     */
    readonly filesAfter?: pulumi.Input<pulumi.Resource>[];
}

/** Defaults of {@link ClientTrustArgs}, in one place. */
export const clientTrustDefaults = {
    osFamily: "auto" as OsFamily,
    engines: ["docker"] as readonly TrustEngine[],
    anchorName: "airgap-registry-ca",
    verify: true,
};

/** The settings of a client's trust that PrivateRegistry passes through as they are. */
export type ClientTrustSettings = Pick<ClientTrustArgs, "osFamily" | "engines" | "anchorName" | "hostsEntries">;

/** Validates a client's trust settings; messages name them under `field`. */
export function checkClientTrustSettings(field: string, settings: ClientTrustSettings): string[] {
    const problems: string[] = [];
    if (settings.osFamily !== undefined && !["debian", "rhel", "auto"].includes(settings.osFamily)) {
        problems.push(
            `\`${fieldPath(field, "osFamily")}\` must be "debian", "rhel" or "auto", got ${JSON.stringify(settings.osFamily)}`,
        );
    }
    (settings.engines ?? []).forEach((e, i) => {
        if (!(e in certsDirRoots)) {
            problems.push(
                `\`${fieldPath(field, `engines[${i}]`)}\` must be "docker", "podman" or "containerd", got ${JSON.stringify(e)}`,
            );
        }
    });
    if (settings.anchorName !== undefined)
        problems.push(...checkIdentifier(fieldPath(field, "anchorName"), settings.anchorName));
    (settings.hostsEntries ?? []).forEach((h, i) => {
        problems.push(...checkIp(fieldPath(field, `hostsEntries[${i}].ip`), h.ip));
        h.names.forEach((n, j) =>
            problems.push(...checkHostname(fieldPath(field, `hostsEntries[${i}].names[${j}]`), n)),
        );
    });
    return problems;
}

/**
 * Validates the plain arguments of a ClientTrust; messages name its fields under `field` (`ssh.address`,
 * `clientName`).
 */
export function checkClientTrustArgs(field: string, args: Omit<ClientTrustArgs, "caCertPem">): string[] {
    return [
        ...checkSshHost(fieldPath(field, "ssh"), args.ssh),
        ...checkIdentifier(fieldPath(field, "clientName"), args.clientName),
        ...checkClientTrustSettings(field, args),
        ...(args.endpoints.length === 0 ? [`\`${fieldPath(field, "endpoints")}\` is empty`] : []),
    ];
}

/** A resource-name-safe form of an endpoint (`registry.lab:5000` -> `registry.lab-5000`). */
export function endpointKey(endpoint: string): string {
    return endpoint.replace(/[[\]]/g, "").replace(/:/g, "-");
}

/**
 * Makes one client trust the registry: the CA into `/etc/docker/certs.d/<host:port>/ca.crt`
 * (one child per endpoint, so adding a name only adds a child), the OS trust store (Debian or
 * RHEL family), optional /etc/hosts entries, and a check from the client that every endpoint
 * answers 401 over TLS verified by the system trust store. Destroy removes exactly these.
 */
export class ClientTrust extends pulumi.ComponentResource {
    /** The certs.d directories written on the client. */
    public readonly certsDirs: pulumi.Output<string[]>;
    /** The check's report (one line per endpoint), or "" when `verify` is false. */
    public readonly checkReport: pulumi.Output<string>;
    /**
     * The steps that write this client's trust files (OS store, certs.d, /etc/hosts entries): what a registry that
     * starts serving a new CA waits for (PrivateRegistry does during serve-next).
     */
    public readonly fileSteps: readonly command.remote.Command[];

    constructor(name: string, args: ClientTrustArgs, opts?: pulumi.ComponentResourceOptions) {
        assertValid("ClientTrust", checkClientTrustArgs("", args));
        super("airgap-registry:trust:ClientTrust", name, {}, opts);

        const connection = sshConnection(args.ssh);
        const ca = pulumi.output(args.caCertPem);
        const anchor = args.anchorName ?? clientTrustDefaults.anchorName;
        const engines = args.engines ?? clientTrustDefaults.engines;

        // Where a step writes (anchor name, OS family, engines) is a trigger: another place is a
        // replacement whose old delete removes what was written before, then the new create runs.
        const osFamily = args.osFamily ?? clientTrustDefaults.osFamily;
        const osScripts = osTrustScripts(anchor, osFamily);
        const filesAfter = pulumi.output(args.filesAfter ?? []);
        const installed: command.remote.Command[] = [
            new command.remote.Command(
                `${name}-os-trust`,
                {
                    connection,
                    create: osScripts.create,
                    delete: osScripts.delete,
                    stdin: ca,
                    triggers: [anchor, osFamily],
                },
                { parent: this, deleteBeforeReplace: true, dependsOn: filesAfter },
            ),
        ];
        const dirs: string[] = [];
        for (const endpoint of args.endpoints) {
            const entries = certsDirEntries(endpoint, engines);
            dirs.push(...entries.map((e) => e.dir));
            const scripts = certsDirScripts(entries);
            installed.push(
                new command.remote.Command(
                    `${name}-certs-d-${endpointKey(endpoint)}`,
                    {
                        connection,
                        create: scripts.create,
                        delete: scripts.delete,
                        stdin: ca,
                        triggers: [engines.join(",")],
                    },
                    { parent: this, deleteBeforeReplace: true, dependsOn: filesAfter },
                ),
            );
        }
        if ((args.hostsEntries ?? []).length > 0) {
            const scripts = hostsScripts(args.hostsEntries ?? [], `airgap-registry:${anchor}`);
            installed.push(
                new command.remote.Command(
                    `${name}-hosts`,
                    { connection, create: scripts.create, delete: scripts.delete },
                    { parent: this, deleteBeforeReplace: true, dependsOn: filesAfter },
                ),
            );
        }

        let report: pulumi.Output<string> = pulumi.output("");
        if (args.verify ?? clientTrustDefaults.verify) {
            const check = new command.remote.Command(
                `${name}-check`,
                {
                    connection,
                    create: trustCheckScript(args.clientName, args.endpoints),
                    triggers: [ca.apply((pem) => sha256Of(pem))],
                },
                { parent: this, dependsOn: pulumi.output(args.waitFor ?? []).apply((w) => [...installed, ...w]) },
            );
            report = check.stdout;
        }

        this.certsDirs = pulumi.output(dirs);
        this.checkReport = report;
        this.fileSteps = installed;
        this.registerOutputs({
            certsDirs: this.certsDirs,
            checkReport: this.checkReport,
        });
    }
}
