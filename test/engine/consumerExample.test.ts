/**
 * The consumer example (examples/byo-ca-external-registry) installed from the package's `npm pack` tarball, as a
 * user installs it, and run through the real engine on the lab: a bring-your-own CA, a registry the program does not
 * manage, client trust; then destroyed.
 */

import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { bcryptForUser, renderHtpasswd, renderRegistryConfig } from "../../components/internal";
import { engineScripts } from "../../components/host/hostScripts";
import { cliRunScripts, writeFileScripts } from "../../components/registry/registryScripts";
import { projectRoot, pulumi, pulumiEnv, PulumiRun, stackResources } from "../support/engine";
import { freshLabHosts, mustRun, onHost } from "../support/lab";
import { makeLabPki } from "../support/labPki";
import { servedCaFingerprint } from "../support/registryChecks";
import { diagnosticsOf, mustSucceed, takeLabFromDevStack } from "../support/stack";

// The "other team's" registry runs on registry.lab in its own container, started by this test with the
// project's rendered scripts (TLS, htpasswd) and a certificate from a CA nobody trusts. The example program only
// issues a certificate from the site's CA (brought in as config), hands it to that registry's host, runs the
// team's reload hook, and makes client-a trust the CA. What client-a sees before, during and after is the proof.

const exampleDir = path.join(projectRoot, "examples", "byo-ca-external-registry");
const stackName = "consumer-test";
const endpoint = "registry.lab:5443";
const teamDir = "/srv/team-registry";
const teamContainer = "team-registry";
const image = "airgap-registry/registry:2.8";
const user = "team";
const password = crypto.randomBytes(18).toString("base64url");
const anchor = "/usr/local/share/ca-certificates/airgap-registry-ca.crt";
const pushed = `${endpoint}/consumer/hello:1`;

/** What the root export of the package is: the components, their defaults and errors; no renderer or validator. */
const rootExports = [
    "CertificateAuthority",
    "ClientTrust",
    "HostPreparation",
    "InvalidArgumentsError",
    "LoadBalancer",
    "PrivateRegistry",
    "RegistryCertificate",
    "RegistryContainer",
    "RegistryPopulation",
    "ReplicatedRegistry",
    "caRotationSteps",
    "certificateAuthorityDefaults",
    "clientTrustDefaults",
    "daemonSettingsDefaults",
    "defaultCaId",
    "hostPreparationDefaults",
    "loadBalancerComponentDefaults",
    "loadBalancerDefaults",
    "privateRegistryDefaults",
    "registryCertificateDefaults",
    "registryContainerDefaults",
    "registryReplicaDefaults",
    "registryVersionFromImage",
    "registryVersions",
    "replicatedRegistryDefaults",
];

let cfg: string;
let work: string;
let programDir: string;
let tarball: string;
let packedFiles: string[] = [];
let env: NodeJS.ProcessEnv;
const byoCa = makeLabPki("registry.lab"); // the site's CA (its server cert unused)
const oldPki = makeLabPki("registry.lab"); // what the team's registry served before: another CA

const run = (host: string, command: string, stdin = "") => mustRun(cfg, host, command, stdin);
const inProgram = (...args: string[]): PulumiRun => pulumi(programDir, env, ...args, "--stack", stackName);

function sh(cmd: string, args: string[], cwd: string, timeout = 300_000): string {
    const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout, maxBuffer: 64 << 20 });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
    return r.stdout;
}

/** `curl https://registry.lab:5443<urlPath>` from client-a through its system trust store, no insecure flag. */
function curlFromClient(urlPath: string, withAuth: boolean): { code: number; status: string; stderr: string } {
    const auth = withAuth ? `user = "${user}:${password}"\n` : "";
    const r = onHost(
        cfg,
        "client-a.lab",
        `curl -sS -K - -o /dev/null -w '%{http_code}' https://${endpoint}${urlPath}`,
        auth,
    );
    return { code: r.code, status: r.stdout.trim(), stderr: r.stderr };
}

