/** Changed carry-ins for replacement tests: a registry image archive with the same tag, a bundle with another package set. */

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { BundleManifest, describeFile, manifestName } from "../../components/internal";
import { projectRoot } from "./engine";

const labState = path.join(projectRoot, ".lab");

/**
 * A `docker save` archive of another image under the lab's registry tag
 * (`airgap-registry/registry:2.8` plus a label `airgap-lab.variant`), as a site gets when a new
 * build of the same tag is carried in. Built on this machine's dockerd; returns its path.
 */
export function variantRegistryArchive(variant: string): string {
    const tag = `airgap-lab/registry-variant:${variant}`;
    execFileSync("docker", ["build", "-q", "-t", tag, "-"], {
        input: `FROM airgap-registry/registry:2.8\nLABEL airgap-lab.variant=${variant}\n`,
        stdio: ["pipe", "ignore", "inherit"],
    });
    const id = execFileSync("docker", ["image", "inspect", "--format", "{{.Id}}", tag], { encoding: "utf8" }).trim();
    const work = fs.mkdtempSync(path.join(labState, "variant-"));
    try {
        execFileSync("sh", ["-c", `docker save ${tag} | tar -x -C ${work}`]);
        // The archive names the registry's tag, not the build's.
        const manifest = JSON.parse(fs.readFileSync(path.join(work, "manifest.json"), "utf8")) as Array<{
            RepoTags: string[];
        }>;
        manifest[0].RepoTags = ["airgap-registry/registry:2.8"];
        fs.writeFileSync(path.join(work, "manifest.json"), JSON.stringify(manifest));
        fs.writeFileSync(
            path.join(work, "repositories"),
            JSON.stringify({ "airgap-registry/registry": { "2.8": id.replace(/^sha256:/, "") } }),
        );
        const archive = path.join(labState, "images", `registry-image-variant-${variant}.tar`);
        execFileSync("tar", ["-c", "-f", archive, "-C", work, "."]);
        return archive;
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
        execFileSync("docker", ["rmi", tag], { stdio: "ignore" });
    }
}

/** The image ID a `docker save` archive holds (its config blob's name). */
export function archiveImageId(archive: string): string {
    const manifest = JSON.parse(
        execFileSync("tar", ["-x", "-O", "-f", archive, "./manifest.json"], { encoding: "utf8" }),
    ) as Array<{
        Config: string;
    }>;
    return `sha256:${path
        .basename(manifest[0].Config)
        .replace(/\.json$/, "")
        .replace(/^sha256:/, "")}`;
}

/**
 * A copy of the lab bundle with one more engine package (a small empty .deb outside the
 * repository index, so nothing installs it): the same engine, another package set. Files are
 * hard links, the manifest is written anew. Returns its directory.
 */
export function bundleWithAnotherPackageSet(bundleDir: string): string {
    const out = path.join(labState, "bundle-other-package-set");
    fs.rmSync(out, { recursive: true, force: true });
    execFileSync("cp", ["-al", bundleDir, out]);
    const pkg = fs.mkdtempSync(path.join(labState, "deb-"));
    try {
        fs.mkdirSync(path.join(pkg, "DEBIAN"));
        fs.writeFileSync(
            path.join(pkg, "DEBIAN", "control"),
            "Package: airgap-lab-marker\nVersion: 1\nArchitecture: all\nMaintainer: lab <lab@lab>\nDescription: lab marker\n",
        );
        execFileSync(
            "dpkg-deb",
            ["--build", pkg, path.join(out, "packages", "debian", "airgap-lab-marker_1_all.deb")],
            {
                stdio: "ignore",
            },
        );
    } finally {
        fs.rmSync(pkg, { recursive: true, force: true });
    }
    const manifestPath = path.join(out, manifestName);
    const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as BundleManifest;
    const files = [
        ...manifest.files,
        describeFile(out, "packages/debian/airgap-lab-marker_1_all.deb", "engine-package", { format: "deb" }),
    ];
    fs.rmSync(manifestPath); // a hard link to the original bundle's manifest: replaced, not written through
    fs.writeFileSync(manifestPath, JSON.stringify({ ...manifest, files }, null, 2));
    return out;
}
