/**
 * Scripts ClientTrust runs on a client: trust store, certs.d (docker, podman, containerd hosts.toml), /etc/hosts, the
 * check. Pure.
 */

import { await401Function, detectOsFamilyLines, pemFromStdinLines, script, shellQuote } from "../ssh/shell";

/** OS family of a client; `auto` reads /etc/os-release on the client. */
export type OsFamily = "debian" | "rhel" | "auto";

/**
 * Where each OS family keeps extra trust anchors, and how it rebuilds its bundle. `update` runs with `$refresh` set
 * to 1 when an anchor file was removed or rewritten with other content: Debian's `update-ca-certificates` rehashes
 * /etc/ssl/certs only when an anchor is added, so it then needs `--fresh` (else the hashed directory keeps a link to
 * the removed or old CA and lacks the new one); RHEL's `update-ca-trust extract` rebuilds everything every time.
 */
export const osTrustStores = {
    debian: { dir: "/usr/local/share/ca-certificates", update: "update-ca-certificates ${refresh:+--fresh}" },
    rhel: { dir: "/etc/pki/ca-trust/source/anchors", update: "update-ca-trust extract" },
} as const;

/** Container engines whose per-registry CA directories ClientTrust fills. */
export const certsDirRoots = {
    docker: "/etc/docker/certs.d",
    podman: "/etc/containers/certs.d",
    containerd: "/etc/containerd/certs.d",
} as const;

/** An engine ClientTrust can configure: `docker`, `podman` or `containerd` (CRI, `config_path` hosts dirs). */
export type TrustEngine = keyof typeof certsDirRoots;

/** One per-registry directory to fill: `ca.crt`, plus `hosts.toml` for containerd. */
export interface CertsDirEntry {
    readonly dir: string;
    readonly hostsToml?: string;
}

/**
 * containerd's `hosts.toml` for a registry endpoint: the server and its CA, so containerd (and
 * kubelet pulls through CRI) verify TLS against it without a restart. containerd reads these
 * directories when its `config_path` points at /etc/containerd/certs.d. Pure.
 */
export function containerdHostsToml(endpoint: string, caPath: string): string {
    return [`server = "https://${endpoint}"`, `ca = "${caPath}"`, ""].join("\n");
}

/** The directories one endpoint needs for the given engines. Pure. */
export function certsDirEntries(endpoint: string, engines: readonly TrustEngine[]): CertsDirEntry[] {
    return engines.map((engine) => {
        const dir = certsDir(certsDirRoots[engine], endpoint);
        return engine === "containerd" ? { dir, hostsToml: containerdHostsToml(endpoint, `${dir}/ca.crt`) } : { dir };
    });
}

/** `<root>/<host:port>` for a registry endpoint (IPv6 endpoints keep their brackets). Pure. */
export function certsDir(root: string, endpoint: string): string {
    return `${root}/${endpoint}`;
}

/** Reads the CA from stdin into "$ca", refusing anything that is not a PEM certificate. */
const readCa = pemFromStdinLines("ca");

/** Detects the OS family (for `auto`) into "$family". */
function familyLines(family: OsFamily): string[] {
    if (family !== "auto") {
        return [`family=${family}`];
    }
    return detectOsFamilyLines("family");
}

/**
 * The file of the `n`th certificate of the bundle in a trust store directory: `<anchor>.crt` for the first,
 * `<anchor>.<n>.crt` after it (during a CA rotation the second is the next CA). Pure.
 */
export function anchorFileName(anchorName: string, n: number): string {
    return n === 1 ? `${anchorName}.crt` : `${anchorName}.${n}.crt`;
}

