/** The `docker-provider` runtime: the registry as a docker.Container, through a docker.Provider over `ssh://`. */

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import { dockerOverSsh } from "../ssh/dockerOverSsh";
import { containerPort } from "./configYml";
import {
    filesLabel,
    healthcheckCommand,
    waitsForHealthy,
    registryEnvs,
    registryVolumes,
    runtimeHandoverScript,
} from "./registryScripts";
import { RegistryRunArgs, RunningRegistry } from "./runtime";

/**
 * Runs the registry as a docker.Container (restart always, health check, content-hash label).
 * A `<name>-handover` step first removes a container the `cli` runtime left under the same name
 * (a switch of runtime); it never touches a container this runtime created.
 */
export function runWithDockerProvider(name: string, args: RegistryRunArgs, parent: pulumi.Resource): RunningRegistry {
    const provider = new docker.Provider(`${name}-docker`, dockerOverSsh(args.ssh), { parent });
    const handover = new command.remote.Command(
        `${name}-handover`,
        { connection: args.connection, create: runtimeHandoverScript(args.containerName) },
        { parent, dependsOn: args.files },
    );
    const container = new docker.Container(
        `${name}-container`,
        {
            name: args.containerName,
            image: args.image,
            restart: "always",
            mustRun: true,
            ports: [{ internal: containerPort, external: args.port }],
            volumes: registryVolumes(args.dataDir, args.registryVersion),
            // None for 2.8 (its image needs none).
            ...(registryEnvs(args.registryVersion, args.storage).length > 0
                ? { envs: registryEnvs(args.registryVersion, args.storage) }
                : {}),
            labels: [
                { label: "airgap-registry.content-sha256", value: args.contentHash },
                { label: filesLabel, value: args.filesHash },
                { label: "airgap-registry.managed-by", value: "pulumi" },
            ],
            ...(args.healthcheck
                ? {
                      healthcheck: {
                          tests: healthcheckCommand,
                          interval: "10s",
                          timeout: "5s",
                          retries: 3,
                          startPeriod: "5s",
                      },
                      ...(waitsForHealthy(args) ? { wait: true, waitTimeout: 90 } : {}),
                  }
                : {}),
        },
        { parent, provider, dependsOn: [...args.files, handover], deleteBeforeReplace: true },
    );
    return { resource: container, containerId: container.id };
}
