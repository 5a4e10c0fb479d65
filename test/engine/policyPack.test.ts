/**
 * The policy pack (policy/) through the real engine: `pulumi preview --policy-pack policy` passes the dev stack's
 * config and fails, for each rule, a preview that breaks it, with that rule's message naming the resource and field.
 */

import { describe, it, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectRoot, pulumi, pulumiEnv, PulumiRun } from "../support/engine";
import { devStackConfig, ProjectStack, takeLabFromDevStack } from "../support/stack";

const policyPack = path.join(projectRoot, "policy");
/** The rules a test below saw fail for the right reason; the last test wants every rule of the pack in it. */
const failedRules = new Set<string>();

/** A policy pack config file (`--policy-pack-config`) with `settings`, outside the project. */
function policyConfig(settings: Record<string, Record<string, unknown>>): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "airgap-policy-config-")), "policy-config.json");
    fs.writeFileSync(file, JSON.stringify(settings));
    return file;
}

/** The rules a preview reports as mandatory violations (`[mandatory]  <rule>  (<type>: <name>)`). */
function violatedRules(output: string): string[] {
    return [...new Set([...output.matchAll(/\[mandatory\]\s+(\S+)\s+\(/g)].map((m) => m[1]))].sort();
}

/** Asserts a preview failed on exactly `rule` (and nothing else), with each of `messages` in its report. */
function assertFailsOn(run: PulumiRun, rule: string, messages: string[]): void {
    assert.notEqual(run.status, 0, `preview must fail:\n${run.output}`);
    assert.deepEqual(violatedRules(run.output), [rule], `only ${rule} may fail:\n${run.output}`);
    for (const m of messages) assert.ok(run.output.includes(m), `expected the message\n  ${m}\nin\n${run.output}`);
    failedRules.add(rule);
}

/**
 * The SDK's advisory when registry-auth-and-tls cannot judge the registry's config.yml yet (its text is unknown): the
 * HostFiles `<name>-config`'s `contents` (a command's `stdin` before HostFiles).
 */
const configNotJudged =
    /can't run policy 'registry-auth-and-tls' from policy pack 'airgap-registry@v0\.1\.0' during preview: \w+ value at \.contents\S* can't be known during preview/;

/** Asserts a preview passed with the pack loaded and no violation. */
function assertPasses(run: PulumiRun): void {
    assert.equal(run.status, 0, `preview must pass:\n${run.output}`);
    // ✅ with no finding at all, ⚠️ with an advisory (a rule that cannot run yet); ❌ only with a violation.
    assert.match(run.output, /(✅|⚠️) airgap-registry@v0\.1\.0 \(local: .*policy\)/, "the policy pack ran");
    assert.deepEqual(violatedRules(run.output), []);
}

// The project's own program with stack configs (the dev stack's, then one setting changed each). The hosts are the
// lab's: a preview reads them (the docker provider over ssh), it changes nothing.
describe("policy pack on the project's stack config (real engine)", () => {
    const stacks: ProjectStack[] = [];
    const previewWith = (name: string, change: (c: Record<string, unknown>) => void, ...extra: string[]) => {
        const stack = new ProjectStack(name);
        stacks.push(stack);
        const config = devStackConfig();
        change(config);
        stack.recreate(config);
        return stack.run("preview", "--policy-pack", policyPack, ...extra);
    };
    after(() => stacks.forEach((s) => s.remove()));

    it("the dev stack's config passes every rule; config.yml is not known before the first up, and the SDK says so", () => {
        const run = previewWith("test-policy-dev", () => {});
        assertPasses(run);
        assert.match(run.output, configNotJudged);
    });
    it("client-trust-verified: verifyClients false fails, naming each ClientTrust and `verify`", () => {
        const run = previewWith("test-policy-no-verify", (c) => (c["airgap-registry:verifyClients"] = false));
        assertFailsOn(
            run,
            "client-trust-verified",
            ["client-a", "client-b"].map(
                (client) =>
                    `airgap-registry:trust:ClientTrust "airgap-registry-trust-${client}": \`verify\` is off: no child command "airgap-registry-trust-${client}-check" checks from the client that the registry answers over TLS verified by its trust store (stack config \`verifyClients: true\`)`,
            ),
        );
    });
    it("server-certificate-lifetime: certificate.validityHours 9600 (400 days) fails, naming validityPeriodHours", () => {
        const run = previewWith(
            "test-policy-cert-validity",
            (c) => (c["airgap-registry:certificate"] = { validityHours: 9600 }),
        );
        assertFailsOn(run, "server-certificate-lifetime", [
            '"airgap-registry-cert-cert": `validityPeriodHours` is 9600 (400 days), more than the 398 days (9552 hours) a server certificate may be valid (policy config maxServerCertificateDays)',
        ]);
    });
    it("server-certificate-lifetime: the dev stack fails a policy config maxServerCertificateDays of 300", () => {
        const config = policyConfig({ "server-certificate-lifetime": { maxServerCertificateDays: 300 } });
        const run = previewWith("test-policy-max-days", () => {}, "--policy-pack-config", config);
        assertFailsOn(run, "server-certificate-lifetime", [
            '"airgap-registry-cert-cert": `validityPeriodHours` is 8760 (365 days), more than the 300 days (7200 hours)',
        ]);
    });
    it("storage-kept-on-destroy: host.removeDataOnDestroy fails, naming `delete` and the directory", () => {
        const run = previewWith("test-policy-remove-data", (c) => {
            (c["airgap-registry:host"] as Record<string, unknown>).removeDataOnDestroy = true;
        });
        assertFailsOn(run, "storage-kept-on-destroy", [
            'command:remote:Command "airgap-registry-host-data-dir": `delete` removes the registry storage /var/lib/airgap-registry/data on destroy (stack config `host.removeDataOnDestroy: true`); keep it, or choose this explicitly with the policy config allowStorageRemovalOnDestroy: true',
        ]);
    });
    it("storage-kept-on-destroy: the same stack passes once the policy config allows it explicitly", () => {
        const config = policyConfig({ "storage-kept-on-destroy": { allowStorageRemovalOnDestroy: true } });
        const run = previewWith(
            "test-policy-remove-data-allowed",
            (c) => {
                (c["airgap-registry:host"] as Record<string, unknown>).removeDataOnDestroy = true;
            },
            "--policy-pack-config",
            config,
        );
        assertPasses(run);
    });
});

// Rules the project's stack config cannot break (its components refuse it: every host needs a pinned key, the CA key
// only goes to the signer, the renewal window must be > 0, config.yml is rendered with auth and TLS 1.2): a test
// program, test/fixtures/policyViolations, composes the components and plain resources to break each. Preview only,
// it reaches no host.
describe("policy pack on a program that breaks what stack config cannot (real engine)", () => {
    const dir = path.join(projectRoot, "test", "fixtures", "policyViolations");
    const env = pulumiEnv();
    const stacks: string[] = [];
    const previewFixture = (violation: string): PulumiRun => {
        const stack = `test-policy-${violation}`;
        stacks.push(stack);
        pulumi(dir, env, "stack", "rm", "--yes", "--force", "--stack", stack);
        assert.equal(pulumi(dir, env, "stack", "init", stack).status, 0);
        assert.equal(pulumi(dir, env, "config", "set", "violation", violation, "--stack", stack).status, 0);
        return pulumi(dir, env, "preview", "--stack", stack, "--policy-pack", policyPack);
    };
    after(() => {
        for (const stack of stacks) {
            pulumi(dir, env, "stack", "rm", "--yes", "--force", "--stack", stack);
            fs.rmSync(path.join(dir, `Pulumi.${stack}.yaml`), { force: true });
        }
    });

    it("ssh-host-key-pinned: a command whose connection has no hostKey fails, naming connection.hostKey", () => {
        assertFailsOn(previewFixture("ssh-host-key"), "ssh-host-key-pinned", [
            'command:remote:Command "unpinned": `connection.hostKey` is not set: the SSH connection to "192.0.2.10" would accept any host key (pin it with hostKey or knownHostsPath)',
        ]);
    });
    it("ssh-host-key-pinned: a docker provider whose ssh options opt out of host key checking fails, naming sshOpts", () => {
        assertFailsOn(previewFixture("docker-ssh-opt-out"), "ssh-host-key-pinned", [
            'pulumi:providers:docker "unchecked-docker": `sshOpts` has "StrictHostKeyChecking=no": ssh to ssh://root@192.0.2.10:22 would not verify the host\'s key against its known_hosts',
            'pulumi:providers:docker "unchecked-docker": `sshOpts` lacks "StrictHostKeyChecking=yes": ssh to ssh://root@192.0.2.10:22 would ask about or accept unknown host keys',
        ]);
    });
    it("ca-key-stays-local: a command with the CertificateAuthority's key as stdin fails, naming stdin and the key", () => {
        assertFailsOn(previewFixture("ca-key-on-host"), "ca-key-stays-local", [
            'command:remote:Command "ca-key-copy": `stdin` is made from the CA private key (tls:index/privateKey:PrivateKey "ca-key"): the CA\'s private key must never be written to a host',
        ]);
    });
    it("ca-key-stays-local: a HostFiles with the CertificateAuthority's key as a file fails, naming contents and the key", () => {
        assertFailsOn(previewFixture("ca-key-host-files"), "ca-key-stays-local", [
            'pulumi-nodejs:dynamic/airgap-registry:HostFiles "ca-key-file": `contents` is made from the CA private key (tls:index/privateKey:PrivateKey "ca-key"): the CA\'s private key must never be written to a host',
        ]);
    });
    it("server-certificate-lifetime: a server certificate without earlyRenewalHours fails, naming it", () => {
        assertFailsOn(previewFixture("no-renewal-window"), "server-certificate-lifetime", [
            'tls:index/locallySignedCert:LocallySignedCert "server-cert": `earlyRenewalHours` is not set: no renewal window, so no `pulumi up` re-issues the certificate before it expires (stack config `certificate.earlyRenewalHours`, default 720)',
        ]);
    });
    it("registry-auth-and-tls: a config.yml without auth and with TLS 1.0 fails, naming stdin", () => {
        assertFailsOn(previewFixture("registry-config"), "registry-auth-and-tls", [
            'command:remote:Command "registry-config": `stdin` (the registry\'s config.yml) has no `auth.htpasswd` (or `auth.token`): anyone who reaches the registry could push and pull',
            'command:remote:Command "registry-config": `stdin` (the registry\'s config.yml) has `http.tls.minimumtls` "tls1.0": it must be one of tls1.2, tls1.3',
        ]);
    });
    it("registry-auth-and-tls: the same config.yml placed by a HostFiles fails, naming contents[path]", () => {
        const field = '`contents["/var/lib/airgap-registry/config/config.yml"]`';
        assertFailsOn(previewFixture("registry-config-host-files"), "registry-auth-and-tls", [
            `pulumi-nodejs:dynamic/airgap-registry:HostFiles "registry-config": ${field} (the registry's config.yml) has no \`auth.htpasswd\` (or \`auth.token\`): anyone who reaches the registry could push and pull`,
            `pulumi-nodejs:dynamic/airgap-registry:HostFiles "registry-config": ${field} (the registry's config.yml) has \`http.tls.minimumtls\` "tls1.0": it must be one of tls1.2, tls1.3`,
        ]);
    });
    it("every rule of the pack failed a preview above with its message", () => {
        // The pack's rule names, from its source: a rule added without a failing case here fails this test.
        const source = fs.readFileSync(path.join(policyPack, "index.ts"), "utf8");
        const declared = [...source.matchAll(/name: "([a-z-]+)"/g)].map((m) => m[1]).sort();
        assert.equal(declared.length, 6);
        assert.deepEqual([...failedRules].sort(), declared);
    });
});

// The dev stack's config deployed on the lab with the pack: `pulumi up` runs every rule on known inputs (the
// registry's config.yml included) before each resource is created, and the next preview judges config.yml too.
describe("policy pack at pulumi up on the lab (real engine)", () => {
    const stack = new ProjectStack("test-policy-up");
    after(() => {
        if (process.env.AIRGAP_REGISTRY_KEEP_TEST_STACK) return;
        stack.destroy();
        stack.remove();
    });

    it("the dev stack's config passes at up, and its next preview judges the registry's config.yml", () => {
        takeLabFromDevStack();
        stack.recreate(devStackConfig());
        const up = stack.run("up", "--yes", "--skip-preview", "--policy-pack", policyPack);
        assertPasses(up);
        assert.match(up.output, /✅ airgap-registry@v0\.1\.0/, "at up every rule ran: no advisory");
        const preview = stack.run("preview", "--policy-pack", policyPack);
        assertPasses(preview);
        assert.doesNotMatch(preview.output, configNotJudged, "config.yml is known now: the rule judged it");
        assert.match(preview.output, /✅ airgap-registry@v0\.1\.0/, "no advisory left");
    });
});
