/** scripts/toolchain.sh: install from the dist, reuse, altered/missing files named, an ordinary install, neither. */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectRoot } from "../support/engine";

// scripts/toolchain.sh installs the engine from a directory of release tarballs (the Pulumi
// dist an operator carries in), checked against SHA256SUMS, or uses an ordinary Pulumi install;
// anything else fails saying what is missing. Each case runs the script in a copy of the
// checkout (scripts/ and package-lock.json) so where the dist is found is under the test's control.

/** The dist the project's runs use: AIRGAP_REGISTRY_PULUMI_DIST, else ../shared/pulumi-dist. */
const realDist = process.env.AIRGAP_REGISTRY_PULUMI_DIST ?? path.join(projectRoot, "..", "shared", "pulumi-dist");
const pulumiVersion = (
    JSON.parse(fs.readFileSync(path.join(projectRoot, "package-lock.json"), "utf8")) as {
        packages: Record<string, { version: string }>;
    }
).packages["node_modules/@pulumi/pulumi"].version;

let work: string;

/** A checkout holding only what the script reads; `sharedDist` is placed beside it as ../shared/pulumi-dist. */
function checkout(name: string, sharedDist?: string): string {
    const root = path.join(work, name, "main");
    fs.mkdirSync(path.join(root, "scripts"), { recursive: true });
    for (const f of ["scripts/toolchain.sh", "scripts/pulumi-env.sh", "package-lock.json"])
        fs.copyFileSync(path.join(projectRoot, f), path.join(root, f));
    if (sharedDist !== undefined) {
        fs.mkdirSync(path.join(work, name, "shared"));
        fs.symlinkSync(sharedDist, path.join(work, name, "shared", "pulumi-dist"));
    }
    return root;
}

/** A dist whose files link to the real one; `change` alters it. */
function distCopy(name: string, change: (dir: string) => void): string {
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    for (const f of fs.readdirSync(realDist)) fs.symlinkSync(path.join(realDist, f), path.join(dir, f));
    change(dir);
    return dir;
}

