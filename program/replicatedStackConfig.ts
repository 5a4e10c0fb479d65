/**
 * The stack config of a scaled-out site (`replicas`, `storage`, `loadBalancer`) turned into ReplicatedRegistry
 * arguments; config mistakes as one clean error naming the config keys.
 */

import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { LoadBalancerArgs } from "../components/loadBalancer/loadBalancerArgs";
import { RegistryStorageArgs, S3StorageArgs } from "../components/registry/objectStorage";
import {
    checkReplicatedRegistryComponentArgs,
    ReplicatedRegistryComponentArgs,
} from "../components/replicatedRegistry/replicatedRegistry";
import { RegistryReplicaArgs } from "../components/replicatedRegistry/replicatedRegistryArgs";
import { assertValid, fieldPath } from "../components/validation";
import {
    InvalidStackConfigError,
    RawStackConfig,
    resolveKeys,
    resolvePath,
    usersOf,
    withStringId,
} from "./stackConfig";

/**
 * `storage` as the stack config holds it: distribution's `storage.s3` keys without the credentials (they are the
 * secret keys `s3AccessKey` and `s3SecretKey`), and the store's CA as a file (`caCertPath`, relative to the project)
 * instead of a PEM.
 */
export interface RawStorageConfig {
    readonly s3?: Omit<S3StorageArgs, "accesskey" | "secretkey" | "caCertPem"> & {
        /** Path of the PEM file of the store's CA (relative to the project). Required for an `https` store. */
        readonly caCertPath?: string;
        /** Refused here: credentials are the secret config keys `s3AccessKey` and `s3SecretKey`. */
        readonly accesskey?: unknown;
        /** Refused here: credentials are the secret config keys `s3AccessKey` and `s3SecretKey`. */
        readonly secretkey?: unknown;
        /** Refused here: the store's CA is a file, `storage.s3.caCertPath`. */
        readonly caCertPem?: unknown;
    };
    readonly redirect?: RegistryStorageArgs["redirect"];
}

/** True when the stack config describes a scaled-out site (`replicas` set): the program's choice of component. */
export function isReplicatedConfig(raw: RawStackConfig): boolean {
    return raw.replicas !== undefined;
}

/** Keys of the single-host program a scaled-out site cannot use (yet), each with why. */
const singleHostOnly: ReadonlyArray<[keyof RawStackConfig, string]> = [
    [
        "host",
        "a scaled-out site has `replicas` and a `loadBalancer` instead of one `host`; set one of `host` and `replicas`",
    ],
    ["caRotation", "CA rotation is not supported with `replicas` yet"],
    ["nextCaCertPem", "CA rotation is not supported with `replicas` yet"],
    ["nextCaKeyPem", "CA rotation is not supported with `replicas` yet"],
    [
        "bundlePath",
        "a carry-in bundle is not supported with `replicas` yet: use `registryImageArchive` and `loadBalancer.imageArchive`",
    ],
];

