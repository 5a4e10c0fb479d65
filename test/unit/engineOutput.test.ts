/** A `pulumi` run's output as the tests keep it: the SDK's debug events (secrets in clear) dropped. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { withoutDebugEvents } from "../support/engineOutput";

// The shape of what `pulumi up --json` wrote with @pulumi/pulumi 3.248.0 for a command with a secret stdin.
const debugEvent = JSON.stringify({
    sequence: 18,
    diagnosticEvent: {
        prefix: "debug: ",
        message:
            "RegisterResource RPC finished: resource:c[command:local:Command]; resp: ...,stdin,,,,,4dabf18193072939515e22adb298388d,,,1b47061264138c4ac30d75fd1eb44270,value,,,TOPSECRET-stdin-42\n",
        severity: "debug",
    },
});
const errorEvent = JSON.stringify({ diagnosticEvent: { message: "boom\n", severity: "error" } });
const preEvent = JSON.stringify({ resourcePreEvent: { metadata: { op: "create", urn: "urn:x" } } });

describe("engine output kept by the tests", () => {
    it("drops debug events (the secret goes with them) and keeps every other line", () => {
        const out = withoutDebugEvents([preEvent, debugEvent, errorEvent, "plain text line", ""].join("\n"));
        assert.doesNotMatch(out, /TOPSECRET/);
        assert.equal(out, [preEvent, errorEvent, "plain text line", ""].join("\n"));
    });
    it("keeps an error or info event even when its text says debug, and a line that is not a whole event", () => {
        const info = JSON.stringify({ diagnosticEvent: { message: "debug: see above\n", severity: "info" } });
        const cut = debugEvent.slice(0, 40);
        assert.equal(withoutDebugEvents([info, cut].join("\n")), [info, cut].join("\n"));
    });
});
