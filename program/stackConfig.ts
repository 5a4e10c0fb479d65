/**
 * The stack config (`airgap-registry:` namespace) read and turned into PrivateRegistry arguments; config mistakes as
 * one clean error.
 */

import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { checkPrivateRegistryArgs } from "../components/privateRegistry/privateRegistryArgs";
import type {
    PrivateRegistryArgs,
    RegistryClientArgs,
    RegistryHostArgs,
} from "../components/privateRegistry/privateRegistryArgs";
import type { LoadBalancerArgs } from "../components/loadBalancer/loadBalancerArgs";
import type { CaState } from "../components/pki/caRotation";
import type { RegistryUserArgs } from "../components/registry/registryUsers";
import type { RegistryReplicaArgs } from "../components/replicatedRegistry/replicatedRegistryArgs";
import { expandHome, SshEndpointArgs } from "../components/ssh/sshHost";
import type { RawStorageConfig } from "./replicatedStackConfig";

/**
 * Thrown when the stack config is wrong, before anything is registered; lists every problem,
 * the config's own and those of the PrivateRegistry it describes. A RunError, so the engine
 * prints the message without a stack trace.
 */
export class InvalidStackConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly string[]) {
        super(`invalid stack config (namespace airgap-registry):\n  - ${problems.join("\n  - ")}`);
        this.name = "InvalidStackConfigError";
    }
}

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
    caRotation?: PrivateRegistryArgs["caRotation"];
    nextCaCertPem?: string;
    nextCaKeyPem?: string;
    certificate?: PrivateRegistryArgs["certificate"];
    registryImage?: string;
    registryVersion?: string;
    registryImageArchive?: string;
    runtime?: PrivateRegistryArgs["runtime"];
    cliEngine?: PrivateRegistryArgs["cliEngine"];
    healthcheck?: boolean;
    verifyClients?: boolean;
    bundlePath?: string;
    expiryWarningDays?: number;
    /** A scaled-out site (ReplicatedRegistry) instead of `host`: the replica hosts. */
    replicas?: RegistryReplicaArgs[];
    /** The scaled-out site's storage (`s3`, `redirect`; credentials are `s3AccessKey`/`s3SecretKey`). */
    storage?: RawStorageConfig;
    /** The scaled-out site's load balancer. */
    loadBalancer?: LoadBalancerArgs;
    /** The object store's access key ID (secret config). */
    s3AccessKey?: string;
    /** The object store's secret key (secret config). */
    s3SecretKey?: string;
}

/**
 * A CA's settings with the existing CA of two config keys (a PEM and its secret key), when both are set; the
 * messages about it then name those keys.
 */
function withExistingCa<T extends object>(
    ca: T | undefined,
    certKey: string,
    certPem: string | undefined,
    keyKey: string,
    keyPem: string | undefined,
    problems: string[],
): T | undefined {
    if ((certPem === undefined) !== (keyPem === undefined)) {
        problems.push(`\`${certKey}\` and \`${keyKey}\` must be set together`);
        return ca;
    }
    if (certPem === undefined || keyPem === undefined) return ca;
    return {
        ...(ca ?? ({} as T)),
        existing: { certPem, keyPem: pulumi.secret(keyPem), fields: { certPem: certKey, keyPem: keyKey } },
    };
}

/** A CA's config with a numeric `id` (as `pulumi config set --path ...id 2027` stores it) read as text. */
export function withStringId<T extends object>(ca: T | undefined): T | undefined {
    const id = (ca as { id?: unknown } | undefined)?.id;
    return typeof id === "number" ? { ...(ca as T), id: String(id) } : ca;
}

/** Resolves a path from the config relative to the project directory. */
export function resolvePath(projectDir: string, p: string | undefined): string | undefined {
    return p === undefined ? undefined : path.resolve(projectDir, expandHome(p));
}

