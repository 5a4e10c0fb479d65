/** A bad existing CA fails the preview with its fields named. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as path from "path";

// A bad existing CA is found inside an apply (the PEMs may be secrets or outputs) and fails the
// preview through the Pulumi runtime. Each case runs in a child process that reports the errors.
function errorsFor(kind: "mismatch" | "leaf" | "good"): string[] {
    const probe = path.join(__dirname, "..", "support", "existingCaProbe.js");
    return JSON.parse(execFileSync(process.execPath, [probe, kind], { encoding: "utf8" })) as string[];
}

describe("an existing CA is checked before anything is created", () => {
    it("a key that does not match its certificate fails with the fields named", () => {
        const errors = errorsFor("mismatch");
        assert.ok(errors.length > 0, "the mismatch must fail");
        for (const e of errors)
            assert.match(e, /`existing\.keyPem` does not match the certificate in `existing\.certPem`/);
    });
    it("a certificate that is not a CA fails with the field named, before the component registers", () => {
        const errors = errorsFor("leaf");
        assert.ok(errors.length > 0, "a leaf certificate must fail");
        for (const e of errors) assert.match(e, /^constructor: .*`existing\.certPem` is not a CA certificate/s);
    });
    it("a matching CA raises nothing", () => {
        assert.deepEqual(errorsFor("good"), []);
    });
});
