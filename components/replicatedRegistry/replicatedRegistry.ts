/**
 * ReplicatedRegistry: N registry replicas on the site's S3 object store behind a load balancer, trusted by the
 * site's clients (issue 16). The project's program builds it when the stack config sets `replicas`.
 */

import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { HostPreparation } from "../host/hostPreparation";
import { LoadBalancer, loadBalancerComponentDefaults } from "../loadBalancer/loadBalancer";
import { LoadBalancerArgs, loadBalancerDefaults } from "../loadBalancer/loadBalancerArgs";
import { caId, caResourceName, SiteCaArgs } from "../pki/caRotation";
import { CertificateAuthority, checkCertificateAuthorityArgs, existingCaFields } from "../pki/certificateAuthority";
import { checkExpiryWarningDays, defaultExpiryWarningDays, warnBeforeExpiry } from "../pki/expiryWarning";
import { KeySpec } from "../pki/keyAlgorithm";
import { checkCertificateSettings, RegistryCertificate } from "../pki/registryCertificate";
import { registryEndpoints } from "../pki/sans";
import {
    checkSiteClients,
    RegistryClientArgs,
    siteHost,
    siteRegistryImage,
    withoutId,
} from "../privateRegistry/privateRegistryArgs";
import { RegistryContainer } from "../registry/registryContainer";
import { checkUsers, RegistryCredential, RegistryUserArgs, userSecrets } from "../registry/registryUsers";
import { checkRuntime, CliEngine, RegistryRuntime } from "../registry/runtime";
import { RegistryVersion } from "../registry/registryVersion";
import { SshEndpointArgs } from "../ssh/sshHost";
import { ClientTrust } from "../trust/clientTrust";
import { assertValid, checkFileExists } from "../validation";
import {
    checkReplicatedRegistryArgs,
    haproxyInputFor,
    registryReplicaDefaults,
    RegistryReplicaArgs,
    ReplicatedRegistryArgs,
} from "./replicatedRegistryArgs";

/** Defaults of {@link ReplicatedRegistryComponentArgs} not set by its parts. */
export const replicatedRegistryDefaults = {
    expiryWarningDays: defaultExpiryWarningDays,
} as const;

/** Arguments of {@link ReplicatedRegistry}: the replicas, storage and load balancer, and the site's users, PKI, clients. */
export interface ReplicatedRegistryComponentArgs extends ReplicatedRegistryArgs {
    /**
     * The load balancer clients use (haproxy on its own host). Required here, also with one replica: the component
     * is the load-balanced registry (one host on its own is PrivateRegistry). Default: none (required).
     */
    readonly loadBalancer: LoadBalancerArgs;
    /**
     * Registry users; at least one. A password not given is generated once for the stack (a random.RandomPassword
     * `<name>-password-<user>`) and the same password is given to every replica, whose htpasswd line is then the
     * same on every replica (the bcrypt salt is derived from the user and password). Default: none (required).
     */
    readonly users: readonly RegistryUserArgs[];
    /**
     * Clients that get the CA and check the load balancer's endpoints (its names and IPs at its port). Default `[]`.
     */
    readonly clients?: readonly RegistryClientArgs[];
    /** Jump host for every host (replicas, load balancer, clients) that has no `bastion` of its own. Default: none. */
    readonly bastion?: SshEndpointArgs;
    /**
     * OpenSSH known_hosts file for every host (and bastion) that has neither `hostKey` nor `knownHostsPath` of its
     * own. Default: none (then every host needs its own).
     */
    readonly knownHostsPath?: string;
    /**
     * The CA: generated (default: RSA 4096, 10 years) or `existing`, with an optional `id` (default `"ca"`). No
     * rotation here (PrivateRegistry's `caRotation` is not supported yet). Default `{}` (generated).
     */
    readonly ca?: SiteCaArgs;
    /** Server certificate settings (default: RSA 2048, 1 year, re-issued 30 days before expiry). */
    readonly certificate?: KeySpec & {
        readonly validityHours?: number;
        readonly earlyRenewalHours?: number;
        readonly organization?: string;
    };
    /** Registry image on every replica. Default `"registry:3"` (distribution 3.x). */
    readonly registryImage?: string;
    /**
     * `docker save` tarball of the registry image on the operator's machine, copied to and loaded on every replica.
     * Default: none (the image is already on the hosts).
     */
    readonly registryImageArchive?: string;
    /** How the replicas' and the load balancer's containers are run. Default `"docker-provider"`. */
    readonly runtime?: RegistryRuntime;
    /** Engine CLI of the `cli` runtime. Default `"docker"`. */
    readonly cliEngine?: CliEngine;
    /** The registry container's health check (needs wget in the image). Default `true`. */
    readonly healthcheck?: boolean;
    /** Check from each client that the load balancer answers 401 over verified TLS. Default `true`. */
    readonly verifyClients?: boolean;
    /**
     * Warn (a diagnostic in every preview and up, not an error) when the CA or the server certificate expires within
     * this many days. Default `30`.
     */
    readonly expiryWarningDays?: number;
}

