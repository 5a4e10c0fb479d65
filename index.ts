/** The program: the stack config of `Pulumi.<stack>.yaml` made into one PrivateRegistry and its outputs. */

import * as pulumi from "@pulumi/pulumi";
import { PrivateRegistry } from "./components";
import { readStackConfig, toPrivateRegistryArgs } from "./program/stackConfig";

// Stack config -> one PrivateRegistry -> the stack outputs other stacks rely on.
const stackConfig = readStackConfig();
const registry = new PrivateRegistry(
    pulumi.getProject(),
    toPrivateRegistryArgs(stackConfig.config, process.cwd(), stackConfig.problems),
);

export const endpoint = registry.endpoint;
export const endpoints = registry.endpoints;
export const caCertificate = registry.caCertificate;
export const caFingerprintSha256 = registry.caFingerprintSha256;
export const serverCertificateNotAfter = registry.serverCertificateNotAfter;
export const caCertificateNotAfter = registry.caCertificateNotAfter;
export const credentials = registry.credentials;
export const dockerLogin = registry.dockerLogin;
export const servedImages = registry.servedImages;
