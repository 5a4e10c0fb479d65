/**
 * The program: the stack config of `Pulumi.<stack>.yaml` made into one PrivateRegistry (a `host`) or one
 * ReplicatedRegistry (`replicas` behind a `loadBalancer` on the site's object store), and its outputs.
 */

import * as pulumi from "@pulumi/pulumi";
import { PrivateRegistry } from "./components";
import { ReplicatedRegistry } from "./components/replicatedRegistry/replicatedRegistry";
import { isSecretInStackConfig, plainTextSecretWarnings } from "./program/plainTextSecrets";
import { readPreviousCaState } from "./program/previousCaState";
import { isReplicatedConfig, toReplicatedRegistryArgs } from "./program/replicatedStackConfig";
import { readStackConfig, toPrivateRegistryArgs } from "./program/stackConfig";

// Stack config (and what the last up left of the CAs) -> one registry component -> the stack outputs.
export = async () => {
    const stackConfig = readStackConfig();
    for (const warning of plainTextSecretWarnings(stackConfig.config, isSecretInStackConfig, pulumi.getStack()))
        void pulumi.log.warn(warning);
    if (isReplicatedConfig(stackConfig.config)) {
        const site = new ReplicatedRegistry(
            pulumi.getProject(),
            toReplicatedRegistryArgs(stackConfig.config, process.cwd(), stackConfig.problems),
        );
        return {
            endpoint: site.endpoint,
            endpoints: site.endpoints,
            caCertificate: site.caCertificate,
            caFingerprintSha256: site.caFingerprintSha256,
            serverCertificateNotAfter: site.serverCertificateNotAfter,
            caCertificateNotAfter: site.caCertificateNotAfter,
            credentials: site.credentials,
            dockerLogin: site.dockerLogin,
            replicaEndpoints: site.replicaEndpoints,
            registryVersion: site.registryVersion,
        };
    }
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
