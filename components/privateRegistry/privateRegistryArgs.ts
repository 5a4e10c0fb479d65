/**
 * The Args of PrivateRegistry (one site: registry host, clients, users, PKI) and their validation, with paths as in
 * the stack config.
 */

import { checkExpiryWarningDays, defaultExpiryWarningDays } from "../pki/expiryWarning";
import { DaemonSettings } from "../host/daemonJson";
import { BundleManifest, filesOfKind, verifyBundle } from "../bundle/manifest";
import {
    CaPlan,
    CaRotationArgs,
    CaState,
    checkCaRotationArgs,
    checkCaRotationOrder,
    SiteCaArgs,
} from "../pki/caRotation";
import { checkCertificateAuthorityArgs } from "../pki/certificateAuthority";
import { KeySpec } from "../pki/keyAlgorithm";
import { checkCertificateSettings } from "../pki/registryCertificate";
import { checkServedNames } from "../registry/registryPopulation";
import { checkUsers, RegistryUserArgs } from "../registry/registryUsers";
import { checkRuntime, CliEngine, RegistryRuntime } from "../registry/runtime";
import { RegistryVersion, resolveRegistryVersion } from "../registry/registryVersion";
import { hostPreparationDefaults } from "../host/hostPreparation";
import { checkSshHost, SshEndpointArgs, SshHostArgs } from "../ssh/sshHost";
import { checkClientTrustSettings } from "../trust/clientTrust";
import { OsFamily, TrustEngine } from "../trust/trustScripts";
import {
    checkFileExists,
    checkHostname,
    checkIdentifier,
    checkIp,
    checkPort,
    checkRemotePath,
    checkUnique,
} from "../validation";

/** Defaults of {@link PrivateRegistryArgs} of its own (the parts' defaults are the parts'). */
export const privateRegistryDefaults = {
    expiryWarningDays: defaultExpiryWarningDays,
} as const;

/** The registry host: how to reach it and the names clients reach the registry by. */
export interface RegistryHostArgs extends SshHostArgs {
    /** DNS names clients use for the registry; the first is the primary endpoint. At least one name or IP. */
    readonly names: readonly string[];
    /** IP addresses clients use for the registry (IP SANs). Default `[]`. */
    readonly ips?: readonly string[];
    /** Published registry port. Default `5000`. */
    readonly port?: number;
    /** Directory on the host for storage, certs, auth and config. Default `"/var/lib/airgap-registry"`. */
    readonly dataDir?: string;
    /** Users added to the host's docker group. Default `[]`. */
    readonly dockerGroupUsers?: readonly string[];
    /** Put SELinux in permissive mode. Default `false`. */
    readonly selinuxPermissive?: boolean;
    /** daemon.json keys merged into the host's file. Default: live-restore and log rotation. */
    readonly daemon?: DaemonSettings;
    /** Remove registry storage on destroy. Default `false` (storage survives destroy). */
    readonly removeDataOnDestroy?: boolean;
}

/** A client host that must trust the registry. */
export interface RegistryClientArgs extends SshHostArgs {
    /** Unique client name; keys the client's resources (re-ordering clients replaces nothing). */
    readonly name: string;
    /** OS family. Default `"auto"`. */
    readonly osFamily?: OsFamily;
    /** Engines whose per-registry directories get the CA (`docker`, `podman`, `containerd`). Default `["docker"]`. */
    readonly engines?: readonly TrustEngine[];
    /** Add `/etc/hosts` entries mapping the registry names to `host.ips[0]`. Default `false`. */
    readonly hostsEntry?: boolean;
}

