/** Rule `client-trust-verified`: every ClientTrust checks from its client that the registry answers over verified TLS. Pure. */

import { isHostFiles } from "./hostFiles";
import { describe, ResourceView, stringOf, unknown, Violation } from "./view";

export const clientTrustType = "airgap-registry:trust:ClientTrust";

/**
 * True for the check step of a ClientTrust: a HostFiles with a `check` script (the components' form: no files, the
 * check run at up and on every refresh), or a `command:remote:Command` (the form before HostFiles, and what a
 * program may still write). A HostFiles whose `check` is empty checks nothing, so it does not count; one whose
 * `check` is not known yet does.
 */
function isCheckStep(c: ResourceView): boolean {
    if (c.type === "command:remote:Command") return true;
    if (!isHostFiles(c)) return false;
    return c.props.check === unknown || (stringOf(c.props.check) ?? "").trim() !== "";
}

/**
 * A ClientTrust component with `verify` on has a child `<name>-check` (the check from the client); with
 * `verify: false` (stack config `verifyClients: false`) it has none. Components register no inputs, so the child is
 * what shows the setting.
 */
export function clientTrustVerified(resources: readonly ResourceView[]): Violation[] {
    return resources
        .filter((r) => r.type === clientTrustType)
        .filter(
            (trust) =>
                !resources.some((c) => c.parent === trust.urn && c.name === `${trust.name}-check` && isCheckStep(c)),
        )
        .map((trust) => ({
            urn: trust.urn,
            message:
                `${describe(trust)}: \`verify\` is off: no child command "${trust.name}-check" checks from the client ` +
                "that the registry answers over TLS verified by its trust store (stack config `verifyClients: true`)",
        }));
}
