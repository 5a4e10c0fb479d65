/** CertificateAuthority: the CA every client trusts, generated or brought in (an organisation's internal CA). */

import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { assertValid, checkHours, fieldPath } from "../validation";
import { certificateFacts, checkExistingCa, checkExistingCaCertificate } from "./existingCa";
import { checkKeySpec, KeySpec, privateKeyInputs } from "./keyAlgorithm";
import { CertificateSubject, checkSubject, tlsSubject } from "./subject";

/** A CA that already exists (an organisation's internal CA), used instead of generating one. */
export interface ExistingCaArgs {
    /** The CA certificate, PEM. Public. */
    readonly certPem: pulumi.Input<string>;
    /** The CA private key, PEM. Kept a secret. */
    readonly keyPem: pulumi.Input<string>;
    /**
     * What the caller's configuration calls the two PEMs, for error messages (a stack config names its own keys).
     * Default `existing.certPem` and `existing.keyPem` under the CA's field.
     */
    readonly fields?: { readonly certPem: string; readonly keyPem: string };
}

/** Arguments of {@link CertificateAuthority}. */
export interface CertificateAuthorityArgs extends KeySpec {
    /** Subject of a generated CA. Default `{ commonName: "airgap-registry CA" }`. */
    readonly subject?: CertificateSubject;
    /** Validity of a generated CA certificate in hours. Default `87600` (10 years). */
    readonly validityHours?: number;
    /**
     * Use this CA instead of generating one. Checked before anything is created: it must be a CA
     * certificate, not expired, and the key must match. Default: generate a CA.
     */
    readonly existing?: ExistingCaArgs;
}

/** Defaults of {@link CertificateAuthorityArgs}, in one place. */
export const certificateAuthorityDefaults = {
    commonName: "airgap-registry CA",
    validityHours: 87600,
    rsaBits: 4096,
    ecdsaCurve: "P384",
} as const;

/** The names of an existing CA's two PEMs in messages: the caller's, else `existing.certPem`/`keyPem` under `field`. */
export function existingCaFields(field: string, existing: ExistingCaArgs): { certPem: string; keyPem: string } {
    return (
        existing.fields ?? {
            certPem: fieldPath(field, "existing.certPem"),
            keyPem: fieldPath(field, "existing.keyPem"),
        }
    );
}

/**
 * Validates the plain arguments of a CertificateAuthority; messages name `field`. An existing CA's certificate is
 * checked here when it is a plain string (a CA, valid now); its key is checked when the component is created.
 */
export function checkCertificateAuthorityArgs(field: string, args: CertificateAuthorityArgs): string[] {
    if (args === null || typeof args !== "object") return [`\`${field}\` must be an object`];
    const problems = [...checkKeySpec(field, args), ...checkSubject(fieldPath(field, "subject"), args.subject)];
    if (args.existing !== undefined && typeof args.existing.certPem === "string") {
        problems.push(
            ...checkExistingCaCertificate(existingCaFields(field, args.existing).certPem, args.existing.certPem),
        );
    }
    if (args.validityHours !== undefined)
        problems.push(...checkHours(fieldPath(field, "validityHours"), args.validityHours));
    if (
        args.existing !== undefined &&
        (args.subject !== undefined || args.validityHours !== undefined || args.keyAlgorithm !== undefined)
    ) {
        problems.push(
            `\`${fieldPath(field, "existing")}\` cannot be combined with settings for a generated CA (subject, validityHours, keyAlgorithm)`,
        );
    }
    return problems;
}

/**
 * The certificate authority that signs the registry's server certificate and that every client
 * trusts. Generated (tls.PrivateKey + tls.SelfSignedCert, key usages cert signing and CRL
 * signing) or brought in as an existing CA.
 *
 * Outputs: `certPem` is public on purpose (it is what clients install); `privateKeyPem` is a
 * secret.
 */
export class CertificateAuthority extends pulumi.ComponentResource {
    /** CA certificate, PEM. Public. */
    public readonly certPem: pulumi.Output<string>;
    /** CA private key, PEM. Secret. */
    public readonly privateKeyPem: pulumi.Output<string>;
    /** SHA-256 fingerprint of the CA certificate (`AA:BB:...`). */
    public readonly fingerprintSha256: pulumi.Output<string>;
    /** When the CA certificate expires (RFC 3339). */
    public readonly notAfter: pulumi.Output<string>;

    constructor(name: string, args: CertificateAuthorityArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        assertValid("CertificateAuthority", checkCertificateAuthorityArgs("", args));
        super("airgap-registry:pki:CertificateAuthority", name, {}, opts);

        if (args.existing !== undefined) {
            const existing = args.existing;
            const checked = pulumi.all([existing.certPem, existing.keyPem]).apply(([cert, key]) => {
                const fields = existingCaFields("", existing);
                const problems = checkExistingCa(fields.certPem, fields.keyPem, cert, key);
                if (problems.length > 0) {
                    throw new pulumi.ResourceError(`invalid existing CA:\n  - ${problems.join("\n  - ")}`, this);
                }
                return cert;
            });
            this.certPem = pulumi.unsecret(checked);
            this.privateKeyPem = pulumi.secret(existing.keyPem);
        } else {
            const key = new tls.PrivateKey(`${name}-key`, privateKeyInputs(args, certificateAuthorityDefaults), {
                parent: this,
                additionalSecretOutputs: ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"],
            });
            const cert = new tls.SelfSignedCert(
                `${name}-cert`,
                {
                    privateKeyPem: key.privateKeyPem,
                    subject: tlsSubject(args.subject, certificateAuthorityDefaults.commonName),
                    isCaCertificate: true,
                    validityPeriodHours: args.validityHours ?? certificateAuthorityDefaults.validityHours,
                    allowedUses: ["cert_signing", "crl_signing"],
                },
                { parent: this },
            );
            this.certPem = cert.certPem;
            this.privateKeyPem = pulumi.secret(key.privateKeyPem);
        }
        const facts = this.certPem.apply((pem) => certificateFacts(pem));
        this.fingerprintSha256 = facts.fingerprintSha256;
        this.notAfter = facts.notAfter;

        this.registerOutputs({
            certPem: this.certPem,
            privateKeyPem: this.privateKeyPem,
            fingerprintSha256: this.fingerprintSha256,
            notAfter: this.notAfter,
        });
    }
}
