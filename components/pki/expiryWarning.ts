/** Warns in every preview and up when a site's CA or server certificate is close to its expiry (the wiring of expiry.ts). */

import * as pulumi from "@pulumi/pulumi";
import { expiryWarnings } from "./expiry";

/** Days before a certificate's end that the warning starts: every component's `expiryWarningDays` default. */
export const defaultExpiryWarningDays = 30;

/** The `expiryWarningDays` Arg: a whole number of days, 0 or more. Pure. */
export function checkExpiryWarningDays(days: unknown): string[] {
    if (days === undefined || (typeof days === "number" && Number.isInteger(days) && days >= 0)) return [];
    return [`\`expiryWarningDays\` must be a whole number of days (0 or more), got ${JSON.stringify(days)}`];
}

/**
 * Logs a warning on `parent` (a diagnostic, not an error) for the CA and the server certificate when either expires
 * within `days` (default {@link defaultExpiryWarningDays}), with `caRemedy` as what to do about the CA; known in a
 * preview once the certificates exist, so the warning shows before it is too late.
 */
export function warnBeforeExpiry(
    parent: pulumi.Resource,
    caNotAfter: pulumi.Input<string>,
    certNotAfter: pulumi.Input<string>,
    days: number = defaultExpiryWarningDays,
    caRemedy = 'rotate the CA (`caRotation`, README "Rotating the CA") before clients stop trusting the registry',
): void {
    pulumi.all([caNotAfter, certNotAfter]).apply(([caEnd, certEnd]) => {
        const warnings = expiryWarnings(
            [
                {
                    what: "CA certificate",
                    notAfter: caEnd,
                    remedy: caRemedy,
                },
                {
                    what: "registry's server certificate",
                    notAfter: certEnd,
                    remedy: "run `pulumi up` to re-issue it (it is re-issued within `certificate.earlyRenewalHours` of expiry)",
                },
            ],
            new Date(),
            days,
        );
        for (const w of warnings) void pulumi.log.warn(w, parent);
    });
}
