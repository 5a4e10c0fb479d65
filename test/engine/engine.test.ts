/** The real Pulumi engine on a throwaway dynamic-provider stack: up, no-change preview, replacement, destroy. */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectRoot, pulumi, pulumiEnv, stackResources } from "../support/engine";
import { writeScratchProgram } from "../support/scratchProgram";

// The real Pulumi engine (CLI + Node.js language host + dynamic-provider plugin from the
// toolchain), no mocks: a throwaway program goes through up, a no-change preview and destroy.

const program = `
import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";

// A resource served by a dynamic provider: create derives a value, the engine stores it.
const provider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: any) {
        const digest = crypto.createHash("sha256").update(inputs.seed).digest("hex");
        return { id: digest.slice(0, 12), outs: { seed: inputs.seed, digest } };
    },
    async diff(_id: string, olds: any, news: any) {
        return { changes: olds.seed !== news.seed, replaces: olds.seed !== news.seed ? ["seed"] : [] };
    },
};
class Digest extends pulumi.dynamic.Resource {
    declare public readonly digest: pulumi.Output<string>;
    constructor(name: string, seed: string) {
        super(provider, name, { seed, digest: undefined }, {});
    }
}
const config = new pulumi.Config();
const d = new Digest("digest", config.require("seed"));
export const digest = d.digest;
export const secretEcho = pulumi.secret(config.require("seed"));
`;

describe("the real Pulumi engine", () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-registry-engine-"));
        writeScratchProgram(dir, "engine-check", program, path.join(projectRoot, "node_modules"));
        env = pulumiEnv(path.join(dir, ".state"));
        const init = pulumi(dir, env, "stack", "init", "engine");
        assert.equal(init.status, 0, init.output);
        assert.equal(pulumi(dir, env, "config", "set", "seed", "air-gapped").status, 0);
    });
    after(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("pulumi version is the pinned v3.248.0", () => {
        const r = pulumi(dir, env, "version");
        assert.equal(r.output.trim().split("\n").pop(), "v3.248.0");
    });
    it("up creates the resource and exports its outputs (secrets stay secret)", () => {
        const up = pulumi(dir, env, "up", "--yes", "--skip-preview");
        assert.equal(up.status, 0, up.output);
        assert.match(up.output, /\+ 2 created/);
        assert.match(up.output, /secretEcho\s*: \[secret\]/);
        const out = pulumi(dir, env, "stack", "output", "digest");
        assert.equal(out.output.trim(), crypto.createHash("sha256").update("air-gapped").digest("hex"), out.output);
    });
    it("a preview right after up shows no changes", () => {
        const r = pulumi(dir, env, "preview", "--expect-no-changes");
        assert.equal(r.status, 0, r.output);
        assert.match(r.output, /2 unchanged/);
    });
    it("a changed input shows exactly one replacement", () => {
        assert.equal(pulumi(dir, env, "config", "set", "seed", "changed").status, 0);
        const r = pulumi(dir, env, "preview", "--diff");
        assert.equal(r.status, 0, r.output);
        assert.match(r.output, /\+-\s*pulumi-nodejs:dynamic:Resource: \(replace\)/);
        assert.match(r.output, /1 to replace/);
    });
    it("destroy leaves an empty stack", () => {
        const r = pulumi(dir, env, "destroy", "--yes", "--skip-preview");
        assert.equal(r.status, 0, r.output);
        assert.deepEqual(stackResources(dir, env, "engine"), []);
    });
});
