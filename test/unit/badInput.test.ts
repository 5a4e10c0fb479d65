/** Every bad-input case fails before anything is registered, with the field named; the stack config's own checks. */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as os from "os";
import * as path from "path";
import { installMocks } from "../support/mocks";
import * as fs from "fs";
import { existingFile, fixtureHostKey, knownHostsFile, pemFixtures } from "../support/fixtures";
import {
    ClientTrust,
    PrivateRegistry,
    PrivateRegistryArgs,
    RegistryContainer,
    checkPrivateRegistryArgs,
    InvalidArgumentsError,
} from "../../components/internal";
import { RunError as pulumiRunError } from "@pulumi/pulumi";
import { InvalidStackConfigError, toPrivateRegistryArgs, unsetAsUndefined } from "../../program/stackConfig";

installMocks();
const key = existingFile();
const knownHosts = knownHostsFile();

function writeKnownHosts(name: string, text: string): string {
    const p = path.join(pemFixtures().dir, name);
    fs.writeFileSync(p, text);
    return p;
}

function good(): PrivateRegistryArgs {
    return {
        host: {
            address: "10.10.0.2",
            privateKeyPath: key,
            knownHostsPath: knownHosts,
            names: ["registry.lab"],
            port: 5443,
        },
        clients: [{ name: "client-a", address: "client-a.lab", privateKeyPath: key, knownHostsPath: knownHosts }],
        users: [{ name: "ci" }],
    };
}

