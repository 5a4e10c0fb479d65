/** Checks of a registry as a lab client sees it, shared by the engine tests. */

import * as assert from "node:assert/strict";
import { mustRun, onHost } from "./lab";

/**
 * From `client`: plain HTTP gets the registry's 400 (no plain listener), TLS 1.1 offered by the client is refused,
 * TLS 1.2 with the registry's name verifies against the client's trust store. `serverName` is the name checked.
 */
export function assertTransportSecurity(sshConfig: string, client: string, endpoint: string, serverName: string): void {
    const http = onHost(sshConfig, client, `curl -sS -w ' %{http_code}' http://${endpoint}/v2/`);
    assert.match(http.stdout, /Client sent an HTTP request to an HTTPS server\.\s+400$/);
    const tls11 = onHost(
        sshConfig,
        client,
        `openssl s_client -connect ${endpoint} -tls1_1 -cipher DEFAULT@SECLEVEL=0 </dev/null 2>&1`,
    );
    assert.notEqual(tls11.code, 0);
    assert.match(tls11.stdout, /alert protocol version/, "the server refuses TLS 1.1 the client offered");
    const tls12 = mustRun(
        sshConfig,
        client,
        `openssl s_client -connect ${endpoint} -servername ${serverName} -tls1_2 -verify_return_error </dev/null 2>&1`,
    );
    assert.match(tls12, /Protocol\s*:\s*TLSv1\.2/);
    assert.match(tls12, /Verify return code: 0 \(ok\)/);
}

/** SHA-256 fingerprint (`AA:BB:...`) of the CA the registry serves (the last certificate of its chain), seen from `client`. */
export function servedCaFingerprint(sshConfig: string, client: string, endpoint: string, serverName: string): string {
    const lastOfChain =
        'awk \'/BEGIN CERTIFICATE/{b=""} {b=b $0 "\\n"} /END CERTIFICATE/{last=b} END{printf "%s", last}\'';
    return mustRun(
        sshConfig,
        client,
        `openssl s_client -connect ${endpoint} -servername ${serverName} -showcerts </dev/null 2>/dev/null | ${lastOfChain} | openssl x509 -noout -fingerprint -sha256`,
    )
        .trim()
        .split("=")[1];
}
