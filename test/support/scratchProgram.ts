/** A throwaway Pulumi TypeScript program in a directory, for engine tests that need one of their own. */

import * as fs from "fs";
import * as path from "path";

/**
 * Writes a Pulumi project `name` into `dir` (Pulumi.yaml with the TypeScript Node.js runtime, `index.ts` with
 * `program`, package.json, a strict tsconfig) whose node_modules is `nodeModules`' (the project's own).
 */
export function writeScratchProgram(dir: string, name: string, program: string, nodeModules: string): void {
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n`,
    );
    fs.writeFileSync(path.join(dir, "index.ts"), program);
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, main: "index.ts" }));
    fs.writeFileSync(
        path.join(dir, "tsconfig.json"),
        JSON.stringify({
            compilerOptions: { strict: true, target: "ES2022", module: "commonjs", moduleResolution: "node" },
        }),
    );
    fs.symlinkSync(nodeModules, path.join(dir, "node_modules"));
}
