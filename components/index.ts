/**
 * airgap-registry: a trusted, authenticated private container registry for air-gapped networks.
 *
 * The public API: the components, their Args, output and option types, and their defaults.
 * Renderers, validators and scripts are internal (`airgap-registry/internal`): they may change
 * between minor versions.
 */

export { PrivateRegistry } from "./privateRegistry/privateRegistry";
export { privateRegistryDefaults } from "./privateRegistry/privateRegistryArgs";
export type { PrivateRegistryArgs, RegistryClientArgs, RegistryHostArgs } from "./privateRegistry/privateRegistryArgs";

export { CertificateAuthority, certificateAuthorityDefaults } from "./pki/certificateAuthority";
export type { CertificateAuthorityArgs, ExistingCaArgs } from "./pki/certificateAuthority";
export { caRotationSteps, defaultCaId } from "./pki/caRotation";
export type { CaRotationArgs, CaRotationStep, CaState, CaStateEntry, SiteCaArgs } from "./pki/caRotation";
export { RegistryCertificate, registryCertificateDefaults } from "./pki/registryCertificate";
export type { RegistryCertificateArgs, SigningCa } from "./pki/registryCertificate";
export type { EcdsaCurve, KeyAlgorithm, KeySpec, RsaBits } from "./pki/keyAlgorithm";
export type { CertificateSubject } from "./pki/subject";

export { HostPreparation, hostPreparationDefaults } from "./host/hostPreparation";
export type { EnginePackagesArgs, HostPreparationArgs } from "./host/hostPreparation";
export { daemonSettingsDefaults } from "./host/daemonJson";
export type { DaemonSettings } from "./host/daemonJson";
export type { HostFacts } from "./host/facts";

export { RegistryContainer, registryContainerDefaults } from "./registry/registryContainer";
export type { RegistryContainerArgs } from "./registry/registryContainer";
export type { RegistryCredential, RegistryUserArgs } from "./registry/registryUsers";
export type { CliEngine, RegistryRuntime } from "./registry/runtime";
export { registryVersionFromImage, registryVersions } from "./registry/registryVersion";
export type { RegistryVersion } from "./registry/registryVersion";
export { RegistryPopulation } from "./registry/registryPopulation";
export type { ImageArchiveArgs, RegistryPopulationArgs } from "./registry/registryPopulation";

export { ClientTrust, clientTrustDefaults } from "./trust/clientTrust";
export type { ClientTrustArgs } from "./trust/clientTrust";
export type { HostsEntry, OsFamily, TrustEngine } from "./trust/trustScripts";

export { ReplicatedRegistry, replicatedRegistryDefaults } from "./replicatedRegistry/replicatedRegistry";
export type { ReplicatedRegistryComponentArgs } from "./replicatedRegistry/replicatedRegistry";
export { registryReplicaDefaults } from "./replicatedRegistry/replicatedRegistryArgs";
export type { RegistryReplicaArgs, ReplicatedRegistryArgs } from "./replicatedRegistry/replicatedRegistryArgs";
export { LoadBalancer, loadBalancerComponentDefaults } from "./loadBalancer/loadBalancer";
export type { LoadBalancerComponentArgs } from "./loadBalancer/loadBalancer";
export { loadBalancerDefaults } from "./loadBalancer/loadBalancerArgs";
export type { LoadBalancerArgs } from "./loadBalancer/loadBalancerArgs";
export type { LoadBalancerHealthCheck, LoadBalancerTimeouts } from "./loadBalancer/haproxyConfig";
export type { RegistryStorageArgs, S3StorageArgs, StorageRedirectArgs } from "./registry/objectStorage";

export type { SshEndpointArgs, SshHostArgs } from "./ssh/sshHost";
export { InvalidArgumentsError } from "./validation";