/**
 * Validates everything plain in the Args at once, naming fields as a stack config would (`replicas[1].name`,
 * `storage.s3.bucket`, `loadBalancer.names[0]`, `clients[0].name`, `users`). The stack-wide `bastion` and
 * `knownHostsPath` are applied to each host first. Pure (reads only the existence of key, known_hosts and archive
 * files).
 */
export function checkReplicatedRegistryComponentArgs(args: ReplicatedRegistryComponentArgs): string[] {
    if (args === undefined || args === null || typeof args !== "object") return ["arguments are required"];
    const problems: string[] = [];
    const image = siteRegistryImage(args);
    problems.push(...image.problems);
    problems.push(...checkExpiryWarningDays(args.expiryWarningDays));
    const replicas: readonly RegistryReplicaArgs[] = Array.isArray(args.replicas)
        ? args.replicas.map((r: RegistryReplicaArgs): RegistryReplicaArgs =>
              r !== null && typeof r === "object" ? siteHost(r, args) : r,
          )
        : args.replicas;
    const loadBalancer =
        args.loadBalancer !== null && typeof args.loadBalancer === "object"
            ? siteHost(args.loadBalancer, args)
            : args.loadBalancer;
    problems.push(
        ...checkReplicatedRegistryArgs("", {
            replicas,
            loadBalancer,
            ...(args.storage === undefined ? {} : { storage: args.storage }),
            ...(image.version === undefined ? {} : { registryVersion: image.version }),
        }),
    );
    if (args.loadBalancer === undefined)
        problems.push(
            "`loadBalancer` is required: clients reach the replicas through it (one registry host on its own is PrivateRegistry)",
        );
    const replicaList: readonly RegistryReplicaArgs[] = Array.isArray(replicas) ? replicas : [];
    for (let i = 0; i < replicaList.length; i++) {
        const r = replicaList[i];
        if (r === null || typeof r !== "object") continue;
        problems.push(...checkRuntime("", args, r, `replicas[${i}]`));
        // `<name>-lb-host` is the load balancer's HostPreparation.
        if (r.name === "lb")
            problems.push(
                `\`replicas[${i}].name\` "lb" is taken: the load balancer's resources are named \`<name>-lb-*\``,
            );
    }
    if (loadBalancer !== undefined && loadBalancer !== null && typeof loadBalancer === "object")
        problems.push(...checkRuntime("", args, loadBalancer, "loadBalancer"));
    problems.push(...checkUsers("users", args.users));
    problems.push(
        ...checkSiteClients(
            args,
            (args.loadBalancer?.ips ?? []).length > 0
                ? undefined
                : "`loadBalancer.ips`: the /etc/hosts entry maps the load balancer's names to loadBalancer.ips[0]",
        ),
    );
    problems.push(...checkCertificateAuthorityArgs("ca", withoutId(args.ca ?? {})));
    problems.push(...checkCertificateSettings("certificate", args.certificate ?? {}));
    if (args.registryImageArchive !== undefined)
        problems.push(...checkFileExists("registryImageArchive", args.registryImageArchive));
    return [...new Set(problems)];
}

/**
 * A registry of N stateless replicas sharing the site's S3 object store and one `http.secret`, behind haproxy, each
 * part a child of this component:
 * - the CA (`<name>-ca`, generated or existing) and ONE server certificate (`<name>-cert`) whose SANs are the load
 *   balancer's names and IPs (plus localhost and 127.0.0.1, as always): haproxy serves it to clients and every
 *   replica serves it too; haproxy verifies each replica against the CA for the load balancer's primary name
 *   (`verifyhost`), so the replicas' own names are not in it and adding a replica does not re-issue it;
 * - one `random.RandomPassword` for the stack's `http.secret` (`<name>-http-secret`) and one per user without a
 *   password (`<name>-password-<user>`), given to every replica;
 * - per replica, keyed by its name: a {@link HostPreparation} (`<name>-<replica>-host`) and a
 *   {@link RegistryContainer} (`<name>-<replica>-registry`) on the store;
 * - the {@link LoadBalancer} (`<name>-lb`) listing every replica, its readiness after the replicas';
 * - a {@link ClientTrust} per client (`<name>-trust-<client>`) checking the load balancer's endpoints.
 *
 * Every Arg is validated before anything is registered (errors name the field).
 */
