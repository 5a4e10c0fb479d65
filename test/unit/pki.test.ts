/** The CA and server certificate under mocks; SANs and endpoints; existing-CA checks. */

import { describe, it, before } from "node:test";
import * as assert from "node:assert/strict";
import { installMocks, recordingRoot, settle, resetRecorded, valueOf } from "../support/mocks";
import { pemFixtures } from "../support/fixtures";
import {
    CertificateAuthority,
    RegistryCertificate,
    registrySans,
    registryEndpoints,
    checkExistingCa,
    expiryWarnings,
    certificateFacts,
} from "../../components/internal";

installMocks();

describe("registrySans (table)", () => {
    const cases: Array<[string, string[], string[], { dnsNames: string[]; ipAddresses: string[] }]> = [
        [
            "adds localhost and 127.0.0.1",
            ["registry.lab"],
            ["10.0.0.5"],
            { dnsNames: ["registry.lab", "localhost"], ipAddresses: ["10.0.0.5", "127.0.0.1"] },
        ],
        [
            "drops duplicates, case-insensitive",
            ["Registry.LAB", "registry.lab", "localhost"],
            ["127.0.0.1"],
            { dnsNames: ["registry.lab", "localhost"], ipAddresses: ["127.0.0.1"] },
        ],
        [
            "IP-only registry",
            [],
            ["192.0.2.10", "2001:db8::1"],
            { dnsNames: ["localhost"], ipAddresses: ["192.0.2.10", "2001:db8::1", "127.0.0.1"] },
        ],
    ];
    for (const [title, names, ips, want] of cases) {
        it(title, () => assert.deepEqual(registrySans(names, ips), want));
    }
    it("endpoints: names then IPs, IPv6 bracketed, no loopback", () => {
        assert.deepEqual(registryEndpoints(["registry.lab"], ["10.0.0.5", "2001:db8::1"], 5443), [
            "registry.lab:5443",
            "10.0.0.5:5443",
            "[2001:db8::1]:5443",
        ]);
    });
});

