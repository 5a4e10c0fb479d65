/** Certificate subject fields (CN/O/OU/C/ST/L) and their validation. Pure. */

import { fieldPath } from "../validation";
/** Distinguished-name fields of a certificate subject (CN/O/OU/C/ST/L). */
export interface CertificateSubject {
    /** Common name (CN). */
    readonly commonName?: string;
    /** Organization (O). Default: none. */
    readonly organization?: string;
    /** Organizational unit (OU). Default: none. */
    readonly organizationalUnit?: string;
    /** Two-letter country code (C). Default: none. */
    readonly country?: string;
    /** State or province (ST). Default: none. */
    readonly province?: string;
    /** Locality or city (L). Default: none. */
    readonly locality?: string;
}

/** The @pulumi/tls subject input for a subject, with `commonName` defaulted. Pure. */
export function tlsSubject(
    subject: CertificateSubject | undefined,
    defaultCommonName: string,
): {
    commonName: string;
    organization?: string;
    organizationalUnit?: string;
    country?: string;
    province?: string;
    locality?: string;
} {
    const out: ReturnType<typeof tlsSubject> = { commonName: subject?.commonName ?? defaultCommonName };
    if (subject?.organization !== undefined) out.organization = subject.organization;
    if (subject?.organizationalUnit !== undefined) out.organizationalUnit = subject.organizationalUnit;
    if (subject?.country !== undefined) out.country = subject.country;
    if (subject?.province !== undefined) out.province = subject.province;
    if (subject?.locality !== undefined) out.locality = subject.locality;
    return out;
}

/** Validates a subject; messages name `field`. */
export function checkSubject(field: string, subject: CertificateSubject | undefined): string[] {
    if (subject === undefined) {
        return [];
    }
    const problems: string[] = [];
    if (subject.commonName !== undefined && (subject.commonName.length === 0 || subject.commonName.length > 64)) {
        problems.push(`\`${fieldPath(field, "commonName")}\` must be 1 to 64 characters`);
    }
    if (subject.country !== undefined && !/^[A-Z]{2}$/.test(subject.country)) {
        problems.push(
            `\`${fieldPath(field, "country")}\` must be a two-letter upper-case country code, got ${JSON.stringify(subject.country)}`,
        );
    }
    return problems;
}
