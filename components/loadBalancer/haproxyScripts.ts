/**
 * Scripts the LoadBalancer runs on its host: haproxy's container in the `cli` runtime, and the reload after one of
 * its files was written. Pure.
 */

import { cliRuntimeOf, runtimeLabel } from "../registry/registryScripts";
import { await401Function, script, shellQuote } from "../ssh/shell";
import { haproxyPaths } from "./haproxyConfig";

/** How haproxy runs in its container: master-worker (`-W`, reloads on SIGUSR2), in the foreground (`-db`). */
export function haproxyCommand(configPath: string = haproxyPaths.config): { entrypoint: string; args: string[] } {
    return { entrypoint: "haproxy", args: ["-W", "-db", "-f", configPath] };
}

/** What haproxy's container needs, whatever runs it. */
export interface HaproxyRunSpec {
    readonly engine: "docker" | "podman";
    readonly containerName: string;
    readonly image: string;
    /** The port haproxy binds on the host (the container shares the host's network). */
    readonly port: number;
    /** The image ID on the host: a label, so a new image with the same tag rolls the container. */
    readonly imageId: string;
}

/**
 * haproxy's container shares its host's network: it resolves the replicas' names with the host's resolver (the one
 * the operator checked them with; a bridge network's container gets a copy of resolv.conf without its local
 * resolvers, e.g. systemd-resolved's or an embedded DNS), it logs the clients' own addresses (not a proxy's) and
 * streams blobs without a userland proxy in between. The port is bound on the host; one already taken there fails
 * haproxy's start, and the readiness step shows it.
 */
export const haproxyNetworkMode = "host";

/** Label with the image ID haproxy's container was started from. */
export const haproxyImageLabel = "airgap-registry.image-id";

/**
 * Create/delete scripts of haproxy's container in the `cli` runtime: replace any container of the same name, run
 * haproxy on the host's network (see {@link haproxyNetworkMode}) as root (it reads the 0600 key; the official image's default user could not) with the files' directory
 * mounted read-only, wait until it runs (60 s at most), print its ID. Delete removes only a container this runtime
 * started. Pure.
 */
export function haproxyCliRunScripts(spec: HaproxyRunSpec): { create: string; delete: string } {
    const e = spec.engine;
    const name = shellQuote(spec.containerName);
    const cmd = haproxyCommand();
    const args = [
        `${e} run -d --name ${name} --restart always --user 0`,
        `--network ${haproxyNetworkMode}`,
        `-v ${shellQuote(`${haproxyPaths.dir}:${haproxyPaths.dir}:ro`)}`,
        `--label ${shellQuote(`${haproxyImageLabel}=${spec.imageId}`)}`,
        `--label ${runtimeLabel}=cli`,
        `--entrypoint ${shellQuote(cmd.entrypoint)}`,
        shellQuote(spec.image),
        ...cmd.args.map(shellQuote),
    ];
    return {
        create: script(
            `${e} rm -f ${name} >/dev/null 2>&1 || true`,
            args.join(" \\\n  "),
            "i=0",
            `until [ "$(${e} inspect --format '{{.State.Status}}' ${name})" = running ]; do`,
            "  i=$((i + 1))",
            `  if [ "$i" -gt 60 ]; then echo "haproxy container ${spec.containerName} not running after 60s" >&2; ${e} logs --tail 20 ${name} >&2; exit 1; fi`,
            "  sleep 1",
            "done",
            `${e} inspect --format '{{.Id}}' ${name}`,
        ),
        delete: script(
            `if [ "$(${cliRuntimeOf(e, name)})" = cli ]; then ${e} rm -f ${name} >/dev/null; echo "removed container ${spec.containerName}"; fi`,
        ),
    };
}

/**
 * Run after any of haproxy's files was written (a config change such as a replica added, a new certificate, or a
 * drift healed): when haproxy's container runs, the new config is checked with `haproxy -c` inside it (a bad one
 * fails here and the running haproxy keeps the old one), haproxy is reloaded in place (SIGUSR2 to its master: new
 * workers read the files, connections in flight finish on the old ones) and the load balancer is awaited answering
 * 401 over TLS verified with the CA file (30 s at most). When no container runs yet it does nothing: the container
 * step starts haproxy with these files. Public (no secret in it). Pure.
 */
export function haproxyReloadScript(engine: "docker" | "podman", containerName: string, port: number): string {
    const name = shellQuote(containerName);
    const cfg = shellQuote(haproxyPaths.config);
    const url = `https://localhost:${port}/v2/`;
    return script(
        ...await401Function(30),
        `if [ "$(${engine} inspect --format '{{.State.Running}}' ${name} 2>/dev/null)" != true ]; then`,
        `  echo ${shellQuote(`haproxy container ${containerName} is not running: its start reads these files`)}`,
        "  exit 0",
        "fi",
        `if ! ${engine} exec ${name} haproxy -c -q -f ${cfg} >&2; then`,
        `  echo ${shellQuote(`haproxy refuses the new ${haproxyPaths.config}: the running haproxy keeps the config it has`)} >&2`,
        "  exit 1",
        "fi",
        `${engine} kill -s USR2 ${name} >/dev/null`,
        "sleep 1",
        `if ! await_401 ${url} --cacert ${shellQuote(haproxyPaths.caFile)}; then`,
        `  echo "load balancer not answering after its reload: ${url} answered '$code' $curl_error" >&2`,
        "  exit 1",
        "fi",
        `echo ${shellQuote(`reloaded haproxy in ${containerName}: ${url} answers 401 over verified TLS`)}`,
    );
}