describe("checkExistingCa", () => {
    const f = pemFixtures();
    it("accepts a CA with its key", () => assert.deepEqual(checkExistingCa("c", "k", f.caCert, f.caKey), []));
    it("refuses a certificate that is not a CA", () => {
        const problems = checkExistingCa("ca.existing.certPem", "ca.existing.keyPem", f.leafCert, f.leafKey);
        assert.equal(problems.length, 1);
        assert.match(problems[0], /^`ca\.existing\.certPem` is not a CA certificate/);
    });
    it("refuses a key that does not match", () => {
        const problems = checkExistingCa("ca.existing.certPem", "ca.existing.keyPem", f.caCert, f.otherKey);
        assert.deepEqual(problems, ["`ca.existing.keyPem` does not match the certificate in `ca.existing.certPem`"]);
    });
    it("refuses an expired CA", () => {
        const problems = checkExistingCa("c", "k", f.caCert, f.caKey, new Date("2100-01-01T00:00:00Z"));
        assert.equal(problems.length, 1);
        assert.match(problems[0], /^`c` expired on /);
    });
    it("refuses text that is not PEM", () => {
        assert.match(checkExistingCa("c", "k", "nope", f.caKey)[0], /^`c` is not a PEM certificate/);
    });
    it("reads the fingerprint as openssl prints it", () => {
        assert.match(certificateFacts(f.caCert).fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    });
});

describe("CertificateAuthority", () => {
    before(resetRecorded);
    it("generates an RSA 4096 CA by default with cert/CRL signing only", async () => {
        const root = recordingRoot("pki-default");
        const ca = new CertificateAuthority("ca1", {}, { parent: root });
        const resources = await settle();
        const mine = resources.filter((r) => r.name.startsWith("ca1"));
        assert.deepEqual(
            mine.map((r) => [r.type, r.name, r.parent]),
            [
                ["airgap-registry:pki:CertificateAuthority", "ca1", "test:index:Root::pki-default"],
                ["tls:index/privateKey:PrivateKey", "ca1-key", "airgap-registry:pki:CertificateAuthority::ca1"],
                [
                    "tls:index/selfSignedCert:SelfSignedCert",
                    "ca1-cert",
                    "airgap-registry:pki:CertificateAuthority::ca1",
                ],
            ],
        );
        assert.deepEqual(mine[1].inputs, { algorithm: "RSA", rsaBits: 4096 });
        const cert = mine[2].inputs;
        assert.equal(cert.isCaCertificate, true);
        assert.deepEqual(cert.allowedUses, ["cert_signing", "crl_signing"]);
        assert.equal(cert.validityPeriodHours, 87600);
        assert.deepEqual(cert.subject, { commonName: "airgap-registry CA" });
        assert.equal(await valueOf(ca.fingerprintSha256), certificateFacts(pemFixtures().caCert).fingerprintSha256);
    });
    it("ECDSA with a full subject", async () => {
        resetRecorded();
        const root = recordingRoot("pki-ecdsa");
        new CertificateAuthority(
            "ca2",
            {
                keyAlgorithm: "ECDSA",
                ecdsaCurve: "P256",
                validityHours: 1000,
                subject: {
                    commonName: "Lab CA",
                    organization: "Lab",
                    organizationalUnit: "Ops",
                    country: "DE",
                    province: "BY",
                    locality: "Munich",
                },
            },
            { parent: root },
        );
        const resources = await settle();
        assert.deepEqual(resources.find((r) => r.name === "ca2-key")?.inputs, {
            algorithm: "ECDSA",
            ecdsaCurve: "P256",
        });
        assert.deepEqual(resources.find((r) => r.name === "ca2-cert")?.inputs.subject, {
            commonName: "Lab CA",
            organization: "Lab",
            organizationalUnit: "Ops",
            country: "DE",
            province: "BY",
            locality: "Munich",
        });
    });
    it("an existing CA creates no key or certificate", async () => {
        resetRecorded();
        const root = recordingRoot("pki-existing");
        const f = pemFixtures();
        const ca = new CertificateAuthority(
            "ca3",
            { existing: { certPem: f.caCert, keyPem: f.caKey } },
            { parent: root },
        );
        const resources = await settle();
        assert.deepEqual(
            resources.filter((r) => r.name.startsWith("ca3")).map((r) => r.type),
            ["airgap-registry:pki:CertificateAuthority"],
        );
        assert.equal(await valueOf(ca.certPem), f.caCert);
    });
    it("refuses RSA bits below 2048 and mixed settings, naming the field", () => {
        assert.throws(
            () => new CertificateAuthority("bad", { rsaBits: 1024 as 2048 }),
            /`rsaBits` must be 2048, 3072 or 4096/,
        );
        assert.throws(
            () => new CertificateAuthority("bad2", { keyAlgorithm: "ECDSA", rsaBits: 2048 }),
            /`rsaBits` applies to RSA keys only/,
        );
    });
});

describe("RegistryCertificate", () => {
    it("key + CSR with every SAN + CA-signed server cert, not a CA", async () => {
        resetRecorded();
        const root = recordingRoot("pki-cert");
        const ca = new CertificateAuthority("ca4", {}, { parent: root });
        const cert = new RegistryCertificate(
            "srv",
            { ca, dnsNames: ["registry.lab", "reg"], ipAddresses: ["10.1.2.3"] },
            { parent: root },
        );
        const resources = await settle();
        const mine = resources.filter((r) => r.name.startsWith("srv"));
        assert.deepEqual(
            mine.map((r) => [r.type, r.name, r.parent]),
            [
                ["airgap-registry:pki:RegistryCertificate", "srv", "test:index:Root::pki-cert"],
                ["tls:index/privateKey:PrivateKey", "srv-key", "airgap-registry:pki:RegistryCertificate::srv"],
                ["tls:index/certRequest:CertRequest", "srv-csr", "airgap-registry:pki:RegistryCertificate::srv"],
                [
                    "tls:index/locallySignedCert:LocallySignedCert",
                    "srv-cert",
                    "airgap-registry:pki:RegistryCertificate::srv",
                ],
            ],
        );
        assert.deepEqual(mine[1].inputs, { algorithm: "RSA", rsaBits: 2048 });
        assert.deepEqual(mine[2].inputs.dnsNames, ["registry.lab", "reg", "localhost"]);
        assert.deepEqual(mine[2].inputs.ipAddresses, ["10.1.2.3", "127.0.0.1"]);
        assert.deepEqual(mine[2].inputs.subject, { commonName: "registry.lab" });
        const signed = mine[3].inputs;
        assert.deepEqual(signed.allowedUses, ["digital_signature", "key_encipherment", "server_auth"]);
        assert.equal(signed.isCaCertificate, false);
        assert.equal(signed.validityPeriodHours, 8760);
        assert.equal(signed.earlyRenewalHours, 720);
        assert.equal(signed.caCertPem, pemFixtures().caCert);
        const chain = await valueOf(cert.chainPem);
        assert.equal((chain.match(/BEGIN CERTIFICATE/g) ?? []).length, 2, "chain = server cert + CA cert");
    });
    it("refuses a validity shorter than the renewal window, naming both fields", () => {
        assert.throws(
            () =>
                new RegistryCertificate("bad", {
                    ca: { certPem: "x", privateKeyPem: "y" },
                    dnsNames: ["r.lab"],
                    validityHours: 100,
                    earlyRenewalHours: 200,
                }),
            /`earlyRenewalHours` \(200\) is larger than `validityHours` \(100\)/,
        );
    });
    it("refuses an invalid IP SAN", () => {
        assert.throws(
            () =>
                new RegistryCertificate("bad2", {
                    ca: { certPem: "x", privateKeyPem: "y" },
                    dnsNames: ["r.lab"],
                    ipAddresses: ["10.0.0.300"],
                }),
            /`ipAddresses\[0\]` is not a valid IP address: "10\.0\.0\.300"/,
        );
    });
});

describe("certificate expiry warnings (table)", () => {
    const now = new Date("2026-11-25T00:00:00Z");
    const cert = (notAfter: string) => [{ what: "registry's server certificate", notAfter, remedy: "run `pulumi up`" }];
    const cases: Array<[string, string, number, string[]]> = [
        ["far from expiry", "2027-11-25T00:00:00Z", 30, []],
        [
            "inside the window",
            "2026-12-05T00:00:00Z",
            30,
            ["the registry's server certificate expires on 2026-12-05T00:00:00Z (in 10 days): run `pulumi up`"],
        ],
        [
            "one day left",
            "2026-11-26T12:00:00Z",
            30,
            ["the registry's server certificate expires on 2026-11-26T12:00:00Z (in 1 day): run `pulumi up`"],
        ],
        [
            "expired",
            "2026-11-20T00:00:00Z",
            0,
            ["the registry's server certificate expired on 2026-11-20T00:00:00Z: run `pulumi up`"],
        ],
        ["a window of 0 days warns only once expired", "2026-11-26T00:00:00Z", 0, []],
    ];
    for (const [title, notAfter, days, expected] of cases) {
        it(title, () => assert.deepEqual(expiryWarnings(cert(notAfter), now, days), expected));
    }
});
