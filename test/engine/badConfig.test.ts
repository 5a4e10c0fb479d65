/**
 * The project's program with bad stack config fails preview and up with the field or file named, nothing created (real
 * engine).
 */

import { describe, it, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describeFile, manifestName } from "../../components/internal";
import { secretConfigKeys } from "../../program/plainTextSecrets";
import { projectRoot, pulumi, pulumiEnv, stackResources } from "../support/engine";
import { isSelfReadResource } from "../support/stack";

// The project's own program under the real engine: bad stack config fails `pulumi preview` and
// `pulumi up` with the config field named, before any resource (or host) is touched.

const env = pulumiEnv();
const keyFile = "package.json"; // any existing file stands in for an SSH key path here
const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEfqcBUhPBFfRSG7PRhwRdsq9z+UP1abFDAOYzC3Hf/7";

/** A known_hosts file with `text`, outside the project. */
function knownHosts(name: string, text: string): string {
    const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "airgap-known-hosts-")), name);
    fs.writeFileSync(p, text);
    return p;
}

const goodConfig: Array<[string, string]> = [
    ["airgap-registry:knownHostsPath", knownHosts("known_hosts", `10.10.0.2,client-a.lab,10.0.0.9 ${hostKey}\n`)],
    ["airgap-registry:host.address", "10.10.0.2"],
    ["airgap-registry:host.privateKeyPath", keyFile],
    ["airgap-registry:host.names[0]", "registry.lab"],
    ["airgap-registry:host.port", "5443"],
    ["airgap-registry:clients[0].name", "client-a"],
    ["airgap-registry:clients[0].address", "client-a.lab"],
    ["airgap-registry:clients[0].privateKeyPath", keyFile],
    ["airgap-registry:users[0]", "ci"],
];

/**
 * A scaled-out site's config that is good but for what a case changes: two replicas and a load balancer instead of
 * `host`, the store's credentials as secrets.
 */
const replicatedConfig: Array<[string, string]> = [
    [
        "airgap-registry:knownHostsPath",
        knownHosts("known_hosts_replicated", `10.10.0.10,10.10.0.11,10.10.0.12,client-a.lab ${hostKey}\n`),
    ],
    ...[1, 2].flatMap((i): Array<[string, string]> => [
        [`airgap-registry:replicas[${i - 1}].name`, `replica-${i}`],
        [`airgap-registry:replicas[${i - 1}].address`, `10.10.0.1${i}`],
        [`airgap-registry:replicas[${i - 1}].privateKeyPath`, keyFile],
    ]),
    ["airgap-registry:loadBalancer.address", "10.10.0.10"],
    ["airgap-registry:loadBalancer.privateKeyPath", keyFile],
    ["airgap-registry:loadBalancer.names[0]", "registry.lab"],
    ["airgap-registry:storage.s3.regionendpoint", "http://10.10.0.20:7480"],
    ["airgap-registry:storage.s3.bucket", "registry"],
    ...goodConfig.filter(([k]) => k.startsWith("airgap-registry:clients") || k.startsWith("airgap-registry:users")),
];
const s3Secrets: Array<[string, string]> = [
    ["airgap-registry:s3AccessKey", "AKIDBADCONFIG"],
    ["airgap-registry:s3SecretKey", "not-a-real-secret"],
];

