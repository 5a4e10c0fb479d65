/** The component graph under mocks: types, names, parents, inputs that matter, no secret in any command. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import {
    installMocks,
    recordingRoot,
    settle,
    resetRecorded,
    valueOf,
    mockSecrets,
    RecordedResource,
    mockCertificateNotAfter,
    warningsDuring,
} from "../support/mocks";
import { existingFile, fixtureHostKey, pemFixtures, knownHostsFile } from "../support/fixtures";
import {
    CertificateAuthority,
    ClientTrust,
    PrivateRegistry,
    PrivateRegistryArgs,
    HostPreparation,
    RegistryCertificate,
    RegistryContainer,
} from "../../components";
import type { RegistryVersion } from "../../components";
import { sha256Of } from "../../components/ssh/fileHash";
import { contentSha256 } from "../../components/ssh/hostFiles";
import { filesLabelValue } from "../../components/registry/registryScripts";

installMocks();

const key = existingFile();
const knownHosts = knownHostsFile();
const children = (all: RecordedResource[], parentName: string) =>
    all.filter((r) => r.parent.endsWith(`::${parentName}`));
const hostFilesType = "pulumi-nodejs:dynamic/airgap-registry:HostFiles";
/** The content a HostFiles writes at `path` (the only file when no path is given). */
const contentOf = (r: RecordedResource, path?: string): string => {
    const contents = r.inputs.contents as Record<string, string>;
    return path === undefined ? Object.values(contents)[0] : contents[path];
};
const byName = (all: RecordedResource[], name: string) => {
    const r = all.find((x) => x.name === name);
    assert.ok(r, `resource ${name} was not registered`);
    return r;
};

function registryArgs(overrides: Partial<PrivateRegistryArgs> = {}): PrivateRegistryArgs {
    return {
        host: {
            address: "registry.lab",
            privateKeyPath: key,
            knownHostsPath: knownHosts,
            names: ["registry.lab"],
            ips: ["10.10.0.2"],
            port: 5443,
        },
        clients: [
            { name: "client-a", address: "client-a.lab", privateKeyPath: key, knownHostsPath: knownHosts },
            {
                name: "client-b",
                address: "client-b.lab",
                privateKeyPath: key,
                knownHostsPath: knownHosts,
                osFamily: "rhel",
                hostsEntry: true,
                engines: ["docker", "containerd"],
            },
        ],
        users: [{ name: "ci" }, { name: "ops", password: "given-SECRET-pw" }],
        bastion: { address: "127.0.0.1", sshPort: 2222, privateKeyPath: key, knownHostsPath: knownHosts },
        ...overrides,
    };
}