describe("bad input fails before anything is registered, naming the field", () => {
    it("the good arguments pass", () => assert.deepEqual(checkPrivateRegistryArgs(good()), []));
    it("a stack-wide known_hosts file covers every host without its own", () => {
        const args = good() as any;
        delete args.host.knownHostsPath;
        delete args.clients[0].knownHostsPath;
        assert.match(checkPrivateRegistryArgs(args).join("\n"), /`host\.hostKey`/, "negative twin: nothing pinned");
        assert.deepEqual(checkPrivateRegistryArgs({ ...args, knownHostsPath: knownHosts }), []);
    });
    const cases: Array<[string, (a: any) => void, RegExp]> = [
        [
            "an IP that is not valid",
            (a) => {
                a.host.ips = ["10.0.0.256"];
            },
            /`host\.ips\[0\]` is not a valid IP address: "10\.0\.0\.256"/,
        ],
        [
            "a hostname that is not valid",
            (a) => {
                a.host.names = ["bad_name.lab"];
            },
            /`host\.names\[0\]` is not a valid hostname: "bad_name\.lab"/,
        ],
        [
            "an SSH address that is not valid",
            (a) => {
                a.clients[0].address = "client a";
            },
            /`clients\[0\]\.address` is not a valid IP address or hostname: "client a"/,
        ],
        [
            "a port out of range",
            (a) => {
                a.host.port = 0;
            },
            /`host\.port` must be a port number from 1 to 65535, got 0/,
        ],
        [
            "an SSH port out of range",
            (a) => {
                a.host.sshPort = 70000;
            },
            /`host\.sshPort` must be a port number from 1 to 65535, got 70000/,
        ],
        [
            "two clients with the same name",
            (a) => {
                a.clients.push({
                    name: "client-a",
                    address: "10.0.0.9",
                    privateKeyPath: key,
                    knownHostsPath: knownHosts,
                });
            },
            /`clients\[1\]\.name` repeats "client-a", already used by `clients\[0\]\.name`/,
        ],
        [
            "a client with no SSH address",
            (a) => {
                delete a.clients[0].address;
            },
            /`clients\[0\]\.address` is required/,
        ],
        [
            "an SSH key path that does not exist",
            (a) => {
                a.clients[0].privateKeyPath = "/nonexistent/id_ed25519";
            },
            /`clients\[0\]\.privateKeyPath` does not exist: \/nonexistent\/id_ed25519/,
        ],
        [
            "an empty user list",
            (a) => {
                a.users = [];
            },
            /`users` is empty: the registry needs at least one user/,
        ],
        [
            "two users with the same name",
            (a) => {
                a.users = [{ name: "ci" }, { name: "ci" }];
            },
            /`users\[1\]\.name` repeats "ci"/,
        ],
        [
            "a renewal window larger than the validity",
            (a) => {
                a.certificate = { validityHours: 24, earlyRenewalHours: 48 };
            },
            /`certificate\.earlyRenewalHours` \(48\) is larger than `certificate\.validityHours` \(24\)/,
        ],
        [
            "RSA keys under 2048 bits",
            (a) => {
                a.certificate = { rsaBits: 1024 };
            },
            /`certificate\.rsaBits` must be 2048, 3072 or 4096/,
        ],
        [
            "a registry with no name and no IP",
            (a) => {
                a.host.names = [];
            },
            /`host\.names` and `host\.ips` are both empty/,
        ],
        [
            "a data dir that is not a safe absolute path",
            (a) => {
                a.host.dataDir = "/var/lib/$(reboot)";
            },
            /`host\.dataDir` must be an absolute path/,
        ],
        [
            "a hosts entry without host IPs",
            (a) => {
                a.clients[0].hostsEntry = true;
            },
            /`clients\[0\]\.hostsEntry` needs `host\.ips`/,
        ],
        [
            "an unknown runtime",
            (a) => {
                a.runtime = "k8s";
            },
            /`runtime` must be "docker-provider" or "cli", got "k8s"/,
        ],
        [
            "the docker-provider runtime with an in-memory key",
            (a) => {
                delete a.host.privateKeyPath;
                a.host.privateKey = "KEY";
            },
            /`runtime` "docker-provider" runs the operator's ssh client and needs `host\.privateKeyPath`/,
        ],
        [
            "a host with no host key",
            (a) => {
                delete a.clients[0].knownHostsPath;
            },
            /`clients\[0\]\.hostKey` \(or `clients\[0\]\.knownHostsPath`\) is required: every SSH connection verifies the host's key; get it with `ssh-keyscan client-a\.lab`/,
        ],
        [
            "a host key of an unknown type",
            (a) => {
                delete a.clients[0].knownHostsPath;
                a.clients[0].hostKey = "ssh-dss AAAAB3NzaC1kc3M=";
            },
            /`clients\[0\]\.hostKey` has an unsupported key type "ssh-dss"/,
        ],
        [
            "a host key whose data is another type",
            (a) => {
                delete a.clients[0].knownHostsPath;
                a.clients[0].hostKey = fixtureHostKey.replace("ssh-ed25519", "ecdsa-sha2-nistp256");
            },
            /`clients\[0\]\.hostKey` has a key whose data is not a ecdsa-sha2-nistp256 key/,
        ],
        [
            "a malformed known_hosts line",
            (a) => {
                a.clients[0].knownHostsPath = writeKnownHosts(
                    "malformed",
                    `* ${fixtureHostKey}\nclient-a.lab ssh-ed25519\n`,
                );
            },
            /`clients\[0\]\.knownHostsPath` .*malformed: line 2: expected `<hosts> <type> <base64>`/,
        ],
        [
            "a host missing from the known_hosts file",
            (a) => {
                a.host.sshPort = 2200;
                a.host.knownHostsPath = writeKnownHosts("other-host", `10.10.0.2 ${fixtureHostKey}\n`);
            },
            /`host\.knownHostsPath` .*other-host has no key for \[10\.10\.0\.2\]:2200: get it with `ssh-keyscan -p 2200 10\.10\.0\.2`/,
        ],
        [
            "a host known only through a @cert-authority line",
            (a) => {
                a.host.knownHostsPath = writeKnownHosts("by-ca", `@cert-authority *.lab,10.10.0.* ${fixtureHostKey}\n`);
            },
            /`host\.knownHostsPath` .*by-ca has only a @cert-authority line for 10\.10\.0\.2 \(line 1\): connections are pinned to the host's own key, add it; get it with `ssh-keyscan 10\.10\.0\.2`/,
        ],
        [
            "a host whose every key is @revoked",
            (a) => {
                a.host.knownHostsPath = writeKnownHosts(
                    "revoked",
                    `10.10.0.2 ${fixtureHostKey}\n@revoked * ${fixtureHostKey}\n`,
                );
            },
            /`host\.knownHostsPath` .*revoked: every key for 10\.10\.0\.2 is marked @revoked \(lines 2\)/,
        ],
        [
            "a pinned hostKey that the known_hosts file revokes",
            (a) => {
                a.clients[0].hostKey = fixtureHostKey;
                a.clients[0].knownHostsPath = writeKnownHosts(
                    "revokes-pin",
                    `@revoked client-a.lab ${fixtureHostKey}\n`,
                );
            },
            /`clients\[0\]\.hostKey` is marked @revoked in .*revokes-pin \(line 1\)/,
        ],
        [
            "the docker-provider runtime with only a hostKey",
            (a) => {
                delete a.host.knownHostsPath;
                a.host.hostKey = fixtureHostKey;
            },
            /`runtime` "docker-provider" runs the operator's ssh client, which verifies hosts against a known_hosts file: set `host\.knownHostsPath`/,
        ],
        [
            "a negative expiry warning window",
            (a) => {
                a.expiryWarningDays = -1;
            },
            /`expiryWarningDays` must be a whole number of days \(0 or more\), got -1/,
        ],
        [
            "an unknown OS family",
            (a) => {
                a.clients[0].osFamily = "arch";
            },
            /`clients\[0\]\.osFamily` must be "debian", "rhel" or "auto", got "arch"/,
        ],
    ];
    for (const [title, mutate, message] of cases) {
        it(title, () => {
            const args = structuredClone(good()) as any;
            mutate(args);
            let thrown: unknown;
            try {
                new PrivateRegistry(`bad-${title.replace(/\W+/g, "-")}`, args);
            } catch (err) {
                thrown = err;
            }
            assert.ok(thrown instanceof InvalidArgumentsError, `expected InvalidArgumentsError, got ${String(thrown)}`);
            assert.match((thrown as Error).message, message);
        });
    }
    it("every problem is reported at once", () => {
        const args = structuredClone(good()) as any;
        args.host.port = 0;
        args.users = [];
        assert.equal(checkPrivateRegistryArgs(args).length, 2);
    });
});

