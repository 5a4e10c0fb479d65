/**
 * PrivateRegistry: one site's registry wired from its parts (CA, certificate, host, container, images, client trust).
 */

import * as pulumi from "@pulumi/pulumi";
import { bundleContents } from "../bundle/bundleContents";
import { verifyBundle } from "../bundle/manifest";
import { HostPreparation, hostPreparationDefaults } from "../host/hostPreparation";
import { caId, caResourceName, CaState, caStateOf, servingCa, trustBundle, trustedCas } from "../pki/caRotation";
import { CertificateAuthority, existingCaFields } from "../pki/certificateAuthority";
import { RegistryCertificate } from "../pki/registryCertificate";
import { warnBeforeExpiry } from "../pki/expiryWarning";
import { registryEndpoints } from "../pki/sans";
import { RegistryContainer, registryContainerDefaults } from "../registry/registryContainer";
import { ImageArchiveArgs, RegistryPopulation } from "../registry/registryPopulation";
import { RegistryCredential } from "../registry/registryUsers";
import { RegistryVersion } from "../registry/registryVersion";
import { ClientTrust } from "../trust/clientTrust";
import { assertValid } from "../validation";
import {
    caPlan,
    checkPrivateRegistryArgs,
    PrivateRegistryArgs,
    siteHost,
    siteRegistryImage,
    withoutId,
} from "./privateRegistryArgs";

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
    /**
     * The CA certificates clients trust, PEM (one, or two during a CA rotation). Public on purpose: it is what
     * clients install.
     */
    public readonly caCertificate: pulumi.Output<string>;
    /** SHA-256 fingerprint of the CA that signs the server certificate. */
    public readonly caFingerprintSha256: pulumi.Output<string>;
    /** Which CA signs the server certificate and which CAs clients trust; the next up's `previousCaState`. */
    public readonly caState: pulumi.Output<CaState>;
    /** When the server certificate expires (RFC 3339). */
    public readonly serverCertificateNotAfter: pulumi.Output<string>;
    /** When the CA certificate expires (RFC 3339). */
    public readonly caCertificateNotAfter: pulumi.Output<string>;
    /** Users and passwords. Secret. */
    public readonly credentials: pulumi.Output<RegistryCredential[]>;
    /** `docker login` command line for the first user (password from stdin; no secret in it). */
    public readonly dockerLogin: pulumi.Output<string>;
    /** The distribution registry version the registry runs (`"2"` or `"3"`). */
    public readonly registryVersion: pulumi.Output<RegistryVersion>;
    /** Images the registry serves from the bundle, `name:tag@sha256:...`. */
    public readonly servedImages: pulumi.Output<string[]>;
    /** The CA that signs the server certificate (child). */
    public readonly ca: CertificateAuthority;
    /** Every CA clients trust (children), keyed by CA id: one, or two during a rotation. */
    public readonly trustedCas: Readonly<Record<string, CertificateAuthority>>;
    /** The registry's server certificate (child). */
    public readonly certificate: RegistryCertificate;
    /** The prepared registry host (child). */
    public readonly host: HostPreparation;
    /** The registry container and its files (child). */
    public readonly registry: RegistryContainer;
    /** The bundle's images pushed into the registry (child), when the bundle has images. */
    public readonly images: RegistryPopulation | undefined;
    /** Each client's trust (children), keyed by client name: depend on one to wait for that client. */
    public readonly clientTrusts: Readonly<Record<string, ClientTrust>>;

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
        const bundle =
            args.bundlePath !== undefined && bundleCheck?.manifest !== undefined
                ? bundleContents(args.bundlePath, bundleCheck.manifest)
                : { images: [] as ImageArchiveArgs[] };
        // Validated above: the version is known.
        const { image, version: registryVersion } = siteRegistryImage(args, bundleCheck?.manifest);

        // One CA outside a rotation; during one, the current and the next, each under its own id.
        const plan = caPlan(args);
        const cas: Record<string, CertificateAuthority> = {};
        for (const site of trustedCas(plan)) {
            const id = caId(site);
            const settings = withoutId(site);
            const field = site === plan.next ? "caRotation.next" : "ca";
            cas[id] = new CertificateAuthority(
                caResourceName(name, id),
                settings.existing === undefined
                    ? settings
                    : {
                          ...settings,
                          existing: { ...settings.existing, fields: existingCaFields(field, settings.existing) },
                      },
                { parent: this },
            );
        }
        const ca = cas[caId(servingCa(plan))];
        const trusted = pulumi
            .all(trustedCas(plan).map((site) => cas[caId(site)].certPem))
            .apply((pems) => trustBundle(pems));
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
        // During serve-next the registry serves the next CA's certificate only once every client holds that CA: a
        // client that missed trust-next gets it first in this up, one that is down stops the up before the registry
        // changes. Otherwise every client's files wait for the registry (changed once it serves, and its steps do
        // not queue behind the clients' for the --parallel slots).
        const servingNext = plan.step === "serve-next";
        let releaseClientFiles: (steps: pulumi.Resource[]) => void = () => undefined;
        const clientFiles = new Promise<pulumi.Resource[]>((resolve) => (releaseClientFiles = resolve));
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
                registryVersion,
                imageId: host.registryImageId,
                port,
                runtime: args.runtime,
                cliEngine: args.cliEngine,
                healthcheck: args.healthcheck,
                filesAfter: servingNext ? pulumi.output(clientFiles) : [],
            },
            { parent: this, dependsOn: [host] },
        );
        const population =
            bundle.images.length === 0
                ? undefined
                : new RegistryPopulation(
                      `${name}-images`,
                      {
                          ssh: hostSsh,
                          images: bundle.images,
                          port,
                          username: args.users[0].name,
                          password: registry.credentials.apply((c) => c[0].password),
                          dataDir,
                      },
                      { parent: this, dependsOn: [registry] },
                  );
        const clientTrusts: Record<string, ClientTrust> = {};
        try {
            for (const client of args.clients ?? []) {
                clientTrusts[client.name] = new ClientTrust(
                    `${name}-trust-${client.name}`,
                    {
                        ssh: siteHost(client, args),
                        clientName: client.name,
                        caCertPem: trusted,
                        endpoints,
                        osFamily: client.osFamily,
                        engines: client.engines,
                        hostsEntries:
                            client.hostsEntry === true && ips.length > 0
                                ? [{ ip: ips[0], names: args.host.names }]
                                : [],
                        verify: args.verifyClients,
                        waitFor: [registry],
                        filesAfter: servingNext ? [] : [registry],
                    },
                    { parent: this },
                );
            }
        } finally {
            // Resolved in any case: the registry's registration waits on it.
            releaseClientFiles(servingNext ? Object.values(clientTrusts).flatMap((t) => [...t.fileSteps]) : []);
        }

        this.endpoint = pulumi.output(endpoints[0]);
        this.endpoints = pulumi.output(endpoints);
        this.caCertificate = trusted;
        this.caState = pulumi.output(caStateOf(plan));
        if (args.caRotation !== undefined && args.previousCaState === undefined) {
            void pulumi.log.warn(
                "`caRotation` is set but `previousCaState` is not: the order of rotation steps is not checked (pass the `caState` output of the last up, as the project's program does)",
                this,
            );
        }
        this.caFingerprintSha256 = ca.fingerprintSha256;
        this.serverCertificateNotAfter = cert.notAfter;
        this.caCertificateNotAfter = ca.notAfter;
        warnBeforeExpiry(this, ca.notAfter, cert.notAfter, args.expiryWarningDays);
        this.credentials = registry.credentials;
        this.dockerLogin = pulumi.output(
            `docker login ${endpoints[0]} --username ${args.users[0].name} --password-stdin`,
        );
        this.servedImages = population?.served ?? pulumi.output([]);
        this.registryVersion = registry.registryVersion;
        this.ca = ca;
        this.trustedCas = cas;
        this.certificate = cert;
        this.host = host;
        this.registry = registry;
        this.images = population;
        this.clientTrusts = clientTrusts;
        this.registerOutputs({
            endpoint: this.endpoint,
            endpoints: this.endpoints,
            caCertificate: this.caCertificate,
            caFingerprintSha256: this.caFingerprintSha256,
            caState: this.caState,
            serverCertificateNotAfter: this.serverCertificateNotAfter,
            caCertificateNotAfter: this.caCertificateNotAfter,
            credentials: this.credentials,
            dockerLogin: this.dockerLogin,
            servedImages: this.servedImages,
            registryVersion: this.registryVersion,
        });
    }
}