describe("HostPreparation", () => {
    it("one SSH step per concern, in order, parented to the component", async () => {
        resetRecorded();
        const root = recordingRoot("host-default");
        new HostPreparation(
            "hp",
            { ssh: { address: "10.0.0.9", privateKeyPath: key, knownHostsPath: knownHosts } },
            { parent: root },
        );
        const all = await settle();
        const mine = children(all, "hp");
        assert.deepEqual(
            mine.map((r) => [r.type, r.name]),
            [
                ["command:remote:Command", "hp-facts"],
                ["command:remote:Command", "hp-data-dir"],
                ["command:remote:Command", "hp-engine"],
                ["command:remote:Command", "hp-daemon-json"],
                ["command:remote:Command", "hp-image"],
            ],
        );
        for (const r of mine) {
            assert.equal(r.inputs.connection.host, "10.0.0.9");
            assert.equal(r.inputs.connection.port, 22);
            assert.equal(r.inputs.connection.user, "root");
        }
        // daemon.json: the host's keys kept, ours merged in, written from stdin.
        const daemon = JSON.parse(byName(all, "hp-daemon-json").inputs.stdin);
        assert.deepEqual(daemon, {
            debug: true,
            "log-opts": { labels: "team", "max-size": "10m", "max-file": "3" },
            "live-restore": true,
            "log-driver": "json-file",
        });
        assert.match(byName(all, "hp-data-dir").inputs.create, /mkdir -p '\/var\/lib\/airgap-registry'\/data/);
        assert.match(
            byName(all, "hp-data-dir").inputs.delete,
            /registry data kept in \/var\/lib\/airgap-registry\/data/,
        );
        assert.doesNotMatch(byName(all, "hp-data-dir").inputs.delete, /rm -rf '\/var\/lib\/airgap-registry'\/data/);
    });
    it("optional steps, the image archive copied by content hash, and a bastion", async () => {
        resetRecorded();
        const root = recordingRoot("host-full");
        const archive = existingFile("registry-image.tar");
        new HostPreparation(
            "hq",
            {
                ssh: {
                    address: "10.0.0.9",
                    privateKeyPath: key,
                    knownHostsPath: knownHosts,
                    bastion: { address: "127.0.0.1", sshPort: 2222, privateKeyPath: key, knownHostsPath: knownHosts },
                },
                dockerGroupUsers: ["ops"],
                selinuxPermissive: true,
                registryImageArchive: archive,
                removeDataOnDestroy: true,
            },
            { parent: root },
        );
        const all = await settle();
        assert.deepEqual(
            children(all, "hq").map((r) => r.name),
            [
                "hq-facts",
                "hq-data-dir",
                "hq-engine",
                "hq-docker-group",
                "hq-selinux",
                "hq-daemon-json",
                "hq-image-archive",
                "hq-image",
            ],
        );
        const copy = byName(all, "hq-image-archive");
        assert.equal(copy.type, "command:remote:CopyToRemote");
        assert.equal(copy.inputs.remotePath, "/var/lib/airgap-registry/images/registry-image.tar");
        assert.match(copy.inputs.triggers[0], /^[0-9a-f]{64}$/);
        assert.equal(byName(all, "hq-image").inputs.triggers[1], copy.inputs.triggers[0]);
        assert.deepEqual(byName(all, "hq-facts").inputs.connection.proxy.host, "127.0.0.1");
        assert.deepEqual(byName(all, "hq-facts").inputs.connection.proxy.port, 2222);
        assert.equal(byName(all, "hq-facts").inputs.connection.hostKey, fixtureHostKey);
        assert.equal(
            byName(all, "hq-facts").inputs.connection.proxy.hostKey,
            fixtureHostKey,
            "the bastion is verified too",
        );
        assert.match(byName(all, "hq-data-dir").inputs.delete, /rm -rf '\/var\/lib\/airgap-registry'\/data/);
    });
});

