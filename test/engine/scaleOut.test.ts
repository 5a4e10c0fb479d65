/**
 * A scaled-out site through the real engine on the lab (issue 16, item 3): the project's program with `replicas`,
 * `storage.s3` on the lab's Ceph RGW and a `loadBalancer` (haproxy built from Debian's binary), registry 3.1.2 on each
 * replica host, the CA on client-a and client-b.
 * - `up` with 2 replicas; a push through the load balancer; the manifest and every blob by digest from each replica
 *   directly (TLS verified under the load balancer's name), and from the bucket itself;
 * - a third replica: the preview shows its resources and the load balancer's config, nothing else; the up does
 *   exactly that and it serves the same data; removed again the same way, nothing lost;
 * - one replica's host stopped during pushes: pushes and pulls through the load balancer still succeed (the retries
 *   counted from docker's output and haproxy's log);
 * - the mismatched-secret negative: an upload begun on one replica and finished on the other succeeds (201), fails
 *   with 404 BLOB_UPLOAD_INVALID (invalid secret) once one replica's `http.secret` is changed by hand, and succeeds again after
 *   `up --refresh` restored its config;
 * - the store over TLS (RGW's https port, addressed by IP): with a CA that did not sign its certificate the up fails
 *   at the replicas' readiness quoting the storage health check's x509 error (5xx through the load balancer); with the store's CA (`caCertPath`) everything stored
 *   over http is served, a new push lands in the bucket; only the replicas' resources change either way;
 * - destroy keeps the bucket's data.
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { RegistryCredential } from "../../components";
import { projectRoot } from "../support/engine";
import { freshLabHosts, labObjectStore, mustRun, onHost, type LabObjectStore } from "../support/lab";
import { blobDataKey, s3Get } from "../support/labS3";
import { dockerPushRetries, haproxyRetried } from "../support/logCounts";
import {
    freshScaleOutHosts,
    loginThroughLoadBalancer,
    recreateScaleOutStack,
    replicasConfig,
    scaleOutEndpoint,
    storeEndpointByAddress,
} from "../support/scaleOutStack";
import { JsonRun, mustSucceed, ProjectStack, takeLabFromDevStack } from "../support/stack";

const stack = new ProjectStack("test-scale-out");
const endpoint = scaleOutEndpoint;
const repo = "scale/hello";
const image = `${endpoint}/${repo}:1`;
/** Every run writes under its own prefix of the lab's bucket. */
const rootdirectory = `/scale-out-${crypto.randomBytes(4).toString("hex")}`;
const manifestTypes = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
].join(", ");

let cfg: string;
let store: LabObjectStore;
const run = (host: string, command: string, stdin = "") => mustRun(cfg, host, command, stdin);
const onLab = (host: string, command: string, stdin: string | Buffer = "", timeoutMs?: number) =>
    onHost(cfg, host, command, stdin, timeoutMs);

function ci(): RegistryCredential {
    return stack.output<RegistryCredential[]>("credentials")[0];
}

/** A curl config on stdin-fed scripts: the credentials never on a command line. */
function curlrc(user: RegistryCredential): string {
    return `printf 'user = "%s:%s"\\n' '${user.username}' '${user.password.replace(/'/g, "'\\''")}' > "$d/curlrc"`;
}

/**
 * GET of `path` of the registry API from client-b, sent to `address` (a replica's own `host:port`, or the load
 * balancer) under the load balancer's name, TLS verified by client-b's system trust store: status, SHA-256 of the
 * body, the body (base64) and the response headers.
 */
function registryGet(
    address: string,
    apiPath: string,
    accept = "*/*",
): { status: number; sha256: string; body: Buffer; headers: string } {
    const script = [
        "set -eu",
        "d=$(mktemp -d); trap 'rm -rf \"$d\"' EXIT",
        curlrc(ci()),
        `curl -sS -K "$d/curlrc" --max-time 120 --connect-to ${endpoint}:${address} -H 'Accept: ${accept}' ` +
            `-D "$d/headers" -o "$d/body" -w '%{http_code}' 'https://${endpoint}${apiPath}' > "$d/code"`,
        'echo "status=$(cat "$d/code") sha256=$(sha256sum < "$d/body" | cut -d" " -f1)"',
        'if [ "$(wc -c < "$d/body")" -lt 65536 ]; then echo "body=$(base64 -w0 < "$d/body")"; fi',
        'echo "headers=$(base64 -w0 < "$d/headers")"',
    ].join("\n");
    const r = onLab("client-b.lab", "sh -s", script, 180_000);
    assert.equal(r.code, 0, `GET ${apiPath} via ${address} failed on client-b:\n${r.stderr}`);
    const field = (name: string) => (new RegExp(`^${name}=(.*)$`, "m").exec(r.stdout) ?? [])[1] ?? "";
    const m = /status=(\d+) sha256=([0-9a-f]{64})/.exec(r.stdout);
    assert.ok(m, r.stdout);
    return {
        status: Number(m[1]),
        sha256: m[2],
        body: Buffer.from(field("body"), "base64"),
        headers: Buffer.from(field("headers"), "base64").toString("utf8"),
    };
}