/** Arguments of {@link PrivateRegistry}. */
export interface PrivateRegistryArgs {
    /** The registry host. */
    readonly host: RegistryHostArgs;
    /** Clients that get the CA. Default `[]`. */
    readonly clients?: readonly RegistryClientArgs[];
    /** Registry users; at least one. */
    readonly users: readonly RegistryUserArgs[];
    /** Jump host for every host that has no `bastion` of its own. Default: none. */
    readonly bastion?: SshEndpointArgs;
    /**
     * OpenSSH known_hosts file for every host (and bastion) that has neither `hostKey` nor
     * `knownHostsPath` of its own: each connection verifies the host's key from it. Default: none
     * (then every host needs its own).
     */
    readonly knownHostsPath?: string;
    /** The CA: generated (default: RSA 4096, 10 years) or `existing`, with an optional `id` (default `"ca"`). */
    readonly ca?: SiteCaArgs;
    /**
     * A CA rotation in progress: the next CA and the step (`trust-next`, then `serve-next`; then move `next` to `ca`
     * and remove this). Default: none.
     */
    readonly caRotation?: CaRotationArgs;
    /**
     * What the last completed up left (this component's `caState` output, as the stack exported it; a program reads
     * it back with a StackReference to its own stack). Given, a CA change that would cut clients off (a rotation step
     * skipped, a CA replaced in one up) is refused before anything is created. Default: none (no order check).
     */
    readonly previousCaState?: CaState;
    /** Server certificate settings (default: RSA 2048, 1 year, re-issued 30 days before expiry). */
    readonly certificate?: KeySpec & {
        readonly validityHours?: number;
        readonly earlyRenewalHours?: number;
        readonly organization?: string;
    };
    /**
     * Registry image reference. Default `"registry:3"` (distribution 3.x; 2.8 is end of life). A stack that relied on
     * the former default `registry:2` pins `registryImage: "registry:2"` or carries registry:3 in and upgrades in
     * place (the registry container is replaced; storage is kept).
     */
    readonly registryImage?: string;
    /**
     * The distribution registry version of the registry image (`registryImage`, or the bundle's): `"2"` (2.8) or
     * `"3"` (3.x). Default: what the image's tag says (`registry:2`, `…:2.8.3` → `"2"`; `registry:3`, `…:3.1.2` →
     * `"3"`); required when the tag says nothing (`:latest`, a digest only, no tag). A change replaces the registry
     * container (the config is mounted where that version reads it); storage is kept.
     */
    readonly registryVersion?: RegistryVersion;
    /**
     * `docker save` tarball of the registry image on the operator's machine. Default: none (image already on the
     * host).
     */
    readonly registryImageArchive?: string;
    /** Container runtime. Default `"docker-provider"`. */
    readonly runtime?: RegistryRuntime;
    /** Engine CLI of the `cli` runtime. Default `"docker"`. */
    readonly cliEngine?: CliEngine;
    /** Container health check (needs wget in the image). Default `true`. */
    readonly healthcheck?: boolean;
    /** Check from each client that the registry answers 401 over verified TLS. Default `true`. */
    readonly verifyClients?: boolean;
    /**
     * A carry-in bundle directory written by `npm run bundle` (registry image, engine packages,
     * images to serve, a storage archive, manifest.json). Checked against its manifest before
     * anything is created; replaces `registryImage`/`registryImageArchive`. Default: none.
     */
    readonly bundlePath?: string;
    /**
     * Warn (a diagnostic in every preview and up, not an error) when the CA or the server
     * certificate expires within this many days. Default `30`.
     */
    readonly expiryWarningDays?: number;
}

/** A site CA's settings without its `id` (the CertificateAuthority's own Args). */
export function withoutId(ca: SiteCaArgs): Omit<SiteCaArgs, "id"> {
    if (ca === null || typeof ca !== "object") return ca;
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { id, ...settings } = ca;
    return settings;
}

/** The CAs of this up: the current `ca` and, during a rotation, the next one. */
export function caPlan(args: Pick<PrivateRegistryArgs, "ca" | "caRotation">): CaPlan {
    const current = args.ca ?? {};
    return args.caRotation === undefined
        ? { step: "none", current }
        : { step: args.caRotation.step, current, next: args.caRotation.next };
}

function withKnownHosts<T extends SshEndpointArgs>(endpoint: T, knownHostsPath: string | undefined): T {
    return knownHostsPath !== undefined && endpoint.hostKey === undefined && endpoint.knownHostsPath === undefined
        ? { ...endpoint, knownHostsPath }
        : endpoint;
}

/** A host with the stack-wide bastion and known_hosts file applied where it has none of its own. */
export function siteHost<T extends SshHostArgs>(
    host: T,
    args: Pick<PrivateRegistryArgs, "bastion" | "knownHostsPath">,
): T {
    const bastion = host.bastion ?? args.bastion;
    const out = withKnownHosts(host, args.knownHostsPath);
    return bastion === undefined ? out : { ...out, bastion: withKnownHosts(bastion, args.knownHostsPath) };
}

/**
 * Validates a site's clients: each an object whose SSH host (with the stack-wide bastion and known_hosts applied),
 * name and trust settings are valid, names unique. `hostsEntryNeeds` is what a client's `hostsEntry: true` lacks
 * (the field and why), or undefined when the site has it. Pure (reads only the existence of key files).
 */
export function checkSiteClients(
    args: Pick<PrivateRegistryArgs, "bastion" | "knownHostsPath"> & {
        readonly clients?: readonly RegistryClientArgs[];
    },
    hostsEntryNeeds: string | undefined,
): string[] {
    const problems: string[] = [];
    const clients = args.clients ?? [];
    clients.forEach((c, i) => {
        if (c === undefined || c === null || typeof c !== "object") {
            problems.push(`\`clients[${i}]\` must be an object`);
            return;
        }
        problems.push(
            ...checkSshHost(`clients[${i}]`, siteHost(c, args)),
            ...checkIdentifier(`clients[${i}].name`, c.name),
            ...checkClientTrustSettings(`clients[${i}]`, c),
        );
        if (c.hostsEntry === true && hostsEntryNeeds !== undefined)
            problems.push(`\`clients[${i}].hostsEntry\` needs ${hostsEntryNeeds}`);
    });
    problems.push(
        ...checkUnique(
            "clients",
            clients.map((c) => c?.name),
            "name",
        ),
    );
    return problems;
}

