/** The policy pack's settings (`--policy-pack-config`), with their defaults in one place. Pure. */

/** Settings of the policy pack's rules, read from the policy pack config file. */
export interface PolicySettings {
    /**
     * Longest validity a server certificate (a `tls:index/locallySignedCert:LocallySignedCert` with `server_auth`) may have, in days.
     * Default `398` (the CA/Browser Forum limit for public TLS certificates).
     */
    readonly maxServerCertificateDays: number;
    /**
     * Allow a command's `delete` to remove the registry storage (`<dataDir>/data`) on destroy, i.e. a stack with
     * `host.removeDataOnDestroy: true`. Default `false`: the team has to choose this explicitly, here.
     */
    readonly allowStorageRemovalOnDestroy: boolean;
}

/** Defaults of {@link PolicySettings}. */
export const policyDefaults: PolicySettings = {
    maxServerCertificateDays: 398,
    allowStorageRemovalOnDestroy: false,
};
