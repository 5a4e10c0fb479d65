/**
 * The airgap-registry policy pack: what the project guarantees, as mandatory rules a team runs with
 * `pulumi preview --policy-pack policy` (README, "Policy pack"). The rules are pure functions in `rules/`; this file
 * only wires them to the policy SDK.
 */

import { PolicyPack, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { caKeyStaysLocal } from "./rules/caKeyStaysLocal";
import { clientTrustVerified } from "./rules/clientTrustVerified";
import { registryAuthAndTls, registryConfigsOf } from "./rules/registryAuthAndTls";
import { serverCertificateLifetime } from "./rules/serverCertificateLifetime";
import { policyDefaults } from "./rules/settings";
import { sshHostKeyPinned } from "./rules/sshHostKeyPinned";
import { storageKeptOnDestroy } from "./rules/storageKeptOnDestroy";
import { ResourceView, unknown, Violation } from "./rules/view";
import { viewOfArgs, viewOfStackResource } from "./toView";

function report(violations: Violation[], reportViolation: ReportViolation): void {
    for (const v of violations) reportViolation(v.message, v.urn);
}

/** Reads `at` (a path of keys) through the SDK's props: the SDK's proxy throws on a value not known yet. */
function readProps(props: Record<string, unknown>, at: readonly string[]): unknown {
    let v: unknown = props;
    for (const k of at) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
    return v;
}

const perResource =
    (rule: (r: ResourceView, args: ResourceValidationArgs) => Violation[]) =>
    (args: ResourceValidationArgs, reportViolation: ReportViolation) =>
        report(rule(viewOfArgs(args), args), reportViolation);

const perStack =
    (rule: (rs: ResourceView[]) => Violation[]) => (args: StackValidationArgs, reportViolation: ReportViolation) =>
        report(rule(args.resources.map(viewOfStackResource)), reportViolation);

new PolicyPack("airgap-registry", {
    enforcementLevel: "mandatory",
    policies: [
        {
            name: "client-trust-verified",
            description: "Every ClientTrust checks from its client that the registry answers over verified TLS.",
            validateStack: perStack(clientTrustVerified),
        },
        {
            name: "ssh-host-key-pinned",
            description:
                "Every SSH connection (commands, copies, HostFiles, the docker provider's ssh) verifies the host's key.",
            validateResource: perResource((r) => sshHostKeyPinned(r)),
        },
        {
            name: "server-certificate-lifetime",
            description: "A server certificate is valid at most maxServerCertificateDays and has a renewal window.",
            configSchema: {
                properties: {
                    maxServerCertificateDays: {
                        type: "integer",
                        minimum: 1,
                        default: policyDefaults.maxServerCertificateDays,
                    },
                },
            },
            validateResource: perResource((r, args) =>
                serverCertificateLifetime(
                    r,
                    args.getConfig<{ maxServerCertificateDays?: number }>().maxServerCertificateDays ??
                        policyDefaults.maxServerCertificateDays,
                ),
            ),
        },
        {
            name: "ca-key-stays-local",
            description: "The CA's private key is never written to a host (commands, copies, containers, HostFiles).",
            validateStack: perStack(caKeyStaysLocal),
        },
        {
            name: "registry-auth-and-tls",
            description: "The registry's config.yml has htpasswd (or token) auth and TLS with a minimum of 1.2.",
            validateResource: perResource((r, args) => {
                // Not known yet (a fresh preview: config.yml holds the random http secret): reading it through the
                // SDK's props makes the SDK report, as an advisory, that this rule cannot run before `up`.
                for (const c of registryConfigsOf(r).filter((x) => x.text === unknown)) readProps(args.props, c.at);
                return registryAuthAndTls(r);
            }),
        },
        {
            name: "storage-kept-on-destroy",
            description: "Destroy keeps the registry storage unless allowStorageRemovalOnDestroy is set.",
            configSchema: {
                properties: {
                    allowStorageRemovalOnDestroy: {
                        type: "boolean",
                        default: policyDefaults.allowStorageRemovalOnDestroy,
                    },
                },
            },
            validateResource: perResource((r, args) =>
                storageKeptOnDestroy(
                    r,
                    args.getConfig<{ allowStorageRemovalOnDestroy?: boolean }>().allowStorageRemovalOnDestroy ??
                        policyDefaults.allowStorageRemovalOnDestroy,
                ),
            ),
        },
    ],
});
