/**
 * Ed25519 key pairs in OpenSSH format for the tests' SSH servers and clients.
 *
 * ssh2 1.17.0's `utils.generateKeyPairSync("ed25519")` strips every leading zero byte of the public key (keygen.js
 * treats them as the BIT STRING's padding), so about 1 key in 256 comes out 31 bytes long, and no parser, ssh2's own
 * included, accepts it ("Malformed OpenSSH public key"). A test that drew one failed in its `before` hook for no
 * reason of its own (measured: 86 in 20,000). Such a pair is drawn again.
 */

import { utils } from "ssh2";

/** A key pair as ssh2 writes it: the private key in OpenSSH's PEM armour, the public key as an authorized_keys line. */
export interface SshKeyPair {
    private: string;
    public: string;
}

/** How many draws before giving up: with 1 bad key in 256, 8 bad draws in a row mean the generator itself is broken. */
const maxDraws = 8;

/** An ed25519 key pair that ssh2 (and OpenSSH) can read back; `generate` is ssh2's generator unless a test swaps it. */
export function ed25519KeyPair(generate: () => SshKeyPair = () => utils.generateKeyPairSync("ed25519")): SshKeyPair {
    const problems: string[] = [];
    for (let draw = 0; draw < maxDraws; draw++) {
        const pair = generate();
        const problem = [utils.parseKey(pair.public), utils.parseKey(pair.private)].find((k) => k instanceof Error);
        if (problem === undefined) return pair;
        problems.push(String(problem));
    }
    throw new Error(`no readable ed25519 key pair in ${maxDraws} draws: ${[...new Set(problems)].join("; ")}`);
}
