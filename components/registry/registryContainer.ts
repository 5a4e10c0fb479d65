import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";
import { sha256Of } from "../ssh/fileHash";
import { hostPreparationDefaults } from "../host/hostPreparation";
import { dockerOverSsh } from "../ssh/dockerOverSsh";
import { checkSshHost, sshConnection, SshHostArgs } from "../ssh/sshHost";
import { assertValid, checkIdentifier, checkPort, checkRemotePath, checkUnique } from "../validation";
import { containerPort, renderRegistryConfig } from "./configYml";
import { bcryptForUser, renderHtpasswd } from "./htpasswd";
import { cliRunScripts, healthcheckCommand, readinessScript, registryVolumes, runtimeHandoverScript, writeFileScripts } from "./registryScripts";

/** A registry user. */
export interface RegistryUserArgs {
    /** User name for `docker login`. */
    readonly name: string;
    /** Password (secret). Default: a generated 32-character password (random.RandomPassword). */
    readonly password?: pulumi.Input<string>;
}

/** A user name and password, as in the `credentials` output. */
export interface RegistryCredential {
    readonly username: string;
    readonly password: string;
}

/**
 * How the registry container is run. `docker-provider`: a docker.Container through a
 * docker.Provider over `ssh://` (needs an SSH key path). `cli`: `docker`/`podman` commands over
 * SSH, for hosts where the docker provider cannot be used (podman-only RHEL hosts).
 */
export type RegistryRuntime = "docker-provider" | "cli";

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
    /** Registry image on the host. Default `"registry:2"`. */
    readonly image?: string;
    /** Published registry port on the host. Default `5000`. */
    readonly port?: number;
    /** Container name. Default `"airgap-registry"`. */
    readonly containerName?: string;
    /** How the container is run. Default `"docker-provider"`. */
    readonly runtime?: RegistryRuntime;
    /** Engine CLI of the `cli` runtime. Default `"docker"`. */
    readonly cliEngine?: "docker" | "podman";
    /** Health check inside the container (needs `wget` in the image, as registry:2 has). Default `true`. */
    readonly healthcheck?: boolean;
}

/** Defaults of {@link RegistryContainerArgs}, in one place. */
export const registryContainerDefaults = {
    port: 5000,
    containerName: "airgap-registry",
    runtime: "docker-provider" as RegistryRuntime,
    cliEngine: "docker" as const,
    healthcheck: true,
};

