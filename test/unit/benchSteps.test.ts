/** The bench's step profile: spans from engine events, grouped by the step every client has. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { stepKind, stepKinds, stepSpans } from "../../bench/stepTimes";

const urn = (name: string) => `urn:pulumi:bench::airgap-registry::command:remote:Command::${name}`;
const pre = (t: number, name: string, op = "create") =>
    JSON.stringify({ timestamp: t, resourcePreEvent: { metadata: { op, urn: urn(name) } } });
const out = (t: number, name: string) =>
    JSON.stringify({ timestamp: t, resOutputsEvent: { metadata: { op: "create", urn: urn(name) } } });

describe("bench step profile", () => {
    const output = [
        pre(100, "airgap-registry-host-facts"),
        out(102, "airgap-registry-host-facts"),
        pre(101, "airgap-registry-trust-light-01-os-trust"),
        pre(101, "airgap-registry-trust-light-02-os-trust"),
        out(105, "airgap-registry-trust-light-01-os-trust"),
        out(109, "airgap-registry-trust-light-02-os-trust"),
        pre(103, "airgap-registry-same", "same"),
        JSON.stringify({
            timestamp: 100,
            resourcePreEvent: {
                metadata: {
                    op: "create",
                    urn: "urn:pulumi:bench::airgap-registry::airgap-registry:trust:ClientTrust::airgap-registry-trust-light-01",
                },
            },
        }),
        pre(108, "airgap-registry-registry-ready"),
        "a diagnostic line",
    ].join("\n");
    it("spans from the first event; a step with no outputs ends with the update; same steps and components are not steps", () => {
        assert.deepEqual(stepSpans(output), [
            { resource: "airgap-registry-host-facts", op: "create", start: 0, end: 2 },
            { resource: "airgap-registry-trust-light-01-os-trust", op: "create", start: 1, end: 5 },
            { resource: "airgap-registry-trust-light-02-os-trust", op: "create", start: 1, end: 9 },
            { resource: "airgap-registry-registry-ready", op: "create", start: 8, end: 9 },
        ]);
    });
    it("kinds: every client's same step together, the last to end first", () => {
        assert.equal(stepKind("airgap-registry-trust-light-17-check"), "airgap-registry-trust-*-check");
        assert.deepEqual(stepKinds(stepSpans(output))[0], {
            kind: "airgap-registry-trust-*-os-trust",
            count: 2,
            meanSeconds: 6,
            maxSeconds: 8,
            lastEnd: 9,
        });
    });
});
