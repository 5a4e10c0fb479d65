import * as pulumi from "@pulumi/pulumi";
import { DaemonSettings } from "../host/daemonJson";
import { EnginePackagesArgs, HostPreparation, hostPreparationDefaults } from "../host/hostPreparation";
import { BundleManifest, filesOfKind, verifyBundle } from "../bundle/manifest";
import { ImageArchiveArgs, RegistryPopulation } from "../registry/registryPopulation";
import * as path from "path";
import { sha256Of } from "../ssh/fileHash";
import { checkSshHost, SshEndpointArgs, SshHostArgs } from "../ssh/sshHost";
import { CertificateAuthority, CertificateAuthorityArgs, checkCertificateAuthorityArgs } from "../pki/certificateAuthority";
import { checkCertificateSettings, RegistryCertificate } from "../pki/registryCertificate";
import { KeySpec } from "../pki/keyAlgorithm";
import { registryEndpoints } from "../pki/sans";
import {
    checkRuntime,
    checkUsers,
    RegistryContainer,
    RegistryCredential,
    registryContainerDefaults,
    RegistryRuntime,
    RegistryUserArgs,
} from "../registry/registryContainer";
import { checkClientTrustArgs, ClientTrust } from "../trust/clientTrust";
import { OsFamily, TrustEngine } from "../trust/trustScripts";
import { assertValid, checkFileExists, checkHostname, checkIp, checkPort, checkRemotePath, checkUnique } from "../validation";

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
    /** Add `/etc/hosts` entries mapping the registry names to `host.ips[0]` (seed 002). Default `false`. */
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
    /** The CA: generated (default: RSA 4096, 10 years) or `existing`. */
    readonly ca?: CertificateAuthorityArgs;
    /** Server certificate settings (default: RSA 2048, 1 year, re-issued 30 days before expiry). */
    readonly certificate?: KeySpec & { readonly validityHours?: number; readonly earlyRenewalHours?: number; readonly organization?: string };
    /** Registry image reference. Default `"registry:2"`. */
    readonly registryImage?: string;
    /** `docker save` tarball of the registry image on the operator's machine. Default: none (image already on the host). */
    readonly registryImageArchive?: string;
    /** Container runtime. Default `"docker-provider"`. */
    readonly runtime?: RegistryRuntime;
    /** Engine CLI of the `cli` runtime. Default `"docker"`. */
    readonly cliEngine?: "docker" | "podman";
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
}

/** What PrivateRegistry takes from a verified bundle. Pure. */
export function bundleContents(dir: string, manifest: BundleManifest): {
    registryImage?: { path: string; ref: string };
    enginePackages?: EnginePackagesArgs;
    images: ImageArchiveArgs[];
    storageArchive?: string;
} {
    const registry = filesOfKind(manifest, "registry-image")[0];
    const packages = filesOfKind(manifest, "engine-package");
    const storage = filesOfKind(manifest, "storage")[0];
    return {
        registryImage: registry && registry.ref ? { path: path.join(dir, registry.path), ref: registry.ref } : undefined,
        enginePackages: packages.length > 0
            ? {
                dir: path.join(dir, path.dirname(packages[0].path)),
                format: packages[0].format ?? "deb",
                contentHash: sha256Of(...packages.map((p) => p.sha256)),
                ...(manifest.install ? { packages: manifest.install } : {}),
            }
            : undefined,
        images: filesOfKind(manifest, "image").filter((f) => f.ref).map((f) => ({ path: path.join(dir, f.path), ref: f.ref as string, sha256: f.sha256 })),
        storageArchive: storage ? path.join(dir, storage.path) : undefined,
    };
}

function withKnownHosts<T extends SshEndpointArgs>(endpoint: T, knownHostsPath: string | undefined): T {
    return knownHostsPath !== undefined && endpoint.hostKey === undefined && endpoint.knownHostsPath === undefined
        ? { ...endpoint, knownHostsPath }
        : endpoint;
}

/** A host with the stack-wide bastion and known_hosts file applied where it has none of its own. */
function siteHost<T extends SshHostArgs>(host: T, args: Pick<PrivateRegistryArgs, "bastion" | "knownHostsPath">): T {
    const bastion = host.bastion ?? args.bastion;
    const out = withKnownHosts(host, args.knownHostsPath);
    return bastion === undefined ? out : { ...out, bastion: withKnownHosts(bastion, args.knownHostsPath) };
}