/** The digests of an image manifest's config and layers. */
function blobsOf(manifest: Buffer): string[] {
    const doc = JSON.parse(manifest.toString("utf8")) as { config: { digest: string }; layers: { digest: string }[] };
    return [doc.config.digest, ...doc.layers.map((l) => l.digest)];
}

/**
 * The manifest `digest` of `repository` and every blob it names, fetched from `address` directly: each answered 200
 * with exactly the bytes of its digest. Returns the blob digests.
 */
function assertServesByDigest(address: string, repository: string, digest: string): string[] {
    const manifest = registryGet(address, `/v2/${repository}/manifests/${digest}`, manifestTypes);
    assert.equal(manifest.status, 200, `manifest ${digest} via ${address}: ${manifest.headers}`);
    assert.equal(`sha256:${manifest.sha256}`, digest, `the manifest's bytes via ${address}`);
    const blobs = blobsOf(manifest.body);
    for (const blob of blobs) {
        const got = registryGet(address, `/v2/${repository}/blobs/${blob}`);
        assert.equal(got.status, 200, `blob ${blob} via ${address}: ${got.headers}`);
        assert.equal(`sha256:${got.sha256}`, blob, `blob ${blob} via ${address}`);
    }
    return blobs;
}

/** Each replica's own `host:port`, from the stack's outputs. */
function replicaEndpoints(): Record<string, string> {
    return stack.output<Record<string, string>>("replicaEndpoints");
}

/** Logs in on a client through the load balancer. */
const login = (host: string) => loginThroughLoadBalancer(cfg, host, ci());

/** The digest `docker push` printed. */
function pushedDigest(output: string): string {
    const digest = (/digest: (sha256:[0-9a-f]{64})/.exec(output) ?? [])[1] ?? "";
    assert.match(digest, /^sha256:[0-9a-f]{64}$/, output);
    return digest;
}

/** client-b pulls `ref` through the load balancer (removed locally first); returns the repo digest it got. */
function pullOnClientB(ref: string): string {
    run("client-b.lab", `docker image rm -f ${ref} >/dev/null 2>&1 || true`);
    run("client-b.lab", `docker pull ${ref}`);
    return run("client-b.lab", `docker image inspect --format '{{index .RepoDigests 0}}' ${ref}`).trim();
}

/** haproxy's log on the load balancer host: its requests, server state changes and warnings, in order. */
function haproxyLog(): string[] {
    return run("lb.lab", "docker logs airgap-registry-lb 2>&1").split("\n");
}