/** An SSH endpoint's key and known_hosts paths (its bastion's too) resolved against the project directory. */
export function resolveKeys<T extends SshEndpointArgs>(projectDir: string, endpoint: T | undefined): T | undefined {
    if (endpoint === undefined || endpoint === null || typeof endpoint !== "object") return endpoint;
    const out: T = { ...endpoint };
    if (endpoint.privateKeyPath !== undefined)
        (out as { privateKeyPath?: string }).privateKeyPath = resolvePath(projectDir, endpoint.privateKeyPath);
    if (endpoint.knownHostsPath !== undefined)
        (out as { knownHostsPath?: string }).knownHostsPath = resolvePath(projectDir, endpoint.knownHostsPath);
    const withBastion = endpoint as T & { bastion?: SshEndpointArgs };
    if (withBastion.bastion !== undefined)
        (out as T & { bastion?: SshEndpointArgs }).bastion = resolveKeys(projectDir, withBastion.bastion);
    return out;
}

/** The users of the config with their passwords (secret config) attached; a password for no user is a problem. */
export function usersOf(raw: Pick<RawStackConfig, "users" | "passwords">): {
    users: RegistryUserArgs[];
    problems: string[];
} {
    const problems: string[] = [];
    const passwords = raw.passwords ?? {};
    const users = (raw.users ?? []).map((name) =>
        passwords[name] !== undefined ? { name, password: pulumi.secret(passwords[name]) } : { name },
    );
    for (const name of Object.keys(passwords)) {
        if (!(raw.users ?? []).includes(name))
            problems.push(`\`passwords.${name}\` is set but "${name}" is not in \`users\``);
    }
    return { users, problems };
}

/**
 * Turns the raw stack config into PrivateRegistry arguments: file paths resolved against the
 * project directory, passwords (secret config) attached to their users, an existing CA when
 * both of its PEMs are set. Field names stay those of the config, so validation messages name
 * the config key. `readProblems` are keys that could not be read at all. Throws an
 * InvalidStackConfigError listing every problem when the config has any of its own. Pure.
 */
export function toPrivateRegistryArgs(
    raw: RawStackConfig,
    projectDir: string,
    readProblems: readonly string[] = [],
    previousCaState?: CaState,
): PrivateRegistryArgs {
    const problems: string[] = [...readProblems];
    for (const key of ["storage", "loadBalancer", "s3AccessKey", "s3SecretKey"] as const) {
        if (raw[key] !== undefined)
            problems.push(
                `\`${key}\` is set without \`replicas\`: it belongs to a scaled-out site (README, "Scale out")`,
            );
    }
    const { users, problems: userProblems } = usersOf(raw);
    problems.push(...userProblems);
    const ca = withExistingCa(
        withStringId(raw.ca),
        "existingCaCertPem",
        raw.existingCaCertPem,
        "existingCaKeyPem",
        raw.existingCaKeyPem,
        problems,
    );
    let caRotation = raw.caRotation;
    if (caRotation !== undefined && caRotation !== null && typeof caRotation === "object") {
        const next = withExistingCa(
            withStringId(caRotation.next),
            "nextCaCertPem",
            raw.nextCaCertPem,
            "nextCaKeyPem",
            raw.nextCaKeyPem,
            problems,
        );
        caRotation = { ...caRotation, next: next as NonNullable<typeof caRotation>["next"] };
    } else if (raw.nextCaCertPem !== undefined || raw.nextCaKeyPem !== undefined) {
        problems.push(
            "`nextCaCertPem` and `nextCaKeyPem` are set but `caRotation` is not: they are the next CA of a rotation",
        );
    }
    const args: PrivateRegistryArgs = {
        host: resolveKeys(projectDir, raw.host) as RegistryHostArgs,
        clients: (raw.clients ?? []).map((c) => resolveKeys(projectDir, c) as RegistryClientArgs),
        users,
        bastion: resolveKeys(projectDir, raw.bastion),
        knownHostsPath: resolvePath(projectDir, raw.knownHostsPath),
        ca,
        caRotation,
        previousCaState,
        certificate: raw.certificate,
        registryImage: raw.registryImage,
        // Checked (naming `registryVersion`) with the rest of PrivateRegistryArgs.
        registryVersion: raw.registryVersion as PrivateRegistryArgs["registryVersion"],
        registryImageArchive: resolvePath(projectDir, raw.registryImageArchive),
        runtime: raw.runtime,
        cliEngine: raw.cliEngine,
        healthcheck: raw.healthcheck,
        verifyClients: raw.verifyClients,
        bundlePath: resolvePath(projectDir, raw.bundlePath),
        expiryWarningDays: raw.expiryWarningDays,
    };
    if (problems.length > 0) {
        throw new InvalidStackConfigError([...problems, ...checkPrivateRegistryArgs(args)]);
    }
    return args;
}

