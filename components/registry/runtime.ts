/** The choice of how the registry container runs, and its validation. */

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { SshHostArgs } from "../ssh/sshHost";
import { fieldPath } from "../validation";
import { RegistryStorageArgs } from "./objectStorage";
import { RegistryVersion } from "./registryVersion";

/**
 * How the registry container is run. `docker-provider`: a docker.Container through a
 * docker.Provider over `ssh://` (needs an SSH key path and a known_hosts file). `cli`:
 * `docker`/`podman` commands over SSH, for hosts where the docker provider cannot be used
 * (podman-only RHEL hosts).
 */
export type RegistryRuntime = "docker-provider" | "cli";

/** The engine CLI of the `cli` runtime. */
export type CliEngine = "docker" | "podman";

/**
 * Validates the runtime choice: `runtime` and `cliEngine` are the fields under `field`, and the
 * docker-provider runtime needs key paths and known_hosts files on the host at `sshField`.
 */
export function checkRuntime(
    field: string,
    choice: { readonly runtime?: unknown; readonly cliEngine?: unknown },
    ssh: SshHostArgs | undefined,
    sshField: string,
): string[] {
    const problems: string[] = [];
    const runtimeField = fieldPath(field, "runtime");
    const chosen = choice.runtime ?? "docker-provider";
    if (chosen !== "docker-provider" && chosen !== "cli") {
        problems.push(`\`${runtimeField}\` must be "docker-provider" or "cli", got ${JSON.stringify(choice.runtime)}`);
    }
    if (choice.cliEngine !== undefined && choice.cliEngine !== "docker" && choice.cliEngine !== "podman") {
        problems.push(
            `\`${fieldPath(field, "cliEngine")}\` must be "docker" or "podman", got ${JSON.stringify(choice.cliEngine)}`,
        );
    }
    if (chosen !== "docker-provider" || ssh === undefined || ssh === null || typeof ssh !== "object") return problems;
    if (ssh.privateKey !== undefined || (ssh.bastion !== undefined && ssh.bastion.privateKey !== undefined)) {
        problems.push(
            `\`${runtimeField}\` "docker-provider" runs the operator's ssh client and needs ` +
                `\`${fieldPath(sshField, "privateKeyPath")}\` (and the bastion's); use runtime "cli" with an in-memory key`,
        );
    }
    if (ssh.knownHostsPath === undefined || (ssh.bastion !== undefined && ssh.bastion.knownHostsPath === undefined)) {
        problems.push(
            `\`${runtimeField}\` "docker-provider" runs the operator's ssh client, which verifies hosts against a known_hosts ` +
                `file: set \`${fieldPath(sshField, "knownHostsPath")}\`${ssh.bastion !== undefined ? " (and the bastion's)" : ""}, or use runtime "cli"`,
        );
    }
    return problems;
}

/** What both runtimes need to run the registry container. */
export interface RegistryRunArgs {
    readonly ssh: SshHostArgs;
    readonly connection: command.types.input.remote.ConnectionArgs;
    readonly containerName: string;
    readonly image: string;
    readonly port: number;
    readonly dataDir: string;
    /** Where the config is mounted and the container's environment. */
    readonly registryVersion: RegistryVersion;
    /** The storage, for the container's environment (an https object store's CA). Default: the host directory. */
    readonly storage?: Pick<RegistryStorageArgs, "s3">;
    readonly healthcheck: boolean;
    /** Rolls the container when the files it runs with change. */
    readonly contentHash: pulumi.Output<string>;
    /** The digest of the files the container starts with (its `airgap-registry.files-sha256` label). */
    readonly filesHash: pulumi.Output<string>;
    /** The files the container reads (written before it starts). */
    readonly files: pulumi.Resource[];
}

/** A started registry container: the resource to depend on and its ID. */
export interface RunningRegistry {
    readonly resource: pulumi.Resource;
    readonly containerId: pulumi.Output<string>;
}