/** The httplog lines of the `registry` frontend among `lines`. */
const requestsIn = (lines: readonly string[]) => lines.filter((l) => / registry~? replicas\//.test(l));

/** haproxy's request log on the load balancer host. */
const haproxyRequests = () => requestsIn(haproxyLog());

/** haproxy's container on the load balancer host: its ID and when it started (a restart or re-creation changes it). */
const haproxyContainer = () =>
    run("lb.lab", "docker inspect --format '{{.Id}} {{.State.StartedAt}}' airgap-registry-lb").trim();

/**
 * An upload begun on replica `from` (POST) and finished on replica `to` (PUT of the whole blob to the Location
 * `from` gave, whose `_state` is signed with `from`'s `http.secret`), from client-a: the PUT's status and body.
 */
function crossReplicaUpload(from: string, to: string): { status: number; body: string } {
    const blob = crypto.randomBytes(4096);
    const digest = `sha256:${crypto.createHash("sha256").update(blob).digest("hex")}`;
    const base = `https://${endpoint}/v2/scale/secret/blobs/uploads/`;
    const script = [
        "set -eu",
        "d=$(mktemp -d); trap 'rm -rf \"$d\"' EXIT",
        curlrc(ci()),
        `echo '${blob.toString("base64")}' | base64 -d > "$d/blob"`,
        `curl -fsS -K "$d/curlrc" --max-time 30 --connect-to ${endpoint}:${from} -X POST -D "$d/h1" -o /dev/null '${base}'`,
        `loc=$(awk 'tolower($1)=="location:"{print $2}' "$d/h1" | tr -d '\\r')`,
        'case "$loc" in http*) ;; *) loc="https://' + endpoint + '$loc" ;; esac',
        `curl -sS -K "$d/curlrc" --max-time 30 --connect-to ${endpoint}:${to} -X PUT ` +
            `-H 'Content-Type: application/octet-stream' --data-binary @"$d/blob" -o "$d/out" -w '%{http_code}' ` +
            `"$loc&digest=${digest}" > "$d/code"`,
        'echo "status=$(cat "$d/code")"; cat "$d/out"',
    ].join("\n");
    const r = onLab("client-a.lab", "sh -s", script, 90_000);
    assert.equal(r.code, 0, `cross-replica upload on client-a failed:\n${r.stderr}`);
    const m = /status=(\d+)\n?([\s\S]*)$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    return { status: Number(m[1]), body: m[2] };
}

/** The resources a change touches, by op: `create`/`update`/`delete` -> resource names (the part after `::`). */
function byOp(changes: readonly string[]): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const c of changes) {
        const [op, resource] = c.split(" ");
        (out[op] ??= []).push(resource.split("::").slice(1).join("::"));
    }
    return out;
}

/** The load balancer's haproxy.cfg step, the one resource outside a replica that a replica added or removed changes. */
const lbConfig = "airgap-registry-lb-config";

/** A change adds or removes exactly replica-3's resources and updates the load balancer's config, nothing else. */
function assertOnlyReplica3AndLbConfig(changes: readonly string[], op: "create" | "delete"): void {
    const ops = byOp(changes);
    assert.deepEqual(Object.keys(ops).sort(), [op, "update"].sort(), changes.join("\n"));
    assert.deepEqual(ops.update, [lbConfig], changes.join("\n"));
    const others = ops[op].filter((n) => !n.startsWith("airgap-registry-replica-3-"));
    assert.deepEqual(others, [], `only replica-3's resources: ${changes.join("\n")}`);
    // Its host preparation and its registry (container, files), at least.
    for (const part of ["airgap-registry-replica-3-host", "airgap-registry-replica-3-registry"])
        assert.ok(ops[op].includes(part), `${op} ${part}: ${changes.join("\n")}`);
}

