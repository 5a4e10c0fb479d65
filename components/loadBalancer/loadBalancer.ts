/**
 * LoadBalancer: haproxy in front of registry replicas on its own host: its host prepared (engine, image), its files
 * (haproxy.cfg, the certificate with its key, the CA) each a HostFiles that reloads haproxy, the container in the
 * chosen runtime, and a readiness check through it.
 */

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import { HostPreparation } from "../host/hostPreparation";
import { runtimeHandoverScript } from "../registry/registryScripts";
import { readinessScript } from "../registry/registryScripts";
import { checkRuntime, CliEngine, RegistryRuntime } from "../registry/runtime";
import { dockerOverSsh } from "../ssh/dockerOverSsh";
import { HostFiles } from "../ssh/hostFiles";
import { checkSshHost, sshConnection, SshHostArgs } from "../ssh/sshHost";
import { assertValid, checkFileExists, checkIdentifier, checkRemotePath, fieldPath } from "../validation";
import {
    checkHaproxyConfigInput,
    HaproxyConfigInput,
    haproxyCertificatePem,
    haproxyPaths,
    renderHaproxyConfig,
} from "./haproxyConfig";
import {
    haproxyCliRunScripts,
    haproxyCommand,
    haproxyImageLabel,
    haproxyNetworkMode,
    haproxyReloadScript,
} from "./haproxyScripts";

/** Arguments of {@link LoadBalancer}. */
export interface LoadBalancerComponentArgs {
    /** How to reach the load balancer's host over SSH (a pinned host key or known_hosts file, as every host). */
    readonly ssh: SshHostArgs;
    /** What haproxy.cfg is rendered from (port, the registry's primary name, the replicas, timeouts, health check). */
    readonly haproxy: HaproxyConfigInput;
    /** The registry's certificate chain (server certificate first), PEM: what clients are served. */
    readonly certChainPem: pulumi.Input<string>;
    /** The server certificate's private key, PEM (secret): written after the chain in one 0600 file. */
    readonly privateKeyPem: pulumi.Input<string>;
    /** The CA the replicas' certificates are verified against, PEM; also the readiness check's. */
    readonly caCertPem: pulumi.Input<string>;
    /**
     * haproxy's image on the host: it must have `haproxy` on its PATH (its entrypoint is set to it). Default
     * `"haproxy:2.6"` (the version Debian 12 ships and the rendered config was checked with).
     */
    readonly image?: string;
    /**
     * A `docker save` tarball of `image` on the operator's machine, copied to the host when its SHA-256 changed and
     * loaded, exactly as the registry image is (the host is prepared by a HostPreparation). Default: none; then the
     * image must already be on the host.
     */
    readonly imageArchive?: string;
    /**
     * Directory on the host for the HostPreparation's state and the copied image archive (haproxy's own files are in
     * `/etc/haproxy/airgap-registry`). Default `"/var/lib/airgap-registry-lb"`.
     */
    readonly dataDir?: string;
    /** haproxy's container name. Default `"airgap-registry-lb"`. */
    readonly containerName?: string;
    /** How the container is run, as for the registry. Default `"docker-provider"`. */
    readonly runtime?: RegistryRuntime;
    /** Engine CLI of the `cli` runtime. Default `"docker"`. */
    readonly cliEngine?: CliEngine;
    /** Resources the readiness check waits for (the replicas: the load balancer answers only through one). Default `[]`. */
    readonly readyAfter?: readonly pulumi.Input<pulumi.Resource>[];
}

/** Defaults of {@link LoadBalancerComponentArgs}, in one place. */
export const loadBalancerComponentDefaults = {
    image: "haproxy:2.6",
    dataDir: "/var/lib/airgap-registry-lb",
    containerName: "airgap-registry-lb",
    runtime: "docker-provider" as RegistryRuntime,
    cliEngine: "docker" as CliEngine,
} as const;

/** Validates the plain arguments of a LoadBalancer; messages name its fields under `field`. Pure. */
export function checkLoadBalancerComponentArgs(
    field: string,
    args: Omit<LoadBalancerComponentArgs, "certChainPem" | "privateKeyPem" | "caCertPem">,
): string[] {
    if (args === undefined || args === null || typeof args !== "object") return ["arguments are required"];
    const sshField = fieldPath(field, "ssh");
    const problems: string[] = [...checkSshHost(sshField, args.ssh), ...checkRuntime(field, args, args.ssh, sshField)];
    if (args.haproxy === undefined || args.haproxy === null || typeof args.haproxy !== "object")
        problems.push(`\`${fieldPath(field, "haproxy")}\` is required`);
    else
        problems.push(
            ...checkHaproxyConfigInput(args.haproxy).map((p) => p.replace(/`/, `\`${fieldPath(field, "haproxy")}.`)),
        );
    if (args.image !== undefined && !/^[a-z0-9][a-z0-9._/:@-]*$/.test(args.image))
        problems.push(`\`${fieldPath(field, "image")}\` is not an image reference: ${JSON.stringify(args.image)}`);
    if (args.imageArchive !== undefined)
        problems.push(...checkFileExists(fieldPath(field, "imageArchive"), args.imageArchive));
    if (args.dataDir !== undefined) problems.push(...checkRemotePath(fieldPath(field, "dataDir"), args.dataDir));
    if (args.containerName !== undefined)
        problems.push(...checkIdentifier(fieldPath(field, "containerName"), args.containerName));
    return problems;
}