/**
 * The certificate check fails on the CA (curl 60: the registry serves its chain with a CA the client does not trust),
 * not on DNS or routing: the port answered TLS.
 */
function assertUntrusted(what: string): void {
    const r = curlFromClient("/v2/", false);
    assert.equal(r.code, 60, `${what}: ${r.stderr}`);
    assert.match(r.stderr, /SSL certificate problem: self-signed certificate in certificate chain/, what);
}

function fingerprintOf(pem: string): string {
    return new crypto.X509Certificate(pem).fingerprint256;
}

function pemBody(pem: string): string {
    return pem
        .split("\n")
        .filter((l) => l && !l.startsWith("-----"))
        .join("");
}

/** Starts the other team's registry: TLS with `chain`/`key` from its cert dir, htpasswd auth, restart on reload. */
function startTeamRegistry(chain: string, key: string): void {
    run("registry.lab", engineScripts().create);
    run(
        "registry.lab",
        `docker rm -f ${teamContainer} >/dev/null 2>&1 || true; rm -rf ${teamDir}; mkdir -p ${teamDir}/certs ${teamDir}/config ${teamDir}/auth ${teamDir}/data`,
    );
    const archive = fs.readFileSync(path.join(projectRoot, ".lab", "images", "registry-image.tar"));
    const loaded = onHost(cfg, "registry.lab", "docker load >/dev/null", archive);
    assert.equal(loaded.code, 0, loaded.stderr);
    const files: Array<[string, "0600" | "0644", string]> = [
        [`${teamDir}/certs/chain.pem`, "0644", chain],
        [`${teamDir}/certs/server.key`, "0600", key],
        [
            `${teamDir}/config/config.yml`,
            "0644",
            renderRegistryConfig({ httpSecret: crypto.randomBytes(24).toString("hex"), registryVersion: "2" }),
        ],
        [
            `${teamDir}/auth/htpasswd`,
            "0644",
            renderHtpasswd([{ username: user, bcryptHash: bcryptForUser(user, password) }]),
        ],
    ];
    for (const [file, mode, content] of files) run("registry.lab", writeFileScripts(file, mode).create, content);
    run(
        "registry.lab",
        cliRunScripts({
            engine: "docker",
            containerName: teamContainer,
            image,
            port: 5443,
            dataDir: teamDir,
            registryVersion: "2",
            contentHash: "0".repeat(64),
            filesHash: "1".repeat(64),
            healthcheck: false,
        }).create,
    );
}

