import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { PrivateRegistryArgs, RegistryClientArgs, RegistryHostArgs } from "../components/privateRegistry/privateRegistry";
import { expandHome, SshEndpointArgs } from "../components/ssh/sshHost";

/** The stack config of the `airgap-registry` namespace, as read from Pulumi.<stack>.yaml (see Pulumi.yaml). */
export interface RawStackConfig {
    host?: RegistryHostArgs;
    clients?: RegistryClientArgs[];
    users?: string[];
    passwords?: Record<string, string>;
    bastion?: SshEndpointArgs;
    knownHostsPath?: string;
    ca?: PrivateRegistryArgs["ca"];
    existingCaCertPem?: string;
    existingCaKeyPem?: string;
    certificate?: PrivateRegistryArgs["certificate"];
    registryImage?: string;
    registryImageArchive?: string;
    runtime?: PrivateRegistryArgs["runtime"];
    cliEngine?: PrivateRegistryArgs["cliEngine"];
    healthcheck?: boolean;
    verifyClients?: boolean;
    bundlePath?: string;
}

/** Resolves a path from the config relative to the project directory. */
function resolvePath(projectDir: string, p: string | undefined): string | undefined {
    return p === undefined ? undefined : path.resolve(projectDir, expandHome(p));
}

function resolveKeys<T extends SshEndpointArgs>(projectDir: string, endpoint: T | undefined): T | undefined {
    if (endpoint === undefined || endpoint === null || typeof endpoint !== "object") return endpoint;
    const out: T = { ...endpoint };
    if (endpoint.privateKeyPath !== undefined) (out as { privateKeyPath?: string }).privateKeyPath = resolvePath(projectDir, endpoint.privateKeyPath);
    if (endpoint.knownHostsPath !== undefined) (out as { knownHostsPath?: string }).knownHostsPath = resolvePath(projectDir, endpoint.knownHostsPath);
    const withBastion = endpoint as T & { bastion?: SshEndpointArgs };
    if (withBastion.bastion !== undefined) (out as T & { bastion?: SshEndpointArgs }).bastion = resolveKeys(projectDir, withBastion.bastion);
    return out;
}

/**
 * Turns the raw stack config into PrivateRegistry arguments: file paths resolved against the
 * project directory, passwords (secret config) attached to their users, an existing CA when
 * both of its PEMs are set. Field names stay those of the config, so validation messages name
 * the config key. Pure.
 */
export function toPrivateRegistryArgs(raw: RawStackConfig, projectDir: string): PrivateRegistryArgs {
    const problems: string[] = [];
    const passwords = raw.passwords ?? {};
    const users = (raw.users ?? []).map((name) =>
        passwords[name] !== undefined ? { name, password: pulumi.secret(passwords[name]) } : { name },
    );
    for (const name of Object.keys(passwords)) {
        if (!(raw.users ?? []).includes(name)) problems.push(`\`passwords.${name}\` is set but "${name}" is not in \`users\``);
    }
    let ca = raw.ca;
    if ((raw.existingCaCertPem === undefined) !== (raw.existingCaKeyPem === undefined)) {
        problems.push("`existingCaCertPem` and `existingCaKeyPem` must be set together");
    } else if (raw.existingCaCertPem !== undefined && raw.existingCaKeyPem !== undefined) {
        ca = { ...(raw.ca ?? {}), existing: { certPem: raw.existingCaCertPem, keyPem: pulumi.secret(raw.existingCaKeyPem) } };
    }
    if (problems.length > 0) {
        throw new Error(`invalid stack config:\n  - ${problems.join("\n  - ")}`);
    }
    return {
        host: resolveKeys(projectDir, raw.host) as RegistryHostArgs,
        clients: (raw.clients ?? []).map((c) => resolveKeys(projectDir, c) as RegistryClientArgs),
        users,
        bastion: resolveKeys(projectDir, raw.bastion),
        knownHostsPath: resolvePath(projectDir, raw.knownHostsPath),
        ca,
        certificate: raw.certificate,
        registryImage: raw.registryImage,
        registryImageArchive: resolvePath(projectDir, raw.registryImageArchive),
        runtime: raw.runtime,
        cliEngine: raw.cliEngine,
        healthcheck: raw.healthcheck,
        verifyClients: raw.verifyClients,
        bundlePath: resolvePath(projectDir, raw.bundlePath),
    };
}

/** Config defaults for "not set" (`{}`, `""`) read as undefined. Pure. */
export function unsetAsUndefined<T>(value: T | undefined): T | undefined {
    if (value === undefined || value === null || (value as unknown) === "") return undefined;
    if (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0) return undefined;
    return value;
}

/**
 * A secret config value read as plain JSON, for structure the program must know (which users
 * have a password). Every value taken from it is wrapped in pulumi.secret by toPrivateRegistryArgs.
 */
function secretObject<T>(key: string): T | undefined {
    const text = pulumi.runtime.getConfig(key);
    if (text === undefined) return undefined;
    try {
        return JSON.parse(text) as T;
    } catch {
        throw new Error(`\`${key}\` must be an object (user name -> password)`);
    }
}

/** Reads the `airgap-registry` config namespace of the current stack. */
export function readStackConfig(): RawStackConfig {
    const config = new pulumi.Config("airgap-registry");
    const raw: RawStackConfig = {
        host: config.getObject<RegistryHostArgs>("host"),
        clients: config.getObject<RegistryClientArgs[]>("clients"),
        users: config.getObject<string[]>("users"),
        passwords: secretObject<Record<string, string>>("airgap-registry:passwords"),
        bastion: config.getObject<SshEndpointArgs>("bastion"),
        knownHostsPath: config.get("knownHostsPath"),
        ca: config.getObject<RawStackConfig["ca"]>("ca"),
        existingCaCertPem: config.get("existingCaCertPem"),
        existingCaKeyPem: pulumi.runtime.getConfig("airgap-registry:existingCaKeyPem"),
        certificate: config.getObject<RawStackConfig["certificate"]>("certificate"),
        registryImage: config.get("registryImage"),
        registryImageArchive: config.get("registryImageArchive"),
        runtime: config.get<NonNullable<RawStackConfig["runtime"]>>("runtime"),
        cliEngine: config.get<NonNullable<RawStackConfig["cliEngine"]>>("cliEngine"),
        healthcheck: config.getObject<boolean>("healthcheck"),
        verifyClients: config.getObject<boolean>("verifyClients"),
        bundlePath: config.get("bundlePath"),
    };
    for (const key of Object.keys(raw) as Array<keyof RawStackConfig>) {
        (raw as Record<string, unknown>)[key] = unsetAsUndefined(raw[key]);
    }
    return raw;
}
