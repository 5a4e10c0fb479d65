/** RegistryPopulation: the bundle's images copied to the registry host and pushed once, TLS verified. */

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { populateScript, servedName } from "./populationScripts";
import { copyFileByHash } from "../ssh/copyByHash";
import { hostPreparationDefaults } from "../host/hostPreparation";
import { chainPathOn } from "./registryContainer";
import { checkSshHost, sshConnection, SshHostArgs } from "../ssh/sshHost";
import { assertValid, checkFileExists, checkPort, checkRemotePath, fieldPath } from "../validation";

/** An image archive (`docker save`) on the operator's machine to serve from the registry. */
export interface ImageArchiveArgs {
    /** Path of the archive. */
    readonly path: string;
    /** The reference saved in it (`name:tag`); served as `<registry>/<name>:<tag>`. */
    readonly ref: string;
    /** SHA-256 of the archive (the bundle manifest's): copied and pushed again only when it changes. */
    readonly sha256: string;
}

/** Arguments of {@link RegistryPopulation}. */
export interface RegistryPopulationArgs {
    /** How to reach the registry host over SSH. */
    readonly ssh: SshHostArgs;
    /** Images to serve. */
    readonly images: readonly ImageArchiveArgs[];
    /** Registry port on the host. */
    readonly port: number;
    /** User that pushes. */
    readonly username: pulumi.Input<string>;
    /** That user's password (secret); reaches the host on stdin. */
    readonly password: pulumi.Input<string>;
    /**
     * Data directory on the host (archives go to `<dataDir>/images`); the push trusts the CA at the end of the chain
     * a RegistryContainer wrote there (`<dataDir>/certs/chain.pem`). Default `"/var/lib/airgap-registry"`.
     */
    readonly dataDir?: string;
}

/** A resource-name-safe key for an image reference. */
export function imageKey(ref: string): string {
    const { repository, tag } = servedName(ref);
    return `${repository}-${tag}`.replace(/[^A-Za-z0-9.-]+/g, "-");
}

/** Validates the plain arguments of a RegistryPopulation; messages name its fields under `field` (`images[1].ref`). */
export function checkRegistryPopulationArgs(
    field: string,
    args: Pick<RegistryPopulationArgs, "ssh" | "images" | "port" | "dataDir">,
): string[] {
    const images = fieldPath(field, "images");
    const problems = [
        ...checkSshHost(fieldPath(field, "ssh"), args.ssh),
        ...checkPort(fieldPath(field, "port"), args.port),
    ];
    if (args.dataDir !== undefined) problems.push(...checkRemotePath(fieldPath(field, "dataDir"), args.dataDir));
    (args.images ?? []).forEach((img, i) => {
        problems.push(...checkFileExists(`${images}[${i}].path`, img.path));
        if (typeof img.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(img.sha256)) {
            problems.push(
                `\`${images}[${i}].sha256\` must be 64 lower-case hex digits, got ${JSON.stringify(img.sha256)}`,
            );
        }
        if (typeof img.ref !== "string" || !/^[a-z0-9][a-z0-9._/:@-]*$/.test(img.ref)) {
            problems.push(`\`${images}[${i}].ref\` is not an image reference: ${JSON.stringify(img.ref)}`);
        }
    });
    problems.push(
        ...checkServedNames(
            (args.images ?? []).map((img) => img.ref),
            (i) => `\`${images}[${i}].ref\``,
        ),
    );
    return problems;
}

/**
 * Two references served under one name (`team/app:1` and `team_app:1` both become
 * `team-app-1`) would collide as resources and in the registry: each repeat named, items
 * described by `describe`. Pure.
 */
export function checkServedNames(refs: readonly string[], describe: (index: number) => string): string[] {
    const first = new Map<string, number>();
    const problems: string[] = [];
    refs.forEach((ref, i) => {
        if (typeof ref !== "string") return;
        const key = imageKey(ref);
        const earlier = first.get(key);
        if (earlier === undefined) {
            first.set(key, i);
        } else {
            problems.push(
                `${describe(i)} ${JSON.stringify(ref)} is served under the same name (${key}) as ` +
                    `${describe(earlier)} ${JSON.stringify(refs[earlier])}`,
            );
        }
    });
    return problems;
}

/**
 * Pushes carried-in images into the registry once it is healthy: each archive is copied to the
 * registry host (only when its hash changed) and pushed from there with TLS verification on; an
 * image the registry already serves with the same image ID is not pushed again.
 */
export class RegistryPopulation extends pulumi.ComponentResource {
    /** What the registry serves, `name:tag@sha256:...`. */
    public readonly served: pulumi.Output<string[]>;

    constructor(name: string, args: RegistryPopulationArgs, opts?: pulumi.ComponentResourceOptions) {
        assertValid("RegistryPopulation", checkRegistryPopulationArgs("", args));
        super("airgap-registry:registry:RegistryPopulation", name, {}, opts);
        const connection = sshConnection(args.ssh);
        const dataDir = args.dataDir ?? hostPreparationDefaults.dataDir;
        const copies = args.images.map((img) => {
            const remotePath = `${dataDir}/images/serve-${imageKey(img.ref)}.tar`;
            const { copy } = copyFileByHash(
                `${name}-archive-${imageKey(img.ref)}`,
                { connection, localPath: img.path, remotePath, sha256: img.sha256 },
                { parent: this },
            );
            return { copy, remotePath, ref: img.ref };
        });
        const push = new command.remote.Command(
            `${name}-push`,
            {
                connection,
                create: pulumi.output(args.username).apply((u) =>
                    populateScript(
                        args.port,
                        u,
                        copies.map((c) => ({ ref: c.ref, archivePath: c.remotePath })),
                        chainPathOn(dataDir),
                    ),
                ),
                stdin: pulumi.secret(pulumi.interpolate`${args.password}\n`),
                triggers: args.images.map((i) => i.sha256),
            },
            { parent: this, dependsOn: copies.map((c) => c.copy), additionalSecretOutputs: ["stdin"] },
        );
        this.served = push.stdout.apply((out) =>
            out
                .split("\n")
                .map((l) => l.trim())
                .filter((l) => /@sha256:[0-9a-f]{64}$/.test(l)),
        );
        this.registerOutputs({ served: this.served });
    }
}
