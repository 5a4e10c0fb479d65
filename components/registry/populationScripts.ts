/** Scripts RegistryPopulation runs on the registry host: push carried-in images once. Pure. */

import { script, shellQuote } from "../ssh/shell";

/** An image archive on the registry host and the reference it holds. */
export interface ServedImage {
    /** `name:tag` as saved, e.g. `team/app:1.2`; a registry host prefix is dropped. */
    readonly ref: string;
    /** Path of the `docker save` archive on the registry host. */
    readonly archivePath: string;
}

/** The repository path and tag an image is served under (`registry.lab:5000/team/app:1` -> `team/app`, `1`). Pure. */
export function servedName(ref: string): { repository: string; tag: string } {
    const withoutHost = ref.replace(/^[^/]*[.:][^/]*\//, "");
    const at = withoutHost.lastIndexOf(":");
    return at > 0 && !withoutHost.slice(at).includes("/")
        ? { repository: withoutHost.slice(0, at), tag: withoutHost.slice(at + 1) }
        : { repository: withoutHost, tag: "latest" };
}

/**
 * Pushes every image into the registry from its own host with TLS verification on: stdin is the
 * pushing user's password. The push trusts the CA the registry serves, the last certificate of its
 * chain file (`chainPath`), so a CA rotation never needs a re-run. An image whose manifest in the
 * registry already points at the same image ID is skipped, so a re-run pushes nothing. Prints
 * `name:tag@sha256:...` per image. Pure.
 */
export function populateScript(
    port: number,
    username: string,
    images: readonly ServedImage[],
    chainPath: string,
): string {
    const registry = `localhost:${port}`;
    return script(
        "IFS= read -r password",
        "umask 077",
        "auth=$(mktemp)",
        // Whatever happens (a push that fails), the password leaves the host: the credentials
        // file is removed and docker forgets the login.
        `trap 'rm -f "$auth"; docker logout ${registry} >/dev/null 2>&1 || true' EXIT`,
        // curl reads the credentials from a 0600 file, never from its command line.
        `printf 'user = "%s:%s"\\n' ${shellQuote(username)} "$password" > "$auth"`,
        `mkdir -p /etc/docker/certs.d/${registry}`,
        `ca=/etc/docker/certs.d/${registry}/ca.crt`,
        // The chain is the server certificate, then the CA: keep the last certificate (through a
        // temporary file: a missing chain leaves the earlier ca.crt as it was).
        `[ -s ${shellQuote(chainPath)} ] || { echo ${shellQuote(`no certificate chain at ${chainPath}: the registry's files are not written`)} >&2; exit 2; }`,
        `awk '/-----BEGIN CERTIFICATE-----/ { block = "" } { block = block $0 "\\n" } END { printf "%s", block }' ${shellQuote(chainPath)} > "$ca.new"`,
        `grep -q -- '-----BEGIN CERTIFICATE-----' "$ca.new" || { rm -f "$ca.new"; echo ${shellQuote(`no CA certificate in ${chainPath}`)} >&2; exit 2; }`,
        'mv "$ca.new" "$ca"',
        `printf '%s' "$password" | docker login ${registry} --username ${shellQuote(username)} --password-stdin >/dev/null`,
        "accept='application/vnd.docker.distribution.manifest.v2+json,application/vnd.oci.image.manifest.v1+json'",
        "serve() { # archive source-ref repository tag",
        // Loaded every time: a new archive with the same reference moves the tag to its image.
        '  docker load -i "$1" >/dev/null',
        "  id=$(docker image inspect --format '{{.Id}}' \"$2\")",
        `  served=$(curl -sS --cacert "$ca" -K "$auth" -H "Accept: $accept" "https://${registry}/v2/$3/manifests/$4" 2>/dev/null | tr -d ' \\t\\r\\n' | grep -o '"config":{[^}]*}' | grep -o 'sha256:[0-9a-f]*' || true)`,
        `  digest_of() { curl -sS -I --cacert "$ca" -K "$auth" -H "Accept: $accept" "https://${registry}/v2/$3/manifests/$4" | tr -d '\\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'; }`,
        '  if [ "$served" = "$id" ]; then',
        '    echo "$3:$4@$(digest_of "$@") already served" >&2',
        "  else",
        `    docker tag "$2" "${registry}/$3:$4"`,
        `    docker push "${registry}/$3:$4" >/dev/null`,
        '    echo "$3:$4@$(digest_of "$@") pushed" >&2',
        "  fi",
        '  echo "$3:$4@$(digest_of "$@")"',
        "}",
        ...images.map((img) => {
            const { repository, tag } = servedName(img.ref);
            return `serve ${shellQuote(img.archivePath)} ${shellQuote(img.ref)} ${shellQuote(repository)} ${shellQuote(tag)}`;
        }),
    );
}
