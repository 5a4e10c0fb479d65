/** CA rotation: the order check over a whole rotation (each step from the one before), its bad inputs, and the plan. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import {
    CaPlan,
    CaState,
    caResourceName,
    caSettingsDigest,
    caStateOf,
    checkCaRotationArgs,
    checkCaRotationOrder,
    checkPrivateRegistryArgs,
    legacyCaState,
    servingCa,
    trustBundle,
    trustedCas,
} from "../../components/internal";
import { toPrivateRegistryArgs } from "../../program/stackConfig";
import { existingFile, knownHostsFile, pemFixtures } from "../support/fixtures";

const next = { id: "2027", keyAlgorithm: "ECDSA" as const };
const steady: CaPlan = { step: "none", current: {} };
const trustNext: CaPlan = { step: "trust-next", current: {}, next };
const serveNext: CaPlan = { step: "serve-next", current: {}, next };
const retired: CaPlan = { step: "none", current: { ...next } };

describe("a CA rotation, step by step", () => {
    it("each step's plan: who signs the server certificate and whom clients trust", () => {
        const table: Array<[string, CaPlan, string, string[]]> = [
            ["steady", steady, "ca", ["ca"]],
            ["trust-next", trustNext, "ca", ["ca", "2027"]],
            ["serve-next", serveNext, "2027", ["ca", "2027"]],
            ["retired", retired, "2027", ["2027"]],
        ];
        for (const [what, plan, serving, trusted] of table) {
            assert.equal(servingCa(plan).id ?? "ca", serving, what);
            assert.deepEqual(
                trustedCas(plan).map((c) => c.id ?? "ca"),
                trusted,
                what,
            );
            assert.equal(caStateOf(plan).serving, serving, what);
        }
    });
    it("serving from the next CA leaves what clients trust as it was (the same bundle, in the same order)", () => {
        assert.deepEqual(trustedCas(serveNext), trustedCas(trustNext));
        assert.deepEqual(caStateOf(serveNext).trusted, caStateOf(trustNext).trusted);
    });
    it("the whole sequence passes, each step checked against the state the one before left", () => {
        let previous = undefined as CaState | undefined;
        for (const plan of [steady, trustNext, serveNext, retired]) {
            assert.deepEqual(checkCaRotationOrder(previous, plan), [], `step ${plan.step} after ${previous?.step}`);
            previous = caStateOf(plan);
        }
    });
    it("a new stack (no previous state) is not checked", () => {
        assert.deepEqual(checkCaRotationOrder(undefined, serveNext), []);
    });
    it("giving up a rotation before serve-next (back to the old CA alone) is allowed", () => {
        assert.deepEqual(checkCaRotationOrder(caStateOf(trustNext), steady), []);
    });
    it("serve-next straight from the steady state is refused, naming caRotation.step and the step to run", () => {
        const problems = checkCaRotationOrder(caStateOf(steady), serveNext);
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(
            problems[0],
            /^`caRotation\.step` is "serve-next" but the clients do not trust CA "2027" yet \(the last up was at step "none".*run `caRotation\.step: trust-next` first$/,
        );
    });
    it("retiring the old CA before serve-next is refused: the registry still serves it", () => {
        const problems = checkCaRotationOrder(caStateOf(trustNext), retired);
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(
            problems[0],
            /retires CA "ca" \(`ca\.id` is "2027" and `caRotation` is unset\) while the registry still serves a certificate it signed \(the last up was at step "trust-next".*run `caRotation\.step: serve-next` first/,
        );
    });
    it("a new CA in one up (ca.id changed, no rotation) is refused", () => {
        const problems = checkCaRotationOrder(caStateOf(steady), retired);
        assert.match(problems.join("\n"), /`ca\.id` is "2027", a CA the clients do not trust yet/);
        assert.match(problems.join("\n"), /retires CA "ca"/);
    });
    it("moving next to ca with other settings (a new key under the same id) is refused", () => {
        const problems = checkCaRotationOrder(caStateOf(serveNext), {
            step: "none",
            current: { id: "2027", keyAlgorithm: "RSA" },
        });
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], /^`ca` \(id "2027"\) has other settings than the CA of that id the clients trust/);
    });
    it("after serve-next, removing the rotation says how to finish it or give it up", () => {
        const problems = checkCaRotationOrder(caStateOf(serveNext), steady);
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(
            problems[0],
            /retires CA "2027".*to finish the rotation, move `caRotation\.next` \(with its id\) to `ca`; to give it up, set `caRotation\.step` back to trust-next first/,
        );
        // Giving up that way: back to trust-next, then the old CA alone.
        assert.deepEqual(checkCaRotationOrder(caStateOf(serveNext), trustNext), []);
        assert.deepEqual(checkCaRotationOrder(caStateOf(trustNext), steady), []);
    });
    it("a stack deployed before CA states: its CA's settings are not compared, a new CA in one up is still refused", () => {
        assert.deepEqual(checkCaRotationOrder(legacyCaState, { step: "none", current: { validityHours: 10 } }), []);
        assert.deepEqual(checkCaRotationOrder(legacyCaState, trustNext), []);
        assert.match(checkCaRotationOrder(legacyCaState, serveNext).join(), /`caRotation\.step` is "serve-next"/);
    });
    it("an existing CA given as an Output on either side is not compared", () => {
        const before: CaState = { step: "none", serving: "ca", trusted: [{ id: "ca", digest: "existing" }] };
        assert.deepEqual(checkCaRotationOrder(before, { step: "none", current: { validityHours: 10 } }), []);
    });
    it("changing the CA's settings outside a rotation is refused too; writing a default out is not a change", () => {
        assert.match(
            checkCaRotationOrder(caStateOf(steady), { step: "none", current: { validityHours: 1000 } }).join(),
            /`ca` \(id "ca"\) has other settings/,
        );
        assert.deepEqual(
            checkCaRotationOrder(caStateOf(steady), {
                step: "none",
                current: { validityHours: 87600, keyAlgorithm: "RSA", rsaBits: 4096 },
            }),
            [],
        );
    });
});

describe("CA rotation arguments", () => {
    it("bad steps and ids name their field", () => {
        const table: Array<[string, unknown, RegExp]> = [
            [
                "unknown step",
                { step: "retire", next },
                /`caRotation\.step` must be "trust-next" or "serve-next", got "retire" \(the old CA is retired by moving `caRotation\.next` to `ca`/,
            ],
            ["no next", { step: "trust-next" }, /`caRotation\.next` is required/],
            ["next without id", { step: "trust-next", next: {} }, /`caRotation\.next\.id` is required/],
            [
                "next with the current id",
                { step: "trust-next", next: { id: "ca" } },
                /`caRotation\.next\.id` is "ca", the id of the current `ca`/,
            ],
            ["a bad id", { step: "trust-next", next: { id: "two words" } }, /`caRotation\.next\.id`/],
        ];
        for (const [what, rotation, expected] of table) {
            const problems = checkCaRotationArgs("caRotation", rotation as never, {});
            assert.equal(problems.length, 1, `${what}: ${problems.join("\n")}`);
            assert.match(problems[0], expected, what);
        }
        assert.deepEqual(checkCaRotationArgs("caRotation", { step: "trust-next", next }, {}), []);
        assert.deepEqual(checkCaRotationArgs("caRotation", undefined, { id: "2027" }), []);
    });
    it("resource names: the default id keeps the names CAs had before ids", () => {
        assert.equal(caResourceName("reg", "ca"), "reg-ca");
        assert.equal(caResourceName("reg", "2027"), "reg-ca-2027");
    });
    it("the digest of an existing CA is its certificate's", () => {
        const f = pemFixtures();
        const a = caSettingsDigest({ existing: { certPem: f.caCert, keyPem: f.caKey } });
        assert.equal(a, caSettingsDigest({ existing: { certPem: `${f.caCert}\n`, keyPem: "other" } }));
        assert.notEqual(a, caSettingsDigest({ existing: { certPem: f.leafCert, keyPem: f.leafKey } }));
    });
    it("the trust bundle holds each CA once, newline-terminated", () => {
        assert.equal(trustBundle(["A", "B\n"]), "A\nB\n");
    });
});

describe("a next CA that is not a CA fails at preview, naming the field", () => {
    const key = existingFile();
    const knownHosts = knownHostsFile();
    const base = {
        host: { address: "registry.lab", privateKeyPath: key, knownHostsPath: knownHosts, names: ["registry.lab"] },
        users: [{ name: "ci" }],
    };
    it("in the component's arguments: `caRotation.next.existing.certPem`", () => {
        const f = pemFixtures();
        const problems = checkPrivateRegistryArgs({
            ...base,
            caRotation: {
                step: "trust-next",
                next: { id: "2027", existing: { certPem: f.leafCert, keyPem: f.leafKey } },
            },
        });
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], /^`caRotation\.next\.existing\.certPem` is not a CA certificate/);
        // Its twin: a real CA as the next one passes.
        assert.deepEqual(
            checkPrivateRegistryArgs({
                ...base,
                caRotation: {
                    step: "trust-next",
                    next: { id: "2027", existing: { certPem: f.caCert, keyPem: f.caKey } },
                },
            }),
            [],
        );
    });
    it("in the stack config: `nextCaCertPem`", () => {
        const f = pemFixtures();
        const args = toPrivateRegistryArgs(
            {
                host: base.host,
                users: ["ci"],
                caRotation: { step: "trust-next", next: { id: "2027" } },
                nextCaCertPem: f.leafCert,
                nextCaKeyPem: f.leafKey,
            },
            "/",
        );
        const problems = checkPrivateRegistryArgs(args);
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], /^`nextCaCertPem` is not a CA certificate/);
    });
    it("a numeric id in the stack config (as `config set --path` stores 2027) is read as text", () => {
        const args = toPrivateRegistryArgs(
            {
                host: base.host,
                users: ["ci"],
                ca: { id: 2026 as unknown as string },
                caRotation: { step: "trust-next", next: { id: 2027 as unknown as string } },
            },
            "/",
        );
        assert.equal(args.ca?.id, "2026");
        assert.equal(args.caRotation?.next.id, "2027");
        assert.deepEqual(checkPrivateRegistryArgs(args), []);
    });
    it("a rotation step out of order fails the stack config's check with the previous state", () => {
        const args = toPrivateRegistryArgs(
            { host: base.host, users: ["ci"], caRotation: { step: "serve-next", next: { id: "2027" } } },
            "/",
            [],
            { step: "none", serving: "ca", trusted: caStateOf(steady).trusted },
        );
        assert.match(checkPrivateRegistryArgs(args).join("\n"), /`caRotation\.step` is "serve-next" but the clients/);
    });
});
