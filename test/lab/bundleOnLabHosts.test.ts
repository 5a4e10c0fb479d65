/**
 * The bundle's scripts on bare.lab over SSH: a missing dependency named with dpkg unchanged, storage restore only into
 * empty.
 */

import { describe, it, before } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    engineInstallScripts,
    filesOfKind,
    storageRestoreScript,
    verifyBundle,
    BundleManifest,
} from "../../components/internal";
import { freshLabHosts, mustRun, onHost } from "../support/lab";
import { ensureLabBundle, labBundleDir } from "../support/labBundle";

// The carry-in bundle's scripts on bare.lab (no container engine, no route outside) for what the
// engine suite (test/engine/bundleStack) does not reach: a bundle missing a dependency fails by
// name with the host unchanged, and a storage archive restores only into an empty directory.

const bundleDir = labBundleDir;
const dataDir = "/var/lib/airgap-registry";
const state = `${dataDir}/.state`;

let cfg: string;
let manifest: BundleManifest;
const run = (host: string, command: string, stdin = "") => mustRun(cfg, host, command, stdin);

/** Copies local files into a directory on a lab host (tar over SSH; CopyToRemote's job in a stack). */
function copyTo(host: string, files: string[], remoteDir: string): void {
    const tar = spawnSync("tar", ["-cf", "-", "-C", path.dirname(files[0]), ...files.map((f) => path.basename(f))], {
        maxBuffer: 1 << 30,
    });
    const r = spawnSync("ssh", ["-F", cfg, host, `mkdir -p '${remoteDir}' && tar -xf - -C '${remoteDir}'`], {
        input: tar.stdout,
        encoding: "utf8",
        maxBuffer: 64 << 20,
    });
    assert.equal(r.status, 0, r.stderr);
}

describe("carry-in bundle on real lab hosts", { concurrency: false }, () => {
    before(() => {
        // A fresh bare host every run: no engine, nothing from an earlier run.
        cfg = freshLabHosts("bare");
        ensureLabBundle();
        const checked = verifyBundle(bundleDir);
        assert.deepEqual(checked.problems, []);
        manifest = checked.manifest as BundleManifest;
    });

    it("a missing dependency fails by name and leaves the host unchanged", () => {
        const packages = filesOfKind(manifest, "engine-package").map((f) => path.join(bundleDir, f.path));
        // The same bundle with containerd's package gone (its index entry removed too, as if never carried).
        const withoutContainerd = packages.filter((p) => !/\/containerd_/.test(p) && !p.endsWith("/Packages"));
        assert.equal(withoutContainerd.length, packages.length - 2, "the bundle has containerd and an index");
        copyTo("bare.lab", withoutContainerd, "/tmp/partial-packages");
        const index = fs
            .readFileSync(path.join(bundleDir, "packages", "debian", "Packages"), "utf8")
            .split("\n\n")
            .filter((p) => !/^Package: containerd$/m.test(p))
            .join("\n\n");
        run("bare.lab", "cat > /tmp/partial-packages/Packages", index);
        const before = run("bare.lab", "dpkg-query -W -f '${Package}\\n' | sort | sha256sum");
        const r = onHost(
            cfg,
            "bare.lab",
            engineInstallScripts("/tmp/partial-packages", "deb", state, "partial", manifest.install).create,
        );
        assert.equal(r.code, 5, r.stderr);
        assert.match(r.stderr, /engine install from the bundle failed; missing dependencies: .*containerd/);
        assert.equal(
            run("bare.lab", "dpkg-query -W -f '${Package}\\n' | sort | sha256sum"),
            before,
            "no package was installed",
        );
        assert.notEqual(onHost(cfg, "bare.lab", "command -v docker").code, 0);
        run("bare.lab", "rm -rf /tmp/partial-packages");
    });

    it("a storage archive restores only into an empty data directory", () => {
        run(
            "bare.lab",
            "mkdir -p /tmp/storage/docker/registry/v2/repositories/airgap-lab/hello && tar -czf /tmp/storage.tar.gz -C /tmp/storage . && rm -rf /tmp/storage",
        );
        const restored = "/var/lib/airgap-registry-restored";
        assert.match(
            run("bare.lab", storageRestoreScript(restored, "/tmp/storage.tar.gz")),
            /restored registry storage into/,
        );
        assert.match(run("bare.lab", `ls ${restored}/data/docker/registry/v2/repositories/airgap-lab`), /hello/);
        run("bare.lab", `echo keep > ${restored}/data/marker`);
        assert.match(
            run("bare.lab", storageRestoreScript(restored, "/tmp/storage.tar.gz")),
            /is not empty: storage archive not restored, existing data kept/,
        );
        assert.equal(run("bare.lab", `cat ${restored}/data/marker`).trim(), "keep");
        run("bare.lab", `rm -rf ${restored} /tmp/storage.tar.gz`);
    });
});
