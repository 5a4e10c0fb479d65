/** The stack config of a scaled-out site (`replicas`, `storage`, `loadBalancer`) read into ReplicatedRegistry's Args. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks } from "../support/mocks";
import { existingFile, knownHostsFile, pemFixtures } from "../support/fixtures";
import { checkReplicatedRegistryComponentArgs } from "../../components/internal";
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
            // The config's own problems throw here (with the component's); the component's alone throw from
            // ReplicatedRegistry's constructor, which checks exactly these problems.
            let message: string;
            try {
                const args = toReplicatedRegistryArgs(change(raw()), projectDir);
                message = checkReplicatedRegistryComponentArgs(args).join("\n");
            } catch (err) {
                assert.ok(
                    err instanceof InvalidStackConfigError,
                    `expected InvalidStackConfigError, got ${String(err)}`,
                );
                assert.match(err.message, /^invalid stack config \(namespace airgap-registry\):\n {2}- /);
                message = err.message;
            }
            assert.match(message, expected);
        });
    }

    it("the scale-out keys on a single-host site are refused, naming each", () => {
        const single = { ...raw(), replicas: undefined, host: { address: "10.0.0.2", names: ["r.lab"] } };
        const message = configError(() => toPrivateRegistryArgs(single, projectDir));
        for (const k of ["storage", "loadBalancer", "s3AccessKey", "s3SecretKey"])
            assert.match(message, new RegExp(`\`${k}\` is set without \`replicas\``));
    });
});
