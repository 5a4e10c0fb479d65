/**
 * The `cli` runtime: the registry run by `docker`/`podman` commands over SSH (hosts the docker provider cannot reach).
 */

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { cliRunScripts } from "./registryScripts";
import { CliEngine, RegistryRunArgs, RunningRegistry } from "./runtime";

/**
 * Runs the registry with the engine's CLI over SSH, labelled as the cli runtime's, replaced when
 * its run script changes; delete removes only a container this runtime started.
 */
export function runWithCli(
    name: string,
    args: RegistryRunArgs & { readonly engine: CliEngine },
    parent: pulumi.Resource,
): RunningRegistry {
    const scripts = pulumi.all([args.contentHash, args.filesHash]).apply(([hash, filesHash]) =>
        cliRunScripts({
            engine: args.engine,
            containerName: args.containerName,
            image: args.image,
            port: args.port,
            dataDir: args.dataDir,
            registryVersion: args.registryVersion,
            ...(args.storage === undefined ? {} : { storage: args.storage }),
            contentHash: hash,
            filesHash,
            healthcheck: args.healthcheck,
        }),
    );
    const container = new command.remote.Command(
        `${name}-container`,
        { connection: args.connection, create: scripts.create, delete: scripts.delete },
        { parent, dependsOn: args.files, deleteBeforeReplace: true, replaceOnChanges: ["create"] },
    );
    return { resource: container, containerId: container.stdout.apply((s) => s.trim().split("\n").pop() ?? "") };
}