/**
 * Validates everything plain in PrivateRegistryArgs at once, naming fields as the stack config
 * does (`host.address`, `clients[2].name`, `certificate.validityHours`). Pure (reads only the
 * existence of key and archive files).
 */
export function checkPrivateRegistryArgs(args: PrivateRegistryArgs, bundleCheck?: ReturnType<typeof verifyBundle>): string[] {
    if (args === undefined || args === null || typeof args !== "object") return ["arguments are required"];
    const problems: Array<string | undefined> = [];
    const host = args.host;
    if (host === undefined || typeof host !== "object") {
        problems.push("`host` is required");
    } else {
        problems.push(...checkSshHost("host", siteHost(host, args)));
        const names = Array.isArray(host.names) ? host.names : [];
        const ips = host.ips ?? [];
        if (names.length + ips.length === 0) problems.push("`host.names` and `host.ips` are both empty: clients need a name or IP for the registry");
        names.forEach((n, i) => problems.push(checkHostname(`host.names[${i}]`, n)));
        ips.forEach((ip, i) => problems.push(checkIp(`host.ips[${i}]`, ip)));
        if (host.port !== undefined) problems.push(checkPort("host.port", host.port));
        if (host.dataDir !== undefined) problems.push(checkRemotePath("host.dataDir", host.dataDir));
        problems.push(...checkRuntime("", args.runtime, args.cliEngine, siteHost(host, args), "host"));
    }
    problems.push(...checkUsers("users", args.users));
    const clients = args.clients ?? [];
    clients.forEach((c, i) => {
        if (c === undefined || c === null || typeof c !== "object") {
            problems.push(`\`clients[${i}]\` must be an object`);
            return;
        }
        problems.push(
            ...checkClientTrustArgs(`clients[${i}]`, {
                ssh: siteHost(c, args),
                clientName: c.name,
                osFamily: c.osFamily,
                engines: c.engines,
            }),
        );
        if (c.hostsEntry === true && (host?.ips ?? []).length === 0) {
            problems.push(`\`clients[${i}].hostsEntry\` needs \`host.ips\`: the /etc/hosts entry maps the registry names to host.ips[0]`);
        }
    });
    problems.push(...checkUnique("clients", clients.map((c) => c?.name)).map((p) => p.replace(/`clients\[(\d+)\]`/g, "`clients[$1].name`")));
    problems.push(...checkCertificateAuthorityArgs("ca", args.ca ?? {}));
    problems.push(...checkCertificateSettings("certificate", args.certificate ?? {}));
    if (args.registryImageArchive !== undefined) problems.push(checkFileExists("registryImageArchive", args.registryImageArchive));
    if (args.bundlePath !== undefined) {
        if (args.registryImageArchive !== undefined || args.registryImage !== undefined) {
            problems.push("`bundlePath` and `registryImage`/`registryImageArchive` are mutually exclusive: the bundle carries the registry image");
        }
        problems.push(...(bundleCheck ?? verifyBundle(args.bundlePath, "bundlePath")).problems);
    }
    return problems.filter((p): p is string => p !== undefined);
}

/**
 * A private registry inside an air-gapped network, trusted by its clients: a CA, the registry's
 * server certificate, the prepared host, the registry container and one ClientTrust per client,
 * each a child of this component. Outputs are the stack-output contract.
 */
export class PrivateRegistry extends pulumi.ComponentResource {
    /** Primary endpoint, `name:port`. */
    public readonly endpoint: pulumi.Output<string>;
    /** Every endpoint the registry answers to. */
    public readonly endpoints: pulumi.Output<string[]>;
    /** CA certificate, PEM. Public on purpose: it is what clients trust. */
    public readonly caCertificate: pulumi.Output<string>;
    /** SHA-256 fingerprint of the CA certificate. */
    public readonly caFingerprintSha256: pulumi.Output<string>;
    /** When the server certificate expires (RFC 3339). */
    public readonly serverCertificateNotAfter: pulumi.Output<string>;
    /** Users and passwords. Secret. */
    public readonly credentials: pulumi.Output<RegistryCredential[]>;
    /** `docker login` command line for the first user (password from stdin; no secret in it). */
    public readonly dockerLogin: pulumi.Output<string>;
    /** Images the registry serves from the bundle, `name:tag@sha256:...`. */
    public readonly servedImages: pulumi.Output<string[]>;

