/** RegistryCertificate: the registry's TLS server certificate, signed by the CA, with every name and IP as SANs. */

import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { assertValid, checkHostname, checkHours, checkIp, fieldPath } from "../validation";
import { checkKeySpec, KeySpec, privateKeyInputs } from "./keyAlgorithm";
import { registrySans } from "./sans";

/** The CA that signs the server certificate (a {@link CertificateAuthority}'s outputs fit). */
export interface SigningCa {
    /** CA certificate, PEM. */
    readonly certPem: pulumi.Input<string>;
    /** CA private key, PEM (secret). */
    readonly privateKeyPem: pulumi.Input<string>;
}

/** Arguments of {@link RegistryCertificate}. */
export interface RegistryCertificateArgs extends KeySpec {
    /** The signing CA. */
    readonly ca: SigningCa;
    /** DNS names clients reach the registry by; the first is the subject CN. At least one name or IP. */
    readonly dnsNames: readonly string[];
    /** IP addresses clients reach the registry by. Default `[]`. */
    readonly ipAddresses?: readonly string[];
    /** Validity of the server certificate in hours. Default `8760` (1 year). */
    readonly validityHours?: number;
    /**
     * Hours before expiry in which a `pulumi up` re-issues the certificate (and rolls the
     * registry). At most `validityHours`; equal to it, every up re-issues the certificate (for
     * tests, not for sites). Default `720` (30 days).
     */
    readonly earlyRenewalHours?: number;
    /** Organization (O) of the subject. Default: none. */
    readonly organization?: string;
}

/** Defaults of {@link RegistryCertificateArgs}, in one place. */
export const registryCertificateDefaults = {
    validityHours: 8760,
    earlyRenewalHours: 720,
    rsaBits: 2048,
    ecdsaCurve: "P256",
} as const;

/** Server key usages: least privilege for a TLS server (no CA, no client auth). */
export const serverCertificateUses = ["digital_signature", "key_encipherment", "server_auth"];

/** Validates key, validity and renewal settings of a server certificate; messages name `field`. */
export function checkCertificateSettings(
    field: string,
    args: Omit<RegistryCertificateArgs, "ca" | "dnsNames" | "ipAddresses">,
): string[] {
    const problems: string[] = [...checkKeySpec(field, args)];
    const validity = args.validityHours ?? registryCertificateDefaults.validityHours;
    const renewal = args.earlyRenewalHours ?? registryCertificateDefaults.earlyRenewalHours;
    if (args.validityHours !== undefined)
        problems.push(...checkHours(fieldPath(field, "validityHours"), args.validityHours));
    if (args.earlyRenewalHours !== undefined)
        problems.push(...checkHours(fieldPath(field, "earlyRenewalHours"), args.earlyRenewalHours));
    if (renewal > validity) {
        problems.push(
            `\`${fieldPath(field, "earlyRenewalHours")}\` (${renewal}) is larger than \`${fieldPath(field, "validityHours")}\` (${validity}): the renewal window cannot be longer than the certificate is valid`,
        );
    }
    return problems;
}

/** Validates the plain arguments of a RegistryCertificate; messages name `field`. */
export function checkRegistryCertificateArgs(field: string, args: Omit<RegistryCertificateArgs, "ca">): string[] {
    const problems: string[] = [];
    const ips = args.ipAddresses ?? [];
    if (args.dnsNames.length + ips.length === 0) {
        problems.push(
            `\`${fieldPath(field, "dnsNames")}\` and \`${fieldPath(field, "ipAddresses")}\` are both empty: the registry needs at least one name or IP`,
        );
    }
    args.dnsNames.forEach((n, i) => problems.push(...checkHostname(fieldPath(field, `dnsNames[${i}]`), n)));
    ips.forEach((ip, i) => problems.push(...checkIp(fieldPath(field, `ipAddresses[${i}]`), ip)));
    return [...problems, ...checkCertificateSettings(field, args)];
}

/**
 * The registry's TLS server certificate: a key, a CSR with every DNS name and IP the registry
 * is reached by (plus localhost and 127.0.0.1), and a CA-signed certificate with serverAuth,
 * digitalSignature and keyEncipherment, not a CA. A `pulumi up` inside the early-renewal window
 * re-issues it.
 */
export class RegistryCertificate extends pulumi.ComponentResource {
    /** Server certificate, PEM. */
    public readonly certPem: pulumi.Output<string>;
    /** Server certificate followed by the CA certificate, PEM (what the registry serves). */
    public readonly chainPem: pulumi.Output<string>;
    /** Server private key, PEM. Secret. */
    public readonly privateKeyPem: pulumi.Output<string>;
    /** DNS SANs in the certificate. */
    public readonly dnsNames: pulumi.Output<string[]>;
    /** IP SANs in the certificate. */
    public readonly ipAddresses: pulumi.Output<string[]>;
    /** When the certificate expires (RFC 3339). */
    public readonly notAfter: pulumi.Output<string>;

    constructor(name: string, args: RegistryCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
        assertValid("RegistryCertificate", checkRegistryCertificateArgs("", args));
        super("airgap-registry:pki:RegistryCertificate", name, {}, opts);

        const sans = registrySans(args.dnsNames, args.ipAddresses ?? []);
        const key = new tls.PrivateKey(`${name}-key`, privateKeyInputs(args, registryCertificateDefaults), {
            parent: this,
            additionalSecretOutputs: ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"],
        });
        const subject: { commonName: string; organization?: string } = {
            commonName: args.dnsNames[0] ?? (args.ipAddresses ?? [])[0] ?? "registry",
        };
        if (args.organization !== undefined) subject.organization = args.organization;
        const csr = new tls.CertRequest(
            `${name}-csr`,
            { privateKeyPem: key.privateKeyPem, subject, dnsNames: sans.dnsNames, ipAddresses: sans.ipAddresses },
            { parent: this },
        );
        const cert = new tls.LocallySignedCert(
            `${name}-cert`,
            {
                certRequestPem: csr.certRequestPem,
                caCertPem: args.ca.certPem,
                caPrivateKeyPem: args.ca.privateKeyPem,
                isCaCertificate: false,
                allowedUses: serverCertificateUses,
                validityPeriodHours: args.validityHours ?? registryCertificateDefaults.validityHours,
                earlyRenewalHours: args.earlyRenewalHours ?? registryCertificateDefaults.earlyRenewalHours,
            },
            { parent: this },
        );

        this.certPem = cert.certPem;
        this.chainPem = pulumi.interpolate`${cert.certPem.apply(ensureNewline)}${pulumi.output(args.ca.certPem).apply(ensureNewline)}`;
        this.privateKeyPem = pulumi.secret(key.privateKeyPem);
        this.dnsNames = pulumi.output(sans.dnsNames);
        this.ipAddresses = pulumi.output(sans.ipAddresses);
        this.notAfter = cert.validityEndTime;

        this.registerOutputs({
            certPem: this.certPem,
            chainPem: this.chainPem,
            privateKeyPem: this.privateKeyPem,
            dnsNames: this.dnsNames,
            ipAddresses: this.ipAddresses,
            notAfter: this.notAfter,
        });
    }
}

function ensureNewline(pem: string): string {
    return pem.endsWith("\n") ? pem : `${pem}\n`;
}
