import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/**
 * Debian/Ubuntu: the named packages and their full Depends/Pre-Depends closure (no recommends),
 * as this machine's apt resolves them, downloaded as .deb files into `dir`. The bundle must be
 * built on a machine of the target release (the packages are that release's).
 */
export function downloadDebianClosure(packages: readonly string[], dir: string, log: (m: string) => void): string[] {
    const tree = execFileSync("apt-cache", [
        "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances",
        ...packages,
    ], { encoding: "utf8", maxBuffer: 64 << 20 });
    const names = [...new Set(tree.split("\n").filter((l) => /^[a-z0-9][a-z0-9+.-]*(:[a-z0-9]+)?$/.test(l)))].sort();
    // Virtual packages have no candidate of their own; what provides them is in the closure.
    const real = names.filter((n) => /Candidate: (?!\(none\))/.test(execFileSync("apt-cache", ["policy", n], { encoding: "utf8" })));
    fs.mkdirSync(dir, { recursive: true });
    log(`downloading ${real.length} Debian packages (closure of ${packages.join(", ")})`);
    const r = spawnSync("apt-get", ["download", ...real], { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) {
        throw new Error(`apt-get download failed (run apt-get update first?):\n${r.stderr}`);
    }
    return fs.readdirSync(dir).filter((f) => f.endsWith(".deb")).sort().map((f) => path.join(dir, f));
}

/**
 * RHEL/CentOS/Rocky: `dnf download --resolve --alldeps` of the named packages (e.g. docker-ce,
 * containerd.io from Docker's repository, or podman). Written for completeness and NOT exercised
 * on this project's machines (no dnf, no RHEL repositories here).
 */
export function downloadRhelClosure(packages: readonly string[], dir: string, log: (m: string) => void): string[] {
    fs.mkdirSync(dir, { recursive: true });
    log(`dnf download --resolve --alldeps ${packages.join(" ")}`);
    const r = spawnSync("dnf", ["download", "--resolve", "--alldeps", "--destdir", dir, ...packages], { encoding: "utf8" });
    if (r.error || r.status !== 0) {
        throw new Error(`dnf download failed: ${r.error?.message ?? r.stderr}`);
    }
    return fs.readdirSync(dir).filter((f) => f.endsWith(".rpm")).sort().map((f) => path.join(dir, f));
}
