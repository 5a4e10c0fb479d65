/** What the integration tests run on this machine: the registry binaries, free ports on 127.0.0.1. */

import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as net from "net";
import * as path from "path";
import type { RegistryVersion } from "../../components/internal";

const repoRoot = path.resolve(__dirname, "../../..");

/** The registry binary of each version: Debian's 2.8; 3.x built once (cached) when missing. */
export function registryBinary(version: RegistryVersion): string {
    if (version === "2") return "/usr/bin/docker-registry";
    const r = spawnSync("bash", [path.join(repoRoot, "scripts/registry-v3-binary.sh")], { encoding: "utf8" });
    assert.equal(r.status, 0, `scripts/registry-v3-binary.sh failed: ${r.stderr}`);
    return r.stdout.trim().split("\n").pop() as string;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
        s.on("error", reject);
    });
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