describe("RegistryContainer", () => {
    const base = () => ({
        ssh: { address: "registry.lab", privateKeyPath: key, knownHostsPath: knownHosts },
        certChainPem: pemFixtures().caCert + pemFixtures().caCert,
        privateKeyPem: mockSecrets.privateKey("server"),
        caCertPem: pemFixtures().caCert,
        users: [{ name: "ci" }, { name: "ops", password: "given-SECRET-pw" }],
        port: 5443,
    });
    it("docker-provider runtime: files from stdin, a provider over ssh://, the container", async () => {
        resetRecorded();
        const root = recordingRoot("reg-docker");
        const reg = new RegistryContainer("rc", base(), { parent: root });
        const all = await settle();
        assert.deepEqual(
            children(all, "rc").map((r) => [r.type, r.name]),
            [
                ["random:index/randomPassword:RandomPassword", "rc-password-ci"],
                ["random:index/randomPassword:RandomPassword", "rc-http-secret"],
                [hostFilesType, "rc-cert-chain"],
                [hostFilesType, "rc-server-key"],
                [hostFilesType, "rc-config"],
                [hostFilesType, "rc-htpasswd"],
                ["pulumi:providers:docker", "rc-docker"],
                ["command:remote:Command", "rc-handover"],
                ["docker:index/container:Container", "rc-container"],
                ["command:remote:Command", "rc-ready"],
            ],
        );
        const provider = byName(all, "rc-docker").inputs;
        assert.equal(provider.host, "ssh://root@registry.lab:22");
        assert.ok(provider.sshOpts.includes(key));
        // The operator's ssh verifies the host against the known_hosts file and never trusts a new key.
        assert.ok(provider.sshOpts.includes("StrictHostKeyChecking=yes"));
        assert.ok(provider.sshOpts.includes(`UserKnownHostsFile=${knownHosts}`));
        assert.doesNotMatch(String(provider.sshOpts), /StrictHostKeyChecking=no|UserKnownHostsFile=\/dev\/null/);
        for (const r of all.filter((x) => x.type === "command:remote:Command" || x.type === hostFilesType)) {
            assert.equal(r.inputs.connection.hostKey, fixtureHostKey, `${r.name} is pinned to the host's key`);
        }
        const c = byName(all, "rc-container").inputs;
        assert.equal(c.restart, "always");
        assert.equal(c.ports.length, 1);
        assert.equal(c.ports[0].internal, 5000);
        assert.equal(c.ports[0].external, 5443);
        assert.deepEqual(c.volumes, [
            { hostPath: "/var/lib/airgap-registry/data", containerPath: "/var/lib/registry", readOnly: false },
            { hostPath: "/var/lib/airgap-registry/certs", containerPath: "/certs", readOnly: true },
            { hostPath: "/var/lib/airgap-registry/auth", containerPath: "/auth", readOnly: true },
            { hostPath: "/var/lib/airgap-registry/config", containerPath: "/etc/distribution", readOnly: true },
            // Also where 2.8 reads it: a wrong version still runs this config, never the image's own.
            { hostPath: "/var/lib/airgap-registry/config", containerPath: "/etc/docker/registry", readOnly: true },
        ]);
        assert.deepEqual(c.envs, ["OTEL_TRACES_EXPORTER=none"], "3.x exports no traces (there is no collector)");
        // On the host directory the provider waits for the health check (an object store's readiness step does).
        assert.deepEqual([c.wait, c.waitTimeout], [true, 90]);
        assert.equal(await valueOf(reg.registryVersion), "3");
        assert.equal(c.labels[0].label, "airgap-registry.content-sha256");
        assert.equal(c.labels[0].value, await valueOf(reg.contentHash));
        // The files' own digest, which a file written back under the container compares to restart it.
        assert.equal(c.labels[1].label, "airgap-registry.files-sha256");
        assert.equal(
            c.labels[1].value,
            filesLabelValue(
                ["rc-cert-chain", "rc-server-key", "rc-config", "rc-htpasswd"].map((n) => contentOf(byName(all, n))),
            ),
        );
        assert.deepEqual(c.healthcheck.tests, [
            "CMD",
            "wget",
            "-q",
            "-O",
            "/dev/null",
            "http://127.0.0.1:5001/debug/health",
        ]);
        assert.equal(c.image, "registry:3", "the default image of new stacks");
        // A container the cli runtime left (its label says so) is removed before the provider's is created.
        assert.match(byName(all, "rc-handover").inputs.create, /= cli \]; then\n  docker rm -f 'airgap-registry'/);
        // Files: key 0600, config rendered with the generated http secret, htpasswd with both users.
        assert.deepEqual(
            ["rc-cert-chain", "rc-server-key", "rc-config", "rc-htpasswd"].map(
                (n) => byName(all, n).inputs.files as unknown,
            ),
            [
                ["/var/lib/airgap-registry/certs/chain.pem", "0644", pemFixtures().caCert + pemFixtures().caCert],
                ["/var/lib/airgap-registry/certs/server.key", "0600", mockSecrets.privateKey("server")],
                ["/var/lib/airgap-registry/config/config.yml", "0644", contentOf(byName(all, "rc-config"))],
                ["/var/lib/airgap-registry/auth/htpasswd", "0644", contentOf(byName(all, "rc-htpasswd"))],
            ].map(([path, mode, content]) => [{ path, mode, sha256: contentSha256(content) }]),
        );
        assert.equal(contentOf(byName(all, "rc-server-key")), mockSecrets.privateKey("server"));
        assert.equal(
            YAML.parse(contentOf(byName(all, "rc-config"))).http.secret,
            mockSecrets.password("rc-http-secret"),
        );
        assert.deepEqual(
            contentOf(byName(all, "rc-htpasswd"))
                .trimEnd()
                .split("\n")
                .map((l: string) => l.split(":")[0]),
            ["ci", "ops"],
        );
        // A file written back restarts the container when it runs exactly these files.
        assert.match(byName(all, "rc-htpasswd").inputs.onChange, /docker restart 'airgap-registry'/);
        assert.equal(byName(all, "rc-ready").inputs.stdin, pemFixtures().caCert);
        for (const file of ["rc-cert-chain", "rc-server-key", "rc-config", "rc-htpasswd"]) {
            assert.deepEqual(
                byName(all, file).secretInputs,
                ["contents"],
                `${file}'s content reaches the provider as a secret`,
            );
        }
        const creds = await valueOf(reg.credentials);
        assert.deepEqual(creds, [
            { username: "ci", password: mockSecrets.password("rc-password-ci") },
            { username: "ops", password: "given-SECRET-pw" },
        ]);
    });
    it("cli runtime: docker run over SSH with the same volumes, port and content label", async () => {
        resetRecorded();
        const root = recordingRoot("reg-cli");
        new RegistryContainer("rk", { ...base(), runtime: "cli", cliEngine: "podman" }, { parent: root });
        const all = await settle();
        assert.ok(!all.some((r) => r.type === "pulumi:providers:docker"), "no docker provider in the cli runtime");
        const run = byName(all, "rk-container");
        assert.equal(run.type, "command:remote:Command");
        assert.match(run.inputs.create, /podman run -d --name 'airgap-registry' --restart always/);
        assert.match(run.inputs.create, /-p 5443:5000/);
        assert.match(run.inputs.create, /-v '\/var\/lib\/airgap-registry\/data:\/var\/lib\/registry'/);
        assert.match(run.inputs.create, /-v '\/var\/lib\/airgap-registry\/certs:\/certs:ro'/);
        assert.match(run.inputs.create, /--label 'airgap-registry\.content-sha256=[0-9a-f]{64}'/);
        assert.match(run.inputs.create, /--label airgap-registry\.runtime=cli/);
        // Delete removes only a container the cli runtime started (not the docker provider's after a switch).
        assert.match(
            run.inputs.delete,
            /podman inspect --format '\{\{index \.Config\.Labels "airgap-registry\.runtime"\}\}' 'airgap-registry'.*= cli \]; then podman rm -f 'airgap-registry'/,
        );
    });
});