function toolchain(
    root: string,
    env: Record<string, string | undefined> = {},
): { status: number; stdout: string; stderr: string } {
    const clean = { ...process.env };
    delete clean.AIRGAP_REGISTRY_PULUMI_DIST;
    delete clean.PULUMI_HOME;
    const r = spawnSync("bash", [path.join(root, "scripts", "toolchain.sh")], {
        env: { ...clean, AIRGAP_REGISTRY_CACHE: path.join(work, "cache"), ...env },
        encoding: "utf8",
        timeout: 300_000,
    });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe("the toolchain: the Pulumi engine from the carried-in dist", { concurrency: false }, () => {
    before(() => {
        assert.ok(
            fs.existsSync(path.join(realDist, "SHA256SUMS")),
            `no Pulumi dist at ${realDist}: set AIRGAP_REGISTRY_PULUMI_DIST (see README)`,
        );
        work = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-toolchain-"));
    });
    after(() => fs.rmSync(work, { recursive: true, force: true }));

    let installedHome = "";
    let bin = "";
    it("installs the CLI into the cache and the four plugins into the project's PULUMI_HOME from ../shared/pulumi-dist", () => {
        const root = checkout("fresh", realDist);
        const r = toolchain(root);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, /verified 5 files of .*shared\/pulumi-dist against SHA256SUMS/);
        bin = r.stdout.trim().split("\n").pop() as string;
        assert.equal(bin, path.join(work, "cache", `pulumi-v${pulumiVersion}`, "pulumi"));
        installedHome = path.join(root, ".pulumi-state", "home");
        const env = { ...process.env, PULUMI_HOME: installedHome, PULUMI_SKIP_UPDATE_CHECK: "true" };
        assert.equal(
            spawnSync(path.join(bin, "pulumi"), ["version"], { encoding: "utf8", env }).stdout.trim(),
            `v${pulumiVersion}`,
        );
        const plugins = spawnSync(path.join(bin, "pulumi"), ["plugin", "ls", "--json"], { encoding: "utf8", env });
        const listed = (JSON.parse(plugins.stdout) as Array<{ name: string; version: string; kind: string }>)
            .map((p) => `${p.kind} ${p.name} ${p.version}`)
            .sort();
        const lock = JSON.parse(fs.readFileSync(path.join(projectRoot, "package-lock.json"), "utf8")) as {
            packages: Record<string, { version: string }>;
        };
        const sdk = (n: string) => lock.packages[`node_modules/@pulumi/${n}`].version;
        assert.deepEqual(
            listed,
            ["command", "docker", "random", "tls"].map((n) => `resource ${n} ${sdk(n)}`),
            "exactly the npm SDKs' versions",
        );
        assert.ok(fs.existsSync(path.join(bin, "pulumi-language-nodejs")), "the language host of the same release");

        const again = toolchain(root);
        assert.equal(again.status, 0, again.stderr);
        assert.match(again.stderr, /ready \(cache/, "a second run uses the install as it is");
    });

    it("an altered tarball fails naming the file, before anything is installed", () => {
        const dist = distCopy("altered", (d) => {
            const f = path.join(d, "pulumi-resource-docker-v5.0.0-linux-amd64.tar.gz");
            fs.rmSync(f);
            fs.writeFileSync(f, "not the release tarball");
        });
        const root = checkout("altered-run");
        const r = toolchain(root, {
            AIRGAP_REGISTRY_PULUMI_DIST: dist,
            AIRGAP_REGISTRY_CACHE: path.join(work, "cache-altered"),
        });
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /pulumi-resource-docker-v5\.0\.0-linux-amd64\.tar\.gz does not match its SHA-256 in SHA256SUMS/,
        );
        assert.ok(!fs.existsSync(path.join(work, "cache-altered", `pulumi-v${pulumiVersion}`)), "nothing extracted");
    });

    it("a missing tarball and a missing SHA256SUMS each fail naming the file", () => {
        const noTls = distCopy("no-tls", (d) =>
            fs.rmSync(path.join(d, "pulumi-resource-tls-v5.5.1-linux-amd64.tar.gz")),
        );
        const r1 = toolchain(checkout("no-tls-run"), { AIRGAP_REGISTRY_PULUMI_DIST: noTls });
        assert.equal(r1.status, 1);
        assert.match(r1.stderr, /no-tls\/pulumi-resource-tls-v5\.5\.1-linux-amd64\.tar\.gz is missing/);
        const noSums = distCopy("no-sums", (d) => fs.rmSync(path.join(d, "SHA256SUMS")));
        const r2 = toolchain(checkout("no-sums-run"), { AIRGAP_REGISTRY_PULUMI_DIST: noSums });
        assert.equal(r2.status, 1);
        assert.match(r2.stderr, /no-sums\/SHA256SUMS is missing: the dist cannot be verified/);
    });

    it("an ordinary install (pulumi on PATH, plugins in the user's PULUMI_HOME) is used as it is", () => {
        const root = checkout("ambient");
        const r = toolchain(root, {
            AIRGAP_REGISTRY_CACHE: path.join(work, "cache-ambient"),
            AIRGAP_REGISTRY_USER_PULUMI_HOME: installedHome,
            PATH: `${bin}:${process.env.PATH}`,
        });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, new RegExp(`using pulumi v${pulumiVersion.replace(/\./g, "\\.")} from PATH`));
        assert.equal(r.stdout.trim().split("\n").pop(), bin);
        assert.ok(!fs.existsSync(path.join(work, "cache-ambient", `pulumi-v${pulumiVersion}`)), "nothing extracted");
    });

    it("with neither, it fails saying what is missing and the two ways to get it", () => {
        const r = toolchain(checkout("nothing"), {
            AIRGAP_REGISTRY_CACHE: path.join(work, "cache-none"),
            AIRGAP_REGISTRY_USER_PULUMI_HOME: path.join(work, "no-home"),
        });
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            new RegExp(
                `no Pulumi engine at the pinned versions. Needed: pulumi v${pulumiVersion.replace(/\./g, "\\.")}`,
            ),
        );
        for (const p of ["tls v5.5.1", "random v4.21.1", "command v1.2.1", "docker v5.0.0"])
            assert.match(r.stderr, new RegExp(`resource ${p}`));
        assert.match(r.stderr, /set AIRGAP_REGISTRY_PULUMI_DIST=/);
        assert.match(r.stderr, /an ordinary Pulumi install with internet/);
    });

    it("the scripted runs and the tests use the same engine environment", () => {
        const sh = fs.readFileSync(path.join(projectRoot, "scripts", "pulumi-env.sh"), "utf8");
        const exported = [...sh.matchAll(/^export (PULUMI_[A-Z_]+)=/gm)].map((m) => m[1]).sort();
        const ts = fs.readFileSync(path.join(projectRoot, "test", "support", "engine.ts"), "utf8");
        for (const name of exported) assert.match(ts, new RegExp(`\\b${name}:`), `test/support/engine.ts sets ${name}`);
        assert.ok(exported.includes("PULUMI_IGNORE_AMBIENT_PLUGINS"));
    });
});
