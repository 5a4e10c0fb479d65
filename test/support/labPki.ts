/** A CA and server certificate made with openssl, for tests that need files on disk. */

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A CA and a server certificate for one registry name, made with openssl (the tls provider's job in a stack). */
export interface LabPki {
    readonly ca: string;
    /** The CA's private key, PEM. */
    readonly caKey: string;
    /** Server certificate followed by the CA. */
    readonly chain: string;
    readonly serverKey: string;
}

/** CA (ECDSA P-384) + server cert (RSA 2048) with SANs `name`, localhost, 127.0.0.1. */
export function makeLabPki(name: string): LabPki {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-lab-pki-"));
    const ossl = (...args: string[]) =>
        execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    ossl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-384",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=airgap-registry lab CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    );
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${name}`);
    fs.writeFileSync(
        path.join(dir, "ext"),
        `subjectAltName=DNS:${name},DNS:localhost,IP:127.0.0.1\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n`,
    );
    ossl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "ext",
    );
    const ca = fs.readFileSync(path.join(dir, "ca.crt"), "utf8");
    const pki = {
        ca,
        caKey: fs.readFileSync(path.join(dir, "ca.key"), "utf8"),
        chain: fs.readFileSync(path.join(dir, "server.crt"), "utf8") + ca,
        serverKey: fs.readFileSync(path.join(dir, "server.key"), "utf8"),
    };
    fs.rmSync(dir, { recursive: true, force: true });
    return pki;
}