/** Config defaults for "not set" (`{}`, `""`) read as undefined. Pure. */
export function unsetAsUndefined<T>(value: T | undefined): T | undefined {
    if (value === undefined || value === null || (value as unknown) === "") return undefined;
    if (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0) return undefined;
    return value;
}

/** One key read from the config; a value that does not parse becomes a problem naming the key. */
function readKey<T>(
    key: string,
    read: (key: string) => T | undefined,
    problems: string[],
    expected: string,
): T | undefined {
    try {
        return read(key);
    } catch {
        problems.push(`\`${key}\` must be ${expected}`);
        return undefined;
    }
}

/** A secret config value read as plain JSON, for structure the program must know (which users have a password). */
function secretObject<T>(key: string): T | undefined {
    const text = pulumi.runtime.getConfig(`airgap-registry:${key}`);
    return text === undefined ? undefined : (JSON.parse(text) as T);
}

/**
 * Reads the `airgap-registry` config namespace of the current stack: the raw values, and a
 * problem for each key whose value does not parse (e.g. `host` that is not an object).
 */
export function readStackConfig(): { config: RawStackConfig; problems: string[] } {
    const config = new pulumi.Config("airgap-registry");
    const problems: string[] = [];
    const object = <T>(key: string, expected: string) =>
        readKey<T>(key, (k) => config.getObject<T>(k), problems, expected);
    const raw: RawStackConfig = {
        host: object<RegistryHostArgs>("host", "an object"),
        clients: object<RegistryClientArgs[]>("clients", "a list of objects"),
        users: object<string[]>("users", "a list of user names"),
        passwords: readKey(
            "passwords",
            (k) => secretObject<Record<string, string>>(k),
            problems,
            "an object (user name -> password)",
        ),
        bastion: object<SshEndpointArgs>("bastion", "an object"),
        knownHostsPath: config.get("knownHostsPath"),
        ca: object<RawStackConfig["ca"]>("ca", "an object"),
        existingCaCertPem: config.get("existingCaCertPem"),
        existingCaKeyPem: pulumi.runtime.getConfig("airgap-registry:existingCaKeyPem"),
        caRotation: object<RawStackConfig["caRotation"]>("caRotation", "an object (step, next)"),
        nextCaCertPem: config.get("nextCaCertPem"),
        nextCaKeyPem: pulumi.runtime.getConfig("airgap-registry:nextCaKeyPem"),
        certificate: object<RawStackConfig["certificate"]>("certificate", "an object"),
        registryImage: config.get("registryImage"),
        registryVersion: config.get("registryVersion"),
        registryImageArchive: config.get("registryImageArchive"),
        runtime: config.get<NonNullable<RawStackConfig["runtime"]>>("runtime"),
        cliEngine: config.get<NonNullable<RawStackConfig["cliEngine"]>>("cliEngine"),
        healthcheck: object<boolean>("healthcheck", "true or false"),
        verifyClients: object<boolean>("verifyClients", "true or false"),
        bundlePath: config.get("bundlePath"),
        expiryWarningDays: object<number>("expiryWarningDays", "a whole number of days"),
        replicas: object<RegistryReplicaArgs[]>("replicas", "a list of objects"),
        storage: object<RawStorageConfig>("storage", "an object (s3, redirect)"),
        loadBalancer: object<LoadBalancerArgs>("loadBalancer", "an object"),
        s3AccessKey: pulumi.runtime.getConfig("airgap-registry:s3AccessKey"),
        s3SecretKey: pulumi.runtime.getConfig("airgap-registry:s3SecretKey"),
    };
    for (const key of Object.keys(raw) as Array<keyof RawStackConfig>) {
        (raw as Record<string, unknown>)[key] = unsetAsUndefined(raw[key]);
    }
    // `replicas: []` (the declared default) is a single-host site.
    if (Array.isArray(raw.replicas) && raw.replicas.length === 0) raw.replicas = undefined;
    return { config: raw, problems };
}
