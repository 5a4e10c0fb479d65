/**
 * Scripts RegistryContainer runs on the registry host: files from stdin, the cli runtime, the runtime handover,
 * readiness. Pure.
 */

import * as crypto from "crypto";
import { await401Function, pemFromStdinLines, script, shellQuote } from "../ssh/shell";
import {
    containerConfigDirs,
    containerPaths,
    containerPort,
    debugAddr,
    registryContainerEnvironment,
    StorageHealthCheck,
} from "./configYml";
import { RegistryStorageArgs } from "./objectStorage";
import { RegistryVersion } from "./registryVersion";

/** Writes stdin to `path` atomically with `mode` (secrets never touch the command line). Pure. */
export function writeFileScripts(path: string, mode: "0600" | "0644"): { create: string; delete: string } {
    const p = shellQuote(path);
    return {
        create: script(
            "umask 077",
            `tmp=$(mktemp ${shellQuote(`${path}.XXXXXX`)})`,
            'cat > "$tmp"',
            `chmod ${mode} "$tmp"`,
            `mv -f "$tmp" ${p}`,
            `echo "wrote ${path} ($(wc -c < ${p}) bytes, mode ${mode})"`,
        ),
        delete: script(`rm -f ${p}`),
    };
}

/**
 * Host directories mounted into the registry container; the config directory where `version`'s image reads it, and
 * where the other version's would too: an image whose version was set wrong still reads this config (TLS, htpasswd),
 * never the one built into it (plain HTTP, no auth). Pure.
 */
export function registryVolumes(
    dataDir: string,
    version: RegistryVersion,
): Array<{ hostPath: string; containerPath: string; readOnly: boolean }> {
    return [
        { hostPath: `${dataDir}/data`, containerPath: containerPaths.storage, readOnly: false },
        { hostPath: `${dataDir}/certs`, containerPath: containerPaths.certs, readOnly: true },
        { hostPath: `${dataDir}/auth`, containerPath: containerPaths.auth, readOnly: true },
        { hostPath: `${dataDir}/config`, containerPath: containerConfigDirs[version], readOnly: true },
        ...Object.entries(containerConfigDirs)
            .filter(([other]) => other !== version)
            .map(([, dir]) => ({ hostPath: `${dataDir}/config`, containerPath: dir, readOnly: true })),
    ];
}

/**
 * The registry container's environment for `version` and its storage ({@link registryContainerEnvironment}), as
 * `NAME=value` entries (sorted). Without storage, the version's alone. Pure.
 */
