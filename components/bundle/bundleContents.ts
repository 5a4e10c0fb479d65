/**
 * What PrivateRegistry takes from a verified carry-in bundle: the registry image, engine packages, images to serve,
 * storage.
 */

import * as path from "path";
import { EnginePackagesArgs } from "../host/hostPreparation";
import { ImageArchiveArgs } from "../registry/registryPopulation";
import { sha256Of } from "../ssh/fileHash";
import { BundleManifest, filesOfKind } from "./manifest";

/** What PrivateRegistry takes from a verified bundle. Pure. */
export function bundleContents(
    dir: string,
    manifest: BundleManifest,
): {
    registryImage?: { path: string; ref: string };
    enginePackages?: EnginePackagesArgs;
    images: ImageArchiveArgs[];
    storageArchive?: string;
} {
    const registry = filesOfKind(manifest, "registry-image")[0];
    const packages = filesOfKind(manifest, "engine-package");
    const storage = filesOfKind(manifest, "storage")[0];
    return {
        registryImage:
            registry && registry.ref ? { path: path.join(dir, registry.path), ref: registry.ref } : undefined,
        enginePackages:
            packages.length > 0
                ? {
                      dir: path.join(dir, path.dirname(packages[0].path)),
                      format: packages[0].format ?? "deb",
                      contentHash: sha256Of(...packages.map((p) => p.sha256)),
                      ...(manifest.install ? { packages: manifest.install } : {}),
                  }
                : undefined,
        images: filesOfKind(manifest, "image")
            .filter((f) => f.ref)
            .map((f) => ({ path: path.join(dir, f.path), ref: f.ref as string, sha256: f.sha256 })),
        storageArchive: storage ? path.join(dir, storage.path) : undefined,
    };
}
