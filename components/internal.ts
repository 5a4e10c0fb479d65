/**
 * airgap-registry/internal: the pure pieces the components are built from (validators,
 * renderers, the scripts run on hosts, the bundle manifest). For tests and for programs that
 * compose their own components; not a stable API.
 */

export * from "./bundle/bundleContents";
export * from "./bundle/manifest";
export * from "./host/carryInScripts";
export * from "./host/daemonJson";
export * from "./host/facts";
export * from "./host/hostPreparation";
export * from "./host/hostScripts";
export * from "./loadBalancer/haproxyConfig";
export * from "./loadBalancer/haproxyScripts";
export * from "./loadBalancer/loadBalancer";
export * from "./loadBalancer/loadBalancerArgs";
export * from "./pki/caRotation";
export * from "./pki/certificateAuthority";
export * from "./pki/existingCa";
export * from "./pki/expiry";
export * from "./pki/keyAlgorithm";
export * from "./pki/registryCertificate";
export * from "./pki/sans";
export * from "./pki/subject";
export * from "./privateRegistry/privateRegistry";
export * from "./privateRegistry/privateRegistryArgs";
export * from "./replicatedRegistry/replicatedRegistry";
export * from "./replicatedRegistry/replicatedRegistryArgs";
export * from "./registry/configYml";
export * from "./registry/htpasswd";
export * from "./registry/objectStorage";
export * from "./registry/populationScripts";
export * from "./registry/registryContainer";
export * from "./registry/registryPopulation";
export * from "./registry/registryScripts";
export * from "./registry/registryUsers";
export * from "./registry/runtime";
export * from "./registry/registryVersion";
export * from "./ssh/copyByHash";
export * from "./ssh/dockerOverSsh";
export * from "./ssh/fileHash";
export * from "./ssh/hostFiles";
export * from "./ssh/hostFilesProvider";
export * from "./ssh/knownHosts";
export * from "./ssh/shell";
export * from "./ssh/sshHost";
export * from "./trust/clientTrust";
export * from "./trust/trustScripts";
export * from "./validation";
