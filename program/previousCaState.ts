/** What the last completed up of this stack left of its CAs, read back through a StackReference to the stack itself. */

import * as pulumi from "@pulumi/pulumi";
import { CaState, legacyCaState } from "../components/pki/caRotation";

/**
 * The `caState` output of this stack's last up; for a stack deployed before that output existed, its one CA (id
 * "ca", settings unknown); `undefined` for a new stack. Read before the PrivateRegistry is built, so a CA change that would cut clients off fails the
 * preview before anything is touched.
 */
export async function readPreviousCaState(): Promise<CaState | undefined> {
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    const details = await self.getOutputDetails("caState");
    const state = (details.value ?? details.secretValue) as CaState | undefined;
    if (state !== undefined) return state;
    // Deployed before CA states existed: its one CA, id "ca", is what every client trusts.
    const deployed = await self.getOutputDetails("caFingerprintSha256");
    return deployed.value !== undefined ? legacyCaState : undefined;
}
