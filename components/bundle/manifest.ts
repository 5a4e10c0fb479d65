/**
 * The carry-in bundle's manifest.json: what each file is, its size and SHA-256, and the check of a bundle against it.
 */

import * as fs from "fs";
import * as path from "path";
import { sha256File } from "../ssh/fileHash";

/** What a file in a carry-in bundle is for. */
export type BundleFileKind =
    | "registry-image"
    | "engine-package"
    | "image"
    | "storage"
    // The deployment tool (`--deploy-tool`): what an operator inside the air gap runs `pulumi up` with.
    | "bootstrap"
    | "pulumi-dist"
    | "project"
    | "npm-cache"
    | "node-runtime";

/** One file of a bundle, with the hash and size it had when the bundle was written. */
export interface BundleFile {
    /** Path relative to the bundle directory, `/`-separated. */
    readonly path: string;
    readonly kind: BundleFileKind;
    /** SHA-256, hex. */
    readonly sha256: string;
    /** Size in bytes. */
    readonly size: number;
    /** For images: the reference it was saved as (`name:tag`). */
    readonly ref?: string;
    /** For engine packages: the package format. */
    readonly format?: "deb" | "rpm";
    /** For the node runtime: which package (`node` or `npm`) and its version. */
    readonly package?: "node" | "npm";
    readonly version?: string;
}

/** What the deployment tool of a bundle is (`--deploy-tool`), for the bootstrap and for people. */
export interface DeployToolInfo {
    /** The Pulumi CLI and language host version. */
    readonly pulumi: string;
    /** Resource plugin versions by name. */
    readonly plugins: Readonly<Record<string, string>>;
    /** The Node.js versions the project supports (package.json `engines.node`). */
    readonly nodeEngines: string;
    /** The npm registry the npm cache was filled from: `npm ci --offline` looks packages up by it. */
    readonly npmRegistry: string;
    /** The carried Node.js and npm versions (`--node-runtime`); absent when the workstation brings its own. */
    readonly node?: string;
    readonly npm?: string;
}

/** `manifest.json` of a bundle. */
export interface BundleManifest {
    readonly version: 1;
    /** When the bundle was written (RFC 3339). */
    readonly created: string;
    /** The distro the engine packages were resolved for, e.g. `debian-bookworm`. */
    readonly target?: string;
    /** The engine packages to install by name (their dependencies come along). */
    readonly install?: readonly string[];
    /** The deployment tool carried (`--deploy-tool`). */
    readonly deployTool?: DeployToolInfo;
    readonly files: readonly BundleFile[];
}

/** File name of the manifest inside a bundle directory. */
export const manifestName = "manifest.json";

/** Describes files already in `dir` (hash and size), for a manifest. */
export function describeFile(
    dir: string,
    relPath: string,
    kind: BundleFileKind,
    extra: Partial<BundleFile> = {},
): BundleFile {
    const full = path.join(dir, relPath);
    return {
        path: relPath.split(path.sep).join("/"),
        kind,
        sha256: sha256File(full),
        size: fs.statSync(full).size,
        ...extra,
    };
}

/**
 * Checks a bundle directory against its manifest: the manifest parses, every listed file is
 * there with its size and SHA-256, and no path leaves the directory. Returns one message per
 * problem naming the file; [] when the bundle is intact.
 */
export function verifyBundle(dir: string, field = "bundlePath"): { manifest?: BundleManifest; problems: string[] } {
    const manifestPath = path.join(dir, manifestName);
    let parsed: unknown;
    try {
        parsed = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
    } catch (err) {
        return { problems: [`\`${field}\`: cannot read ${manifestPath} (${(err as Error).message})`] };
    }
    if (!isManifest(parsed)) {
        return { problems: [`\`${field}\`: ${manifestPath} is not a version 1 bundle manifest`] };
    }
    const manifest = parsed;
    const problems: string[] = [];
    for (const file of manifest.files) {
        const full = path.resolve(dir, file.path);
        if (!full.startsWith(path.resolve(dir) + path.sep)) {
            problems.push(`\`${field}\`: manifest entry ${JSON.stringify(file.path)} points outside the bundle`);
            continue;
        }
        let size: number;
        try {
            size = fs.statSync(full).size;
        } catch {
            problems.push(`\`${field}\`: ${file.path} is missing`);
            continue;
        }
        if (size !== file.size) {
            problems.push(
                `\`${field}\`: ${file.path} has ${size} bytes, the manifest says ${file.size} (altered or truncated)`,
            );
        } else if (sha256File(full) !== file.sha256) {
            problems.push(`\`${field}\`: ${file.path} does not match its SHA-256 in the manifest (altered)`);
        }
    }
    return { manifest, problems };
}

function isManifest(value: unknown): value is BundleManifest {
    const v = value as { version?: unknown; files?: unknown } | null;
    return typeof v === "object" && v !== null && v.version === 1 && Array.isArray(v.files);
}

/** The files of one kind, in manifest order. Pure. */
export function filesOfKind(manifest: BundleManifest, kind: BundleFileKind): BundleFile[] {
    return manifest.files.filter((f) => f.kind === kind);
}

/** Bytes per kind of file, in the order kinds first appear in the manifest (the parts of a bundle). Pure. */
export function partSizes(
    manifest: Pick<BundleManifest, "files">,
): Array<{ kind: BundleFileKind; files: number; bytes: number }> {
    const parts = new Map<BundleFileKind, { kind: BundleFileKind; files: number; bytes: number }>();
    for (const f of manifest.files) {
        const part = parts.get(f.kind) ?? { kind: f.kind, files: 0, bytes: 0 };
        part.files += 1;
        part.bytes += f.size;
        parts.set(f.kind, part);
    }
    return [...parts.values()];
}