/** The secret config keys (namespace dropped) among `keys`, e.g. `airgap-registry:passwords.root` -> passwords. */
function plainSecretKeys(keys: Iterable<string>): string[] {
    const names = [...keys].map((k) => k.replace(/^airgap-registry:/, "").split(/[.[]/)[0]);
    return [...new Set(names.filter((n) => (secretConfigKeys as readonly string[]).includes(n)))].sort();
}

/** The keys a preview warned were plain text, once each. */
function plainTextWarned(output: string): string[] {
    return [...new Set([...output.matchAll(/`(\w+)` is plain text in/g)].map((m) => m[1]))].sort();
}

/** A one-image bundle whose image file was altered after its manifest was written. */
function tamperedBundle(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-tampered-bundle-"));
    fs.mkdirSync(path.join(dir, "registry"));
    fs.writeFileSync(path.join(dir, "registry", "registry-image.tar"), "registry image");
    const files = [describeFile(dir, "registry/registry-image.tar", "registry-image", { ref: "registry:2" })];
    fs.writeFileSync(
        path.join(dir, manifestName),
        JSON.stringify({ version: 1, created: new Date().toISOString(), files }),
    );
    fs.writeFileSync(path.join(dir, "registry", "registry-image.tar"), "registry imagX");
    return dir;
}

interface BadConfigCase {
    readonly stack: string;
    /** Config set on top of the base. */
    readonly set: Array<[string, string]>;
    /** Keys of the base left out. */
    readonly unset?: string[];
    /** The base: a single-host site (default) or a scaled-out one. */
    readonly base?: "replicated";
    /** Set the store's credentials as secrets (a replicated base only). Default true. */
    readonly secrets?: boolean;
    readonly expect: RegExp;
    readonly header?: RegExp;
    /** Problems the error lists: the case's own (one known_hosts file read for two hosts is two). Default 1. */
    readonly problems?: number;
}

const replicatedHeader = /invalid arguments for ReplicatedRegistry:/;

const cases: BadConfigCase[] = [
    {
        stack: "test-password-unknown-user",
        set: [["airgap-registry:passwords.root", "not-a-user"]],
        expect: /`passwords\.root` is set but "root" is not in `users`/,
        header: /invalid stack config \(namespace airgap-registry\):/,
    },
    {
        stack: "test-tampered-bundle",
        set: [["airgap-registry:bundlePath", tamperedBundle()]],
        expect: /`bundlePath`: registry\/registry-image\.tar does not match its SHA-256 in the manifest \(altered\)/,
    },
    {
        stack: "test-bad-ip",
        set: [["airgap-registry:host.ips[0]", "10.0.0.300"]],
        expect: /`host\.ips\[0\]` is not a valid IP address: "10\.0\.0\.300"/,
    },
    {
        stack: "test-bad-port",
        set: [["airgap-registry:host.port", "70000"]],
        expect: /`host\.port` must be a port number from 1 to 65535, got 70000/,
    },
    {
        stack: "test-dup-client",
        set: [
            ["airgap-registry:clients[1].name", "client-a"],
            ["airgap-registry:clients[1].address", "10.0.0.9"],
            ["airgap-registry:clients[1].privateKeyPath", keyFile],
        ],
        expect: /`clients\[1\]\.name` repeats "client-a", already used by `clients\[0\]\.name`/,
    },
    {
        stack: "test-known-hosts-malformed",
        set: [
            [
                "airgap-registry:knownHostsPath",
                knownHosts("malformed", `10.10.0.2,client-a.lab ${hostKey}\nclient-a.lab ${hostKey.split(" ")[0]}\n`),
            ],
        ],
        expect: /`host\.knownHostsPath` .*malformed: line 2: expected `<hosts> <type> <base64>`/,
        problems: 2,
    },
    {
        stack: "test-host-key-type",
        set: [["airgap-registry:clients[0].hostKey", "ssh-dss AAAAB3NzaC1kc3M="]],
        expect: /`clients\[0\]\.hostKey` has an unsupported key type "ssh-dss"/,
    },
    {
        stack: "test-host-unknown",
        set: [["airgap-registry:clients[0].address", "client-z.lab"]],
        expect: /`clients\[0\]\.knownHostsPath` .*known_hosts has no key for client-z\.lab: get it with `ssh-keyscan client-z\.lab`/,
    },
    {
        stack: "test-missing-key",
        set: [["airgap-registry:clients[0].privateKeyPath", ".lab/none/id_ed25519"]],
        expect: /`clients\[0\]\.privateKeyPath` does not exist: .*\.lab\/none\/id_ed25519/,
    },
    // A scaled-out site (issue 16, item 5).
    {
        stack: "test-s3-endpoint-not-url",
        base: "replicated",
        set: [["airgap-registry:storage.s3.regionendpoint", "10.10.0.20:7480"]],
        expect: /`storage\.s3\.regionendpoint` must be a URL \(http:\/\/ or https:\/\/\), got "10\.10\.0\.20:7480"/,
        header: replicatedHeader,
    },
    {
        stack: "test-s3-no-bucket",
        base: "replicated",
        set: [],
        unset: ["airgap-registry:storage.s3.bucket"],
        expect: /`storage\.s3\.bucket` is required: the bucket the registry stores blobs and manifests in/,
        header: replicatedHeader,
    },
    {
        stack: "test-replicas-no-s3",
        base: "replicated",
        secrets: false,
        set: [],
        unset: ["airgap-registry:storage.s3.regionendpoint", "airgap-registry:storage.s3.bucket"],
        expect: /`storage\.s3` is required with more than one replica \(`replicas` has 2\)/,
        header: replicatedHeader,
    },
    {
        stack: "test-s3-redirects-no-endpoint",
        base: "replicated",
        set: [["airgap-registry:storage.redirect.disable", "false"]],
        expect: /`storage\.s3\.redirectendpoint` is required when `storage\.redirect\.disable` is false: otherwise blob downloads are redirected to `storage\.s3\.regionendpoint`/,
        header: replicatedHeader,
    },
];

describe("bad stack config through the real engine", () => {
    after(() => {
        for (const c of cases) {
            pulumi(projectRoot, env, "stack", "rm", "--yes", "--force", "--stack", c.stack);
            fs.rmSync(path.join(projectRoot, `Pulumi.${c.stack}.yaml`), { force: true });
        }
    });
    for (const c of cases) {
        it(`${c.stack}: preview and up fail naming the field; nothing is created`, () => {
            pulumi(projectRoot, env, "stack", "rm", "--yes", "--force", "--stack", c.stack);
            const init = pulumi(projectRoot, env, "stack", "init", c.stack);
            assert.equal(init.status, 0, init.output);
            const settings = new Map([...(c.base === "replicated" ? replicatedConfig : goodConfig), ...c.set]);
            for (const k of c.unset ?? []) settings.delete(k);
            const secrets = c.base === "replicated" && c.secrets !== false ? s3Secrets : [];
            const args = [
                ...[...settings].flatMap(([k, v]) => ["--plaintext", `${k}=${v}`]),
                ...secrets.flatMap(([k, v]) => ["--secret", `${k}=${v}`]),
            ];
            const set = pulumi(projectRoot, env, "config", "set-all", "--path", "--stack", c.stack, ...args);
            assert.equal(set.status, 0, set.output);

            const preview = pulumi(projectRoot, env, "preview", "--stack", c.stack);
            assert.notEqual(preview.status, 0, "preview must fail");
            assert.match(preview.output, c.expect);
            assert.match(preview.output, c.header ?? /invalid arguments for PrivateRegistry/);
            // The problems the case made, no other: the rest of its config is good.
            assert.equal(
                (preview.output.match(/^\s+- `/gm) ?? []).length,
                c.problems ?? 1,
                `exactly one problem reported:\n${preview.output}`,
            );
            assert.doesNotMatch(preview.output, /not-a-real-secret/, "the store's secret key is never printed");
            assert.deepEqual(
                plainTextWarned(preview.output),
                plainSecretKeys(settings.keys()),
                "a warning for each secret key the case set as plain text, none for those set as secrets",
            );
            assert.doesNotMatch(
                preview.output,
                /\n\s+at .*\.(js|ts):\d+/,
                "a config mistake is not a crash: no stack trace",
            );

            const up = pulumi(projectRoot, env, "up", "--yes", "--skip-preview", "--stack", c.stack);
            assert.notEqual(up.status, 0, "up must fail");
            assert.match(up.output, c.expect);
            // The program reads its own stack's last outputs (a StackReference, with its default provider) before it
            // checks the config: that read is all the state may hold.
            const created = stackResources(projectRoot, env, c.stack).filter(
                (r) => r.type !== "pulumi:pulumi:Stack" && !isSelfReadResource(r),
            );
            assert.deepEqual(created, [], "no resource may be created");
        });
    }

    it("the store's credentials set as plain text: preview warns naming each key and its fix, and prints neither value", () => {
        const stack = "test-s3-plaintext-credentials";
        pulumi(projectRoot, env, "stack", "rm", "--yes", "--force", "--stack", stack);
        try {
            assert.equal(pulumi(projectRoot, env, "stack", "init", stack).status, 0);
            // A bad endpoint too, so the preview stops at the config and no host is reached.
            const settings = new Map([
                ...replicatedConfig,
                ...s3Secrets,
                ["airgap-registry:storage.s3.regionendpoint", "10.10.0.20:7480"],
            ]);
            const args = [...settings].flatMap(([k, v]) => ["--plaintext", `${k}=${v}`]);
            const set = pulumi(projectRoot, env, "config", "set-all", "--path", "--stack", stack, ...args);
            assert.equal(set.status, 0, set.output);
            const preview = pulumi(projectRoot, env, "preview", "--stack", stack);
            assert.notEqual(preview.status, 0, "preview must fail (the endpoint)");
            for (const key of ["s3AccessKey", "s3SecretKey"])
                assert.match(
                    preview.output,
                    new RegExp(
                        `warning: \`${key}\` is plain text in Pulumi\\.${stack}\\.yaml: .* Make it a secret: \`pulumi config set --secret airgap-registry:${key}\``,
                    ),
                );
            assert.deepEqual(
                plainTextWarned(preview.output),
                ["s3AccessKey", "s3SecretKey"],
                "only the two plain keys",
            );
            assert.doesNotMatch(preview.output, /not-a-real-secret|AKIDBADCONFIG/, "neither value is printed");
        } finally {
            pulumi(projectRoot, env, "stack", "rm", "--yes", "--force", "--stack", stack);
            fs.rmSync(path.join(projectRoot, `Pulumi.${stack}.yaml`), { force: true });
        }
    });
});