describe(
    "a scaled-out site (replicas on Ceph RGW behind haproxy) through the real engine on the lab",
    { concurrency: false },
    () => {
        let digest = "";
        let blobs: string[] = [];

        before(() => {
            takeLabFromDevStack();
            cfg = freshLabHosts("client-a", "client-b");
            store = labObjectStore("ceph");
            // Fresh replica and load-balancer hosts: none left from an earlier run (their nested dockerd's state too).
            freshScaleOutHosts(3);
            recreateScaleOutStack(stack, store, 2, rootdirectory);
        });
        after(() => {
            if (process.env.AIRGAP_REGISTRY_KEEP_TEST_STACK) return;
            stack.destroy();
            stack.remove();
            freshScaleOutHosts(0);
        });

        it("up with 2 replicas: a push through the load balancer is served by digest from each replica directly and is in the bucket", () => {
            const up = mustSucceed(stack.up(), "fresh up with 2 replicas");
            assert.deepEqual(up.summary, { create: stack.createdResources().length });
            assert.equal(stack.output<string>("endpoint"), endpoint);
            assert.deepEqual(replicaEndpoints(), {
                "replica-1": "replica-1.lab:5000",
                "replica-2": "replica-2.lab:5000",
            });

            // client-a: 401 through the load balancer over TLS verified by its system store; then the push.
            const v2 = onLab("client-a.lab", `curl -sS -o /dev/null -w '%{http_code}' https://${endpoint}/v2/`);
            assert.equal(v2.stdout.trim(), "401", v2.stderr);
            const sample = fs.readFileSync(path.join(projectRoot, ".lab", "images", "sample-image.tar"));
            assert.equal(onLab("client-a.lab", "docker load >/dev/null", sample).code, 0);
            run("client-a.lab", `docker tag airgap-lab/hello:1 ${image}`);
            login("client-a.lab");
            digest = pushedDigest(run("client-a.lab", `docker push ${image}`));

            // Each replica directly, under the load balancer's name: the same manifest and blobs.
            for (const [name, address] of Object.entries(replicaEndpoints())) {
                const served = assertServesByDigest(address, repo, digest);
                if (blobs.length === 0) blobs = served;
                assert.deepEqual(served, blobs, `${name} names the same blobs`);
            }
            // The blobs are the store's: each in the bucket under rootdirectory, the same bytes.
            for (const blob of [digest, ...blobs]) {
                const obj = s3Get(cfg, "client-a.lab", store, blobDataKey(rootdirectory, blob));
                assert.equal(obj.status, 200, `${blob} in the bucket`);
                assert.equal(`sha256:${obj.sha256}`, blob);
            }
            // client-b pulls through the load balancer and runs it.
            login("client-b.lab");
            assert.equal(pullOnClientB(image), `${endpoint}/${repo}@${digest}`);
            assert.equal(run("client-b.lab", `docker run --rm ${image}`).trim(), "hello from the air-gapped registry");
            mustSucceed(stack.preview("--expect-no-changes"), "no-change preview");
        });

        it("a third replica: the preview shows its resources and haproxy's config, the up does exactly that; it serves the same data", () => {
            stack.setConfig("replicas", replicasConfig(3));
            const haproxyBefore = haproxyContainer();
            const preview = mustSucceed(stack.preview(), "preview adding replica-3");
            assertOnlyReplica3AndLbConfig(preview.changes, "create");
            const up = mustSucceed(stack.up(), "up adding replica-3");
            assert.deepEqual(up.changes, preview.changes, "the up changed exactly what the preview showed");
            assert.equal(replicaEndpoints()["replica-3"], "replica-3.lab:5000");
            assertServesByDigest("replica-3.lab:5000", repo, digest);
            // haproxy reloaded in place with replica-3: requests through it reach replica-3 too.
            const before = haproxyRequests().length;
            for (let i = 0; i < 6; i++)
                assert.equal(registryGet(endpoint, `/v2/${repo}/manifests/${digest}`, manifestTypes).status, 200);
            const served = haproxyRequests().slice(before);
            assert.ok(
                served.some((l) => l.includes("replicas/replica-3 ")),
                served.join("\n"),
            );
            assert.equal(
                haproxyContainer(),
                haproxyBefore,
                "haproxy reloaded in place: the same container, not restarted",
            );
        });

        it("replica-3 removed: the preview shows its resources and haproxy's config; nothing stored is lost", () => {
            stack.setConfig("replicas", replicasConfig(2));
            const preview = mustSucceed(stack.preview(), "preview removing replica-3");
            assertOnlyReplica3AndLbConfig(preview.changes, "delete");
            const up = mustSucceed(stack.up(), "up removing replica-3");
            assert.deepEqual(up.changes, preview.changes);
            assert.deepEqual(Object.keys(replicaEndpoints()).sort(), ["replica-1", "replica-2"]);
            assert.equal(
                run("replica-3.lab", "docker ps -aq --filter name=^airgap-registry$").trim(),
                "",
                "its container is gone",
            );
            for (const address of [endpoint, ...Object.values(replicaEndpoints())])
                assertServesByDigest(address, repo, digest);
            assert.equal(pullOnClientB(image), `${endpoint}/${repo}@${digest}`);
        });

        it("replica-2's host stopped during pushes: pushes and pulls through the load balancer keep working", (t) => {
            // Three images of 40 MB of random bytes each (new blobs: nothing to skip), pushed one after the other in
            // the background on client-a; replica-2's host is stopped a second after the first push began.
            const tags = [1, 2, 3].map((i) => `${endpoint}/scale/random:${i}`);
            run(
                "client-a.lab",
                [
                    "set -eu; rm -rf /tmp/scale && mkdir -p /tmp/scale",
                    ...tags.map(
                        (tag, i) =>
                            `head -c 40000000 /dev/urandom > /tmp/scale/blob${i} && tar -C /tmp/scale -c blob${i} | docker import - ${tag} >/dev/null`,
                    ),
                    `nohup sh -c '${tags.map((tag) => `docker push ${tag}`).join(" && ")}; echo "exit=$?"' > /tmp/scale/push.log 2>&1 &`,
                ].join("\n"),
            );
            execFileSync("sleep", ["1"]);
            const logBefore = haproxyLog().length;
            execFileSync("docker", ["stop", "-t", "1", "airgap-lab-replica-2"], { stdio: "ignore" });
            try {
                // The pushes were still running when the host went down.
                assert.doesNotMatch(run("client-a.lab", "cat /tmp/scale/push.log"), /^exit=/m, "pushes in flight");
                const pushLog = run(
                    "client-a.lab",
                    "i=0; until grep -q '^exit=' /tmp/scale/push.log; do i=$((i+1)); [ $i -lt 600 ] || exit 1; sleep 1; done; cat /tmp/scale/push.log",
                );
                assert.match(pushLog, /^exit=0$/m, `every push succeeded:\n${pushLog}`);
                const digests = [...pushLog.matchAll(/digest: (sha256:[0-9a-f]{64})/g)].map((m) => m[1]);
                assert.equal(digests.length, 3, pushLog);
                // Pulls through the load balancer with replica-2 still down.
                digests.forEach((d, i) => assert.equal(pullOnClientB(tags[i]), `${endpoint}/scale/random@${d}`));
                const since = haproxyLog().slice(logBefore);
                // haproxy's health check took replica-2 out.
                assert.ok(
                    since.some((l) => /Server replicas\/replica-2 is DOWN/.test(l)),
                    `haproxy marked replica-2 DOWN:\n${since.filter((l) => !requestsIn([l]).length).join("\n")}`,
                );
                const requests = requestsIn(since);
                const retries = haproxyRetried(requests);
                const dockerRetries = dockerPushRetries(pushLog);
                const summary = `after replica-2 stopped: ${requests.length} requests through haproxy (the rest of the pushes and the pulls), ${retries.length} of them retried by haproxy, ${dockerRetries} layer retries by docker push`;
                t.diagnostic(summary);
                console.log(`# ${summary}`);
                assert.ok(
                    requests.some((l) => l.includes("replicas/replica-1 ")),
                    "replica-1 served the requests",
                );
                // haproxy's retries are invisible to the client; of docker's own, one in-flight layer retry is allowed.
                assert.ok(dockerRetries <= 1, `at most one layer retried by docker push:\n${pushLog}`);
            } finally {
                // The host back (started again like a rebooted host: its dockerd's state kept, see lab/scaleout.sh).
                execFileSync("docker", ["start", "airgap-lab-replica-2"], { stdio: "ignore" });
            }
            // Its registry restarts with its dockerd (restart always) and answers again.
            run(
                "client-a.lab",
                `i=0; until [ "$(curl -s -o /dev/null -w '%{http_code}' --connect-to ${endpoint}:replica-2.lab:5000 https://${endpoint}/v2/)" = 401 ]; do i=$((i+1)); [ $i -lt 90 ] || exit 1; sleep 1; done`,
            );
        });

        it("mismatched http.secret (negative control): an upload crossing replicas fails with BLOB_UPLOAD_INVALID; up --refresh heals it", () => {
            const [r1, r2] = [replicaEndpoints()["replica-1"], replicaEndpoints()["replica-2"]];
            const same = crossReplicaUpload(r1, r2);
            assert.equal(same.status, 201, `the same secret: replica-2 finishes replica-1's upload: ${same.body}`);

            // replica-2's config given another secret by hand, and the registry restarted on it.
            const f = "/var/lib/airgap-registry/config/config.yml";
            run(
                "replica-2.lab",
                `sed -i 's/^\\(  secret: \\).*/\\1not-the-stack-secret/' ${f} && grep -q '^  secret: not-the-stack-secret$' ${f} && docker restart airgap-registry >/dev/null`,
            );
            run(
                "client-a.lab",
                `i=0; until [ "$(curl -s -o /dev/null -w '%{http_code}' --connect-to ${endpoint}:${r2} https://${endpoint}/v2/)" = 401 ]; do i=$((i+1)); [ $i -lt 60 ] || exit 1; sleep 1; done`,
            );
            const mismatched = crossReplicaUpload(r1, r2);
            // distribution answers BLOB_UPLOAD_INVALID with 404 (its errcode table), the detail names the cause.
            assert.equal(mismatched.status, 404, mismatched.body);
            assert.match(mismatched.body, /BLOB_UPLOAD_INVALID/);
            assert.match(mismatched.body, /invalid secret/);

            const shown = mustSucceed(stack.preview("--refresh"), "preview --refresh").changes;
            assert.deepEqual(shown, [
                "update pulumi-nodejs:dynamic/airgap-registry:HostFiles::airgap-registry-replica-2-registry-config",
            ]);
            const healed: JsonRun = mustSucceed(stack.up("--refresh"), "up --refresh");
            assert.deepEqual(healed.changes, shown);
            const again = crossReplicaUpload(r1, r2);
            assert.equal(again.status, 201, `healed: ${again.body}`);
        });

        it("the store over TLS (RGW's https port): with another CA the up fails at readiness naming x509; with the store's CA every blob is served and a push lands", () => {
            const tls = store.tls;
            assert.ok(tls, "the lab's Ceph RGW serves TLS too");
            const overTls = (caCertPath: string) => ({
                s3: {
                    regionendpoint: storeEndpointByAddress(tls.endpoint),
                    bucket: store.bucket,
                    region: store.region,
                    rootdirectory,
                    caCertPath,
                },
            });
            /** Every change is a replica's: the load balancer and the clients are untouched by the store's endpoint. */
            const assertOnlyReplicas = (changes: readonly string[]) => {
                assert.ok(changes.length > 0, "something changes");
                const others = changes.filter((c) => !/::airgap-registry-replica-[12]-/.test(c));
                assert.deepEqual(others, [], changes.join("\n"));
            };

            // Negative: the site's own registry CA, which did not sign the store's certificate.
            const otherCa = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "airgap-other-ca-")), "ca.crt");
            fs.writeFileSync(otherCa, stack.output<string>("caCertificate"));
            stack.setConfig("storage", overTls(otherCa));
            // The up fails at the replicas' readiness, which quotes the storage health check's error; the load
            // balancer is not touched (it comes after the replicas' readiness).
            const wrong = stack.up();
            assert.notEqual(wrong.status, 0, "the up fails: the replicas cannot use their store");
            assert.match(
                wrong.output,
                /registry not ready: https:\/\/localhost:\d+\/v2\/ answered 503 5 s after its first 401: its storage health check fails: .*storage driver health check: .*x509: certificate signed by unknown authority/,
            );
            assertOnlyReplicas(wrong.changes);
            const refused = registryGet(endpoint, `/v2/${repo}/manifests/${digest}`, manifestTypes);
            assert.ok(refused.status >= 500, `the store's certificate is not trusted: ${refused.status}`);
            assert.match(
                run("replica-1.lab", "docker logs airgap-registry 2>&1 | tail -50"),
                /x509: certificate signed by unknown authority/,
            );

            // The store's CA: everything stored over http is served over https, and a new push lands in the bucket.
            stack.setConfig("storage", overTls(tls.caCertPath));
            const preview = mustSucceed(stack.preview(), "preview with the store's CA");
            assertOnlyReplicas(preview.changes);
            const up = mustSucceed(stack.up(), "up with the store's CA");
            assert.deepEqual(up.changes, preview.changes, "the up changed exactly what the preview showed");
            for (const address of [endpoint, ...Object.values(replicaEndpoints())])
                assertServesByDigest(address, repo, digest);
            const tag = `${endpoint}/scale/over-tls:1`;
            run(
                "client-a.lab",
                `set -eu; d=$(mktemp -d); head -c 1000000 /dev/urandom > "$d/blob"; tar -C "$d" -c blob | docker import - ${tag} >/dev/null; rm -rf "$d"`,
            );
            const pushed = pushedDigest(run("client-a.lab", `docker push ${tag}`));
            assert.equal(pullOnClientB(tag), `${endpoint}/scale/over-tls@${pushed}`);
            const manifest = s3Get(cfg, "client-a.lab", store, blobDataKey(rootdirectory, pushed));
            assert.equal(manifest.status, 200, "the manifest pushed over TLS is in the bucket");
            assert.equal(`sha256:${manifest.sha256}`, pushed);
            mustSucceed(stack.preview("--expect-no-changes"), "no-change preview");
        });

        it("destroy keeps the bucket's data", () => {
            const destroyed = stack.destroy();
            assert.equal(destroyed.status, 0, destroyed.output.slice(-4000));
            for (const host of ["replica-1.lab", "replica-2.lab", "lb.lab"])
                assert.equal(
                    run(host, "docker ps -aq --filter name=^airgap-registry").trim(),
                    "",
                    `${host} runs nothing of ours`,
                );
            for (const blob of [digest, ...blobs]) {
                const obj = s3Get(cfg, "client-a.lab", store, blobDataKey(rootdirectory, blob));
                assert.equal(obj.status, 200, `${blob} is still in the bucket`);
                assert.equal(`sha256:${obj.sha256}`, blob);
            }
        });
    },
);
