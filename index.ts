/** The program: the stack config of `Pulumi.<stack>.yaml` made into one PrivateRegistry and its outputs. */

import * as pulumi from "@pulumi/pulumi";
import { PrivateRegistry } from "./components";
import { readPreviousCaState } from "./program/previousCaState";
import { readStackConfig, toPrivateRegistryArgs } from "./program/stackConfig";

// Stack config (and what the last up left of the CAs) -> one PrivateRegistry -> the stack outputs.
export = async () => {
    const stackConfig = readStackConfig();
    const previousCaState = await readPreviousCaState();
    const registry = new PrivateRegistry(
        pulumi.getProject(),
        toPrivateRegistryArgs(stackConfig.config, process.cwd(), stackConfig.problems, previousCaState),
    );
    return {
        endpoint: registry.endpoint,
        endpoints: registry.endpoints,
        caCertificate: registry.caCertificate,
        caFingerprintSha256: registry.caFingerprintSha256,
        caState: registry.caState,
        serverCertificateNotAfter: registry.serverCertificateNotAfter,
        caCertificateNotAfter: registry.caCertificateNotAfter,
        credentials: registry.credentials,
        dockerLogin: registry.dockerLogin,
        servedImages: registry.servedImages,
        registryVersion: registry.registryVersion,
    };
};
