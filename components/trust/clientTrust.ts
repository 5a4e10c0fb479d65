import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { sha256Of } from "../ssh/fileHash";
import { checkSshHost, sshConnection, SshHostArgs } from "../ssh/sshHost";
import { assertValid, checkIdentifier, checkIp, checkHostname } from "../validation";
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
    /** /etc/hosts entries to add (seed 002). Default `[]` (DNS resolves the registry). */
    readonly hostsEntries?: readonly HostsEntry[];
    /** File name (without `.crt`) of the anchor in the OS trust store. Default `"airgap-registry-ca"`. */
    readonly anchorName?: string;
    /** Check from the client that each endpoint answers 401 over verified TLS. Default `true`. */
    readonly verify?: boolean;
    /** Resources the check waits for (the registry container). Default `[]`. */
    readonly waitFor?: pulumi.Input<pulumi.Resource>[];
}

/** Defaults of {@link ClientTrustArgs}, in one place. */
export const clientTrustDefaults = {
    osFamily: "auto" as OsFamily,
    engines: ["docker"] as readonly TrustEngine[],
    anchorName: "airgap-registry-ca",
    verify: true,
};

/** Validates the plain arguments of a ClientTrust; messages name `field`. */
export function checkClientTrustArgs(
    field: string,
    args: Omit<ClientTrustArgs, "caCertPem" | "endpoints"> & { readonly endpoints?: readonly string[] },
): string[] {
    const problems: Array<string | undefined> = [
        ...checkSshHost(field, args.ssh),
        checkIdentifier(`${field}.name`, args.clientName),
    ];
    if (args.osFamily !== undefined && !["debian", "rhel", "auto"].includes(args.osFamily)) {
        problems.push(`\`${field}.osFamily\` must be "debian", "rhel" or "auto", got ${JSON.stringify(args.osFamily)}`);
    }
    (args.engines ?? []).forEach((e, i) => {
        if (!(e in certsDirRoots)) problems.push(`\`${field}.engines[${i}]\` must be "docker", "podman" or "containerd", got ${JSON.stringify(e)}`);
    });
    if (args.anchorName !== undefined) problems.push(checkIdentifier(`${field}.anchorName`, args.anchorName));
    (args.hostsEntries ?? []).forEach((h, i) => {
        problems.push(checkIp(`${field}.hostsEntries[${i}].ip`, h.ip));
        h.names.forEach((n, j) => problems.push(checkHostname(`${field}.hostsEntries[${i}].names[${j}]`, n)));
    });
    if (args.endpoints !== undefined && args.endpoints.length === 0) problems.push(`\`${field}.endpoints\` is empty`);
    return problems.filter((p): p is string => p !== undefined);
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

    constructor(name: string, args: ClientTrustArgs, opts?: pulumi.ComponentResourceOptions) {
        assertValid("ClientTrust", checkClientTrustArgs(`clients[${args.clientName}]`, args));
        super("airgap-registry:trust:ClientTrust", name, {}, opts);

        const connection = sshConnection(args.ssh);
        const ca = pulumi.output(args.caCertPem);
        const anchor = args.anchorName ?? clientTrustDefaults.anchorName;
        const engines = args.engines ?? clientTrustDefaults.engines;

        const osScripts = osTrustScripts(anchor, args.osFamily ?? clientTrustDefaults.osFamily);
        const installed: pulumi.Resource[] = [
            new command.remote.Command(
                `${name}-os-trust`,
                { connection, create: osScripts.create, delete: osScripts.delete, stdin: ca },
                { parent: this, deleteBeforeReplace: true },
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
                    { connection, create: scripts.create, delete: scripts.delete, stdin: ca },
                    { parent: this, deleteBeforeReplace: true },
                ),
            );
        }
        if ((args.hostsEntries ?? []).length > 0) {
            const scripts = hostsScripts(args.hostsEntries ?? [], `airgap-registry:${anchor}`);
            installed.push(
                new command.remote.Command(
                    `${name}-hosts`,
                    { connection, create: scripts.create, delete: scripts.delete },
                    { parent: this, deleteBeforeReplace: true },
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
        this.registerOutputs({ certsDirs: this.certsDirs, checkReport: this.checkReport });
    }
}