describe(
    "consumer example: installed from the npm tarball, through the real engine on the lab",
    { concurrency: false },
    () => {
        before(() => {
            takeLabFromDevStack();
            cfg = freshLabHosts("registry", "client-a");
            env = pulumiEnv();
            work = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-consumer-"));
            // Packed from the built package, as `npm publish` would: the `files` of package.json decide what goes in.
            const packed = JSON.parse(sh("npm", ["pack", "--json", "--pack-destination", work], projectRoot)) as Array<{
                filename: string;
                files: Array<{ path: string }>;
            }>;
            tarball = path.join(work, packed[0].filename);
            packedFiles = packed[0].files.map((f) => f.path).sort();
            programDir = path.join(work, "program");
            fs.mkdirSync(programDir);
            for (const f of ["index.ts", "Pulumi.yaml", "package.json", "tsconfig.json"]) {
                fs.copyFileSync(path.join(exampleDir, f), path.join(programDir, f));
            }
            // What a user does: npm install of the tarball (the @pulumi/* SDKs and the rest from the npm registry or its cache).
            sh("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", tarball], programDir, 600_000);
        });
        after(() => {
            if (process.env.AIRGAP_REGISTRY_KEEP_TEST_STACK) return;
            if (programDir && fs.existsSync(path.join(programDir, "node_modules"))) {
                inProgram("destroy", "--yes", "--skip-preview");
                inProgram("stack", "rm", "--yes", "--force");
            }
            if (cfg) onHost(cfg, "registry.lab", `docker rm -f ${teamContainer} >/dev/null 2>&1; rm -rf ${teamDir}`);
            if (work) fs.rmSync(work, { recursive: true, force: true });
        });

        it("the tarball holds the compiled components and their types, nothing else", () => {
            const unexpected = packedFiles.filter(
                (f) => !/^(package\.json|README\.md|LICENSE|dist\/components\/.+\.(js|d\.ts))$/.test(f),
            );
            assert.deepEqual(unexpected, [], "no tests, program, sources, source maps or lab files");
            for (const f of [
                "LICENSE",
                "dist/components/index.js",
                "dist/components/index.d.ts",
                "dist/components/internal.js",
                "dist/components/internal.d.ts",
                "dist/components/trust/clientTrust.d.ts",
                "dist/components/pki/registryCertificate.d.ts",
            ]) {
                assert.ok(packedFiles.includes(f), `${f} is in the tarball`);
            }
            // Every .js has its .d.ts.
            for (const js of packedFiles.filter((f) => f.endsWith(".js"))) {
                assert.ok(packedFiles.includes(js.replace(/\.js$/, ".d.ts")), `${js} has types`);
            }
            const installed = JSON.parse(
                fs.readFileSync(path.join(programDir, "node_modules", "airgap-registry", "package.json"), "utf8"),
            );
            assert.deepEqual(Object.keys(installed.peerDependencies), ["@pulumi/pulumi"]);
            assert.equal(installed.dependencies["@pulumi/pulumi"], undefined, "@pulumi/pulumi only as a peer");
        });

        it("the root export is the components' API; renderers and validators only under ./internal", () => {
            const probe = [
                'const root = require("airgap-registry");',
                'const internal = require("airgap-registry/internal");',
                "console.log(JSON.stringify({ root: Object.keys(root).sort(),",
                '  internal: ["renderRegistryConfig", "checkSshHost", "trustCheckScript", "sshConnection"].filter((k) => typeof internal[k] === "function") }));',
            ].join("\n");
            const seen = JSON.parse(sh("node", ["-e", probe], programDir)) as { root: string[]; internal: string[] };
            assert.deepEqual(seen.root, rootExports);
            assert.deepEqual(seen.internal, [
                "renderRegistryConfig",
                "checkSshHost",
                "trustCheckScript",
                "sshConnection",
            ]);
        });

        it("the example type-checks against the installed package (moduleResolution node and node16); without typesVersions, node cannot see ./internal's types", () => {
            const tsc = path.join(programDir, "node_modules", "typescript", "bin", "tsc");
            sh("node", [tsc, "-p", "tsconfig.json"], programDir);
            sh("node", [tsc, "-p", "tsconfig.json", "--module", "node16", "--moduleResolution", "node16"], programDir);
            // Negative twin: the same check on a copy of the package without typesVersions fails on the subpath.
            const pkgFile = path.join(programDir, "node_modules", "airgap-registry", "package.json");
            const original = fs.readFileSync(pkgFile, "utf8");
            const pkg = JSON.parse(original);
            assert.ok(pkg.typesVersions, "the package maps ./internal's types for moduleResolution node");
            delete pkg.typesVersions;
            fs.writeFileSync(pkgFile, JSON.stringify(pkg));
            try {
                const r = spawnSync("node", [tsc, "-p", "tsconfig.json"], { cwd: programDir, encoding: "utf8" });
                assert.notEqual(r.status, 0);
                assert.match(r.stdout, /error TS2307: Cannot find module 'airgap-registry\/internal'/);
            } finally {
                fs.writeFileSync(pkgFile, original);
            }
        });

        it("before: the team's registry serves a certificate from another CA, and client-a fails on it", () => {
            startTeamRegistry(oldPki.chain, oldPki.serverKey);
            // Positive twin, on the registry host with the old CA: the registry answers 401 (polled: it just started).
            assert.match(
                run(
                    "registry.lab",
                    [
                        'ca=$(mktemp); cat > "$ca"',
                        "for i in $(seq 30); do",
                        `  code=$(curl -sS --cacert "$ca" -o /dev/null -w '%{http_code}' --resolve registry.lab:5443:127.0.0.1 https://${endpoint}/v2/ 2>/dev/null) && [ "$code" = 401 ] && break`,
                        "  sleep 1",
                        "done",
                        'rm -f "$ca"; echo "$code"',
                    ].join("\n"),
                    oldPki.ca,
                ).trim(),
                /^401$/,
            );
            assertUntrusted("before the program");
        });

        it("pulumi up: the BYO CA signs, the certificate is handed off and reloaded, client-a trusts it and checks it", () => {
            fs.rmSync(
                path.join(
                    (env.PULUMI_BACKEND_URL as string).replace(/^file:\/\//, ""),
                    ".pulumi",
                    "locks",
                    "organization",
                    "byo-ca-external-registry",
                    stackName,
                ),
                { recursive: true, force: true },
            );
            inProgram("stack", "rm", "--yes", "--force");
            const init = pulumi(programDir, env, "stack", "init", stackName);
            assert.equal(init.status, 0, init.output);
            const configFile = path.join(programDir, `Pulumi.${stackName}.yaml`);
            const doc = (fs.existsSync(configFile) ? YAML.parse(fs.readFileSync(configFile, "utf8")) : {}) as Record<
                string,
                unknown
            >;
            const key = path.join(projectRoot, ".lab", "ssh", "id_ed25519");
            const k = (name: string) => `byo-ca-external-registry:${name}`;
            doc.config = {
                [k("caCertPem")]: byoCa.ca,
                [k("knownHostsPath")]: path.join(projectRoot, ".lab", "ssh", "known_hosts"),
                [k("bastion")]: { address: "127.0.0.1", sshPort: 2222, user: "root", privateKeyPath: key },
                [k("registry")]: {
                    address: "registry.lab",
                    privateKeyPath: key,
                    names: ["registry.lab"],
                    port: 5443,
                    certDir: `${teamDir}/certs`,
                    reloadCommand: `docker restart ${teamContainer}`,
                },
                [k("clients")]: [{ name: "client-a", address: "client-a.lab", privateKeyPath: key }],
                // The brought-in lab CA is valid for 2 days: the server certificate stays inside it.
                [k("validityHours")]: 24,
                [k("earlyRenewalHours")]: 2,
            };
            fs.writeFileSync(configFile, YAML.stringify(doc));
            const secret = spawnSync(
                "pulumi",
                [
                    "config",
                    "set",
                    "--secret",
                    "--stack",
                    stackName,
                    "--non-interactive",
                    k("caKeyPem"),
                    "--",
                    byoCa.caKey,
                ],
                { cwd: programDir, env, encoding: "utf8" },
            );
            assert.equal(secret.status, 0, `${secret.stdout}${secret.stderr}`);
            assert.ok(
                !fs.readFileSync(configFile, "utf8").includes(pemBody(byoCa.caKey).slice(0, 40)),
                "the CA key is encrypted in the config",
            );

            const started = Date.now();
            const up = mustSucceed(inProgram("up", "--yes", "--skip-preview"), "up of the consumer example");
            console.log(`# consumer example: up took ${((Date.now() - started) / 1000).toFixed(1)} s`);
            const outputs = JSON.parse(inProgram("stack", "output", "--json").output) as Record<string, unknown>;
            assert.equal(outputs.registryEndpoint, endpoint);
            assert.equal(outputs.caFingerprintSha256, fingerprintOf(byoCa.ca), "the brought-in CA, not a new one");
            assert.deepEqual(outputs.certsDirs, [["/etc/docker/certs.d/registry.lab:5443"]]);
            assert.match(
                (outputs.trustChecks as string[])[0],
                /client client-a: https:\/\/registry\.lab:5443\/v2\/ answers 401 over TLS verified by the system trust store/,
            );
            assert.doesNotMatch(
                up.output,
                new RegExp(pemBody(byoCa.caKey).slice(0, 40).replace(/[+/]/g, "\\$&")),
                "no CA key in the output",
            );

            // The registry now serves the chain the program issued, from the brought-in CA.
            assert.equal(servedCaFingerprint(cfg, "client-a.lab", endpoint, "registry.lab"), fingerprintOf(byoCa.ca));
            const served = run(
                "client-a.lab",
                `openssl s_client -connect ${endpoint} -servername registry.lab </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`,
            );
            assert.equal(served.trim().split("=")[1], fingerprintOf(outputs.serverCertificatePem as string));
            assert.equal(run("registry.lab", `stat -c %a ${teamDir}/certs/server.key`).trim(), "600");
            assert.ok(
                !run("registry.lab", `cat ${teamDir}/certs/chain.pem ${teamDir}/certs/server.key`)
                    .replace(/\n/g, "")
                    .includes(pemBody(byoCa.caKey)),
                "the CA's key is on no host",
            );
        });

        it("client-a reaches the registry over verified TLS: curl and docker without any insecure flag", () => {
            assert.deepEqual(curlFromClient("/v2/", false), { code: 0, status: "401", stderr: "" });
            assert.deepEqual(curlFromClient("/v2/_catalog", true), { code: 0, status: "200", stderr: "" });
            const sample = fs.readFileSync(path.join(projectRoot, ".lab", "images", "sample-image.tar"));
            assert.equal(onHost(cfg, "client-a.lab", "docker load >/dev/null", sample).code, 0);
            run("client-a.lab", `docker tag airgap-lab/hello:1 ${pushed}`);
            run("client-a.lab", `docker login ${endpoint} --username ${user} --password-stdin`, password);
            const push = run("client-a.lab", `docker push ${pushed}`);
            assert.match(push, /digest: sha256:[0-9a-f]{64}/);
            run("client-a.lab", `docker logout ${endpoint}`);
            const catalog = run(
                "client-a.lab",
                `curl -sS -K - https://${endpoint}/v2/_catalog`,
                `user = "${user}:${password}"\n`,
            );
            assert.deepEqual(JSON.parse(catalog), { repositories: ["consumer/hello"] });
        });

        it("a preview right after up expects no changes", () => {
            const r = inProgram("preview", "--expect-no-changes");
            assert.equal(r.status, 0, diagnosticsOf(r.output).join("\n") || r.output.slice(-4000));
        });

        it("destroy: trust and the handed-off files are gone; the team's registry (not the program's) still runs, and client-a fails on the certificate again", () => {
            const started = Date.now();
            const r = inProgram("destroy", "--yes", "--skip-preview");
            assert.equal(r.status, 0, r.output.slice(-4000));
            console.log(`# consumer example: destroy took ${((Date.now() - started) / 1000).toFixed(1)} s`);
            assert.deepEqual(
                stackResources(programDir, env, stackName).filter((x) => !/::default(_[^:]*)?$/.test(x.urn)),
                [],
            );
            assert.equal(
                onHost(cfg, "client-a.lab", `test -e ${anchor} || test -e /etc/docker/certs.d/${endpoint}`).code,
                1,
            );
            assert.equal(
                onHost(cfg, "registry.lab", `test -e ${teamDir}/certs/chain.pem || test -e ${teamDir}/certs/server.key`)
                    .code,
                1,
            );
            assert.equal(
                run("registry.lab", `docker inspect --format '{{.State.Status}}' ${teamContainer}`).trim(),
                "running",
            );
            assertUntrusted("after destroy");
        });
    },
);