export class ReplicatedRegistry extends pulumi.ComponentResource {
    /** When the server certificate expires (RFC 3339); a warning shows `expiryWarningDays` before. */
    public readonly serverCertificateNotAfter: pulumi.Output<string>;
    /** When the CA certificate expires (RFC 3339). */
    public readonly caCertificateNotAfter: pulumi.Output<string>;
    /** Primary endpoint, the load balancer's `name:port`. */
    public readonly endpoint: pulumi.Output<string>;
    /** Every endpoint of the load balancer (its names, then its IPs, at its port). */
    public readonly endpoints: pulumi.Output<string[]>;
    /** The CA certificate clients trust, PEM (public on purpose). */
    public readonly caCertificate: pulumi.Output<string>;
    /** SHA-256 fingerprint of the CA. */
    public readonly caFingerprintSha256: pulumi.Output<string>;
    /** Users and passwords, the same on every replica. Secret. */
    public readonly credentials: pulumi.Output<RegistryCredential[]>;
    /** `docker login` command line for the first user against the load balancer (password from stdin). */
    public readonly dockerLogin: pulumi.Output<string>;
    /**
     * Each replica's own `address:port`, by replica name (the address the load balancer uses): for checks that go
     * to one replica directly. The replicas serve the load balancer's certificate, so a client verifying TLS there
     * connects to this address under the load balancer's primary name (SNI and Host), e.g. `curl --connect-to`.
     */
    public readonly replicaEndpoints: pulumi.Output<Record<string, string>>;
    /** The distribution registry version the replicas run. */
    public readonly registryVersion: pulumi.Output<RegistryVersion>;
    /** The CA (child). */
    public readonly ca: CertificateAuthority;
    /** The server certificate (child). */
    public readonly certificate: RegistryCertificate;
    /** Each replica's prepared host and registry container (children), by replica name. */
    public readonly replicas: Readonly<Record<string, { host: HostPreparation; registry: RegistryContainer }>>;
    /** The load balancer (child). */
    public readonly loadBalancer: LoadBalancer;
    /** Each client's trust (children), by client name. */
    public readonly clientTrusts: Readonly<Record<string, ClientTrust>>;