/** Validates a list of registry users (at least one, valid and unique names); messages name `field`. */
export function checkUsers(field: string, users: readonly RegistryUserArgs[] | undefined): string[] {
    if (users === undefined || users.length === 0) {
        return [`\`${field}\` is empty: the registry needs at least one user`];
    }
    const problems = users.map((u, i) => checkIdentifier(`${field}[${i}].name`, u?.name));
    return [
        ...problems.filter((p): p is string => p !== undefined),
        ...checkUnique(field, users.map((u) => u?.name)).map((p) => p.replace(/\[(\d+)\]`/g, "[$1].name`")),
    ];
}

/** Validates the runtime choice; the docker-provider runtime needs key paths. Messages name `field`. */
export function checkRuntime(field: string, runtime: unknown, cliEngine: unknown, ssh: SshHostArgs | undefined, sshField: string): string[] {
    const problems: string[] = [];
    const chosen = runtime ?? registryContainerDefaults.runtime;
    if (chosen !== "docker-provider" && chosen !== "cli") {
        problems.push(`\`${field}runtime\` must be "docker-provider" or "cli", got ${JSON.stringify(runtime)}`);
    }
    if (cliEngine !== undefined && cliEngine !== "docker" && cliEngine !== "podman") {
        problems.push(`\`${field}cliEngine\` must be "docker" or "podman", got ${JSON.stringify(cliEngine)}`);
    }
    if (chosen === "docker-provider" && ssh && typeof ssh === "object" &&
        (ssh.privateKey !== undefined || (ssh.bastion !== undefined && ssh.bastion.privateKey !== undefined))) {
        problems.push(`\`${field}runtime\` "docker-provider" runs the operator's ssh client and needs \`${sshField}.privateKeyPath\` (and the bastion's); use runtime "cli" with an in-memory key`);
    }
    if (chosen === "docker-provider" && ssh && typeof ssh === "object" &&
        (ssh.knownHostsPath === undefined || (ssh.bastion !== undefined && ssh.bastion.knownHostsPath === undefined))) {
        problems.push(`\`${field}runtime\` "docker-provider" runs the operator's ssh client, which verifies hosts against a known_hosts file: set \`${sshField}.knownHostsPath\`${ssh.bastion !== undefined ? " (and the bastion's)" : ""}, or use runtime "cli"`);
    }
    return problems;
}

/** Validates the plain arguments of a RegistryContainer; messages name `field`. */
export function checkRegistryContainerArgs(field: string, args: Omit<RegistryContainerArgs, "certChainPem" | "privateKeyPem" | "caCertPem">): string[] {
    const problems: Array<string | undefined> = [
        ...checkSshHost(`${field}.ssh`, args.ssh),
        ...checkUsers(`${field}.users`, args.users),
        ...checkRuntime(`${field}.`, args.runtime, args.cliEngine, args.ssh, `${field}.ssh`),
    ];
    if (args.port !== undefined) problems.push(checkPort(`${field}.port`, args.port));
    if (args.dataDir !== undefined) problems.push(checkRemotePath(`${field}.dataDir`, args.dataDir));
    if (args.containerName !== undefined) problems.push(checkIdentifier(`${field}.containerName`, args.containerName));
    return problems.filter((p): p is string => p !== undefined);
}

/**
 * The registry on its host: the certificate chain, the key (0600), config.yml (TLS 1.2+,
 * htpasswd auth, nosniff, storage health check, a random http secret) and the htpasswd file
 * (bcrypt) written over SSH from stdin; the registry container with restart always, the
 * published port, the data/certs/auth/config volumes and a health check; and a readiness check
 * that the registry answers 401 over verified TLS. A content hash of chain, key, config and
 * htpasswd is a container label, so any change rolls the container. Registry storage is a host
 * directory: it survives container replacement.
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

    constructor(name: string, args: RegistryContainerArgs, opts?: pulumi.ComponentResourceOptions) {
        assertValid("RegistryContainer", checkRegistryContainerArgs("registry", args));
        super("airgap-registry:registry:RegistryContainer", name, {}, opts);

        const connection = sshConnection(args.ssh);
        const dataDir = args.dataDir ?? hostPreparationDefaults.dataDir;
        const image = args.image ?? hostPreparationDefaults.registryImage;
        const port = args.port ?? registryContainerDefaults.port;
        const containerName = args.containerName ?? registryContainerDefaults.containerName;
        const runtime = args.runtime ?? registryContainerDefaults.runtime;
        const healthcheck = args.healthcheck ?? registryContainerDefaults.healthcheck;

        const credentials = args.users.map((user) => {
            if (user.password !== undefined) {
                const password = pulumi.secret(user.password);
                return { username: user.name, password, bcryptHash: password.apply((p) => bcryptForUser(user.name, p)) };
            }
            const generated = new random.RandomPassword(
                `${name}-password-${user.name}`,
                { length: 32, special: false },
                { parent: this, additionalSecretOutputs: ["result", "bcryptHash"] },
            );
            return { username: user.name, password: generated.result, bcryptHash: generated.bcryptHash };
        });
        const httpSecret = new random.RandomPassword(
            `${name}-http-secret`,
            { length: 48, special: false },
            { parent: this, additionalSecretOutputs: ["result", "bcryptHash"] },
        );

        const htpasswd = pulumi.secret(
            pulumi.all(credentials.map((c) => c.bcryptHash)).apply((hashes) =>
                renderHtpasswd(hashes.map((bcryptHash, i) => ({ username: credentials[i].username, bcryptHash }))),
            ),
        );
        const config = pulumi.secret(httpSecret.result.apply((secret) => renderRegistryConfig({ httpSecret: secret })));
        const chain = pulumi.output(args.certChainPem);
        const key = pulumi.secret(args.privateKeyPem);

        const file = (role: string, path: string, mode: "0600" | "0644", content: pulumi.Output<string>, secret: boolean) => {
            const scripts = writeFileScripts(path, mode);
            return new command.remote.Command(
                `${name}-${role}`,
                { connection, create: scripts.create, delete: scripts.delete, stdin: content },
                { parent: this, deleteBeforeReplace: true, additionalSecretOutputs: secret ? ["stdin"] : [] },
            );
        };
        const files = [
            file("cert-chain", `${dataDir}/certs/chain.pem`, "0644", chain, false),
            file("server-key", `${dataDir}/certs/server.key`, "0600", key, true),
            file("config", `${dataDir}/config/config.yml`, "0644", config, true),
            file("htpasswd", `${dataDir}/auth/htpasswd`, "0644", htpasswd, true),
        ];
        const contentHash = pulumi.unsecret(
            pulumi.all([chain, key, config, htpasswd]).apply((parts) => sha256Of(...parts)),
        );

        let containerId: pulumi.Output<string>;
        let container: pulumi.Resource;
        if (runtime === "docker-provider") {
            const provider = new docker.Provider(`${name}-docker`, dockerOverSsh(args.ssh), { parent: this });
            // A switch from the cli runtime: its container (same name) goes first.
            const handover = new command.remote.Command(
                `${name}-handover`,
                { connection, create: runtimeHandoverScript(containerName) },
                { parent: this, dependsOn: files },
            );
            const c = new docker.Container(
                `${name}-container`,
                {
                    name: containerName,
                    image,
                    restart: "always",
                    mustRun: true,
                    ports: [{ internal: containerPort, external: port }],
                    volumes: registryVolumes(dataDir),
                    labels: [
                        { label: "airgap-registry.content-sha256", value: contentHash },
                        { label: "airgap-registry.managed-by", value: "pulumi" },
                    ],
                    ...(healthcheck
                        ? {
                            healthcheck: { tests: healthcheckCommand, interval: "10s", timeout: "5s", retries: 3, startPeriod: "5s" },
                            wait: true,
                            waitTimeout: 90,
                        }
                        : {}),
                },
                { parent: this, provider, dependsOn: [...files, handover], deleteBeforeReplace: true },
            );
            containerId = c.id;
            container = c;
        } else {
            const scripts = contentHash.apply((hash) =>
                cliRunScripts({
                    engine: args.cliEngine ?? registryContainerDefaults.cliEngine,
                    containerName,
                    image,
                    port,
                    dataDir,
                    contentHash: hash,
                    healthcheck,
                }),
            );
            const c = new command.remote.Command(
                `${name}-container`,
                { connection, create: scripts.create, delete: scripts.delete },
                { parent: this, dependsOn: files, deleteBeforeReplace: true, replaceOnChanges: ["create"] },
            );
            containerId = c.stdout.apply((s) => s.trim().split("\n").pop() ?? "");
            container = c;
        }

        new command.remote.Command(
            `${name}-ready`,
            { connection, create: readinessScript(port), stdin: args.caCertPem, triggers: [containerId] },
            { parent: this, dependsOn: [container] },
        );

        this.port = pulumi.output(port);
        this.containerId = containerId;
        this.credentials = pulumi.secret(
            pulumi.all(credentials.map((c) => pulumi.all([c.username, c.password]))).apply((pairs) =>
                pairs.map(([username, password]) => ({ username, password })),
            ),
        );
        this.contentHash = contentHash;
        this.registerOutputs({
            port: this.port,
            containerId: this.containerId,
            credentials: this.credentials,
            contentHash: this.contentHash,
        });
    }
}
