/**
 * RegistryContainer: the registry's files written on its host, the container in the chosen runtime, the readiness
 * check.
 */

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as random from "@pulumi/random";
import { hostPreparationDefaults } from "../host/hostPreparation";
import { sha256Of } from "../ssh/fileHash";
import { formerRemoteCommand, HostFiles } from "../ssh/hostFiles";
import { checkSshHost, sshConnection, SshHostArgs } from "../ssh/sshHost";
import { assertValid, checkIdentifier, checkPort, checkRemotePath, fieldPath } from "../validation";
import { runWithCli } from "./cliRuntime";
import { renderRegistryConfig, storageHealthCheck } from "./configYml";
import {
    checkRegistryStorageArgs,
    RegistryStorageArgs,
    resolveRegistryStorage,
    resolveS3CaPem,
    s3CaPathOn,
} from "./objectStorage";
import { runWithDockerProvider } from "./dockerProviderRuntime";
import { renderHtpasswd } from "./htpasswd";
import { filesLabelValue, readinessScript, restartOnHealScript } from "./registryScripts";
import { checkUsers, RegistryCredential, RegistryUserArgs, userSecrets } from "./registryUsers";
import { checkRuntime, CliEngine, RegistryRuntime } from "./runtime";
import { RegistryVersion, resolveRegistryVersion } from "./registryVersion";

/** Arguments of {@link RegistryContainer}. */
export interface RegistryContainerArgs {
    /** How to reach the registry host over SSH. */
    readonly ssh: SshHostArgs;
    /** Certificate chain the registry serves (server cert, then CA), PEM. */
    readonly certChainPem: pulumi.Input<string>;
    /** Server private key, PEM (secret); written with mode 0600. */
    readonly privateKeyPem: pulumi.Input<string>;
    /** CA certificate, PEM; used by the readiness check on the host. */
    readonly caCertPem: pulumi.Input<string>;
    /** Registry users (htpasswd, bcrypt). At least one. */
    readonly users: readonly RegistryUserArgs[];
    /** Directory on the host (prepared by HostPreparation). Default `"/var/lib/airgap-registry"`. */
    readonly dataDir?: string;
    /** Registry image on the host. Default `"registry:3"` (distribution 3.x). */
    readonly image?: string;
    /**
     * The distribution registry version of `image`: `"2"` (2.8) or `"3"` (3.x). It decides where the config is
     * mounted (`/etc/docker/registry` or `/etc/distribution`), so a change replaces the container. Default: what
     * the image's tag says (`registry:2`, `…:2.8.3` → `"2"`; `registry:3`, `…:3.1.2` → `"3"`); required when the tag
     * says nothing (`:latest`, a digest only, no tag).
     */
    readonly registryVersion?: RegistryVersion;
    /**
     * The image ID behind `image` on the host (HostPreparation's `registryImageId`): a new ID
     * rolls the container, so a new image archive with the same tag is really run. Default: none
     * (then only a changed tag rolls it).
     */
    readonly imageId?: pulumi.Input<string>;
    /** Published registry port on the host. Default `5000`. */
    readonly port?: number;
    /** Container name. Default `"airgap-registry"`. */
    readonly containerName?: string;
    /** How the container is run. Default `"docker-provider"`. */
    readonly runtime?: RegistryRuntime;
    /** Engine CLI of the `cli` runtime. Default `"docker"`. */
    readonly cliEngine?: CliEngine;
    /**
     * Health check inside the container (needs `wget` in the image, as registry:2 and registry:3 have); the runtime
     * waits for it to pass on the host directory, and on an object store the readiness step waits for the storage
     * check instead (it names the store's error). Default `true`.
     */
    readonly healthcheck?: boolean;
    /**
     * Resources the steps that write the registry's files (and so its container, which starts from them) wait for.
     * During a CA rotation's serve-next PrivateRegistry passes every client's trust-file steps: the registry serves
     * the next CA's certificate only once every client holds that CA. Default `[]`.
     */
    readonly filesAfter?: pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
    /**
     * The registry's `http.secret` (secret): it signs the upload state a client carries between the requests of one
     * push, so every replica behind one load balancer must get the same one (ReplicatedRegistry passes one
     * random.RandomPassword of the stack to all). Default: a 48-character random.RandomPassword of this component
     * (`<name>-http-secret`), as a single registry always had.
     */
    readonly httpSecret?: pulumi.Input<string>;
    /**
     * The registry's storage. Default: the host directory `<dataDir>/data` (`storage.filesystem`; the config and the
     * container exactly as before this option existed). With `storage.s3` the site's object store (shared by
     * replicas): config.yml's `storage.s3`/`storage.redirect` (redirects off by default), for an https store its CA
     * written to `<dataDir>/certs/s3-ca/ca.pem` (one more HostFiles, `<name>-s3-ca`) and the container's
     * `SSL_CERT_FILE`/`SSL_CERT_DIR` pointing at it. The `<dataDir>/data` mount stays (unused) so that the volumes
     * do not depend on the storage.
     */
    readonly storage?: RegistryStorageArgs;
}