/**
 * haproxy in front of the registry replicas, on its own host. The host is prepared by a {@link HostPreparation}
 * (`<name>-host`: the engine answers, daemon.json, haproxy's image loaded from its archive when given). haproxy.cfg,
 * the certificate file (chain then key, 0600, secret) and the CA file are each a {@link HostFiles} (read back on
 * refresh) in `/etc/haproxy/airgap-registry`, whose `onChange` checks the config and reloads the running haproxy in
 * place ({@link haproxyReloadScript}): a replica added or removed changes haproxy.cfg and reloads haproxy, never
 * replaces its container. haproxy runs as a container (root, the files' directory read-only, on the host's
 * network, master-worker in the foreground) through the docker provider over `ssh://` or the engine's CLI; a new
 * image ID rolls it. A readiness check (`<name>-ready`) waits until the load balancer answers 401 over TLS verified
 * with the CA on its host.
 */
export class LoadBalancer extends pulumi.ComponentResource {
    /** The port clients connect to. */
    public readonly port: pulumi.Output<number>;
    /** haproxy's container ID. */
    public readonly containerId: pulumi.Output<string>;
    /** The rendered haproxy.cfg (public: no secret in it). */
    public readonly config: pulumi.Output<string>;
    /** The prepared host (child). */
    public readonly host: HostPreparation;

    constructor(name: string, args: LoadBalancerComponentArgs, opts?: pulumi.ComponentResourceOptions) {
        assertValid("LoadBalancer", checkLoadBalancerComponentArgs("", args));
        super("airgap-registry:loadBalancer:LoadBalancer", name, {}, opts);

        const d = loadBalancerComponentDefaults;
        const connection = sshConnection(args.ssh);
        const image = args.image ?? d.image;
        const containerName = args.containerName ?? d.containerName;
        const runtime = args.runtime ?? d.runtime;
        const engine = runtime === "docker-provider" ? "docker" : (args.cliEngine ?? d.cliEngine);
        const port = args.haproxy.port;

        const host = new HostPreparation(
            `${name}-host`,
            {
                ssh: args.ssh,
                dataDir: args.dataDir ?? d.dataDir,
                registryImage: image,
                ...(args.imageArchive === undefined ? {} : { registryImageArchive: args.imageArchive }),
            },
            { parent: this },
        );

        const configText = renderHaproxyConfig(args.haproxy);
        const certificate = pulumi.secret(
            pulumi
                .all([args.certChainPem, args.privateKeyPem])
                .apply(([chain, key]) => haproxyCertificatePem(chain, key)),
        );
        const ca = pulumi.output(args.caCertPem).apply((pem) => (pem.endsWith("\n") ? pem : `${pem}\n`));
        const onChange = haproxyReloadScript(engine, containerName, port);
        const placed: Array<{ role: string; path: string; mode: "0600" | "0644"; content: pulumi.Input<string> }> = [
            { role: "config", path: haproxyPaths.config, mode: "0644", content: configText },
            { role: "certificate", path: haproxyPaths.certificate, mode: "0600", content: certificate },
            { role: "ca", path: haproxyPaths.caFile, mode: "0644", content: ca },
        ];
        const files = placed.map(
            (f) =>
                new HostFiles(
                    `${name}-${f.role}`,
                    {
                        ssh: args.ssh,
                        files: [{ path: f.path, mode: f.mode, content: f.content }],
                        directories: [haproxyPaths.dir],
                        onChange,
                    },
                    { parent: this, dependsOn: [host] },
                ),
        );

        const imageId = host.registryImageId;
        let container: pulumi.Resource;
        let containerId: pulumi.Output<string>;
        if (runtime === "docker-provider") {
            const provider = new docker.Provider(`${name}-docker`, dockerOverSsh(args.ssh), { parent: this });
            const handover = new command.remote.Command(
                `${name}-handover`,
                { connection, create: runtimeHandoverScript(containerName) },
                { parent: this, dependsOn: files },
            );
            const cmd = haproxyCommand();
            const c = new docker.Container(
                `${name}-container`,
                {
                    name: containerName,
                    image,
                    restart: "always",
                    mustRun: true,
                    // The key file is root's and 0600; the official image's default user could not read it.
                    user: "0",
                    entrypoints: [cmd.entrypoint],
                    command: cmd.args,
                    networkMode: haproxyNetworkMode,
                    volumes: [{ hostPath: haproxyPaths.dir, containerPath: haproxyPaths.dir, readOnly: true }],
                    labels: [
                        { label: haproxyImageLabel, value: imageId },
                        { label: "airgap-registry.managed-by", value: "pulumi" },
                    ],
                },
                { parent: this, provider, dependsOn: [host, ...files, handover], deleteBeforeReplace: true },
            );
            container = c;
            containerId = c.id;
        } else {
            const scripts = imageId.apply((id) =>
                haproxyCliRunScripts({ engine, containerName, image, port, imageId: id }),
            );
            const c = new command.remote.Command(
                `${name}-container`,
                { connection, create: scripts.create, delete: scripts.delete },
                { parent: this, dependsOn: [host, ...files], deleteBeforeReplace: true, replaceOnChanges: ["create"] },
            );
            container = c;
            containerId = c.stdout.apply((s) => s.trim().split("\n").pop() ?? "");
        }

        new command.remote.Command(
            `${name}-ready`,
            { connection, create: readinessScript(port), stdin: args.caCertPem, triggers: [containerId] },
            { parent: this, dependsOn: [container, ...(args.readyAfter ?? [])] },
        );

        this.port = pulumi.output(port);
        this.containerId = containerId;
        this.config = pulumi.output(configText);
        this.host = host;
        this.registerOutputs({ port: this.port, containerId: this.containerId, config: this.config });
    }
}
