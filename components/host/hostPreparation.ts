/**
 * HostPreparation: the registry host made ready over SSH (data dirs, engine, docker group, SELinux, daemon.json,
 * registry image).
 */

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { assertValid, checkFileExists, checkIdentifier, checkRemotePath, fieldPath } from "../validation";
import { DaemonSettings, desiredDaemonKeys, mergeDaemonJson } from "./daemonJson";
import { factsScript, HostFacts, parseHostFacts } from "./facts";
import { copyFileByHash } from "../ssh/copyByHash";
import { sha256Of } from "../ssh/fileHash";
import {
    daemonJsonScripts,
    dataDirScripts,
    dockerGroupScripts,
    engineScripts,
    loadImageScripts,
    selinuxPermissiveScripts,
} from "./hostScripts";
import { checkSshHost, sshConnection, SshHostArgs } from "../ssh/sshHost";
import { engineInstallScripts, storageRestoreScript } from "./carryInScripts";

/** Container-engine packages carried in a bundle, installed on hosts that have no engine. */
export interface EnginePackagesArgs {
    /** Directory on the operator's machine holding the packages (and nothing else). */
    readonly dir: string;
    /** `deb` (Debian/Ubuntu, apt) or `rpm` (RHEL family, dnf). */
    readonly format: "deb" | "rpm";
    /** A hash over the packages (the bundle manifest's), so they are copied again only when they change. */
    readonly contentHash: string;
    /** Package names to install. Default: `docker.io` (deb) or docker-ce, docker-ce-cli, containerd.io (rpm). */
    readonly packages?: readonly string[];
}

/** Arguments of {@link HostPreparation}. */
export interface HostPreparationArgs {
    /** How to reach the registry host over SSH. */
    readonly ssh: SshHostArgs;
    /** Directory on the host for registry storage, certs, auth and config. Default `"/var/lib/airgap-registry"`. */
    readonly dataDir?: string;
    /** Users to add to the `docker` group. Default `[]` (no change). */
    readonly dockerGroupUsers?: readonly string[];
    /** Put SELinux in permissive mode. Default `false`: SELinux is left as it is. */
    readonly selinuxPermissive?: boolean;
    /** daemon.json keys to merge into the host's file. Default: live-restore and log rotation. */
    readonly daemon?: DaemonSettings;
    /** The registry image reference that must be on the host. Default `"registry:3"` (distribution 3.x). */
    readonly registryImage?: string;
    /**
     * A `docker save` tarball of `registryImage` on the operator's machine, copied to the host
     * (only when its SHA-256 changed) and loaded (only when the image is absent). Default: none;
     * then the image must already be on the host.
     */
    readonly registryImageArchive?: string;
    /**
     * Engine packages to install, with no network, when the host has no container engine
     * (a host with an engine is left alone). Default: none; then the host must have an engine.
     */
    readonly enginePackages?: EnginePackagesArgs;
    /**
     * A registry storage archive (`.tar.gz` of the storage root) on the operator's machine,
     * restored into `<dataDir>/data` only when that directory is empty. Default: none.
     */
    readonly storageArchive?: string;
    /**
     * Remove the registry storage (`<dataDir>/data`) on destroy. Default `false`: images pushed
     * to the registry survive container replacement and `pulumi destroy`.
     */
    readonly removeDataOnDestroy?: boolean;
}

/** Defaults of {@link HostPreparationArgs}, in one place. */
export const hostPreparationDefaults = {
    dataDir: "/var/lib/airgap-registry",
    // 3.x: distribution 2.8 is end of life. A default that changes replaces the registry container of a stack that
    // relied on it (README, "Registry 2.8 and 3.x").
    registryImage: "registry:3",
} as const;

/** Validates the plain arguments of a HostPreparation; messages name `field`. */
export function checkHostPreparationArgs(field: string, args: HostPreparationArgs): string[] {
    const problems: string[] = [...checkSshHost(fieldPath(field, "ssh"), args.ssh)];
    if (args.dataDir !== undefined) problems.push(...checkRemotePath(fieldPath(field, "dataDir"), args.dataDir));
    (args.dockerGroupUsers ?? []).forEach((u, i) =>
        problems.push(...checkIdentifier(fieldPath(field, `dockerGroupUsers[${i}]`), u)),
    );
    if (args.registryImageArchive !== undefined) {
        problems.push(...checkFileExists(fieldPath(field, "registryImageArchive"), args.registryImageArchive));
    }
    if (args.storageArchive !== undefined)
        problems.push(...checkFileExists(fieldPath(field, "storageArchive"), args.storageArchive));
    if (args.registryImage !== undefined && !/^[a-z0-9][a-z0-9._/:@-]*$/.test(args.registryImage)) {
        problems.push(
            `\`${fieldPath(field, "registryImage")}\` is not an image reference: ${JSON.stringify(args.registryImage)}`,
        );
    }
    return problems;
}

/**
 * Prepares the registry host over one SSH connection: reads its facts, creates the data
 * directories, checks the container engine answers, optionally sets up the docker group and
 * SELinux, merges daemon.json (restarting the engine only when it changed) and loads the
 * registry image from a tarball. Every step is a remote.Command parented to this component;
 * depend on the component to wait for all of them.
 */
export class HostPreparation extends pulumi.ComponentResource {
    /** What was found on the host (OS family, engine, daemon.json). */
    public readonly facts: pulumi.Output<HostFacts>;
    /** The data directory on the host. */
    public readonly dataDir: pulumi.Output<string>;
    /** The registry image reference on the host. */
    public readonly registryImage: pulumi.Output<string>;
    /** The image ID of the registry image on the host. */
    public readonly registryImageId: pulumi.Output<string>;