describe("each component names its own fields; a composite prefixes them", () => {
    it("ClientTrust on its own names `ssh.address` and `clientName`; PrivateRegistry names `clients[0].address`", () => {
        const trustArgs = {
            ssh: { address: "client a", privateKeyPath: key, knownHostsPath: knownHosts },
            clientName: "bad name",
            caCertPem: "x",
            endpoints: ["r.lab:5000"],
        };
        assert.throws(
            () => new ClientTrust("t", trustArgs),
            (err: unknown) =>
                err instanceof InvalidArgumentsError &&
                /`ssh\.address` is not a valid/.test(err.message) &&
                /`clientName` must start/.test(err.message),
        );
        const args = structuredClone(good()) as any;
        args.clients[0].address = "client a";
        assert.match(checkPrivateRegistryArgs(args).join("\n"), /`clients\[0\]\.address` is not a valid/);
    });
    it("RegistryContainer on its own names `users[1].name`", () => {
        assert.throws(
            () =>
                new RegistryContainer("r", {
                    ssh: { address: "10.0.0.5", privateKeyPath: key, knownHostsPath: knownHosts },
                    users: [{ name: "ci" }, { name: "ci" }],
                    certChainPem: "c",
                    privateKeyPem: "k",
                    caCertPem: "a",
                }),
            /`users\[1\]\.name` repeats "ci", already used by `users\[0\]\.name`/,
        );
    });
});