export function registryEnvs(version: RegistryVersion, storage?: Pick<RegistryStorageArgs, "s3">): string[] {
    return Object.entries(registryContainerEnvironment(version, storage))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`);
}

/** The container health check: the registry's own /debug/health on its loopback debug listener. */
export const healthcheckCommand = ["CMD", "wget", "-q", "-O", "/dev/null", `http://${debugAddr}/debug/health`];

/** What the CLI runtime needs to run the registry container. */
export interface RunSpec {
    readonly engine: "docker" | "podman";
    readonly containerName: string;
    readonly image: string;
    readonly port: number;
    readonly dataDir: string;
    readonly registryVersion: RegistryVersion;
    /** The storage, for the environment. Default: the host directory. */
    readonly storage?: Pick<RegistryStorageArgs, "s3">;
    readonly contentHash: string;
    /** {@link filesLabel}'s value. */
    readonly filesHash: string;
    readonly healthcheck: boolean;
}

/**
 * Create/delete scripts of the CLI runtime (docker or podman over SSH): replace any container
 * of the same name, run the registry, and wait until the engine reports it healthy (or
 * running, without a health check or on an object store: {@link waitsForHealthy}). Pure.
 */
export function cliRunScripts(spec: RunSpec): { create: string; delete: string } {
    const e = spec.engine;
    const name = shellQuote(spec.containerName);
    const args = [
        `${e} run -d --name ${name} --restart always`,
        `-p ${spec.port}:${containerPort}`,
        ...registryVolumes(spec.dataDir, spec.registryVersion).map(
            (v) => `-v ${shellQuote(`${v.hostPath}:${v.containerPath}${v.readOnly ? ":ro" : ""}`)}`,
        ),
        ...registryEnvs(spec.registryVersion, spec.storage).map((e) => `-e ${shellQuote(e)}`),
        `--label ${shellQuote(`airgap-registry.content-sha256=${spec.contentHash}`)}`,
        `--label ${shellQuote(`${filesLabel}=${spec.filesHash}`)}`,
        `--label ${runtimeLabel}=cli`,
        ...(spec.healthcheck
            ? [
                  `--health-cmd ${shellQuote(healthcheckCommand.slice(1).join(" "))} --health-interval 10s --health-timeout 5s --health-retries 3 --health-start-period 5s`,
              ]
            : []),
        shellQuote(spec.image),
    ];
    const healthy = waitsForHealthy(spec);
    const wanted = healthy ? "healthy" : "running";
    const status = healthy ? "{{.State.Health.Status}}" : "{{.State.Status}}";
    return {
        create: script(
            `${e} rm -f ${name} >/dev/null 2>&1 || true`,
            args.join(" \\\n  "),
            "i=0",
            `until [ "$(${e} inspect --format '${status}' ${name})" = ${wanted} ]; do`,
            "  i=$((i + 1))",
            `  if [ "$i" -gt 60 ]; then echo "registry container ${spec.containerName} not ${wanted} after 60s" >&2; ${e} logs --tail 20 ${name} >&2; exit 1; fi`,
            "  sleep 1",
            "done",
            `${e} inspect --format '{{.Id}}' ${name}`,
        ),
        // Only a container this runtime started: after a switch to the docker provider, the
        // container of that name is the provider's and must stay.
        delete: script(
            `if [ "$(${cliRuntimeOf(e, name)})" = cli ]; then ${e} rm -f ${name} >/dev/null; echo "removed container ${spec.containerName}"; fi`,
        ),
    };
}

/**
 * Label with the SHA-256 of the files the container was started with (chain, key, config.yml, htpasswd, in that
 * order, concatenated): how a file written back under a running container tells whether that container is the one
 * the stack wants (then it is restarted to read the file again) or one this `up` replaces anyway.
 */
export const filesLabel = "airgap-registry.files-sha256";

/** The value of {@link filesLabel} for the files' contents, in order. Pure. */
export function filesLabelValue(contents: readonly string[]): string {
    const hash = crypto.createHash("sha256");
    for (const c of contents) hash.update(c, "utf8");
    return hash.digest("hex");
}

/**
 * Run after one of the registry's files was written back (a drift healed): when the container's {@link filesLabel}
 * equals the digest of the files now on the host (`paths`, in the label's order), the container was started for
 * exactly these files, so it is restarted to read them again and awaited (healthy, or running without a health
 * check, 60 s at most). Otherwise (no container yet, or one this `up` replaces) it does nothing. Pure.
 */
export function restartOnHealScript(
    engine: "docker" | "podman",
    containerName: string,
    paths: readonly string[],
): string {
    const name = shellQuote(containerName);
    const status = "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}";
    const files = paths.map(shellQuote).join(" ");
    return script(
        // A file missing is no digest at all (a pipeline's status is its last command's: `cat` failing in it would
        // go unseen and the other files' digest be compared).
        `if cat ${files} >/dev/null 2>&1; then want=$(cat ${files} | sha256sum | cut -d' ' -f1); else want=none; fi`,
        `have=$(${engine} inspect --format '{{index .Config.Labels "${filesLabel}"}}' ${name} 2>/dev/null) || have=''`,
        'if [ -z "$have" ] || [ "$have" != "$want" ]; then',
        `  echo ${shellQuote(`container ${containerName} does not run these files yet: this up starts it`)}`,
        "  exit 0",
        "fi",
        `${engine} restart ${name} >/dev/null`,
        "i=0",
        `until s=$(${engine} inspect --format '${status}' ${name}) && { [ "$s" = healthy ] || [ "$s" = running ]; }; do`,
        "  i=$((i + 1))",
        `  if [ "$i" -gt 60 ]; then echo "registry container ${containerName} is $s 60s after its restart" >&2; exit 1; fi`,
        "  sleep 1",
        "done",
        `echo ${shellQuote(`restarted ${containerName} to read the files written back`)}`,
    );
}

/** Label that records which runtime started the registry container (`cli` only). */
export const runtimeLabel = "airgap-registry.runtime";

/** A command printing the {@link runtimeLabel} of the container `quotedName` (empty when none). Pure. */
export function cliRuntimeOf(engine: "docker" | "podman", quotedName: string): string {
    return `${engine} inspect --format '{{index .Config.Labels "${runtimeLabel}"}}' ${quotedName} 2>/dev/null || true`;
}

/**
 * Runs before the docker provider creates the registry container: removes a container of the
 * same name that the `cli` runtime started (its label says so), so that switching runtimes
 * hands the registry over instead of failing on the name. Any other container is left alone.
 * Pure.
 */
export function runtimeHandoverScript(containerName: string): string {
    const name = shellQuote(containerName);
    return script(
        `if [ "$(${cliRuntimeOf("docker", name)})" = cli ]; then`,
        `  docker rm -f ${name} >/dev/null`,
        `  echo "removed the cli runtime's container ${containerName}: the docker provider runs it from now on"`,
        "else",
        `  echo "no cli-runtime container named ${containerName}"`,
        "fi",
    );
}

/** A registry on an object store, for its readiness: the storage health check it runs and where it logs. */
export interface StorageReadiness {
    /** The check config.yml gives it (storageHealthCheck in configYml.ts). */
    readonly check: StorageHealthCheck;
    /** The engine running the container, whose `logs` hold the check's errors. */
    readonly engine: "docker" | "podman";
    /** The registry's container. */
    readonly containerName: string;
}

/** Options of {@link readinessScript}. */
export interface ReadinessOptions {
    /** How long to wait for the first 401, in seconds. Default `60`. */
    readonly timeoutSeconds?: number;
    /** The registry is on an object store: also wait out its storage health check. Default: the host directory. */
    readonly storage?: StorageReadiness;
}

/**
 * Whether the runtime waits for the container's health check to pass before the container step is done: with the
 * check on and the registry on the host directory. On an object store it waits for the container to run, and the
 * readiness step that follows ({@link readinessScript} with the storage health check) decides, naming the store's
 * error; a wait for healthy would fail first, saying only that the container is unhealthy. Pure.
 */
export function waitsForHealthy(run: { readonly healthcheck: boolean; readonly storage?: unknown }): boolean {
    return run.healthcheck && run.storage === undefined;
}

/**
 * Waits on the registry host until `https://localhost:<port>/v2/`, verified against the CA on
 * stdin, answers 401 (TLS good, auth enforced). With `storage` (an object store), it then waits interval × threshold
 * + 1 s and asks again: a store that fails fast (refused connection, wrong address or port, refused keys, a missing
 * bucket, a certificate its CA did not sign) has made the registry answer 503 by then, and the script fails quoting
 * the check's error from the container's log. A store that does not answer at all (a silent firewall) keeps the
 * check waiting past that window and is not caught here: haproxy's check sees the 503 later. Pure.
 */
export function readinessScript(port: number, options: ReadinessOptions = {}): string {
    const { timeoutSeconds = 60, storage } = options;
    const url = `https://localhost:${port}/v2/`;
    const storageLines =
        storage === undefined
            ? []
            : [
                  // The check's last error from the log, with the lines its message continues on (its "caused by:").
                  "storage_error() {",
                  `  err=$(${storage.engine} logs --tail 500 ${shellQuote(storage.containerName)} 2>&1 | awk '`,
                  "    /storage driver health check/ { m = $0; c = 1; n = 0; next }",
                  "    c && (/^time=/ || /^[0-9][0-9.]* - - \\[/ || /^[0-9][0-9][0-9][0-9]\\/[0-9]/) { c = 0 }",
                  '    c && n < 3 { m = m " " $0; n++ }',
                  "    END { print m }')",
                  // printf, not echo: the log keeps its message's newlines as \n, which dash's echo would expand.
                  `  printf '%s\\n' "\${err:-the registry did not log it (2.8 does not log this check): GET /debug/health on its debug listener (${debugAddr}, in the container) names it}"`,
                  "}",
              ];
    const unhealthyHint =
        storage === undefined
            ? []
            : [
                  '  if [ "$code" = 503 ]; then',
                  "    printf '%s\\n' \"its storage health check fails: $(storage_error)\" >&2",
                  "  fi",
              ];
    const wait = storage === undefined ? 0 : storage.check.intervalSeconds * storage.check.threshold + 1;
    const afterCheck =
        storage === undefined
            ? [`echo "registry ready: ${url} answers 401 over verified TLS"`]
            : [
                  `# The storage health check runs every ${storage.check.intervalSeconds} s; ${storage.check.threshold} failures in a row make every answer 503.`,
                  `sleep ${wait}`,
                  "curl_err=$(mktemp)",
                  `code=$(curl -sS --connect-timeout 5 --max-time 15 -o /dev/null -w '%{http_code}' --cacert "$ca" ${url} 2>"$curl_err") || true`,
                  'if [ "$code" = 503 ]; then',
                  `  printf '%s\\n' "registry not ready: ${url} answered 503 ${wait} s after its first 401: its storage health check fails: $(storage_error)" >&2`,
                  "  exit 1",
                  'elif [ "$code" != 401 ]; then',
                  `  echo "registry not ready: ${url} answered '$code' ${wait} s after its first 401 $(cat "$curl_err")" >&2`,
                  "  exit 1",
                  "fi",
                  'rm -f "$curl_err"',
                  `echo "registry ready: ${url} answers 401 over verified TLS, still ${wait} s later (its storage health check has not turned it 503)"`,
              ];
    return script(
        ...pemFromStdinLines("ca"),
        ...await401Function(timeoutSeconds),
        ...storageLines,
        `if ! await_401 ${url} --cacert "$ca"; then`,
        `  echo "registry not ready: ${url} answered '$code' $curl_error" >&2`,
        ...unhealthyHint,
        "  exit 1",
        "fi",
        ...afterCheck,
    );
}
