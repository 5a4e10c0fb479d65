/** Which certificates are close to their expiry, as warnings a preview shows. Pure. */

/** A certificate's name for messages and when it expires (RFC 3339). */
export interface CertificateExpiry {
    readonly what: string;
    readonly notAfter: string;
    /** What the operator does about it. */
    readonly remedy: string;
}

/**
 * A warning for each certificate that expires within `days` of `now` (or has expired), naming it,
 * the date and the days left. Pure.
 */
export function expiryWarnings(certificates: readonly CertificateExpiry[], now: Date, days: number): string[] {
    const dayMs = 24 * 60 * 60 * 1000;
    return certificates.flatMap((c) => {
        const end = Date.parse(c.notAfter);
        if (Number.isNaN(end)) return [];
        const left = Math.floor((end - now.getTime()) / dayMs);
        if (end - now.getTime() > days * dayMs) return [];
        const when =
            left < 0 ? `expired on ${c.notAfter}` : `expires on ${c.notAfter} (in ${left} day${left === 1 ? "" : "s"})`;
        return [`the ${c.what} ${when}: ${c.remedy}`];
    });
}
