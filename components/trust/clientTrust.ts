/** ClientTrust: one client made to trust the registry (OS trust store, per-engine certs.d, /etc/hosts, the check). */

import * as pulumi from "@pulumi/pulumi";
import { sha256Of } from "../ssh/fileHash";
import { formerRemoteCommand, HostFiles } from "../ssh/hostFiles";
import { checkSshHost, SshHostArgs } from "../ssh/sshHost";
import { assertValid, checkIdentifier, checkIp, checkHostname, fieldPath } from "../validation";
import {
    certsDirEntries,
    certsDirFiles,
    certsDirRoots,
    HostsEntry,
    hostsApplyScript,
    hostsCheckScript,
    hostsFragment,
    hostsFragmentPath,
    OsFamily,
    osTrustApplyScript,
    osTrustCheckScript,
    stagedBundlePath,
    trustCheckScript,
    TrustEngine,
    trustStateDir,
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
 * Makes one client trust the registry, as files a refresh reads back (each a {@link HostFiles}, so a file changed
 * or removed by hand shows in `pulumi preview --refresh` as an update of exactly that step, and `up` writes it
 * again):
 * - `<name>-os-trust`: the CA bundle at `/etc/airgap-registry/<anchor>.pem`, from which the OS trust store's
 *   anchors are made (one file a certificate, Debian or RHEL family); its check, run on every refresh, finds an
 *   anchor missing or different, and the update rebuilds the store;
 * - `<name>-certs-d-<endpoint>`: `<root>/<host:port>/ca.crt` for each engine (containerd's `hosts.toml` too), one
 *   step per endpoint, so adding a name only adds a step;
 * - `<name>-hosts` (with `hostsEntries`): the lines at `/etc/airgap-registry/<anchor>.hosts`, merged into
 *   /etc/hosts (tagged), checked there on every refresh;
 * - `<name>-check` (with `verify`): from the client, every endpoint answers 401 over TLS verified by the system
 *   trust store; run again on every refresh (one try), so a client that stopped trusting the registry shows even
 *   when its files look right.
 * Destroy removes exactly these, and the anchors and lines made from them.
 */
export class ClientTrust extends pulumi.ComponentResource {
    /** The certs.d directories written on the client. */
    public readonly certsDirs: pulumi.Output<string[]>;
    /** Whether the check passed when last run (up or refresh); `null` when `verify` is false. */
    public readonly checkPassed: pulumi.Output<boolean | null>;
    /** The check's report (one line per endpoint) when last run, or "" when `verify` is false. */
    public readonly checkReport: pulumi.Output<string>;
    /**
     * The steps that write this client's trust files (OS store, certs.d, /etc/hosts entries): what a registry that
     * starts serving a new CA waits for (PrivateRegistry does during serve-next).
     */
    public readonly fileSteps: readonly HostFiles[];

    constructor(name: string, args: ClientTrustArgs, opts?: pulumi.ComponentResourceOptions) {
        assertValid("ClientTrust", checkClientTrustArgs("", args));
        super("airgap-registry:trust:ClientTrust", name, {}, opts);

        const ca = pulumi.output(args.caCertPem);
        const anchor = args.anchorName ?? clientTrustDefaults.anchorName;
        const engines = args.engines ?? clientTrustDefaults.engines;
        const osFamily = args.osFamily ?? clientTrustDefaults.osFamily;
        const filesAfter = pulumi.output(args.filesAfter ?? []);
        // Another engine list or endpoint is an update (HostFiles removes the files no longer listed); another anchor
        // name or OS family replaces the step, delete first, so the old onChange removes what the old name installed.
        const step = {
            parent: this,
            deleteBeforeReplace: true,
            aliases: [...formerRemoteCommand],
            dependsOn: filesAfter,
        };

        const installed: HostFiles[] = [
            new HostFiles(
                `${name}-os-trust`,
                {
                    ssh: args.ssh,
                    files: [{ path: stagedBundlePath(anchor), content: ca }],
                    directories: [trustStateDir],
                    onChange: osTrustApplyScript(anchor, osFamily),
                    check: osTrustCheckScript(anchor, osFamily),
                    replaceTriggers: [anchor, osFamily],
                },
                step,
            ),
        ];
        const dirs: string[] = [];
        for (const endpoint of args.endpoints) {
            const entries = certsDirEntries(endpoint, engines);
            dirs.push(...entries.map((e) => e.dir));
            installed.push(
                new HostFiles(
                    `${name}-certs-d-${endpointKey(endpoint)}`,
                    { ssh: args.ssh, files: certsDirFiles(entries, ca), directories: entries.map((e) => e.dir) },
                    step,
                ),
            );
        }
        if ((args.hostsEntries ?? []).length > 0) {
            const marker = `airgap-registry:${anchor}`;
            const fragment = hostsFragmentPath(anchor);
            installed.push(
                new HostFiles(
                    `${name}-hosts`,
                    {
                        ssh: args.ssh,
                        files: [{ path: fragment, content: hostsFragment(args.hostsEntries ?? [], marker) }],
                        directories: [trustStateDir],
                        onChange: hostsApplyScript(fragment, marker),
                        check: hostsCheckScript(fragment),
                        replaceTriggers: [marker],
                    },
                    step,
                ),
            );
        }

        let checkPassed: pulumi.Output<boolean | null> = pulumi.output(null);
        let checkReport: pulumi.Output<string> = pulumi.output("");
        if (args.verify ?? clientTrustDefaults.verify) {
            const check = new HostFiles(
                `${name}-check`,
                {
                    ssh: args.ssh,
                    files: [],
                    check: trustCheckScript(args.clientName, args.endpoints),
                    refreshCheck: trustCheckScript(args.clientName, args.endpoints, 1),
                    triggers: [ca.apply((pem) => sha256Of(pem))],
                },
                {
                    parent: this,
                    deleteBeforeReplace: true,
                    aliases: [...formerRemoteCommand],
                    dependsOn: pulumi.output(args.waitFor ?? []).apply((w) => [...installed, ...w]),
                },
            );
            checkPassed = check.checkPassed;
            checkReport = check.checkReport;
        }

        this.certsDirs = pulumi.output(dirs);
        this.checkPassed = checkPassed;
        this.checkReport = checkReport;
        this.fileSteps = installed;
        this.registerOutputs({
            certsDirs: this.certsDirs,
            checkPassed: this.checkPassed,
            checkReport: this.checkReport,
        });
    }
}