/**
 * Shell functions for the anchors of one name in a trust store directory, one certificate a file: OpenSSL's
 * hashed directory (Debian's /etc/ssl/certs, built by `openssl rehash`) skips a file holding more than one, so
 * a two-CA bundle in one anchor would leave both CAs out of it.
 * - `install_anchors <dir> <anchor> <pem-file>`: writes each certificate of the file as its own anchor, removes
 *   numbered anchors of an earlier, longer bundle, and sets `$anchors` to the files written. Runs after
 *   {@link readCa}, whose temporary file its own cleanup keeps removing.
 * - `remove_anchors <dir> <anchor> <keep>`: removes the anchor's numbered files above `<keep>` (0: all, and
 *   `<anchor>.crt` too).
 * Both set `$refresh` to 1 when they removed a file or gave an existing one other content.
 */
const removeAnchorsFunction = [
    "refresh=''",
    "remove_anchors() {",
    '  if [ "$3" -eq 0 ] && [ -e "$1/$2.crt" ]; then rm -f "$1/$2.crt"; refresh=1; fi',
    '  for f in "$1/$2".[0-9]*.crt; do',
    '    [ -e "$f" ] || continue',
    "    n=${f%.crt}; n=${n##*.}",
    '    case "$n" in *[!0-9]*) continue ;; esac',
    '    if [ "$n" -gt "$3" ]; then rm -f "$f"; refresh=1; fi',
    "  done",
    "}",
];
const installAnchorsFunction = [
    "install_anchors() {",
    "  split=$(mktemp -d)",
    `  trap 'rm -rf "$split" "$ca"' EXIT`,
    `  awk -v d="$split" '/-----BEGIN CERTIFICATE-----/ { n++; on = 1 } on { print > (d "/" n ".pem") } /-----END CERTIFICATE-----/ { on = 0; close(d "/" n ".pem") }' "$3"`,
    "  count=0",
    "  anchors=''",
    '  while [ -e "$split/$((count + 1)).pem" ]; do',
    "    count=$((count + 1))",
    '    if [ "$count" -eq 1 ]; then name="$2.crt"; else name="$2.$count.crt"; fi',
    '    if [ -e "$1/$name" ] && [ "$(cat "$split/$count.pem")" != "$(cat "$1/$name")" ]; then refresh=1; fi',
    '    install -m 0644 "$split/$count.pem" "$1/$name"',
    '    anchors="$anchors $name"',
    "  done",
    '  rm -rf "$split"',
    '  remove_anchors "$1" "$2" "$count"',
    "}",
];
/** Both functions (install calls remove), as the create script carries them. */
export const anchorShellFunctions: readonly string[] = [...removeAnchorsFunction, ...installAnchorsFunction];

function trustStoreCase(anchorName: string, action: "install" | "remove"): string[] {
    const lines = ['case "$family" in'];
    for (const [family, store] of Object.entries(osTrustStores)) {
        const dir = shellQuote(store.dir);
        const anchor = shellQuote(anchorName);
        lines.push(
            `  ${family})`,
            ...(action === "install"
                ? [`    mkdir -p ${dir}`, `    install_anchors ${dir} ${anchor} "$ca"`]
                : [`    remove_anchors ${dir} ${anchor} 0`]),
            `    ${store.update} >/dev/null`,
            action === "install"
                ? `    echo "installed${"$"}anchors in the ${family} trust store (${store.dir})" ;;`
                : `    echo "removed ${anchorName}.crt and its numbered anchors from the ${family} trust store" ;;`,
        );
    }
    lines.push(
        '  *) echo \'unknown OS family: set osFamily to "debian" or "rhel" for this client\' >&2; exit 3 ;;',
        "esac",
    );
    return lines;
}

/**
 * Installs the CA bundle (stdin) in the OS trust store, one anchor file a certificate (see {@link anchorFileName});
 * delete removes exactly that anchor's files. Pure.
 */
export function osTrustScripts(anchorName: string, family: OsFamily): { create: string; delete: string } {
    return {
        create: script(
            ...readCa,
            ...familyLines(family),
            ...anchorShellFunctions,
            ...trustStoreCase(anchorName, "install"),
        ),
        delete: script(...familyLines(family), ...removeAnchorsFunction, ...trustStoreCase(anchorName, "remove")),
    };
}