    constructor(name: string, args: ReplicatedRegistryComponentArgs, opts?: pulumi.ComponentResourceOptions) {
        assertValid("ReplicatedRegistry", checkReplicatedRegistryComponentArgs(args));
        super("airgap-registry:replicatedRegistry:ReplicatedRegistry", name, {}, opts);

        const lbArgs = siteHost(args.loadBalancer, args);
        const lbPort = lbArgs.port ?? loadBalancerDefaults.port;
        const lbIps = lbArgs.ips ?? [];
        const endpoints = registryEndpoints(lbArgs.names, lbIps, lbPort);
        // Validated above: the version is known.
        const { image, version } = siteRegistryImage(args);
        const registryVersion = version as RegistryVersion;

        const caSettings = withoutId(args.ca ?? {});
        const ca = new CertificateAuthority(
            caResourceName(name, caId(args.ca)),
            caSettings.existing === undefined
                ? caSettings
                : {
                      ...caSettings,
                      existing: { ...caSettings.existing, fields: existingCaFields("ca", caSettings.existing) },
                  },
            { parent: this },
        );
        const cert = new RegistryCertificate(
            `${name}-cert`,
            { ...(args.certificate ?? {}), ca, dnsNames: lbArgs.names, ipAddresses: lbIps },
            { parent: this },
        );

        // One secret and one password per user for the stack, the same on every replica.
        const httpSecret = new random.RandomPassword(
            `${name}-http-secret`,
            { length: 48, special: false },
            { parent: this, additionalSecretOutputs: ["result", "bcryptHash"] },
        );
        const shared = userSecrets(name, args.users, this);
        const users: RegistryUserArgs[] = shared.map((u) => ({ name: u.username, password: u.password }));

        const replicas: Record<string, { host: HostPreparation; registry: RegistryContainer }> = {};
        for (const replica of args.replicas) {
            const ssh = siteHost(replica, args);
            const dataDir = replica.dataDir ?? registryReplicaDefaults.dataDir;
            const host = new HostPreparation(
                `${name}-${replica.name}-host`,
                { ssh, dataDir, registryImage: image, registryImageArchive: args.registryImageArchive },
                { parent: this },
            );
            const registry = new RegistryContainer(
                `${name}-${replica.name}-registry`,
                {
                    ssh,
                    certChainPem: cert.chainPem,
                    privateKeyPem: cert.privateKeyPem,
                    caCertPem: ca.certPem,
                    users,
                    dataDir,
                    image,
                    registryVersion,
                    imageId: host.registryImageId,
                    port: replica.port ?? registryReplicaDefaults.port,
                    runtime: args.runtime,
                    cliEngine: args.cliEngine,
                    healthcheck: args.healthcheck,
                    httpSecret: httpSecret.result,
                    ...(args.storage === undefined ? {} : { storage: args.storage }),
                },
                { parent: this, dependsOn: [host] },
            );
            replicas[replica.name] = { host, registry };
        }

        const loadBalancer = new LoadBalancer(
            `${name}-lb`,
            {
                ssh: lbArgs,
                haproxy: haproxyInputFor({ ...args, loadBalancer: lbArgs }),
                certChainPem: cert.chainPem,
                privateKeyPem: cert.privateKeyPem,
                caCertPem: ca.certPem,
                ...(lbArgs.image === undefined ? {} : { image: lbArgs.image }),
                ...(lbArgs.imageArchive === undefined ? {} : { imageArchive: lbArgs.imageArchive }),
                dataDir: lbArgs.dataDir ?? loadBalancerComponentDefaults.dataDir,
                ...(lbArgs.containerName === undefined ? {} : { containerName: lbArgs.containerName }),
                runtime: args.runtime,
                cliEngine: args.cliEngine,
                readyAfter: Object.values(replicas).map((r) => r.registry),
            },
            { parent: this },
        );

        const clientTrusts: Record<string, ClientTrust> = {};
        for (const client of args.clients ?? []) {
            clientTrusts[client.name] = new ClientTrust(
                `${name}-trust-${client.name}`,
                {
                    ssh: siteHost(client, args),
                    clientName: client.name,
                    caCertPem: ca.certPem,
                    endpoints,
                    osFamily: client.osFamily,
                    engines: client.engines,
                    hostsEntries:
                        client.hostsEntry === true && lbIps.length > 0 ? [{ ip: lbIps[0], names: lbArgs.names }] : [],
                    verify: args.verifyClients,
                    waitFor: [loadBalancer],
                    filesAfter: [loadBalancer],
                },
                { parent: this },
            );
        }

        this.endpoint = pulumi.output(endpoints[0]);
        this.endpoints = pulumi.output(endpoints);
        this.caCertificate = ca.certPem;
        this.caFingerprintSha256 = ca.fingerprintSha256;
        this.serverCertificateNotAfter = cert.notAfter;
        this.caCertificateNotAfter = ca.notAfter;
        warnBeforeExpiry(
            this,
            ca.notAfter,
            cert.notAfter,
            args.expiryWarningDays,
            "CA rotation is not supported with `replicas` yet: every client must be given a new CA before this one expires",
        );
        this.credentials = pulumi.secret(
            pulumi
                .all(shared.map((c) => pulumi.all([c.username, c.password])))
                .apply((pairs) => pairs.map(([username, password]) => ({ username, password }))),
        );
        this.dockerLogin = pulumi.output(
            `docker login ${endpoints[0]} --username ${args.users[0].name} --password-stdin`,
        );
        this.replicaEndpoints = pulumi.output(
            Object.fromEntries(
                args.replicas.map((r) => {
                    const address = r.serviceAddress ?? r.address;
                    const host = address.includes(":") ? `[${address}]` : address;
                    return [r.name, `${host}:${r.port ?? registryReplicaDefaults.port}`];
                }),
            ),
        );
        this.registryVersion = pulumi.output(registryVersion);
        this.ca = ca;
        this.certificate = cert;
        this.replicas = replicas;
        this.loadBalancer = loadBalancer;
        this.clientTrusts = clientTrusts;
        this.registerOutputs({
            endpoint: this.endpoint,
            endpoints: this.endpoints,
            caCertificate: this.caCertificate,
            caFingerprintSha256: this.caFingerprintSha256,
            serverCertificateNotAfter: this.serverCertificateNotAfter,
            caCertificateNotAfter: this.caCertificateNotAfter,
            credentials: this.credentials,
            dockerLogin: this.dockerLogin,
            replicaEndpoints: this.replicaEndpoints,
            registryVersion: this.registryVersion,
        });
    }
}
