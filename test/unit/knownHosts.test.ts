/** known_hosts parsing and host-key checks. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "crypto";
import {
    hostKeyProblem,
    keysForHost,
    knownHostsName,
    parseKnownHosts,
    preferredHostKey,
    revokedLine,
} from "../../components/ssh/knownHosts";
import { fixtureHostKey } from "../support/fixtures";

// SSH host keys from public-key lines and known_hosts files: what every connection is pinned to.

/** An OpenSSH hashed host name (`ssh-keygen -H`): |1|salt|HMAC-SHA1(salt, name). */
function hashed(name: string): string {
    const salt = crypto.randomBytes(20);
    return `|1|${salt.toString("base64")}|${crypto.createHmac("sha1", salt).update(name).digest("base64")}`;
}
const ecdsa = (() => {
    const blob = Buffer.alloc(4 + 19 + 4 + 8 + 4 + 65);
    let o = blob.writeUInt32BE(19, 0);
    o += blob.write("ecdsa-sha2-nistp256", o);
    o = blob.writeUInt32BE(8, o);
    o += blob.write("nistp256", o);
    blob.writeUInt32BE(65, o);
    return `ecdsa-sha2-nistp256 ${blob.toString("base64")}`;
})();

describe("known hosts", () => {
    it("names a host as OpenSSH does: bare on port 22, [host]:port otherwise", () => {
        assert.equal(knownHostsName("registry.lab", 22), "registry.lab");
        assert.equal(knownHostsName("127.0.0.1", 2222), "[127.0.0.1]:2222");
    });
    it("accepts well-formed keys and names what is wrong with the others", () => {
        assert.equal(hostKeyProblem(fixtureHostKey), undefined);
        assert.equal(hostKeyProblem(`${fixtureHostKey} root@host`), undefined);
        assert.equal(hostKeyProblem(ecdsa), undefined);
        assert.match(hostKeyProblem("ssh-ed25519") ?? "", /is not an SSH public key/);
        assert.match(hostKeyProblem("ssh-dss AAAA") ?? "", /unsupported key type "ssh-dss"/);
        assert.match(hostKeyProblem("ssh-ed25519 not*base64") ?? "", /not base64/);
        assert.match(hostKeyProblem(fixtureHostKey.replace("ssh-ed25519", "ssh-rsa")) ?? "", /not a ssh-rsa key/);
    });
    it("finds plain, hashed, port-qualified, listed and wildcard entries, and honours negation", () => {
        const text = [
            "# comment",
            "",
            `registry.lab,10.0.0.5 ${fixtureHostKey}`,
            `${hashed("client-a.lab")} ${fixtureHostKey}`,
            `[127.0.0.1]:2222 ${ecdsa}`,
            `*.site,!secret.site ${fixtureHostKey}`,
        ].join("\n");
        const { entries, problems } = parseKnownHosts(text);
        assert.deepEqual(problems, []);
        assert.deepEqual(keysForHost(entries, "registry.lab", 22), [fixtureHostKey]);
        assert.deepEqual(keysForHost(entries, "10.0.0.5", 22), [fixtureHostKey]);
        assert.deepEqual(keysForHost(entries, "client-a.lab", 22), [fixtureHostKey], "hashed entry");
        assert.deepEqual(keysForHost(entries, "client-b.lab", 22), [], "negative twin of the hashed entry");
        assert.deepEqual(keysForHost(entries, "127.0.0.1", 2222), [ecdsa]);
        assert.deepEqual(keysForHost(entries, "127.0.0.1", 22), [], "the port is part of the name");
        assert.deepEqual(keysForHost(entries, "node-7.site", 22), [fixtureHostKey]);
        assert.deepEqual(keysForHost(entries, "secret.site", 22), [], "negated pattern");
        assert.deepEqual(keysForHost(entries, "registry.lab", 2222), []);
    });
    it("reports malformed lines and unknown markers by line number", () => {
        const { entries, problems } = parseKnownHosts(
            `host ssh-ed25519\n@markme * ${fixtureHostKey}\nok ${fixtureHostKey}\nx ssh-foo AAAA\n@revoked *\n`,
        );
        assert.deepEqual(problems, [
            "line 1: expected `<hosts> <type> <base64>`",
            "line 2: unknown marker @markme",
            'line 4: has an unsupported key type "ssh-foo" (supported: ssh-ed25519, ecdsa-sha2-nistp521, ecdsa-sha2-nistp384, ecdsa-sha2-nistp256, ssh-rsa)',
            "line 5: expected `<marker> <hosts> <type> <base64>`",
        ]);
        assert.equal(entries.length, 1);
    });
    it("@cert-authority lines are kept apart, never pinned; @revoked keys are never pinned, whatever host they name", () => {
        const known = parseKnownHosts(
            `@cert-authority *.site ${ecdsa}\nnode-1.site ${fixtureHostKey}\nnode-1.site,node-2.site ${ecdsa}\n@revoked other.site ${fixtureHostKey}\n`,
        );
        assert.deepEqual(known.problems, []);
        assert.deepEqual(
            known.authorities.map((a) => a.line),
            [1],
        );
        assert.deepEqual(
            keysForHost(known.entries, "node-1.site", 22),
            [fixtureHostKey, ecdsa],
            "entry list: as written",
        );
        assert.deepEqual(keysForHost(known, "node-1.site", 22), [ecdsa], "the parsed file leaves the revoked key out");
        assert.deepEqual(keysForHost(known, "node-2.site", 22), [ecdsa]);
        assert.deepEqual(keysForHost(known, "node-3.site", 22), [], "a @cert-authority line pins nothing");
        assert.equal(revokedLine(known, `${fixtureHostKey} comment`), 4);
        assert.equal(revokedLine(known, ecdsa), undefined);
    });
    it("pins the most preferred key type a host has", () => {
        assert.equal(preferredHostKey([ecdsa, fixtureHostKey]), fixtureHostKey);
        assert.equal(preferredHostKey([ecdsa]), ecdsa);
        assert.equal(preferredHostKey([]), undefined);
    });
});
