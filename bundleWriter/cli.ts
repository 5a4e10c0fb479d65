/**
 * `npm run bundle`: writes a carry-in bundle (registry image, engine packages, images to serve, storage, optionally the
 * deployment tool, manifest.json) on a machine with a network.
 */

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { BundleFile, BundleManifest, describeFile, manifestName, partSizes } from "../components/bundle/manifest";
import { writeDeployTool } from "./deployTool";
import { downloadDebianClosure, downloadRhelClosure } from "./enginePackages";

// npm run bundle -- --out DIR [options]   (on a machine with a network and a Docker daemon)
//
//   --registry-image REF   registry image to carry (default registry:3), saved with docker save
//   --image REF            an image to serve (repeatable), saved with docker save
//   --images-file FILE     more images to serve, one reference per line (# comments)
//   --packages FAMILY      debian (default), rhel, or none: engine packages with their closure
//   --package NAME         packages to resolve (default: docker.io curl ca-certificates for
//                          debian; docker-ce docker-ce-cli containerd.io curl for rhel)
//   --storage-archive F    a registry storage tarball (.tar.gz of the storage root) to restore
//   --deploy-tool          also carry the deployment tool: the Pulumi dist, this project, its npm
//                          dependencies as an npm cache, and bootstrap.sh (README, "Inside the air gap")
//   --pulumi-dist DIR      the Pulumi dist to carry (default: AIRGAP_REGISTRY_PULUMI_DIST, else
//                          ../shared/pulumi-dist beside this checkout, as scripts/toolchain.sh)
//   --node-runtime         with --deploy-tool: also carry Node.js (official linux-x64 build) and npm
//   --node-version V       Node.js version to carry (default: the one running this command)
//   --npm-version V        npm version to carry (default: the one on this machine)
//
// Writes DIR/manifest.json with the SHA-256 and size of every file.

interface Options {
    out: string;
    registryImage: string;
    images: string[];
    packages: "debian" | "rhel" | "none";
    packageNames: string[];
    storageArchive?: string;
    deployTool: boolean;
    pulumiDist?: string;
    nodeRuntime: boolean;
    nodeVersion?: string;
    npmVersion?: string;
}

