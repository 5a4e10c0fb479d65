/** airgap-registry: a trusted, authenticated private container registry for air-gapped networks. */
export * from "./privateRegistry";
export * from "./pki/certificateAuthority";
export * from "./pki/registryCertificate";
export * from "./pki/keyAlgorithm";
export * from "./pki/subject";
export * from "./pki/sans";
export * from "./pki/existingCa";
export * from "./host/hostPreparation";
export * from "./host/sshHost";
export * from "./host/daemonJson";
export * from "./host/facts";
export * from "./registry/registryContainer";
export * from "./registry/configYml";
export * from "./registry/htpasswd";
export * from "./trust/clientTrust";
export * from "./trust/trustScripts";
export * from "./validation";