/**
 * Validates everything plain in PrivateRegistryArgs at once, naming fields as the stack config
 * does (`host.address`, `clients[2].name`, `certificate.validityHours`). Pure (reads only the
 * existence of key and archive files).
 */
export function checkPrivateRegistryArgs(
    args: PrivateRegistryArgs,
    bundleCheck?: ReturnType<typeof verifyBundle>,
): string[] {
    if (args === undefined || args === null || typeof args !== "object") return ["arguments are required"];
    const problems: string[] = [];
    const host = args.host;
    if (host === undefined || typeof host !== "object") {
        problems.push("`host` is required");
    } else {
        problems.push(...checkSshHost("host", siteHost(host, args)));
        const names = Array.isArray(host.names) ? host.names : [];
        const ips = host.ips ?? [];
        if (names.length + ips.length === 0)
            problems.push("`host.names` and `host.ips` are both empty: clients need a name or IP for the registry");
        names.forEach((n, i) => problems.push(...checkHostname(`host.names[${i}]`, n)));
        ips.forEach((ip, i) => problems.push(...checkIp(`host.ips[${i}]`, ip)));
        if (host.port !== undefined) problems.push(...checkPort("host.port", host.port));
        if (host.dataDir !== undefined) problems.push(...checkRemotePath("host.dataDir", host.dataDir));
        (host.dockerGroupUsers ?? []).forEach((u, i) =>
            problems.push(...checkIdentifier(`host.dockerGroupUsers[${i}]`, u)),
        );
        problems.push(...checkRuntime("", args, siteHost(host, args), "host"));
    }
    problems.push(...checkUsers("users", args.users));
    problems.push(
        ...checkSiteClients(
            args,
            (host?.ips ?? []).length > 0
                ? undefined
                : "`host.ips`: the /etc/hosts entry maps the registry names to host.ips[0]",
        ),
    );
    problems.push(...checkCertificateAuthorityArgs("ca", withoutId(args.ca ?? {})));
    const rotationProblems = checkCaRotationArgs("caRotation", args.caRotation, args.ca ?? {});
    problems.push(...rotationProblems);
    if (args.caRotation?.next !== undefined && typeof args.caRotation.next === "object")
        problems.push(...checkCertificateAuthorityArgs("caRotation.next", withoutId(args.caRotation.next)));
    if (rotationProblems.length === 0) problems.push(...checkCaRotationOrder(args.previousCaState, caPlan(args)));
    problems.push(...checkCertificateSettings("certificate", args.certificate ?? {}));
    problems.push(...checkExpiryWarningDays(args.expiryWarningDays));
    if (args.registryImageArchive !== undefined)
        problems.push(...checkFileExists("registryImageArchive", args.registryImageArchive));
    if (args.bundlePath !== undefined) {
        if (args.registryImageArchive !== undefined || args.registryImage !== undefined) {
            problems.push(
                "`bundlePath` and `registryImage`/`registryImageArchive` are mutually exclusive: the bundle carries the registry image",
            );
        }
        const checked = bundleCheck ?? verifyBundle(args.bundlePath, "bundlePath");
        problems.push(...checked.problems);
        if (checked.manifest !== undefined) problems.push(...siteRegistryImage(args, checked.manifest).problems);
        if (checked.manifest !== undefined) {
            const images = filesOfKind(checked.manifest, "image");
            problems.push(
                ...checkServedNames(
                    images.map((f) => f.ref ?? ""),
                    (i) => `\`bundlePath\`: ${images[i].path} holds`,
                ),
            );
        }
    } else {
        problems.push(...siteRegistryImage(args).problems);
    }
    return problems;
}

/**
 * The registry image of a site (the bundle's, else `registryImage`, else the default) and the distribution version
 * it runs (`registryVersion`, else what the image's tag says); `problems` name `registryVersion` and where the
 * image came from. Pure.
 */
export function siteRegistryImage(
    args: Pick<PrivateRegistryArgs, "registryImage" | "registryVersion">,
    manifest?: BundleManifest,
): { image: string; version?: RegistryVersion; problems: string[] } {
    const fromBundle = manifest === undefined ? undefined : filesOfKind(manifest, "registry-image")[0]?.ref;
    const [image, imageField] =
        fromBundle !== undefined && fromBundle !== ""
            ? [fromBundle, "the registry image of `bundlePath`"]
            : args.registryImage !== undefined
              ? [args.registryImage, "`registryImage`"]
              : [hostPreparationDefaults.registryImage, "the default `registryImage`"];
    return { image, ...resolveRegistryVersion("registryVersion", args.registryVersion, imageField, image) };
}