function parse(argv: string[]): Options {
    const o: Options = {
        out: "",
        registryImage: "registry:3",
        images: [],
        packages: "debian",
        packageNames: [],
        deployTool: false,
        nodeRuntime: false,
    };
    for (let i = 0; i < argv.length; i++) {
        const value = () => {
            const v = argv[++i];
            if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
            return v;
        };
        switch (argv[i]) {
            case "--out":
                o.out = value();
                break;
            case "--registry-image":
                o.registryImage = value();
                break;
            case "--image":
                o.images.push(value());
                break;
            case "--images-file":
                o.images.push(
                    ...fs
                        .readFileSync(value(), "utf8")
                        .split("\n")
                        .map((l) => l.replace(/#.*/, "").trim())
                        .filter(Boolean),
                );
                break;
            case "--packages": {
                const v = value();
                if (v !== "debian" && v !== "rhel" && v !== "none")
                    throw new Error(`--packages must be debian, rhel or none, got ${v}`);
                o.packages = v;
                break;
            }
            case "--package":
                o.packageNames.push(value());
                break;
            case "--storage-archive":
                o.storageArchive = value();
                break;
            case "--deploy-tool":
                o.deployTool = true;
                break;
            case "--pulumi-dist":
                o.pulumiDist = value();
                break;
            case "--node-runtime":
                o.nodeRuntime = true;
                break;
            case "--node-version":
                o.nodeVersion = value();
                break;
            case "--npm-version":
                o.npmVersion = value();
                break;
            default:
                throw new Error(`unknown option ${argv[i]}`);
        }
    }
    if (!o.out) throw new Error("--out DIR is required");
    if ((o.nodeRuntime || o.pulumiDist) && !o.deployTool)
        throw new Error("--node-runtime and --pulumi-dist go with --deploy-tool");
    if ((o.nodeVersion || o.npmVersion) && !o.nodeRuntime)
        throw new Error("--node-version and --npm-version go with --node-runtime");
    return o;
}

/** A file name for an image reference (`registry.lab:5443/team/app:1` -> `team_app_1.tar`-like). */
export function imageFileName(ref: string): string {
    return `${ref.replace(/^[^/]*[.:][^/]*\//, "").replace(/[^A-Za-z0-9._-]+/g, "_")}.tar`;
}

function main(): void {
    const o = parse(process.argv.slice(2));
    const log = (m: string) => process.stderr.write(`bundle: ${m}\n`);
    const out = path.resolve(o.out);
    fs.mkdirSync(out, { recursive: true });
    const files: BundleFile[] = [];
    const save = (ref: string, rel: string, kind: "registry-image" | "image") => {
        log(`docker save ${ref} -> ${rel}`);
        fs.mkdirSync(path.dirname(path.join(out, rel)), { recursive: true });
        try {
            execFileSync("docker", ["save", "-o", path.join(out, rel), ref], { stdio: ["ignore", "ignore", "pipe"] });
        } catch (err) {
            throw new Error(
                `docker save ${ref} failed (pull or build it on this machine first): ${String((err as { stderr?: Buffer }).stderr ?? err)}`,
            );
        }
        files.push(describeFile(out, rel, kind, { ref }));
    };
    save(o.registryImage, "registry/registry-image.tar", "registry-image");
    for (const ref of o.images) save(ref, `images/${imageFileName(ref)}`, "image");

    let target: string | undefined;
    let install: string[] | undefined;
    if (o.packages !== "none") {
        const dir = path.join(out, "packages", o.packages);
        install = o.packageNames.length
            ? o.packageNames
            : o.packages === "debian"
              ? ["docker.io", "curl", "ca-certificates"]
              : ["docker-ce", "docker-ce-cli", "containerd.io", "curl"];
        const paths =
            o.packages === "debian" ? downloadDebianClosure(install, dir, log) : downloadRhelClosure(install, dir, log);
        for (const p of paths)
            files.push(
                describeFile(out, path.relative(out, p), "engine-package", {
                    format: o.packages === "debian" ? "deb" : "rpm",
                }),
            );
        const osRelease = fs.readFileSync("/etc/os-release", "utf8");
        const id = /^ID=(.*)$/m.exec(osRelease)?.[1]?.replace(/"/g, "");
        const codename = /^VERSION_CODENAME=(.*)$/m.exec(osRelease)?.[1]?.replace(/"/g, "");
        target = o.packages === "debian" ? `${id}-${codename}` : "rhel";
    }
    if (o.storageArchive) {
        fs.mkdirSync(path.join(out, "storage"), { recursive: true });
        fs.copyFileSync(o.storageArchive, path.join(out, "storage", "registry-storage.tar.gz"));
        files.push(describeFile(out, "storage/registry-storage.tar.gz", "storage"));
    }
    let deployTool: BundleManifest["deployTool"];
    if (o.deployTool) {
        const root = path.resolve(__dirname, "..", "..");
        const dist = path.resolve(
            o.pulumiDist ?? process.env.AIRGAP_REGISTRY_PULUMI_DIST ?? path.join(root, "..", "shared", "pulumi-dist"),
        );
        if (!fs.existsSync(path.join(dist, "SHA256SUMS")))
            throw new Error(`no Pulumi dist at ${dist} (SHA256SUMS missing): pass --pulumi-dist DIR`);
        const written = writeDeployTool(
            out,
            {
                pulumiDist: dist,
                projectRoot: root,
                ...(o.nodeRuntime
                    ? {
                          nodeRuntime: {
                              node: o.nodeVersion ?? process.versions.node,
                              npm: o.npmVersion ?? execFileSync("npm", ["--version"], { encoding: "utf8" }).trim(),
                          },
                      }
                    : {}),
            },
            log,
        );
        files.push(...written.files);
        deployTool = written.info;
    }
    const manifest: BundleManifest = {
        version: 1,
        created: new Date().toISOString(),
        ...(target ? { target } : {}),
        ...(install ? { install } : {}),
        ...(deployTool ? { deployTool } : {}),
        files,
    };
    fs.writeFileSync(path.join(out, manifestName), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const part of partSizes(manifest))
        log(`  ${part.kind}: ${part.files} files, ${(part.bytes / 1048576).toFixed(1)} MiB`);
    const total = files.reduce((n, f) => n + f.size, 0);
    log(`${files.length} files, ${(total / 1048576).toFixed(1)} MiB, manifest ${path.join(out, manifestName)}`);
    process.stdout.write(`${out}\n`);
}

if (require.main === module) {
    try {
        main();
    } catch (err) {
        process.stderr.write(`bundle: ERROR: ${(err as Error).message}\n`);
        process.exit(1);
    }
}
