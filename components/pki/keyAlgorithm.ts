/**
 * Key algorithm settings (RSA bits, ECDSA curve) shared by the CA and the server certificate, and their validation.
 * Pure.
 */

import { fieldPath } from "../validation";
/** Key algorithms the PKI components accept (RSA or ECDSA), with their plain validation. */

/** `RSA` or `ECDSA`. */
export type KeyAlgorithm = "RSA" | "ECDSA";
/** RSA modulus sizes accepted: 2048 bits or more. */
export type RsaBits = 2048 | 3072 | 4096;
/** ECDSA curves accepted. */
export type EcdsaCurve = "P256" | "P384";

/** Key settings shared by the CA and the registry certificate. */
export interface KeySpec {
    /** `"RSA"` or `"ECDSA"`. Default `"RSA"`. */
    readonly keyAlgorithm?: KeyAlgorithm;
    /** RSA key size in bits (2048, 3072 or 4096). Default `4096` for the CA, `2048` for the server. */
    readonly rsaBits?: RsaBits;
    /** ECDSA curve (`"P256"` or `"P384"`). Default `"P384"` for the CA, `"P256"` for the server. */
    readonly ecdsaCurve?: EcdsaCurve;
}

/** The @pulumi/tls PrivateKey inputs for a key spec, with defaults applied. */
export function privateKeyInputs(
    spec: KeySpec | undefined,
    defaults: { rsaBits: RsaBits; ecdsaCurve: EcdsaCurve },
): { algorithm: KeyAlgorithm; rsaBits?: number; ecdsaCurve?: string } {
    const algorithm = spec?.keyAlgorithm ?? "RSA";
    return algorithm === "RSA"
        ? { algorithm, rsaBits: spec?.rsaBits ?? defaults.rsaBits }
        : { algorithm, ecdsaCurve: spec?.ecdsaCurve ?? defaults.ecdsaCurve };
}

/** Validates a key spec; messages name `field`. */
export function checkKeySpec(field: string, spec: KeySpec | undefined): string[] {
    if (spec === undefined) {
        return [];
    }
    const problems: string[] = [];
    if (spec.keyAlgorithm !== undefined && spec.keyAlgorithm !== "RSA" && spec.keyAlgorithm !== "ECDSA") {
        problems.push(
            `\`${fieldPath(field, "keyAlgorithm")}\` must be "RSA" or "ECDSA", got ${JSON.stringify(spec.keyAlgorithm)}`,
        );
    }
    if (spec.rsaBits !== undefined && ![2048, 3072, 4096].includes(spec.rsaBits)) {
        problems.push(
            `\`${fieldPath(field, "rsaBits")}\` must be 2048, 3072 or 4096, got ${JSON.stringify(spec.rsaBits)}`,
        );
    }
    if (spec.ecdsaCurve !== undefined && !["P256", "P384"].includes(spec.ecdsaCurve)) {
        problems.push(
            `\`${fieldPath(field, "ecdsaCurve")}\` must be "P256" or "P384", got ${JSON.stringify(spec.ecdsaCurve)}`,
        );
    }
    if (spec.keyAlgorithm === "ECDSA" && spec.rsaBits !== undefined) {
        problems.push(
            `\`${fieldPath(field, "rsaBits")}\` applies to RSA keys only, but \`${fieldPath(field, "keyAlgorithm")}\` is "ECDSA"`,
        );
    }
    if ((spec.keyAlgorithm ?? "RSA") === "RSA" && spec.ecdsaCurve !== undefined) {
        problems.push(
            `\`${fieldPath(field, "ecdsaCurve")}\` applies to ECDSA keys only, but \`${fieldPath(field, "keyAlgorithm")}\` is "RSA"`,
        );
    }
    return problems;
}
