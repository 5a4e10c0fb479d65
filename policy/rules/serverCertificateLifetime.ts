/** Rule `server-certificate-lifetime`: a server certificate is short-lived and renewed early. Pure. */

import { describe, ResourceView, stringsIn, unknown, Violation } from "./view";

export const locallySignedCertType = "tls:index/locallySignedCert:LocallySignedCert";

/**
 * Findings for a `tls:index/locallySignedCert:LocallySignedCert` with `server_auth` in `allowedUses`: `validityPeriodHours` above
 * `maxDays` days, or no renewal window (`earlyRenewalHours` absent or 0, so nothing re-issues it before it expires).
 */
export function serverCertificateLifetime(r: ResourceView, maxDays: number): Violation[] {
    if (r.type !== locallySignedCertType || !stringsIn(r.props.allowedUses).includes("server_auth")) return [];
    const problems: string[] = [];
    const validity = r.props.validityPeriodHours;
    if (validity !== unknown && (typeof validity !== "number" || validity > maxDays * 24)) {
        problems.push(
            `${describe(r)}: \`validityPeriodHours\` is ${JSON.stringify(validity ?? null)} (${typeof validity === "number" ? `${Math.round((validity / 24) * 10) / 10} days` : "unbounded"}), more than the ${maxDays} days (${maxDays * 24} hours) a server certificate may be valid (policy config maxServerCertificateDays)`,
        );
    }
    const renewal = r.props.earlyRenewalHours;
    if (renewal !== unknown && (typeof renewal !== "number" || renewal <= 0)) {
        problems.push(
            `${describe(r)}: \`earlyRenewalHours\` ${typeof renewal === "number" ? `is ${renewal}` : "is not set"}: no renewal window, so no \`pulumi up\` re-issues the certificate before it expires (stack config \`certificate.earlyRenewalHours\`, default 720)`,
        );
    }
    return problems.map((message) => ({ urn: r.urn, message }));
}
