/** Test fixtures: PEMs, an SSH key file, a host key and known_hosts file. */

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Real PEMs made with openssl for the tests: a CA, a non-CA certificate, and an unrelated key. */
export interface PemFixtures {
    readonly caCert: string;
    readonly caKey: string;
    readonly leafCert: string;
    readonly leafKey: string;
    readonly otherKey: string;
    readonly dir: string;
}

let cached: PemFixtures | undefined;

/** Creates (once per process) the PEM fixtures in a temporary directory. */
export function pemFixtures(): PemFixtures {
    if (cached) return cached;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-registry-test-"));
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    run(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "30",
        "-subj",
        "/CN=test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    );
    run(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.crt",
        "-days",
        "30",
        "-subj",
        "/CN=leaf",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
    );
    run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other.key");
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
    cached = {
        caCert: read("ca.crt"),
        caKey: read("ca.key"),
        leafCert: read("leaf.crt"),
        leafKey: read("leaf.key"),
        otherKey: read("other.key"),
        dir,
    };
    return cached;
}

/** A file that exists, for fields that must name one (SSH keys, archives). */
export function existingFile(name = "id_test"): string {
    const p = path.join(pemFixtures().dir, name);
    if (!fs.existsSync(p))
        fs.writeFileSync(
            p,
            "-----BEGIN OPENSSH PRIVATE KEY-----\ntest-ssh-key-material\n-----END OPENSSH PRIVATE KEY-----\n",
        );
    return p;
}

/** A valid ed25519 SSH public key: the host key every mocked host is pinned to. */
export const fixtureHostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEfqcBUhPBFfRSG7PRhwRdsq9z+UP1abFDAOYzC3Hf/7";

/** A known_hosts file pinning {@link fixtureHostKey} for every host (`*`), for fields that need one. */
export function knownHostsFile(name = "known_hosts"): string {
    const p = path.join(pemFixtures().dir, name);
    if (!fs.existsSync(p)) fs.writeFileSync(p, `* ${fixtureHostKey}\n`);
    return p;
}
