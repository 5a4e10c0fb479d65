/** The stack config of a scaled-out site (`replicas`, `storage`, `loadBalancer`) read into ReplicatedRegistry's Args. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks } from "../support/mocks";
import { existingFile, knownHostsFile, pemFixtures } from "../support/fixtures";
import { checkReplicatedRegistryComponentArgs, InvalidArgumentsError } from "../../components/internal";
import { isReplicatedConfig, toReplicatedRegistryArgs } from "../../program/replicatedStackConfig";
import { InvalidStackConfigError, RawStackConfig, toPrivateRegistryArgs } from "../../program/stackConfig";

installMocks();
const key = existingFile();
const knownHosts = knownHostsFile();
const projectDir = path.dirname(key);

/** A scaled-out site's config as Pulumi.<stack>.yaml holds it (paths relative to the project). */
function raw(): RawStackConfig {
    const host = (address: string) => ({ address, privateKeyPath: path.basename(key) });
    return {
        knownHostsPath: path.basename(knownHosts),
        replicas: [
            { name: "r1", ...host("10.0.0.11") },
            { name: "r2", ...host("10.0.0.12") },
        ],
        loadBalancer: { ...host("10.0.0.10"), names: ["registry.lab"], ips: ["10.0.0.10"], port: 5443 },
        storage: { s3: { regionendpoint: "http://rgw.lab:7480", bucket: "registry" } },
        s3AccessKey: "AKIDLAB",
        s3SecretKey: "lab-secret-key",
        users: ["ci"],
        registryImage: "airgap-registry/registry:3.1.2",
    };
}

/** The message of the InvalidStackConfigError `f` throws (fails when it throws anything else, or nothing). */
function configError(f: () => unknown): string {
    try {
        f();
    } catch (err) {
        assert.ok(err instanceof InvalidStackConfigError, `expected InvalidStackConfigError, got ${String(err)}`);
        return err.message;
    }
    assert.fail("no error");
}

/**
 * The message `f` refuses the config with: an InvalidStackConfigError (the config's own problems, with the
 * component's) or an InvalidArgumentsError for ReplicatedRegistry (the component's alone); fails on anything else.
 */
function refusal(f: () => unknown): string {
    try {
        f();
    } catch (err) {
        if (err instanceof InvalidStackConfigError) {
            assert.match(err.message, /^invalid stack config \(namespace airgap-registry\):\n {2}- /);
            return err.message;
        }
        assert.ok(err instanceof InvalidArgumentsError, `expected a config refusal, got ${String(err)}`);
        assert.match(err.message, /^invalid arguments for ReplicatedRegistry:\n {2}- /);
        return err.message;
    }
    assert.fail("no error");
}

/** Whether an Output is secret (the mocks resolve it). */
function isSecret(o: unknown): Promise<boolean> {
    return pulumi.isSecret(pulumi.output(o));
}