describe("RegistryContainer: the config mounted where each registry version reads it", () => {
    const base = () => ({
        ssh: { address: "registry.lab", privateKeyPath: key, knownHostsPath: knownHosts },
        certChainPem: pemFixtures().caCert + pemFixtures().caCert,
        privateKeyPem: mockSecrets.privateKey("server"),
        caCertPem: pemFixtures().caCert,
        users: [{ name: "ci" }],
    });
    const configMount = (volumes: Array<{ hostPath: string; containerPath: string }>) =>
        volumes.find((v) => v.hostPath === "/var/lib/airgap-registry/config")?.containerPath;
    const rows: Array<{ image: string; registryVersion?: RegistryVersion; dir: string; envs?: string[] }> = [
        { image: "airgap-registry/registry:2.8", dir: "/etc/docker/registry" },
        { image: "registry:2", dir: "/etc/docker/registry" },
        { image: "airgap-registry/registry:3.1.2", dir: "/etc/distribution", envs: ["OTEL_TRACES_EXPORTER=none"] },
        {
            image: "mirror.lab/registry:latest",
            registryVersion: "3",
            dir: "/etc/distribution",
            envs: ["OTEL_TRACES_EXPORTER=none"],
        },
        { image: "mirror.lab/registry:latest", registryVersion: "2", dir: "/etc/docker/registry" },
    ];
    for (const row of rows) {
        const label = `${row.image}${row.registryVersion ? ` (registryVersion "${row.registryVersion}")` : ""}`;
        it(`${label}: docker provider and cli runtime mount config at ${row.dir}`, async () => {
            resetRecorded();
            const root = recordingRoot(`reg-mount-${rows.indexOf(row)}`);
            const args = { ...base(), image: row.image, registryVersion: row.registryVersion };
            const docker = new RegistryContainer("mv", args, { parent: root });
            new RegistryContainer("mc", { ...args, runtime: "cli" }, { parent: root });
            const all = await settle();
            const c = byName(all, "mv-container").inputs;
            assert.equal(configMount(c.volumes), row.dir);
            assert.deepEqual(c.envs, row.envs, "2.8: no envs key at all, so a 2.8 container sees no change");
            assert.equal(await valueOf(docker.registryVersion), row.dir === "/etc/distribution" ? "3" : "2");
            const create = byName(all, "mc-container").inputs.create as string;
            assert.ok(create.includes(`-v '/var/lib/airgap-registry/config:${row.dir}:ro'`), create);
            assert.equal(create.includes("-e 'OTEL_TRACES_EXPORTER=none'"), row.envs !== undefined);
        });
    }
    it("the version is in the content hash (3 only: a 2.8 stack keeps its hash), so a change rolls the container", async () => {
        resetRecorded();
        const root = recordingRoot("reg-hash");
        const untagged = { ...base(), image: "mirror.lab/registry:latest" };
        const v2 = new RegistryContainer("h2", { ...untagged, registryVersion: "2" }, { parent: root });
        const v3 = new RegistryContainer("h3", { ...untagged, registryVersion: "3" }, { parent: root });
        const all = await settle();
        // Same files (mocked secrets are per name, so compare each against its own parts).
        const parts = (n: string) =>
            ["cert-chain", "server-key", "config", "htpasswd"].map((f) => contentOf(byName(all, `${n}-${f}`)));
        assert.equal(await valueOf(v2.contentHash), sha256Of(...parts("h2")));
        assert.equal(await valueOf(v3.contentHash), sha256Of(...parts("h3"), "registry-version=3"));
    });
    it('an unknown registryVersion or an image whose tag says nothing is refused naming the field (positive twin: "3")', () => {
        resetRecorded();
        assert.throws(
            () => new RegistryContainer("bad-v", { ...base(), registryVersion: "4" as RegistryVersion }),
            /`registryVersion` must be "2" or "3", got "4"/,
        );
        assert.throws(
            () => new RegistryContainer("bad-tag", { ...base(), image: "mirror.lab/registry" }),
            /`registryVersion` is required: the tag of `image` "mirror\.lab\/registry" does not say/,
        );
        assert.doesNotThrow(
            () => new RegistryContainer("ok-v", { ...base(), image: "mirror.lab/registry", registryVersion: "3" }),
        );
    });
});

