/** A carry-in bundle for the lab, written once and reused across test files. */

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { verifyBundle } from "../../components/internal";
import { projectRoot } from "./engine";

/** The lab's carry-in bundle: the lab's registry image, one image to serve, Debian's engine packages. */
export const labBundleDir = path.join(projectRoot, ".lab", "bundle");

/** Builds the lab bundle with `npm run bundle`'s command unless a verified one is there. Returns its directory. */
export function ensureLabBundle(): string {
    if (fs.existsSync(path.join(labBundleDir, "manifest.json")) && verifyBundle(labBundleDir).problems.length === 0)
        return labBundleDir;
    fs.rmSync(labBundleDir, { recursive: true, force: true });
    if (
        !fs.existsSync("/var/lib/apt/lists") ||
        fs.readdirSync("/var/lib/apt/lists").filter((f) => f.endsWith("Packages")).length === 0
    ) {
        execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    }
    execFileSync(
        process.execPath,
        [
            path.join(projectRoot, "dist", "bundleWriter", "cli.js"),
            "--out",
            labBundleDir,
            "--registry-image",
            "airgap-registry/registry:2.8",
            "--image",
            "airgap-lab/hello:1",
        ],
        { stdio: ["ignore", "ignore", "inherit"] },
    );
    return labBundleDir;
}