    constructor(name: string, args: HostPreparationArgs, opts?: pulumi.ComponentResourceOptions) {
        assertValid("HostPreparation", checkHostPreparationArgs("", args));
        super("airgap-registry:host:HostPreparation", name, {}, opts);

        const connection = sshConnection(args.ssh);
        const dataDir = args.dataDir ?? hostPreparationDefaults.dataDir;
        const stateDir = `${dataDir}/.state`;
        const image = args.registryImage ?? hostPreparationDefaults.registryImage;
        const step = (
            role: string,
            scripts: { create: string; delete: string },
            extra: Partial<command.remote.CommandArgs>,
            dependsOn: pulumi.Resource[],
            options: pulumi.CustomResourceOptions = {},
        ) =>
            new command.remote.Command(
                `${name}-${role}`,
                { connection, create: scripts.create, delete: scripts.delete, ...extra },
                { parent: this, dependsOn, ...options },
            );

        // The facts are read again whenever the daemon settings change, so the merge below starts
        // from the daemon.json the host has then (keys an admin added since are kept).
        const desiredDaemon = desiredDaemonKeys(args.daemon);
        const factsCmd = new command.remote.Command(
            `${name}-facts`,
            { connection, create: factsScript(), triggers: [sha256Of(JSON.stringify(desiredDaemon))] },
            { parent: this },
        );
        // No trigger here: a replacement on the same directory would run the old delete after the
        // new create and remove the live registry's certs, auth and config (data too with
        // removeDataOnDestroy). Another data directory is an update: the old one stays as it is.
        const dirs = step("data-dir", dataDirScripts(dataDir, args.removeDataOnDestroy ?? false), {}, [factsCmd]);
        let engineDeps: pulumi.Resource[] = [dirs];
        if (args.enginePackages !== undefined) {
            // A directory per package set: CopyToRemote copies *into* a directory that already
            // exists, so a changed set must not land on top of an earlier one.
            const setId = args.enginePackages.contentHash.slice(0, 12);
            const remoteDir = `${dataDir}/bundle/packages-${setId}`;
            const copy = new command.remote.CopyToRemote(
                `${name}-engine-packages`,
                {
                    connection,
                    source: new pulumi.asset.FileArchive(args.enginePackages.dir),
                    remotePath: remoteDir,
                    triggers: [args.enginePackages.contentHash],
                },
                { parent: this, dependsOn: [dirs] },
            );
            // CopyToRemote puts a directory *inside* remotePath (command 1.2.1), and again inside on a
            // retry: the install finds the packages wherever they landed under remoteDir.
            engineDeps = [
                step(
                    "engine-install",
                    engineInstallScripts(
                        remoteDir,
                        args.enginePackages.format,
                        stateDir,
                        setId,
                        args.enginePackages.packages,
                    ),
                    { triggers: [args.enginePackages.contentHash] },
                    [copy],
                ),
            ];
        }
        const engine = step("engine", engineScripts(), {}, engineDeps);
        let last: pulumi.Resource[] = [engine];
        if ((args.dockerGroupUsers ?? []).length > 0) {
            last = [
                ...last,
                // Another list of users is a replacement: the old delete takes out the users it
                // added, then the new create adds the current ones.
                step(
                    "docker-group",
                    dockerGroupScripts(stateDir, args.dockerGroupUsers ?? []),
                    { triggers: [(args.dockerGroupUsers ?? []).join(",")] },
                    [engine],
                    { deleteBeforeReplace: true },
                ),
            ];
        }
        if (args.selinuxPermissive === true) {
            last = [...last, step("selinux", selinuxPermissiveScripts(stateDir), {}, [engine])];
        }
        const facts = factsCmd.stdout.apply(parseHostFacts);
        const label = args.ssh.address;
        const daemonJson = facts.apply((f) => mergeDaemonJson(f.daemonJson, desiredDaemon, label).text);
        const daemon = step("daemon-json", daemonJsonScripts(stateDir), { stdin: daemonJson }, last);

        if (args.storageArchive !== undefined) {
            const remoteArchive = `${dataDir}/images/registry-storage.tar.gz`;
            const { copy, sha256 } = copyFileByHash(
                `${name}-storage-archive`,
                { connection, localPath: args.storageArchive, remotePath: remoteArchive },
                { parent: this, dependsOn: [dirs] },
            );
            new command.remote.Command(
                `${name}-storage-restore`,
                { connection, create: storageRestoreScript(dataDir, remoteArchive), triggers: [sha256] },
                { parent: this, dependsOn: [copy] },
            );
        }

        let imageDeps: pulumi.Resource[] = [daemon];
        let archive: { path: string; id: string } | undefined;
        let archiveHash = "no-archive";
        if (args.registryImageArchive !== undefined) {
            const remotePath = `${dataDir}/images/registry-image.tar`;
            const { copy, sha256 } = copyFileByHash(
                `${name}-image-archive`,
                { connection, localPath: args.registryImageArchive, remotePath },
                { parent: this, dependsOn: [dirs] },
            );
            archive = { path: remotePath, id: sha256.slice(0, 12) };
            archiveHash = sha256;
            imageDeps = [daemon, copy];
        }
        // A new archive replaces this step: the new create loads it, the old delete (after the
        // container rolled to the new image ID) removes the image the old archive brought.
        const load = step(
            "image",
            loadImageScripts(stateDir, image, archive),
            { triggers: [image, archiveHash] },
            imageDeps,
        );

        this.facts = facts;
        this.dataDir = pulumi.output(dataDir);
        this.registryImage = pulumi.output(image);
        this.registryImageId = load.stdout.apply((s) => s.trim().split("\n").pop() ?? "");
        this.registerOutputs({
            facts: this.facts,
            dataDir: this.dataDir,
            registryImage: this.registryImage,
            registryImageId: this.registryImageId,
        });
    }
}
