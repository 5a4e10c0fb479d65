/** What the last completed up of this stack left of its CAs, read back through a StackReference to the stack itself. */

import * as pulumi from "@pulumi/pulumi";
import type { CaState } from "../components/pki/caRotation";

/**
 * The `caState` output of this stack's last completed up, or `undefined` for a new stack (or one whose last up
 * predates the output). Read before the PrivateRegistry is built, so a CA change that would cut clients off fails the
 * preview before anything is touched.
 */
export async function readPreviousCaState(): Promise<CaState | undefined> {
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    const details = await self.getOutputDetails("caState");
    return (details.value ?? details.secretValue) as CaState | undefined;
}
