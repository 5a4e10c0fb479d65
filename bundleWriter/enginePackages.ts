/**
 * Downloads the container engine's packages and their whole dependency closure for the bundle (Debian: apt; RHEL:
 * dnf).
 */

import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * Debian/Ubuntu: the named packages and their full dependency closure (no recommends), resolved
 * by apt as for a host with nothing installed (an empty dpkg status), so alternatives resolve the
 * way a real install would and nothing this machine happens to have is left out. Downloaded as
 * .deb files into `dir`. Build the bundle on a machine of the target release.
 */
export function downloadDebianClosure(packages: readonly string[], dir: string, log: (m: string) => void): string[] {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-bundle-apt-"));
    try {
        fs.writeFileSync(path.join(work, "status"), "");
        fs.mkdirSync(path.join(work, "archives", "partial"), { recursive: true });
        log(`resolving and downloading the closure of ${packages.join(", ")} (as for an empty host)`);
        const r = spawnSync(
            "apt-get",
            [
                "install",
                "-y",
                "-qq",
                "--download-only",
                "--no-install-recommends",
                "-o",
                `Dir::State::status=${path.join(work, "status")}`,
                "-o",
                `Dir::Cache::archives=${path.join(work, "archives")}`,
                "-o",
                "Debug::NoLocking=1",
                ...packages,
            ],
            { encoding: "utf8" },
        );
        if (r.status !== 0) {
            throw new Error(`apt-get --download-only failed (run apt-get update first?):\n${r.stderr}`);
        }
        fs.mkdirSync(dir, { recursive: true });
        const debs = fs
            .readdirSync(path.join(work, "archives"))
            .filter((f) => f.endsWith(".deb"))
            .sort();
        for (const f of debs) fs.copyFileSync(path.join(work, "archives", f), path.join(dir, f));
        log(`${debs.length} Debian packages`);
        fs.writeFileSync(path.join(dir, "Packages"), debianPackagesIndex(dir, debs));
        return [...debs, "Packages"].map((f) => path.join(dir, f));
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

/**
 * RHEL/CentOS/Rocky: `dnf download --resolve --alldeps` of the named packages (e.g. docker-ce,
 * containerd.io from Docker's repository, or podman). Written for completeness and NOT exercised
 * on this project's machines (no dnf, no RHEL repositories here).
 */
export function downloadRhelClosure(packages: readonly string[], dir: string, log: (m: string) => void): string[] {
    fs.mkdirSync(dir, { recursive: true });
    log(`dnf download --resolve --alldeps ${packages.join(" ")}`);
    const r = spawnSync("dnf", ["download", "--resolve", "--alldeps", "--destdir", dir, ...packages], {
        encoding: "utf8",
    });
    if (r.error || r.status !== 0) {
        throw new Error(`dnf download failed: ${r.error?.message ?? r.stderr}`);
    }
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".rpm"))
        .sort()
        .map((f) => path.join(dir, f));
}

/**
 * The `Packages` index of a flat apt repository (`deb [trusted=yes] file:<dir> ./`): each .deb's
 * control fields plus Filename, Size and SHA256, as dpkg-scanpackages writes them.
 */
export function debianPackagesIndex(dir: string, debs: readonly string[]): string {
    return debs
        .map((f) => {
            const full = path.join(dir, f);
            const control = spawnSync("dpkg-deb", ["-f", full], { encoding: "utf8" });
            if (control.status !== 0) throw new Error(`dpkg-deb -f ${f} failed: ${control.stderr}`);
            const sha256 = crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex");
            return `${control.stdout.trimEnd()}\nFilename: ./${f}\nSize: ${fs.statSync(full).size}\nSHA256: ${sha256}\n`;
        })
        .join("\n");
}
