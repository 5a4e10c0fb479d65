/** Copies a file to a host only when its SHA-256 changed (image archives, storage archives). */

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { sha256File } from "./fileHash";

/**
 * Copies a file from the operator's machine to a host with its SHA-256 as the trigger, so an
 * unchanged file is never sent again. `sha256` defaults to hashing the file (pass a manifest's).
 */
export function copyFileByHash(
    name: string,
    args: {
        connection: command.types.input.remote.ConnectionArgs;
        localPath: string;
        remotePath: string;
        sha256?: string;
    },
    opts: pulumi.CustomResourceOptions,
): { copy: command.remote.CopyToRemote; sha256: string } {
    const sha256 = args.sha256 ?? sha256File(args.localPath);
    const copy = new command.remote.CopyToRemote(
        name,
        {
            connection: args.connection,
            source: new pulumi.asset.FileAsset(args.localPath),
            remotePath: args.remotePath,
            triggers: [sha256],
        },
        opts,
    );
    return { copy, sha256 };
}