describe("PrivateRegistry", () => {
    it("composes CA, certificate, host, registry and one ClientTrust per client", async () => {
        resetRecorded();
        const root = recordingRoot("pr-main");
        const reg = new PrivateRegistry("reg", registryArgs(), { parent: root });
        const all = await settle();
        assert.deepEqual(
            children(all, "reg").map((r) => [r.type, r.name]),
            [
                ["airgap-registry:pki:CertificateAuthority", "reg-ca"],
                ["airgap-registry:pki:RegistryCertificate", "reg-cert"],
                ["airgap-registry:host:HostPreparation", "reg-host"],
                ["airgap-registry:registry:RegistryContainer", "reg-registry"],
                ["airgap-registry:trust:ClientTrust", "reg-trust-client-a"],
                ["airgap-registry:trust:ClientTrust", "reg-trust-client-b"],
            ],
        );
        // root, PrivateRegistry, CA (3), certificate (4), host (6), registry (11), client-a (5), client-b (6)
        assert.equal(all.length, 1 + 1 + 3 + 4 + 6 + 11 + 5 + 6, "resource count");
        assert.deepEqual(
            children(all, "reg-trust-client-a").map((r) => r.name),
            [
                "reg-trust-client-a-os-trust",
                "reg-trust-client-a-certs-d-registry.lab-5443",
                "reg-trust-client-a-certs-d-10.10.0.2-5443",
                "reg-trust-client-a-check",
            ],
        );
        assert.deepEqual(
            children(all, "reg-trust-client-b").map((r) => r.name),
            [
                "reg-trust-client-b-os-trust",
                "reg-trust-client-b-certs-d-registry.lab-5443",
                "reg-trust-client-b-certs-d-10.10.0.2-5443",
                "reg-trust-client-b-hosts",
                "reg-trust-client-b-check",
            ],
        );
        for (const r of [...children(all, "reg-trust-client-a"), ...children(all, "reg-trust-client-b")]) {
            assert.equal(r.type, hostFilesType, `${r.name}: a refresh reads it back`);
        }
        assert.match(byName(all, "reg-trust-client-b-os-trust").inputs.onChange, /^family=rhel$/m);
        assert.deepEqual(byName(all, "reg-trust-client-b-os-trust").inputs.replaceTriggers, [
            "airgap-registry-ca",
            "rhel",
        ]);
        assert.deepEqual(
            byName(all, "reg-trust-client-a-certs-d-registry.lab-5443").inputs.files.map(
                (f: { path: string }) => f.path,
            ),
            ["/etc/docker/certs.d/registry.lab:5443/ca.crt"],
        );
        assert.deepEqual(
            byName(all, "reg-trust-client-b-certs-d-registry.lab-5443").inputs.files.map(
                (f: { path: string }) => f.path,
            ),
            [
                "/etc/docker/certs.d/registry.lab:5443/ca.crt",
                "/etc/containerd/certs.d/registry.lab:5443/ca.crt",
                "/etc/containerd/certs.d/registry.lab:5443/hosts.toml",
            ],
        );
        assert.match(
            contentOf(byName(all, "reg-trust-client-b-hosts"), "/etc/airgap-registry/airgap-registry-ca.hosts"),
            /^10\.10\.0\.2 registry\.lab # airgap-registry:airgap-registry-ca$/m,
        );
        assert.equal(
            contentOf(byName(all, "reg-trust-client-a-os-trust"), "/etc/airgap-registry/airgap-registry-ca.pem"),
            pemFixtures().caCert,
        );
        const check = byName(all, "reg-trust-client-a-check").inputs;
        assert.deepEqual(check.files, []);
        assert.match(check.check, /client client-a: https:\/\/\$1\/v2\/ answers 401/);
        assert.match(check.refreshCheck, /if \[ "\$i" -ge 1 \]/, "a refresh tries once");
        assert.deepEqual(check.triggers, [sha256Of(pemFixtures().caCert)]);
        assert.equal(check.connection.bastion.port, 2222, "the shared bastion reaches clients too");
        assert.deepEqual(byName(all, "reg-cert-csr").inputs.dnsNames, ["registry.lab", "localhost"]);
        assert.deepEqual(byName(all, "reg-cert-csr").inputs.ipAddresses, ["10.10.0.2", "127.0.0.1"]);
        assert.equal(await valueOf(reg.endpoint), "registry.lab:5443");
        assert.deepEqual(await valueOf(reg.endpoints), ["registry.lab:5443", "10.10.0.2:5443"]);
        assert.equal(await valueOf(reg.dockerLogin), "docker login registry.lab:5443 --username ci --password-stdin");
        assert.equal(await valueOf(reg.caCertificate), pemFixtures().caCert);
        assert.match(await valueOf(reg.serverCertificateNotAfter), /^2027-/);
    });
    it("exposes its children, the client trusts keyed by client name", async () => {
        resetRecorded();
        const reg = new PrivateRegistry("kids", registryArgs(), { parent: recordingRoot("pr-children") });
        await settle();
        assert.ok(reg.ca instanceof CertificateAuthority);
        assert.ok(reg.certificate instanceof RegistryCertificate);
        assert.ok(reg.host instanceof HostPreparation);
        assert.ok(reg.registry instanceof RegistryContainer);
        assert.equal(reg.images, undefined, "no bundle images, no population");
        assert.deepEqual(Object.keys(reg.clientTrusts), ["client-a", "client-b"]);
        assert.ok(reg.clientTrusts["client-b"] instanceof ClientTrust);
        assert.match(
            await valueOf(reg.clientTrusts["client-b"].certsDirs.apply((d) => d.join(" "))),
            /\/etc\/containerd\/certs\.d\/registry\.lab:5443/,
        );
    });
    it("warns (not fails) when the server certificate is within expiryWarningDays of its end", async () => {
        const mockNotAfter = mockCertificateNotAfter;
        const daysLeft = Math.floor((Date.parse(mockNotAfter) - Date.now()) / 86_400_000);
        const warningsWith = async (expiryWarningDays: number) =>
            (
                await warningsDuring(
                    () =>
                        new PrivateRegistry(`exp-${expiryWarningDays}`, registryArgs({ expiryWarningDays }), {
                            parent: recordingRoot(`pr-expiry-${expiryWarningDays}`),
                        }),
                )
            ).warned.filter((w) => w.includes("server certificate"));
        assert.deepEqual(await warningsWith(daysLeft - 1), [], "negative twin: outside the window, no warning");
        const inside = await warningsWith(daysLeft + 1);
        assert.equal(inside.length, 1, inside.join("\n"));
        assert.match(
            inside[0],
            new RegExp(
                `^the registry's server certificate expires on ${mockNotAfter} \\(in ${daysLeft} days?\\): run \`pulumi up\``,
            ),
        );
    });
    it("re-ordering clients changes no resource name", async () => {
        resetRecorded();
        new PrivateRegistry("ord", registryArgs(), { parent: recordingRoot("pr-order-1") });
        const first = (await settle()).map((r) => `${r.type}::${r.name}`).sort();
        resetRecorded();
        const args = registryArgs();
        new PrivateRegistry(
            "ord",
            { ...args, clients: [...(args.clients ?? [])].reverse() },
            { parent: recordingRoot("pr-order-2") },
        );
        const second = (await settle())
            .map((r) => `${r.type}::${r.name}`)
            .filter((n) => !n.startsWith("test:"))
            .sort();
        assert.deepEqual(
            second,
            first.filter((n) => !n.startsWith("test:")),
        );
    });
    it("no secret value appears in any command text, connection aside", async () => {
        resetRecorded();
        new PrivateRegistry("sec", registryArgs(), { parent: recordingRoot("pr-secrets") });
        const all = await settle();
        const secrets = [
            "given-SECRET-pw",
            mockSecrets.password("sec-registry-password-ci"),
            mockSecrets.password("sec-registry-http-secret"),
            "SECRET-key-",
        ];
        const commands = all.filter((r) => r.type.startsWith("command:") || r.type === hostFilesType);
        assert.ok(commands.length > 10);
        for (const c of commands) {
            const texts = [
                c.inputs.create,
                c.inputs.delete,
                c.inputs.update,
                c.inputs.onChange,
                c.inputs.check,
                c.inputs.refreshCheck,
                JSON.stringify(c.inputs.files ?? []),
                JSON.stringify(c.inputs.environment ?? {}),
                JSON.stringify(c.inputs.triggers ?? []),
            ];
            for (const s of secrets) {
                for (const t of texts) {
                    assert.ok(!(t ?? "").includes(s), `${c.name} carries a secret in its command text`);
                }
            }
        }
        // ...and they do reach the host, as a secret input of the file step.
        assert.ok(contentOf(byName(all, "sec-registry-server-key")).includes("SECRET-key-"));
        assert.deepEqual(byName(all, "sec-registry-server-key").secretInputs, ["contents"]);
    });
});

