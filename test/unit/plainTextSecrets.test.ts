/** Secret stack config keys set as plain text: a warning naming each key and its fix, never its value. */

import { describe, it, after } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { isSecretInStackConfig, plainTextSecretWarnings, secretConfigKeys } from "../../program/plainTextSecrets";

const everySecretSet = {
    passwords: { ci: "pw-value-ci" },
    existingCaKeyPem: "KEY-VALUE-1",
    nextCaKeyPem: "KEY-VALUE-2",
    s3AccessKey: "ACCESS-VALUE",
    s3SecretKey: "SECRET-VALUE",
};

describe("secret stack config keys set as plain text", () => {
    after(() => pulumi.runtime.setAllConfig({}, []));

    it("each plain one is named with the command that makes it a secret; the value is never in the warning", () => {
        const warnings = plainTextSecretWarnings(everySecretSet, () => false, "site");
        assert.equal(warnings.length, secretConfigKeys.length);
        assert.match(
            warnings.find((w) => w.startsWith("`s3SecretKey`")) ?? "",
            /^`s3SecretKey` is plain text in Pulumi\.site\.yaml: .* Make it a secret: `pulumi config set --secret airgap-registry:s3SecretKey`$/,
        );
        assert.match(
            warnings.find((w) => w.startsWith("`passwords`")) ?? "",
            /`pulumi config set --secret --path 'airgap-registry:passwords\.<user>'` for each user$/,
        );
        assert.doesNotMatch(warnings.join("\n"), /VALUE/);
    });

    it("secrets, and keys not set, give no warning", () => {
        assert.deepEqual(
            plainTextSecretWarnings(everySecretSet, () => true, "site"),
            [],
        );
        assert.deepEqual(
            plainTextSecretWarnings({ s3SecretKey: "SECRET-VALUE" }, (k) => k !== "s3SecretKey", "site").length,
            1,
        );
        assert.deepEqual(
            plainTextSecretWarnings({}, () => false, "site"),
            [],
        );
    });

    it("reads which keys the engine passed as secrets", () => {
        pulumi.runtime.setAllConfig(
            { "airgap-registry:s3SecretKey": "SECRET-VALUE", "airgap-registry:s3AccessKey": "ACCESS-VALUE" },
            ["airgap-registry:s3SecretKey"],
        );
        assert.equal(isSecretInStackConfig("s3SecretKey"), true);
        assert.equal(isSecretInStackConfig("s3AccessKey"), false);
        assert.equal(isSecretInStackConfig("passwords"), false);
    });
});
