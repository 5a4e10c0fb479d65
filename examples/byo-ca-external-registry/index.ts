// A consumer of airgap-registry, installed from its npm tarball: the site's own CA (bring your own) signs the server
// certificate of a registry that another team runs; the program hands the certificate to that registry's host and
// makes every client trust the CA. No PrivateRegistry: the program composes CertificateAuthority,
// RegistryCertificate and ClientTrust itself, and adds one command of its own for the hand-off.

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { CertificateAuthority, ClientTrust, RegistryCertificate, SshEndpointArgs, SshHostArgs } from "airgap-registry";
// The SSH connection the components use (pinned host key, bastion): from the internal subpath, which the package
// documents as not a stable API; a program that takes it pins the package's version.
import { checkSshHost, sshConnection } from "airgap-registry/internal";

interface RegistryConfig {
    readonly address: string;
    readonly user?: string;
    readonly privateKeyPath: string;
    /** Names clients reach the registry by (SANs); the first is how clients address it. */
    readonly names: string[];
    readonly ipAddresses?: string[];
    readonly port: number;
    /** Where the registry reads `chain.pem` and `server.key`. */
    readonly certDir: string;
    /** Run after the files are in place, e.g. `docker restart team-registry`. Default: none. */
    readonly reloadCommand?: string;
}

interface ClientConfig {
    readonly name: string;
    readonly address: string;
    readonly user?: string;
    readonly privateKeyPath: string;
}

const config = new pulumi.Config();
const knownHostsPath = config.require("knownHostsPath");
const bastionConfig = config.getObject<Omit<SshEndpointArgs, "knownHostsPath">>("bastion");
const bastion: SshEndpointArgs | undefined = bastionConfig ? { ...bastionConfig, knownHostsPath } : undefined;
const registry = config.requireObject<RegistryConfig>("registry");
const clients = config.requireObject<ClientConfig[]>("clients");

const sshHost = (h: { address: string; user?: string; privateKeyPath: string }): SshHostArgs => ({
    address: h.address,
    user: h.user ?? "root",
    privateKeyPath: h.privateKeyPath,
    knownHostsPath,
    ...(bastion ? { bastion } : {}),
});

// Bring your own CA: the site's CA signs, the program never generates one. Its key stays a secret in the state and
// goes nowhere else (no host ever gets it).
const ca = new CertificateAuthority("site-ca", {
    existing: { certPem: config.require("caCertPem"), keyPem: config.requireSecret("caKeyPem") },
});

const serverCert = new RegistryCertificate("team-registry", {
    ca,
    dnsNames: registry.names,
    ipAddresses: registry.ipAddresses ?? [],
    validityHours: config.getNumber("validityHours") ?? 2160,
    earlyRenewalHours: config.getNumber("earlyRenewalHours") ?? 240,
});

// The hand-off: the chain and the key go on stdin (never on a command line), are split into the two files the
// other team's registry reads, and its reload hook runs. Destroy removes the two files (the registry keeps serving
// what it loaded until its team restarts it).
// The components validate their own SSH args; this command is the program's, so it validates them the same way
// (at preview, naming the field) before building the connection.
const registrySsh = sshHost(registry);
const sshProblems = checkSshHost("registry", registrySsh);
if (sshProblems.length > 0) throw new Error(`invalid config:\n  - ${sshProblems.join("\n  - ")}`);
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const dir = q(registry.certDir);
const handoff = new command.remote.Command(
    "team-registry-cert-handoff",
    {
        connection: sshConnection(registrySsh),
        create: [
            "set -eu",
            "umask 077",
            `mkdir -p ${dir}`,
            `tmp=$(mktemp -d ${dir}/.handoff.XXXXXX)`,
            `awk -v k="$tmp/server.key" -v c="$tmp/chain.pem" '/-----BEGIN .*PRIVATE KEY-----/{inkey=1} inkey{print > k; if (/-----END .*PRIVATE KEY-----/) inkey=0; next} {print > c}'`,
            'test -s "$tmp/server.key" && test -s "$tmp/chain.pem"',
            'chmod 0600 "$tmp/server.key"; chmod 0644 "$tmp/chain.pem"',
            `mv -f "$tmp/chain.pem" ${dir}/chain.pem`,
            `mv -f "$tmp/server.key" ${dir}/server.key`,
            'rmdir "$tmp"',
            `echo "handed chain.pem and server.key to ${registry.certDir}"`,
            ...(registry.reloadCommand ? [registry.reloadCommand] : []),
        ].join("\n"),
        delete: `rm -f ${dir}/chain.pem ${dir}/server.key`,
        stdin: pulumi.secret(pulumi.interpolate`${serverCert.privateKeyPem}\n${serverCert.chainPem}`),
    },
    { additionalSecretOutputs: ["stdin"] },
);

const endpoint = `${registry.names[0]}:${registry.port}`;
const trust = clients.map(
    (c) =>
        new ClientTrust(c.name, {
            ssh: sshHost(c),
            clientName: c.name,
            caCertPem: ca.certPem,
            endpoints: [endpoint],
            // The check (401 over verified TLS from the client) runs once the registry serves the new certificate.
            waitFor: [handoff],
        }),
);

export const registryEndpoint = endpoint;
export const caFingerprintSha256 = ca.fingerprintSha256;
export const serverCertificatePem = serverCert.certPem;
export const serverCertificateNotAfter = serverCert.notAfter;
export const trustChecks = pulumi.all(trust.map((t) => t.checkReport));
export const certsDirs = pulumi.all(trust.map((t) => t.certsDirs));
