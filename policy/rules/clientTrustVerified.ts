/** Rule `client-trust-verified`: every ClientTrust checks from its client that the registry answers over verified TLS. Pure. */

import { describe, ResourceView, Violation } from "./view";

export const clientTrustType = "airgap-registry:trust:ClientTrust";

/**
 * A ClientTrust component with `verify` on has a child command `<name>-check` (the check from the client); with
 * `verify: false` (stack config `verifyClients: false`) it has none. Components register no inputs, so the child is
 * what shows the setting.
 */
export function clientTrustVerified(resources: readonly ResourceView[]): Violation[] {
    return resources
        .filter((r) => r.type === clientTrustType)
        .filter(
            (trust) =>
                !resources.some(
                    (c) =>
                        c.parent === trust.urn &&
                        c.type === "command:remote:Command" &&
                        c.name === `${trust.name}-check`,
                ),
        )
        .map((trust) => ({
            urn: trust.urn,
            message:
                `${describe(trust)}: \`verify\` is off: no child command "${trust.name}-check" checks from the client ` +
                "that the registry answers over TLS verified by its trust store (stack config `verifyClients: true`)",
        }));
}