/** Defaults of {@link RegistryContainerArgs}, in one place. */
export const registryContainerDefaults = {
    port: 5000,
    containerName: "airgap-registry",
    runtime: "docker-provider" as RegistryRuntime,
    cliEngine: "docker" as CliEngine,
    healthcheck: true,
};

/** Where the certificate chain the registry serves is written on its host. */
export function chainPathOn(dataDir: string): string {
    return `${dataDir}/certs/chain.pem`;
}

/**
 * Validates the plain arguments of a RegistryContainer; messages name its fields under `field` (`ssh.address`,
 * `users[0].name`).
 */
export function checkRegistryContainerArgs(
    field: string,
    args: Omit<RegistryContainerArgs, "certChainPem" | "privateKeyPem" | "caCertPem">,
): string[] {
    const problems: string[] = [
        ...checkSshHost(fieldPath(field, "ssh"), args.ssh),
        ...checkUsers(fieldPath(field, "users"), args.users),
        ...checkRuntime(field, args, args.ssh, fieldPath(field, "ssh")),
    ];
    if (args.port !== undefined) problems.push(...checkPort(fieldPath(field, "port"), args.port));
    if (args.dataDir !== undefined) problems.push(...checkRemotePath(fieldPath(field, "dataDir"), args.dataDir));
    if (args.containerName !== undefined)
        problems.push(...checkIdentifier(fieldPath(field, "containerName"), args.containerName));
    const version = resolveRegistryVersion(
        fieldPath(field, "registryVersion"),
        args.registryVersion,
        `\`${fieldPath(field, "image")}\``,
        args.image ?? hostPreparationDefaults.registryImage,
    );
    problems.push(...version.problems);
    problems.push(...checkRegistryStorageArgs(fieldPath(field, "storage"), args.storage, version.version));
    return problems;
}

/**
 * The registry on its host: the certificate chain, the key (0600), config.yml (TLS 1.2+, htpasswd auth, nosniff,
 * storage health check, a random http secret) and the htpasswd file (bcrypt), each a {@link HostFiles} (written over
 * SSH, read back on refresh, so a file edited on the host shows in `pulumi preview --refresh` and is written back,
 * restarting the container that runs it); the registry container with restart always, the published port, the
 * data/certs/auth/config volumes and a health check; and a readiness check that the registry answers 401 over
 * verified TLS. A content hash of chain, key, config and htpasswd is a container label, so any change rolls the
 * container. Registry storage is a host directory: it survives container replacement.
 */
export class RegistryContainer extends pulumi.ComponentResource {
    /** Published registry port. */
    public readonly port: pulumi.Output<number>;
    /** Registry container ID. */
    public readonly containerId: pulumi.Output<string>;
    /** Users and their passwords. Secret. */
    public readonly credentials: pulumi.Output<RegistryCredential[]>;
    /** Content hash of the files the container runs with. */
    public readonly contentHash: pulumi.Output<string>;
    /** The distribution registry version the container runs (given, or detected from the image tag). */
    public readonly registryVersion: pulumi.Output<RegistryVersion>;

