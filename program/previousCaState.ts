/** What the last up of this stack left of its CAs, read back through a StackReference to the stack itself. */

import * as pulumi from "@pulumi/pulumi";
import { CaState, isCaState, isCaStateAttempt, legacyCaState, unfinishedUpStates } from "../components/pki/caRotation";

/**
 * The `caState` output of this stack's last up. When that up did not finish on every client, `caState` was left
 * unknown: then the states the site may be in, from its `caStateAttempt` (see `unfinishedUpStates`). For a stack
 * deployed before these outputs existed, its one CA (id "ca", settings unknown); `undefined` for a new stack. Read
 * before the PrivateRegistry is built, so a CA change that would cut clients off fails the preview before anything
 * is touched.
 */
export async function readPreviousCaState(): Promise<CaState | CaState[] | undefined> {
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    const valueOf = async (name: string): Promise<unknown> => {
        const details = await self.getOutputDetails(name);
        return details.value ?? details.secretValue;
    };
    const state = await valueOf("caState");
    if (isCaState(state)) return state;
    const attempt = await valueOf("caStateAttempt");
    if (isCaStateAttempt(attempt)) {
        const states = unfinishedUpStates(attempt);
        return states.length > 0 ? states : undefined;
    }
    // Deployed before CA states existed: its one CA, id "ca", is what every client trusts.
    return (await valueOf("caFingerprintSha256")) !== undefined ? legacyCaState : undefined;
}
