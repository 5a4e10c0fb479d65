/**
 * An SSH server for tests, on 127.0.0.1 (ssh2's server): it accepts one client key, runs each exec request under sh
 * on this machine, and forwards `direct-tcpip` channels (so it can stand in for a bastion). Run as a program
 * (`node sshServer.js <dir>`), it writes a client key into <dir>, serves until killed, prints one JSON line:
 * `{"port", "hostKey", "privateKeyPath"}`, and keeps the count of connections it accepted in <dir>/connections.log.
 */

import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { Server, utils } from "ssh2";
import { ed25519KeyPair } from "./sshKeys";

/** A test SSH server: accepts one client key, runs exec requests under sh, forwards tcpip channels (a bastion). */
export class TestSshServer {
    readonly hostKey = ed25519KeyPair();
    /** Connections accepted so far. */
    connections = 0;
    /** The commands of every exec request, in order. */
    execs: string[] = [];
    private server: Server;
    port = 0;

    constructor(clientPublicKey: string) {
        const allowed = utils.parseKey(clientPublicKey);
        if (allowed instanceof Error) throw allowed;
        this.server = new Server({ hostKeys: [this.hostKey.private] }, (client) => {
            this.connections++;
            client.on("authentication", (ctx) => {
                if (
                    ctx.method === "publickey" &&
                    ctx.key.algo === allowed.type &&
                    ctx.key.data.equals(allowed.getPublicSSH())
                ) {
                    if (ctx.signature === undefined) return ctx.accept();
                    if (allowed.verify(ctx.blob as Buffer, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
                }
                ctx.reject(["publickey"]);
            });
            client.on("ready", () => {
                client.on("session", (acceptSession) => {
                    const session = acceptSession();
                    session.on("exec", (accept, _reject, info) => {
                        this.execs.push(info.command);
                        const stream = accept();
                        const child = spawn("sh", ["-c", info.command]);
                        stream.pipe(child.stdin);
                        child.stdout.pipe(stream, { end: false });
                        child.stderr.pipe(stream.stderr, { end: false });
                        child.on("close", (code) => {
                            stream.exit(code ?? 1);
                            stream.end();
                        });
                    });
                });
                client.on("tcpip", (accept, reject, info) => {
                    const sock = net.connect(info.destPort, info.destIP, () => {
                        const channel = accept();
                        channel.pipe(sock).pipe(channel);
                    });
                    sock.on("error", () => reject());
                });
            });
            client.on("error", () => undefined);
        });
    }

    listen(): Promise<void> {
        return new Promise((resolve) =>
            this.server.listen(0, "127.0.0.1", () => {
                this.port = (this.server.address() as net.AddressInfo).port;
                resolve();
            }),
        );
    }

    close(): void {
        this.server.close();
    }
}

if (require.main === module) {
    const dir = process.argv[2];
    const clientKey = ed25519KeyPair();
    const privateKeyPath = path.join(dir, "id_ed25519");
    fs.writeFileSync(privateKeyPath, clientKey.private, { mode: 0o600 });
    const server = new TestSshServer(clientKey.public);
    // Each accepted connection, one line, for a test or bench to count.
    const countFile = path.join(dir, "connections.log");
    const count = setInterval(() => fs.writeFileSync(countFile, `${server.connections}\n`), 200);
    count.unref();
    void server
        .listen()
        .then(() => console.log(JSON.stringify({ port: server.port, hostKey: server.hostKey.public, privateKeyPath })));
}