describe("the stack config of a scaled-out site", () => {
    it("`replicas` chooses ReplicatedRegistry; none (or the declared default []) the single host", () => {
        assert.equal(isReplicatedConfig(raw()), true);
        assert.equal(isReplicatedConfig({ ...raw(), replicas: undefined }), false);
    });

    it("reads into Args the component accepts: paths resolved, credentials secret, users attached", async () => {
        const args = toReplicatedRegistryArgs(raw(), projectDir);
        assert.deepEqual(checkReplicatedRegistryComponentArgs(args), []);
        assert.equal(args.replicas[1].privateKeyPath, key);
        assert.equal(args.loadBalancer.privateKeyPath, key);
        assert.equal(args.knownHostsPath, knownHosts);
        assert.deepEqual(
            args.users.map((u) => u.name),
            ["ci"],
        );
        const s3 = args.storage?.s3;
        assert.ok(s3);
        assert.equal(s3.regionendpoint, "http://rgw.lab:7480");
        assert.equal(await isSecret(s3.accesskey), true);
        assert.equal(await isSecret(s3.secretkey), true);
        assert.equal(s3.caCertPem, undefined);
    });

    it("an https store's CA is read from `storage.s3.caCertPath`, relative to the project", () => {
        const ca = path.join(projectDir, "rgw-ca.pem");
        fs.writeFileSync(ca, pemFixtures().caCert);
        const config = raw();
        const args = toReplicatedRegistryArgs(
            {
                ...config,
                storage: {
                    s3: { regionendpoint: "https://rgw.lab:7443", bucket: "registry", caCertPath: "rgw-ca.pem" },
                },
            },
            projectDir,
        );
        assert.equal(args.storage?.s3?.caCertPem, pemFixtures().caCert);
        assert.deepEqual(checkReplicatedRegistryComponentArgs(args), []);
    });

    const bad: Array<[string, (c: RawStackConfig) => RawStackConfig, RegExp]> = [
        [
            "host and replicas together",
            (c) => ({ ...c, host: { address: "10.0.0.2", names: ["r.lab"] } }),
            /`host` is set with `replicas`: a scaled-out site has `replicas` and a `loadBalancer` instead of one `host`/,
        ],
        [
            "a credential in the plain config",
            (c) => ({
                ...c,
                storage: {
                    s3: { ...c.storage?.s3, accesskey: "AKIDLAB" } as NonNullable<RawStackConfig["storage"]>["s3"],
                },
            }),
            /`storage\.s3\.accesskey` must not be in the stack config: set it as a secret, `pulumi config set --secret airgap-registry:s3AccessKey`/,
        ],
        [
            "the secret key missing",
            (c) => ({ ...c, s3SecretKey: undefined }),
            /`s3SecretKey` is required with `storage\.s3`: the store's secret key for the registry/,
        ],
        [
            "a CA file that does not exist",
            (c) => ({
                ...c,
                storage: { s3: { regionendpoint: "https://rgw.lab", bucket: "registry", caCertPath: "nope.pem" } },
            }),
            /`storage\.s3\.caCertPath` cannot be read: .*nope\.pem \(ENOENT\)/,
        ],
        [
            "an endpoint that is not a URL (item 5)",
            (c) => ({ ...c, storage: { s3: { regionendpoint: "rgw.lab:7480", bucket: "registry" } } }),
            /`storage\.s3\.regionendpoint` must be a URL \(http:\/\/ or https:\/\/\), got "rgw\.lab:7480"/,
        ],
        [
            "replicas without S3 storage (item 5)",
            (c) => ({ ...c, storage: undefined, s3AccessKey: undefined, s3SecretKey: undefined }),
            /`storage\.s3` is required with more than one replica \(`replicas` has 2\)/,
        ],
        [
            "CA rotation",
            (c) => ({ ...c, caRotation: { step: "trust-next" } as RawStackConfig["caRotation"] }),
            /`caRotation` is set with `replicas`: CA rotation is not supported with `replicas` yet/,
        ],
    ];
    for (const [what, change, expected] of bad) {
        it(`refused before anything registers, naming the key: ${what}`, () => {
            // The config's own problems throw an InvalidStackConfigError (with the component's); the component's
            // alone an InvalidArgumentsError for ReplicatedRegistry, as its constructor would.
            assert.match(
                refusal(() => toReplicatedRegistryArgs(change(raw()), projectDir)),
                expected,
            );
        });
    }

    it("the component's problems name the stack config's keys: the CA file, the secret credentials", () => {
        const https = (s3: Record<string, unknown>) => (c: RawStackConfig) => ({
            ...c,
            storage: { s3: { regionendpoint: "https://rgw.lab:7443", bucket: "registry", ...s3 } },
        });
        const noCa = refusal(() => toReplicatedRegistryArgs(https({})(raw()), projectDir));
        assert.match(noCa, /`storage\.s3\.caCertPath` is required when `storage\.s3\.regionendpoint` is https/);
        assert.doesNotMatch(noCa, /caCertPem/, "the component's own name for it is not a stack config key");
        // A CA file that cannot be read is reported once, not also as missing.
        const unreadable = refusal(() =>
            toReplicatedRegistryArgs(https({ caCertPath: "nope.pem" })(raw()), projectDir),
        );
        assert.deepEqual(unreadable.split("\n").filter((l) => l.startsWith("  - ")).length, 1, unreadable);
        assert.match(unreadable, /`storage\.s3\.caCertPath` cannot be read/);
        const userInfo = refusal(() =>
            toReplicatedRegistryArgs(
                { ...raw(), storage: { s3: { regionendpoint: "http://ak:sk@rgw.lab:7480", bucket: "registry" } } },
                projectDir,
            ),
        );
        assert.match(
            userInfo,
            /must not carry user info \(credentials go in the secret keys s3AccessKey and s3SecretKey\)/,
        );
        // Twin: the component itself names its own Args.
        const args = toReplicatedRegistryArgs(raw(), projectDir);
        assert.match(
            checkReplicatedRegistryComponentArgs({
                ...args,
                storage: { s3: { ...args.storage!.s3!, regionendpoint: "https://rgw.lab:7443" } },
            }).join("\n"),
            /`storage\.s3\.caCertPem` is required/,
        );
    });

    it("the scale-out keys on a single-host site are refused, naming each", () => {
        const single = { ...raw(), replicas: undefined, host: { address: "10.0.0.2", names: ["r.lab"] } };
        const message = configError(() => toPrivateRegistryArgs(single, projectDir));
        for (const k of ["storage", "loadBalancer", "s3AccessKey", "s3SecretKey"])
            assert.match(message, new RegExp(`\`${k}\` is set without \`replicas\``));
    });
});