    constructor(name: string, args: RegistryContainerArgs, opts?: pulumi.ComponentResourceOptions) {
        assertValid("RegistryContainer", checkRegistryContainerArgs("", args));
        super("airgap-registry:registry:RegistryContainer", name, {}, opts);

        const connection = sshConnection(args.ssh);
        const dataDir = args.dataDir ?? hostPreparationDefaults.dataDir;
        const image = args.image ?? hostPreparationDefaults.registryImage;
        // Validated above: a version is known here.
        const registryVersion = resolveRegistryVersion("registryVersion", args.registryVersion, "image", image)
            .version as RegistryVersion;
        const port = args.port ?? registryContainerDefaults.port;
        const containerName = args.containerName ?? registryContainerDefaults.containerName;
        const runtime = args.runtime ?? registryContainerDefaults.runtime;
        const healthcheck = args.healthcheck ?? registryContainerDefaults.healthcheck;

        const credentials = userSecrets(name, args.users, this);
        const httpSecret: pulumi.Output<string> =
            args.httpSecret !== undefined
                ? pulumi.secret(args.httpSecret)
                : new random.RandomPassword(
                      `${name}-http-secret`,
                      { length: 48, special: false },
                      { parent: this, additionalSecretOutputs: ["result", "bcryptHash"] },
                  ).result;
        const storage = resolveRegistryStorage("storage", args.storage, this);
        const s3Ca = resolveS3CaPem("storage", args.storage, this);

        const htpasswd = pulumi.secret(
            pulumi
                .all(credentials.map((c) => c.bcryptHash))
                .apply((hashes) =>
                    renderHtpasswd(hashes.map((bcryptHash, i) => ({ username: credentials[i].username, bcryptHash }))),
                ),
        );
        const config = pulumi.secret(
            storage === undefined
                ? httpSecret.apply((secret) => renderRegistryConfig({ httpSecret: secret, registryVersion }))
                : pulumi
                      .all([httpSecret, storage])
                      .apply(([secret, s]) =>
                          renderRegistryConfig({ httpSecret: secret, registryVersion, storage: s }),
                      ),
        );
        const chain = pulumi.output(args.certChainPem);
        const filesAfter = pulumi.output(args.filesAfter ?? []);
        const key = pulumi.secret(args.privateKeyPem);

        const engine =
            runtime === "docker-provider" ? "docker" : (args.cliEngine ?? registryContainerDefaults.cliEngine);
        const placed: Array<{ role: string; path: string; mode: "0600" | "0644"; content: pulumi.Output<string> }> = [
            { role: "cert-chain", path: chainPathOn(dataDir), mode: "0644", content: chain },
            { role: "server-key", path: `${dataDir}/certs/server.key`, mode: "0600", content: key },
            { role: "config", path: `${dataDir}/config/config.yml`, mode: "0644", content: config },
            { role: "htpasswd", path: `${dataDir}/auth/htpasswd`, mode: "0644", content: htpasswd },
            // Only with an https object store: the single-host files (and so the files label) stay as they were.
            ...(s3Ca === undefined
                ? []
                : [{ role: "s3-ca", path: s3CaPathOn(dataDir), mode: "0644" as const, content: s3Ca }]),
        ];
        // One HostFiles a file: a refresh shows which of them was changed on the host, and its update writes back
        // exactly that one, then restarts the container when it is the one the stack wants (restartOnHealScript).
        const onHeal = restartOnHealScript(
            engine,
            containerName,
            placed.map((f) => f.path),
        );
        const files = placed.map(
            (f) =>
                new HostFiles(
                    `${name}-${f.role}`,
                    { ssh: args.ssh, files: [{ path: f.path, mode: f.mode, content: f.content }], onChange: onHeal },
                    {
                        parent: this,
                        deleteBeforeReplace: true,
                        aliases: [...formerRemoteCommand],
                        dependsOn: filesAfter,
                    },
                ),
        );
        const filesHash = pulumi.unsecret(
            pulumi.all(placed.map((f) => f.content)).apply((contents) => filesLabelValue(contents)),
        );
        const contentHash = pulumi.unsecret(
            pulumi
                .all([
                    chain,
                    key,
                    config,
                    htpasswd,
                    ...(s3Ca === undefined ? [] : [s3Ca]),
                    ...(args.imageId === undefined ? [] : [pulumi.output(args.imageId)]),
                    // The version changes the image's environment, not the config text; 2.8 adds nothing to the
                    // hash (the second config mount still rolls a 2.8 container once, see registryVolumes).
                    ...(registryVersion === "2" ? [] : [`registry-version=${registryVersion}`]),
                ])
                .apply((parts) => sha256Of(...parts)),
        );

        const run = {
            ssh: args.ssh,
            connection,
            containerName,
            image,
            port,
            dataDir,
            registryVersion,
            storage: args.storage,
            healthcheck,
            contentHash,
            filesHash,
            files,
        };
        const container =
            runtime === "docker-provider"
                ? runWithDockerProvider(name, run, this)
                : runWithCli(name, { ...run, engine: args.cliEngine ?? registryContainerDefaults.cliEngine }, this);
        const containerId = container.containerId;

        new command.remote.Command(
            `${name}-ready`,
            {
                connection,
                create: readinessScript(port, {
                    storage:
                        args.storage === undefined
                            ? undefined
                            : { check: storageHealthCheck(true), engine, containerName },
                }),
                stdin: args.caCertPem,
                triggers: [containerId],
            },
            { parent: this, dependsOn: [container.resource] },
        );

        this.port = pulumi.output(port);
        this.containerId = containerId;
        this.credentials = pulumi.secret(
            pulumi
                .all(credentials.map((c) => pulumi.all([c.username, c.password])))
                .apply((pairs) => pairs.map(([username, password]) => ({ username, password }))),
        );
        this.contentHash = contentHash;
        this.registryVersion = pulumi.output(registryVersion);
        this.registerOutputs({
            port: this.port,
            containerId: this.containerId,
            credentials: this.credentials,
            contentHash: this.contentHash,
            registryVersion: this.registryVersion,
        });
    }
}
