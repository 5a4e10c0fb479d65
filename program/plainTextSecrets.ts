/**
 * Secret stack config keys set as plain text: they sit readable in Pulumi.<stack>.yaml (and in its git history), so
 * the program warns at every preview and up, naming the key and the command that makes it a secret. The value is
 * never part of the warning.
 */

import * as pulumi from "@pulumi/pulumi";
import type { RawStackConfig } from "./stackConfig";

/** The stack config keys whose values are secrets, each set with `pulumi config set --secret`. */
export const secretConfigKeys = [
    "passwords",
    "existingCaKeyPem",
    "nextCaKeyPem",
    "s3AccessKey",
    "s3SecretKey",
] as const;

/** One of the secret stack config keys. */
export type SecretConfigKey = (typeof secretConfigKeys)[number];

/**
 * A warning for each secret key that is set but not stored as a secret; `isSecret` says whether the engine holds a
 * key (without its `airgap-registry:` namespace) as a secret. Pure.
 */
export function plainTextSecretWarnings(
    config: Pick<RawStackConfig, SecretConfigKey>,
    isSecret: (key: SecretConfigKey) => boolean,
    stack: string,
): string[] {
    return secretConfigKeys
        .filter((key) => config[key] !== undefined && !isSecret(key))
        .map((key) => {
            const fix =
                key === "passwords"
                    ? `\`pulumi config set --secret --path 'airgap-registry:passwords.<user>'\` for each user`
                    : `\`pulumi config set --secret airgap-registry:${key}\``;
            return `\`${key}\` is plain text in Pulumi.${stack}.yaml: anyone who can read that file, or its history, can read it. Make it a secret: ${fix}`;
        });
}

/**
 * Whether the engine passed `airgap-registry:<key>` to this program as a secret, as the Node SDK records it (its
 * internal `runtime.isConfigSecret`). An SDK without it counts every key as a secret: no warning rather than a wrong one.
 */
export function isSecretInStackConfig(key: string): boolean {
    const sdk = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
    return typeof sdk !== "function" || sdk(`airgap-registry:${key}`);
}
