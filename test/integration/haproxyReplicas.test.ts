/**
 * The rendered haproxy config run by the real haproxy 2.6 on 127.0.0.1 in front of stand-in replicas (HTTPS servers
 * in this process that answer `/v2/` as a registry does, 401): TLS termination with the registry's certificate, the
 * health check counting 401 as up, TLS to each replica verified, retries with redispatch. Negatives beside positives.
 * Stand-ins, not registries: the registry behind haproxy is the engine suite's job (issue 16, item 3).
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { haproxyCertificatePem, haproxyCommand, renderHaproxyConfig } from "../../components/internal";
import type { HaproxyConfigInput } from "../../components/internal";
import { LabPki, makeLabPki } from "../support/labPki";
import { freePort, sleep } from "../support/localServers";

const haproxyBinary = "/usr/sbin/haproxy";
const serverName = "registry.site";

/** A stand-in replica: HTTPS with `pki`'s server certificate, `/v2/` answered with `status`; it counts what it got. */
interface Replica {
    readonly name: string;
    readonly port: number;
    /** Requests other than haproxy's health checks (those carry no X-Forwarded-Proto). */
    readonly served: Array<{ path: string; forwardedProto: string | undefined }>;
    close(): Promise<void>;
}

async function startReplica(name: string, pki: LabPki, status: number): Promise<Replica> {
    const served: Replica["served"] = [];
    const server = https.createServer({ cert: pki.chain, key: pki.serverKey }, (req, res) => {
        const forwardedProto = req.headers["x-forwarded-proto"] as string | undefined;
        if (forwardedProto !== undefined) served.push({ path: req.url ?? "", forwardedProto });
        res.writeHead(status, {
            "Content-Type": "application/json",
            "Docker-Distribution-Api-Version": "registry/2.0",
            "X-Replica": name,
            ...(status === 401 ? { "WWW-Authenticate": 'Basic realm="airgap-registry"' } : {}),
        });
        res.end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    return {
        name,
        port,
        served,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** GET over TLS verified against `ca` for {@link serverName}, to 127.0.0.1:port: the status and the replica that answered. */
function get(port: number, ca: string, urlPath = "/v2/"): Promise<{ status: number; replica: string }> {
    return new Promise((resolve, reject) => {
        const req = https.get(
            {
                host: "127.0.0.1",
                port,
                path: urlPath,
                ca,
                servername: serverName,
                headers: { Host: `${serverName}:${port}` },
                agent: false,
                timeout: 10_000,
            },
            (res) => {
                res.resume();
                res.on("end", () =>
                    resolve({ status: res.statusCode ?? 0, replica: String(res.headers["x-replica"] ?? "") }),
                );
            },
        );
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
    });
}

/** haproxy run in the foreground with a rendered config; its stdout/stderr (the request log) collected. */
interface RunningHaproxy {
    readonly port: number;
    /** The config file it runs. */
    readonly file: string;
    /** Sends a signal to haproxy (its master in master-worker mode). */
    signal(sig: NodeJS.Signals): void;
    log(): string;
    stop(): Promise<void>;
}

async function startHaproxy(dir: string, config: string, port: number, masterWorker = false): Promise<RunningHaproxy> {
    const file = path.join(dir, `haproxy-${port}.cfg`);
    fs.writeFileSync(file, config);
    let log = "";
    let exited = false;
    // Master-worker as the LoadBalancer component runs it (haproxyCommand), else one process.
    const args = masterWorker ? haproxyCommand(file).args : ["-f", file, "-db"];
    const proc: ChildProcess = spawn(haproxyBinary, args, { stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout?.on("data", (d) => (log += d));
    proc.stderr?.on("data", (d) => (log += d));
    proc.on("exit", () => (exited = true));
    for (let i = 0; i < 100 && !exited; i++) {
        const up = await new Promise<boolean>((resolve) => {
            const s = net.connect(port, "127.0.0.1", () => {
                s.destroy();
                resolve(true);
            });
            s.on("error", () => resolve(false));
        });
        if (up) break;
        await sleep(100);
    }
    if (exited) throw new Error(`haproxy exited:\n${log}`);
    return {
        port,
        file,
        signal: (sig) => void proc.kill(sig),
        log: () => log,
        stop: () =>
            new Promise<void>((resolve) => {
                if (exited) return resolve();
                proc.on("exit", () => resolve());
                proc.kill("SIGTERM");
            }),
    };
}

describe("the rendered haproxy config, run by the real haproxy in front of stand-in replicas", () => {
    let dir: string;
    let pki: LabPki;
    let otherPki: LabPki;
    const cleanups: Array<() => Promise<void>> = [];

    /** Renders the config for `replicas` (bound to 127.0.0.1) and runs it. */
    /** The config input for `replicas` (bound to 127.0.0.1) on `port`. */
    function configFor(
        port: number,
        replicas: readonly Replica[],
        extra: Partial<HaproxyConfigInput> = {},
    ): HaproxyConfigInput {
        return {
            port,
            bindAddress: "127.0.0.1",
            serverName,
            replicas: replicas.map((r) => ({ name: r.name, address: "127.0.0.1", port: r.port })),
            healthCheck: { intervalSeconds: 1, fall: 2, rise: 1 },
            paths: { certificate: path.join(dir, "server.pem"), caFile: path.join(dir, "ca.pem") },
            ...extra,
        };
    }
    async function balance(
        replicas: readonly Replica[],
        extra: Partial<HaproxyConfigInput> = {},
        edit: (text: string) => string = (t) => t,
        masterWorker = false,
    ): Promise<RunningHaproxy> {
        const port = await freePort();
        const lb = await startHaproxy(
            dir,
            edit(renderHaproxyConfig(configFor(port, replicas, extra))),
            port,
            masterWorker,
        );
        cleanups.push(() => lb.stop());
        return lb;
    }
    async function replica(name: string, status = 401, certs: LabPki = pki): Promise<Replica> {
        const r = await startReplica(name, certs, status);
        cleanups.push(() => r.close());
        return r;
    }
    /** `n` GETs through the load balancer, one after another. */
    async function through(lb: RunningHaproxy, n: number): Promise<Array<{ status: number; replica: string }>> {
        const out = [];
        for (let i = 0; i < n; i++) out.push(await get(lb.port, pki.ca));
        return out;
    }

    before(() => {
        assert.ok(
            fs.existsSync(haproxyBinary),
            `${haproxyBinary} is missing: scripts/ensure-test-tools.sh installs Debian's haproxy (apt-get install haproxy)`,
        );
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-haproxy-run-"));
        pki = makeLabPki(serverName);
        otherPki = makeLabPki(serverName);
        fs.writeFileSync(path.join(dir, "server.pem"), haproxyCertificatePem(pki.chain, pki.serverKey), {
            mode: 0o600,
        });
        fs.writeFileSync(path.join(dir, "ca.pem"), pki.ca);
    });
    after(async () => {
        for (const c of cleanups.reverse()) await c();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("terminates TLS with the registry's certificate, round robin over both replicas, 401 passed through, X-Forwarded-Proto https", async () => {
        const a = await replica("replica-a");
        const b = await replica("replica-b");
        const lb = await balance([a, b]);
        await sleep(1500); // a health check round: both stay up (401 counts as up)
        const answers = await through(lb, 8);
        assert.deepEqual(
            answers.map((x) => x.status),
            Array(8).fill(401),
        );
        assert.deepEqual(new Set(answers.map((x) => x.replica)), new Set(["replica-a", "replica-b"]));
        assert.ok(a.served.length >= 3 && b.served.length >= 3, `a ${a.served.length}, b ${b.served.length}`);
        assert.ok([...a.served, ...b.served].every((s) => s.forwardedProto === "https"));
        // The client verified the load balancer's certificate for the registry's name; another CA is refused.
        await assert.rejects(
            get(lb.port, otherPki.ca),
            /self-signed certificate in certificate chain|unable to verify/,
        );
    });

    it("negative twin of the health check: without `http-check expect status 200,401` a replica answering 401 is down", async () => {
        const a = await replica("replica-a");
        const b = await replica("replica-b");
        const lb = await balance([a, b], {}, (t) => {
            const edited = t.replace("    http-check expect status 200,401\n", "");
            assert.notEqual(edited, t);
            return edited;
        });
        await sleep(3500); // fall 2 at 1 s intervals
        const answers = await through(lb, 4);
        assert.deepEqual(
            answers.map((x) => x.status),
            Array(4).fill(503),
            "haproxy's default expectation (2xx/3xx) takes both down",
        );
        assert.equal(a.served.length + b.served.length, 0);
        assert.match(lb.log(), /replicas\/replica-a.* is DOWN/);
    });

    it("a replica answering 500 is taken out; a replica whose certificate another CA signed is never used (it answers 401 too)", async (t) => {
        const good = await replica("replica-a");
        const failing = await replica("replica-b", 500);
        const foreign = await replica("replica-c", 401, otherPki);
        const lb = await balance([good, failing, foreign]);
        await sleep(3500);
        const answers = await through(lb, 9);
        assert.deepEqual(
            answers.map((x) => `${x.status} ${x.replica}`),
            Array(9).fill("401 replica-a"),
        );
        assert.equal(failing.served.length + foreign.served.length, 0);
        const log = lb.log();
        assert.match(log, /replicas\/replica-b is DOWN, reason: Layer7 wrong status, code: 500/);
        assert.match(
            log,
            /replicas\/replica-c is DOWN, reason: Layer6 invalid response, info: "SSL handshake failure"/,
        );
        t.diagnostic(
            log
                .split("\n")
                .filter((l) => l.includes(" is DOWN"))
                .join(" | "),
        );
    });

    it("a replica that refuses connections before any check takes it down: every request still answered (retries, redispatch)", async (t) => {
        const a = await replica("replica-a");
        const closedPort = await freePort(); // nothing listens there
        const gone: Replica = { name: "replica-b", port: closedPort, served: [], close: async () => {} };
        // Checks an hour apart with fall 2: replica-b stays "up" during the test, so only retries can save requests.
        const lb = await balance([a, gone], { healthCheck: { intervalSeconds: 3600, fall: 2, rise: 1 } });
        const answers = await through(lb, 10);
        assert.deepEqual(
            answers.map((x) => `${x.status} ${x.replica}`),
            Array(10).fill("401 replica-a"),
        );
        await sleep(200);
        // httplog's retries field: "+N" when the request was redispatched to another server after N retries.
        const requestLines = lb
            .log()
            .split("\n")
            .filter((l) => l.includes("GET /v2/"));
        const redispatched = requestLines.filter((l) => / \d+\/\d+\/\d+\/\d+\/\+\d+ /.test(l));
        assert.equal(requestLines.length, 10, lb.log());
        t.diagnostic(`redispatched after retries: ${redispatched.length} of 10; e.g. ${redispatched[0]}`);
        assert.ok(redispatched.length >= 4, `redispatched ${redispatched.length} of 10:\n${requestLines.join("\n")}`);
        assert.ok(redispatched.every((l) => l.includes("replicas/replica-a")));
    });

    it("the LoadBalancer's reload: master-worker haproxy takes a replica added on SIGUSR2; a config `haproxy -c` refuses is not loaded, the old one keeps serving", async () => {
        const a = await replica("replica-a");
        const b = await replica("replica-b");
        const lb = await balance([a], {}, (t) => t, true);
        await sleep(1500);
        assert.deepEqual(
            new Set((await through(lb, 4)).map((x) => `${x.status} ${x.replica}`)),
            new Set(["401 replica-a"]),
        );
        // What haproxyReloadScript does in the container: the new file, `haproxy -c`, SIGUSR2 to the master.
        fs.writeFileSync(lb.file, renderHaproxyConfig(configFor(lb.port, [a, b])));
        const check = spawn(haproxyBinary, ["-c", "-q", "-f", lb.file]);
        assert.equal(await new Promise((resolve) => check.on("exit", resolve)), 0);
        lb.signal("SIGUSR2");
        await sleep(2500);
        const afterAdd = await through(lb, 8);
        assert.deepEqual(new Set(afterAdd.map((x) => x.status)), new Set([401]));
        assert.deepEqual(new Set(afterAdd.map((x) => x.replica)), new Set(["replica-a", "replica-b"]));
        // A broken file: the check refuses it, and a reload anyway keeps the workers of the last good config.
        fs.writeFileSync(lb.file, `${renderHaproxyConfig(configFor(lb.port, [a]))}    no-such-keyword\n`);
        const bad = spawn(haproxyBinary, ["-c", "-q", "-f", lb.file], { stdio: "ignore" });
        assert.notEqual(await new Promise((resolve) => bad.on("exit", resolve)), 0);
        lb.signal("SIGUSR2");
        await sleep(1500);
        const afterBad = await through(lb, 6);
        assert.deepEqual(new Set(afterBad.map((x) => x.replica)), new Set(["replica-a", "replica-b"]));
        assert.match(lb.log(), /Loading failure!/);
    });
});
