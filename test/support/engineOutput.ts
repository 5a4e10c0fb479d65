/** What is kept of a `pulumi` run's output: everything but the SDK's debug events, which carry secrets in clear. */

/**
 * The output without `debug` diagnostic events. `pulumi up --json` writes the Node SDK's debug log as events, and
 * its "RegisterResource RPC finished" lines hold every registered output, secrets unwrapped (seen with
 * @pulumi/pulumi 3.248.0: a command's secret `stdin`, a connection's private key). Dropped where the run returns, so
 * no assertion message or failure report can print them. Pure.
 */
export function withoutDebugEvents(output: string): string {
    return output
        .split("\n")
        .filter((line) => !(line.startsWith("{") && line.includes('"diagnosticEvent"') && isDebugEvent(line)))
        .join("\n");
}

function isDebugEvent(line: string): boolean {
    try {
        const event = JSON.parse(line) as { diagnosticEvent?: { severity?: string } };
        return event.diagnosticEvent?.severity === "debug";
    } catch {
        return false; // not a whole event line: kept
    }
}