    constructor(name: string, args: PrivateRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        // The bundle is hashed once: checked here, then read from the same result.
        const bundleCheck = args?.bundlePath !== undefined ? verifyBundle(args.bundlePath, "bundlePath") : undefined;
        assertValid("PrivateRegistry", checkPrivateRegistryArgs(args, bundleCheck));
        super("airgap-registry:index:PrivateRegistry", name, {}, opts);

        const hostSsh = siteHost(args.host, args);
        const port = args.host.port ?? registryContainerDefaults.port;
        const ips = args.host.ips ?? [];
        const endpoints = registryEndpoints(args.host.names, ips, port);
        const dataDir = args.host.dataDir ?? hostPreparationDefaults.dataDir;
        const bundle = args.bundlePath !== undefined && bundleCheck?.manifest !== undefined
            ? bundleContents(args.bundlePath, bundleCheck.manifest)
            : { images: [] as ImageArchiveArgs[] };
        const image = bundle.registryImage?.ref ?? args.registryImage ?? hostPreparationDefaults.registryImage;

        const ca = new CertificateAuthority(`${name}-ca`, args.ca ?? {}, { parent: this });
        const cert = new RegistryCertificate(
            `${name}-cert`,
            { ...(args.certificate ?? {}), ca, dnsNames: args.host.names, ipAddresses: ips },
            { parent: this },
        );
        const host = new HostPreparation(
            `${name}-host`,
            {
                ssh: hostSsh,
                dataDir,
                dockerGroupUsers: args.host.dockerGroupUsers,
                selinuxPermissive: args.host.selinuxPermissive,
                daemon: args.host.daemon,
                registryImage: image,
                registryImageArchive: bundle.registryImage?.path ?? args.registryImageArchive,
                enginePackages: bundle.enginePackages,
                storageArchive: bundle.storageArchive,
                removeDataOnDestroy: args.host.removeDataOnDestroy,
            },
            { parent: this },
        );
        const registry = new RegistryContainer(
            `${name}-registry`,
            {
                ssh: hostSsh,
                certChainPem: cert.chainPem,
                privateKeyPem: cert.privateKeyPem,
                caCertPem: ca.certPem,
                users: args.users,
                dataDir,
                image,
                port,
                runtime: args.runtime,
                cliEngine: args.cliEngine,
                healthcheck: args.healthcheck,
            },
            { parent: this, dependsOn: [host] },
        );
        let served: pulumi.Output<string[]> = pulumi.output([]);
        if (bundle.images.length > 0) {
            const population = new RegistryPopulation(
                `${name}-images`,
                {
                    ssh: hostSsh,
                    images: bundle.images,
                    port,
                    username: args.users[0].name,
                    password: registry.credentials.apply((c) => c[0].password),
                    caCertPem: ca.certPem,
                    dataDir,
                },
                { parent: this, dependsOn: [registry] },
            );
            served = population.served;
        }
        for (const client of args.clients ?? []) {
            new ClientTrust(
                `${name}-trust-${client.name}`,
                {
                    ssh: siteHost(client, args),
                    clientName: client.name,
                    caCertPem: ca.certPem,
                    endpoints,
                    osFamily: client.osFamily,
                    engines: client.engines,
                    hostsEntries: client.hostsEntry === true && ips.length > 0 ? [{ ip: ips[0], names: args.host.names }] : [],
                    verify: args.verifyClients,
                    waitFor: [registry],
                },
                { parent: this },
            );
        }

        this.endpoint = pulumi.output(endpoints[0]);
        this.endpoints = pulumi.output(endpoints);
        this.caCertificate = ca.certPem;
        this.caFingerprintSha256 = ca.fingerprintSha256;
        this.serverCertificateNotAfter = cert.notAfter;
        this.credentials = registry.credentials;
        this.dockerLogin = pulumi.output(`docker login ${endpoints[0]} --username ${args.users[0].name} --password-stdin`);
        this.servedImages = served;
        this.registerOutputs({
            endpoint: this.endpoint,
            endpoints: this.endpoints,
            caCertificate: this.caCertificate,
            caFingerprintSha256: this.caFingerprintSha256,
            serverCertificateNotAfter: this.serverCertificateNotAfter,
            credentials: this.credentials,
            dockerLogin: this.dockerLogin,
            servedImages: this.servedImages,
        });
    }
}
