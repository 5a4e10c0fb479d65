/** Pulumi mocks that record every registered resource, for graph tests without an engine. */

import * as pulumi from "@pulumi/pulumi";
import { pemFixtures } from "./fixtures";

/** One resource the program registered, as the engine would see it. */
export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    /** Type and name of the parent ("" for the stack). */
    readonly parent: string;
    /** Inputs after every Output resolved (what the provider receives), secrets unwrapped. */
    inputs: Record<string, any>;
    /** Paths of the inputs that reached the provider as secrets (`stdin`, `connection`, ...). */
    secretInputs: string[];
    readonly custom: boolean;
}

const secretSig = "4dabf18193072939515e22adb298388d";
const secretValue = "1b47061264138c4ac30d75fd1eb44270";

/** Replaces Pulumi's secret wrappers by their values, noting where they were. */
function unwrapSecrets(value: unknown, path: string, found: string[]): unknown {
    if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, found));
    if (value !== null && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (obj[secretSig] === secretValue) {
            found.push(path);
            return unwrapSecrets(obj.value, path, found);
        }
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(obj)) out[k] = unwrapSecrets(v, path ? `${path}.${k}` : k, found);
        return out;
    }
    return value;
}

/** The end of every certificate the mock provider signs (`validityEndTime`). */
export const mockCertificateNotAfter = "2027-11-23T00:00:00Z";

/** Values the mocks hand out for generated secrets; tests search command texts for them. */
export const mockSecrets = {
    password: (name: string) => `SECRET-password-${name}`,
    privateKey: (name: string) => `-----BEGIN PRIVATE KEY-----\nSECRET-key-${name}\n-----END PRIVATE KEY-----\n`,
};

/** Facts the mocked registry host reports. */
export const mockHostFacts = {
    daemonJson: `{"debug": true, "log-opts": {"labels": "team"}}`,
};

const recorded: RecordedResource[] = [];
const registered = new Map<string, RecordedResource>();
let pending = 0;

/**
 * Installs Pulumi mocks that fill in provider outputs (real CA PEMs, fake secrets, host facts)
 * and record each resource's resolved inputs.
 */
export function installMocks(): void {
    const { caCert } = pemFixtures();
    pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                const r = registered.get(`${args.type}::${args.name}`);
                const secretInputs: string[] = [];
                const inputs = unwrapSecrets(args.inputs, "", secretInputs) as Record<string, any>;
                if (r) {
                    r.inputs = inputs;
                    r.secretInputs = secretInputs;
                }
                pending--;
                const state: Record<string, unknown> = { ...inputs };
                switch (args.type) {
                    case "tls:index/privateKey:PrivateKey":
                        state.privateKeyPem = mockSecrets.privateKey(args.name);
                        break;
                    case "tls:index/selfSignedCert:SelfSignedCert":
                    case "tls:index/locallySignedCert:LocallySignedCert":
                        state.certPem = caCert;
                        state.validityEndTime = mockCertificateNotAfter;
                        break;
                    case "tls:index/certRequest:CertRequest":
                        state.certRequestPem = "CSR";
                        break;
                    case "random:index/randomPassword:RandomPassword":
                        state.result = mockSecrets.password(args.name);
                        state.bcryptHash = `$2a$10$${"x".repeat(53)}`;
                        break;
                    case "command:remote:Command":
                        state.stdout = args.name.endsWith("-facts")
                            ? `os_family=debian\nengine=docker\ndaemon_json=${Buffer.from(mockHostFacts.daemonJson).toString("base64")}\n`
                            : "sha256:0123";
                        state.stderr = "";
                        break;
                }
                return { id: `${args.name}-id`, state };
            },
            call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
                return args.inputs as Record<string, unknown>;
            },
        },
        "airgap-registry",
        "test",
        true,
    );
}

/** Records every resource created under it (a transformation inherited by all descendants). */
const record: pulumi.ResourceTransformation = (args) => {
    const parent = args.opts.parent as unknown as { __pulumiType?: string; __name?: string } | undefined;
    const r: RecordedResource = {
        type: args.type,
        name: args.name,
        parent: parent ? `${parent.__pulumiType}::${parent.__name}` : "",
        inputs: {},
        secretInputs: [],
        custom: args.resource instanceof pulumi.CustomResource,
    };
    recorded.push(r);
    registered.set(`${args.type}::${args.name}`, r);
    if (r.custom) pending++;
    return undefined;
};

/**
 * A root component under which a test builds its program: everything created with
 * `{ parent: root }` is recorded. Its own children report `test:index:Root::<name>` as parent.
 */
export function recordingRoot(name: string): pulumi.ComponentResource {
    return new pulumi.ComponentResource("test:index:Root", name, {}, { transformations: [record] });
}

/** Forgets what was recorded so far (call between programs). */
export function resetRecorded(): void {
    recorded.length = 0;
}

/** Waits until the mock provider has seen every custom resource registered so far, then returns them all. */
export async function settle(timeoutMs = 10_000): Promise<RecordedResource[]> {
    const start = Date.now();
    while (pending > 0) {
        if (Date.now() - start > timeoutMs) throw new Error(`${pending} resources never reached the mock provider`);
        await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 20));
    return [...recorded];
}

/**
 * Runs `program` (after forgetting what was recorded) and lets its resources settle: what it returned, and the
 * messages `pulumi.log.warn` was given meanwhile.
 */
export async function warningsDuring<T>(program: () => T): Promise<{ result: T; warned: string[] }> {
    const warned: string[] = [];
    const log = pulumi.log as unknown as { warn: (message: string) => Promise<void> };
    const original = log.warn;
    log.warn = (message: string) => {
        warned.push(message);
        return Promise.resolve();
    };
    try {
        resetRecorded();
        const result = program();
        await settle();
        return { result, warned };
    } finally {
        log.warn = original;
    }
}

/** The value of an Output, for assertions. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}