describe("PrivateRegistry during a CA rotation", () => {
    const next = { id: "2027", keyAlgorithm: "ECDSA" as const };
    const signer = (all: RecordedResource[]) => byName(all, "rot-cert-cert").inputs.caPrivateKeyPem as string;
    it("trust-next: both CAs, clients trust the bundle of both, the current CA still signs", async () => {
        resetRecorded();
        const root = recordingRoot("rot-trust");
        const reg = new PrivateRegistry("rot", registryArgs({ caRotation: { step: "trust-next", next } }), {
            parent: root,
        });
        const all = await settle();
        assert.deepEqual(
            children(all, "rot")
                .filter((r) => r.type === "airgap-registry:pki:CertificateAuthority")
                .map((r) => r.name),
            ["rot-ca", "rot-ca-2027"],
        );
        assert.equal(byName(all, "rot-ca-2027-key").inputs.algorithm, "ECDSA");
        assert.equal(signer(all), mockSecrets.privateKey("rot-ca-key"));
        const bundle = pemFixtures().caCert + pemFixtures().caCert;
        assert.equal(contentOf(byName(all, "rot-trust-client-a-os-trust")), bundle);
        assert.equal(
            contentOf(
                byName(all, "rot-trust-client-b-certs-d-registry.lab-5443"),
                "/etc/docker/certs.d/registry.lab:5443/ca.crt",
            ),
            bundle,
        );
        assert.equal(await valueOf(reg.caCertificate), bundle);
        assert.deepEqual(await valueOf(reg.caState), {
            step: "trust-next",
            serving: "ca",
            trusted: [
                { id: "ca", digest: (await valueOf(reg.caState)).trusted[0].digest },
                { id: "2027", digest: (await valueOf(reg.caState)).trusted[1].digest },
            ],
        });
    });
    it("serve-next: the next CA signs the server certificate; clients still trust both", async () => {
        resetRecorded();
        const root = recordingRoot("rot-serve");
        new PrivateRegistry("rot", registryArgs({ caRotation: { step: "serve-next", next } }), { parent: root });
        const all = await settle();
        assert.equal(signer(all), mockSecrets.privateKey("rot-ca-2027-key"));
        assert.equal(
            contentOf(byName(all, "rot-trust-client-a-os-trust")),
            pemFixtures().caCert + pemFixtures().caCert,
        );
    });
    it("retired: next moved to ca keeps its resource names; the old CA is gone", async () => {
        resetRecorded();
        const root = recordingRoot("rot-retired");
        new PrivateRegistry("rot", registryArgs({ ca: next }), { parent: root });
        const all = await settle();
        assert.deepEqual(
            children(all, "rot")
                .filter((r) => r.type === "airgap-registry:pki:CertificateAuthority")
                .map((r) => r.name),
            ["rot-ca-2027"],
        );
        assert.equal(signer(all), mockSecrets.privateKey("rot-ca-2027-key"));
        assert.equal(contentOf(byName(all, "rot-trust-client-a-os-trust")), pemFixtures().caCert);
    });
    it("a step out of order is refused before anything registers", () => {
        resetRecorded();
        assert.throws(
            () =>
                new PrivateRegistry(
                    "rot-bad",
                    registryArgs({
                        caRotation: { step: "serve-next", next },
                        previousCaState: { step: "none", serving: "ca", trusted: [{ id: "ca", digest: "d" }] },
                    }),
                ),
            /`caRotation\.step` is "serve-next" but the clients do not trust CA "2027" yet/,
        );
    });
});
