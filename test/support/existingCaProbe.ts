// Run as a child process by existingCaErrors.test.ts: builds a CertificateAuthority from an
// existing CA under mocks and prints, as JSON, every error the runtime raised for it. A separate
// process, because those errors surface as rejections the test runner would claim as its own.
import { installMocks } from "./mocks";
import { pemFixtures } from "./fixtures";
import { CertificateAuthority } from "../../components";

const errors: string[] = [];
process.on("unhandledRejection", (err) => errors.push(String((err as Error)?.message ?? err)));
installMocks();
const f = pemFixtures();
const pems: Record<string, [string, string]> = {
    mismatch: [f.caCert, f.otherKey],
    leaf: [f.leafCert, f.leafKey],
    good: [f.caCert, f.caKey],
};
const [certPem, keyPem] = pems[process.argv[2]];
try {
    const ca = new CertificateAuthority(`byo-${process.argv[2]}`, { existing: { certPem, keyPem } });
    (ca.certPem as unknown as { promise(): Promise<string> }).promise().then(
        () => undefined,
        (err: Error) => errors.push(err.message),
    );
} catch (err) {
    // A certificate that is plainly not a CA is refused before the component registers.
    errors.push(`constructor: ${(err as Error).message}`);
}
setTimeout(() => process.stdout.write(JSON.stringify([...new Set(errors)])), 300);
