/** The tests' ed25519 key pairs: a pair ssh2 cannot read back (its generator's dropped leading zero) is drawn again. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { utils } from "ssh2";
import { ed25519KeyPair, SshKeyPair } from "../support/sshKeys";

/** A good pair with its public key cut to 31 bytes, as ssh2's generator writes 1 key in 256. */
function withShortPublicKey(pair: SshKeyPair): SshKeyPair {
    const blob = Buffer.from(pair.public.split(" ")[1], "base64");
    const type = blob.subarray(4, 4 + blob.readUInt32BE(0));
    const short = Buffer.alloc(4 + type.length + 4 + 31);
    short.writeUInt32BE(type.length, 0);
    type.copy(short, 4);
    short.writeUInt32BE(31, 4 + type.length);
    blob.subarray(blob.length - 31).copy(short, 8 + type.length);
    return { ...pair, public: `ssh-ed25519 ${short.toString("base64")}` };
}

describe("the tests' ed25519 key pairs", () => {
    it("returns a pair both halves of which ssh2 reads, the public key 32 bytes and the private key's own", () => {
        const pair = ed25519KeyPair();
        const pub = utils.parseKey(pair.public);
        const priv = utils.parseKey(pair.private);
        assert.ok(!(pub instanceof Error) && !(priv instanceof Error));
        // string "ssh-ed25519" (4 + 11 bytes), string key (4 + 32 bytes).
        const blob = pub.getPublicSSH();
        assert.equal(blob.readUInt32BE(15), 32, "a 32-byte key");
        assert.equal(blob.length, 51);
        assert.ok(pub.getPublicSSH().equals(priv.getPublicSSH()));
        const signature = priv.sign(Buffer.from("data"));
        assert.equal(pub.verify(Buffer.from("data"), signature), true);
    });

    it("a pair with a 31-byte public key is unreadable to ssh2 (the fault) and is drawn again", () => {
        const good = ed25519KeyPair();
        const bad = withShortPublicKey(good);
        const parsed = utils.parseKey(bad.public);
        assert.ok(parsed instanceof Error);
        assert.match(parsed.message, /Malformed OpenSSH public key/);
        const draws = [bad, good];
        let calls = 0;
        assert.deepEqual(
            ed25519KeyPair(() => draws[calls++]),
            good,
        );
        assert.equal(calls, 2);
    });

    it("a generator that never yields a readable pair fails, naming ssh2's error, after 8 draws", () => {
        const bad = withShortPublicKey(ed25519KeyPair());
        let calls = 0;
        assert.throws(
            () =>
                ed25519KeyPair(() => {
                    calls++;
                    return bad;
                }),
            /no readable ed25519 key pair in 8 draws: Error: Malformed OpenSSH public key$/,
        );
        assert.equal(calls, 8);
    });
});