/**
 * Installs the CA (stdin) as `<dir>/ca.crt` in each directory (and containerd's `hosts.toml`
 * where given); delete removes exactly those files, and the directory when it is then empty. Pure.
 */
export function certsDirScripts(entries: ReadonlyArray<CertsDirEntry | string>): { create: string; delete: string } {
    const list = entries.map((e) => (typeof e === "string" ? { dir: e } : e));
    return {
        create: script(
            ...readCa,
            ...list.flatMap((e) => [
                `mkdir -p ${shellQuote(e.dir)}`,
                `install -m 0644 "$ca" ${shellQuote(`${e.dir}/ca.crt`)}`,
                ...(e.hostsToml !== undefined
                    ? [`printf '%s' ${shellQuote(e.hostsToml)} > ${shellQuote(`${e.dir}/hosts.toml`)}`]
                    : []),
                `echo ${shellQuote(`installed ${e.dir}/ca.crt${e.hostsToml !== undefined ? " and hosts.toml" : ""}`)}`,
            ]),
        ),
        delete: script(
            ...list.flatMap((e) => [
                `rm -f ${shellQuote(`${e.dir}/ca.crt`)}${e.hostsToml !== undefined ? ` ${shellQuote(`${e.dir}/hosts.toml`)}` : ""}`,
                `rmdir ${shellQuote(e.dir)} 2>/dev/null || true`,
            ]),
        ),
    };
}

/** A static name-to-address entry for a client's /etc/hosts. */
export interface HostsEntry {
    readonly ip: string;
    readonly names: readonly string[];
}

/** The /etc/hosts lines ClientTrust owns, each tagged with a marker comment. Pure. */
export function hostsLines(entries: readonly HostsEntry[], marker: string): string[] {
    return entries.map((e) => `${e.ip} ${e.names.join(" ")} # ${marker}`);
}

/**
 * Adds the tagged lines to /etc/hosts (replacing earlier tagged lines), writing the file in
 * place (inside containers it is a bind mount); delete removes the tagged lines only. Pure.
 */
export function hostsScripts(entries: readonly HostsEntry[], marker: string): { create: string; delete: string } {
    const strip = ["tmp=$(mktemp)", `grep -v -F -- ${shellQuote(`# ${marker}`)} /etc/hosts > "$tmp" || true`];
    return {
        create: script(
            ...strip,
            ...hostsLines(entries, marker).map((l) => `echo ${shellQuote(l)} >> "$tmp"`),
            'cat "$tmp" > /etc/hosts && rm -f "$tmp"',
            `echo ${shellQuote(`/etc/hosts: ${entries.length} entr${entries.length === 1 ? "y" : "ies"} for ${marker}`)}`,
        ),
        delete: script(...strip, 'cat "$tmp" > /etc/hosts && rm -f "$tmp"'),
    };
}

/**
 * From the client: each endpoint's `/v2/` must answer 401 with TLS verified by the system trust
 * store (TLS trusted, auth enforced). Anything else fails with the client's name, the URL, the
 * status and curl's error. Retries for `timeoutSeconds` (a registry that is still starting). Pure.
 */
export function trustCheckScript(clientName: string, endpoints: readonly string[], timeoutSeconds = 30): string {
    return script(
        "command -v curl >/dev/null 2>&1 || { echo " +
            shellQuote(`client ${clientName}: curl is not installed, cannot check trust`) +
            " >&2; exit 2; }",
        ...await401Function(timeoutSeconds),
        "check() {",
        '  if await_401 "https://$1/v2/"; then',
        '    echo "client ' + clientName + ': https://$1/v2/ answers 401 over TLS verified by the system trust store"',
        "    return 0",
        "  fi",
        '  echo "client ' + clientName + ": https://$1/v2/ answered '$code' (expected 401): $curl_error\" >&2",
        "  return 1",
        "}",
        ...endpoints.map((e) => `check ${shellQuote(e)}`),
    );
}