/** The store's settings with the secret credentials and the CA read from its file; problems name the config keys. */
function storageArgs(
    raw: RawStorageConfig | undefined,
    credentials: { accessKey?: string; secretKey?: string },
    projectDir: string,
    problems: string[],
): RegistryStorageArgs | undefined {
    if (raw === undefined) return undefined;
    if (raw === null || typeof raw !== "object") {
        problems.push("`storage` must be an object (`s3`, `redirect`)");
        return undefined;
    }
    if (raw.s3 === undefined || raw.s3 === null || typeof raw.s3 !== "object") return raw as RegistryStorageArgs;
    const { caCertPath, accesskey, secretkey, caCertPem, ...s3 } = raw.s3;
    for (const [key, value] of [
        ["accesskey", accesskey],
        ["secretkey", secretkey],
    ] as const) {
        if (value !== undefined)
            problems.push(
                `\`storage.s3.${key}\` must not be in the stack config: set it as a secret, \`pulumi config set --secret airgap-registry:${key === "accesskey" ? "s3AccessKey" : "s3SecretKey"}\``,
            );
    }
    if (caCertPem !== undefined)
        problems.push(
            "`storage.s3.caCertPem` is not a stack config key: give the CA's PEM file as `storage.s3.caCertPath`",
        );
    for (const [key, value] of [
        ["s3AccessKey", credentials.accessKey],
        ["s3SecretKey", credentials.secretKey],
    ] as const) {
        if (value === undefined || value === "")
            problems.push(
                `\`${key}\` is required with \`storage.s3\`: the store's ${key === "s3AccessKey" ? "access key ID" : "secret key"} for the registry, set with \`pulumi config set --secret airgap-registry:${key}\``,
            );
    }
    let pem: string | undefined;
    if (caCertPath !== undefined) {
        const file = resolvePath(projectDir, caCertPath) as string;
        try {
            pem = fs.readFileSync(file, "utf8");
        } catch (e) {
            problems.push(
                `\`${fieldPath("storage.s3", "caCertPath")}\` cannot be read: ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
            );
        }
    }
    return {
        ...raw,
        s3: {
            ...s3,
            accesskey: pulumi.secret(credentials.accessKey ?? ""),
            secretkey: pulumi.secret(credentials.secretKey ?? ""),
            ...(pem === undefined ? {} : { caCertPem: pem }),
        },
    };
}

/**
 * Turns the raw stack config of a scaled-out site into ReplicatedRegistry arguments: key and archive paths resolved
 * against the project directory, the store's credentials from the secret keys, its CA read from `caCertPath`,
 * passwords attached to their users. Throws an InvalidStackConfigError listing every problem (the config's own and
 * the component's) when there is any, or an InvalidArgumentsError for ReplicatedRegistry when only the component
 * found problems, each named as the stack config spells it; so `pulumi preview` fails before anything is registered.
 * `readProblems` are keys that could not be read at all.
 */
export function toReplicatedRegistryArgs(
    raw: RawStackConfig,
    projectDir: string,
    readProblems: readonly string[] = [],
): ReplicatedRegistryComponentArgs {
    const problems: string[] = [...readProblems];
    for (const [key, why] of singleHostOnly) {
        if (raw[key] !== undefined) problems.push(`\`${key}\` is set with \`replicas\`: ${why}`);
    }
    const { users, problems: userProblems } = usersOf(raw);
    problems.push(...userProblems);
    if (raw.existingCaCertPem !== undefined || raw.existingCaKeyPem !== undefined)
        problems.push(
            "`existingCaCertPem`/`existingCaKeyPem` are not supported with `replicas` yet: the scaled-out site generates its CA",
        );
    const replicas = Array.isArray(raw.replicas)
        ? raw.replicas.map((r) => resolveKeys(projectDir, r) as RegistryReplicaArgs)
        : raw.replicas;
    const lb = resolveKeys(projectDir, raw.loadBalancer);
    const loadBalancer =
        lb !== undefined && lb !== null && typeof lb === "object" && lb.imageArchive !== undefined
            ? { ...lb, imageArchive: resolvePath(projectDir, lb.imageArchive) as string }
            : lb;
    const storage = storageArgs(
        raw.storage,
        { accessKey: raw.s3AccessKey, secretKey: raw.s3SecretKey },
        projectDir,
        problems,
    );
    const args: ReplicatedRegistryComponentArgs = {
        replicas: replicas as RegistryReplicaArgs[],
        loadBalancer: loadBalancer as LoadBalancerArgs,
        ...(storage === undefined ? {} : { storage }),
        clients: (raw.clients ?? []).map(
            (c) => resolveKeys(projectDir, c) as NonNullable<RawStackConfig["clients"]>[0],
        ),
        users,
        bastion: resolveKeys(projectDir, raw.bastion),
        knownHostsPath: resolvePath(projectDir, raw.knownHostsPath),
        ca: withStringId(raw.ca),
        certificate: raw.certificate,
        registryImage: raw.registryImage,
        registryVersion: raw.registryVersion as ReplicatedRegistryComponentArgs["registryVersion"],
        registryImageArchive: resolvePath(projectDir, raw.registryImageArchive),
        runtime: raw.runtime,
        cliEngine: raw.cliEngine,
        healthcheck: raw.healthcheck,
        verifyClients: raw.verifyClients,
        expiryWarningDays: raw.expiryWarningDays,
    };
    // The component's problems in the stack config's terms; a CA file that could not be read is reported once.
    const unreadableCa = problems.some((p) => p.startsWith("`storage.s3.caCertPath` cannot be read"));
    const componentProblems = checkReplicatedRegistryComponentArgs(args)
        .map(inStackConfigTerms)
        .filter((p) => !(unreadableCa && p.startsWith("`storage.s3.caCertPath` is required")));
    if (problems.length > 0) throw new InvalidStackConfigError([...problems, ...componentProblems]);
    assertValid("ReplicatedRegistry", componentProblems);
    return args;
}

/**
 * A problem ReplicatedRegistry found, in the stack config's terms: the store's CA is the file `storage.s3.caCertPath`
 * (the component's `caCertPem` is read from it) and its credentials are the secret keys `s3AccessKey` and
 * `s3SecretKey`. Pure.
 */
export function inStackConfigTerms(problem: string): string {
    return problem
        .replace(/`storage\.s3\.caCertPem`/g, "`storage.s3.caCertPath`")
        .replace(
            "credentials go in accesskey/secretkey as secrets",
            "credentials go in the secret keys s3AccessKey and s3SecretKey",
        );
}