describe("stack config", () => {
    it('"not set" defaults read as undefined', () => {
        assert.equal(unsetAsUndefined({}), undefined);
        assert.equal(unsetAsUndefined(""), undefined);
        assert.deepEqual(unsetAsUndefined({ a: 1 }), { a: 1 });
        assert.deepEqual(unsetAsUndefined([]), []);
    });
    it("resolves key paths against the project and attaches passwords to users", () => {
        const args = toPrivateRegistryArgs(
            {
                host: {
                    address: "registry.lab",
                    privateKeyPath: ".lab/ssh/id",
                    names: ["registry.lab"],
                    bastion: { address: "127.0.0.1", privateKeyPath: "k" },
                },
                users: ["ci", "ops"],
                passwords: { ops: "pw" },
            },
            "/proj",
        );
        assert.equal(args.host.privateKeyPath, "/proj/.lab/ssh/id");
        assert.equal(args.host.bastion?.privateKeyPath, "/proj/k");
        assert.equal(args.users[0].password, undefined);
        assert.notEqual(args.users[1].password, undefined);
    });
    it('registryVersion reaches PrivateRegistryArgs; an unknown one is refused naming the key (twin: "3")', () => {
        const raw = { host: { address: "r.lab", names: ["r.lab"] }, users: ["ci"], registryImage: "registry:latest" };
        const bad = toPrivateRegistryArgs({ ...raw, registryVersion: "4" }, "/p");
        assert.equal(bad.registryVersion, "4");
        assert.deepEqual(
            checkPrivateRegistryArgs(bad).filter((p) => p.includes("registryVersion")),
            ['`registryVersion` must be "2" or "3", got "4"'],
        );
        const good = toPrivateRegistryArgs({ ...raw, registryVersion: "3" }, "/p");
        assert.deepEqual(
            checkPrivateRegistryArgs(good).filter((p) => p.includes("registryVersion")),
            [],
        );
    });
    it("`~/` in a path means the operator's home", () => {
        const args = toPrivateRegistryArgs(
            { host: { address: "r.lab", privateKeyPath: "~/.ssh/site", names: ["r.lab"] }, users: ["ci"] },
            "/proj",
        );
        assert.equal(args.host.privateKeyPath, path.join(os.homedir(), ".ssh", "site"));
    });
    it("a password for an unknown user is refused, naming the key", () => {
        assert.throws(
            () => toPrivateRegistryArgs({ users: ["ci"], passwords: { root: "x" } }, "/p"),
            /`passwords\.root` is set but "root" is not in `users`/,
        );
    });
    it("config problems come out as one clean error with the PrivateRegistry's problems too", () => {
        let thrown: unknown;
        try {
            toPrivateRegistryArgs(
                { users: ["ci"], passwords: { root: "x" }, host: { address: "r..lab", names: ["r.lab"] } },
                "/p",
            );
        } catch (err) {
            thrown = err;
        }
        assert.ok(thrown instanceof InvalidStackConfigError, `expected InvalidStackConfigError, got ${String(thrown)}`);
        assert.ok(thrown instanceof pulumiRunError, "a RunError: the engine prints it without a stack trace");
        assert.match(
            (thrown as Error).message,
            /^invalid stack config \(namespace airgap-registry\):\n  - `passwords\.root` is set/,
        );
        assert.match(
            (thrown as Error).message,
            /\n  - `host\.address` is not a valid IP address or hostname: "r\.\.lab"/,
        );
    });
    it("a config value that does not parse is named with what it must be", () => {
        assert.throws(
            () => toPrivateRegistryArgs({ users: ["ci"] }, "/p", ["`host` must be an object"]),
            /\n  - `host` must be an object\n/,
        );
    });
    it("an existing CA needs both PEMs", () => {
        assert.throws(
            () => toPrivateRegistryArgs({ users: ["ci"], existingCaCertPem: "x" }, "/p"),
            /`existingCaCertPem` and `existingCaKeyPem` must be set together/,
        );
    });
});
