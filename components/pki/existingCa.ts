/** Checks of a brought-in CA (is a CA, key matches, not expired) with Node's X.509 parser. Pure. */

import * as crypto from "crypto";

/** Facts read from a CA certificate PEM. */
export interface CaCertificateFacts {
    /** SHA-256 fingerprint, upper-case hex pairs separated by ':' (as `openssl x509 -fingerprint`). */
    readonly fingerprintSha256: string;
    /** Not-after date in RFC 3339 (UTC). */
    readonly notAfter: string;
    /** Subject DN as printed by Node. */
    readonly subject: string;
}

/** Reads the fingerprint, expiry and subject of a PEM certificate (the first one in the PEM). Pure. */
export function certificateFacts(certPem: string): CaCertificateFacts {
    const cert = new crypto.X509Certificate(certPem);
    return {
        fingerprintSha256: cert.fingerprint256,
        notAfter: new Date(cert.validTo).toISOString(),
        subject: cert.subject,
    };
}

/**
 * Checks a bring-your-own CA (an organisation's internal CA): the PEM parses, it is a CA certificate,
 * the key parses and matches the certificate, and it is valid at `now`. Returns one message per
 * problem, naming `certField` or `keyField`. Pure.
 */
export function checkExistingCa(
    certField: string,
    keyField: string,
    certPem: string,
    keyPem: string,
    now: Date = new Date(),
): string[] {
    const problems = checkExistingCaCertificate(certField, certPem, now);
    let cert: crypto.X509Certificate;
    try {
        cert = new crypto.X509Certificate(certPem);
    } catch {
        return problems;
    }
    let key: crypto.KeyObject;
    try {
        key = crypto.createPrivateKey(keyPem);
    } catch (err) {
        problems.push(`\`${keyField}\` is not a PEM private key (${(err as Error).message})`);
        return problems;
    }
    if (!cert.checkPrivateKey(key)) {
        problems.push(`\`${keyField}\` does not match the certificate in \`${certField}\``);
    }
    return problems;
}

/**
 * Checks the certificate of a bring-your-own CA alone: it parses, it is a CA certificate and it is valid at `now`.
 * One message per problem, naming `certField`. Pure.
 */
export function checkExistingCaCertificate(certField: string, certPem: string, now: Date = new Date()): string[] {
    let cert: crypto.X509Certificate;
    try {
        cert = new crypto.X509Certificate(certPem);
    } catch (err) {
        return [`\`${certField}\` is not a PEM certificate (${(err as Error).message})`];
    }
    const problems: string[] = [];
    if (!cert.ca) {
        problems.push(
            `\`${certField}\` is not a CA certificate (basicConstraints CA:FALSE or missing): ${cert.subject.replace(/\n/g, ", ")}`,
        );
    }
    const notBefore = new Date(cert.validFrom);
    const notAfter = new Date(cert.validTo);
    if (notAfter.getTime() <= now.getTime()) {
        problems.push(`\`${certField}\` expired on ${notAfter.toISOString()}`);
    } else if (notBefore.getTime() > now.getTime()) {
        problems.push(`\`${certField}\` is not valid before ${notBefore.toISOString()}`);
    }
    return problems;
}
